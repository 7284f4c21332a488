/* index.c: index_select, x[index] (lc_index), the gather behind
 * nn.Embedding and the packed sequence helpers. Its backward is a scatter-add (index_add) into zeros,
 * so rows picked more than once receive the sum of their gradients. */
#include <stdio.h>
#include <string.h>

#include "lc_internal.h"

/* Views a contiguous tensor as (outer, size of dim, inner). */
static void split_dims(const int64_t *sizes, int ndim, int dim, int64_t *outer, int64_t *inner) {
  *outer = 1;
  *inner = 1;
  for (int d = 0; d < dim; d++) *outer *= sizes[d];
  for (int d = dim + 1; d < ndim; d++) *inner *= sizes[d];
}

/* grad_x[o, index[j] - base, :] += grad_out[o, j, :] (negative index[j]
 * from the end with wrap), except for rows equal to the skipped one (an
 * embedding's padding_idx, which never learns). node->ints: [dim, ndim,
 * sizes..., skip, base, wrap]; the index is saved tensor 0. */
static int index_select_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(node, 0)) return 0;
  lc_tensor *index = lc_node_saved(node, 0); /* borrowed */
  if (!index) return -1;
  int dim = (int)node->ints[0], ndim = (int)node->ints[1];
  const int64_t *sizes = &node->ints[2], skip = node->ints[2 + LC_MAX_DIMS];
  int64_t base = node->ints[3 + LC_MAX_DIMS];
  bool wrap = node->ints[4 + LC_MAX_DIMS];
  lc_tensor *g = lc_contiguous(grad_out[0]);
  lc_tensor *gx = g ? lc_zeros(g->dtype, ndim, sizes) : NULL;
  if (!gx) {
    lc_release(g);
    return -1;
  }
  int64_t outer, inner, n = lc_numel(index), size = sizes[dim];
  split_dims(sizes, ndim, dim, &outer, &inner);
  const int64_t *idx = lc_data(index);
  LC_DISPATCH(g->dtype, T, {
    const T *src = lc_data(g);
    T *dst = lc_data(gx);
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < n; j++) {
        if (idx[j] == skip) continue;
        const T *s = src + (o * n + j) * inner;
        T *d = dst + (o * size + lc_index_at(idx[j], size, base, wrap)) * inner;
        for (int64_t k = 0; k < inner; k++) d[k] += s[k];
      }
  });
  lc_release(g);
  grad_in[0] = gx;
  return 0;
}

/* dst[o, j, :] = src[o, ip[j] (read by lc_index_at), :] for rows of `row`
 * bytes (indices already checked). Rows of one element (index_select along
 * the last dim, x[mask]) move as words: a memcpy call per element was a
 * fifth of x[mask]'s time. */
#define COPY_WORDS(W)                                                             \
  for (int64_t o = 0; o < outer; o++) {                                         \
    const W *s = (const W *)src + o * size;                                     \
    W *d = (W *)dst + o * n;                                                    \
    for (int64_t j = 0; j < n; j++) d[j] = s[lc_index_at(ip[j], size, base, wrap)]; \
  }
static void copy_rows(char *dst, const char *src, const int64_t *ip, int64_t n, int64_t outer,
                      int64_t size, int64_t base, bool wrap, size_t row) {
  if (row == 4) {
    COPY_WORDS(uint32_t);
  } else if (row == 8) {
    COPY_WORDS(uint64_t);
  } else {
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < n; j++)
        memcpy(dst + (o * n + j) * row, src + (o * size + lc_index_at(ip[j], size, base, wrap)) * row, row);
  }
}
#undef COPY_WORDS

/* The gather behind all three: op and arg (the index's name) name the
 * errors, range says what an index must fit (NULL: the dim); positions
 * count from base, negative ones from the end when wrap (x[index]), and
 * rows equal to skip (counted the same way) get no gradient. */
static lc_tensor *index_select(const char *op, const char *arg, const lc_tensor *x, int dim,
                               const lc_tensor *index, int64_t base, int64_t skip,
                               const char *range, bool wrap) {
  char buf[128];
  if (!x || !index) {
    lc_fail(LC_ERR_ARG, op, "input and %s must not be NULL", arg);
    return NULL;
  }
  if (x->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, op, "input must have at least 1 dimension, got a 0-dim tensor");
    return NULL;
  }
  if (index->dtype != LC_INT64) {
    lc_fail(LC_ERR_DTYPE, op, "%s must be an int64 tensor of %lld-based indices, got %s", arg,
            (long long)base, lc_dtype_name(index->dtype));
    return NULL;
  }
  if (index->ndim > 1) {
    lc_fail(LC_ERR_SHAPE, op, "index must be 0- or 1-dimensional, got shape %s",
                 lc_shape_str(buf, index->ndim, index->sizes));
    return NULL;
  }
  int d = lc_check_dim(op, x, dim, false);
  if (d < 0) return NULL;
  lc_tensor *idx = lc_contiguous(index);
  if (!idx) return NULL;
  int64_t n = lc_numel(idx), size = x->sizes[d];
  const int64_t *ip = lc_data(idx);
  if (wrap && lc_check_indices(op, ip, n, d, size, base, true)) {
    lc_release(idx);
    return NULL;
  }
  for (int64_t j = 0; j < n && !wrap; j++) {
    if (lc_index_at(ip[j], size, base, false) < 0) {
      char where[96];
      if (range) snprintf(where, sizeof where, "%s", range);
      else snprintf(where, sizeof where, "dim %d of size %lld", d + 1, (long long)size);
      lc_fail(LC_ERR_INDEX, op, "index %lld is out of range for %s%s", (long long)ip[j], where,
              lc_base_note(ip[j], base));
      lc_release(idx);
      return NULL;
    }
  }
  lc_tensor *xc = lc_contiguous(x);
  int64_t sizes[LC_MAX_DIMS];
  memcpy(sizes, x->sizes, x->ndim * sizeof *sizes);
  sizes[d] = n;
  lc_tensor *out = xc ? lc_empty(x->dtype, x->ndim, sizes) : NULL;
  if (!out) {
    lc_release(xc);
    lc_release(idx);
    return NULL;
  }
  int64_t outer, inner;
  split_dims(x->sizes, x->ndim, d, &outer, &inner);
  size_t row = inner * lc_dtype_size(x->dtype);
  const char *src = lc_data(xc);
  char *dst = lc_data(out);
  /* Rows picked at random from a large tensor each miss the cache: asking
   * for all of them first lets the misses overlap (a DataLoader's batch). */
  if (row > 0 && outer == 1)
    for (int64_t j = 0; j < n; j++) __builtin_prefetch(src + lc_index_at(ip[j], size, base, wrap) * row);
  if (row > 0) copy_rows(dst, src, ip, n, outer, size, base, wrap, row);
  lc_release(xc);
  if (lc_should_record(1, (const lc_tensor *const *)&x)) {
    lc_node *node = lc_record("IndexSelectBackward", index_select_backward, out, 1,
                              (const lc_tensor *const *)&x);
    if (!node || lc_node_save(node, idx)) {
      lc_release(idx);
      lc_release(out);
      return NULL;
    }
    node->ints[0] = d;
    node->ints[1] = x->ndim;
    memcpy(&node->ints[2], x->sizes, x->ndim * sizeof x->sizes[0]);
    node->ints[2 + LC_MAX_DIMS] = skip;
    node->ints[3 + LC_MAX_DIMS] = base;
    node->ints[4 + LC_MAX_DIMS] = wrap;
  }
  lc_release(idx);
  return out;
}

lc_tensor *lc_index_select(const lc_tensor *x, int dim, const lc_tensor *index, int64_t base) {
  return index_select("index_select", "index", x, dim, index, base, INT64_MIN, NULL, false);
}

int lc_check_indices(const char *op, const int64_t *idx, int64_t n, int dim, int64_t size, int64_t base,
                     bool wrap) {
  for (int64_t j = 0; j < n; j++) {
    if (lc_index_at(idx[j], size, base, wrap) < 0) {
      lc_fail(LC_ERR_INDEX, op, "index %lld out of range for dim %d of size %lld%s", (long long)idx[j], dim + 1,
              (long long)size, lc_base_note(idx[j], base));
      return -1;
    }
  }
  return 0;
}

/* x[index]: index_select along dim 0 of the flattened index (a view when it
 * is contiguous), its result viewed as (index..., rest...). */
lc_tensor *lc_index(const lc_tensor *x, const lc_tensor *index, int64_t base) {
  if (!x || !index) {
    lc_fail(LC_ERR_ARG, "index", "input and index must not be NULL");
    return NULL;
  }
  if (x->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, "index", "cannot index a 0-dim tensor with a tensor of indices");
    return NULL;
  }
  if (index->ndim + x->ndim - 1 > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "index", "the result would have more than %d dims", LC_MAX_DIMS);
    return NULL;
  }
  int64_t all = -1, sizes[LC_MAX_DIMS];
  int nd = 0;
  for (int d = 0; d < index->ndim; d++) sizes[nd++] = index->sizes[d];
  for (int d = 1; d < x->ndim; d++) sizes[nd++] = x->sizes[d];
  lc_tensor *flat = index->dtype == LC_INT64 ? lc_reshape(index, 1, &all) : lc_retain((lc_tensor *)index);
  lc_tensor *rows = flat ? index_select("index", "index", x, 0, flat, base, INT64_MIN, NULL, true) : NULL;
  lc_release(flat);
  lc_tensor *out = rows ? lc_view(rows, nd, sizes) : NULL;
  lc_release(rows);
  return out;
}

lc_tensor *lc_embedding(const lc_tensor *weight, const lc_tensor *indices, int64_t padding_idx,
                        int64_t base) {
  char buf[128];
  if (!weight || !indices) {
    lc_fail(LC_ERR_ARG, "embedding", "weight and indices must not be NULL");
    return NULL;
  }
  if (weight->ndim != 2) {
    lc_fail(LC_ERR_SHAPE, "embedding", "weight must be 2-dimensional, got shape %s",
                 lc_shape_str(buf, weight->ndim, weight->sizes));
    return NULL;
  }
  if (indices->ndim >= LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "embedding", "indices have %d dims, at most %d are supported", indices->ndim,
                 LC_MAX_DIMS - 1);
    return NULL;
  }
  int64_t flat_size = -1;
  lc_tensor *flat = indices->ndim == 1 ? lc_retain((lc_tensor *)indices)
                                      : lc_reshape(indices, 1, &flat_size);
  char range[64];
  snprintf(range, sizeof range, "num_embeddings %lld", (long long)weight->sizes[0]);
  int64_t skip = padding_idx >= base ? padding_idx : INT64_MIN; /* INT64_MIN: no row */
  lc_tensor *rows = flat ? index_select("embedding", "input", weight, 0, flat, base, skip, range, false) : NULL;
  lc_release(flat);
  if (!rows) return NULL;
  int64_t sizes[LC_MAX_DIMS];
  memcpy(sizes, indices->sizes, indices->ndim * sizeof *sizes);
  sizes[indices->ndim] = weight->sizes[1];
  lc_tensor *out = lc_view(rows, indices->ndim + 1, sizes);
  lc_release(rows);
  return out;
}
