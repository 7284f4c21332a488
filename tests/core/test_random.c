/* test_random.c: the Philox generator behind rand, randn, randint, uniform_
 * and normal_, and the thread controls in parallel.c. */
#include <stdlib.h>

#include "lc_internal.h"
#include "test_util.h"

/* Bitwise equality of two contiguous tensors' values. */
static bool same_values(const lc_tensor *a, const lc_tensor *b) {
  return a && b && a->dtype == b->dtype && lc_same_shape(a, b) &&
         memcmp(lc_data(a), lc_data(b), lc_nbytes(a)) == 0;
}

typedef struct {
  double min, max, mean, var;
} stats;

static stats stats_of(const lc_tensor *t) {
  int64_t n = lc_numel(t);
  stats s = {INFINITY, -INFINITY, 0, 0};
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < n; i++) {
    double v = lc_get(t, i);
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
    sum += v;
    sq += v * v;
  }
  s.mean = sum / n;
  s.var = sq / n - s.mean * s.mean;
  return s;
}

static void test_default_seed(void) {
  /* Runs before anything reseeds. */
  CHECK(lc_initial_seed() == 0x5eed);
}

static void test_reproducible(void) {
  int64_t n[] = {1000};
  lc_dtype dts[] = {LC_FLOAT32, LC_FLOAT64};
  for (int k = 0; k < 2; k++) {
    lc_manual_seed(42);
    lc_tensor *a = lc_rand(dts[k], 1, n), *a2 = lc_randn(dts[k], 1, n);
    lc_manual_seed(42);
    lc_tensor *b = lc_rand(dts[k], 1, n), *b2 = lc_randn(dts[k], 1, n);
    CHECK(same_values(a, b));
    CHECK(same_values(a2, b2));
    CHECK(a && a2 && b && b2);
    lc_release(a), lc_release(a2), lc_release(b), lc_release(b2);
  }
  CHECK(lc_initial_seed() == 42);

  lc_manual_seed(7);
  lc_tensor *a = lc_randint(0, 1000000, 1, n);
  lc_manual_seed(7);
  lc_tensor *b = lc_randint(0, 1000000, 1, n);
  CHECK(same_values(a, b));
  lc_release(a), lc_release(b);
}

static void test_streams_differ(void) {
  int64_t n[] = {64};
  lc_manual_seed(1);
  lc_tensor *a = lc_rand(LC_FLOAT64, 1, n);
  lc_tensor *next = lc_rand(LC_FLOAT64, 1, n); /* the offset moved on */
  lc_manual_seed(2);
  lc_tensor *b = lc_rand(LC_FLOAT64, 1, n);
  CHECK(a && b && next);
  CHECK(!same_values(a, b));
  CHECK(!same_values(a, next));
  lc_release(a), lc_release(b), lc_release(next);

  /* An empty draw takes no counters. */
  int64_t zero[] = {0}, four[] = {4};
  lc_manual_seed(3);
  lc_tensor *e = lc_rand(LC_FLOAT32, 1, zero);
  lc_tensor *x = lc_rand(LC_FLOAT32, 1, four);
  lc_manual_seed(3);
  lc_tensor *y = lc_rand(LC_FLOAT32, 1, four);
  CHECK(e && lc_numel(e) == 0);
  CHECK(same_values(x, y));
  lc_release(e), lc_release(x), lc_release(y);

  /* A 0-dim draw is one value. */
  lc_tensor *s = lc_rand(LC_FLOAT64, 0, NULL);
  CHECK(s && s->ndim == 0 && lc_numel(s) == 1);
  if (s) CHECK(lc_get(s, 0) >= 0 && lc_get(s, 0) < 1);
  lc_release(s);
}

/* Draws a bit of everything with a given thread count. */
static void draw_all(int threads, lc_tensor **out) {
  lc_set_num_threads(threads);
  CHECK(lc_get_num_threads() == threads);
  int64_t n[] = {3 * LC_PARALLEL_GRAIN + 7}; /* above the grain, ragged tail */
  int64_t m[] = {LC_PARALLEL_GRAIN + 3, 3};
  lc_manual_seed(1234);
  out[0] = lc_rand(LC_FLOAT32, 1, n);
  out[1] = lc_rand(LC_FLOAT64, 1, n);
  out[2] = lc_randn(LC_FLOAT32, 1, n);
  out[3] = lc_randn(LC_FLOAT64, 1, n);
  out[4] = lc_randint(-50, 50, 1, n);
  /* a non-contiguous fill, compared through a contiguous copy */
  lc_tensor *base = lc_zeros(LC_FLOAT32, 2, m);
  lc_tensor *tr = base ? lc_transpose(base, 0, 1) : NULL;
  if (tr) lc_normal_(tr, 1.0, 2.0);
  out[5] = tr ? lc_contiguous(tr) : NULL;
  lc_release(tr), lc_release(base);
}

static void test_thread_invariance(void) {
  int before = lc_get_num_threads();
  lc_tensor *one[6], *two[6], *four[6];
  draw_all(1, one);
  draw_all(2, two);
  draw_all(4, four);
  for (int k = 0; k < 6; k++) {
    CHECK(same_values(one[k], two[k]));
    CHECK(same_values(one[k], four[k]));
    lc_release(one[k]), lc_release(two[k]), lc_release(four[k]);
  }
  lc_set_num_threads(before);
}

static void test_uniform_stats(void) {
  int64_t n[] = {1000000};
  lc_dtype dts[] = {LC_FLOAT32, LC_FLOAT64};
  lc_manual_seed(99);
  for (int k = 0; k < 2; k++) {
    lc_tensor *t = lc_rand(dts[k], 1, n);
    CHECK(t && t->dtype == dts[k] && lc_numel(t) == n[0]);
    if (!t) continue;
    stats s = stats_of(t);
    CHECK(s.min >= 0.0);
    CHECK(s.max < 1.0);
    CHECK_NEAR(s.mean, 0.5, 0.002);      /* sd of the mean ~ 0.0003 */
    CHECK_NEAR(s.var, 1.0 / 12, 0.001);
    lc_release(t);
  }
}

static void test_normal_stats(void) {
  int64_t n[] = {1000000};
  lc_dtype dts[] = {LC_FLOAT32, LC_FLOAT64};
  lc_manual_seed(5);
  for (int k = 0; k < 2; k++) {
    lc_tensor *t = lc_randn(dts[k], 1, n);
    CHECK(t && t->dtype == dts[k]);
    if (!t) continue;
    stats s = stats_of(t);
    CHECK(isfinite(s.min) && isfinite(s.max));
    CHECK(s.min < -4 && s.max > 4); /* tails are there: P(|z| > 4) ~ 6e-5 */
    CHECK_NEAR(s.mean, 0.0, 0.005);
    CHECK_NEAR(sqrt(s.var), 1.0, 0.005);
    lc_release(t);
  }

  /* normal_ with a mean and std */
  int64_t m[] = {200000};
  lc_tensor *t = lc_empty(LC_FLOAT32, 1, m);
  CHECK(t && lc_normal_(t, 3.0, 2.0) == 0);
  if (t) {
    stats s = stats_of(t);
    CHECK_NEAR(s.mean, 3.0, 0.03);
    CHECK_NEAR(sqrt(s.var), 2.0, 0.03);
  }
  /* std 0 is allowed: every value is the mean */
  CHECK(t && lc_normal_(t, -1.5, 0.0) == 0);
  if (t) {
    stats s = stats_of(t);
    CHECK(s.min == -1.5 && s.max == -1.5);
  }
  lc_release(t);
}

static void test_randint(void) {
  int64_t n[] = {20000};
  lc_manual_seed(11);
  lc_tensor *t = lc_randint(-3, 5, 1, n);
  CHECK(t && t->dtype == LC_INT64 && lc_numel(t) == n[0]);
  if (t) {
    int64_t hits[8] = {0};
    bool in_range = true;
    for (int64_t i = 0; i < n[0]; i++) {
      int64_t v = lc_get_int(t, i);
      if (v < -3 || v >= 5) in_range = false;
      else hits[v + 3]++;
    }
    CHECK(in_range);
    for (int k = 0; k < 8; k++) CHECK(hits[k] > 2000); /* ~2500 each */
  }
  lc_release(t);

  t = lc_randint(7, 8, 1, n);
  CHECK(t && stats_of(t).min == 7 && stats_of(t).max == 7);
  lc_release(t);

  /* the widest range: high - low overflows int64 but not the generator */
  t = lc_randint(INT64_MIN, INT64_MAX, 1, n);
  CHECK(t != NULL);
  if (t) {
    bool neg = false, pos = false, high = false;
    for (int64_t i = 0; i < n[0]; i++) {
      int64_t v = lc_get_int(t, i);
      neg |= v < 0, pos |= v > 0, high |= v == INT64_MAX;
    }
    CHECK(neg && pos && !high);
  }
  lc_release(t);
}

static void test_uniform_view(void) {
  /* A 5x3 view of the transpose of a 4x10 base (base rows 1..3, columns
   * 2..6): uniform_ must write exactly those 15 elements. */
  int64_t sz[] = {4, 10};
  lc_tensor *base = lc_full(LC_FLOAT64, 2, sz, -1.0);
  lc_tensor *tr = base ? lc_transpose(base, 0, 1) : NULL;          /* 10x4 */
  lc_tensor *view = tr ? lc_narrow(tr, 0, 2, 5) : NULL;            /* rows 2..6 */
  lc_tensor *v2 = view ? lc_narrow(view, 1, 1, 3) : NULL;          /* cols 1..3 */
  CHECK(v2 && !lc_is_contiguous(v2));
  if (!v2) goto done;
  uint64_t version = base->storage->version;
  lc_manual_seed(21);
  CHECK(lc_uniform_(v2, 2.0, 3.0) == 0);
  CHECK(base->storage->version > version);
  int inside = 0, untouched = 0;
  for (int64_t r = 0; r < 4; r++) {
    for (int64_t c = 0; c < 10; c++) {
      double v = lc_get(base, r * 10 + c);
      bool in_view = c >= 2 && c < 7 && r >= 1 && r < 4;
      if (in_view && v >= 2.0 && v < 3.0) inside++;
      if (!in_view && v == -1.0) untouched++;
    }
  }
  CHECK(inside == 15);
  CHECK(untouched == 40 - 15);

  /* A view is filled in its own row-major order: the same numbers a
   * contiguous tensor of its shape gets. */
  lc_tensor *flat = lc_empty(LC_FLOAT64, v2->ndim, v2->sizes);
  lc_manual_seed(21);
  CHECK(flat && lc_uniform_(flat, 2.0, 3.0) == 0);
  lc_tensor *vc = lc_contiguous(v2);
  CHECK(same_values(flat, vc));
  lc_release(flat), lc_release(vc);
done:
  lc_release(v2), lc_release(view), lc_release(tr), lc_release(base);
}

static void test_uniform_bounds(void) {
  /* [1, 1 + 1 ulp) in float32: rounding a + (b - a) u must never give b. */
  int64_t n[] = {100000};
  lc_tensor *t = lc_empty(LC_FLOAT32, 1, n);
  float hi = nextafterf(1.0f, 2.0f);
  CHECK(t && lc_uniform_(t, 1.0, hi) == 0);
  if (t) {
    stats s = stats_of(t);
    CHECK(s.min >= 1.0 && s.max < hi);
  }
  CHECK(t && lc_uniform_(t, -5.0, -5.0) == 0); /* empty-width range: a */
  if (t) CHECK(stats_of(t).max == -5.0);
  lc_release(t);
}

static void test_errors(void) {
  int64_t n[] = {4}, neg[] = {3, -1}, many[LC_MAX_DIMS + 1];
  for (int i = 0; i <= LC_MAX_DIMS; i++) many[i] = 1;

  CHECK(lc_randint(5, 5, 1, n) == NULL);
  CHECK_CONTAINS(lc_error(), "randint: high (5) must be greater than low (5)");
  CHECK(lc_randint(5, -2, 1, n) == NULL);
  CHECK_CONTAINS(lc_error(), "randint: high (-2) must be greater than low (5)");
  CHECK(lc_randint(0, 3, 2, neg) == NULL);
  CHECK_CONTAINS(lc_error(), "randint");

  CHECK(lc_rand(LC_INT64, 1, n) == NULL);
  CHECK_CONTAINS(lc_error(), "rand: ");
  CHECK_CONTAINS(lc_error(), "int64");
  CHECK(lc_randn(LC_INT64, 1, n) == NULL);
  CHECK_CONTAINS(lc_error(), "randn: ");
  CHECK(lc_rand(LC_FLOAT32, 2, neg) == NULL);
  CHECK_CONTAINS(lc_error(), "rand: ");
  CHECK(lc_randn(LC_FLOAT64, LC_MAX_DIMS + 1, many) == NULL);
  CHECK_CONTAINS(lc_error(), "randn: ");

  lc_tensor *i = lc_zeros(LC_INT64, 1, n);
  CHECK(i && lc_uniform_(i, 0, 1) == -1);
  CHECK_CONTAINS(lc_error(), "uniform_: expected a floating point tensor, got int64");
  CHECK(i && lc_normal_(i, 0, 1) == -1);
  CHECK_CONTAINS(lc_error(), "normal_: expected a floating point tensor, got int64");
  CHECK(i && lc_get_int(i, 0) == 0 && lc_get_int(i, 3) == 0);
  lc_release(i);

  lc_tensor *f = lc_zeros(LC_FLOAT32, 1, n);
  CHECK(f && lc_normal_(f, 0, -1) == -1);
  CHECK_CONTAINS(lc_error(), "normal_");
  CHECK(f && lc_normal_(f, 0, NAN) == -1);
  CHECK_CONTAINS(lc_error(), "normal_");
  CHECK(f && lc_uniform_(f, 1, 0) == -1);
  CHECK_CONTAINS(lc_error(), "uniform_");
  CHECK(f && lc_uniform_(f, -INFINITY, 0) == -1);
  CHECK_CONTAINS(lc_error(), "uniform_");
  CHECK(f && stats_of(f).min == 0 && stats_of(f).max == 0); /* failures write nothing */

  /* an expanded view aliases one element many times */
  int64_t big[] = {3, 4};
  lc_tensor *one = lc_zeros(LC_FLOAT32, 1, (int64_t[]){1});
  lc_tensor *ex = one ? lc_expand(one, 2, big) : NULL;
  CHECK(ex && lc_uniform_(ex, 0, 1) == -1);
  CHECK_CONTAINS(lc_error(), "uniform_");
  lc_release(ex), lc_release(one);

  /* a leaf that requires grad may only be filled with grad mode off */
  if (f) {
    f->requires_grad = true;
    CHECK(lc_uniform_(f, 0, 1) == -1);
    CHECK_CONTAINS(lc_error(), "uniform_");
    bool prev = lc_set_grad_enabled(false);
    CHECK(lc_uniform_(f, 0, 1) == 0);
    CHECK(lc_normal_(f, 0, 1) == 0);
    lc_set_grad_enabled(prev);
  }
  lc_release(f);
}

static void test_clock(void) {
  double a = lc_clock(), b = lc_clock();
  CHECK(a > 0 && b >= a);
}

int main(void) {
  test_default_seed();
  test_reproducible();
  test_streams_differ();
  test_thread_invariance();
  test_uniform_stats();
  test_normal_stats();
  test_randint();
  test_uniform_view();
  test_uniform_bounds();
  test_errors();
  test_clock();
  return test_summary();
}
