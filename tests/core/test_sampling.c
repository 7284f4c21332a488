/* test_sampling.c: random indices for samplers (sampling.c): permutations
 * (the small Fisher-Yates path and the bucketed one), uniform and weighted
 * draws, private seeded streams against the global generator, and errors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lc.h"
#include "lc_sampling.h"
#include "test_util.h"

/* t holds each of base .. base + n - 1 exactly once. */
static bool is_permutation(const lc_tensor *t, int64_t n, int64_t base) {
  if (t->ndim != 1 || t->sizes[0] != n || t->dtype != LC_INT64) return false;
  char *seen = calloc((size_t)(n ? n : 1), 1);
  const int64_t *p = lc_data(t);
  bool ok = true;
  for (int64_t i = 0; i < n && ok; i++) {
    int64_t k = p[i] - base;
    ok = k >= 0 && k < n && !seen[k];
    if (ok) seen[k] = 1;
  }
  free(seen);
  return ok;
}

static bool same(const lc_tensor *a, const lc_tensor *b) {
  return a->sizes[0] == b->sizes[0] &&
         (a->sizes[0] == 0 || /* empty tensors may have no data pointer */
          memcmp(lc_data(a), lc_data(b), (size_t)a->sizes[0] * sizeof(int64_t)) == 0);
}

static void test_randperm(void) {
  int64_t sizes[] = {0, 1, 2, 7, 1000, 65536, 200003};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    int64_t n = sizes[k];
    lc_stream a = {true, 42, 0}, b = {true, 42, 0};
    lc_tensor *p = lc_randperm(n, 1, &a), *q = lc_randperm(n, 1, &b);
    CHECK(is_permutation(p, n, 1));
    CHECK(same(p, q));                          /* one seed, one order */
    CHECK(a.offset == b.offset);
    lc_tensor *r = lc_randperm(n, 1, &a);       /* the stream moved on: a new order */
    CHECK(is_permutation(r, n, 1));
    if (n >= 7) CHECK(!same(p, r));
    lc_release(p);
    lc_release(q);
    lc_release(r);
  }
  /* a private stream leaves the global one alone */
  lc_manual_seed(9);
  lc_tensor *g1 = lc_randperm(50, 0, NULL);
  lc_manual_seed(9);
  lc_stream s = {true, 1, 0};
  lc_tensor *own = lc_randperm(50, 0, &s), *g2 = lc_randperm(50, 0, NULL);
  CHECK(same(g1, g2));
  CHECK(is_permutation(own, 50, 0));
  /* every position takes every value: over many draws of 3, all 6 orders */
  bool seen[3][3][3] = {{{false}}};
  lc_stream t = {true, 5, 0};
  for (int k = 0; k < 200; k++) {
    lc_tensor *x = lc_randperm(3, 0, &t);
    const int64_t *v = lc_data(x);
    seen[v[0]][v[1]][v[2]] = true;
    lc_release(x);
  }
  int orders = 0;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++) orders += seen[i][j][k];
  CHECK(orders == 6);
  lc_release(g1);
  lc_release(g2);
  lc_release(own);
}

static void test_draws(void) {
  lc_stream s = {true, 3, 0};
  lc_tensor *u = lc_randindex(4, 4000, 1, &s);
  int64_t counts[5] = {0};
  const int64_t *v = lc_data(u);
  for (int i = 0; i < 4000; i++) {
    CHECK(v[i] >= 1 && v[i] <= 4);
    if (v[i] >= 1 && v[i] <= 4) counts[v[i]]++;
  }
  for (int k = 1; k <= 4; k++) CHECK(counts[k] > 850 && counts[k] < 1150);
  lc_release(u);

  int64_t n4 = 4;
  lc_tensor *w = lc_empty(LC_FLOAT64, 1, &n4);
  double wv[4] = {1, 0, 3, 0};
  memcpy(lc_data(w), wv, sizeof wv);
  lc_tensor *m = lc_multinomial(w, 4000, true, 1, &s);
  int64_t c[5] = {0};
  v = lc_data(m);
  for (int i = 0; i < 4000; i++) c[v[i]]++;
  CHECK(c[2] == 0 && c[4] == 0);
  CHECK(c[3] > 2850 && c[3] < 3150); /* three quarters */
  lc_release(m);

  lc_tensor *once = lc_multinomial(w, 2, false, 0, &s);
  v = lc_data(once);
  CHECK((v[0] == 0 && v[1] == 2) || (v[0] == 2 && v[1] == 0));
  lc_release(once);

  CHECK(lc_multinomial(w, 3, false, 0, &s) == NULL);
  CHECK_CONTAINS(lc_error(), "cannot draw 3 samples without replacement from 2 categories");
  wv[1] = -1;
  memcpy(lc_data(w), wv, sizeof wv);
  CHECK(lc_multinomial(w, 1, true, 0, &s) == NULL);
  CHECK_CONTAINS(lc_error(), "weights must be finite and non-negative, got -1 at index 2");
  double zeros[4] = {0, 0, 0, 0};
  memcpy(lc_data(w), zeros, sizeof zeros);
  CHECK(lc_multinomial(w, 1, true, 0, &s) == NULL);
  CHECK_CONTAINS(lc_error(), "the weights sum to zero");
  CHECK(lc_multinomial(NULL, 1, true, 0, &s) == NULL);
  CHECK_CONTAINS(lc_error(), "multinomial: weights are required");
  CHECK(lc_randperm(-1, 0, &s) == NULL);
  CHECK_CONTAINS(lc_error(), "randperm: n must be at least 0, got -1");
  CHECK(lc_randindex(0, 3, 0, &s) == NULL);
  CHECK_CONTAINS(lc_error(), "cannot draw from an empty range");
  lc_release(w);
}

int main(void) {
  test_randperm();
  test_draws();
  return test_summary();
}
