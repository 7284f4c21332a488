/* parallel.c: the thread count and a clock. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
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

/* Out of memory, OpenBLAS retries its per-thread work buffer (about 130 MB
 * of address space, measured: blas_memory_alloc under gdb) forever, and
 * libgomp ends the process when it cannot create a thread. Neither can be
 * caught, so both happen here, while memory is there: a thread count is
 * refused unless its buffers fit (openblas_set_num_threads allocates them),
 * and one product that keeps every thread busy makes libgomp start the
 * threads. Later out-of-memory conditions then meet our own allocations
 * first, which fail with an error (docs/tensors.md). */
#define BLAS_BUFFER_BYTES ((size_t)136 << 20)

static int fits(int n) {
  void *probe = malloc((size_t)n * BLAS_BUFFER_BYTES);
  free(probe);
  if (!probe)
    lc_fail(LC_ERR_MEMORY, "set_num_threads", "out of memory: %d threads need about %zu MB of address space "
                 "for their BLAS buffers", n, (size_t)n * (BLAS_BUFFER_BYTES >> 20));
  return probe ? 0 : -1;
}

static void start_threads(void) {
  int n = omp_get_max_threads(), m = n * 16 < 256 ? 256 : n * 16, k = 64;
  float *a = calloc((size_t)m * k * 2 + (size_t)m * m, sizeof *a);
  if (!a) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, k, 1.0f, a, k, a + (size_t)m * k, m,
              0.0f, a + (size_t)2 * m * k, m);
  free(a);
}

int lc_set_num_threads(int n) {
  if (n < 1 || n > LC_MAX_THREADS) {
    lc_fail(LC_ERR_ARG, "set_num_threads", "n must be between 1 and %d, got %d", LC_MAX_THREADS, n);
    return -1;
  }
  if (fits(deterministic ? 1 : n)) return -1;
  omp_set_num_threads(n);
  /* The OpenMP build of OpenBLAS keeps its own count: set both so BLAS calls
   * and our loops agree. */
  set_blas_threads();
  start_threads();
  return 0;
}

int lc_set_deterministic(bool on) {
  if (!on && fits(omp_get_max_threads())) return -1;
  deterministic = on;
  set_blas_threads();
  start_threads();
  return 0;
}

bool lc_deterministic(void) { return deterministic; }

int lc_get_num_threads(void) { return omp_get_max_threads(); }

double lc_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
