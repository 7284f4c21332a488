/* lapack.c: solve, inv, det, cholesky and qr through LAPACK (the routines
 * OpenBLAS ships), float32 and float64, batched over leading dims.
 *
 * LAPACK is column-major: each op hands it the transpose made contiguous (a
 * row-major A^T is a column-major A) and reads the results back the same
 * way. Backward passes are written with lucid's own ops (so they are
 * batched for free), each beside its forward with its formula. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

/* The Fortran routines, data pointers as void * so one table serves both
 * precisions (index 0: float32, 1: float64). */
typedef void getrf_t(const int *m, const int *n, void *a, const int *lda, int *ipiv, int *info);
typedef void getrs_t(const char *tr, const int *n, const int *nrhs, const void *a, const int *lda,
                     const int *ipiv, void *b, const int *ldb, int *info);
typedef void getri_t(const int *n, void *a, const int *lda, const int *ipiv, void *work,
                     const int *lwork, int *info);
typedef void potrf_t(const char *uplo, const int *n, void *a, const int *lda, int *info);
typedef void geqrf_t(const int *m, const int *n, void *a, const int *lda, void *tau, void *work,
                     const int *lwork, int *info);
typedef void orgqr_t(const int *m, const int *n, const int *k, void *a, const int *lda,
                     const void *tau, void *work, const int *lwork, int *info);
extern getrf_t sgetrf_, dgetrf_;
extern getrs_t sgetrs_, dgetrs_;
extern getri_t sgetri_, dgetri_;
extern potrf_t spotrf_, dpotrf_;
extern geqrf_t sgeqrf_, dgeqrf_;
extern orgqr_t sorgqr_, dorgqr_;

static getrf_t *const getrf[] = {sgetrf_, dgetrf_};
static getrs_t *const getrs[] = {sgetrs_, dgetrs_};
static getri_t *const getri[] = {sgetri_, dgetri_};
static potrf_t *const potrf[] = {spotrf_, dpotrf_};
static geqrf_t *const geqrf[] = {sgeqrf_, dgeqrf_};
static orgqr_t *const orgqr[] = {sorgqr_, dorgqr_};

/* ---- shapes and layouts ------------------------------------------------------------ */

/* Float matrices (at least 2-D), square when asked, sizes within int. */
static int check_matrix(const char *op, const lc_tensor *a, bool square) {
  char b[128];
  if (a->dtype != LC_FLOAT32 && a->dtype != LC_FLOAT64) {
    lc_fail(LC_ERR_DTYPE, op, "expected a float32 or float64 tensor, got %s", lc_dtype_name(a->dtype));
    return -1;
  }
  if (a->ndim < 2 || (square && a->sizes[a->ndim - 1] != a->sizes[a->ndim - 2])) {
    lc_fail(LC_ERR_SHAPE, op, "expected %s (a tensor of at least 2 dims), got shape %s",
                 square ? "square matrices" : "matrices", lc_shape_str(b, a->ndim, a->sizes));
    return -1;
  }
  if (a->sizes[a->ndim - 1] > 1 << 30 || a->sizes[a->ndim - 2] > 1 << 30) {
    lc_fail(LC_ERR_SHAPE, op, "matrices larger than 2^30 rows or columns are not supported");
    return -1;
  }
  return 0;
}

/* t's matrices stored column-major (a copy), without autograd. */
static lc_tensor *colmajor(const lc_tensor *t) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *tr = lc_transpose(t, -1, -2), *c = tr ? lc_clone(tr) : NULL;
  lc_tensor *r = c ? lc_contiguous(c) : NULL;
  lc_release(tr);
  lc_release(c);
  lc_set_grad_enabled(was);
  return r;
}

/* Column-major matrices back to a row-major tensor of the given shape (c
 * has that shape with its last two dims swapped); takes c. */
static lc_tensor *rowmajor(lc_tensor *c) {
  if (!c) return NULL;
  bool was = lc_set_grad_enabled(false);
  lc_tensor *tr = lc_transpose(c, -1, -2), *r = tr ? lc_clone(tr) : NULL;
  lc_tensor *out = r ? lc_contiguous(r) : NULL;
  lc_release(tr);
  lc_release(r);
  lc_release(c);
  lc_set_grad_enabled(was);
  return out;
}

static int64_t batch_of(const lc_tensor *t) {
  int64_t b = 1;
  for (int i = 0; i < t->ndim - 2; i++) b *= t->sizes[i];
  return b;
}

static int prec(const lc_tensor *t) { return t->dtype == LC_FLOAT64; }

static lc_tensor *mT(const lc_tensor *t) { return lc_transpose(t, -1, -2); }

/* A @ B with the temporaries released. */
static lc_tensor *mm_rel(lc_tensor *a, lc_tensor *b) {
  lc_tensor *r = a && b ? lc_matmul(a, b) : NULL;
  lc_release(a);
  lc_release(b);
  return r;
}

/* Records out's node on inputs ins[0..n) saving s0 and s1 (either may be
 * NULL); returns out, or NULL (out released) when that fails. */
static lc_tensor *recorded(lc_tensor *out, const char *name, lc_backward_fn fn, int n,
                           const lc_tensor *const *ins, const lc_tensor *s0, const lc_tensor *s1) {
  if (!out || !lc_should_record(n, ins)) return out;
  lc_node *node = lc_record(name, fn, out, n, ins);
  if (!node || (s0 && lc_node_save(node, s0)) || (s1 && lc_node_save(node, s1))) {
    lc_release(out);
    return NULL;
  }
  return out;
}

static int singular(const char *op, int64_t batch, int info) {
  lc_fail(LC_ERR_ARG, op, "the matrix%s is singular (U[%d, %d] is 0)", batch > 1 ? " (one of the batch)" : "",
               info, info);
  return -1;
}

/* ---- LU: solve, inv, det --------------------------------------------------------------- */

/* Factorises the column-major matrices of lu in place; pivots into ipiv
 * (batch x n). Returns the first singular U index (1-based) or 0, or -1. */
static int lu_factor(const char *op, lc_tensor *lu, int *ipiv, bool allow_singular) {
  int n = (int)lu->sizes[lu->ndim - 1];
  int64_t batch = batch_of(lu);
  size_t es = lc_dtype_size(lu->dtype);
  for (int64_t b = 0; b < batch; b++) {
    int info = 0, lda = n > 1 ? n : 1;
    getrf[prec(lu)](&n, &n, (char *)lc_data(lu) + b * n * n * es, &lda, ipiv + b * n, &info);
    if (info < 0) {
      lc_fail(LC_ERR_ARG, op, "LAPACK getrf rejected argument %d", -info);
      return -1;
    }
    if (info > 0 && !allow_singular) return singular(op, batch, info);
  }
  return 0;
}

/* solve: X = A^{-1} B.  gB = A^{-T} gX;  gA = -gB X^T (vector B: -outer(gB, X)). */
static int solve_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *a = lc_node_saved(n, 0), *x = a ? lc_node_saved(n, 1) : NULL;
  if (!x) return -1;
  bool vec = n->ints[0];
  lc_tensor *at = mT(a), *gb = at ? lc_solve(at, g[0]) : NULL;
  lc_release(at);
  if (!gb) return -1;
  if (lc_node_needs_grad(n, 0)) {
    lc_tensor *col = vec ? lc_unsqueeze(gb, -1) : lc_retain(gb), *row = vec ? lc_unsqueeze(x, -2) : mT(x);
    lc_tensor *p = mm_rel(col, row);
    gin[0] = p ? lc_unary(LC_NEG, p) : NULL;
    lc_release(p);
    if (!gin[0]) {
      lc_release(gb);
      return -1;
    }
  }
  if (lc_node_needs_grad(n, 1)) gin[1] = gb;
  else lc_release(gb);
  return 0;
}

lc_tensor *lc_solve(const lc_tensor *a, const lc_tensor *b) {
  const char *op = "solve";
  char x[128], y[128];
  if (check_matrix(op, a, true)) return NULL;
  if (b->dtype != a->dtype) {
    lc_fail(LC_ERR_DTYPE, op, "B must have A's dtype %s, got %s", lc_dtype_name(a->dtype), lc_dtype_name(b->dtype));
    return NULL;
  }
  int64_t n = a->sizes[a->ndim - 1];
  bool vec = b->ndim == a->ndim - 1; /* B a (batch of) vector(s) */
  bool ok = vec || b->ndim == a->ndim;
  for (int i = 0; ok && i < a->ndim - 2; i++) ok = b->sizes[i] == a->sizes[i];
  ok = ok && b->ndim >= 1 && b->sizes[vec ? b->ndim - 1 : b->ndim - 2] == n;
  if (!ok) {
    lc_fail(LC_ERR_SHAPE, op, "B of shape %s does not fit A of shape %s (expected A's batch dims, then %lld "
                 "rows)", lc_shape_str(x, b->ndim, b->sizes), lc_shape_str(y, a->ndim, a->sizes), (long long)n);
    return NULL;
  }
  bool was = lc_set_grad_enabled(false);
  lc_tensor *bm = vec ? lc_unsqueeze(b, -1) : lc_retain((lc_tensor *)b);
  lc_tensor *lu = colmajor(a), *rhs = bm ? colmajor(bm) : NULL;
  lc_release(bm);
  int64_t batch = batch_of(a);
  int *ipiv = lu && rhs ? lc_malloc((size_t)(batch * n + 1) * sizeof *ipiv, op) : NULL;
  int rc = ipiv ? lu_factor(op, lu, ipiv, false) : -1;
  if (!rc) {
    int nn = (int)n, k = (int)rhs->sizes[rhs->ndim - 2], lda = nn > 1 ? nn : 1, info = 0;
    size_t es = lc_dtype_size(a->dtype);
    for (int64_t i = 0; i < batch && !rc; i++) {
      getrs[prec(a)]("N", &nn, &k, (char *)lc_data(lu) + i * n * n * es, &lda, ipiv + i * n,
                     (char *)lc_data(rhs) + i * n * k * es, &lda, &info);
      if (info) rc = -1, lc_fail(LC_ERR_ARG, op, "LAPACK getrs failed (%d)", info);
    }
  }
  free(ipiv);
  lc_release(lu);
  lc_tensor *out = rc ? (lc_release(rhs), NULL) : rowmajor(rhs);
  if (out && vec) {
    lc_tensor *s = lc_squeeze(out, out->ndim - 1);
    lc_release(out);
    out = s;
  }
  lc_set_grad_enabled(was);
  const lc_tensor *ins[2] = {a, b};
  out = recorded(out, "SolveBackward", solve_backward, 2, ins, a, out);
  if (out && out->grad_fn && out->grad_fn->backward == solve_backward) out->grad_fn->ints[0] = vec;
  return out;
}

/* inv: Y = A^{-1};  gA = -Y^T gY Y^T. */
static int inv_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *y = lc_node_saved(n, 0);
  if (!y) return -1;
  lc_tensor *p = mm_rel(mm_rel(mT(y), lc_retain(g[0])), mT(y));
  gin[0] = p ? lc_unary(LC_NEG, p) : NULL;
  lc_release(p);
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_inv(const lc_tensor *a) {
  const char *op = "inv";
  if (check_matrix(op, a, true)) return NULL;
  lc_tensor *lu = colmajor(a);
  int n = (int)a->sizes[a->ndim - 1], lda = n > 1 ? n : 1;
  int64_t batch = batch_of(a);
  size_t es = lc_dtype_size(a->dtype);
  int lwork = 64 * (n > 1 ? n : 1);
  int *ipiv = lu ? lc_malloc((size_t)(batch * n + 1) * sizeof *ipiv, op) : NULL;
  void *work = ipiv ? lc_malloc((size_t)lwork * es, op) : NULL;
  int rc = work ? lu_factor(op, lu, ipiv, false) : -1;
  for (int64_t b = 0; b < batch && !rc && n > 0; b++) {
    int info = 0;
    getri[prec(a)](&n, (char *)lc_data(lu) + b * n * n * es, &lda, ipiv + b * n, work, &lwork, &info);
    if (info) rc = info > 0 ? singular(op, batch, info) : (lc_fail(LC_ERR_ARG, op, "LAPACK getri failed"), -1);
  }
  free(ipiv);
  free(work);
  lc_tensor *out = rc ? (lc_release(lu), NULL) : rowmajor(lu);
  return recorded(out, "InvBackward", inv_backward, 1, &a, out, NULL);
}

/* det: the product of U's diagonal, negated for each row swap.
 * gA = g det A^{-T} (A invertible). */
static int det_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *a = lc_node_saved(n, 0), *d = a ? lc_node_saved(n, 1) : NULL;
  if (!d) return -1;
  lc_tensor *inv = lc_inv(a), *it = inv ? mT(inv) : NULL;
  lc_tensor *gd = lc_binary(LC_MUL, g[0], d);
  lc_tensor *e1 = gd ? lc_unsqueeze(gd, -1) : NULL, *e2 = e1 ? lc_unsqueeze(e1, -1) : NULL;
  gin[0] = it && e2 ? lc_binary(LC_MUL, it, e2) : NULL;
  lc_tensor *tmp[] = {inv, it, gd, e1, e2};
  for (int i = 0; i < 5; i++) lc_release(tmp[i]);
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_det(const lc_tensor *a) {
  const char *op = "det";
  if (check_matrix(op, a, true)) return NULL;
  lc_tensor *lu = colmajor(a);
  int n = (int)a->sizes[a->ndim - 1];
  int64_t batch = batch_of(a);
  int *ipiv = lu ? lc_malloc((size_t)(batch * n + 1) * sizeof *ipiv, op) : NULL;
  lc_tensor *out = ipiv && !lu_factor(op, lu, ipiv, true) ? lc_empty(a->dtype, a->ndim - 2, a->sizes) : NULL;
  if (out)
    LC_DISPATCH(a->dtype, T, {
      const T *m = lc_data(lu);
      T *o = lc_data(out);
      for (int64_t b = 0; b < batch; b++) {
        double d = 1;
        for (int i = 0; i < n; i++) {
          d *= (double)m[b * n * n + (int64_t)i * n + i];
          if (ipiv[b * n + i] != i + 1) d = -d;
        }
        o[b] = (T)d;
      }
    });
  free(ipiv);
  lc_release(lu);
  return recorded(out, "DetBackward", det_backward, 1, &a, a, out);
}

/* ---- cholesky -------------------------------------------------------------------------- */

/* A = L L^T.  P = L^T gL with its strict upper part dropped and its diagonal
 * halved; gA = sym(L^{-T} P L^{-1}), sym(X) = (X + X^T) / 2. */
static int cholesky_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *l = lc_node_saved(n, 0);
  if (!l) return -1;
  lc_tensor *p = mm_rel(mT(l), lc_retain(g[0])), *pl = p ? lc_tril(p, 0) : NULL;
  lc_tensor *d = pl ? lc_diagonal(pl, 0, -2, -1) : NULL;
  int rc = d ? lc_binary_scalar_(LC_MUL, d, 0.5) : -1;
  lc_tensor *li = rc ? NULL : lc_inv(l);
  lc_tensor *x = li ? mm_rel(mm_rel(mT(li), lc_retain(pl)), lc_retain(li)) : NULL;
  lc_tensor *xt = x ? mT(x) : NULL, *s = xt ? lc_binary(LC_ADD, x, xt) : NULL;
  gin[0] = s ? lc_binary_scalar(LC_MUL, s, 0.5, false) : NULL;
  lc_tensor *tmp[] = {p, pl, d, li, x, xt, s};
  for (int i = 0; i < 7; i++) lc_release(tmp[i]);
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_cholesky(const lc_tensor *a) {
  const char *op = "cholesky";
  if (check_matrix(op, a, true)) return NULL;
  lc_tensor *c = colmajor(a); /* only the lower triangle is read */
  int n = (int)a->sizes[a->ndim - 1], lda = n > 1 ? n : 1;
  int64_t batch = batch_of(a);
  size_t es = lc_dtype_size(a->dtype);
  int rc = c ? 0 : -1;
  for (int64_t b = 0; b < batch && !rc && n > 0; b++) {
    int info = 0;
    potrf[prec(a)]("L", &n, (char *)lc_data(c) + b * n * n * es, &lda, &info);
    if (info > 0) {
      lc_fail(LC_ERR_ARG, op, "the matrix%s is not positive-definite (the leading minor of order %d is not)", batch > 1 ? " (one of the batch)" : "", info);
      rc = -1;
    }
  }
  lc_tensor *full = rc ? (lc_release(c), NULL) : rowmajor(c);
  bool was = lc_set_grad_enabled(false);
  lc_tensor *out = full ? lc_tril(full, 0) : NULL; /* LAPACK leaves the other triangle as it was */
  lc_set_grad_enabled(was);
  lc_release(full);
  return recorded(out, "CholeskyBackward", cholesky_backward, 1, &a, out, NULL);
}

/* ---- qr (reduced) ------------------------------------------------------------------------- */

/* m >= n: M = R gR^T - gQ^T Q;  gA = (gQ + Q copyltu(M)) R^{-T}, where
 * copyltu(M) mirrors M's lower triangle onto its upper one. */
static int qr_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *q = lc_node_saved(n, 0), *r = q ? lc_node_saved(n, 1) : NULL;
  if (!r) return -1;
  if (q->sizes[q->ndim - 2] < r->sizes[r->ndim - 1]) {
    lc_fail(LC_ERR_SHAPE, "qr", "the backward of a matrix with fewer rows than columns is not implemented");
    return -1;
  }
  lc_tensor *a = mm_rel(lc_retain(r), mT(g[1])), *b = mm_rel(mT(g[0]), lc_retain(q));
  lc_tensor *m = a && b ? lc_binary(LC_SUB, a, b) : NULL;
  lc_tensor *lo = m ? lc_tril(m, 0) : NULL, *lo1 = m ? lc_tril(m, -1) : NULL;
  lc_tensor *up = lo1 ? mT(lo1) : NULL, *c = lo && up ? lc_binary(LC_ADD, lo, up) : NULL;
  lc_tensor *qc = c ? lc_matmul(q, c) : NULL, *s = qc ? lc_binary(LC_ADD, g[0], qc) : NULL;
  /* s R^{-T}: solve R X^T = s^T */
  lc_tensor *st = s ? mT(s) : NULL, *xt = st ? lc_solve(r, st) : NULL;
  lc_tensor *x = xt ? mT(xt) : NULL;
  gin[0] = x ? lc_contiguous(x) : NULL;
  lc_tensor *tmp[] = {a, b, m, lo, lo1, up, c, qc, s, st, xt, x};
  for (int i = 0; i < 12; i++) lc_release(tmp[i]);
  return gin[0] ? 0 : -1;
}

int lc_qr(const lc_tensor *a, lc_tensor **q_out, lc_tensor **r_out) {
  const char *op = "qr";
  *q_out = *r_out = NULL;
  if (check_matrix(op, a, false)) return -1;
  int m = (int)a->sizes[a->ndim - 2], n = (int)a->sizes[a->ndim - 1], k = m < n ? m : n;
  int lda = m > 1 ? m : 1;
  int64_t batch = batch_of(a);
  size_t es = lc_dtype_size(a->dtype);
  lc_tensor *c = colmajor(a); /* (..., n, m): column-major A */
  int lwork = 64 * (n > m ? n : m) + 64;
  void *tau = c ? lc_malloc((size_t)(batch * k + 1) * es, op) : NULL;
  void *work = tau ? lc_malloc((size_t)lwork * es, op) : NULL;
  int rc = work ? 0 : -1;
  for (int64_t b = 0; b < batch && !rc && k > 0; b++) {
    int info = 0;
    geqrf[prec(a)](&m, &n, (char *)lc_data(c) + b * (int64_t)m * n * es, &lda,
                   (char *)tau + b * k * es, work, &lwork, &info);
    if (info) rc = -1, lc_fail(LC_ERR_ARG, op, "LAPACK geqrf failed (%d)", info);
  }
  /* R: the upper triangle of the first k rows; Q: orgqr on the first k columns */
  lc_tensor *full = rc ? NULL : rowmajor(lc_retain(c)); /* (..., m, n) row-major, R in its upper part */
  bool was = lc_set_grad_enabled(false);
  lc_tensor *top = full ? lc_narrow(full, full->ndim - 2, 0, k) : NULL;
  lc_tensor *r = top ? lc_triu(top, 0) : NULL;
  int64_t qs[LC_MAX_DIMS];
  memcpy(qs, a->sizes, (a->ndim - 2) * sizeof *qs);
  qs[a->ndim - 2] = k, qs[a->ndim - 1] = m; /* column-major (m, k) */
  lc_tensor *qc = r ? lc_empty(a->dtype, a->ndim, qs) : NULL;
  for (int64_t b = 0; qc && b < batch && !rc; b++) {
    memcpy((char *)lc_data(qc) + b * (int64_t)m * k * es, (char *)lc_data(c) + b * (int64_t)m * n * es,
           (size_t)m * k * es);
    int info = 0;
    if (k > 0)
      orgqr[prec(a)](&m, &k, &k, (char *)lc_data(qc) + b * (int64_t)m * k * es, &lda,
                     (char *)tau + b * k * es, work, &lwork, &info);
    if (info) rc = -1, lc_fail(LC_ERR_ARG, op, "LAPACK orgqr failed (%d)", info);
  }
  lc_tensor *q = qc && !rc ? rowmajor(qc) : (lc_release(qc), NULL);
  lc_tensor *rr = r ? lc_contiguous(r) : NULL;
  lc_set_grad_enabled(was);
  free(tau);
  free(work);
  lc_release(c);
  lc_release(full);
  lc_release(top);
  lc_release(r);
  if (!q || !rr) {
    lc_release(q);
    lc_release(rr);
    return -1;
  }
  if (lc_should_record(1, &a)) {
    lc_node *node = lc_node_new("QrBackward", qr_backward, 1, &a, 2);
    lc_tensor *outs[2] = {q, rr};
    if (!node || lc_node_save(node, q) || lc_node_save(node, rr)) {
      if (node) lc_node_release(node);
      lc_release(q);
      lc_release(rr);
      return -1;
    }
    lc_node_attach(node, outs, 2);
    lc_node_release(node);
  }
  *q_out = q;
  *r_out = rr;
  return 0;
}
