/* create.c: linspace, logspace, tril/triu, diagonal, diag_embed, meshgrid.
 * diagonal is a view; tril/triu and diag_embed copy, each with a backward
 * that is the same kind of op on the gradient. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

/* ---- linspace, logspace --------------------------------------------------------- */

/* PyTorch's formula, in the result's type: the first half counts up from
 * start, the second half down from end, so both ends are exact. With a
 * base, base^value (logspace). */
static lc_tensor *spaced(const char *op, double start, double end, int64_t steps, lc_dtype dt,
                         double base, bool log) {
  if (steps < 0) {
    lc_fail(LC_ERR_ARG, op, "steps must be at least 0, got %lld", (long long)steps);
    return NULL;
  }
  lc_tensor *t = lc_empty(dt, 1, &steps);
  if (!t) return NULL;
  LC_DISPATCH(dt, T, {
    T *p = lc_data(t);
    double step = steps > 1 ? (end - start) / (double)(steps - 1) : 0;
    for (int64_t i = 0; i < steps; i++) {
      double v = i < steps / 2 ? start + step * (double)i : end - step * (double)(steps - 1 - i);
      if (steps == 1) v = start;
      p[i] = (T)(log ? pow(base, v) : v);
    }
  });
  return t;
}

lc_tensor *lc_linspace(double start, double end, int64_t steps, lc_dtype dt) {
  return spaced("linspace", start, end, steps, dt, 0, false);
}

lc_tensor *lc_logspace(double start, double end, int64_t steps, double base, lc_dtype dt) {
  return spaced("logspace", start, end, steps, dt, base, true);
}

/* ---- tril, triu -------------------------------------------------------------------- */

/* Keeps element (i, j) of the last two dims when j - i <= k (tril) or
 * j - i >= k (triu); ints: k, upper. */
static lc_tensor *triangle(const lc_tensor *t, int64_t k, bool upper);

static int triangle_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = triangle(g[0], n->ints[0], n->ints[1]);
  return gin[0] ? 0 : -1;
}

static lc_tensor *triangle(const lc_tensor *t, int64_t k, bool upper) {
  const char *op = upper ? "triu" : "tril";
  if (t->ndim < 2) {
    lc_fail(LC_ERR_SHAPE, op, "expected a tensor of at least 2 dims, got %d", t->ndim);
    return NULL;
  }
  bool was = lc_set_grad_enabled(false);
  lc_tensor *out = lc_empty(t->dtype, t->ndim, t->sizes); /* row-major, for the loop below */
  if (out && lc_copy_(out, t)) {
    lc_release(out);
    out = NULL;
  }
  lc_set_grad_enabled(was);
  if (!out) return NULL;
  int64_t r = t->sizes[t->ndim - 2], c = t->sizes[t->ndim - 1];
  int64_t mats = r > 0 && c > 0 ? lc_numel(out) / (r * c) : 0;
  LC_DISPATCH(out->dtype, T, {
    T *p = lc_data(out);
    for (int64_t m = 0; m < mats; m++)
      for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++)
          if (upper ? j - i < k : j - i > k) p[(m * r + i) * c + j] = 0;
  });
  if (lc_should_record(1, &t)) {
    lc_node *n = lc_record(upper ? "TriuBackward" : "TrilBackward", triangle_backward, out, 1, &t);
    if (!n) {
      lc_release(out);
      return NULL;
    }
    n->ints[0] = k;
    n->ints[1] = upper;
  }
  return out;
}

lc_tensor *lc_tril(const lc_tensor *t, int64_t k) { return triangle(t, k, false); }
lc_tensor *lc_triu(const lc_tensor *t, int64_t k) { return triangle(t, k, true); }

/* ---- diagonal, diag_embed ------------------------------------------------------------- */

/* ints: offset, dim1, dim2, then the input's ndim and sizes. */
static int diagonal_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin);
static int diag_embed_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin);

static lc_node *record_diag(const char *name, lc_backward_fn fn, lc_tensor *out,
                            const lc_tensor *t, int64_t offset, int d1, int d2) {
  lc_node *n = lc_record(name, fn, out, 1, &t);
  if (!n) return NULL;
  n->ints[0] = offset;
  n->ints[1] = d1;
  n->ints[2] = d2;
  n->ints[3] = t->ndim;
  for (int i = 0; i < t->ndim; i++) n->ints[4 + i] = t->sizes[i];
  return n;
}

/* The view without history: dims d1 and d2 replaced by a last dim walking
 * their diagonal. */
static lc_tensor *diagonal_view(const lc_tensor *t, int64_t offset, int d1, int d2) {
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS], start = t->offset;
  int nd = 0;
  for (int i = 0; i < t->ndim; i++)
    if (i != d1 && i != d2) sizes[nd] = t->sizes[i], strides[nd++] = t->strides[i];
  int64_t len = offset >= 0 ? fmin(t->sizes[d1], t->sizes[d2] - offset)
                            : fmin(t->sizes[d1] + offset, t->sizes[d2]);
  if (len < 0) len = 0;
  if (len > 0) start += offset >= 0 ? offset * t->strides[d2] : -offset * t->strides[d1];
  sizes[nd] = len;
  strides[nd++] = t->strides[d1] + t->strides[d2];
  return lc_tensor_new_view(t, nd, sizes, strides, start);
}

static int diag_dims(const char *op, const lc_tensor *t, int *d1, int *d2) {
  if ((*d1 = lc_check_dim(op, t, *d1, false)) < 0 || (*d2 = lc_check_dim(op, t, *d2, false)) < 0)
    return -1;
  if (t->ndim < 2 || *d1 == *d2) {
    lc_fail(LC_ERR_SHAPE, op, "expected two different dims of a tensor of at least 2 dims, got dims %d and "
                 "%d of a %d-D tensor", *d1 + 1, *d2 + 1, t->ndim);
    return -1;
  }
  return 0;
}

lc_tensor *lc_diagonal(const lc_tensor *t, int64_t offset, int d1, int d2) {
  if (diag_dims("diagonal", t, &d1, &d2)) return NULL;
  lc_tensor *v = diagonal_view(t, offset, d1, d2);
  if (v && lc_should_record(1, &t) &&
      !record_diag("DiagonalBackward", diagonal_backward, v, t, offset, d1, d2)) {
    lc_release(v);
    return NULL;
  }
  return v;
}

/* t's last dim laid on the (offset) diagonal of dims d1, d2 of a new tensor
 * of zeros (dims counted in the result). */
static lc_tensor *embed(const lc_tensor *t, int64_t offset, int d1, int d2) {
  int nd = t->ndim + 1;
  if (nd > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "diag_embed", "at most %d dims are supported", LC_MAX_DIMS);
    return NULL;
  }
  lc_tensor probe = {.ndim = nd}; /* for the dim check only */
  if (diag_dims("diag_embed", &probe, &d1, &d2)) return NULL;
  int64_t n = t->ndim ? t->sizes[t->ndim - 1] : 1, side = n + (offset < 0 ? -offset : offset);
  int64_t sizes[LC_MAX_DIMS];
  for (int i = 0, j = 0; i < nd; i++) sizes[i] = i == d1 || i == d2 ? side : t->sizes[j++];
  lc_tensor *out = lc_zeros(t->dtype, nd, sizes);
  lc_tensor *v = out ? diagonal_view(out, offset, d1, d2) : NULL;
  bool was = lc_set_grad_enabled(false);
  int rc = v ? lc_copy_(v, t) : -1;
  lc_set_grad_enabled(was);
  lc_release(v);
  if (rc) {
    lc_release(out);
    return NULL;
  }
  return out;
}

lc_tensor *lc_diag_embed(const lc_tensor *t, int64_t offset, int d1, int d2) {
  lc_tensor *out = embed(t, offset, d1, d2);
  if (!out || !lc_should_record(1, &t)) return out;
  lc_tensor probe = {.ndim = t->ndim + 1};
  d1 = lc_check_dim("diag_embed", &probe, d1, false);
  d2 = lc_check_dim("diag_embed", &probe, d2, false);
  if (!record_diag("DiagEmbedBackward", diag_embed_backward, out, t, offset, d1, d2)) {
    lc_release(out);
    return NULL;
  }
  return out;
}

/* diagonal: the gradient laid back on the diagonal of zeros. */
static int diagonal_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *gx = lc_zeros(g[0]->dtype, (int)n->ints[3], &n->ints[4]);
  lc_tensor *v = gx ? diagonal_view(gx, n->ints[0], (int)n->ints[1], (int)n->ints[2]) : NULL;
  int rc = v ? lc_copy_(v, g[0]) : -1;
  lc_release(v);
  if (rc) {
    lc_release(gx);
    return -1;
  }
  gin[0] = gx;
  return 0;
}

/* diag_embed: the gradient's diagonal. */
static int diag_embed_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *v = diagonal_view(g[0], n->ints[0], (int)n->ints[1], (int)n->ints[2]);
  gin[0] = v ? lc_contiguous(v) : NULL;
  lc_release(v);
  if (gin[0] && n->ints[3] == 0) { /* a 0-dim input: one element back to 0 dims */
    lc_tensor *s = lc_view(gin[0], 0, NULL);
    lc_release(gin[0]);
    gin[0] = s;
  }
  return gin[0] ? 0 : -1;
}

/* ---- meshgrid ------------------------------------------------------------------------ */

lc_tensor **lc_meshgrid(lc_tensor *const *ts, int n, bool xy) {
  if (n < 1 || n > LC_MAX_DIMS) {
    lc_fail(LC_ERR_ARG, "meshgrid", "expected 1 to %d tensors, got %d", LC_MAX_DIMS, n);
    return NULL;
  }
  int64_t sizes[LC_MAX_DIMS];
  for (int i = 0; i < n; i++) {
    if (ts[i]->ndim > 1) {
      lc_fail(LC_ERR_SHAPE, "meshgrid", "tensor %d must be 0- or 1-D, got %d dims", i + 1, ts[i]->ndim);
      return NULL;
    }
    if (ts[i]->dtype != ts[0]->dtype) {
      lc_fail(LC_ERR_DTYPE, "meshgrid", "all tensors must have one dtype, got %s and %s",
                   lc_dtype_name(ts[0]->dtype), lc_dtype_name(ts[i]->dtype));
      return NULL;
    }
    sizes[i] = lc_numel(ts[i]);
  }
  /* 'xy' indexing swaps the roles of the first two inputs */
  int order[LC_MAX_DIMS];
  for (int i = 0; i < n; i++) order[i] = i;
  if (xy && n >= 2) order[0] = 1, order[1] = 0;
  int64_t out_sizes[LC_MAX_DIMS];
  for (int d = 0; d < n; d++) out_sizes[d] = sizes[order[d]];
  lc_tensor **outs = lc_calloc(n, sizeof *outs, "meshgrid");
  if (!outs) return NULL;
  for (int i = 0; i < n; i++) {
    int at = 0; /* the output dim that walks input i */
    while (order[at] != i) at++;
    int64_t shape[LC_MAX_DIMS];
    for (int d = 0; d < n; d++) shape[d] = d == at ? sizes[i] : 1;
    lc_tensor *v = lc_reshape(ts[i], n, shape);
    outs[i] = v ? lc_expand(v, n, out_sizes) : NULL;
    lc_release(v);
    if (!outs[i]) {
      for (int j = 0; j < i; j++) lc_release(outs[j]);
      free(outs);
      return NULL;
    }
  }
  return outs;
}
