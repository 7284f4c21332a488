/* linalg.c: matrix products. lc_gemm hands 2-D strided views to BLAS (lc_blas_gemm),
 * reading transposes from strides so that transposed views cost no copy;
 * lc_matmul adds torch.matmul's 1-D promotion and batch broadcasting on top,
 * and its backward sits right after it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "lc_blas.h"
#include "lc_internal.h"

/* ---- strided matrices and BLAS layouts ----------------------------------- */

/* A 2-D matrix in some storage: first element and element strides. */
typedef struct {
  char *data;
  int64_t s0, s1;
} mat;

/* How BLAS sees a matrix: row-major (trans = false) or column-major
 * (trans = true, i.e. the row-major transpose of what is stored), with its
 * leading dimension. */
typedef struct {
  bool trans;
  int64_t ld;
} layout;

static int64_t max1(int64_t x) { return x > 1 ? x : 1; }

/* A rows x cols matrix with strides (s0, s1) can go to BLAS as it is when one
 * stride is 1 and the other spans a whole row (or column). A dim of size 1
 * never moves, so its stride is whatever suits. */
static bool blas_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1, layout *l) {
  if ((cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= max1(cols))) {
    l->trans = false;
    l->ld = rows <= 1 ? max1(cols) : s0;
    return true;
  }
  if ((rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= max1(rows))) {
    l->trans = true;
    l->ld = cols <= 1 ? max1(rows) : s1;
    return true;
  }
  return false;
}

/* OpenBLAS takes sizes as blasint, 32 bits unless built with INTERFACE64. */
static bool fits_blas(int64_t x) { return sizeof(blasint) >= 8 || x <= INT_MAX; }

/* C = beta * C on its own: what a product with an empty inner dim leaves. */
static void scale_mat(lc_dtype dt, int64_t m, int64_t n, double beta, mat c) {
  LC_DISPATCH(dt, T, {
    for (int64_t i = 0; i < m; i++) {
      T *row = (T *)c.data + i * c.s0;
      for (int64_t j = 0; j < n; j++)
        row[j * c.s1] = beta == 0 ? (T)0 : (T)(beta * (double)row[j * c.s1]);
    }
  });
}

/* int64 has no BLAS: a plain loop, any strides. */
static void gemm_int64(int64_t m, int64_t n, int64_t k, double alpha, mat a, mat b, double beta,
                       mat c) {
  const int64_t *pa = (const int64_t *)a.data, *pb = (const int64_t *)b.data;
  int64_t *pc = (int64_t *)c.data, ia = (int64_t)alpha, ib = (int64_t)beta;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      int64_t acc = 0;
      for (int64_t p = 0; p < k; p++) acc += pa[i * a.s0 + p * a.s1] * pb[p * b.s0 + j * b.s1];
      int64_t *dst = pc + i * c.s0 + j * c.s1;
      *dst = ia * acc + (ib == 0 ? 0 : ib * *dst);
    }
}

/* C (m x n) = alpha A (m x k) B (k x n) + beta C. For floats every operand
 * must pass blas_layout (callers copy those that do not) and sizes must fit
 * blasint. A column-major C is computed as C^T = B^T A^T, which in BLAS terms
 * is the same call in column-major order: an operand's transpose flag is then
 * set when its layout differs from C's. */
static void gemm_mats(lc_dtype dt, int64_t m, int64_t n, int64_t k, double alpha, mat a, mat b,
                      double beta, mat c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    scale_mat(dt, m, n, beta, c);
    return;
  }
  if (dt == LC_INT64) {
    gemm_int64(m, n, k, alpha, a, b, beta, c);
    return;
  }
  layout la = {0}, lb = {0}, lcl = {0}; /* set by blas_layout: callers checked it passes */
  blas_layout(m, k, a.s0, a.s1, &la);
  blas_layout(k, n, b.s0, b.s1, &lb);
  blas_layout(m, n, c.s0, c.s1, &lcl);
  lc_blas_gemm(dt, lcl.trans, la.trans != lcl.trans, lb.trans != lcl.trans, m, n, k, alpha, a.data,
               la.ld, b.data, lb.ld, beta, c.data, lcl.ld);
}

static mat mat_of(const lc_tensor *t) {
  return (mat){(char *)lc_data(t), t->strides[0], t->strides[1]};
}

/* Whether BLAS can read rows x cols with strides (s0, s1) in place. Sizes
 * are checked to fit blasint up front; a too-long leading dim means a copy. */
static bool strided_ok(lc_dtype dt, int64_t rows, int64_t cols, int64_t s0, int64_t s1) {
  layout l;
  return dt == LC_INT64 || (blas_layout(rows, cols, s0, s1, &l) && fits_blas(l.ld));
}

static bool blas_ok(const lc_tensor *t) {
  return strided_ok(t->dtype, t->sizes[0], t->sizes[1], t->strides[0], t->strides[1]);
}

/* A new reference to t, or to a contiguous copy when BLAS cannot read it. */
static lc_tensor *blas_operand(const lc_tensor *t) {
  return blas_ok(t) ? lc_retain((lc_tensor *)t) : lc_contiguous(t);
}

/* An element reachable twice (a stride 0 over a dim longer than 1). */
static bool has_overlap(const lc_tensor *t) {
  for (int i = 0; i < t->ndim; i++)
    if (t->strides[i] == 0 && t->sizes[i] > 1) return true;
  return false;
}

static int gemm_check(const lc_tensor *a, const lc_tensor *b, const lc_tensor *c) {
  char x[128], y[128], z[128];
  if (a->ndim != 2 || b->ndim != 2 || c->ndim != 2) {
    lc_fail(LC_ERR_SHAPE, "gemm", "expected 2-D tensors, got %d-D, %d-D and %d-D", a->ndim, b->ndim,
                 c->ndim);
    return -1;
  }
  if (a->dtype != b->dtype || a->dtype != c->dtype) {
    lc_fail(LC_ERR_DTYPE, "gemm", "dtypes must match, got %s, %s and %s", lc_dtype_name(a->dtype),
                 lc_dtype_name(b->dtype), lc_dtype_name(c->dtype));
    return -1;
  }
  if (a->sizes[1] != b->sizes[0] || c->sizes[0] != a->sizes[0] || c->sizes[1] != b->sizes[1]) {
    lc_fail(LC_ERR_SHAPE, "gemm", "shapes %s and %s cannot be multiplied into %s",
                 lc_shape_str(x, 2, a->sizes), lc_shape_str(y, 2, b->sizes),
                 lc_shape_str(z, 2, c->sizes));
    return -1;
  }
  if (c->dtype != LC_INT64 && !(fits_blas(a->sizes[0]) && fits_blas(a->sizes[1]) &&
                                fits_blas(b->sizes[1]))) {
    lc_fail(LC_ERR_SHAPE, "gemm", "sizes %s and %s are too large for BLAS", lc_shape_str(x, 2, a->sizes),
                 lc_shape_str(y, 2, b->sizes));
    return -1;
  }
  if (has_overlap(c)) {
    lc_fail(LC_ERR_ARG, "gemm", "the output %s has overlapping elements (an expanded view) and cannot "
                 "be written", lc_shape_str(z, 2, c->sizes));
    return -1;
  }
  return 0;
}

/* Runs with grad mode off: lc_gemm records nothing, and neither may the
 * copies it makes on the way. */
static int gemm_nograd(double alpha, const lc_tensor *a, const lc_tensor *b, double beta,
                       lc_tensor *c) {
  int64_t m = c->sizes[0], n = c->sizes[1], k = a->sizes[1];
  if (m == 0 || n == 0) return 0;
  lc_tensor *ca = blas_operand(a), *cb = ca ? blas_operand(b) : NULL;
  if (!cb) {
    lc_release(ca);
    return -1;
  }
  /* BLAS writes C directly only when its layout suits and it shares no
   * storage with an operand (BLAS assumes no aliasing). */
  bool direct = blas_ok(c) && c->storage != ca->storage &&
                c->storage != cb->storage;
  lc_tensor *out = c;
  if (!direct) {
    out = beta == 0 ? lc_empty_like(c) : lc_clone(c);
    if (!out) {
      lc_release(ca);
      lc_release(cb);
      return -1;
    }
  }
  gemm_mats(c->dtype, m, n, k, alpha, mat_of(ca), mat_of(cb), beta, mat_of(out));
  lc_release(ca);
  lc_release(cb);
  int rc = 0;
  if (out != c) {
    rc = lc_copy_(c, out);
    lc_release(out);
  }
  lc_bump_version(c);
  return rc;
}

int lc_gemm(double alpha, const lc_tensor *a, const lc_tensor *b, double beta, lc_tensor *c) {
  if (gemm_check(a, b, c)) return -1;
  bool was = lc_set_grad_enabled(false);
  int rc = gemm_nograd(alpha, a, b, beta, c);
  lc_set_grad_enabled(was);
  return rc;
}

/* ---- matmul ---------------------------------------------------------------- */

/* An operand seen as a batch of matrices: batch dims (broadcast to the common
 * batch shape, stride 0 where repeated), then rows x cols. A 1-D operand is a
 * single row (left) or column (right). */
typedef struct {
  int64_t rows, cols, s0, s1;
  int64_t bstrides[LC_MAX_DIMS];
} operand;

static void describe(const lc_tensor *t, bool left, int nbatch, const int64_t *bsizes,
                     operand *o) {
  if (t->ndim == 1) {
    o->rows = left ? 1 : t->sizes[0];
    o->cols = left ? t->sizes[0] : 1;
    o->s0 = left ? 1 : t->strides[0];
    o->s1 = left ? t->strides[0] : 1;
  } else {
    o->rows = t->sizes[t->ndim - 2];
    o->cols = t->sizes[t->ndim - 1];
    o->s0 = t->strides[t->ndim - 2];
    o->s1 = t->strides[t->ndim - 1];
  }
  int own = t->ndim > 2 ? t->ndim - 2 : 0, lead = nbatch - own;
  for (int i = 0; i < nbatch; i++) {
    int j = i - lead;
    o->bstrides[i] = j >= 0 && t->sizes[j] == bsizes[i] ? t->strides[j] : 0;
  }
}

static bool operand_ok(const lc_tensor *t, bool left) {
  operand o;
  describe(t, left, 0, NULL, &o);
  return strided_ok(t->dtype, o.rows, o.cols, o.s0, o.s1);
}

/* The broadcast batch shape of a and b (their dims before the last two), or
 * -1 with an error. */
static int batch_shape(const lc_tensor *a, const lc_tensor *b, int64_t *out) {
  int na = a->ndim > 2 ? a->ndim - 2 : 0, nb = b->ndim > 2 ? b->ndim - 2 : 0;
  int n = na > nb ? na : nb;
  for (int i = 0; i < n; i++) {
    int ia = i - (n - na), ib = i - (n - nb);
    int64_t sa = ia >= 0 ? a->sizes[ia] : 1, sb = ib >= 0 ? b->sizes[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char x[128], y[128];
      lc_fail(LC_ERR_SHAPE, "matmul", "batch dimensions of shapes %s and %s cannot be broadcast "
                   "(%lld vs %lld)", lc_shape_str(x, a->ndim, a->sizes),
                   lc_shape_str(y, b->ndim, b->sizes), (long long)sa, (long long)sb);
      return -1;
    }
    out[i] = sa == 1 ? sb : sa;
  }
  return n;
}

/* When b is a single matrix and a's batch and row dims collapse into one
 * strided dim, the whole product is one GEMM (M*rows x k) @ (k x n): far
 * better for BLAS than many small ones. Returns the merged row stride via
 * *s0, or false. */
static bool merge_rows(const lc_tensor *a, int64_t *s0) {
  int64_t stride = 0, span = 0; /* span: elements covered by the dims merged so far */
  bool any = false;
  for (int i = a->ndim - 2; i >= 0; i--) {
    if (a->sizes[i] == 1) continue;
    if (!any) {
      stride = a->strides[i];
      span = a->strides[i] * a->sizes[i];
      any = true;
    } else {
      if (a->strides[i] != span) return false;
      span *= a->sizes[i];
    }
  }
  *s0 = any ? stride : max1(a->sizes[a->ndim - 1]);
  return true;
}

/* The product of a and b (same dtype, BLAS-readable matrices) into a new
 * contiguous tensor of matmul's output shape. */
static lc_tensor *matmul_compute(const lc_tensor *a, const lc_tensor *b, int nbatch,
                                 const int64_t *bsizes) {
  operand oa, ob;
  describe(a, true, nbatch, bsizes, &oa);
  describe(b, false, nbatch, bsizes, &ob);
  int64_t m = oa.rows, k = oa.cols, n = ob.cols;
  int64_t sizes[LC_MAX_DIMS];
  int nd = nbatch;
  memcpy(sizes, bsizes, nbatch * sizeof *sizes);
  if (a->ndim > 1) sizes[nd++] = m;
  if (b->ndim > 1) sizes[nd++] = n;
  lc_tensor *out = lc_empty(a->dtype, nd, sizes);
  if (!out) return NULL;
  int64_t nmat = lc_checked_numel("matmul", nbatch, bsizes);
  size_t es = lc_dtype_size(a->dtype);
  char *pa = lc_data(a), *pb = lc_data(b), *po = lc_data(out);
  int64_t row_stride;
  if (b->ndim <= 2 && nbatch > 0 && merge_rows(a, &row_stride) && fits_blas(m * nmat)) {
    mat ma = {pa, row_stride, oa.s1}, mb = {pb, ob.s0, ob.s1}, mo = {po, n, 1};
    if (strided_ok(a->dtype, m * nmat, k, ma.s0, ma.s1)) {
      gemm_mats(a->dtype, m * nmat, n, k, 1.0, ma, mb, 0.0, mo);
      return out;
    }
  }
  /* Batches run one after another: OpenBLAS spreads each over the threads. */
  for (int64_t idx = 0; idx < nmat; idx++) {
    int64_t offa = 0, offb = 0, rest = idx;
    for (int i = nbatch - 1; i >= 0; i--) {
      int64_t j = rest % bsizes[i];
      rest /= bsizes[i];
      offa += j * oa.bstrides[i];
      offb += j * ob.bstrides[i];
    }
    mat ma = {pa + offa * (int64_t)es, oa.s0, oa.s1};
    mat mb = {pb + offb * (int64_t)es, ob.s0, ob.s1};
    mat mo = {po + idx * m * n * (int64_t)es, n, 1};
    gemm_mats(a->dtype, m, n, k, 1.0, ma, mb, 0.0, mo);
  }
  return out;
}

static lc_tensor *matmul_nograd(const lc_tensor *a, const lc_tensor *b) {
  int64_t bsizes[LC_MAX_DIMS];
  int nbatch = batch_shape(a, b, bsizes);
  if (nbatch < 0) return NULL;
  /* Copy only the operands BLAS cannot read, and before any broadcasting. */
  lc_tensor *ca = operand_ok(a, true) ? lc_retain((lc_tensor *)a) : lc_contiguous(a);
  lc_tensor *cb = !ca ? NULL : operand_ok(b, false) ? lc_retain((lc_tensor *)b) : lc_contiguous(b);
  lc_tensor *out = cb ? matmul_compute(ca, cb, nbatch, bsizes) : NULL;
  lc_release(ca);
  lc_release(cb);
  return out;
}

static int matmul_check(const lc_tensor *a, const lc_tensor *b) {
  if (a->ndim == 0 || b->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, "matmul", "both arguments need at least 1 dimension, got %d-D and %d-D",
                 a->ndim, b->ndim);
    return -1;
  }
  int64_t ka = a->sizes[a->ndim - 1], kb = b->sizes[b->ndim > 1 ? b->ndim - 2 : 0];
  if (ka != kb) {
    char x[128], y[128];
    lc_fail(LC_ERR_SHAPE, "matmul", "shapes %s and %s cannot be multiplied (%lld != %lld)",
                 lc_shape_str(x, a->ndim, a->sizes), lc_shape_str(y, b->ndim, b->sizes),
                 (long long)ka, (long long)kb);
    return -1;
  }
  int64_t m = a->ndim > 1 ? a->sizes[a->ndim - 2] : 1, n = b->ndim > 1 ? b->sizes[b->ndim - 1] : 1;
  if (a->dtype != LC_INT64 && !(fits_blas(m) && fits_blas(n) && fits_blas(ka))) {
    char x[128], y[128];
    lc_fail(LC_ERR_SHAPE, "matmul", "shapes %s and %s are too large for BLAS",
                 lc_shape_str(x, a->ndim, a->sizes), lc_shape_str(y, b->ndim, b->sizes));
    return -1;
  }
  return 0;
}

/* The gradient g of a product, as a batch of matrices: the dims that 1-D
 * operands lost are put back (size 1). */
static lc_tensor *unflatten_grad(lc_tensor *g, const lc_tensor *a, const lc_tensor *b) {
  lc_tensor *r = lc_to(g, a->dtype); /* the raw products need one dtype */
  if (r && b->ndim == 1) {
    lc_tensor *u = lc_unsqueeze(r, r->ndim);
    lc_release(r);
    r = u;
  }
  if (r && a->ndim == 1) {
    lc_tensor *u = lc_unsqueeze(r, r->ndim - 1);
    lc_release(r);
    r = u;
  }
  return r;
}

/* A 1-D operand as the matrix it stands for: a row on the left, a column on
 * the right. */
static lc_tensor *as_matrix(const lc_tensor *t, bool left) {
  if (t->ndim != 1) return lc_retain((lc_tensor *)t);
  return lc_unsqueeze(t, left ? 0 : 1);
}

/* g summed over broadcast batch dims and reshaped to t's shape (which drops
 * the dim a 1-D operand gained); takes g. */
static lc_tensor *fit_to(lc_tensor *g, const lc_tensor *t, const lc_tensor *tm) {
  if (!g) return NULL;
  lc_tensor *s = lc_sum_to(g, tm->ndim, tm->sizes);
  lc_release(g);
  if (!s) return NULL;
  lc_tensor *r = lc_reshape(s, t->ndim, t->sizes);
  lc_release(s);
  return r;
}

/* A 2-D operand broadcast against a batch: the batch sum of x_i^T g_i is one
 * product (rows of all batches stacked): x^T g with x (M, k), g (M, n). */
static lc_tensor *folded_tn(const lc_tensor *x, const lc_tensor *g) {
  int64_t sx[2] = {-1, x->sizes[x->ndim - 1]}, sg[2] = {-1, g->sizes[g->ndim - 1]};
  lc_tensor *fx = lc_reshape(x, 2, sx), *fg = fx ? lc_reshape(g, 2, sg) : NULL;
  lc_tensor *tx = fg ? lc_transpose(fx, 0, 1) : NULL;
  lc_tensor *r = tx ? matmul_nograd(tx, fg) : NULL;
  lc_release(fx);
  lc_release(fg);
  lc_release(tx);
  return r;
}

/* grad_a = g b^T and grad_b = a^T g on the matrix forms, with transposes as
 * views (gemm reads them from strides). */
static int matmul_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  lc_tensor *a = lc_node_saved(n, 0), *b = a ? lc_node_saved(n, 1) : NULL;
  if (!b) return -1;
  lc_tensor *am = as_matrix(a, true), *bm = am ? as_matrix(b, false) : NULL;
  lc_tensor *g = bm ? unflatten_grad(grad_out[0], a, b) : NULL;
  int rc = g ? 0 : -1;
  if (!rc && lc_node_needs_grad(n, 0)) {
    lc_tensor *bt = lc_transpose(bm, -1, -2);
    lc_tensor *ga = bt ? matmul_nograd(g, bt) : NULL;
    lc_release(bt);
    grad_in[0] = fit_to(ga, a, am);
    if (!grad_in[0]) rc = -1;
  }
  if (!rc && lc_node_needs_grad(n, 1)) {
    lc_tensor *gb;
    if (bm->ndim == 2 && am->ndim > 2) {
      gb = folded_tn(am, g);
    } else {
      lc_tensor *at = lc_transpose(am, -1, -2);
      gb = at ? matmul_nograd(at, g) : NULL;
      lc_release(at);
    }
    grad_in[1] = fit_to(gb, b, bm);
    if (!grad_in[1]) rc = -1;
  }
  lc_release(am);
  lc_release(bm);
  lc_release(g);
  return rc;
}

static lc_tensor *matmul_same_dtype(const lc_tensor *a, const lc_tensor *b) {
  if (matmul_check(a, b)) return NULL;
  bool was = lc_set_grad_enabled(false);
  lc_tensor *out = matmul_nograd(a, b);
  lc_set_grad_enabled(was);
  const lc_tensor *ins[2] = {a, b};
  if (!out || !lc_should_record(2, ins)) return out;
  lc_node *node = lc_record(a->ndim == 2 && b->ndim == 2 ? "MmBackward" : "MatmulBackward",
                            matmul_backward, out, 2, ins);
  if (!node || lc_node_save(node, a) || lc_node_save(node, b)) {
    lc_release(out);
    return NULL;
  }
  return out;
}

lc_tensor *lc_matmul(const lc_tensor *a, const lc_tensor *b) {
  if (a->dtype == LC_BOOL || b->dtype == LC_BOOL) { /* as PyTorch */
    lc_fail(LC_ERR_DTYPE, "matmul", "not implemented for bool tensors");
    return NULL;
  }
  if (a->dtype == b->dtype) return matmul_same_dtype(a, b);
  /* Mixed dtypes meet at the promoted one; lc_to records its own node. */
  lc_dtype dt = lc_promote(a->dtype, b->dtype);
  lc_tensor *ca = lc_to(a, dt), *cb = ca ? lc_to(b, dt) : NULL;
  lc_tensor *out = cb ? matmul_same_dtype(ca, cb) : NULL;
  lc_release(ca);
  lc_release(cb);
  return out;
}
