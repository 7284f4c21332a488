/* test_linalg.c: lc_gemm and lc_matmul values (every torch.matmul case, with
 * transposed, strided and expanded operands), errors, and finite-difference
 * gradients. */
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

/* A contiguous tensor from values (NULL: a fixed small-integer pattern). */
static lc_tensor *make(lc_dtype dt, int ndim, const int64_t *sizes, const double *v) {
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  for (int64_t i = 0; i < lc_numel(t); i++) set(t, i, v ? v[i] : (double)((i * 7) % 11) - 5);
  return t;
}

static bool values_are(const lc_tensor *t, int ndim, const int64_t *sizes, const double *v,
                       double tol) {
  if (!t || t->ndim != ndim) return false;
  for (int i = 0; i < ndim; i++)
    if (t->sizes[i] != sizes[i]) return false;
  for (int64_t i = 0; i < lc_numel(t); i++)
    if (fabs(lc_get(t, i) - v[i]) > tol) return false;
  return true;
}

/* Reference torch.matmul in doubles through lc_get, for any strides. Returns
 * a malloc'd array and the output shape. */
static double *ref_matmul(const lc_tensor *a, const lc_tensor *b, int *ndim, int64_t *sizes) {
  int64_t as[LC_MAX_DIMS + 1], bs[LC_MAX_DIMS + 1];
  int na = a->ndim, nb = b->ndim;
  for (int i = 0; i < na; i++) as[i] = a->sizes[i];
  for (int i = 0; i < nb; i++) bs[i] = b->sizes[i];
  if (a->ndim == 1) as[1] = as[0], as[0] = 1, na = 2;
  if (b->ndim == 1) bs[1] = 1, nb = 2;
  int64_t m = as[na - 2], k = as[na - 1], n = bs[nb - 1];
  int nbat = (na > nb ? na : nb) - 2;
  int64_t bat[LC_MAX_DIMS];
  int64_t nmat = 1;
  for (int i = 0; i < nbat; i++) {
    int ia = i - (nbat - (na - 2)), ib = i - (nbat - (nb - 2));
    int64_t sa = ia >= 0 ? as[ia] : 1, sb = ib >= 0 ? bs[ib] : 1;
    bat[i] = sa == 1 ? sb : sa;
    nmat *= bat[i];
  }
  *ndim = 0;
  for (int i = 0; i < nbat; i++) sizes[(*ndim)++] = bat[i];
  if (a->ndim > 1) sizes[(*ndim)++] = m;
  if (b->ndim > 1) sizes[(*ndim)++] = n;
  double *out = calloc((size_t)(nmat * m * n) + 1, sizeof *out);
  for (int64_t idx = 0; idx < nmat; idx++) {
    int64_t coord[LC_MAX_DIMS], rest = idx;
    for (int i = nbat - 1; i >= 0; i--) coord[i] = rest % bat[i], rest /= bat[i];
    int64_t ba = 0, bb = 0; /* linear batch index into a and b */
    for (int i = 0; i < nbat; i++) {
      int ia = i - (nbat - (na - 2)), ib = i - (nbat - (nb - 2));
      if (ia >= 0) ba = ba * as[ia] + (as[ia] == 1 ? 0 : coord[i]);
      if (ib >= 0) bb = bb * bs[ib] + (bs[ib] == 1 ? 0 : coord[i]);
    }
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double acc = 0;
        for (int64_t p = 0; p < k; p++)
          acc += lc_get(a, (ba * m + i) * k + p) * lc_get(b, (bb * k + p) * n + j);
        out[(idx * m + i) * n + j] = acc;
      }
  }
  return out;
}

/* lc_matmul(a, b) against the reference. */
static bool matmul_matches(const lc_tensor *a, const lc_tensor *b, double tol) {
  int nd;
  int64_t sizes[LC_MAX_DIMS];
  double *want = ref_matmul(a, b, &nd, sizes);
  lc_tensor *c = lc_matmul(a, b);
  if (!c) fprintf(stderr, "matmul failed: %s\n", lc_error());
  bool ok = values_are(c, nd, sizes, want, tol);
  lc_release(c);
  free(want);
  return ok;
}

static void test_hand_values(void) {
  lc_dtype dts[3] = {LC_FLOAT32, LC_FLOAT64, LC_INT64};
  for (int d = 0; d < 3; d++) {
    lc_dtype dt = dts[d];
    lc_tensor *a = make(dt, 2, DIMS(2, 3), VALS(1, 2, 3, 4, 5, 6));
    lc_tensor *b = make(dt, 2, DIMS(3, 2), VALS(7, 8, 9, 10, 11, 12));
    lc_tensor *c = lc_matmul(a, b);
    CHECK(values_are(c, 2, DIMS(2, 2), VALS(58, 64, 139, 154), 0));
    CHECK(c && c->dtype == dt);
    lc_release(c);

    lc_tensor *u = make(dt, 1, DIMS(3), VALS(1, 2, 3)), *v = make(dt, 1, DIMS(3), VALS(4, 5, 6));
    c = lc_matmul(u, v); /* dot: 0-dim */
    CHECK(c && c->ndim == 0 && lc_get(c, 0) == 32);
    lc_release(c);

    lc_tensor *r = make(dt, 1, DIMS(2), VALS(1, 2));
    c = lc_matmul(r, a); /* 1-D @ 2-D */
    CHECK(values_are(c, 1, DIMS(3), VALS(9, 12, 15), 0));
    lc_release(c);

    lc_tensor *col = make(dt, 1, DIMS(3), VALS(1, 0, -1));
    c = lc_matmul(a, col); /* 2-D @ 1-D */
    CHECK(values_are(c, 1, DIMS(2), VALS(-2, -2), 0));
    lc_release(c);

    /* a transposed view: (3, 2) with strides (1, 3) */
    lc_tensor *at = lc_transpose(a, 0, 1);
    c = lc_matmul(at, r);
    CHECK(values_are(c, 1, DIMS(3), VALS(9, 12, 15), 0));
    lc_release(c);
    c = lc_matmul(at, a); /* a^T a */
    CHECK(values_are(c, 2, DIMS(3, 3), VALS(17, 22, 27, 22, 29, 36, 27, 36, 45), 0));
    lc_release(c);

    lc_release(a), lc_release(b), lc_release(u), lc_release(v), lc_release(r);
    lc_release(col), lc_release(at);
  }
}

/* a b with a or b or both replaced by their transposed-view twins ta, tb
 * (the same values, column-major). */
static bool every_transpose(const lc_tensor *a, const lc_tensor *b, const lc_tensor *ta,
                            const lc_tensor *tb, double tol) {
  bool ab = matmul_matches(a, b, tol), tab = matmul_matches(ta, b, tol);
  bool atb = matmul_matches(a, tb, tol), tatb = matmul_matches(ta, tb, tol);
  return ab && tab && atb && tatb;
}

/* Transposed, strided, expanded and sliced operands, in every dtype. */
static void test_layouts(lc_dtype dt) {
  double tol = dt == LC_FLOAT32 ? 1e-4 : 0;
  lc_tensor *a = make(dt, 2, DIMS(4, 5), NULL), *b = make(dt, 2, DIMS(5, 3), NULL);
  lc_tensor *at = make(dt, 2, DIMS(5, 4), NULL), *bt = make(dt, 2, DIMS(3, 5), NULL);
  lc_tensor *ta = lc_transpose(at, 0, 1), *tb = lc_transpose(bt, 0, 1);
  CHECK(every_transpose(a, b, ta, tb, tol));

  /* rows of a wider matrix: lda > cols */
  lc_tensor *wide = make(dt, 2, DIMS(4, 9), NULL);
  lc_tensor *nar = lc_narrow(wide, 1, 2, 5);
  CHECK(matmul_matches(nar, b, tol));
  lc_tensor *tnar = lc_transpose(nar, 0, 1); /* (5, 4) column-major with ld 9 */
  CHECK(matmul_matches(tnar, a, tol));

  /* both strides != 1: needs a copy */
  lc_tensor *cube = make(dt, 3, DIMS(4, 5, 2), NULL);
  lc_tensor *sel = lc_select(cube, 2, 1); /* (4, 5), strides (10, 2) */
  CHECK(matmul_matches(sel, b, tol));
  lc_tensor *selt = lc_transpose(sel, 0, 1); /* (5, 4), strides (2, 10) */
  CHECK(matmul_matches(selt, a, tol));

  /* stride-0 (expanded) operands */
  lc_tensor *row = make(dt, 2, DIMS(1, 5), NULL);
  lc_tensor *erow = lc_expand(row, 2, DIMS(4, 5)); /* strides (0, 1) */
  CHECK(matmul_matches(erow, b, tol));
  lc_tensor *colv = make(dt, 2, DIMS(5, 1), NULL);
  lc_tensor *ecol = lc_expand(colv, 2, DIMS(5, 3)); /* strides (1, 0) */
  CHECK(matmul_matches(a, ecol, tol));
  lc_tensor *s = make(dt, 1, DIMS(1), VALS(2));
  lc_tensor *evec = lc_expand(s, 1, DIMS(5)); /* 1-D, stride 0 */
  CHECK(matmul_matches(evec, b, tol));
  CHECK(matmul_matches(a, evec, tol));
  CHECK(matmul_matches(evec, evec, tol));

  /* a strided 1-D vector (a column of a matrix) goes to BLAS as is */
  lc_tensor *colsel = lc_select(a, 1, 2); /* (4,), stride 5 */
  lc_tensor *bcol = lc_select(b, 1, 0);   /* (5,), stride 3 */
  CHECK(matmul_matches(colsel, a, tol));
  CHECK(matmul_matches(a, bcol, tol));
  CHECK(matmul_matches(bcol, bcol, tol));

  /* size-1 dims with odd strides */
  lc_tensor *one = lc_narrow(a, 0, 1, 1); /* (1, 5) */
  lc_tensor *onet = lc_transpose(one, 0, 1);
  CHECK(matmul_matches(one, b, tol));
  CHECK(matmul_matches(onet, one, tol));

  lc_release(a), lc_release(b), lc_release(at), lc_release(bt), lc_release(ta), lc_release(tb);
  lc_release(wide), lc_release(nar), lc_release(tnar), lc_release(cube), lc_release(sel);
  lc_release(selt), lc_release(row), lc_release(erow), lc_release(colv), lc_release(ecol);
  lc_release(s), lc_release(evec), lc_release(colsel), lc_release(bcol), lc_release(one);
  lc_release(onet);
}

static void test_batched(lc_dtype dt) {
  double tol = dt == LC_FLOAT32 ? 1e-4 : 0;
  lc_tensor *a = make(dt, 4, DIMS(2, 1, 3, 4), NULL), *b = make(dt, 3, DIMS(5, 4, 6), NULL);
  lc_tensor *c = lc_matmul(a, b);
  CHECK(c && c->ndim == 4 && c->sizes[0] == 2 && c->sizes[1] == 5 && c->sizes[2] == 3 &&
        c->sizes[3] == 6);
  lc_release(c);
  CHECK(matmul_matches(a, b, tol));

  lc_tensor *a3 = make(dt, 3, DIMS(3, 2, 4), NULL), *m = make(dt, 2, DIMS(4, 6), NULL);
  lc_tensor *v4 = make(dt, 1, DIMS(4), NULL), *v2 = make(dt, 1, DIMS(2), NULL);
  CHECK(matmul_matches(a3, m, tol));   /* folded into one GEMM */
  CHECK(matmul_matches(a3, v4, tol));  /* (3, 2, 4) @ (4,) -> (3, 2) */
  CHECK(matmul_matches(v2, a3, tol));  /* (2,) @ (3, 2, 4) -> (3, 4) */
  lc_tensor *m2 = make(dt, 2, DIMS(5, 2), NULL);
  CHECK(matmul_matches(m2, a3, tol));  /* (5, 2) @ (3, 2, 4) -> (3, 5, 4) */

  /* batch of transposed matrices: not foldable, BLAS reads the transposes */
  lc_tensor *x = make(dt, 3, DIMS(3, 4, 2), NULL);
  lc_tensor *xt = lc_transpose(x, 1, 2);
  CHECK(matmul_matches(xt, m, tol));
  /* a permuted batch (batch dim innermost in memory) */
  lc_tensor *p = make(dt, 3, DIMS(2, 4, 3), NULL);
  lc_tensor *pp = lc_permute(p, (int[]){2, 0, 1}); /* (3, 2, 4) */
  CHECK(matmul_matches(pp, m, tol));
  /* expanded batch dims on both sides */
  lc_tensor *e = lc_expand(m, 3, DIMS(3, 4, 6));
  CHECK(matmul_matches(a3, e, tol));
  lc_tensor *one = lc_narrow(a3, 0, 1, 1), *ea = lc_expand(one, 3, DIMS(4, 2, 4));
  CHECK(matmul_matches(ea, m, tol)); /* a stride-0 batch cannot be folded */
  lc_release(one), lc_release(ea);
  lc_tensor *b1 = make(dt, 4, DIMS(1, 2, 4, 3), NULL), *b2 = make(dt, 4, DIMS(3, 1, 3, 2), NULL);
  CHECK(matmul_matches(b1, b2, tol));

  lc_release(a), lc_release(b), lc_release(a3), lc_release(m), lc_release(v4), lc_release(v2);
  lc_release(m2), lc_release(x), lc_release(xt), lc_release(p), lc_release(pp), lc_release(e);
  lc_release(b1), lc_release(b2);
}

static void test_empty_and_mixed(void) {
  lc_tensor *a = make(LC_FLOAT32, 2, DIMS(2, 0), NULL), *b = make(LC_FLOAT32, 2, DIMS(0, 3), NULL);
  lc_tensor *c = lc_matmul(a, b); /* k == 0: zeros */
  CHECK(values_are(c, 2, DIMS(2, 3), VALS(0, 0, 0, 0, 0, 0), 0));
  lc_release(c);
  lc_tensor *z = make(LC_FLOAT64, 2, DIMS(0, 3), NULL), *w = make(LC_FLOAT64, 2, DIMS(3, 2), NULL);
  c = lc_matmul(z, w);
  CHECK(c && c->ndim == 2 && c->sizes[0] == 0 && c->sizes[1] == 2);
  lc_release(c);
  lc_tensor *zb = make(LC_FLOAT64, 3, DIMS(0, 2, 3), NULL);
  c = lc_matmul(zb, w);
  CHECK(c && c->ndim == 3 && c->sizes[0] == 0 && c->sizes[1] == 2 && c->sizes[2] == 2);
  lc_release(c);
  lc_tensor *e1 = make(LC_FLOAT64, 1, DIMS(0), NULL);
  c = lc_matmul(e1, e1);
  CHECK(c && c->ndim == 0 && lc_get(c, 0) == 0);
  lc_release(c);

  /* float32 @ float64 promotes to float64; int64 @ float32 to float32 */
  lc_tensor *f = make(LC_FLOAT32, 2, DIMS(2, 3), VALS(1, 2, 3, 4, 5, 6));
  lc_tensor *d = make(LC_FLOAT64, 1, DIMS(3), VALS(1, 1, 1));
  lc_tensor *i = make(LC_INT64, 1, DIMS(3), VALS(1, 0, 2));
  c = lc_matmul(f, d);
  CHECK(c && c->dtype == LC_FLOAT64 && values_are(c, 1, DIMS(2), VALS(6, 15), 0));
  lc_release(c);
  c = lc_matmul(f, i);
  CHECK(c && c->dtype == LC_FLOAT32 && values_are(c, 1, DIMS(2), VALS(7, 16), 0));
  lc_release(c);
  lc_release(a), lc_release(b), lc_release(z), lc_release(w), lc_release(zb), lc_release(e1);
  lc_release(f), lc_release(d), lc_release(i);
}

static void test_errors(void) {
  lc_tensor *a = make(LC_FLOAT32, 2, DIMS(2, 3), NULL), *b = make(LC_FLOAT32, 2, DIMS(4, 5), NULL);
  lc_tensor *s = lc_scalar(LC_FLOAT32, 1);
  CHECK(lc_matmul(a, b) == NULL);
  CHECK(strcmp(lc_error(), "matmul: shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4)") == 0);
  CHECK(lc_matmul(s, a) == NULL);
  CHECK_CONTAINS(lc_error(), "matmul: both arguments need at least 1 dimension, got 0-D");
  CHECK(lc_matmul(a, s) == NULL);
  CHECK_CONTAINS(lc_error(), "at least 1 dimension");
  lc_tensor *v = make(LC_FLOAT32, 1, DIMS(4), NULL);
  CHECK(lc_matmul(a, v) == NULL);
  CHECK_CONTAINS(lc_error(), "matmul: shapes (2, 3) and (4) cannot be multiplied (3 != 4)");
  lc_tensor *x = make(LC_FLOAT32, 3, DIMS(2, 2, 3), NULL), *y = make(LC_FLOAT32, 3, DIMS(3, 3, 2), NULL);
  CHECK(lc_matmul(x, y) == NULL);
  CHECK_CONTAINS(lc_error(), "matmul: batch dimensions");

  /* gemm */
  lc_tensor *c = lc_zeros(LC_FLOAT32, 2, DIMS(2, 5));
  CHECK(lc_gemm(1, a, b, 0, c) == -1);
  CHECK_CONTAINS(lc_error(), "gemm: shapes (2, 3) and (4, 5)");
  lc_tensor *d = lc_zeros(LC_FLOAT64, 2, DIMS(2, 2));
  lc_tensor *b2 = make(LC_FLOAT32, 2, DIMS(3, 2), NULL);
  CHECK(lc_gemm(1, a, b2, 0, d) == -1);
  CHECK_CONTAINS(lc_error(), "gemm: dtypes must match");
  CHECK(lc_gemm(1, x, b2, 0, d) == -1);
  CHECK_CONTAINS(lc_error(), "gemm: expected 2-D");
  lc_tensor *r = lc_zeros(LC_FLOAT32, 2, DIMS(1, 2));
  lc_tensor *er = lc_expand(r, 2, DIMS(2, 2));
  CHECK(lc_gemm(1, a, b2, 0, er) == -1);
  CHECK_CONTAINS(lc_error(), "overlapping");
  lc_release(a), lc_release(b), lc_release(s), lc_release(v), lc_release(x), lc_release(y);
  lc_release(c), lc_release(d), lc_release(b2), lc_release(r), lc_release(er);
}

/* lc_gemm: alpha, beta, and outputs BLAS can and cannot write in place. */
static void test_gemm(lc_dtype dt) {
  lc_tensor *a = make(dt, 2, DIMS(2, 3), VALS(1, 2, 3, 4, 5, 6));
  lc_tensor *b = make(dt, 2, DIMS(3, 2), VALS(7, 8, 9, 10, 11, 12));
  lc_tensor *c = make(dt, 2, DIMS(2, 2), VALS(1, 1, 1, 1));
  uint64_t ver = c->storage->version;
  CHECK(lc_gemm(2, a, b, 3, c) == 0);
  CHECK(values_are(c, 2, DIMS(2, 2), VALS(119, 131, 281, 311), 0));
  CHECK(c->storage->version > ver);

  /* beta = 0 ignores C's old contents, even NaN */
  if (dt != LC_INT64) set(c, 0, NAN);
  CHECK(lc_gemm(1, a, b, 0, c) == 0);
  CHECK(values_are(c, 2, DIMS(2, 2), VALS(58, 64, 139, 154), 0));

  /* a column-major C (a transposed view): C^T = B^T A^T */
  lc_tensor *store = lc_zeros(dt, 2, DIMS(2, 2));
  lc_tensor *ct = lc_transpose(store, 0, 1);
  CHECK(lc_gemm(1, a, b, 0, ct) == 0);
  CHECK(values_are(ct, 2, DIMS(2, 2), VALS(58, 64, 139, 154), 0));
  CHECK(values_are(store, 2, DIMS(2, 2), VALS(58, 139, 64, 154), 0));

  /* a C BLAS cannot write: every other column of a wider matrix */
  lc_tensor *big = lc_zeros(dt, 3, DIMS(2, 2, 2));
  lc_tensor *cs = lc_select(big, 2, 1); /* strides (4, 2) */
  CHECK(lc_gemm(1, a, b, 0, cs) == 0);
  CHECK(values_are(big, 3, DIMS(2, 2, 2), VALS(0, 58, 0, 64, 0, 139, 0, 154), 0));
  CHECK(lc_gemm(1, a, b, -1, cs) == 0); /* beta through the temporary */
  CHECK(values_are(cs, 2, DIMS(2, 2), VALS(0, 0, 0, 0), 0));

  /* C sharing storage with an operand: a = [[1, 2], [3, 4]] in place */
  lc_tensor *sq = make(dt, 2, DIMS(2, 2), VALS(1, 2, 3, 4));
  CHECK(lc_gemm(1, sq, sq, 0, sq) == 0);
  CHECK(values_are(sq, 2, DIMS(2, 2), VALS(7, 10, 15, 22), 0));

  /* k == 0: C = beta C */
  lc_tensor *a0 = lc_zeros(dt, 2, DIMS(2, 0)), *b0 = lc_zeros(dt, 2, DIMS(0, 2));
  lc_tensor *c0 = make(dt, 2, DIMS(2, 2), VALS(1, 2, 3, 4));
  CHECK(lc_gemm(1, a0, b0, 2, c0) == 0);
  CHECK(values_are(c0, 2, DIMS(2, 2), VALS(2, 4, 6, 8), 0));

  /* a C that requires grad is still just written (gemm does no autograd) */
  if (dt != LC_INT64) {
    lc_tensor *g = lc_zeros(dt, 2, DIMS(2, 2));
    g->requires_grad = true;
    lc_tensor *gs = lc_transpose(g, 0, 1);
    CHECK(lc_gemm(1, a, b, 0, g) == 0);
    CHECK(values_are(g, 2, DIMS(2, 2), VALS(58, 64, 139, 154), 0));
    lc_release(g), lc_release(gs);
  }
  lc_release(a), lc_release(b), lc_release(c), lc_release(store), lc_release(ct);
  lc_release(big), lc_release(cs), lc_release(sq), lc_release(a0), lc_release(b0), lc_release(c0);
}

/* ---- gradients ------------------------------------------------------------ */

typedef lc_tensor *(*binary_fn)(const lc_tensor *, const lc_tensor *);

/* loss = sum(f(a, b) * w) for a fixed pattern w, without recording. */
static double loss_of(binary_fn f, lc_tensor *a, lc_tensor *b, lc_tensor *w) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *y = f(a, b), *p = lc_binary(LC_MUL, y, w), *s = lc_sum(p, LC_ALL_DIMS, false);
  double v = lc_get(s, 0);
  lc_release(y), lc_release(p), lc_release(s);
  lc_set_grad_enabled(was);
  return v;
}

static lc_tensor *weights_like(const lc_tensor *y) {
  lc_tensor *w = lc_empty(LC_FLOAT64, y->ndim, y->sizes);
  for (int64_t i = 0; i < lc_numel(w); i++) set(w, i, 0.25 * (double)(i % 5) - 0.4);
  return w;
}

/* Backpropagates sum(f(a, b) * w) and compares a->grad, b->grad with central
 * differences; a and b are contiguous float64 leaves. */
static void gradcheck(binary_fn f, lc_tensor *a, lc_tensor *b) {
  a->requires_grad = b->requires_grad = true;
  lc_tensor *y = f(a, b);
  CHECK(y && y->requires_grad && y->grad_fn);
  if (!y) return;
  lc_tensor *w = weights_like(y);
  lc_tensor *p = lc_binary(LC_MUL, y, w), *loss = lc_sum(p, LC_ALL_DIMS, false);
  int rc = lc_backward(&loss, NULL, 1, false);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "backward: %s\n", lc_error());
  lc_tensor *ins[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    lc_tensor *x = ins[k];
    CHECK(x->grad && lc_same_shape(x->grad, x) && x->grad->dtype == x->dtype);
    if (!x->grad || !lc_same_shape(x->grad, x)) continue;
    double *d = lc_data(x);
    int bad = 0;
    for (int64_t i = 0; i < lc_numel(x); i++) {
      double orig = d[i], eps = 1e-6;
      d[i] = orig + eps;
      double fp = loss_of(f, a, b, w);
      d[i] = orig - eps;
      double fm = loss_of(f, a, b, w);
      d[i] = orig;
      double num = (fp - fm) / (2 * eps), ana = lc_get(x->grad, i);
      if (fabs(num - ana) > 1e-7 * fmax(1, fabs(ana))) {
        if (!bad++) fprintf(stderr, "input %d element %lld: numeric %.12g analytic %.12g\n", k,
                            (long long)i, num, ana);
      }
    }
    CHECK(bad == 0);
  }
  lc_release(y), lc_release(w), lc_release(p), lc_release(loss);
}

static void check_grad(int na, const int64_t *sa, int nb, const int64_t *sb) {
  lc_tensor *a = make(LC_FLOAT64, na, sa, NULL), *b = make(LC_FLOAT64, nb, sb, NULL);
  for (int64_t i = 0; i < lc_numel(a); i++) set(a, i, lc_get(a, i) * 0.37 + 0.1);
  for (int64_t i = 0; i < lc_numel(b); i++) set(b, i, lc_get(b, i) * -0.21 + 0.3);
  gradcheck(lc_matmul, a, b);
  lc_release(a), lc_release(b);
}

/* f(a, b) = a^T @ b: gradients through transposed views. */
static lc_tensor *matmul_tn(const lc_tensor *a, const lc_tensor *b) {
  lc_tensor *t = lc_transpose(a, 0, 1), *r = lc_matmul(t, b);
  lc_release(t);
  return r;
}

/* f(a, b) = expand(a) @ b: a stride-0 operand. */
static lc_tensor *matmul_expanded(const lc_tensor *a, const lc_tensor *b) {
  lc_tensor *e = lc_expand(a, 2, DIMS(3, a->sizes[1])), *r = lc_matmul(e, b);
  lc_release(e);
  return r;
}

static void test_gradients(void) {
  check_grad(2, DIMS(3, 4), 2, DIMS(4, 2));           /* 2-D @ 2-D */
  check_grad(1, DIMS(4), 1, DIMS(4));                 /* dot */
  check_grad(1, DIMS(3), 2, DIMS(3, 5));              /* 1-D @ 2-D */
  check_grad(2, DIMS(3, 5), 1, DIMS(5));              /* 2-D @ 1-D */
  check_grad(4, DIMS(2, 1, 3, 4), 3, DIMS(5, 4, 6));  /* batched broadcast */
  check_grad(3, DIMS(2, 3, 4), 2, DIMS(4, 2));        /* 3-D @ 2-D (folded) */
  check_grad(2, DIMS(3, 4), 3, DIMS(2, 4, 2));        /* 2-D @ 3-D */
  check_grad(1, DIMS(4), 3, DIMS(2, 4, 3));           /* 1-D @ 3-D */
  check_grad(3, DIMS(2, 3, 4), 1, DIMS(4));           /* 3-D @ 1-D */
  check_grad(3, DIMS(1, 3, 4), 3, DIMS(2, 4, 2));     /* size-1 batch broadcast */

  lc_tensor *a = make(LC_FLOAT64, 2, DIMS(4, 3), NULL), *b = make(LC_FLOAT64, 2, DIMS(4, 2), NULL);
  gradcheck(matmul_tn, a, b);
  lc_release(a), lc_release(b);
  a = make(LC_FLOAT64, 2, DIMS(1, 4), NULL), b = make(LC_FLOAT64, 2, DIMS(4, 2), NULL);
  gradcheck(matmul_expanded, a, b);
  lc_release(a), lc_release(b);

  /* only one input requires grad; float32 gradient keeps float32 */
  lc_tensor *x = make(LC_FLOAT32, 2, DIMS(2, 3), NULL), *y = make(LC_FLOAT32, 2, DIMS(3, 2), NULL);
  x->requires_grad = true;
  lc_tensor *z = lc_matmul(x, y), *s = lc_sum(z, LC_ALL_DIMS, false);
  CHECK(z && z->grad_fn && strcmp(z->grad_fn->name, "MmBackward") == 0);
  CHECK(lc_backward(&s, NULL, 1, false) == 0);
  CHECK(x->grad && x->grad->dtype == LC_FLOAT32 && y->grad == NULL);
  /* grad of sum(x @ y) w.r.t. x: row sums of y, per row of x */
  bool ok = x->grad != NULL;
  for (int64_t i = 0; ok && i < 6; i++)
    ok = fabs(lc_get(x->grad, i) - (lc_get(y, (i % 3) * 2) + lc_get(y, (i % 3) * 2 + 1))) < 1e-5;
  CHECK(ok);
  lc_release(x), lc_release(y), lc_release(z), lc_release(s);

  /* a saved operand modified in place: backward refuses */
  lc_tensor *p = make(LC_FLOAT64, 2, DIMS(2, 2), NULL), *q = make(LC_FLOAT64, 2, DIMS(2, 2), NULL);
  p->requires_grad = true;
  lc_tensor *r = lc_matmul(p, q);
  lc_tensor *rs = lc_sum(r, LC_ALL_DIMS, false);
  CHECK(lc_binary_scalar_(LC_ADD, q, 1) == 0);
  CHECK(lc_backward(&rs, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "modified by an in-place operation");
  lc_release(p), lc_release(q), lc_release(r), lc_release(rs);

  /* grad mode off: no graph */
  lc_tensor *u = make(LC_FLOAT64, 1, DIMS(2), NULL);
  u->requires_grad = true;
  bool was = lc_set_grad_enabled(false);
  lc_tensor *dot = lc_matmul(u, u);
  lc_set_grad_enabled(was);
  CHECK(dot && !dot->requires_grad && !dot->grad_fn);
  lc_release(u), lc_release(dot);
}

/* A product big enough for BLAS's threaded kernels, against the reference. */
static void test_larger(void) {
  lc_tensor *a = make(LC_FLOAT64, 2, DIMS(67, 130), NULL);
  lc_tensor *b = make(LC_FLOAT64, 2, DIMS(130, 71), NULL);
  lc_tensor *bt = make(LC_FLOAT64, 2, DIMS(71, 130), NULL), *tb = lc_transpose(bt, 0, 1);
  CHECK(matmul_matches(a, b, 1e-9));
  CHECK(matmul_matches(a, tb, 1e-9));
  lc_release(a), lc_release(b), lc_release(bt), lc_release(tb);
}

/* The small products libxsmm runs (m n k <= 64^3), with every operand
 * transposed or not: a transposed left operand is copied transposed first
 * (libxsmm has no kernel for it), which must not change the values. */
static void test_small_transposed(lc_dtype dt) {
  double tol = dt == LC_FLOAT32 ? 1e-4 : 1e-12;
  lc_tensor *a = make(dt, 2, DIMS(16, 24), NULL), *b = make(dt, 2, DIMS(24, 32), NULL);
  lc_tensor *at_ = make(dt, 2, DIMS(24, 16), NULL), *ta = lc_transpose(at_, 0, 1);
  lc_tensor *bt_ = make(dt, 2, DIMS(32, 24), NULL), *tb = lc_transpose(bt_, 0, 1);
  CHECK(every_transpose(a, b, ta, tb, tol));
  /* one row or one column: the transposed vector is read in place */
  lc_tensor *r = make(dt, 2, DIMS(1, 24), NULL), *rt_ = make(dt, 2, DIMS(24, 1), NULL);
  lc_tensor *tr = lc_transpose(rt_, 0, 1), *col = lc_transpose(r, 0, 1);
  CHECK(every_transpose(r, b, tr, tb, tol));
  CHECK(every_transpose(a, rt_, ta, col, tol));
  /* few rows against a transposed right operand (a cell step's x W^T): the
   * product is taken transposed, copying x and the result instead of W */
  lc_tensor *x = make(dt, 2, DIMS(3, 24), NULL), *xt_ = make(dt, 2, DIMS(24, 3), NULL);
  lc_tensor *tx = lc_transpose(xt_, 0, 1);
  CHECK(every_transpose(x, b, tx, tb, tol));
  lc_release(x), lc_release(xt_), lc_release(tx);
  lc_release(r), lc_release(rt_), lc_release(tr), lc_release(col);
  lc_release(a), lc_release(b), lc_release(at_), lc_release(ta), lc_release(bt_), lc_release(tb);
}

int main(void) {
  test_hand_values();
  test_layouts(LC_FLOAT32);
  test_layouts(LC_FLOAT64);
  test_layouts(LC_INT64);
  test_batched(LC_FLOAT32);
  test_batched(LC_FLOAT64);
  test_batched(LC_INT64);
  test_empty_and_mixed();
  test_errors();
  test_gemm(LC_FLOAT32);
  test_gemm(LC_FLOAT64);
  test_gemm(LC_INT64);
  test_gradients();
  test_larger();
  test_small_transposed(LC_FLOAT32);
  test_small_transposed(LC_FLOAT64);
  return test_summary();
}
