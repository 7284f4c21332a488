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

static inline int test_summary(void) {
  printf("%d passed, %d failed\n", test_passed, test_failed);
  return test_failed != 0;
}

#endif
