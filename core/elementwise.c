/* elementwise.c: broadcasting, the in-place binary ops, copy and fill, and
 * writes through views under autograd. The ops themselves are table rows in
 * ops_unary.c and ops_binary.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

/* Gradient g (taken over) of a broadcast result, summed back to an input's
 * shape and converted to its dtype. */
lc_tensor *lc_grad_to_shape(lc_tensor *g, lc_dtype dt, int ndim, const int64_t *sizes) {
  if (!g) return NULL;
  lc_tensor *s = lc_sum_to(g, ndim, sizes);
  lc_release(g);
  if (!s || s->dtype == dt) return s;
  lc_tensor *c = lc_to(s, dt);
  lc_release(s);
  return c;
}

/* ---- broadcasting -------------------------------------------------------- */

int lc_broadcast_shape(const char *op, const lc_tensor *a, const lc_tensor *b, int64_t *out) {
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int i = 0; i < nd; i++) {
    int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
    int64_t sa = ia >= 0 ? a->sizes[ia] : 1, sb = ib >= 0 ? b->sizes[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char x[128], y[128];
      lc_fail(LC_ERR_SHAPE, op, "shapes %s and %s cannot be broadcast (dim %d: %lld vs %lld)",
                   lc_shape_str(x, a->ndim, a->sizes), lc_shape_str(y, b->ndim, b->sizes), i + 1,
                   (long long)sa, (long long)sb);
      return -1;
    }
    out[i] = sa == 1 ? sb : sa;
  }
  return nd;
}

lc_tensor *lc_sum_to(const lc_tensor *t, int ndim, const int64_t *sizes) {
  lc_tensor *r = lc_retain((lc_tensor *)t);
  while (r && r->ndim > ndim) {
    lc_tensor *s = lc_sum(r, 0, false);
    lc_release(r);
    r = s;
  }
  for (int i = 0; r && i < ndim; i++) {
    if (sizes[i] == 1 && r->sizes[i] != 1) {
      lc_tensor *s = lc_sum(r, i, true);
      lc_release(r);
      r = s;
    }
  }
  return r;
}

/* ---- in place ------------------------------------------------------------ */

/* What every in-place op checks before writing into a (src: the value
 * written, or NULL):
 *  - a leaf that autograd would differentiate may not be overwritten;
 *  - a stride-0 dim makes several elements one memory location, which would
 *    be written once per alias;
 *  - nor may a view of such a leaf;
 *  - writes through views under autograd need their root to be dense (see
 *    write_through_view). */
int lc_check_inplace(const char *op, const lc_tensor *a, const lc_tensor *src) {
  if (lc_grad_enabled() && a->requires_grad && !a->grad_fn) {
    lc_fail(LC_ERR_STATE, op, "a leaf tensor that requires grad is used in an in-place operation");
    return -1;
  }
  for (int k = 0; k < a->ndim; k++) {
    if (a->sizes[k] > 1 && a->strides[k] == 0) {
      lc_fail(LC_ERR_SHAPE, op, "cannot write into an expanded tensor (dim %d has stride 0: its elements "
                   "share memory); clone() it first", k + 1);
      return -1;
    }
  }
  const lc_tensor *root = a->base;
  if (lc_grad_enabled() && root && root->requires_grad && !root->grad_fn) {
    lc_fail(LC_ERR_STATE, op, "a view of a leaf tensor that requires grad is used in an in-place operation");
    return -1;
  }
  if (lc_grad_enabled() && root && (root->requires_grad || (src && src->requires_grad)) &&
      !lc_is_dense(root)) {
    lc_fail(LC_ERR_ARG, op, "under autograd, writing into a view of a tensor whose elements are not "
                 "dense in memory is not supported; clone() it first");
    return -1;
  }
  return 0;
}

/* Writes src into dst's elements (same shape or broadcastable), any dtypes. */
typedef struct {
  lc_dtype dst, src;
} copy_ctx;

static void copy_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const copy_ctx *c = ctx;
  if (c->dst == c->src && s[0] == 1 && s[1] == 1) { /* a dense run: clone's common case */
    memmove(d[0], d[1], (size_t)n * lc_dtype_size(c->dst)); /* d[0] may be d[1] */
    return;
  }
  LC_DISPATCH_ALL(c->dst, D, {
    D *o = (D *)d[0];
    LC_DISPATCH_ALL(c->src, S, {
      const S *a = (const S *)d[1];
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = (D)a[i * s[1]];
    });
  });
}

static int copy_values(lc_tensor *dst, const lc_tensor *src) {
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape("copy_", dst, src, shape);
  if (nd < 0) return -1;
  if (nd != dst->ndim || memcmp(shape, dst->sizes, nd * sizeof *shape)) {
    char x[128], y[128];
    lc_fail(LC_ERR_SHAPE, "copy_", "source of shape %s cannot be broadcast to destination shape %s",
                 lc_shape_str(x, src->ndim, src->sizes), lc_shape_str(y, dst->ndim, dst->sizes));
    return -1;
  }
  lc_tensor *ops[2] = {dst, (lc_tensor *)src};
  lc_iter it;
  lc_iter_init(&it, nd, shape, 2, ops);
  it.grain = LC_PARALLEL_GRAIN_STREAM;
  copy_ctx c = {dst->dtype, src->dtype};
  lc_iter_run(&it, copy_loop, &c);
  lc_bump_version(dst);
  return 0;
}

/* A copy node keeps only the source's dtype and shape: ints[0] the dtype,
 * ints[1] ndim, ints[2..] the sizes. */
static int copy_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = lc_grad_to_shape(lc_retain(g[0]), (lc_dtype)n->ints[0], (int)n->ints[1], &n->ints[2]);
  return gin[0] ? 0 : -1;
}

/* ---- writes through views under autograd ----------------------------------
 * A view shares the storage of its root tensor, so writing src into view v
 * changes the root too. As PyTorch's CopySlices: the root's history becomes
 * "the old root with v's region replaced by src", and v's history becomes
 * "that region of the new root". A region is v's geometry over the root's
 * storage; the root is dense, so a gradient laid out like the root (same
 * strides) has the region at the same place. */
typedef struct {
  lc_dtype dtype, src_dtype;
  int ndim, root_ndim, src_ndim;
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS], offset;
  int64_t root_sizes[LC_MAX_DIMS], root_strides[LC_MAX_DIMS], src_sizes[LC_MAX_DIMS];
} region;

static void free_region(lc_node *n) { free(n->ctx); }

/* A zero-filled (or g-filled) tensor laid out like the root. */
static lc_tensor *root_layout(const region *r, const lc_tensor *g) {
  lc_tensor *t = lc_empty(r->dtype, r->root_ndim, r->root_sizes);
  if (!t) return NULL;
  memcpy(t->strides, r->root_strides, sizeof r->root_strides);
  lc_tensor *v = g ? lc_retain((lc_tensor *)g) : lc_scalar(r->dtype, 0);
  int rc = v ? copy_values(t, v) : -1;
  lc_release(v);
  if (rc) lc_release(t);
  return rc ? NULL : t;
}

static lc_tensor *region_of(const region *r, const lc_tensor *t) {
  return lc_tensor_new_view(t, r->ndim, r->sizes, r->strides, t->offset + r->offset);
}

/* inputs: the old root, src */
static int copy_slices_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const region *r = n->ctx;
  lc_tensor *G = root_layout(r, g[0]);
  lc_tensor *part = G ? region_of(r, G) : NULL;
  if (!part) {
    lc_release(G);
    return -1;
  }
  int rc = 0;
  if (lc_node_needs_grad(n, 1)) { /* src was broadcast to the region, maybe converted */
    /* a copy of the region: G's region is zeroed below */
    gin[1] = lc_grad_to_shape(lc_clone(part), r->src_dtype, r->src_ndim, r->src_sizes);
    rc = gin[1] ? 0 : -1;
  }
  if (!rc && lc_node_needs_grad(n, 0)) {
    lc_tensor *zero = lc_scalar(r->dtype, 0);
    rc = zero ? copy_values(part, zero) : -1;
    lc_release(zero);
    if (!rc) gin[0] = lc_retain(G);
  }
  lc_release(part);
  lc_release(G);
  return rc;
}

/* input: the new root */
static int view_of_root_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const region *r = n->ctx;
  lc_tensor *G = root_layout(r, NULL);
  lc_tensor *part = G ? region_of(r, G) : NULL;
  int rc = part ? copy_values(part, g[0]) : -1;
  lc_release(part);
  if (rc) {
    lc_release(G);
    return -1;
  }
  gin[0] = G;
  return 0;
}

static lc_node *region_node(const char *name, lc_backward_fn fn, int n_inputs,
                            const lc_tensor *const *inputs, const region *r) {
  lc_node *n = lc_node_new(name, fn, n_inputs, inputs, 1);
  region *copy = n ? lc_malloc(sizeof *copy, name) : NULL;
  if (!copy) {
    lc_node_release(n);
    return NULL;
  }
  *copy = *r;
  n->ctx = copy;
  n->free_ctx = free_region;
  return n;
}

static int write_through_view(lc_tensor *v, const lc_tensor *src) {
  lc_tensor *root = v->base;
  region r = {.dtype = root->dtype, .src_dtype = src->dtype, .ndim = v->ndim, .root_ndim = root->ndim,
              .src_ndim = src->ndim, .offset = v->offset - root->offset};
  memcpy(r.sizes, v->sizes, sizeof r.sizes);
  memcpy(r.strides, v->strides, sizeof r.strides);
  memcpy(r.root_sizes, root->sizes, sizeof r.root_sizes);
  memcpy(r.root_strides, root->strides, sizeof r.root_strides);
  memcpy(r.src_sizes, src->sizes, sizeof r.src_sizes);
  const lc_tensor *ins[2] = {root, src};
  lc_node *cs = region_node("CopySlices", copy_slices_backward, 2, ins, &r);
  if (!cs) return -1;
  lc_node_attach(cs, &root, 1);
  lc_node_release(cs);
  lc_node *vn = region_node("AsStridedBackward", view_of_root_backward, 1, ins, &r);
  if (!vn) return -1;
  lc_node_attach(vn, &v, 1);
  lc_node_release(vn);
  return 0;
}

/* dst takes src's values and, under autograd, its history. */
static int adopt_history(lc_tensor *dst, const lc_tensor *src) {
  if (dst->base && lc_grad_enabled() && (dst->base->requires_grad || src->requires_grad))
    return write_through_view(dst, src);
  if (!lc_should_record(1, &src)) {
    if (lc_grad_enabled() && dst->grad_fn) { /* overwritten: old history no longer applies */
      lc_node_release(dst->grad_fn);
      dst->grad_fn = NULL;
      dst->requires_grad = false;
    }
    return 0;
  }
  lc_node *n = lc_node_new("CopyBackward", copy_backward, 1, &src, 1);
  if (!n) return -1;
  n->ints[0] = src->dtype;
  n->ints[1] = src->ndim;
  memcpy(&n->ints[2], src->sizes, src->ndim * sizeof *src->sizes);
  lc_node_attach(n, &dst, 1);
  lc_node_release(n);
  return 0;
}

int lc_copy_(lc_tensor *dst, const lc_tensor *src) {
  if (lc_check_inplace("copy_", dst, src) || lc_check_overlap("copy_", dst, src)) return -1;
  if (lc_check_castable("copy_", dst->dtype, src)) return -1;
  if (copy_values(dst, src)) return -1;
  return adopt_history(dst, src);
}

int lc_check_result_fits(const char *name, lc_dtype result, const lc_tensor *a) {
  if (lc_can_cast(result, a->dtype)) return 0;
  /* as PyTorch: an int64 tensor cannot hold the fractional result (a
   * division, a float operand), and truncating it silently is wrong */
  lc_fail(LC_ERR_DTYPE, name, "result type %s can't be cast to the desired output type %s",
          lc_dtype_name(result), lc_dtype_name(a->dtype));
  return -1;
}

int lc_inplace_from(lc_tensor *a, lc_tensor *(*op_of)(const lc_tensor *copy, void *ctx), void *ctx) {
  lc_tensor *old = lc_clone(a);
  lc_tensor *r = old ? op_of(old, ctx) : NULL;
  lc_release(old);
  int rc = r ? lc_copy_(a, r) : -1;
  lc_release(r);
  return rc;
}

typedef struct {
  lc_binary_op op;
  const lc_tensor *b;
  const double *params;
} binary_call;

static lc_tensor *binary_of_copy(const lc_tensor *copy, void *ctx) {
  const binary_call *c = ctx;
  return lc_binary_p(c->op, copy, c->b, c->params);
}

int lc_binary_(lc_binary_op op, lc_tensor *a, const lc_tensor *b) {
  return lc_binary_p_(op, a, b, NULL);
}

int lc_binary_p_(lc_binary_op op, lc_tensor *a, const lc_tensor *b, const double *params) {
  char name[48]; /* errors name the function the user called: add_, not add */
  snprintf(name, sizeof name, "%s_", lc_binary_name(op));
  if (lc_check_inplace(name, a, b) || lc_check_overlap(name, a, b)) return -1;
  lc_dtype result = lc_binary_result_dtype(op, a, b);
  if (lc_check_result_fits(name, result, a)) return -1;
  const lc_tensor *ins[2] = {a, b};
  if (lc_should_record(2, ins) || result != lc_binary_compute_dtype(op, a, b) ||
      a->dtype == LC_BOOL) {
    binary_call call = {op, b, params};
    return lc_inplace_from(a, binary_of_copy, &call);
  }
  lc_tensor *cb = lc_to(b, a->dtype);
  if (!cb || lc_check_divisor(name, op, cb, a->dtype)) {
    lc_release(cb);
    return -1;
  }
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(name, a, cb, shape);
  int rc = nd < 0 ? -1 : 0;
  if (!rc && (nd != a->ndim || memcmp(shape, a->sizes, nd * sizeof *shape))) {
    char x[128], y[128];
    lc_fail(LC_ERR_SHAPE, name, "in-place operand of shape %s cannot be broadcast to shape %s",
                 lc_shape_str(x, b->ndim, b->sizes), lc_shape_str(y, a->ndim, a->sizes));
    rc = -1;
  }
  if (!rc) {
    double p[LC_OP_MAX_PARAMS];
    lc_binary_params(op, params, p);
    lc_kctx c = {a->dtype, a->dtype, p, lc_op_grain(lc_binary_info(op)->flags)};
    lc_map(&c, lc_binary_kernel(op), a, 2, (lc_tensor *[]){a, cb});
    lc_bump_version(a);
  }
  lc_release(cb);
  return rc;
}

int lc_binary_scalar_(lc_binary_op op, lc_tensor *a, double s) {
  return lc_binary_scalar_p_(op, a, s, NULL);
}

int lc_binary_scalar_p_(lc_binary_op op, lc_tensor *a, double s, const double *params) {
  lc_dtype dt = a->dtype;
  if (!lc_dtype_is_float(dt) && s != floor(s)) dt = LC_FLOAT64;
  else if (dt == LC_BOOL) dt = LC_INT64;
  lc_tensor *st = lc_scalar(dt, s);
  if (!st) return -1;
  int rc = lc_binary_p_(op, a, st, params);
  lc_release(st);
  return rc;
}

int lc_fill_(lc_tensor *a, double value) {
  if (lc_check_inplace("fill_", a, NULL)) return -1;
  lc_tensor *v = lc_scalar(a->dtype, value);
  if (!v) return -1;
  int rc = copy_values(a, v);
  if (!rc) rc = adopt_history(a, v);
  lc_release(v);
  return rc;
}
