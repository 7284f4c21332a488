/* svd.c: the singular value decomposition A = U diag(S) Vh through LAPACK's
 * gesdd (divide and conquer), float32 and float64, batched over leading
 * dims, and its backward (PyTorch's svd_backward).
 *
 * No transposes: a row-major (m, n) matrix is a column-major (n, m) one, A^T
 * = V S U^T, so LAPACK's left vectors of A^T, column-major (n, r), are Vh
 * row-major (r, n), and its right vectors, column-major (r, m), are U
 * row-major (m, r). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"
#include "lc_ops.h"

typedef void gesdd_t(const char *jobz, const int *m, const int *n, void *a, const int *lda, void *s,
                     void *u, const int *ldu, void *vt, const int *ldvt, void *work, const int *lwork,
                     int *iwork, int *info);
extern gesdd_t sgesdd_, dgesdd_;
static gesdd_t *const gesdd[] = {sgesdd_, dgesdd_};

/* ---- backward --------------------------------------------------------------------------- */

/* Temporaries of a backward, released together; once one op fails the
 * later ones are skipped (NEW yields NULL). */
typedef struct {
  lc_tensor *t[64];
  int n;
  bool failed;
} pool;

static lc_tensor *keep(pool *p, lc_tensor *t) {
  if (!t || p->n == 64) {
    p->failed = true;
    lc_release(t);
    return NULL;
  }
  return p->t[p->n++] = t;
}
#define NEW(expr) (P.failed ? NULL : keep(&P, (expr)))

static void drain(pool *p) {
  for (int i = 0; i < p->n; i++) lc_release(p->t[i]);
}

/* A gradient the engine filled with zeros is an output the loss did not
 * use: PyTorch's undefined gradient, whose terms are left out (they would
 * divide 0 by a zero singular value). */
static bool unused(const lc_tensor *g) {
  int64_t n = lc_numel(g);
  for (int64_t i = 0; i < n; i++)
    if (lc_get(g, i) != 0) return false;
  return true;
}

static lc_tensor *mT(const lc_tensor *t) { return lc_transpose(t, -1, -2); }

/* Reduced U (m, k), S (k), Vh (k, n) and the gradients gU, gS, gVh (any may
 * be NULL: unused) to gA (m, n):
 *   only gS:  gA = U diag(gS) Vh
 *   J = skew(U^T gU) S_j + S_i skew(Vh gVh^T) over E_ij = S_j^2 - S_i^2 (i != j),
 *   plus diag(gS), skew(X) = X - X^T;
 *   m > n:    gA = (U J + (I - U U^T) gU S^-1) Vh
 *   m < n:    gA = U (J Vh + S^-1 gVh (I - Vh^T Vh))
 *   else:     gA = U J Vh. */
static lc_tensor *svd_grad(lc_tensor *U, lc_tensor *S, lc_tensor *Vh, lc_tensor *gU, lc_tensor *gS,
                           lc_tensor *gVh) {
  pool P = {.n = 0};
  int64_t m = U->sizes[U->ndim - 2], n = Vh->sizes[Vh->ndim - 1];
  lc_tensor *gA = NULL;
  if (!gU && !gVh) {
    if (!gS) { /* nothing of the result was used */
      int64_t sz[LC_MAX_DIMS];
      memcpy(sz, U->sizes, U->ndim * sizeof *sz);
      sz[U->ndim - 1] = n;
      return lc_zeros(U->dtype, U->ndim, sz);
    }
    lc_tensor *gs = NEW(lc_unsqueeze(gS, -2)), *ug = NEW(lc_binary(LC_MUL, U, gs));
    gA = P.failed ? NULL : lc_matmul(ug, Vh);
    drain(&P);
    return gA;
  }
  lc_tensor *Srow = NEW(lc_unsqueeze(S, -2)), *Scol = NEW(lc_unsqueeze(S, -1));
  lc_tensor *UhgU = NULL, *VhgV = NULL, *J = NULL;
  if (gU) {
    lc_tensor *ut = NEW(mT(U)), *x = NEW(lc_matmul(ut, gU)), *xt = NEW(mT(x));
    UhgU = NEW(lc_binary(LC_SUB, x, xt));
  }
  if (gVh) {
    lc_tensor *gt = NEW(mT(gVh)), *x = NEW(lc_matmul(Vh, gt)), *xt = NEW(mT(x));
    VhgV = NEW(lc_binary(LC_SUB, x, xt));
  }
  lc_tensor *S2 = NEW(lc_binary(LC_MUL, S, S));
  lc_tensor *s2r = NEW(lc_unsqueeze(S2, -2)), *s2c = NEW(lc_unsqueeze(S2, -1));
  lc_tensor *E = NEW(lc_binary(LC_SUB, s2r, s2c));
  lc_tensor *Ed = NEW(lc_diagonal(E, 0, -2, -1));
  if (Ed && lc_fill_(Ed, 1)) P.failed = true; /* any a != 0: the diagonal is 0 / a */
  if (gU && gVh) {
    lc_tensor *a = NEW(lc_binary(LC_MUL, UhgU, Srow)), *b = NEW(lc_binary(LC_MUL, Scol, VhgV));
    lc_tensor *ab = NEW(lc_binary(LC_ADD, a, b));
    J = NEW(lc_binary(LC_DIV, ab, E));
  } else if (gU) {
    lc_tensor *se = NEW(lc_binary(LC_DIV, Srow, E));
    J = NEW(lc_binary(LC_MUL, UhgU, se));
  } else {
    lc_tensor *sv = NEW(lc_binary(LC_MUL, Scol, VhgV));
    J = NEW(lc_binary(LC_DIV, sv, E));
  }
  if (gS) {
    lc_tensor *d = NEW(lc_diag_embed(gS, 0, -2, -1));
    J = NEW(lc_binary(LC_ADD, J, d));
  }
  if (m > n && gU) {
    lc_tensor *uj = NEW(lc_matmul(U, J)), *gus = NEW(lc_binary(LC_DIV, gU, Srow));
    lc_tensor *ut = NEW(mT(U)), *utg = NEW(lc_matmul(ut, gus)), *proj = NEW(lc_matmul(U, utg));
    lc_tensor *s1 = NEW(lc_binary(LC_ADD, uj, gus)), *s2 = NEW(lc_binary(LC_SUB, s1, proj));
    gA = P.failed ? NULL : lc_matmul(s2, Vh);
  } else if (m < n && gVh) {
    lc_tensor *jv = NEW(lc_matmul(J, Vh)), *sgv = NEW(lc_binary(LC_DIV, gVh, Scol));
    lc_tensor *v = NEW(mT(Vh)), *sv = NEW(lc_matmul(sgv, v)), *proj = NEW(lc_matmul(sv, Vh));
    lc_tensor *s1 = NEW(lc_binary(LC_ADD, jv, sgv)), *s2 = NEW(lc_binary(LC_SUB, s1, proj));
    gA = P.failed ? NULL : lc_matmul(U, s2);
  } else {
    lc_tensor *uj = NEW(lc_matmul(U, J));
    gA = P.failed ? NULL : lc_matmul(uj, Vh);
  }
  drain(&P);
  return gA;
}

/* Saved: U, S, Vh as returned. ints[0]: full_matrices (then only the first
 * k columns of U and rows of Vh, and of their gradients, take part, as in
 * PyTorch). */
static int svd_backward(lc_node *nd, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *U = lc_node_saved(nd, 0), *S = U ? lc_node_saved(nd, 1) : NULL;
  lc_tensor *Vh = S ? lc_node_saved(nd, 2) : NULL;
  if (!Vh) return -1;
  int64_t k = S->sizes[S->ndim - 1];
  bool was = lc_set_grad_enabled(false);
  lc_tensor *u = lc_narrow(U, U->ndim - 1, 0, k), *v = lc_narrow(Vh, Vh->ndim - 2, 0, k);
  lc_tensor *gu = unused(g[0]) ? NULL : lc_narrow(g[0], g[0]->ndim - 1, 0, k);
  lc_tensor *gv = unused(g[2]) ? NULL : lc_narrow(g[2], g[2]->ndim - 2, 0, k);
  gin[0] = u && v ? svd_grad(u, S, v, gu, unused(g[1]) ? NULL : g[1], gv) : NULL;
  lc_set_grad_enabled(was);
  lc_tensor *tmp[] = {u, v, gu, gv};
  for (int i = 0; i < 4; i++) lc_release(tmp[i]);
  return gin[0] ? 0 : -1;
}

/* svdvals: saved U and Vh (reduced); gA = U diag(gS) Vh. */
static int svdvals_backward(lc_node *nd, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *U = lc_node_saved(nd, 0), *Vh = U ? lc_node_saved(nd, 1) : NULL;
  if (!Vh) return -1;
  bool was = lc_set_grad_enabled(false);
  gin[0] = svd_grad(U, NULL, Vh, NULL, g[0], NULL);
  lc_set_grad_enabled(was);
  return gin[0] ? 0 : -1;
}

/* ---- forward ---------------------------------------------------------------------------- */

static int finite_check(const char *op, const lc_tensor *c) {
  int64_t n = lc_numel(c);
  int bad = 0;
  LC_DISPATCH(c->dtype, T, {
    const T *x = lc_data(c);
    for (int64_t i = 0; i < n && !bad; i++) bad = !isfinite((double)x[i]);
  });
  if (!bad) return 0;
  lc_fail(LC_ERR_ARG, op, "the input contains non-finite values (inf or NaN): the decomposition "
          "cannot converge");
  return -1;
}

/* A new (..., r, r) batch of identities shaped like sizes' leading dims. */
static lc_tensor *eyes(lc_dtype dt, int ndim, const int64_t *sizes) {
  lc_tensor *e = lc_zeros(dt, ndim, sizes), *d = e ? lc_diagonal(e, 0, -2, -1) : NULL;
  int rc = d ? lc_fill_(d, 1) : -1;
  lc_release(d);
  if (!rc) return e;
  lc_release(e);
  return NULL;
}

/* The decomposition of a's matrices without autograd: S always; U and Vh
 * when asked (full: square m x m and n x n, else m x k and k x n). */
static int decompose(const char *op, const lc_tensor *a, bool uv, bool full, lc_tensor **u_out,
                     lc_tensor **s_out, lc_tensor **vh_out) {
  int m = (int)a->sizes[a->ndim - 2], n = (int)a->sizes[a->ndim - 1], k = m < n ? m : n;
  int ucols = full ? m : k, vrows = full ? n : k;
  int64_t batch = lc_batch_of(a);
  size_t es = lc_dtype_size(a->dtype);
  int64_t ss[LC_MAX_DIMS], us[LC_MAX_DIMS], vs[LC_MAX_DIMS];
  for (int i = 0; i < a->ndim - 2; i++) ss[i] = us[i] = vs[i] = a->sizes[i];
  ss[a->ndim - 2] = k;
  us[a->ndim - 2] = m, us[a->ndim - 1] = ucols;
  vs[a->ndim - 2] = vrows, vs[a->ndim - 1] = n;
  bool was = lc_set_grad_enabled(false);
  lc_tensor *c = lc_clone(a), *x = c ? lc_contiguous(c) : NULL; /* gesdd overwrites it */
  lc_release(c);
  lc_tensor *s = x ? lc_empty(a->dtype, a->ndim - 1, ss) : NULL, *u = NULL, *vh = NULL;
  if (uv && s) { /* an empty matrix's full U and Vh are identities, as PyTorch's */
    u = full && k == 0 ? eyes(a->dtype, a->ndim, us) : lc_empty(a->dtype, a->ndim, us);
    vh = full && k == 0 ? eyes(a->dtype, a->ndim, vs) : lc_empty(a->dtype, a->ndim, vs);
  }
  int rc = s && (!uv || (u && vh)) ? finite_check(op, x) : -1;
  if (!rc && k > 0) {
    /* LAPACK sees A^T (n x m): its U is our Vh, its VT our U */
    int lm = n, ln = m, lda = n, ldu = n, ldvt = uv ? ucols : 1, info = 0, lwork = -1;
    const char *jobz = !uv ? "N" : full ? "A" : "S";
    gesdd_t *fn = gesdd[a->dtype == LC_FLOAT64];
    int *iwork = lc_malloc(8 * (size_t)k * sizeof *iwork, op);
    double query[2] = {0, 0}; /* room for one float64 or float32 */
    if (iwork) fn(jobz, &lm, &ln, lc_data(x), &lda, lc_data(s), NULL, &ldu, NULL, &ldvt, query,
                  &lwork, iwork, &info);
    lwork = a->dtype == LC_FLOAT64 ? (int)query[0] : (int)*(float *)query;
    void *work = iwork ? lc_malloc((size_t)(lwork > 1 ? lwork : 1) * es, op) : NULL;
    rc = work ? 0 : -1;
    for (int64_t b = 0; b < batch && !rc; b++) {
      void *lu = uv ? (char *)lc_data(vh) + b * (int64_t)vrows * n * es : NULL;
      void *lvt = uv ? (char *)lc_data(u) + b * (int64_t)m * ucols * es : NULL;
      fn(jobz, &lm, &ln, (char *)lc_data(x) + b * (int64_t)m * n * es, &lda,
         (char *)lc_data(s) + b * k * es, lu, &ldu, lvt, &ldvt, work, &lwork, iwork, &info);
      if (info) rc = -1, lc_fail(LC_ERR_ARG, op, "LAPACK gesdd did not converge (info %d)", info);
    }
    free(work);
    free(iwork);
  }
  lc_release(x);
  lc_set_grad_enabled(was);
  if (rc) {
    lc_release(s), lc_release(u), lc_release(vh);
    return -1;
  }
  *s_out = s;
  if (u_out) *u_out = u;
  if (vh_out) *vh_out = vh;
  return 0;
}

int lc_svd(const lc_tensor *a, bool full_matrices, lc_tensor **u, lc_tensor **s, lc_tensor **vh) {
  *u = *s = *vh = NULL;
  if (lc_check_matrix("svd", a, false) || decompose("svd", a, true, full_matrices, u, s, vh))
    return -1;
  if (!lc_should_record(1, &a)) return 0;
  lc_node *node = lc_node_new("LinalgSvdBackward", svd_backward, 1, &a, 3);
  lc_tensor *outs[3] = {*u, *s, *vh};
  bool ok = node != NULL;
  for (int i = 0; i < 3 && ok; i++) ok = !lc_node_save(node, outs[i]);
  if (ok) {
    node->ints[0] = full_matrices;
    lc_node_attach(node, outs, 3);
  }
  if (node) lc_node_release(node);
  if (ok) return 0;
  for (int i = 0; i < 3; i++) lc_release(outs[i]);
  *u = *s = *vh = NULL;
  return -1;
}

lc_tensor *lc_svdvals(const lc_tensor *a) {
  if (lc_check_matrix("svdvals", a, false)) return NULL;
  bool grad = lc_should_record(1, &a); /* the backward needs the vectors */
  lc_tensor *u = NULL, *s = NULL, *vh = NULL;
  if (decompose("svdvals", a, grad, false, grad ? &u : NULL, &s, grad ? &vh : NULL)) return NULL;
  if (grad) {
    lc_node *node = lc_record("LinalgSvdvalsBackward", svdvals_backward, s, 1, &a);
    if (!node || lc_node_save(node, u) || lc_node_save(node, vh)) {
      lc_release(s);
      s = NULL;
    }
  }
  lc_release(u);
  lc_release(vh);
  return s;
}
