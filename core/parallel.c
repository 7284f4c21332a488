/* parallel.c: the thread count and a clock. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <omp.h>
#include <time.h>

#include "lc_internal.h"

/* From libopenblas; declared here so the core needs no cblas.h for it. */
void openblas_set_num_threads(int n);

static bool deterministic;

/* OpenBLAS splits a product differently at each thread count, and the sums
 * come out in a different order: in deterministic mode it runs on one
 * thread (our own loops give the same bits at any count already). */
static void set_blas_threads(void) {
  openblas_set_num_threads(deterministic ? 1 : omp_get_max_threads());
}

int lc_set_num_threads(int n) {
  if (n < 1 || n > LC_MAX_THREADS) {
    lc_set_error("set_num_threads: n must be between 1 and %d, got %d", LC_MAX_THREADS, n);
    return -1;
  }
  omp_set_num_threads(n);
  /* The OpenMP build of OpenBLAS keeps its own count: set both so BLAS calls
   * and our loops agree. */
  set_blas_threads();
  return 0;
}

void lc_set_deterministic(bool on) {
  deterministic = on;
  set_blas_threads();
}

bool lc_deterministic(void) { return deterministic; }

int lc_get_num_threads(void) { return omp_get_max_threads(); }

double lc_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
