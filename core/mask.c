/* mask.c: bool masks and index writes. where is an elementwise kernel over
 * the common iterator; nonzero and the mask positions scan a contiguous
 * copy; index_put writes rows. masked_fill, masked_select and
 * masked_scatter are built from these, so their gradients come from
 * where's, index_select's and index_put's backward. */
#include <string.h>

#include "lc_internal.h"

/* A contiguous copy made with grad mode off: the op's own node covers it. */
static lc_tensor *untracked_contiguous(const lc_tensor *t) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *c = lc_contiguous(t);
  lc_set_grad_enabled(was);
  return c;
}

static int require_bool(const char *op, const char *arg, const lc_tensor *t) {
  if (t->dtype == LC_BOOL) return 0;
  lc_fail(LC_ERR_DTYPE, op, "%s must be a bool tensor, got %s", arg, lc_dtype_name(t->dtype));
  return -1;
}

/* Gradient g (taken over) summed back to an input's shape and dtype. */
static lc_tensor *fit(lc_tensor *g, lc_dtype dt, int ndim, const int64_t *sizes) {
  lc_tensor *s = g ? lc_sum_to(g, ndim, sizes) : NULL;
  lc_release(g);
  lc_tensor *r = s ? lc_to(s, dt) : NULL;
  lc_release(s);
  return r;
}

/* Records name's node for out over inputs ins[0..1], saving `saved` and,
 * in ints, the shapes of shaped[0..n) (per shape: ndim, then the sizes).
 * Returns out, or NULL (out released) when memory ran out. */
static lc_tensor *record(const char *name, lc_backward_fn fn, lc_tensor *out,
                         const lc_tensor *const *ins, const lc_tensor *saved, int n,
                         const lc_tensor *const *shaped) {
  lc_node *node = lc_record(name, fn, out, 2, ins);
  if (!node || lc_node_save(node, saved)) {
    lc_release(out);
    return NULL;
  }
  for (int k = 0; k < n; k++) {
    int64_t *slot = node->ints + k * (1 + LC_MAX_DIMS);
    slot[0] = shaped[k]->ndim;
    memcpy(slot + 1, shaped[k]->sizes, shaped[k]->ndim * sizeof *shaped[k]->sizes);
  }
  return out;
}

/* ---- where --------------------------------------------------------------- */

/* out[i] = cond[i] ? a[i] : b[i], as words of the value's size (where moves
 * values, it does not read them). Both operands are loaded and one picked by
 * a mask, with no branch: cond is usually random, and a branch on it
 * mispredicted half the time (about 4 ns per element, 20x this loop's
 * time); the contiguous loop vectorises. Any nonzero cond byte is true. */
#define WHERE_WORDS(W)                                                                   \
  LC_CLONES static void where_##W(int64_t n, char **d, const int64_t *s) {               \
    W *o = (W *)d[0];                                                                    \
    const uint8_t *c = (const uint8_t *)d[1];                                            \
    const W *a = (const W *)d[2], *b = (const W *)d[3];                                  \
    if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {                              \
      for (int64_t i = 0; i < n; i++) {                                                  \
        W m = (W)0 - (W)(c[i] != 0);                                                            \
        o[i] = (a[i] & m) | (b[i] & ~m);                                                 \
      }                                                                                  \
    } else {                                                                             \
      for (int64_t i = 0; i < n; i++) {                                                  \
        W m = (W)0 - (W)(c[i * s[1]] != 0);                                                     \
        o[i * s[0]] = (a[i * s[2]] & m) | (b[i * s[3]] & ~m);                            \
      }                                                                                  \
    }                                                                                    \
  }
WHERE_WORDS(uint8_t)
WHERE_WORDS(uint32_t)
WHERE_WORDS(uint64_t)

/* operands: out, cond, a, b; ctx: the value size */
static void where_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  switch (*(const size_t *)ctx) {
  case 1: where_uint8_t(n, d, s); break;
  case 4: where_uint32_t(n, d, s); break;
  default: where_uint64_t(n, d, s);
  }
}

/* grad a = where(cond, g, 0), grad b = where(cond, 0, g), each summed to its
 * input's shape. Saved: cond. ints: a's ndim and sizes, then b's. */
static int where_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *cond = lc_node_saved(n, 0);
  lc_tensor *zero = cond ? lc_scalar(g[0]->dtype, 0) : NULL;
  if (!zero) return -1;
  const int64_t *ia = n->ints, *ib = n->ints + 1 + LC_MAX_DIMS;
  int rc = 0;
  if (lc_node_needs_grad(n, 0)) {
    gin[0] = fit(lc_where(cond, g[0], zero), g[0]->dtype, (int)ia[0], ia + 1);
    rc |= gin[0] ? 0 : -1;
  }
  if (!rc && lc_node_needs_grad(n, 1)) {
    gin[1] = fit(lc_where(cond, zero, g[0]), g[0]->dtype, (int)ib[0], ib + 1);
    rc |= gin[1] ? 0 : -1;
  }
  lc_release(zero);
  return rc;
}

lc_tensor *lc_where(const lc_tensor *cond, const lc_tensor *a, const lc_tensor *b) {
  if (!cond || !a || !b) {
    lc_fail(LC_ERR_ARG, "where", "condition, input and other must not be NULL");
    return NULL;
  }
  if (require_bool("where", "condition", cond)) return NULL;
  lc_tensor ab = {.ndim = 0};
  int64_t shape[LC_MAX_DIMS];
  ab.ndim = lc_broadcast_shape("where", a, b, ab.sizes);
  int nd = ab.ndim < 0 ? -1 : lc_broadcast_shape("where", cond, &ab, shape);
  if (nd < 0) return NULL;
  lc_dtype dt = lc_promote(a->dtype, b->dtype);
  lc_tensor *ca = lc_to(a, dt), *cb = ca ? lc_to(b, dt) : NULL;
  /* laid out like an operand of the full shape, so transposed operands are
   * walked in memory order (as lc_binary does) */
  const lc_tensor *full[3] = {ca, cb, cond}, *ref = NULL;
  for (int k = 0; k < 3 && cb && !ref; k++)
    if (full[k]->ndim == nd && !memcmp(full[k]->sizes, shape, nd * sizeof *shape)) ref = full[k];
  lc_tensor *out = !cb ? NULL : ref ? lc_empty_like_layout(dt, ref) : lc_empty(dt, nd, shape);
  if (out) {
    lc_tensor *ops[4] = {out, (lc_tensor *)cond, ca, cb};
    lc_iter it;
    lc_iter_init(&it, nd, shape, 4, ops);
    it.grain = LC_PARALLEL_GRAIN_MEMORY;
    size_t es = lc_dtype_size(dt);
    lc_iter_run(&it, where_loop, &es);
    const lc_tensor *ins[2] = {ca, cb};
    if (lc_dtype_is_float(dt) && lc_should_record(2, ins))
      out = record("WhereBackward", where_backward, out, ins, cond, 2, ins);
  }
  lc_release(ca);
  lc_release(cb);
  return out;
}

/* ---- nonzero ------------------------------------------------------------- */

/* Number of nonzero elements of a contiguous tensor (vectorised). */
static int64_t count_nonzero(const lc_tensor *c) {
  int64_t n = lc_numel(c), count = 0;
  LC_DISPATCH_ALL(c->dtype, T, {
    const T *p = lc_data(c);
    for (int64_t i = 0; i < n; i++) count += p[i] != 0;
  });
  return count;
}

/* Writes the flat positions of c's nonzero elements into pos.
 * Every position is written and the cursor moves past the nonzero ones: a
 * branch on a random mask mispredicted half the time (about half of
 * masked_select's time). The loop stops at the last nonzero element, so
 * the cursor stays below their count. */
static void nonzero_positions(const lc_tensor *c, int64_t *pos) {
  int64_t n = lc_numel(c), k = 0;
  LC_DISPATCH_ALL(c->dtype, T, {
    const T *p = lc_data(c);
    int64_t end = n;
    while (end > 0 && p[end - 1] == 0) end--;
    for (int64_t i = 0; i < end; i++) {
      pos[k] = i;
      k += p[i] != 0;
    }
  });
}

lc_tensor *lc_mask_positions(const lc_tensor *mask) {
  lc_tensor *c = untracked_contiguous(mask);
  if (!c) return NULL;
  int64_t n = count_nonzero(c);
  lc_tensor *pos = lc_empty(LC_INT64, 1, &n);
  if (pos) nonzero_positions(c, lc_data(pos));
  lc_release(c);
  return pos;
}

lc_tensor *lc_nonzero(const lc_tensor *t, int64_t base) {
  lc_tensor *flat = lc_mask_positions(t);
  if (!flat) return NULL;
  int64_t n = lc_numel(flat), sizes[2] = {n, t->ndim};
  lc_tensor *out = lc_empty(LC_INT64, 2, sizes);
  if (out) { /* flat positions to coordinates, last dim fastest */
    const int64_t *f = lc_data(flat);
    int64_t *o = lc_data(out);
    for (int64_t k = 0; k < n; k++) {
      int64_t rest = f[k];
      for (int d = t->ndim - 1; d >= 0; d--) {
        o[k * t->ndim + d] = rest % t->sizes[d] + base;
        rest /= t->sizes[d];
      }
    }
  }
  lc_release(flat);
  return out;
}

/* ---- index_put ----------------------------------------------------------- */

/* Splits x (n0, rest...) into rows of `row` elements. */
static int64_t row_numel(const lc_tensor *x) {
  int64_t r = 1;
  for (int d = 1; d < x->ndim; d++) r *= x->sizes[d];
  return r;
}

/* grad x = g with the written rows zeroed; grad values = g's written rows,
 * summed to values' shape. Saved: index (positions as lc_index reads them).
 * ints: values' ndim and sizes, then the index base. */
static int index_put_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *index = lc_node_saved(n, 0);
  if (!index) return -1;
  int64_t base = n->ints[1 + LC_MAX_DIMS];
  if (lc_node_needs_grad(n, 1)) {
    lc_tensor *rows = lc_index(g[0], index, base);
    gin[1] = fit(rows, g[0]->dtype, (int)n->ints[0], n->ints + 1);
    if (!gin[1]) return -1;
  }
  if (lc_node_needs_grad(n, 0)) {
    lc_tensor *gx = lc_clone(g[0]);
    if (!gx) return -1;
    int64_t k = lc_numel(index), row = row_numel(gx) * (int64_t)lc_dtype_size(gx->dtype);
    const int64_t *idx = lc_data(index);
    for (int64_t j = 0; j < k; j++)
      memset((char *)lc_data(gx) + lc_index_at(idx[j], gx->sizes[0], base, true) * row, 0, (size_t)row);
    gin[0] = gx;
  }
  return 0;
}

lc_tensor *lc_index_put(const lc_tensor *x, const lc_tensor *index, const lc_tensor *values, int64_t base) {
  char buf[128], buf2[128];
  if (!x || !index || !values) {
    lc_fail(LC_ERR_ARG, "index_put", "input, index and values must not be NULL");
    return NULL;
  }
  if (x->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, "index_put", "input must have at least 1 dimension, got a 0-dim tensor");
    return NULL;
  }
  if (index->dtype != LC_INT64) {
    lc_fail(LC_ERR_DTYPE, "index_put", "index must be an int64 tensor, got %s", lc_dtype_name(index->dtype));
    return NULL;
  }
  /* the written block (index..., rest...) */
  if (index->ndim + x->ndim - 1 > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "index_put", "the written block would have more than %d dims", LC_MAX_DIMS);
    return NULL;
  }
  int64_t rows[LC_MAX_DIMS];
  int nd = 0;
  for (int d = 0; d < index->ndim; d++) rows[nd++] = index->sizes[d];
  for (int d = 1; d < x->ndim; d++) rows[nd++] = x->sizes[d];
  lc_tensor *idx = untracked_contiguous(index);
  if (!idx) return NULL;
  int64_t k = lc_numel(idx), size = x->sizes[0];
  const int64_t *ip = lc_data(idx);
  if (lc_check_indices("index_put", ip, k, 0, size, base, true)) {
    lc_release(idx);
    return NULL;
  }
  /* values as (index..., rest...) in x's dtype, contiguous: row j of the
   * flattened index is the j-th block; the conversion records its node */
  lc_tensor *cv = lc_to(values, x->dtype);
  bool was = lc_set_grad_enabled(false);
  lc_tensor *ev = cv ? lc_expand(cv, nd, rows) : NULL;
  lc_tensor *v = ev ? lc_contiguous(ev) : NULL;
  lc_tensor *out = v ? lc_clone(x) : NULL;
  lc_set_grad_enabled(was);
  lc_release(ev);
  if (cv && !ev) { /* say it in index_put's words */
    lc_fail(LC_ERR_SHAPE, "index_put", "values of shape %s cannot be broadcast to %s",
                 lc_shape_str(buf, values->ndim, values->sizes), lc_shape_str(buf2, nd, rows));
  }
  if (out) {
    size_t row = (size_t)row_numel(x) * lc_dtype_size(x->dtype);
    for (int64_t j = 0; j < k; j++)
      memcpy((char *)lc_data(out) + lc_index_at(ip[j], size, base, true) * row,
             (const char *)lc_data(v) + j * row, row);
    const lc_tensor *ins[2] = {x, cv};
    if (lc_dtype_is_float(x->dtype) && lc_should_record(2, ins)) {
      out = record("IndexPutBackward", index_put_backward, out, ins, idx, 1, ins + 1);
      if (out) out->grad_fn->ints[1 + LC_MAX_DIMS] = base;
    }
  }
  lc_release(v);
  lc_release(cv);
  lc_release(idx);
  return out;
}

/* ---- the masked ops ------------------------------------------------------ */

/* mask must broadcast to x's shape without enlarging it. */
static int mask_fits(const char *op, const lc_tensor *x, const lc_tensor *mask) {
  if (require_bool(op, "mask", mask)) return -1;
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(op, x, mask, shape);
  if (nd < 0) return -1;
  if (nd != x->ndim || memcmp(shape, x->sizes, nd * sizeof *shape)) {
    char a[128], b[128];
    lc_fail(LC_ERR_SHAPE, op, "mask of shape %s cannot be broadcast to the input's shape %s",
                 lc_shape_str(a, mask->ndim, mask->sizes), lc_shape_str(b, x->ndim, x->sizes));
    return -1;
  }
  return 0;
}

lc_tensor *lc_masked_fill(const lc_tensor *x, const lc_tensor *mask, const lc_tensor *value) {
  if (mask_fits("masked_fill", x, mask)) return NULL;
  if (value->ndim != 0) {
    char a[128];
    lc_fail(LC_ERR_SHAPE, "masked_fill", "value must be a number or a 0-dim tensor, got shape %s",
                 lc_shape_str(a, value->ndim, value->sizes));
    return NULL;
  }
  lc_tensor *v = lc_to(value, x->dtype);
  lc_tensor *out = v ? lc_where(mask, v, x) : NULL;
  lc_release(v);
  return out;
}

/* x and mask expanded to their common shape. */
static int broadcast_pair(const char *op, const lc_tensor *x, const lc_tensor *mask,
                          lc_tensor **xb, lc_tensor **mb) {
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(op, x, mask, shape);
  *xb = nd < 0 ? NULL : lc_expand(x, nd, shape);
  *mb = *xb ? lc_expand(mask, nd, shape) : NULL;
  if (*mb) return 0;
  lc_release(*xb);
  return -1;
}

lc_tensor *lc_masked_select(const lc_tensor *x, const lc_tensor *mask) {
  lc_tensor *xb, *mb;
  if (require_bool("masked_select", "mask", mask) ||
      broadcast_pair("masked_select", x, mask, &xb, &mb))
    return NULL;
  int64_t all = -1;
  lc_tensor *flat = lc_reshape(xb, 1, &all);
  lc_tensor *pos = flat ? lc_mask_positions(mb) : NULL;
  lc_tensor *out = pos ? lc_index_select(flat, 0, pos, 0) : NULL;
  lc_release(pos);
  lc_release(flat);
  lc_release(xb);
  lc_release(mb);
  return out;
}

lc_tensor *lc_masked_scatter(const lc_tensor *x, const lc_tensor *mask, const lc_tensor *source) {
  if (mask_fits("masked_scatter", x, mask)) return NULL;
  if (source->dtype != x->dtype) {
    lc_fail(LC_ERR_DTYPE, "masked_scatter", "source must have the input's dtype %s, got %s",
                 lc_dtype_name(x->dtype), lc_dtype_name(source->dtype));
    return NULL;
  }
  lc_tensor *mb = lc_expand(mask, x->ndim, x->sizes);
  lc_tensor *pos = mb ? lc_mask_positions(mb) : NULL;
  lc_release(mb);
  if (!pos) return NULL;
  int64_t all = -1, k = lc_numel(pos);
  if (lc_numel(source) < k) {
    lc_fail(LC_ERR_ARG, "masked_scatter", "source has %lld elements, the mask selects %lld",
                 (long long)lc_numel(source), (long long)k);
    lc_release(pos);
    return NULL;
  }
  lc_tensor *fx = lc_reshape(x, 1, &all), *fs = fx ? lc_reshape(source, 1, &all) : NULL;
  lc_tensor *head = fs ? lc_narrow(fs, 0, 0, k) : NULL;
  lc_tensor *put = head ? lc_index_put(fx, pos, head, 0) : NULL;
  lc_tensor *out = put ? lc_view(put, x->ndim, x->sizes) : NULL;
  lc_release(put);
  lc_release(head);
  lc_release(fs);
  lc_release(fx);
  lc_release(pos);
  return out;
}
