/* rows.c: a tensor seen as rows along a dim, for the row kernels of sort.c,
 * scan.c and count.c, and the backward of the ops that pick values. */
#include "lc_rows.h"

int lc_rows_open(lc_rows *r, const char *op, const lc_tensor *t, int dim) {
  r->x = NULL;
  if (t->dtype == LC_BOOL) { /* the row kernels order and sum numbers */
    lc_fail(LC_ERR_DTYPE, op, "bool tensors are not supported; convert with x:long() first");
    return -1;
  }
  bool was = lc_set_grad_enabled(false);
  lc_tensor *v;
  if (dim == LC_ALL_DIMS) {
    int64_t all = -1;
    r->dim = 0;
    v = lc_reshape(t, 1, &all);
  } else {
    if ((r->dim = lc_check_dim(op, t, dim, false)) < 0) {
      lc_set_grad_enabled(was);
      return -1;
    }
    v = t->ndim ? lc_transpose(t, r->dim, t->ndim - 1) : lc_alias(t);
  }
  r->x = v ? lc_contiguous(v) : NULL;
  lc_release(v);
  lc_set_grad_enabled(was);
  if (!r->x) return -1;
  r->n = r->x->ndim ? r->x->sizes[r->x->ndim - 1] : 1;
  r->rows = r->n ? lc_numel(r->x) / r->n : 1;
  if (!r->n) /* the rows of an empty dim: the product of the other sizes */
    for (int i = 0; i + 1 < r->x->ndim; i++) r->rows *= r->x->sizes[i];
  return 0;
}

void lc_rows_free(lc_rows *r) {
  lc_release(r->x);
  r->x = NULL;
}

lc_tensor *lc_rows_new(const lc_rows *r, lc_dtype dt, int64_t n) {
  int64_t sizes[LC_MAX_DIMS];
  int nd = r->x->ndim;
  for (int i = 0; i < nd; i++) sizes[i] = r->x->sizes[i];
  if (nd) sizes[nd - 1] = n;
  return lc_empty(dt, nd, sizes);
}

lc_tensor *lc_rows_close(const lc_rows *r, lc_tensor *out, bool keepdim) {
  if (!out) return NULL;
  bool was = lc_set_grad_enabled(false);
  int nd = out->ndim;
  lc_tensor *v = nd ? lc_transpose(out, r->dim, nd - 1) : lc_retain(out);
  lc_tensor *c = v ? lc_contiguous(v) : NULL;
  lc_release(v);
  lc_release(out);
  if (c && !keepdim && nd) {
    lc_tensor *s = lc_squeeze(c, r->dim);
    lc_release(c);
    c = s;
  }
  lc_set_grad_enabled(was);
  return c;
}

/* gx = zeros(input); gx[.., idx - base, ..] += g along dim. ints: dim,
 * keepdim, base, ndim, sizes...; saved 0: the indices. */
static int picked_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *idx = lc_node_saved(n, 0);
  if (!idx) return -1;
  int dim = (int)n->ints[0], ndim = (int)n->ints[3];
  bool keepdim = n->ints[1] || ndim == 0;
  lc_tensor *g = keepdim ? lc_retain(grad_out[0]) : lc_unsqueeze(grad_out[0], dim);
  lc_tensor *i = keepdim ? lc_retain(idx) : lc_unsqueeze(idx, dim);
  lc_tensor *gx = g && i ? lc_zeros(g->dtype, ndim, &n->ints[4]) : NULL;
  if (gx && lc_scatter_(gx, dim, i, g, 0, LC_SCATTER_ADD, n->ints[2])) {
    lc_release(gx);
    gx = NULL;
  }
  lc_release(g);
  lc_release(i);
  grad_in[0] = gx;
  return gx ? 0 : -1;
}

int lc_record_picked(const char *name, lc_tensor *values, const lc_tensor *t, int dim,
                     bool keepdim, const lc_tensor *indices, int64_t base) {
  if (!lc_should_record(1, &t)) return 0;
  lc_node *n = lc_record(name, picked_backward, values, 1, &t);
  if (!n || lc_node_save(n, indices)) return -1;
  n->ints[0] = dim;
  n->ints[1] = keepdim;
  n->ints[2] = base;
  n->ints[3] = t->ndim;
  for (int i = 0; i < t->ndim; i++) n->ints[4 + i] = t->sizes[i];
  return 0;
}
