/* test_loss.c: the fused cross entropy and NLL losses and index_select /
 * embedding: values worked out by hand, errors, and float64
 * finite-difference gradients. */
#include <math.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

/* -log softmax(x)[t] for one row, the reference. */
static double ref_ce(const double *x, int c, int t) {
  double mx = x[0], s = 0;
  for (int i = 1; i < c; i++) mx = fmax(mx, x[i]);
  for (int i = 0; i < c; i++) s += exp(x[i] - mx);
  return mx + log(s) - x[t];
}

static void test_cross_entropy_values(void) {
  double xv[] = {0.5, -1.0, 2.0, 0.1, 3.0, 1.0, -2.0, 0.0, 0.3};
  for (int d = 0; d < 2; d++) {
    lc_dtype dt = d ? LC_FLOAT32 : LC_FLOAT64;
    double tol = d ? 1e-6 : 1e-14;
    lc_tensor *x = from(dt, 2, DIMS(3, 3), xv);
    lc_tensor *t = from(LC_INT64, 1, DIMS(3), (double[]){2, 0, 1});
    double r0 = ref_ce(xv, 3, 2), r1 = ref_ce(xv + 3, 3, 0), r2 = ref_ce(xv + 6, 3, 1);
    lc_tensor *none = lc_cross_entropy(x, t, NULL, -100, LC_REDUCTION_NONE, 0, 0);
    CHECK(none && none->ndim == 1 && none->sizes[0] == 3 && none->dtype == dt);
    if (none) {
      CHECK_NEAR(lc_get(none, 0), r0, tol);
      CHECK_NEAR(lc_get(none, 1), r1, tol);
      CHECK_NEAR(lc_get(none, 2), r2, tol);
    }
    lc_tensor *sum = lc_cross_entropy(x, t, NULL, -100, LC_REDUCTION_SUM, 0, 0);
    lc_tensor *mean = lc_cross_entropy(x, t, NULL, -100, LC_REDUCTION_MEAN, 0, 0);
    CHECK(sum && mean && sum->ndim == 0);
    if (sum && mean) {
      CHECK_NEAR(lc_get(sum, 0), r0 + r1 + r2, 3 * tol);
      CHECK_NEAR(lc_get(mean, 0), (r0 + r1 + r2) / 3, tol);
    }
    /* ignoring class 0 drops the second sample; weights divide the mean */
    lc_tensor *w = from(dt, 1, DIMS(3), (double[]){1.0, 2.0, 0.5});
    lc_tensor *wm = lc_cross_entropy(x, t, w, 0, LC_REDUCTION_MEAN, 0, 0);
    CHECK(wm != NULL);
    if (wm) CHECK_NEAR(lc_get(wm, 0), (0.5 * r0 + 2.0 * r2) / 2.5, tol);
    /* nll on log_softmax equals cross entropy */
    lc_tensor *ls = lc_log_softmax(x, 1);
    lc_tensor *nll = lc_nll_loss(ls, t, w, 0, LC_REDUCTION_MEAN, 0);
    CHECK(nll && wm);
    if (nll && wm) CHECK_NEAR(lc_get(nll, 0), lc_get(wm, 0), tol);
    lc_release(x), lc_release(t), lc_release(none), lc_release(sum), lc_release(mean);
    lc_release(w), lc_release(wm), lc_release(ls), lc_release(nll);
  }
}

static void test_cross_entropy_stable(void) {
  lc_tensor *x = from(LC_FLOAT64, 1, DIMS(3), (double[]){1000, 0, -1000});
  lc_tensor *t = from(LC_INT64, 0, NULL, (double[]){1});
  lc_tensor *l = lc_cross_entropy(x, t, NULL, -100, LC_REDUCTION_MEAN, 0, 0);
  CHECK(l && isfinite(lc_get(l, 0)));
  if (l) CHECK_NEAR(lc_get(l, 0), 1000, 1e-9);
  lc_release(x), lc_release(t), lc_release(l);
}

static void test_loss_errors(void) {
  lc_tensor *x = lc_zeros(LC_FLOAT64, 2, DIMS(4, 5));
  lc_tensor *t3 = lc_zeros(LC_INT64, 1, DIMS(3));
  lc_tensor *t4 = from(LC_INT64, 1, DIMS(4), (double[]){0, 7, 1, 2});
  lc_tensor *tf = lc_zeros(LC_FLOAT64, 1, DIMS(4));
  CHECK(lc_cross_entropy(x, t3, NULL, -100, LC_REDUCTION_MEAN, 0, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "cross_entropy: target has shape (3), expected (4) for input (4, 5)");
  CHECK(lc_cross_entropy(x, t4, NULL, -100, LC_REDUCTION_MEAN, 0, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "cross_entropy: target 7 is out of range for 5 classes");
  CHECK(lc_nll_loss(x, tf, NULL, -100, LC_REDUCTION_MEAN, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "nll_loss: target must be an int64 tensor");
  CHECK(lc_cross_entropy(x, t4, NULL, 7, LC_REDUCTION_MEAN, 1.5, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "label_smoothing must be a number in [0, 1]");
  lc_tensor *w = lc_zeros(LC_FLOAT64, 1, DIMS(3));
  CHECK(lc_cross_entropy(x, t4, w, 7, LC_REDUCTION_MEAN, 0, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "weight has shape (3), expected (5) for 5 classes");
  lc_release(x), lc_release(t3), lc_release(t4), lc_release(tf), lc_release(w);
}

/* ---- gradients ----------------------------------------------------------- */

typedef struct {
  lc_tensor *target, *weight;
  int64_t ignore;
  lc_reduction reduction;
  double eps;
  bool nll;
  int64_t base; /* the targets' */
} loss_args;

static lc_tensor *loss_fn(lc_tensor *const *in, void *ctx) {
  loss_args *a = ctx;
  lc_tensor *l = a->nll ? lc_nll_loss(in[0], a->target, a->weight, a->ignore, a->reduction, a->base)
                        : lc_cross_entropy(in[0], a->target, a->weight, a->ignore, a->reduction,
                                           a->eps, a->base);
  if (!l || a->reduction != LC_REDUCTION_NONE) return l;
  lc_tensor *s = gc_weighted_sum(l);
  lc_release(l);
  return s;
}

static void test_loss_gradcheck(void) {
  /* (N, C, d) = (3, 4, 2), targets (3, 2) with an ignored class 2 */
  lc_tensor *x = gc_leaf(3, DIMS(3, 4, 2), -2, 2);
  lc_tensor *t = from(LC_INT64, 2, DIMS(3, 2), (double[]){0, 3, 2, 1, 1, 2});
  lc_tensor *w = from(LC_FLOAT64, 1, DIMS(4), (double[]){0.5, 1.5, 2.0, 0.7});
  lc_reduction reds[] = {LC_REDUCTION_NONE, LC_REDUCTION_MEAN, LC_REDUCTION_SUM};
  for (int r = 0; r < 3; r++)
    for (int nll = 0; nll < 2; nll++) {
      loss_args a = {t, w, 2, reds[r], nll ? 0 : 0.25, nll, 0};
      CHECK(gradcheck(nll ? "nll_loss" : "cross_entropy", loss_fn, &x, 1, &a) == 0);
      loss_args b = {t, NULL, -100, reds[r], 0, nll, 0};
      CHECK(gradcheck(nll ? "nll_loss plain" : "cross_entropy plain", loss_fn, &x, 1, &b) == 0);
    }
  lc_release(x), lc_release(t), lc_release(w);
}

/* ---- index_select and embedding ------------------------------------------ */

static lc_tensor *index_fn(lc_tensor *const *in, void *ctx) {
  lc_tensor **args = ctx; /* index, and a dim encoded as a 0-dim int64 tensor */
  lc_tensor *y = lc_index_select(in[0], (int)lc_get_int(args[1], 0), args[0], 0);
  lc_tensor *s = y ? gc_weighted_sum(y) : NULL;
  lc_release(y);
  return s;
}

static lc_tensor *embedding_fn(lc_tensor *const *in, void *ctx) {
  lc_tensor *y = lc_embedding(in[0], ctx, 1, 0);
  lc_tensor *s = y ? gc_weighted_sum(y) : NULL;
  lc_release(y);
  return s;
}

static void test_index_select(void) {
  double v[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  lc_tensor *x = from(LC_FLOAT32, 2, DIMS(3, 4), v);
  lc_tensor *idx = from(LC_INT64, 1, DIMS(3), (double[]){2, 0, 2});
  lc_tensor *rows = lc_index_select(x, 0, idx, 0), *cols = lc_index_select(x, 1, idx, 0);
  CHECK(rows && rows->sizes[0] == 3 && rows->sizes[1] == 4);
  CHECK(cols && cols->sizes[0] == 3 && cols->sizes[1] == 3);
  if (rows) CHECK(lc_get(rows, 0) == 8 && lc_get(rows, 4) == 0 && lc_get(rows, 11) == 11);
  if (cols) CHECK(lc_get(cols, 0) == 2 && lc_get(cols, 1) == 0 && lc_get(cols, 5) == 6);
  lc_tensor *bad = from(LC_INT64, 1, DIMS(1), (double[]){4});
  CHECK(lc_index_select(x, 1, bad, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "index_select: index 4 is out of range for dim 2 of size 4");
  CHECK(lc_index_select(x, 0, x, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "index must be an int64 tensor");

  /* gradient: repeated rows accumulate */
  lc_tensor *g = gc_leaf(3, DIMS(3, 4, 3), -1, 1);
  for (int d = 0; d < 3; d++) {
    lc_tensor *dim = lc_scalar(LC_INT64, d);
    lc_tensor *ctx[2] = {idx, dim};
    CHECK(gradcheck("index_select", index_fn, &g, 1, ctx) == 0);
    lc_release(dim);
  }
  /* embedding: padding row 1 gets no gradient */
  lc_tensor *wt = gc_leaf(2, DIMS(4, 3), -1, 1);
  lc_tensor *ids = from(LC_INT64, 2, DIMS(2, 2), (double[]){1, 3, 3, 0});
  lc_tensor *e = lc_embedding(wt, ids, 1, 0);
  CHECK(e && e->ndim == 3 && e->sizes[0] == 2 && e->sizes[1] == 2 && e->sizes[2] == 3);
  if (e) {
    lc_tensor *s = lc_sum(e, LC_ALL_DIMS, false);
    CHECK(s && lc_backward(&s, NULL, 1, false) == 0);
    lc_release(s);
    CHECK(wt->grad && lc_get(wt->grad, 3) == 0 && lc_get(wt->grad, 9) == 2 && lc_get(wt->grad, 0) == 1);
  }
  lc_release(e);
  lc_tensor *ids2 = from(LC_INT64, 2, DIMS(2, 2), (double[]){2, 3, 3, 0});
  CHECK(gradcheck("embedding", embedding_fn, &wt, 1, ids2) == 0);
  lc_release(x), lc_release(idx), lc_release(rows), lc_release(cols), lc_release(bad);
  lc_release(g), lc_release(wt), lc_release(ids), lc_release(ids2);
}

/* Indices counted from base 1 pick what base 0 picks with every index one
 * lower, forward and backward, and the range check moves with the base. */
static void test_index_base(void) {
  lc_tensor *x = lc_arange(LC_FLOAT64, 0, 12, 1), *x2 = x ? lc_view(x, 2, DIMS(3, 4)) : NULL;
  lc_tensor *i0 = from(LC_INT64, 1, DIMS(3), VALS(2, 0, 2)), *i1 = from(LC_INT64, 1, DIMS(3), VALS(3, 1, 3));
  lc_tensor *a = lc_index_select(x2, 1, i0, 0), *b = lc_index_select(x2, 1, i1, 1);
  CHECK(a && b && lc_same_shape(a, b));
  for (int64_t k = 0; a && b && k < lc_numel(a); k++) CHECK(lc_get(a, k) == lc_get(b, k));
  lc_release(a), lc_release(b);
  lc_tensor *top = from(LC_INT64, 1, DIMS(1), VALS(4));
  b = lc_index_select(x2, 1, top, 1); /* 4 is the last column from base 1 */
  CHECK(b && lc_get(b, 0) == 3);
  lc_release(b);
  CHECK(lc_index_select(x2, 1, top, 0) == NULL && lc_error_code() == LC_ERR_INDEX);

  /* embedding from base 1: padding row 2 (1-based) gets no gradient */
  lc_tensor *wt = gc_leaf(2, DIMS(4, 3), -1, 1);
  lc_tensor *ids = from(LC_INT64, 2, DIMS(2, 2), VALS(2, 4, 4, 1));
  lc_tensor *e = lc_embedding(wt, ids, 2, 1);
  CHECK(e && e->ndim == 3 && lc_get(e, 0) == lc_get(wt, 3) && lc_get(e, 3) == lc_get(wt, 9));
  lc_tensor *s = e ? lc_sum(e, LC_ALL_DIMS, false) : NULL;
  CHECK(s && lc_backward(&s, NULL, 1, false) == 0);
  CHECK(wt->grad && lc_get(wt->grad, 3) == 0 && lc_get(wt->grad, 9) == 2 && lc_get(wt->grad, 0) == 1);
  lc_release(s), lc_release(e);
  CHECK(lc_embedding(wt, i0, 0, 1) == NULL); /* index 0 from base 1 */
  CHECK_CONTAINS(lc_error(), "embedding: index 0 is out of range for num_embeddings 4 (indices are 1-based");

  /* class targets and ignore_index from base 1, gradients included */
  lc_tensor *logits = gc_leaf(2, DIMS(3, 4), -1, 1);
  lc_tensor *t0 = from(LC_INT64, 1, DIMS(3), VALS(2, 0, 3)), *t1 = from(LC_INT64, 1, DIMS(3), VALS(3, 1, 4));
  lc_tensor *l0 = lc_cross_entropy(logits, t0, NULL, 0, LC_REDUCTION_NONE, 0.1, 0);
  lc_tensor *l1 = lc_cross_entropy(logits, t1, NULL, 1, LC_REDUCTION_NONE, 0.1, 1);
  CHECK(l0 && l1 && lc_get(l1, 1) == 0); /* ignored: target 1 == ignore_index 1 */
  for (int k = 0; l0 && l1 && k < 3; k++) CHECK(k == 1 || lc_get(l0, k) == lc_get(l1, k));
  lc_release(l0), lc_release(l1);
  loss_args args1 = {.target = t1, .ignore = 3, .reduction = LC_REDUCTION_MEAN, .eps = 0.2, .base = 1};
  CHECK(gradcheck("cross_entropy base 1", loss_fn, &logits, 1, &args1) == 0);
  args1.nll = true;
  CHECK(gradcheck("nll_loss base 1", loss_fn, &logits, 1, &args1) == 0);
  lc_tensor *t5 = from(LC_INT64, 1, DIMS(3), VALS(1, 5, 2));
  CHECK(lc_nll_loss(logits, t5, NULL, -100, LC_REDUCTION_SUM, 1) == NULL);
  CHECK(strcmp(lc_error(), "nll_loss: target 5 is out of range for 4 classes") == 0);
  lc_release(x), lc_release(x2), lc_release(i0), lc_release(i1), lc_release(top), lc_release(wt);
  lc_release(ids), lc_release(logits), lc_release(t0), lc_release(t1), lc_release(t5);
}

int main(void) {
  test_cross_entropy_values();
  test_cross_entropy_stable();
  test_loss_errors();
  test_loss_gradcheck();
  test_index_select();
  test_index_base();
  return test_summary();
}
