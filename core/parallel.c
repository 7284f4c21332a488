/* parallel.c: the thread count and a clock. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <omp.h>
#include <time.h>

#include "lc_internal.h"

/* From libopenblas; declared here so the core needs no cblas.h for it. */
void openblas_set_num_threads(int n);

void lc_set_num_threads(int n) {
  if (n < 1) n = 1; /* the API has no error return; callers validate */
  omp_set_num_threads(n);
  /* The OpenMP build of OpenBLAS keeps its own count: set both so BLAS calls
   * and our loops agree. */
  openblas_set_num_threads(n);
}

int lc_get_num_threads(void) { return omp_get_max_threads(); }

double lc_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
