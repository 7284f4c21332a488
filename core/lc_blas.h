/* lc_blas.h: the core's one floating-point GEMM, for linalg.c, rnn.c, conv.c. */
#ifndef LC_BLAS_H
#define LC_BLAS_H

#include <stdbool.h>
#include <stdint.h>

#include "lc.h"

/* C (m x n) = alpha op(A) op(B) + beta C on float32 or float64 buffers,
 * row-major (col_major = false) or column-major, op = transpose when ta/tb.
 * Leading dimensions are in elements; sizes must fit a 32-bit int (callers
 * check: OpenBLAS's blasint). */
void lc_blas_gemm(lc_dtype dt, bool col_major, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                  double alpha, const void *a, int64_t lda, const void *b, int64_t ldb, double beta,
                  void *c, int64_t ldc);

#endif
