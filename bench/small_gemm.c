/* OpenBLAS against libxsmm on the per-step GEMMs of the cell loops and
 * batch-1 inference, side by side in one process (A B A B per shape), so the
 * ratio holds on a loaded machine. Not part of the build:
 *   cc -O2 -fopenmp bench/small_gemm.c -I/usr/include/openblas \
 *      -L/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas /usr/lib/libxsmm.a \
 *      -lpthread -ldl -lm -o /tmp/small_gemm && /tmp/small_gemm
 * Each shape is row-major C (m x n) = A (m x k) . W^T (W n x k), the forward of
 * a cell step (x W_ih^T, h W_hh^T), and the two products of its backward
 * (dX = dG W: NN, dW += dG^T X: TN). */
#include <cblas.h>
#include <libxsmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct { const char *what; int m, n, k; char ta, tb; } shape;

/* Row-major C = op(A) op(B) through each library. libxsmm is column-major:
 * C^T = op(B)^T op(A)^T, so the operands swap. */
static void run_blas(const shape *s, const float *a, const float *b, float *c) {
  int lda = s->ta == 'T' ? s->m : s->k, ldb = s->tb == 'T' ? s->k : s->n;
  cblas_sgemm(CblasRowMajor, s->ta == 'T' ? CblasTrans : CblasNoTrans,
              s->tb == 'T' ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f, a, lda, b, ldb,
              1.0f, c, s->n);
}

static void run_xsmm(const shape *s, const float *a, const float *b, float *c) {
  libxsmm_blasint m = s->n, n = s->m, k = s->k;
  libxsmm_blasint lda = s->tb == 'T' ? s->k : s->n, ldb = s->ta == 'T' ? s->m : s->k, ldc = s->n;
  float one = 1.0f;
  libxsmm_sgemm(&s->tb, &s->ta, &m, &n, &k, &one, b, &lda, a, &ldb, &one, c, &ldc);
}

static double time_it(void (*f)(const shape *, const float *, const float *, float *),
                      const shape *s, const float *a, const float *b, float *c, int reps) {
  double t0 = now();
  for (int i = 0; i < reps; i++) f(s, a, b, c);
  return (now() - t0) / reps;
}

int main(void) {
  static const shape shapes[] = {
    {"rnncell x.W_ih^T", 16, 128, 64, 'N', 'T'},   {"rnncell h.W_hh^T", 16, 128, 128, 'N', 'T'},
    {"rnncell dX=dG.W", 16, 64, 128, 'N', 'N'},    {"rnncell dW+=dG^T.X", 128, 64, 16, 'T', 'N'},
    {"grucell h.W_hh^T", 32, 768, 256, 'N', 'T'},  {"grucell x.W_ih^T", 32, 768, 128, 'N', 'T'},
    {"grucell dW+=dG^T.H", 768, 256, 32, 'T', 'N'}, {"rnn_infer_b1 h.W_hh^T", 1, 256, 256, 'N', 'T'},
    {"rnn_infer_b1 X.W_ih^T", 100, 256, 128, 'N', 'T'},
  };
  enum { ROUNDS = 7 };
  libxsmm_init();
  printf("%-24s %12s %12s %9s\n", "shape (m x n x k)", "openblas us", "libxsmm us", "xsmm/blas");
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    const shape *s = &shapes[i];
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4);
    for (size_t j = 0; j < na; j++) a[j] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t j = 0; j < nb; j++) b[j] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t j = 0; j < nc; j++) c[j] = 0;
    double flops = 2.0 * s->m * s->n * s->k;
    int reps = (int)(5e7 / flops) + 10;
    run_blas(s, a, b, c), run_xsmm(s, a, b, c); /* warm: JIT, thread pool */
    double tb[ROUNDS], tx[ROUNDS], r[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
      tb[round] = time_it(run_blas, s, a, b, c, reps);
      tx[round] = time_it(run_xsmm, s, a, b, c, reps);
      r[round] = tx[round] / tb[round];
    }
    qsort(tb, ROUNDS, sizeof *tb, cmp), qsort(tx, ROUNDS, sizeof *tx, cmp), qsort(r, ROUNDS, sizeof *r, cmp);
    char label[64];
    snprintf(label, sizeof label, "%s %dx%dx%d", s->what, s->m, s->n, s->k);
    printf("%-40s %10.2f %10.2f %8.2f\n", label, 1e6 * tb[ROUNDS / 2], 1e6 * tx[ROUNDS / 2], r[ROUNDS / 2]);
    free(a), free(b), free(c);
  }
  libxsmm_finalize();
  return 0;
}
