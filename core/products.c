/* products.c: the named matrix products (mm, bmm, mv, dot, outer, the add*
 * forms), trace, cross and matrix_power. Each checks the shapes its name
 * promises and then is lc_matmul or a few elementwise ops, so autograd comes
 * from those. */
#include <string.h>

#include "lc_internal.h"

static int need_dims(const char *op, const char *arg, const lc_tensor *t, int nd) {
  if (t->ndim == nd) return 0;
  char b[128];
  lc_fail(LC_ERR_SHAPE, op, "%s must be %d-D, got shape %s", arg, nd, lc_shape_str(b, t->ndim, t->sizes));
  return -1;
}

static int same_dtype(const char *op, const lc_tensor *a, const lc_tensor *b) {
  if (a->dtype == b->dtype) return 0;
  lc_fail(LC_ERR_DTYPE, op, "expected both operands of one dtype, got %s and %s",
               lc_dtype_name(a->dtype), lc_dtype_name(b->dtype));
  return -1;
}

/* The product the kind names, with its shape checks. */
static lc_tensor *product(const char *op, lc_product_kind kind, const lc_tensor *a, const lc_tensor *b) {
  static const int dims[][2] = {[LC_MM] = {2, 2}, [LC_BMM] = {3, 3}, [LC_MV] = {2, 1},
                                [LC_DOT] = {1, 1}, [LC_BATCH_SUM] = {3, 3}};
  if (need_dims(op, "the first operand", a, dims[kind][0]) ||
      need_dims(op, "the second operand", b, dims[kind][1]) || same_dtype(op, a, b))
    return NULL;
  if ((kind == LC_BMM || kind == LC_BATCH_SUM) && a->sizes[0] != b->sizes[0]) {
    lc_fail(LC_ERR_SHAPE, op, "batch sizes differ: %lld and %lld", (long long)a->sizes[0],
                 (long long)b->sizes[0]);
    return NULL;
  }
  lc_tensor *p = lc_matmul(a, b);
  if (!p || kind != LC_BATCH_SUM) return p;
  lc_tensor *s = lc_sum(p, 0, false);
  lc_release(p);
  return s;
}

lc_tensor *lc_product(const char *op, lc_product_kind kind, const lc_tensor *a, const lc_tensor *b) {
  return product(op, kind, a, b);
}

lc_tensor *lc_outer(const lc_tensor *a, const lc_tensor *b) {
  if (need_dims("outer", "the first operand", a, 1) || need_dims("outer", "the second operand", b, 1))
    return NULL;
  lc_tensor *col = lc_unsqueeze(a, 1);
  lc_tensor *out = col ? lc_binary(LC_MUL, col, b) : NULL;
  lc_release(col);
  return out;
}

/* beta * input + alpha * product; beta 0 ignores input (NaN included). */
lc_tensor *lc_addproduct(const char *op, lc_product_kind kind, const lc_tensor *input,
                         const lc_tensor *a, const lc_tensor *b, double beta, double alpha) {
  lc_tensor *p = product(op, kind, a, b);
  if (!p) return NULL;
  lc_tensor *scaled = alpha == 1 ? lc_retain(p) : lc_binary_scalar(LC_MUL, p, alpha, false);
  lc_release(p);
  if (!scaled) return NULL;
  char x[128], y[128];
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(op, input, scaled, shape);
  if (nd < 0 || nd != scaled->ndim || memcmp(shape, scaled->sizes, nd * sizeof *shape)) {
    lc_fail(LC_ERR_SHAPE, op, "input of shape %s does not broadcast to the product's shape %s",
                 lc_shape_str(x, input->ndim, input->sizes), lc_shape_str(y, scaled->ndim, scaled->sizes));
    lc_release(scaled);
    return NULL;
  }
  if (beta == 0) {
    lc_tensor *e = lc_expand(scaled, scaled->ndim, scaled->sizes); /* a fresh view, as the others */
    lc_release(scaled);
    return e;
  }
  lc_tensor *in = beta == 1 ? lc_retain((lc_tensor *)input) : lc_binary_scalar(LC_MUL, input, beta, false);
  lc_tensor *out = in ? lc_binary(LC_ADD, in, scaled) : NULL;
  lc_release(in);
  lc_release(scaled);
  return out;
}

lc_tensor *lc_trace(const lc_tensor *t) {
  if (need_dims("trace", "input", t, 2)) return NULL;
  lc_tensor *d = lc_diagonal(t, 0, 0, 1);
  lc_tensor *s = d ? lc_sum(d, LC_ALL_DIMS, false) : NULL;
  lc_release(d);
  return s;
}

/* a x b along dim (size 3): component i is a[i+1] b[i+2] - a[i+2] b[i+1],
 * read through rolls. */
lc_tensor *lc_cross(const lc_tensor *a, const lc_tensor *b, int dim) {
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape("cross", a, b, shape);
  if (nd < 0 || same_dtype("cross", a, b)) return NULL;
  if (dim == LC_ALL_DIMS) { /* torch.cross: the first dim of size 3 */
    for (dim = 0; dim < nd && shape[dim] != 3; dim++) {}
    if (dim == nd) {
      lc_fail(LC_ERR_SHAPE, "cross", "no dim of size 3");
      return NULL;
    }
  } else {
    lc_tensor probe = {.ndim = nd};
    if ((dim = lc_check_dim("cross", &probe, dim, false)) < 0) return NULL;
    if (shape[dim] != 3) {
      lc_fail(LC_ERR_SHAPE, "cross", "dim %d must have size 3, got %lld", dim + 1, (long long)shape[dim]);
      return NULL;
    }
  }
  lc_tensor *ae = lc_expand(a, nd, shape), *be = lc_expand(b, nd, shape);
  int64_t one = -1, two = -2;
  lc_tensor *a1 = ae ? lc_roll(ae, 1, &one, &dim) : NULL, *a2 = ae ? lc_roll(ae, 1, &two, &dim) : NULL;
  lc_tensor *b1 = be ? lc_roll(be, 1, &one, &dim) : NULL, *b2 = be ? lc_roll(be, 1, &two, &dim) : NULL;
  lc_tensor *p = a1 && b2 ? lc_binary(LC_MUL, a1, b2) : NULL, *q = a2 && b1 ? lc_binary(LC_MUL, a2, b1) : NULL;
  lc_tensor *out = p && q ? lc_binary(LC_SUB, p, q) : NULL;
  lc_tensor *all[] = {ae, be, a1, a2, b1, b2, p, q};
  for (int i = 0; i < 8; i++) lc_release(all[i]);
  return out;
}

/* Square-and-multiply; n = 0 gives identities, n < 0 powers of the inverse. */
lc_tensor *lc_matrix_power(const lc_tensor *t, int64_t n) {
  char b[128];
  if (t->ndim < 2 || t->sizes[t->ndim - 1] != t->sizes[t->ndim - 2]) {
    lc_fail(LC_ERR_SHAPE, "matrix_power", "expected square matrices, got shape %s", lc_shape_str(b, t->ndim, t->sizes));
    return NULL;
  }
  if (n == 0) {
    int64_t m = t->sizes[t->ndim - 1];
    lc_tensor *e = lc_eye(t->dtype, m, m), *x = e ? lc_expand(e, t->ndim, t->sizes) : NULL;
    lc_tensor *c = x ? lc_contiguous(x) : NULL;
    lc_release(e);
    lc_release(x);
    return c;
  }
  lc_tensor *base = n < 0 ? lc_inv(t) : lc_retain((lc_tensor *)t), *acc = NULL;
  /* |n| unsigned: -INT64_MIN does not fit an int64 (its shifts never ended) */
  uint64_t k = n < 0 ? -(uint64_t)n : (uint64_t)n;
  while (base && k) {
    if (k & 1) {
      lc_tensor *next = acc ? lc_matmul(acc, base) : lc_retain(base);
      lc_release(acc);
      if (!(acc = next)) break;
    }
    k >>= 1;
    if (k) {
      lc_tensor *sq = lc_matmul(base, base);
      lc_release(base);
      base = sq;
    }
  }
  lc_release(base);
  return acc;
}
