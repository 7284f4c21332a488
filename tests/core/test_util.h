/* test_util.h: the assertions shared by the C tests. Each test is its own
 * executable, so the counters can be file-static. End main with
 * `return test_summary();`. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

/* A failure prints where it happened and counts; the test goes on, so one
 * run reports every broken check. */
#define CHECK(cond)                                                       \
  do {                                                                    \
    if (cond) test_passed++;                                              \
    else {                                                                \
      test_failed++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                     \
  } while (0)

/* NaN on either side fails. */
#define CHECK_NEAR(a, b, tol)                                                  \
  do {                                                                         \
    double a_ = (a), b_ = (b), tol_ = (tol);                                   \
    if (fabs(a_ - b_) <= tol_) test_passed++;                                  \
    else {                                                                     \
      test_failed++;                                                           \
      fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.17g, %s = %.17g, tol %g\n", \
              __FILE__, __LINE__, #a, a_, #b, b_, tol_);                       \
    }                                                                          \
  } while (0)

/* For error messages: s (may be NULL) must contain sub. */
#define CHECK_CONTAINS(s, sub)                                                 \
  do {                                                                         \
    const char *s_ = (s), *sub_ = (sub);                                       \
    if (s_ && strstr(s_, sub_)) test_passed++;                                 \
    else {                                                                     \
      test_failed++;                                                           \
      fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: \"%s\" does not contain \"%s\"\n", \
              __FILE__, __LINE__, s_ ? s_ : "(null)", sub_);                   \
    }                                                                          \
  } while (0)

#ifdef LC_H /* tensor helpers, for the tests of the core (lc.h included first) */

#define DIMS(...) ((int64_t[]){__VA_ARGS__})
#define VALS(...) ((double[]){__VA_ARGS__})

/* Element i (row-major, of a contiguous tensor) set to v. */
static inline void set(lc_tensor *t, int64_t i, double v) {
  switch (t->dtype) {
  case LC_FLOAT32: ((float *)lc_data(t))[i] = (float)v; break;
  case LC_FLOAT64: ((double *)lc_data(t))[i] = v; break;
  case LC_INT64: ((int64_t *)lc_data(t))[i] = (int64_t)v; break;
  case LC_BOOL: ((bool *)lc_data(t))[i] = v != 0; break;
  }
}

/* A tensor of dtype dt and the given sizes holding vals (row-major). */
static inline lc_tensor *from(lc_dtype dt, int ndim, const int64_t *sizes, const double *vals) {
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  for (int64_t i = 0; i < lc_numel(t); i++) set(t, i, vals[i]);
  return t;
}

/* Checks t's shape and values (read through its strides): NaN and infinities
 * exactly, other values within tol * (1 + |expected|). */
static inline void check_tensor(const lc_tensor *t, int ndim, const int64_t *sizes, const double *vals,
                                double tol) {
  CHECK(t != NULL);
  if (!t) {
    fprintf(stderr, "  error: %s\n", lc_error());
    return;
  }
  CHECK(t->ndim == ndim);
  if (t->ndim != ndim) return;
  for (int i = 0; i < ndim; i++) CHECK(t->sizes[i] == sizes[i]);
  for (int64_t i = 0; i < lc_numel(t); i++) {
    double a = lc_get(t, i), e = vals[i];
    if (isnan(e)) {
      CHECK(isnan(a));
      if (!isnan(a)) fprintf(stderr, "  element %lld: got %g, want nan\n", (long long)i, a);
    }
    else if (isinf(e)) CHECK(a == e);
    else CHECK_NEAR(a, e, tol * (1 + fabs(e)));
  }
}

#endif

static inline int test_summary(void) {
  printf("%d passed, %d failed\n", test_passed, test_failed);
  return test_failed != 0;
}

#endif
