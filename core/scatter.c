/* scatter.c: gather and scatter along a dim with an index tensor.
 *
 * Both walk the index's shape a row (its last dim) at a time: for each row
 * the offsets of t, index and src are computed once, then the inner loop
 * steps through the row with each operand's last stride. Along dim, t's
 * offset comes from the index value instead of the position. */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

typedef struct {
  int ndim;
  int64_t sizes[LC_MAX_DIMS]; /* the index's */
  int64_t st[3][LC_MAX_DIMS]; /* strides of t (0 along dim), index, src */
  int64_t m;                  /* row length (1 for a 0-dim index) */
  int64_t step[3];            /* strides along the row */
  int64_t dim_stride, dim_size, base;
} walk;

static void walk_init(walk *w, const lc_tensor *t, int dim, const lc_tensor *index,
                      const lc_tensor *src, int64_t base) {
  memset(w, 0, sizeof *w);
  w->ndim = index->ndim;
  for (int i = 0; i < index->ndim; i++) {
    w->sizes[i] = index->sizes[i];
    w->st[0][i] = t->ndim && i != dim ? t->strides[i] : 0;
    w->st[1][i] = index->strides[i];
    w->st[2][i] = src && src->ndim ? src->strides[i] : 0;
  }
  int last = index->ndim - 1;
  w->m = index->ndim ? index->sizes[last] : 1;
  for (int k = 0; k < 3; k++) w->step[k] = index->ndim ? w->st[k][last] : 0;
  w->dim_stride = t->ndim ? t->strides[dim] : 0;
  w->dim_size = t->ndim ? t->sizes[dim] : 1;
  w->base = base;
}

/* Offsets of the three operands at the start of row r. */
static void walk_row(const walk *w, int64_t r, int64_t *off) {
  off[0] = off[1] = off[2] = 0;
  for (int i = w->ndim - 2; i >= 0; i--) {
    int64_t c = r % w->sizes[i];
    r /= w->sizes[i];
    for (int k = 0; k < 3; k++) off[k] += c * w->st[k][i];
  }
}

static int64_t walk_rows(const walk *w) {
  int64_t rows = 1;
  for (int i = 0; i + 1 < w->ndim; i++) rows *= w->sizes[i];
  return w->m ? rows : 0;
}

/* The first index outside [base, base + dim_size), or 0 when all fit. */
static int check_index(const char *op, const walk *w, const int64_t *idx, int dim) {
  int64_t rows = walk_rows(w), off[3];
  for (int64_t r = 0; r < rows; r++) {
    walk_row(w, r, off);
    for (int64_t j = 0; j < w->m; j++) {
      int64_t v = idx[off[1] + j * w->step[1]] - w->base;
      if (v < 0 || v >= w->dim_size) {
        lc_set_error("%s: index %lld is out of range for dim %d of size %lld", op,
                     (long long)(v + w->base), dim + 1, (long long)w->dim_size);
        return -1;
      }
    }
  }
  return 0;
}

/* The checks gather and scatter share: an int64 index with t's number of
 * dims, no larger than t outside dim (and than src everywhere). */
static int check_args(const char *op, const lc_tensor *t, int dim, const lc_tensor *index,
                      const lc_tensor *src) {
  char a[128], b[128];
  if (index->dtype != LC_INT64) {
    lc_set_error("%s: index must be an int64 tensor, got %s", op, lc_dtype_name(index->dtype));
    return -1;
  }
  if (index->ndim != t->ndim && lc_numel(index) > 0 && !(index->ndim <= 1 && t->ndim <= 1)) {
    lc_set_error("%s: index must have as many dims as input (%d), got %d", op, t->ndim,
                 index->ndim);
    return -1;
  }
  for (int i = 0; i < index->ndim && index->ndim == t->ndim; i++) {
    if ((i != dim && index->sizes[i] > t->sizes[i]) ||
        (src && src->ndim == index->ndim && index->sizes[i] > src->sizes[i])) {
      lc_set_error("%s: index of shape %s is larger than %s %s outside dim %d", op,
                   lc_shape_str(a, index->ndim, index->sizes),
                   src && index->sizes[i] > src->sizes[i] ? "src" : "input",
                   lc_shape_str(b, t->ndim, t->sizes), dim + 1);
      return -1;
    }
  }
  if (src && src->ndim != index->ndim && lc_numel(index) > 0) {
    lc_set_error("%s: src must have as many dims as index (%d), got %d", op, index->ndim,
                 src->ndim);
    return -1;
  }
  return 0;
}

/* ---- scatter --------------------------------------------------------------- */

#define SCATTER_LOOP(T, EXPR)                                                       \
  for (int64_t r = 0; r < rows; r++) {                                             \
    int64_t off[3];                                                                \
    walk_row(&w, r, off);                                                          \
    for (int64_t j = 0; j < w.m; j++) {                                            \
      T *d = dst + off[0] + j * w.step[0] +                                        \
             (idx[off[1] + j * w.step[1]] - w.base) * w.dim_stride;                \
      T s = sp ? sp[off[2] + j * w.step[2]] : (T)value;                            \
      EXPR;                                                                        \
    }                                                                              \
  }

/* Serial: two index elements may name the same target. */
int lc_scatter_(lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                double value, lc_scatter_mode mode, int64_t base) {
  const char *op = "scatter";
  if (t->ndim && (dim = lc_check_dim(op, t, dim, false)) < 0) return -1;
  if (check_args(op, t, dim, index, src)) return -1;
  if (src && src->dtype != t->dtype) {
    lc_set_error("%s: src must have input's dtype %s, got %s", op, lc_dtype_name(t->dtype),
                 lc_dtype_name(src->dtype));
    return -1;
  }
  if (lc_numel(index) == 0) return 0;
  walk w;
  walk_init(&w, t, dim, index, src, base);
  if (check_index(op, &w, LC_PTR(int64_t, index), dim)) return -1;
  int64_t rows = walk_rows(&w);
  const int64_t *idx = LC_PTR(int64_t, index);
  LC_DISPATCH(t->dtype, T, {
    T *dst = LC_PTR(T, t);
    const T *sp = src ? LC_PTR(T, src) : NULL;
    switch (mode) {
    case LC_SCATTER_SET: SCATTER_LOOP(T, *d = s) break;
    case LC_SCATTER_ADD: SCATTER_LOOP(T, *d += s) break;
    case LC_SCATTER_PROD: SCATTER_LOOP(T, *d *= s) break;
    /* NaN wins, as PyTorch's maximum/minimum */
    case LC_SCATTER_AMAX: SCATTER_LOOP(T, if (s > *d || s != s) *d = s) break;
    case LC_SCATTER_AMIN: SCATTER_LOOP(T, if (s < *d || s != s) *d = s) break;
    }
  });
  lc_bump_version(t);
  return 0;
}

/* ---- gather ---------------------------------------------------------------- */

/* grad_t = zeros(t); grad_t.scatter_add_(dim, index, g). ints: dim, base,
 * ndim, sizes...; saved 0: the index. */
static int gather_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *index = lc_node_saved(n, 0);
  if (!index) return -1;
  lc_tensor *gx = lc_zeros(grad_out[0]->dtype, (int)n->ints[2], &n->ints[3]);
  if (gx && lc_scatter_(gx, (int)n->ints[0], index, grad_out[0], 0, LC_SCATTER_ADD, n->ints[1])) {
    lc_release(gx);
    gx = NULL;
  }
  grad_in[0] = gx;
  return gx ? 0 : -1;
}

lc_tensor *lc_gather(const lc_tensor *t, int dim, const lc_tensor *index, int64_t base) {
  const char *op = "gather";
  if (t->ndim && (dim = lc_check_dim(op, t, dim, false)) < 0) return NULL;
  if (!t->ndim && lc_check_dim(op, t, dim, false) < 0) return NULL;
  if (check_args(op, t, dim, index, NULL)) return NULL;
  walk w;
  walk_init(&w, t, dim, index, NULL, base);
  if (check_index(op, &w, LC_PTR(int64_t, index), dim)) return NULL;
  lc_tensor *out = lc_empty(t->dtype, index->ndim, index->sizes);
  if (!out) return NULL;
  int64_t rows = walk_rows(&w);
  const int64_t *idx = LC_PTR(int64_t, index);
  bool par = rows > 1 && lc_numel(index) >= LC_PARALLEL_GRAIN;
  LC_DISPATCH(t->dtype, T, {
    const T *xs = LC_PTR(T, t);
    T *o = lc_data(out);
    _Pragma("omp parallel for if (par) schedule(static)")
    for (int64_t r = 0; r < rows; r++) {
      int64_t off[3];
      walk_row(&w, r, off);
      T *dst = o + r * w.m;
      for (int64_t j = 0; j < w.m; j++)
        dst[j] = xs[off[0] + j * w.step[0] + (idx[off[1] + j * w.step[1]] - w.base) * w.dim_stride];
    }
  });
  if (lc_should_record(1, &t)) {
    lc_node *n = lc_record("GatherBackward", gather_backward, out, 1, &t);
    if (!n || lc_node_save(n, index)) {
      lc_release(out);
      return NULL;
    }
    n->ints[0] = dim;
    n->ints[1] = base;
    n->ints[2] = t->ndim;
    for (int i = 0; i < t->ndim; i++) n->ints[3 + i] = t->sizes[i];
  }
  return out;
}
