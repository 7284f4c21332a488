/* test_reduce.c: sum, mean, max/min/argmax, softmax and log_softmax: values
 * on hand-computed tensors (contiguous and strided), errors, and float64
 * finite-difference checks of every gradient. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

/* ---- helpers ------------------------------------------------------------- */

static void check_ints(const lc_tensor *t, int ndim, const int64_t *sizes, const int64_t *vals) {
  CHECK(t != NULL);
  if (!t) return;
  CHECK(t->dtype == LC_INT64);
  CHECK(t->ndim == ndim);
  if (t->ndim != ndim) return;
  for (int i = 0; i < ndim; i++) CHECK(t->sizes[i] == sizes[i]);
  for (int64_t i = 0; i < lc_numel(t); i++) CHECK(lc_get_int(t, i) == vals[i]);
}

/* A fixed pseudo-random stream, independent of the library's generator. */
static uint64_t rng = 88172645463325252ull;
static double rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1; /* [-1, 1) */
}

static lc_tensor *random_tensor(lc_dtype dt, int ndim, const int64_t *sizes) {
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  for (int64_t i = 0; i < lc_numel(t); i++) {
    if (dt == LC_FLOAT32) ((float *)lc_data(t))[i] = (float)rnd();
    else ((double *)lc_data(t))[i] = rnd();
  }
  return t;
}

#define S(...) ((const int64_t[]){__VA_ARGS__})
#define V(...) ((const double[]){__VA_ARGS__})
#define I(...) ((const int64_t[]){__VA_ARGS__})

/* ---- sum and mean -------------------------------------------------------- */

static void test_sum_values(void) {
  for (int d = 0; d < 2; d++) {
    lc_dtype dt = d ? LC_FLOAT64 : LC_FLOAT32;
    lc_tensor *x = from(dt, 2, S(2, 3), V(1, 2, 3, 4, 5, 6));
    lc_tensor *r;
    r = lc_sum(x, 0, false);
    check_tensor(r, 1, S(3), V(5, 7, 9), 0);
    CHECK(r && r->dtype == dt);
    lc_release(r);
    r = lc_sum(x, 1, false), check_tensor(r, 1, S(2), V(6, 15), 0), lc_release(r);
    r = lc_sum(x, -1, true), check_tensor(r, 2, S(2, 1), V(6, 15), 0), lc_release(r);
    r = lc_sum(x, -2, true), check_tensor(r, 2, S(1, 3), V(5, 7, 9), 0), lc_release(r);
    r = lc_sum(x, LC_ALL_DIMS, false), check_tensor(r, 0, NULL, V(21), 0), lc_release(r);
    r = lc_sum(x, LC_ALL_DIMS, true), check_tensor(r, 2, S(1, 1), V(21), 0), lc_release(r);
    r = lc_mean(x, 0, false), check_tensor(r, 1, S(3), V(2.5, 3.5, 4.5), 1e-7), lc_release(r);
    r = lc_mean(x, 1, true), check_tensor(r, 2, S(2, 1), V(2, 5), 1e-7), lc_release(r);
    r = lc_mean(x, LC_ALL_DIMS, false), check_tensor(r, 0, NULL, V(3.5), 1e-7), lc_release(r);

    /* transposed view: (3, 2) with strides (1, 3) */
    lc_tensor *xt = lc_transpose(x, 0, 1);
    CHECK(!lc_is_contiguous(xt));
    r = lc_sum(xt, 0, false), check_tensor(r, 1, S(2), V(6, 15), 0), lc_release(r);
    r = lc_sum(xt, 1, false), check_tensor(r, 1, S(3), V(5, 7, 9), 0), lc_release(r);
    r = lc_sum(xt, LC_ALL_DIMS, false), check_tensor(r, 0, NULL, V(21), 0), lc_release(r);
    r = lc_mean(xt, -1, false), check_tensor(r, 1, S(3), V(2.5, 3.5, 4.5), 1e-7), lc_release(r);

    /* expanded view: a (1, 3) row seen as (4, 3) with stride 0 */
    lc_tensor *row = lc_narrow(x, 0, 1, 1);
    lc_tensor *ex = lc_expand(row, 2, S(4, 3));
    CHECK(ex && ex->strides[0] == 0);
    r = lc_sum(ex, 0, false), check_tensor(r, 1, S(3), V(16, 20, 24), 0), lc_release(r);
    r = lc_sum(ex, 1, false), check_tensor(r, 1, S(4), V(15, 15, 15, 15), 0), lc_release(r);
    r = lc_sum(ex, LC_ALL_DIMS, false), check_tensor(r, 0, NULL, V(60), 0), lc_release(r);
    r = lc_mean(ex, 0, true), check_tensor(r, 2, S(1, 3), V(4, 5, 6), 1e-7), lc_release(r);
    lc_release(ex), lc_release(row), lc_release(xt), lc_release(x);
  }

  /* 3-D, middle dim: outer 2, reduce 3, inner 2 */
  double v[12];
  for (int i = 0; i < 12; i++) v[i] = i;
  lc_tensor *x3 = from(LC_FLOAT64, 3, S(2, 3, 2), v);
  lc_tensor *r = lc_sum(x3, 1, false);
  check_tensor(r, 2, S(2, 2), V(6, 9, 24, 27), 0);
  lc_release(r);
  r = lc_sum(x3, 1, true);
  check_tensor(r, 3, S(2, 1, 2), V(6, 9, 24, 27), 0);
  lc_release(r);
  lc_release(x3);

  /* int64 sums stay int64 and exact */
  lc_tensor *xi = from(LC_INT64, 2, S(2, 2), V(1, -2, 3, 4));
  r = lc_sum(xi, 0, false);
  check_ints(r, 1, S(2), I(4, 2));
  lc_release(r);
  ((int64_t *)lc_data(xi))[0] = INT64_C(1) << 60;
  r = lc_sum(xi, LC_ALL_DIMS, false);
  check_ints(r, 0, NULL, I((INT64_C(1) << 60) + 5));
  lc_release(r);
  lc_release(xi);

  /* 0-dim input, dim 0 and -1 */
  lc_tensor *s = lc_scalar(LC_FLOAT32, 2.5);
  r = lc_sum(s, 0, false), check_tensor(r, 0, NULL, V(2.5), 0), lc_release(r);
  r = lc_mean(s, -1, true), check_tensor(r, 0, NULL, V(2.5), 0), lc_release(r);
  lc_release(s);

  /* empty reductions: a sum of nothing is 0, a mean NaN */
  lc_tensor *e = lc_zeros(LC_FLOAT32, 2, S(2, 0));
  r = lc_sum(e, 1, false), check_tensor(r, 1, S(2), V(0, 0), 0), lc_release(r);
  r = lc_sum(e, 0, false), check_tensor(r, 1, S(0), V(0), 0), lc_release(r);
  r = lc_mean(e, 1, false);
  CHECK(r && isnan(lc_get(r, 0)));
  lc_release(r);
  lc_release(e);
}

/* Long reductions are split into chunks, and big ones run on threads: the
 * result must match a plain double loop and not depend on the thread count. */
static void test_sum_large(void) {
  int64_t n = 1000003;
  lc_tensor *x = random_tensor(LC_FLOAT32, 1, &n);
  const float *p = lc_data(x);
  double ref = 0;
  for (int64_t i = 0; i < n; i++) ref += p[i];
  int threads = lc_get_num_threads();
  lc_set_num_threads(1);
  lc_tensor *a = lc_sum(x, LC_ALL_DIMS, false);
  lc_set_num_threads(4);
  lc_tensor *b = lc_sum(x, 0, false);
  lc_set_num_threads(threads);
  CHECK_NEAR(lc_get(a, 0), ref, 1e-5 * fabs(ref) + 1e-3);
  CHECK(((float *)lc_data(a))[0] == ((float *)lc_data(b))[0]);
  lc_release(a), lc_release(b);

  /* sum over dim 0 of (n/7 rows, 7): chunked along the reduced dim, inner 7 */
  lc_tensor *head = lc_narrow(x, 0, 0, 999999);
  lc_tensor *m = lc_view(head, 2, S(142857, 7));
  lc_tensor *s0 = lc_sum(m, 0, false), *s1 = lc_sum(m, 1, false);
  for (int j = 0; j < 7; j++) {
    double c = 0;
    for (int64_t i = 0; i < 142857; i++) c += p[i * 7 + j];
    CHECK_NEAR(lc_get(s0, j), c, 1e-5 * fabs(c) + 1e-4);
  }
  bool ok = true;
  for (int64_t i = 0; i < 142857; i++) {
    double c = 0;
    for (int j = 0; j < 7; j++) c += p[i * 7 + j];
    if (fabs(lc_get(s1, i) - c) > 1e-6) ok = false;
  }
  CHECK(ok);
  lc_release(s0), lc_release(s1);
  lc_release(m), lc_release(head);
  lc_release(x);

  /* float32 0.1 a million times: blocks of 8 in float, then double lanes, so
   * the error stays at the rounding of a few float additions */
  int64_t big = 1000000;
  lc_tensor *f = lc_full(LC_FLOAT32, 1, &big, 0.1);
  lc_tensor *fs = lc_sum(f, LC_ALL_DIMS, false);
  CHECK_NEAR(lc_get(fs, 0), 1e6 * (double)0.1f, 1e-5 * 1e5);
  CHECK(fabs(((float *)lc_data(fs))[0] - 1e6 * (double)0.1f) <= 4 * 1e5 * 1.2e-7);
  lc_release(fs), lc_release(f);
}

/* ---- max, min, argmax ---------------------------------------------------- */

static void test_max_min(void) {
  lc_tensor *x = from(LC_FLOAT32, 2, S(2, 3), V(3, 7, 7, -1, -5, -1));
  lc_tensor *idx, *r;
  r = lc_max(x, 1, false, 0, &idx);
  check_tensor(r, 1, S(2), V(7, -1), 0), check_ints(idx, 1, S(2), I(1, 0)); /* ties: first */
  lc_release(r), lc_release(idx);
  r = lc_min(x, 1, true, 0, &idx);
  check_tensor(r, 2, S(2, 1), V(3, -5), 0), check_ints(idx, 2, S(2, 1), I(0, 1));
  lc_release(r), lc_release(idx);
  r = lc_max(x, 0, false, 0, &idx);
  check_tensor(r, 1, S(3), V(3, 7, 7), 0), check_ints(idx, 1, S(3), I(0, 0, 0));
  lc_release(r), lc_release(idx);
  r = lc_min(x, -2, false, 0, NULL);
  check_tensor(r, 1, S(3), V(-1, -5, -1), 0);
  lc_release(r);
  r = lc_max(x, LC_ALL_DIMS, false, 0, &idx);
  check_tensor(r, 0, NULL, V(7), 0), check_ints(idx, 0, NULL, I(1));
  lc_release(r), lc_release(idx);
  r = lc_min(x, LC_ALL_DIMS, false, 0, &idx);
  check_tensor(r, 0, NULL, V(-5), 0), check_ints(idx, 0, NULL, I(4));
  lc_release(r), lc_release(idx);
  r = lc_argmax(x, 1, false, 0), check_ints(r, 1, S(2), I(1, 0)), lc_release(r);
  r = lc_argmax(x, 0, true, 0), check_ints(r, 2, S(1, 3), I(0, 0, 0)), lc_release(r);
  r = lc_argmax(x, LC_ALL_DIMS, false, 0), check_ints(r, 0, NULL, I(1)), lc_release(r);

  /* transposed: (3, 2) = [[3, -1], [7, -5], [7, -1]] */
  lc_tensor *xt = lc_transpose(x, 0, 1);
  r = lc_max(xt, 0, false, 0, &idx);
  check_tensor(r, 1, S(2), V(7, -1), 0), check_ints(idx, 1, S(2), I(1, 0));
  lc_release(r), lc_release(idx);
  r = lc_min(xt, 1, false, 0, &idx);
  check_tensor(r, 1, S(3), V(-1, -5, -1), 0), check_ints(idx, 1, S(3), I(1, 1, 1));
  lc_release(r), lc_release(idx);
  /* flat position 2 is (1, 0) of the view */
  r = lc_argmax(xt, LC_ALL_DIMS, false, 0), check_ints(r, 0, NULL, I(2)), lc_release(r);
  lc_release(xt);

  /* expanded: every row is the same, so the first row wins */
  lc_tensor *row = lc_narrow(x, 0, 0, 1);
  lc_tensor *ex = lc_expand(row, 2, S(3, 3));
  r = lc_max(ex, 0, false, 0, &idx);
  check_tensor(r, 1, S(3), V(3, 7, 7), 0), check_ints(idx, 1, S(3), I(0, 0, 0));
  lc_release(r), lc_release(idx);
  r = lc_argmax(ex, LC_ALL_DIMS, false, 0), check_ints(r, 0, NULL, I(1)), lc_release(r);
  lc_release(ex), lc_release(row), lc_release(x);

  /* int64 */
  lc_tensor *xi = from(LC_INT64, 1, S(4), V(4, -9, 12, 12));
  r = lc_max(xi, 0, false, 0, &idx);
  CHECK(r && r->dtype == LC_INT64);
  check_ints(r, 0, NULL, I(12)), check_ints(idx, 0, NULL, I(2));
  lc_release(r), lc_release(idx);
  r = lc_min(xi, LC_ALL_DIMS, false, 0, NULL), check_ints(r, 0, NULL, I(-9)), lc_release(r);
  r = lc_argmax(xi, -1, false, 0), check_ints(r, 0, NULL, I(2)), lc_release(r);
  lc_release(xi);

  /* NaN propagates, with its (first) position */
  lc_tensor *xn = from(LC_FLOAT64, 2, S(2, 3), V(1, NAN, 5, NAN, 2, NAN));
  r = lc_max(xn, 1, false, 0, &idx);
  CHECK(r && isnan(lc_get(r, 0)) && isnan(lc_get(r, 1)));
  check_ints(idx, 1, S(2), I(1, 0));
  lc_release(r), lc_release(idx);
  r = lc_min(xn, 0, false, 0, &idx);
  CHECK(r && isnan(lc_get(r, 0)) && isnan(lc_get(r, 1)) && isnan(lc_get(r, 2)));
  check_ints(idx, 1, S(3), I(1, 0, 1));
  lc_release(r), lc_release(idx);
  r = lc_argmax(xn, LC_ALL_DIMS, false, 0), check_ints(r, 0, NULL, I(1)), lc_release(r);
  lc_release(xn);

  /* 0-dim input */
  lc_tensor *s = lc_scalar(LC_FLOAT64, -3);
  r = lc_max(s, 0, false, 0, &idx);
  check_tensor(r, 0, NULL, V(-3), 0), check_ints(idx, 0, NULL, I(0));
  lc_release(r), lc_release(idx), lc_release(s);

  /* long rows: chunks combine in order, so a tie across chunks keeps the first */
  int64_t n = 100000;
  lc_tensor *big = lc_zeros(LC_FLOAT32, 1, &n);
  float *p = lc_data(big);
  p[70000] = 5, p[40000] = 5, p[99999] = -1;
  r = lc_max(big, 0, false, 0, &idx);
  check_tensor(r, 0, NULL, V(5), 0), check_ints(idx, 0, NULL, I(40000));
  lc_release(r), lc_release(idx);
  r = lc_min(big, LC_ALL_DIMS, false, 0, &idx);
  check_tensor(r, 0, NULL, V(-1), 0), check_ints(idx, 0, NULL, I(99999));
  lc_release(r), lc_release(idx);
  p[80000] = NAN;
  r = lc_argmax(big, 0, false, 0), check_ints(r, 0, NULL, I(80000)), lc_release(r);
  /* the same with columns: (50000, 2) over dim 0, chunked, inner 2 */
  lc_tensor *cols = lc_view(big, 2, S(50000, 2));
  r = lc_max(cols, 0, false, 0, &idx); /* column 0: 5 at rows 20000, 35000, NaN at 40000 */
  CHECK(r && isnan(lc_get(r, 0)) && lc_get(r, 1) == 0);
  check_ints(idx, 1, S(2), I(40000, 0));
  lc_release(r), lc_release(idx);
  p[80000] = 0, p[3] = -1;
  r = lc_min(cols, 0, true, 0, &idx);
  check_tensor(r, 2, S(1, 2), V(0, -1), 0), check_ints(idx, 2, S(1, 2), I(0, 1));
  lc_release(r), lc_release(idx);
  r = lc_argmax(cols, -2, false, 0), check_ints(r, 1, S(2), I(20000, 0)), lc_release(r);
  lc_release(cols);
  lc_release(big);
}

/* ---- softmax, log_softmax ------------------------------------------------ */

static void test_softmax_values(void) {
  double e1 = exp(1.0), e2 = exp(2.0);
  double z = 1 + e1 + e2;
  for (int d = 0; d < 2; d++) {
    lc_dtype dt = d ? LC_FLOAT64 : LC_FLOAT32;
    double tol = d ? 1e-12 : 1e-6;
    /* the second row is the first + 1000: stable only if the max is subtracted */
    lc_tensor *x = from(dt, 2, S(2, 3), V(0, 1, 2, 1000, 1001, 1002));
    lc_tensor *r = lc_softmax(x, 1);
    check_tensor(r, 2, S(2, 3), V(1 / z, e1 / z, e2 / z, 1 / z, e1 / z, e2 / z), tol);
    CHECK(r && r->dtype == dt);
    lc_release(r);
    r = lc_log_softmax(x, -1);
    double lz = log(z);
    check_tensor(r, 2, S(2, 3), V(-lz, 1 - lz, 2 - lz, -lz, 1 - lz, 2 - lz), d ? 1e-12 : 1e-5);
    lc_release(r);
    /* dim 0: columns are (0, 1000), (1, 1001), (2, 1002): ~(0, 1) each */
    r = lc_softmax(x, 0);
    double tiny = exp(-1000.0);
    check_tensor(r, 2, S(2, 3), V(tiny, tiny, tiny, 1, 1, 1), tol);
    lc_release(r);
    r = lc_log_softmax(x, 0);
    check_tensor(r, 2, S(2, 3), V(-1000, -1000, -1000, 0, 0, 0), d ? 1e-9 : 1e-3);
    lc_release(r);

    /* transposed input: softmax over its dim 0 is softmax over x's rows */
    lc_tensor *xt = lc_transpose(x, 0, 1);
    r = lc_softmax(xt, 0);
    check_tensor(r, 2, S(3, 2), V(1 / z, 1 / z, e1 / z, e1 / z, e2 / z, e2 / z), tol);
    lc_release(r);
    /* expanded: every row equal */
    lc_tensor *row = lc_narrow(x, 0, 0, 1);
    lc_tensor *ex = lc_expand(row, 2, S(2, 3));
    r = lc_log_softmax(ex, 1);
    check_tensor(r, 2, S(2, 3), V(-lz, 1 - lz, 2 - lz, -lz, 1 - lz, 2 - lz), d ? 1e-12 : 1e-5);
    lc_release(r);
    lc_release(ex), lc_release(row), lc_release(xt), lc_release(x);
  }

  /* a NaN spoils its row only; a 0-dim softmax is 1 */
  lc_tensor *xn = from(LC_FLOAT64, 2, S(2, 2), V(0, NAN, 0, 0));
  lc_tensor *r = lc_softmax(xn, 1);
  CHECK(r && isnan(lc_get(r, 0)) && isnan(lc_get(r, 1)));
  CHECK(r && lc_get(r, 2) == 0.5 && lc_get(r, 3) == 0.5);
  lc_release(r), lc_release(xn);
  lc_tensor *s = lc_scalar(LC_FLOAT32, 7);
  r = lc_softmax(s, 0), check_tensor(r, 0, NULL, V(1), 0), lc_release(r);
  r = lc_log_softmax(s, -1), check_tensor(r, 0, NULL, V(0), 0), lc_release(r);
  lc_release(s);
}

/* ---- errors -------------------------------------------------------------- */

static void test_errors(void) {
  lc_tensor *x = lc_zeros(LC_FLOAT32, 2, S(2, 3));
  lc_tensor *xi = lc_zeros(LC_INT64, 2, S(2, 3));
  lc_tensor *idx = (lc_tensor *)1;
  CHECK(lc_sum(x, 3, false) == NULL);
  CHECK_CONTAINS(lc_error(), "sum: dim 4 out of range for a 2-D tensor");
  CHECK(lc_mean(x, -3, false) == NULL);
  CHECK_CONTAINS(lc_error(), "mean: dim -3 out of range");
  CHECK(lc_max(x, 2, false, 0, &idx) == NULL && idx == NULL);
  CHECK_CONTAINS(lc_error(), "max: dim 3 out of range");
  CHECK(lc_argmax(x, 5, false, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "argmax: dim 6");
  CHECK(lc_softmax(x, 2) == NULL);
  CHECK_CONTAINS(lc_error(), "softmax: dim 3 out of range");
  CHECK(lc_log_softmax(x, LC_ALL_DIMS) == NULL);
  CHECK_CONTAINS(lc_error(), "log_softmax: dim");

  CHECK(lc_mean(xi, 0, false) == NULL);
  CHECK_CONTAINS(lc_error(), "mean: expected a floating point tensor, got int64");
  CHECK(lc_softmax(xi, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "softmax: expected a floating point tensor, got int64");
  CHECK(lc_log_softmax(xi, 1) == NULL);
  CHECK_CONTAINS(lc_error(), "log_softmax: expected a floating point tensor, got int64");

  lc_tensor *e = lc_zeros(LC_FLOAT64, 2, S(2, 0));
  CHECK(lc_max(e, 1, false, 0, NULL) == NULL);
  CHECK_CONTAINS(lc_error(), "max: cannot reduce over dim 2 of size 0");
  CHECK(lc_min(e, LC_ALL_DIMS, false, 0, NULL) == NULL);
  CHECK_CONTAINS(lc_error(), "min: cannot reduce an empty tensor");
  CHECK(lc_argmax(e, -1, false, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "argmax: cannot reduce over dim 2");
  lc_tensor *r = lc_max(e, 0, false, 0, NULL); /* the reduced dim is not empty */
  check_tensor(r, 1, S(0), V(0), 0);
  lc_release(r);
  lc_release(e), lc_release(x), lc_release(xi);
}

/* ---- gradients ----------------------------------------------------------- */

typedef enum { SUM, MEAN, MAX, MIN, SOFTMAX, LOG_SOFTMAX } op_kind;
static const char *const op_names[] = {"sum", "mean", "max", "min", "softmax", "log_softmax"};

typedef struct {
  op_kind op;
  int dim;
  bool keepdim;
} grad_case;

static lc_tensor *apply(const grad_case *c, const lc_tensor *x) {
  switch (c->op) {
  case SUM: return lc_sum(x, c->dim, c->keepdim);
  case MEAN: return lc_mean(x, c->dim, c->keepdim);
  case MAX: return lc_max(x, c->dim, c->keepdim, 0, NULL);
  case MIN: return lc_min(x, c->dim, c->keepdim, 0, NULL);
  case SOFTMAX: return lc_softmax(x, c->dim);
  case LOG_SOFTMAX: return lc_log_softmax(x, c->dim);
  }
  return NULL;
}

/* loss = sum(op(x) * w) for a fixed random w */
static lc_tensor *loss_of(const grad_case *c, const lc_tensor *x, lc_tensor **w) {
  lc_tensor *y = apply(c, x);
  if (!y) return NULL;
  if (!*w) *w = random_tensor(LC_FLOAT64, y->ndim, y->sizes);
  lc_tensor *yw = lc_binary(LC_MUL, y, *w);
  lc_tensor *l = lc_sum(yw, LC_ALL_DIMS, false);
  lc_release(yw), lc_release(y);
  return l;
}

/* Compares the leaf's gradient with central differences. `view` builds the
 * op's input from the leaf: 0 as is, 1 transposed (a (4, 3) leaf seen as
 * (3, 4)), 2 expanded (a (1, 4) leaf seen as (3, 4), stride 0). */
static void grad_check(const grad_case *c, int view) {
  const int64_t *leaf_sizes = view == 1 ? S(4, 3) : view == 2 ? S(1, 4) : S(3, 4);
  lc_tensor *leaf = random_tensor(LC_FLOAT64, 2, leaf_sizes);
  leaf->requires_grad = true;
  lc_tensor *x = view == 1 ? lc_transpose(leaf, 0, 1)
                 : view == 2 ? lc_expand(leaf, 2, S(3, 4)) : lc_retain(leaf);
  lc_tensor *w = NULL;
  lc_tensor *loss = loss_of(c, x, &w);
  int failed = test_failed;
  CHECK(loss != NULL);
  if (!loss) {
    fprintf(stderr, "  error: %s\n", lc_error());
    goto done;
  }
  CHECK(lc_backward(&loss, NULL, 1, false) == 0);
  CHECK(leaf->grad != NULL);
  if (!leaf->grad) {
    fprintf(stderr, "  error: %s\n", lc_error());
    goto done;
  }
  CHECK(lc_same_shape(leaf->grad, leaf) && leaf->grad->dtype == LC_FLOAT64);

  bool was = lc_set_grad_enabled(false);
  double *p = lc_data(leaf), eps = 1e-6;
  for (int64_t i = 0; i < lc_numel(leaf); i++) {
    double keep = p[i];
    p[i] = keep + eps;
    lc_tensor *lp = loss_of(c, x, &w);
    p[i] = keep - eps;
    lc_tensor *lm = loss_of(c, x, &w);
    p[i] = keep;
    double fd = (lc_get(lp, 0) - lc_get(lm, 0)) / (2 * eps);
    CHECK_NEAR(lc_get(leaf->grad, i), fd, 1e-7 * fmax(1, fabs(fd)));
    lc_release(lp), lc_release(lm);
  }
  lc_set_grad_enabled(was);
done:
  if (test_failed != failed)
    fprintf(stderr, "  in the gradient check of %s dim %d keepdim %d view %d\n", op_names[c->op],
            c->dim, c->keepdim, view);
  lc_release(loss), lc_release(w), lc_release(x), lc_release(leaf);
}

static void test_gradients(void) {
  const grad_case cases[] = {
      {SUM, 1, false},         {SUM, 0, true},          {SUM, -1, true},
      {SUM, LC_ALL_DIMS, false}, {SUM, LC_ALL_DIMS, true}, {MEAN, 0, false},
      {MEAN, -1, true},        {MEAN, LC_ALL_DIMS, false}, {MAX, 1, false},
      {MAX, 0, true},          {MAX, LC_ALL_DIMS, false}, {MIN, -2, false},
      {MIN, 1, true},          {MIN, LC_ALL_DIMS, false}, {SOFTMAX, 1, false},
      {SOFTMAX, 0, false},     {LOG_SOFTMAX, -1, false}, {LOG_SOFTMAX, 0, false},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
    for (int view = 0; view < 3; view++) {
      /* an expanded input has exact ties along dim 0: max/min are not differentiable there */
      if (view == 2 && (cases[k].op == MAX || cases[k].op == MIN)) continue;
      grad_check(&cases[k], view);
    }
}

/* Exact gradients where finite differences cannot go: ties. */
static void test_tie_gradients(void) {
  /* max over all elements shares the gradient among the tied maxima (PyTorch 1.13) */
  lc_tensor *x = from(LC_FLOAT32, 2, S(2, 2), V(1, 3, 3, 2));
  x->requires_grad = true;
  lc_tensor *m = lc_max(x, LC_ALL_DIMS, false, 0, NULL);
  CHECK(m && m->grad_fn);
  CHECK(lc_backward(&m, NULL, 1, false) == 0);
  check_tensor(x->grad, 2, S(2, 2), V(0, 0.5, 0.5, 0), 0);
  lc_release(m), lc_release(x);

  /* over a dim it goes to the first of the tied positions only */
  x = from(LC_FLOAT64, 2, S(2, 3), V(4, 4, 1, 0, 2, 2));
  x->requires_grad = true;
  lc_tensor *idx;
  m = lc_max(x, 1, false, 0, &idx);
  lc_tensor *l = lc_sum(m, LC_ALL_DIMS, false);
  CHECK(lc_backward(&l, NULL, 1, false) == 0);
  check_tensor(x->grad, 2, S(2, 3), V(1, 0, 0, 0, 1, 0), 0);
  CHECK(idx && !idx->requires_grad);
  lc_release(l), lc_release(m), lc_release(idx), lc_release(x);

  /* NaN maximum: the gradient goes to the NaNs */
  x = from(LC_FLOAT64, 1, S(4), V(1, NAN, 3, NAN));
  x->requires_grad = true;
  m = lc_min(x, LC_ALL_DIMS, false, 0, NULL);
  CHECK(lc_backward(&m, NULL, 1, false) == 0);
  check_tensor(x->grad, 1, S(4), V(0, 0.5, 0, 0.5), 0);
  lc_release(m), lc_release(x);

  /* argmax has no gradient */
  x = from(LC_FLOAT64, 1, S(3), V(1, 2, 3));
  x->requires_grad = true;
  lc_tensor *a = lc_argmax(x, 0, false, 0);
  CHECK(a && !a->requires_grad && !a->grad_fn);
  lc_release(a);
  /* no graph when grad mode is off */
  bool was = lc_set_grad_enabled(false);
  lc_tensor *s = lc_sum(x, 0, false);
  CHECK(s && !s->grad_fn && !s->requires_grad);
  lc_release(s);
  lc_set_grad_enabled(was);
  lc_release(x);
}

/* Positions counted from base 1 are those from base 0 plus one, and max's
 * backward reads them back: the gradient lands where it does from base 0. */
static void test_index_base(void) {
  lc_tensor *x = from(LC_FLOAT64, 2, S(2, 3), V(3, 7, 1, -1, -5, 4));
  x->requires_grad = true;
  lc_tensor *idx, *r = lc_max(x, 1, false, 1, &idx);
  check_ints(idx, 1, S(2), I(2, 3));
  lc_tensor *l = r ? lc_sum(r, LC_ALL_DIMS, false) : NULL;
  CHECK(l && lc_backward(&l, NULL, 1, false) == 0);
  check_tensor(x->grad, 2, S(2, 3), V(0, 1, 0, 0, 0, 1), 0);
  lc_release(l), lc_release(r), lc_release(idx);
  r = lc_min(x, 0, true, 1, &idx), check_ints(idx, 2, S(1, 3), I(2, 2, 1));
  lc_release(r), lc_release(idx);
  r = lc_argmax(x, LC_ALL_DIMS, false, 1), check_ints(r, 0, NULL, I(2)), lc_release(r);
  r = lc_argmin(x, 1, false, 1), check_ints(r, 1, S(2), I(3, 2)), lc_release(r);
  lc_tensor *o[1] = {NULL};
  CHECK(lc_reduce_op_run(LC_RED_ARGMIN, x, 1, (const int[]){0}, false, NULL, 1, o) == 0);
  check_ints(o[0], 1, S(3), I(2, 2, 1));
  lc_release(o[0]), lc_release(x);
}

/* A saved tensor changed in place must make backward fail, not lie. */
static void test_saved_modified(void) {
  lc_tensor *x = from(LC_FLOAT64, 2, S(2, 2), V(1, 2, 3, 4));
  x->requires_grad = true;
  lc_tensor *y = lc_softmax(x, 1);
  lc_tensor *l = lc_sum(y, LC_ALL_DIMS, false);
  lc_tensor *alias = lc_detach(y);
  CHECK(lc_binary_scalar_(LC_ADD, alias, 1) == 0);
  CHECK(lc_backward(&l, NULL, 1, false) != 0);
  CHECK_CONTAINS(lc_error(), "modified by an in-place operation");
  lc_release(alias), lc_release(l), lc_release(y), lc_release(x);

  x = from(LC_FLOAT64, 2, S(2, 2), V(1, 2, 3, 4));
  x->requires_grad = true;
  lc_tensor *idx;
  y = lc_max(x, 0, false, 0, &idx);
  l = lc_sum(y, LC_ALL_DIMS, false);
  CHECK(lc_binary_scalar_(LC_MUL, idx, 0) == 0);
  CHECK(lc_backward(&l, NULL, 1, false) != 0);
  CHECK_CONTAINS(lc_error(), "MaxBackward");
  lc_release(idx), lc_release(l), lc_release(y), lc_release(x);
}

/* Every row of the reduction table is complete, and a few values by hand
 * (the rest come from PyTorch: tests/lua/lucid/math_spec.lua). */
static void test_reduce_table(void) {
  for (int op = 0; op < LC_REDUCE_COUNT; op++) {
    const lc_reduce_info *in = lc_reduce_info_of((lc_reduce_op)op);
    CHECK(in && in->name && in->name[0] && (in->n_out == 1 || in->n_out == 2));
    CHECK(in->n_args >= 1 && in->n_args <= LC_REDUCE_MAX_ARGS && in->lo < in->hi);
    for (int k = 0; k < in->n_args; k++) CHECK(in->args[k] && in->args[k][0]);
  }
  CHECK(lc_reduce_info_of(LC_REDUCE_COUNT) == NULL);
  lc_tensor *x = from(LC_FLOAT64, 3, DIMS(2, 3, 2), VALS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
  lc_tensor *o[2] = {NULL, NULL};
  /* sum over dims 0 and 2 (in any order), keepdim */
  CHECK(lc_reduce_op_run(LC_RED_SUM, x, 2, (const int[]){2, 0}, true, NULL, 0, o) == 0);
  check_tensor(o[0], 3, DIMS(1, 3, 1), VALS(1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12), 0);
  lc_release(o[0]);
  /* var with correction 0 over dim 1, and var_mean's mean */
  CHECK(lc_reduce_op_run(LC_RED_VAR_MEAN, x, 1, (const int[]){1}, false, VALS(1, 0), 0, o) == 0);
  check_tensor(o[0], 2, DIMS(2, 2), VALS(8.0 / 3, 8.0 / 3, 8.0 / 3, 8.0 / 3), 1e-15);
  check_tensor(o[1], 2, DIMS(2, 2), VALS(3, 4, 9, 10), 0);
  lc_release(o[0]), lc_release(o[1]);
  CHECK(lc_reduce_op_run(LC_RED_SUM, x, 2, (const int[]){1, -2}, false, NULL, 0, o) == -1);
  CHECK_CONTAINS(lc_error(), "sum: dim 2 appears more than once");
  lc_release(x);
}

int main(void) {
  test_sum_values();
  test_sum_large();
  test_max_min();
  test_softmax_values();
  test_errors();
  test_gradients();
  test_tie_gradients();
  test_saved_modified();
  test_reduce_table();
  test_index_base();
  return test_summary();
}
