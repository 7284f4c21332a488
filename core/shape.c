/* shape.c: shape functions built from views (flatten, unflatten, movedim,
 * tensor_split, the stacks) and the copies PyTorch makes (flip, roll, tile,
 * repeat_interleave, rot90). Views and copies made by existing ops carry
 * their autograd; flip has its own node (its backward is a flip). */
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

/* ---- flip ------------------------------------------------------------------- */

/* The flipped dims as a bit mask in ints[0]. */
static int flip_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  int dims[LC_MAX_DIMS], k = 0;
  for (int i = 0; i < LC_MAX_DIMS; i++)
    if (n->ints[0] & (1 << i)) dims[k++] = i;
  gin[0] = lc_flip(g[0], k, dims);
  return gin[0] ? 0 : -1;
}

/* Copied through a view with negative strides along the flipped dims: the
 * iterator walks any strides, so the copy is one pass. */
lc_tensor *lc_flip(const lc_tensor *t, int n, const int *dims) {
  int64_t strides[LC_MAX_DIMS], offset = t->offset, mask = 0;
  memcpy(strides, t->strides, t->ndim * sizeof *strides);
  for (int i = 0; i < n; i++) {
    int d = lc_check_dim("flip", t, dims[i], false);
    if (d < 0) return NULL;
    if (mask & (1 << d)) {
      lc_fail(LC_ERR_SHAPE, "flip", "dim %d appears more than once", d + 1);
      return NULL;
    }
    mask |= 1 << d;
    if (!t->ndim) continue;
    if (t->sizes[d] > 0) offset += (t->sizes[d] - 1) * t->strides[d];
    strides[d] = -t->strides[d];
  }
  bool was = lc_set_grad_enabled(false);
  lc_tensor *v = lc_tensor_new_view(t, t->ndim, t->sizes, strides, offset);
  lc_tensor *out = v ? lc_empty(t->dtype, t->ndim, t->sizes) : NULL;
  if (out && lc_copy_(out, v)) {
    lc_release(out);
    out = NULL;
  }
  lc_release(v);
  lc_set_grad_enabled(was);
  if (out && lc_should_record(1, &t)) {
    lc_node *node = lc_record("FlipBackward", flip_backward, out, 1, &t);
    if (!node) {
      lc_release(out);
      return NULL;
    }
    node->ints[0] = mask;
  }
  return out;
}

/* ---- roll ------------------------------------------------------------------- */

/* Each dim in turn: the last `shift` elements moved to the front (two
 * narrows and a cat). No dims: t flattened, rolled, reshaped back. */
lc_tensor *lc_roll(const lc_tensor *t, int n, const int64_t *shifts, const int *dims) {
  if (n == 0) {
    int64_t all = -1;
    lc_tensor *flat = lc_reshape(t, 1, &all);
    int zero = 0;
    lc_tensor *r = flat ? lc_roll(flat, 1, shifts, &zero) : NULL;
    lc_tensor *out = r ? lc_view(r, t->ndim, t->sizes) : NULL;
    lc_release(flat);
    lc_release(r);
    return out;
  }
  lc_tensor *cur = lc_retain((lc_tensor *)t);
  for (int i = 0; i < n && cur; i++) {
    int d = lc_check_dim("roll", t, dims[i], false);
    lc_tensor *next = NULL;
    if (d >= 0 && !t->ndim) next = lc_clone(cur);
    else if (d >= 0) {
      int64_t size = cur->sizes[d], s = size ? ((shifts[i] % size) + size) % size : 0;
      lc_tensor *parts[2] = {lc_narrow(cur, d, size - s, s), lc_narrow(cur, d, 0, size - s)};
      if (parts[0] && parts[1]) next = lc_cat(parts, 2, d);
      lc_release(parts[0]);
      lc_release(parts[1]);
    }
    lc_release(cur);
    cur = next;
  }
  return cur;
}

/* ---- tile, repeat_interleave -------------------------------------------------- */

/* PyTorch's Tensor.repeat: reps may have more entries than t has dims (t
 * gains leading dims of size 1); each dim is repeated by a cat of copies. */
lc_tensor *lc_tile(const lc_tensor *t, int n, const int64_t *reps) {
  if (n < t->ndim) {
    lc_fail(LC_ERR_SHAPE, "tile", "expected at least %d repetitions (one per dim), got %d", t->ndim, n);
    return NULL;
  }
  if (n > LC_MAX_DIMS) {
    lc_fail(LC_ERR_ARG, "tile", "at most %d repetitions are supported, got %d", LC_MAX_DIMS, n);
    return NULL;
  }
  int64_t sizes[LC_MAX_DIMS] = {0};
  for (int i = 0; i < n; i++) {
    if (reps[i] < 0) {
      lc_fail(LC_ERR_ARG, "tile", "repetitions must be at least 0, got %lld for dim %d", (long long)reps[i], i + 1);
      return NULL;
    }
    sizes[i] = i < n - t->ndim ? 1 : t->sizes[i - (n - t->ndim)];
  }
  lc_tensor *cur = lc_reshape(t, n, sizes);
  for (int i = 0; i < n && cur; i++) {
    if (reps[i] == 1) continue;
    lc_tensor *next;
    if (reps[i] == 0) {
      next = lc_narrow(cur, i, 0, 0);
    } else {
      if (reps[i] > INT32_MAX) {
        lc_fail(LC_ERR_ARG, "tile", "%lld repetitions are too many", (long long)reps[i]);
        next = NULL;
      } else {
        lc_tensor **copies = lc_malloc(reps[i] * sizeof *copies, "tile");
        for (int64_t k = 0; copies && k < reps[i]; k++) copies[k] = cur;
        next = copies ? lc_cat(copies, (int)reps[i], i) : NULL;
        free(copies);
      }
    }
    lc_release(cur);
    cur = next;
  }
  if (cur && cur->storage == t->storage) { /* all ones: a copy, as PyTorch */
    lc_tensor *c = lc_clone(cur);
    lc_release(cur);
    cur = c;
  }
  return cur;
}

/* Each slice along dim repeated: index_select with every position listed
 * repeats[i] times (repeats: an int64 tensor of one entry per slice, or of
 * one entry for all). dim LC_ALL_DIMS: over the flattened tensor. */
lc_tensor *lc_repeat_interleave(const lc_tensor *t, const lc_tensor *repeats, int dim) {
  if (dim == LC_ALL_DIMS) {
    int64_t all = -1;
    lc_tensor *flat = lc_reshape(t, 1, &all);
    lc_tensor *r = flat ? lc_repeat_interleave(flat, repeats, 0) : NULL;
    lc_release(flat);
    return r;
  }
  if ((dim = lc_check_dim("repeat_interleave", t, dim, false)) < 0) return NULL;
  int64_t size = t->ndim ? t->sizes[dim] : 1, nr = lc_numel(repeats);
  if (repeats->dtype != LC_INT64 || repeats->ndim > 1 || (nr != 1 && nr != size)) {
    lc_fail(LC_ERR_DTYPE, "repeat_interleave", "repeats must be an integer or a 1-D int64 tensor of %lld "
                 "entries (one per slice), got a %d-D %s tensor of %lld", (long long)size,
                 repeats->ndim, lc_dtype_name(repeats->dtype), (long long)nr);
    return NULL;
  }
  int64_t total = 0;
  for (int64_t i = 0; i < size; i++) {
    int64_t r = lc_get_int(repeats, nr == 1 ? 0 : i);
    if (r < 0) {
      lc_fail(LC_ERR_ARG, "repeat_interleave", "repeats must be at least 0, got %lld", (long long)r);
      return NULL;
    }
    total += r;
  }
  lc_tensor *index = lc_empty(LC_INT64, 1, &total);
  if (!index) return NULL;
  int64_t *ix = lc_data(index), k = 0;
  for (int64_t i = 0; i < size; i++)
    for (int64_t r = lc_get_int(repeats, nr == 1 ? 0 : i); r > 0; r--) ix[k++] = i;
  lc_tensor *src = t->ndim ? lc_retain((lc_tensor *)t) : lc_reshape(t, 1, &size);
  lc_tensor *out = src ? lc_index_select(src, dim, index, 0) : NULL;
  lc_release(src);
  lc_release(index);
  return out;
}

/* ---- rot90 --------------------------------------------------------------------- */

/* k quarter turns from dims[0] towards dims[1], as PyTorch: a flip and a
 * transpose (copied, since PyTorch returns a new tensor). */
lc_tensor *lc_rot90(const lc_tensor *t, int64_t k, int d0, int d1) {
  if (t->ndim < 2) {
    lc_fail(LC_ERR_SHAPE, "rot90", "expected a tensor of at least 2 dims, got %d", t->ndim);
    return NULL;
  }
  if ((d0 = lc_check_dim("rot90", t, d0, false)) < 0 || (d1 = lc_check_dim("rot90", t, d1, false)) < 0)
    return NULL;
  if (d0 == d1) {
    lc_fail(LC_ERR_SHAPE, "rot90", "the two dims must differ, got %d twice", d0 + 1);
    return NULL;
  }
  k = ((k % 4) + 4) % 4;
  if (k == 0) return lc_clone(t);
  if (k == 2) return lc_flip(t, 2, (int[]){d0, d1});
  lc_tensor *f = lc_flip(t, 1, k == 1 ? &d1 : &d0);
  lc_tensor *tr = f ? lc_transpose(f, d0, d1) : NULL;
  lc_tensor *out = tr ? lc_contiguous(tr) : NULL;
  lc_release(f);
  lc_release(tr);
  return out;
}

/* ---- views: flatten, unflatten, movedim ------------------------------------------- */

lc_tensor *lc_flatten(const lc_tensor *t, int start, int end) {
  if (!t->ndim) {
    int64_t one = 1;
    return lc_reshape(t, 1, &one);
  }
  if ((start = lc_check_dim("flatten", t, start, false)) < 0 ||
      (end = lc_check_dim("flatten", t, end, false)) < 0)
    return NULL;
  if (start > end) {
    lc_fail(LC_ERR_ARG, "flatten", "start_dim %d comes after end_dim %d", start + 1, end + 1);
    return NULL;
  }
  int64_t sizes[LC_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (i > start && i <= end) sizes[nd - 1] *= t->sizes[i];
    else sizes[nd++] = t->sizes[i];
  }
  return lc_reshape(t, nd, sizes);
}

lc_tensor *lc_unflatten(const lc_tensor *t, int dim, int n, const int64_t *sizes) {
  if ((dim = lc_check_dim("unflatten", t, dim, false)) < 0) return NULL;
  if (t->ndim - 1 + n > LC_MAX_DIMS || n < 1) {
    lc_fail(LC_ERR_SHAPE, "unflatten", "expected 1 to %d sizes, got %d", LC_MAX_DIMS - t->ndim + 1, n);
    return NULL;
  }
  int64_t out[LC_MAX_DIMS], known = 1;
  int nd = 0, unknown = -1;
  for (int i = 0; i < dim; i++) out[nd++] = t->sizes[i];
  for (int i = 0; i < n; i++) {
    if (sizes[i] == -1 && unknown < 0) unknown = nd;
    else known *= sizes[i];
    out[nd++] = sizes[i];
  }
  for (int i = dim + 1; i < t->ndim; i++) out[nd++] = t->sizes[i];
  if ((unknown < 0 && known != t->sizes[dim]) || (unknown >= 0 && (known == 0 || t->sizes[dim] % known))) {
    char a[128];
    lc_fail(LC_ERR_SHAPE, "unflatten", "sizes %s do not multiply to the size %lld of dim %d",
                 lc_shape_str(a, n, sizes), (long long)t->sizes[dim], dim + 1);
    return NULL;
  }
  return lc_view(t, nd, out);
}

/* Dims src[i] moved to dst[i], the others keeping their order. */
lc_tensor *lc_movedim(const lc_tensor *t, int n, const int *src, const int *dst) {
  int perm[LC_MAX_DIMS], s[LC_MAX_DIMS], d[LC_MAX_DIMS];
  bool used_s[LC_MAX_DIMS] = {0}, used_d[LC_MAX_DIMS] = {0};
  for (int i = 0; i < n; i++) {
    if ((s[i] = lc_check_dim("movedim", t, src[i], false)) < 0 ||
        (d[i] = lc_check_dim("movedim", t, dst[i], false)) < 0)
      return NULL;
    if (used_s[s[i]] || used_d[d[i]]) {
      lc_fail(LC_ERR_SHAPE, "movedim", "dim %d is repeated in %s", (used_s[s[i]] ? s[i] : d[i]) + 1,
                   used_s[s[i]] ? "source" : "destination");
      return NULL;
    }
    used_s[s[i]] = used_d[d[i]] = true;
    perm[d[i]] = s[i];
  }
  for (int i = 0, j = 0; i < t->ndim; i++) {
    if (used_d[i]) continue;
    while (used_s[j]) j++;
    perm[i] = j++;
  }
  return t->ndim ? lc_permute(t, perm) : lc_alias(t);
}

/* ---- tensor_split ------------------------------------------------------------------ */

/* Views of t along dim starting at the 0-based positions starts[0..n)
 * (clamped to the size, as PyTorch's slicing): n + 1 pieces. */
lc_tensor **lc_tensor_split(const lc_tensor *t, int n, const int64_t *starts, int dim, int *count) {
  if ((dim = lc_check_dim("tensor_split", t, dim, false)) < 0) return NULL;
  if (!t->ndim) {
    lc_fail(LC_ERR_SHAPE, "tensor_split", "expected a tensor with at least 1 dim, got a 0-dim tensor");
    return NULL;
  }
  lc_tensor **parts = lc_calloc(n + 1, sizeof *parts, "tensor_split");
  if (!parts) return NULL;
  int64_t size = t->sizes[dim], prev = 0;
  for (int i = 0; i <= n; i++) {
    int64_t end = i < n ? starts[i] : size;
    if (end > size) end = size;
    if (end < prev) end = prev;
    parts[i] = lc_narrow(t, dim, prev, end - prev);
    if (!parts[i]) {
      for (int j = 0; j < i; j++) lc_release(parts[j]);
      free(parts);
      return NULL;
    }
    prev = end;
  }
  *count = n + 1;
  return parts;
}

/* ---- atleast, for the stacks -------------------------------------------------------- */

/* t with at least nd dims (1-3), shaped as torch.atleast_{1,2,3}d: a vector
 * becomes (1, n) and (1, n, 1), a matrix (m, n, 1). */
lc_tensor *lc_atleast(const lc_tensor *t, int nd) {
  if (t->ndim >= nd) return lc_view(t, t->ndim, t->sizes);
  int64_t s[3] = {1, 1, 1};
  if (t->ndim == 1) s[nd == 1 ? 0 : 1] = t->sizes[0];
  if (t->ndim == 2) s[0] = t->sizes[0], s[1] = t->sizes[1];
  return lc_view(t, nd, s);
}
