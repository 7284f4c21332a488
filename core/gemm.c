/* gemm.c: every floating-point GEMM of the core goes through lc_blas_gemm,
 * which picks the library by size: libxsmm's JIT kernels for the small
 * products of recurrent cell steps and batch-1 inference (16x128x64 and the
 * like), OpenBLAS for the rest. Measured side by side (bench/small_gemm.c,
 * docs/performance.md): at these sizes OpenBLAS spends more time starting
 * its threads and packing panels than multiplying, and libxsmm was 1.05x-4x
 * faster; above 64^3 multiply-adds libxsmm itself calls OpenBLAS. */
#include <cblas.h>
#include <libxsmm.h>
#include <stdlib.h>

#include "lc_blas.h"
#include "lc_internal.h"

/* m*n*k at or under which libxsmm runs the product: the largest it JITs a
 * kernel for (64^3); beyond that it would hand the product to BLAS anyway,
 * through a slower path than calling OpenBLAS directly (measured). */
#define SMALL_MNK LIBXSMM_CONFIG_MAX_MNK

/* c[i] = alpha a_i . x + beta c[i] for i < m, a_i the column i of the
 * column-major (k x m, lda) A, x k contiguous elements; beta 0 ignores c's
 * contents. R columns at a time, each summed in L partial sums: R*L
 * independent vector lanes, so the adds do not wait on each other. */
#define DOTS(name, T)                                                                          \
  LC_CLONES static void name(int64_t m, int64_t k, T alpha, const T *a, int64_t lda, const T *x, \
                             T beta, T *c) {                                                    \
    enum { R = 4, L = 8 };                                                                     \
    for (int64_t i0 = 0; i0 < m; i0 += R) {                                                    \
      int rows = m - i0 < R ? (int)(m - i0) : R;                                               \
      T part[R][L] = {{0}};                                                                    \
      const T *ai[R];                                                                          \
      for (int r = 0; r < R; r++) ai[r] = a + (i0 + (r < rows ? r : 0)) * lda;                 \
      int64_t j = 0;                                                                           \
      for (; j + L <= k; j += L)                                                               \
        for (int r = 0; r < R; r++)                                                            \
          for (int l = 0; l < L; l++) part[r][l] += ai[r][j + l] * x[j + l];                   \
      for (int r = 0; r < rows; r++) {                                                         \
        T s = 0;                                                                               \
        for (int64_t jj = j; jj < k; jj++) s += ai[r][jj] * x[jj];                             \
        for (int l = 0; l < L; l++) s += part[r][l];                                           \
        T *ci = c + i0 + r;                                                                    \
        *ci = beta == 0 ? alpha * s : alpha * s + beta * *ci;                                  \
      }                                                                                        \
    }                                                                                          \
  }
DOTS(dots_f32, float)
DOTS(dots_f64, double)

/* libxsmm is column-major: a row-major C = op(A) op(B) is the column-major
 * C^T = op(B)^T op(A)^T, the same buffers with the operands swapped. */
static void small_gemm(lc_dtype dt, bool col_major, bool ta, bool tb, libxsmm_blasint m,
                       libxsmm_blasint n, libxsmm_blasint k, double alpha, const void *a,
                       libxsmm_blasint lda, const void *b, libxsmm_blasint ldb, double beta,
                       void *c, libxsmm_blasint ldc) {
  if (!col_major) {
    const void *t = a; a = b, b = t;
    libxsmm_blasint ti = m; m = n, n = ti;
    ti = lda; lda = ldb, ldb = ti;
    bool tt = ta; ta = tb, tb = tt;
  }
  /* libxsmm JITs no kernel for a transposed A: it hands such a product to
   * BLAS, whose packing and set-up then cost more than the product (the
   * X W^T of every recurrent step). A transposed copy of A (libxsmm's JIT
   * transpose, at most 64^3 elements) and the plain kernel cost less
   * (callgrind on rnncell_loop, docs/performance.md). A vector needs no
   * copy: a transposed A of one row is A read with leading dimension 1;
   * and C (m x 1) = A^T x is m dot products along A's columns (batch-1
   * inference's W_hh h), where a transposed copy of A would cost as much as
   * the product and libxsmm's kernel, vectorised along C's single column,
   * runs scalar. */
  if (ta && m == 1) {
    ta = false, lda = 1;
  } else if (ta && n == 1 && (!tb || ldb == 1 || k == 1)) { /* x contiguous */
    if (dt == LC_FLOAT32)
      dots_f32(m, k, (float)alpha, a, lda, b, (float)beta, c);
    else
      dots_f64(m, k, alpha, a, lda, b, beta, c);
    return;
  }
  size_t es = dt == LC_FLOAT32 ? sizeof(float) : sizeof(double);
  /* A short B (n columns: a cell step's batch) makes the transposed product
   * cheaper to copy for: C^T (n x m) = B^T A with B^T copied (n*k) and C^T
   * transposed back (n*m), instead of A^T (m*k). For the x W^T of a cell
   * step, 16x128x64, that is 3k elements copied instead of 8k. Only with
   * beta 0, where C's old contents do not enter. */
  if (ta && !tb && beta == 0 && n * k + n * m < m * k) {
    char *buf = malloc((size_t)n * (size_t)(k + m) * es);
    if (buf) {
      char *bt = buf, *ct = buf + (size_t)n * (size_t)k * es;
      libxsmm_otrans(bt, b, (unsigned)es, k, n, ldb, n); /* (k x n, ldb) -> (n x k, n) */
      const char nn = 'N';
      if (dt == LC_FLOAT32) {
        float fa = (float)alpha, fb = 0;
        libxsmm_sgemm(&nn, &nn, &n, &m, &k, &fa, (const float *)bt, &n, a, &lda, &fb, (float *)ct, &n);
      } else {
        double db = 0;
        libxsmm_dgemm(&nn, &nn, &n, &m, &k, &alpha, (const double *)bt, &n, a, &lda, &db, (double *)ct, &n);
      }
      libxsmm_otrans(c, ct, (unsigned)es, n, m, n, ldc); /* (n x m, n) -> (m x n, ldc) */
      free(buf);
      return;
    }
  }
  void *at = NULL;
  if (ta) {
    at = malloc((size_t)m * (size_t)k * es);
    if (at) {
      libxsmm_otrans(at, a, (unsigned)es, k, m, lda, m); /* (k x m, lda) -> (m x k, m) */
      a = at, lda = m, ta = false;
    }
  }
  const char tra = ta ? 'T' : 'N', trb = tb ? 'T' : 'N';
  if (dt == LC_FLOAT32) {
    float fa = (float)alpha, fb = (float)beta;
    libxsmm_sgemm(&tra, &trb, &m, &n, &k, &fa, a, &lda, b, &ldb, &fb, c, &ldc);
  } else {
    libxsmm_dgemm(&tra, &trb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc);
  }
  free(at);
}

void lc_blas_gemm(lc_dtype dt, bool col_major, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                  double alpha, const void *a, int64_t lda, const void *b, int64_t ldb, double beta,
                  void *c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k > 0 && m * n <= SMALL_MNK / k) { /* sizes fit int32: m * n cannot overflow */
    small_gemm(dt, col_major, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  enum CBLAS_ORDER o = col_major ? CblasColMajor : CblasRowMajor;
  enum CBLAS_TRANSPOSE A = ta ? CblasTrans : CblasNoTrans, B = tb ? CblasTrans : CblasNoTrans;
  if (dt == LC_FLOAT32)
    cblas_sgemm(o, A, B, (blasint)m, (blasint)n, (blasint)k, (float)alpha, a, (blasint)lda, b,
                (blasint)ldb, (float)beta, c, (blasint)ldc);
  else
    cblas_dgemm(o, A, B, (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)lda, b,
                (blasint)ldb, beta, c, (blasint)ldc);
}
