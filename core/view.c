/* view.c: views share storage and never copy; contiguous, clone and dtype
 * conversion copy. Each op's backward sits right after it. */
#include <string.h>

#include "lc_internal.h"

/* Views remember the input's shape in ints[0] (ndim) and ints[1..]. */
static void save_shape(lc_node *n, const lc_tensor *t) {
  n->ints[0] = t->ndim;
  for (int i = 0; i < t->ndim; i++) n->ints[1 + i] = t->sizes[i];
}

static int saved_ndim(const lc_node *n) { return (int)n->ints[0]; }
static const int64_t *saved_sizes(const lc_node *n) { return n->ints + 1; }
/* a second parameter block after the shape */
#define ARG(n, k) ((n)->ints[LC_MAX_DIMS + 1 + (k)])

/* Records a view-op node that needs only the input's shape (and ARG slots). */
static lc_tensor *finish(lc_tensor *out, const lc_tensor *in, const char *name,
                         lc_backward_fn bw, int64_t a0, int64_t a1) {
  if (!out || !lc_should_record(1, &in)) return out;
  lc_node *n = lc_record(name, bw, out, 1, &in);
  if (!n) {
    lc_release(out);
    return NULL;
  }
  save_shape(n, in);
  ARG(n, 0) = a0;
  ARG(n, 1) = a1;
  return out;
}

lc_tensor *lc_alias(const lc_tensor *t) {
  return lc_tensor_new_view(t, t->ndim, t->sizes, t->strides, t->offset);
}

/* t takes src's memory, dtype and geometry, keeping its identity (what
 * Module:to needs for parameters an optimizer already holds). Its base
 * becomes src's, and its gradient is dropped unless it still fits. */
int lc_set_data(lc_tensor *t, const lc_tensor *src) {
  if (t->grad_fn) {
    lc_fail(LC_ERR_ARG, "_set_data", "only leaf tensors can take new data");
    return -1;
  }
  if (t->grad && (t->grad->dtype != src->dtype || t->grad->ndim != src->ndim ||
                  memcmp(t->grad->sizes, src->sizes, src->ndim * sizeof *src->sizes))) {
    lc_release(t->grad);
    t->grad = NULL;
  }
  if (src == t) return 0;
  src->storage->refcount++;
  lc_storage_release(t->storage);
  t->storage = src->storage;
  lc_tensor *root = lc_retain((lc_tensor *)(src->base ? src->base : src)); /* t now views it */
  lc_release(t->base);
  t->base = root;
  t->dtype = src->dtype;
  t->ndim = src->ndim;
  memcpy(t->sizes, src->sizes, sizeof t->sizes);
  memcpy(t->strides, src->strides, sizeof t->strides);
  t->offset = src->offset;
  return 0;
}

/* Detached: no history, and no tie to a base either (a base would keep its
 * graph alive, as truncated backpropagation through time detaches states
 * precisely to let it go). */
lc_tensor *lc_detach(const lc_tensor *t) {
  lc_tensor *d = lc_alias(t);
  if (d) {
    lc_release(d->base);
    d->base = NULL;
  }
  return d;
}

/* ---- view / reshape ------------------------------------------------------ */

/* Resolves one -1 and checks the element count. */
static int infer_sizes(const char *op, const lc_tensor *t, int ndim, const int64_t *sizes,
                       int64_t *out) {
  if (ndim > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, op, "at most %d dimensions are supported, got %d", LC_MAX_DIMS, ndim);
    return -1;
  }
  int infer = -1;
  int64_t known = 1, numel = lc_numel(t);
  for (int i = 0; i < ndim; i++) {
    out[i] = sizes[i];
    if (sizes[i] == -1) {
      if (infer >= 0) {
        lc_fail(LC_ERR_SHAPE, op, "only one dimension can be -1");
        return -1;
      }
      infer = i;
    } else if (sizes[i] < 0) {
      lc_fail(LC_ERR_SHAPE, op, "invalid size %lld", (long long)sizes[i]);
      return -1;
    } else if (known >= 0 && __builtin_mul_overflow(known, sizes[i], &known)) {
      known = -1; /* more elements than any tensor has: a mismatch below */
    }
  }
  if (infer >= 0 && known > 0 && numel % known == 0) out[infer] = numel / known;
  if (known < 0 || lc_checked_numel(op, ndim, out) != numel || (infer >= 0 && known == 0)) {
    char a[128], b[128];
    lc_fail(LC_ERR_SHAPE, op, "shape %s is invalid for a tensor of %lld elements (shape %s)",
                 lc_shape_str(a, ndim, sizes), (long long)numel,
                 lc_shape_str(b, t->ndim, t->sizes));
    return -1;
  }
  return 0;
}

/* Strides for viewing t as `sizes` without a copy, if its layout allows
 * (PyTorch's computeStride): each run of merged input dims must be
 * contiguous within itself. */
static bool view_strides(const lc_tensor *t, int ndim, const int64_t *sizes, int64_t *strides) {
  if (lc_numel(t) == 0 || lc_is_contiguous(t)) {
    lc_contiguous_strides(ndim, sizes, strides);
    return true;
  }
  int64_t chunk_base = 0;
  int view_d = ndim - 1;
  int64_t tensor_numel = 1, view_numel = 1;
  if (t->ndim == 0) {
    for (int i = 0; i < ndim; i++) strides[i] = 1;
    return true;
  }
  chunk_base = t->strides[t->ndim - 1];
  for (int d = t->ndim - 1; d >= 0; d--) {
    tensor_numel *= t->sizes[d];
    if (d == 0 || (t->sizes[d - 1] != 1 && t->strides[d - 1] != tensor_numel * chunk_base)) {
      while (view_d >= 0 && (view_numel < tensor_numel || sizes[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base;
        view_numel *= sizes[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base = t->strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

static int view_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *c = lc_contiguous(g[0]);
  if (!c) return -1;
  gin[0] = lc_view(c, saved_ndim(n), saved_sizes(n));
  lc_release(c);
  return gin[0] ? 0 : -1;
}

static lc_tensor *view_as(const char *op, const lc_tensor *t, int ndim, const int64_t *sizes,
                          bool may_copy) {
  int64_t out[LC_MAX_DIMS], strides[LC_MAX_DIMS];
  if (infer_sizes(op, t, ndim, sizes, out)) return NULL;
  if (!view_strides(t, ndim, out, strides)) {
    if (!may_copy) {
      lc_fail(LC_ERR_SHAPE, "view", "the tensor's strides are incompatible with shape %s; use reshape",
                   lc_shape_str((char[128]){0}, ndim, sizes));
      return NULL;
    }
    lc_tensor *c = lc_contiguous(t); /* records its own (identity) node */
    if (!c) return NULL;
    lc_tensor *r = view_as(op, c, ndim, out, false);
    lc_release(c);
    return r;
  }
  lc_tensor *v = lc_tensor_new_view(t, ndim, out, strides, t->offset);
  return finish(v, t, "ViewBackward", view_backward, 0, 0);
}

lc_tensor *lc_view(const lc_tensor *t, int ndim, const int64_t *sizes) {
  return view_as("view", t, ndim, sizes, false);
}

lc_tensor *lc_reshape(const lc_tensor *t, int ndim, const int64_t *sizes) {
  return view_as("reshape", t, ndim, sizes, true);
}

/* ---- transpose / permute ------------------------------------------------- */

static int transpose_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = lc_transpose(g[0], (int)ARG(n, 0), (int)ARG(n, 1));
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_transpose(const lc_tensor *t, int d0, int d1) {
  if ((d0 = lc_check_dim("transpose", t, d0, false)) < 0) return NULL;
  if ((d1 = lc_check_dim("transpose", t, d1, false)) < 0) return NULL;
  lc_tensor *v = lc_alias(t);
  if (!v) return NULL;
  if (t->ndim) {
    v->sizes[d0] = t->sizes[d1], v->sizes[d1] = t->sizes[d0];
    v->strides[d0] = t->strides[d1], v->strides[d1] = t->strides[d0];
  }
  return finish(v, t, "TransposeBackward", transpose_backward, d0, d1);
}

static int permute_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  int inverse[LC_MAX_DIMS];
  for (int i = 0; i < saved_ndim(n); i++) inverse[ARG(n, 2 + i)] = i;
  gin[0] = lc_permute(g[0], inverse);
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_permute(const lc_tensor *t, const int *dims) {
  bool seen[LC_MAX_DIMS] = {0};
  int d[LC_MAX_DIMS];
  for (int i = 0; i < t->ndim; i++) {
    if ((d[i] = lc_check_dim("permute", t, dims[i], false)) < 0) return NULL;
    if (seen[d[i]]) {
      lc_fail(LC_ERR_SHAPE, "permute", "dim %d appears twice", d[i] + 1);
      return NULL;
    }
    seen[d[i]] = true;
  }
  lc_tensor *v = lc_alias(t);
  if (!v) return NULL;
  for (int i = 0; i < t->ndim; i++) {
    v->sizes[i] = t->sizes[d[i]];
    v->strides[i] = t->strides[d[i]];
  }
  v = finish(v, t, "PermuteBackward", permute_backward, 0, 0);
  if (v && v->grad_fn && v->grad_fn->backward == permute_backward)
    for (int i = 0; i < t->ndim; i++) ARG(v->grad_fn, 2 + i) = d[i];
  return v;
}

/* ---- narrow / select ----------------------------------------------------- */

/* Gradient of a slice: zeros with g written into the same slice. */
static int slice_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *z = lc_zeros(g[0]->dtype, saved_ndim(n), saved_sizes(n));
  if (!z) return -1;
  bool is_select = ARG(n, 2) < 0;
  lc_tensor *part = is_select ? lc_select(z, (int)ARG(n, 0), ARG(n, 1))
                              : lc_narrow(z, (int)ARG(n, 0), ARG(n, 1), ARG(n, 2));
  int rc = part ? lc_copy_(part, g[0]) : -1;
  lc_release(part);
  if (rc) {
    lc_release(z);
    return -1;
  }
  gin[0] = z;
  return 0;
}

lc_tensor *lc_narrow(const lc_tensor *t, int dim, int64_t start, int64_t length) {
  if (t->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, "narrow", "cannot narrow a 0-dim tensor");
    return NULL;
  }
  if ((dim = lc_check_dim("narrow", t, dim, false)) < 0) return NULL;
  if (start < 0) start += t->sizes[dim];
  if (start < 0 || length < 0 || start > t->sizes[dim] || length > t->sizes[dim] - start) {
    lc_fail(LC_ERR_SHAPE, "narrow", "start %lld and length %lld exceed the size %lld of dim %d",
                 (long long)start, (long long)length, (long long)t->sizes[dim], dim + 1);
    return NULL;
  }
  lc_tensor *v = lc_alias(t);
  if (!v) return NULL;
  v->sizes[dim] = length;
  v->offset += start * t->strides[dim];
  lc_tensor *r = finish(v, t, "NarrowBackward", slice_backward, dim, start);
  if (r && r->grad_fn && r->grad_fn->backward == slice_backward) ARG(r->grad_fn, 2) = length;
  return r;
}

lc_tensor *lc_select(const lc_tensor *t, int dim, int64_t index) {
  if (t->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, "select", "cannot index a 0-dim tensor");
    return NULL;
  }
  if ((dim = lc_check_dim("select", t, dim, false)) < 0) return NULL;
  int64_t size = t->sizes[dim];
  if (index < -size || index >= size) {
    lc_fail(LC_ERR_INDEX, "select", "index %lld out of range for dim %d of size %lld", (long long)index, dim + 1,
                 (long long)size);
    return NULL;
  }
  if (index < 0) index += size;
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS];
  for (int i = 0, j = 0; i < t->ndim; i++)
    if (i != dim) sizes[j] = t->sizes[i], strides[j++] = t->strides[i];
  lc_tensor *v = lc_tensor_new_view(t, t->ndim - 1, sizes, strides,
                                    t->offset + index * t->strides[dim]);
  lc_tensor *r = finish(v, t, "SelectBackward", slice_backward, dim, index);
  if (r && r->grad_fn && r->grad_fn->backward == slice_backward) ARG(r->grad_fn, 2) = -1;
  return r;
}

/* ---- squeeze / unsqueeze ------------------------------------------------- */

lc_tensor *lc_squeeze(const lc_tensor *t, int dim) {
  bool all = dim == LC_ALL_DIMS;
  if (!all && t->ndim && (dim = lc_check_dim("squeeze", t, dim, false)) < 0) return NULL;
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < t->ndim; i++) {
    bool drop = t->sizes[i] == 1 && (all || i == dim);
    if (!drop) sizes[nd] = t->sizes[i], strides[nd++] = t->strides[i];
  }
  lc_tensor *v = lc_tensor_new_view(t, nd, sizes, strides, t->offset);
  return finish(v, t, "SqueezeBackward", view_backward, 0, 0);
}

lc_tensor *lc_unsqueeze(const lc_tensor *t, int dim) {
  if ((dim = lc_check_dim("unsqueeze", t, dim, true)) < 0) return NULL;
  if (t->ndim + 1 > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "unsqueeze", "at most %d dimensions are supported", LC_MAX_DIMS);
    return NULL;
  }
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS];
  for (int i = 0, j = 0; i <= t->ndim; i++) {
    if (i == dim) {
      sizes[i] = 1;
      strides[i] = i < t->ndim ? t->strides[j] * t->sizes[j] : 1;
    } else {
      sizes[i] = t->sizes[j], strides[i] = t->strides[j++];
    }
  }
  lc_tensor *v = lc_tensor_new_view(t, t->ndim + 1, sizes, strides, t->offset);
  return finish(v, t, "UnsqueezeBackward", view_backward, 0, 0);
}

/* ---- expand -------------------------------------------------------------- */

static int expand_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = lc_sum_to(g[0], saved_ndim(n), saved_sizes(n));
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_expand(const lc_tensor *t, int ndim, const int64_t *sizes) {
  if (ndim < t->ndim || ndim > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "expand", "the number of sizes (%d) must be at least the tensor's dims (%d)%s",
                 ndim, t->ndim, ndim > LC_MAX_DIMS ? " and at most 8" : "");
    return NULL;
  }
  int64_t out[LC_MAX_DIMS], strides[LC_MAX_DIMS];
  int lead = ndim - t->ndim;
  for (int i = 0; i < ndim; i++) {
    int j = i - lead;
    int64_t have = j >= 0 ? t->sizes[j] : 1;
    int64_t want = sizes[i] == -1 && j >= 0 ? have : sizes[i];
    if (want < 0 || (have != 1 && have != want)) {
      char a[128], b[128];
      lc_fail(LC_ERR_SHAPE, "expand", "cannot expand shape %s to %s (dim %d: %lld to %lld)",
                   lc_shape_str(a, t->ndim, t->sizes), lc_shape_str(b, ndim, sizes), i + 1,
                   (long long)have, (long long)want);
      return NULL;
    }
    out[i] = want;
    strides[i] = j >= 0 && have == want ? t->strides[j] : 0;
  }
  lc_tensor *v = lc_tensor_new_view(t, ndim, out, strides, t->offset);
  return finish(v, t, "ExpandBackward", expand_backward, 0, 0);
}

/* ---- copies: contiguous, clone, to --------------------------------------- */

static int identity_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = lc_retain(g[0]);
  return 0;
}

lc_tensor *lc_clone(const lc_tensor *t) {
  lc_tensor *c = lc_empty_like(t);
  if (!c) return NULL;
  if (lc_copy_(c, t)) {
    lc_release(c);
    return NULL;
  }
  return finish(c, t, "CloneBackward", identity_backward, 0, 0);
}

lc_tensor *lc_contiguous(const lc_tensor *t) {
  if (lc_is_contiguous(t)) return lc_retain((lc_tensor *)t);
  return lc_clone(t);
}

static int to_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = lc_to(g[0], (lc_dtype)ARG(n, 0));
  return gin[0] ? 0 : -1;
}

lc_tensor *lc_to(const lc_tensor *t, lc_dtype dt) {
  if (t->dtype == dt) return lc_retain((lc_tensor *)t);
  if (lc_check_castable("to", dt, t)) return NULL;
  lc_tensor *c = lc_empty(dt, t->ndim, t->sizes);
  if (!c) return NULL;
  /* integers and bools carry no gradient: copied without history */
  bool was = lc_set_grad_enabled(lc_grad_enabled() && lc_dtype_is_float(dt));
  int rc = lc_copy_(c, t);
  lc_set_grad_enabled(was);
  if (rc) {
    lc_release(c);
    return NULL;
  }
  if (!lc_dtype_is_float(dt)) return c;
  return finish(c, t, "ToCopyBackward", to_backward, t->dtype, 0);
}
