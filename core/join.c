/* join.c: cat and stack copy tensors into one; split and chunk cut one into
 * views that share its storage. */
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

/* ---- cat ----------------------------------------------------------------- */

/* What CatBackward needs: where each input sits along dim and its dtype (the
 * inputs may have been promoted to a common dtype). */
typedef struct {
  int dim, n;
  struct {
    int64_t size;
    lc_dtype dtype;
  } in[];
} cat_ctx;

static void free_cat_ctx(lc_node *node) { free(node->ctx); }

static int cat_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  const cat_ctx *c = node->ctx;
  int64_t start = 0;
  for (int i = 0; i < c->n; i++) {
    int64_t len = c->in[i].size;
    if (lc_node_needs_grad(node, i)) {
      lc_tensor *piece = lc_narrow(grad_out[0], c->dim, start, len);
      lc_tensor *cont = piece ? lc_contiguous(piece) : NULL;
      lc_release(piece);
      grad_in[i] = cont ? lc_to(cont, c->in[i].dtype) : NULL;
      lc_release(cont);
      if (!grad_in[i]) return -1;
    }
    start += len;
  }
  return 0;
}

/* Checks the inputs and computes the output's shape and dtype; returns the
 * normalised dim or -1. */
static int cat_check(lc_tensor *const *ts, int n, int dim, int64_t *sizes, lc_dtype *dt) {
  if (!ts || n <= 0) {
    lc_fail(LC_ERR_SHAPE, "cat", "expected a non-empty list of tensors");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    if (!ts[i]) {
      lc_fail(LC_ERR_ARG, "cat", "tensor %d is missing (NULL)", i + 1);
      return -1;
    }
    if (ts[i]->ndim == 0) {
      lc_fail(LC_ERR_SHAPE, "cat", "zero-dimensional tensor %d cannot be concatenated", i + 1);
      return -1;
    }
  }
  const lc_tensor *first = ts[0];
  int d = lc_check_dim("cat", first, dim, false);
  if (d < 0) return -1;
  memcpy(sizes, first->sizes, first->ndim * sizeof *sizes);
  *dt = first->dtype;
  for (int i = 1; i < n; i++) {
    const lc_tensor *t = ts[i];
    if (t->ndim != first->ndim) {
      lc_fail(LC_ERR_SHAPE, "cat", "tensors must have the same number of dimensions: tensor %d has %d, "
                   "expected %d", i + 1, t->ndim, first->ndim);
      return -1;
    }
    for (int k = 0; k < t->ndim; k++) {
      if (k != d && t->sizes[k] != first->sizes[k]) {
        lc_fail(LC_ERR_SHAPE, "cat", "sizes of tensors must match except in dim %d: tensor %d has size "
                     "%lld in dim %d, expected %lld", d + 1, i + 1, (long long)t->sizes[k], k + 1,
                     (long long)first->sizes[k]);
        return -1;
      }
    }
    sizes[d] += t->sizes[d];
    *dt = lc_promote(*dt, t->dtype);
  }
  return d;
}

static int cat_copy(lc_tensor *out, lc_tensor *const *ts, int n, int dim) {
  int64_t start = 0;
  for (int i = 0; i < n; i++) {
    int64_t len = ts[i]->sizes[dim];
    if (len == 0) continue;
    lc_tensor *dst = lc_narrow(out, dim, start, len);
    int rc = dst ? lc_copy_(dst, ts[i]) : -1;
    lc_release(dst);
    if (rc) return -1;
    start += len;
  }
  return 0;
}

static int record_cat(lc_tensor *out, lc_tensor *const *ts, int n, int dim) {
  cat_ctx *c = lc_malloc(sizeof *c + n * sizeof c->in[0], "cat");
  if (!c) return -1;
  c->dim = dim;
  c->n = n;
  for (int i = 0; i < n; i++) {
    c->in[i].size = ts[i]->sizes[dim];
    c->in[i].dtype = ts[i]->dtype;
  }
  lc_node *node = lc_record("CatBackward", cat_backward, out, n, (const lc_tensor *const *)ts);
  if (!node) {
    free(c);
    return -1;
  }
  node->ctx = c;
  node->free_ctx = free_cat_ctx;
  return 0;
}

lc_tensor *lc_cat(lc_tensor *const *ts, int n, int dim) {
  int64_t sizes[LC_MAX_DIMS];
  lc_dtype dt;
  int d = cat_check(ts, n, dim, sizes, &dt);
  if (d < 0) return NULL;
  lc_tensor *out = lc_empty(dt, ts[0]->ndim, sizes);
  if (!out) return NULL;
  /* The copies are plumbing: the gradient comes from one CatBackward. */
  bool was = lc_set_grad_enabled(false);
  int rc = cat_copy(out, ts, n, d);
  lc_set_grad_enabled(was);
  if (!rc && lc_should_record(n, (const lc_tensor *const *)ts)) rc = record_cat(out, ts, n, d);
  if (rc) {
    lc_release(out);
    return NULL;
  }
  return out;
}

/* ---- stack --------------------------------------------------------------- */

lc_tensor *lc_stack(lc_tensor *const *ts, int n, int dim) {
  if (!ts || n <= 0) {
    lc_fail(LC_ERR_SHAPE, "stack", "expected a non-empty list of tensors");
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    if (!ts[i]) {
      lc_fail(LC_ERR_ARG, "stack", "tensor %d is missing (NULL)", i + 1);
      return NULL;
    }
    if (!lc_same_shape(ts[i], ts[0])) {
      char a[128], b[128];
      lc_fail(LC_ERR_SHAPE, "stack", "expected each tensor to be equal size, but got %s at entry 1 and %s "
                   "at entry %d", lc_shape_str(a, ts[0]->ndim, ts[0]->sizes),
                   lc_shape_str(b, ts[i]->ndim, ts[i]->sizes), i + 1);
      return NULL;
    }
  }
  int d = lc_check_dim("stack", ts[0], dim, true);
  if (d < 0) return NULL;
  if (ts[0]->ndim + 1 > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "stack", "the result would have more than %d dimensions", LC_MAX_DIMS);
    return NULL;
  }
  lc_tensor **parts = lc_calloc(n, sizeof *parts, "stack");
  if (!parts) return NULL;
  lc_tensor *out = NULL;
  int i = 0;
  while (i < n && (parts[i] = lc_unsqueeze(ts[i], d))) i++;
  if (i == n) out = lc_cat(parts, n, d);
  for (int j = 0; j < i; j++) lc_release(parts[j]);
  free(parts);
  return out;
}

/* ---- split / chunk ------------------------------------------------------- */

/* count narrow views of t along dim, each `size` long except a shorter (or,
 * past the end, empty) last one. */
static lc_tensor **cut(const lc_tensor *t, int dim, int count, int64_t size, int *n) {
  *n = 0;
  lc_tensor **pieces = lc_calloc(count, sizeof *pieces, "split");
  if (!pieces) return NULL;
  int64_t total = t->sizes[dim];
  for (int i = 0; i < count; i++) {
    int64_t start = (int64_t)i * size;
    if (start > total) start = total;
    int64_t len = total - start < size ? total - start : size;
    pieces[i] = lc_narrow(t, dim, start, len);
    if (!pieces[i]) {
      for (int j = 0; j < i; j++) lc_release(pieces[j]);
      free(pieces);
      return NULL;
    }
  }
  *n = count;
  return pieces;
}

static int split_dim(const char *op, const lc_tensor *t, int dim) {
  if (t->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, op, "cannot split a 0-dim tensor");
    return -1;
  }
  return lc_check_dim(op, t, dim, false);
}

lc_tensor **lc_split(const lc_tensor *t, int64_t size, int dim, int *n) {
  *n = 0;
  int d = split_dim("split", t, dim);
  if (d < 0) return NULL;
  int64_t total = t->sizes[d];
  if (size < 0 || (size == 0 && total != 0)) {
    lc_fail(LC_ERR_ARG, "split", "split size must be positive (0 only for an empty dim), got %lld",
                 (long long)size);
    return NULL;
  }
  /* As PyTorch: an empty dim still gives one (empty) piece. */
  int64_t count = size == 0 ? 1 : total / size + (total % size != 0); /* no total + size */
  if (count < 1) count = 1;
  if (count > INT32_MAX) {
    lc_fail(LC_ERR_ARG, "split", "%lld pieces are too many", (long long)count);
    return NULL;
  }
  return cut(t, d, (int)count, size, n);
}

lc_tensor **lc_chunk(const lc_tensor *t, int chunks, int dim, int *n) {
  *n = 0;
  if (chunks <= 0) {
    lc_fail(LC_ERR_ARG, "chunk", "number of chunks must be greater than 0, got %d", chunks);
    return NULL;
  }
  int d = split_dim("chunk", t, dim);
  if (d < 0) return NULL;
  int64_t total = t->sizes[d];
  /* torch.chunk: pieces of ceil(size / chunks), so there may be fewer than
   * asked; an empty dim gives `chunks` empty pieces. */
  if (total == 0) return cut(t, d, chunks, 0, n);
  return lc_split(t, (total + chunks - 1) / chunks, d, n);
}
