/* test_tensor.c: creation, lifetime and views from C: values of the
 * creation functions, reference counts of tensors and storages, views
 * sharing storage with the right strides and offsets, contiguous/clone/to,
 * wrapped storage, live-byte accounting, and the errors of bad arguments. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

#define S(...) ((const int64_t[]){__VA_ARGS__})
#define V(...) ((const double[]){__VA_ARGS__})

static void check_shape(const lc_tensor *t, int ndim, const int64_t *sizes) {
  CHECK(t != NULL);
  if (!t) {
    fprintf(stderr, "  error: %s\n", lc_error());
    return;
  }
  CHECK(t->ndim == ndim);
  for (int i = 0; i < ndim && i < t->ndim; i++) CHECK(t->sizes[i] == sizes[i]);
}

static void check_strides(const lc_tensor *t, const int64_t *strides) {
  if (!t) return;
  for (int i = 0; i < t->ndim; i++) CHECK(t->strides[i] == strides[i]);
}

static void check_values(const lc_tensor *t, const double *vals) {
  if (!t) return;
  for (int64_t i = 0; i < lc_numel(t); i++) CHECK_NEAR(lc_get(t, i), vals[i], 0);
}

/* 0, 1, 2, ... as float64 */
static lc_tensor *iota(int ndim, const int64_t *sizes) {
  lc_tensor *t = lc_empty(LC_FLOAT64, ndim, sizes);
  for (int64_t i = 0; i < lc_numel(t); i++) ((double *)lc_data(t))[i] = (double)i;
  return t;
}

/* ---- dtypes and creation ---------------------------------------------------- */

static void test_dtypes(void) {
  CHECK(lc_dtype_size(LC_FLOAT32) == 4);
  CHECK(lc_dtype_size(LC_FLOAT64) == 8);
  CHECK(lc_dtype_size(LC_INT64) == 8);
  CHECK(!strcmp(lc_dtype_name(LC_FLOAT32), "float32"));
  CHECK(!strcmp(lc_dtype_name(LC_FLOAT64), "float64"));
  CHECK(!strcmp(lc_dtype_name(LC_INT64), "int64"));
  CHECK(lc_dtype_is_float(LC_FLOAT32) && lc_dtype_is_float(LC_FLOAT64) && !lc_dtype_is_float(LC_INT64));
  CHECK(lc_promote(LC_FLOAT32, LC_FLOAT64) == LC_FLOAT64);
  CHECK(lc_promote(LC_INT64, LC_FLOAT32) == LC_FLOAT32);
  CHECK(lc_promote(LC_FLOAT64, LC_INT64) == LC_FLOAT64);
  CHECK(lc_promote(LC_INT64, LC_INT64) == LC_INT64);
  char buf[128];
  CHECK(!strcmp(lc_shape_str(buf, 3, S(5, 3, 8)), "(5, 3, 8)"));
  CHECK(!strcmp(lc_shape_str(buf, 0, NULL), "()"));
}

static void test_creation(void) {
  lc_tensor *z = lc_zeros(LC_FLOAT32, 2, S(2, 3));
  check_shape(z, 2, S(2, 3));
  check_strides(z, S(3, 1));
  CHECK(z->dtype == LC_FLOAT32 && z->offset == 0 && z->refcount == 1);
  CHECK(lc_numel(z) == 6 && lc_nbytes(z) == 24 && lc_is_contiguous(z));
  CHECK(!z->requires_grad && !z->grad && !z->grad_fn);
  check_values(z, V(0, 0, 0, 0, 0, 0));
  lc_release(z);

  lc_tensor *f = lc_full(LC_INT64, 1, S(3), 7);
  CHECK(f && f->dtype == LC_INT64);
  for (int i = 0; i < 3; i++) CHECK(lc_get_int(f, i) == 7);
  lc_release(f);

  lc_tensor *s = lc_scalar(LC_FLOAT64, 2.5);
  check_shape(s, 0, NULL);
  CHECK(lc_numel(s) == 1 && lc_get(s, 0) == 2.5);
  lc_release(s);

  lc_tensor *a = lc_arange(LC_INT64, 2, 11, 3);
  check_shape(a, 1, S(3));
  check_values(a, V(2, 5, 8));
  lc_release(a);
  a = lc_arange(LC_FLOAT64, 0, 1, 0.1); /* ceil(1 / 0.1) = 10 elements */
  check_shape(a, 1, S(10));
  for (int i = 0; i < 10; i++) CHECK_NEAR(lc_get(a, i), 0.1 * i, 1e-15);
  lc_release(a);
  a = lc_arange(LC_FLOAT32, 5, 0, -2);
  check_values(a, V(5, 3, 1));
  lc_release(a);
  CHECK(lc_arange(LC_FLOAT32, 0, 1, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "arange");
  CHECK(lc_arange(LC_FLOAT32, 0, 1, -1) == NULL);
  CHECK_CONTAINS(lc_error(), "arange");

  lc_tensor *e = lc_eye(LC_FLOAT64, 2, 3);
  check_shape(e, 2, S(2, 3));
  check_values(e, V(1, 0, 0, 0, 1, 0));
  lc_release(e);

  lc_tensor *x = iota(2, S(2, 3));
  lc_tensor *zl = lc_zeros_like(x), *el = lc_empty_like(x);
  check_shape(zl, 2, S(2, 3));
  check_shape(el, 2, S(2, 3));
  CHECK(zl->dtype == LC_FLOAT64 && el->dtype == LC_FLOAT64);
  check_values(zl, V(0, 0, 0, 0, 0, 0));
  CHECK(zl->storage != x->storage && el->storage != x->storage);
  lc_release(zl), lc_release(el), lc_release(x);

  /* empty tensors are fine */
  lc_tensor *n0 = lc_zeros(LC_FLOAT32, 2, S(0, 3));
  CHECK(n0 && lc_numel(n0) == 0);
  lc_release(n0);
}

static void test_creation_errors(void) {
  CHECK(lc_zeros(LC_FLOAT32, 2, S(2, -3)) == NULL);
  CHECK_CONTAINS(lc_error(), "size -3 of dimension 2 is negative");
  CHECK(lc_empty(LC_FLOAT32, 9, S(1, 1, 1, 1, 1, 1, 1, 1, 1)) == NULL);
  CHECK_CONTAINS(lc_error(), "at most 8 dimensions");
  CHECK(lc_zeros(LC_FLOAT32, 2, S(INT64_C(1) << 62, 4)) == NULL);
  CHECK_CONTAINS(lc_error(), "too many elements");
  size_t before = lc_live_bytes();
  CHECK(lc_zeros(LC_FLOAT64, 2, S(INT64_C(1) << 20, INT64_C(1) << 30)) == NULL); /* 8 PB */
  CHECK_CONTAINS(lc_error(), "memory");
  CHECK(lc_live_bytes() == before);
}

/* ---- lifetime ---------------------------------------------------------------- */

static int wrap_frees;
static void count_free(void *data, void *ud) {
  (void)data;
  wrap_frees += *(int *)ud;
}

static void test_refcounts(void) {
  size_t base = lc_live_bytes();
  lc_tensor *t = lc_zeros(LC_FLOAT64, 2, S(100, 10));
  CHECK(lc_live_bytes() >= base + 8000);
  CHECK(t->refcount == 1 && t->storage->refcount == 1);
  CHECK(lc_retain(t) == t);
  CHECK(t->refcount == 2);
  lc_release(t);
  CHECK(t->refcount == 1);

  lc_tensor *v = lc_view(t, 1, S(1000));
  CHECK(v != t && v->storage == t->storage);
  CHECK(t->storage->refcount == 2);
  lc_tensor *w = lc_transpose(t, 0, 1);
  CHECK(t->storage->refcount == 3);
  lc_release(t); /* views keep their base, and so the storage, alive */
  CHECK(v->base == t && w->base == t && t->refcount == 2 && t->storage->refcount == 3);
  ((double *)lc_data(v))[999] = 4;
  CHECK(lc_get(w, 9 * 100 + 99) == 4); /* w[9][99] = t[99][9] = v[999] */
  lc_release(v);
  CHECK(t->refcount == 1 && w->storage->refcount == 2);
  lc_release(w);
  CHECK(lc_live_bytes() == base);
  lc_release(NULL); /* allowed */

  /* wrapped memory: the callback runs once, when the last view goes */
  double buf[6] = {1, 2, 3, 4, 5, 6};
  int one = 1;
  lc_storage *st = lc_storage_wrap(buf, sizeof buf, count_free, &one);
  CHECK(st && st->data == buf && st->refcount == 1);
  lc_storage_release(st);
  CHECK(wrap_frees == 1);
  /* no callback: the caller keeps the memory */
  lc_storage *st2 = lc_storage_wrap(buf, sizeof buf, NULL, NULL);
  lc_storage_release(st2);
  CHECK(buf[5] == 6);
}

/* ---- views ------------------------------------------------------------------- */

static void test_view_strides(void) {
  lc_tensor *x = iota(3, S(2, 3, 4)); /* strides (12, 4, 1) */
  check_strides(x, S(12, 4, 1));

  lc_tensor *v = lc_view(x, 2, S(6, -1));
  check_shape(v, 2, S(6, 4));
  check_strides(v, S(4, 1));
  CHECK(v->storage == x->storage);
  lc_release(v);

  lc_tensor *tr = lc_transpose(x, 0, 2);
  check_shape(tr, 3, S(4, 3, 2));
  check_strides(tr, S(1, 4, 12));
  CHECK(!lc_is_contiguous(tr) && tr->storage == x->storage);
  CHECK(lc_get(tr, 1) == 12); /* tr[0][0][1] = x[1][0][0] */

  int dims[3] = {2, 0, 1};
  lc_tensor *p = lc_permute(x, dims);
  check_shape(p, 3, S(4, 2, 3));
  check_strides(p, S(1, 12, 4));
  CHECK(lc_get(p, 4 * 2 * 3 - 1) == 23 && lc_get(p, 1) == 4 && lc_get(p, 17) == 22);
  lc_release(p);

  lc_tensor *n = lc_narrow(x, 2, 1, 2);
  check_shape(n, 3, S(2, 3, 2));
  check_strides(n, S(12, 4, 1));
  CHECK(n->offset == 1 && !lc_is_contiguous(n));
  check_values(n, V(1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22));
  lc_tensor *nn = lc_narrow(n, 0, 1, 1);
  CHECK(nn->offset == 13);
  lc_release(nn);

  lc_tensor *s = lc_select(x, 1, 2);
  check_shape(s, 2, S(2, 4));
  check_strides(s, S(12, 1));
  CHECK(s->offset == 8);
  check_values(s, V(8, 9, 10, 11, 20, 21, 22, 23));
  lc_tensor *sn = lc_select(x, 0, -1); /* negative index from the end */
  CHECK(sn && sn->offset == 12);
  lc_release(sn);

  lc_tensor *u = lc_unsqueeze(s, 1);
  check_shape(u, 3, S(2, 1, 4));
  CHECK(u->storage == x->storage);
  lc_tensor *sq = lc_squeeze(u, LC_ALL_DIMS);
  check_shape(sq, 2, S(2, 4));
  check_values(sq, V(8, 9, 10, 11, 20, 21, 22, 23));
  lc_tensor *sq1 = lc_squeeze(u, 0); /* size 2: unchanged */
  check_shape(sq1, 3, S(2, 1, 4));
  lc_release(sq1), lc_release(sq), lc_release(u);

  lc_tensor *row = lc_narrow(s, 0, 0, 1); /* (1, 4) */
  lc_tensor *e = lc_expand(row, 3, S(5, 3, -1));
  check_shape(e, 3, S(5, 3, 4));
  CHECK(e->strides[0] == 0 && e->strides[1] == 0 && e->strides[2] == 1);
  CHECK(lc_get(e, 59) == 11);
  CHECK(e->storage == x->storage);
  lc_release(e), lc_release(row);

  /* views write through */
  ((double *)lc_data(s))[1] = -1; /* s[0][1] = x[0][2][1] */
  CHECK(lc_get(x, 9) == -1);
  CHECK(lc_get(tr, 1 * 6 + 2 * 2) == -1); /* tr[1][2][0] */

  /* alias and detach share memory, without history */
  lc_tensor *al = lc_alias(x), *dt = lc_detach(tr);
  CHECK(al->storage == x->storage && dt->storage == x->storage);
  CHECK(!al->grad_fn && !dt->requires_grad);
  CHECK(dt->strides[0] == 1);
  lc_release(al), lc_release(dt);

  lc_release(s), lc_release(n), lc_release(tr), lc_release(x);
}

static void test_contiguous_clone_to(void) {
  lc_tensor *x = iota(2, S(2, 3));
  lc_tensor *c = lc_contiguous(x);
  CHECK(c == x && x->refcount == 2); /* a new reference to the same tensor */
  lc_release(c);
  lc_tensor *t = lc_transpose(x, 0, 1);
  lc_tensor *tc = lc_contiguous(t);
  CHECK(tc != t && tc->storage != x->storage && lc_is_contiguous(tc));
  check_shape(tc, 2, S(3, 2));
  check_strides(tc, S(2, 1));
  check_values(tc, V(0, 3, 1, 4, 2, 5));

  lc_tensor *cl = lc_clone(x);
  CHECK(cl != x && cl->storage != x->storage);
  check_values(cl, V(0, 1, 2, 3, 4, 5));
  ((double *)lc_data(cl))[0] = 9;
  CHECK(lc_get(x, 0) == 0);
  lc_tensor *ct = lc_clone(t);
  check_shape(ct, 2, S(3, 2));
  check_values(ct, V(0, 3, 1, 4, 2, 5));

  lc_tensor *same = lc_to(x, LC_FLOAT64);
  CHECK(same == x);
  lc_release(same);
  lc_tensor *l = lc_to(t, LC_INT64);
  CHECK(l->dtype == LC_INT64 && l->storage != x->storage);
  CHECK(lc_get_int(l, 1) == 3 && lc_get_int(l, 5) == 5);
  lc_tensor *fr = lc_scalar(LC_FLOAT64, -2.75);
  lc_tensor *fl = lc_to(fr, LC_INT64);
  CHECK(lc_get_int(fl, 0) == -2); /* toward zero */
  lc_tensor *f32 = lc_to(fr, LC_FLOAT32);
  CHECK(f32->dtype == LC_FLOAT32 && lc_get(f32, 0) == -2.75);
  lc_release(f32), lc_release(fl), lc_release(fr);
  lc_release(l), lc_release(ct), lc_release(cl), lc_release(tc), lc_release(t), lc_release(x);
}

static void test_reshape_shares_when_possible(void) {
  lc_tensor *x = iota(2, S(4, 6));
  lc_tensor *r = lc_reshape(x, 2, S(3, 8));
  CHECK(r->storage == x->storage); /* contiguous: a view */
  lc_tensor *t = lc_transpose(x, 0, 1);
  lc_tensor *rt = lc_reshape(t, 1, S(24));
  CHECK(rt->storage != x->storage); /* must copy */
  CHECK(lc_get(rt, 1) == 6 && lc_get(rt, 4) == 1); /* rt = x^T flattened: 0, 6, 12, 18, 1, ... */
  lc_tensor *n = lc_narrow(x, 0, 1, 2); /* rows 1..2: still viewable as (12,) */
  lc_tensor *rn = lc_reshape(n, 1, S(12));
  CHECK(rn->storage == x->storage && rn->offset == 6);
  lc_tensor *vt = lc_view(t, 1, S(24));
  CHECK(vt == NULL);
  CHECK_CONTAINS(lc_error(), "view: the tensor's strides are incompatible");
  lc_release(rn), lc_release(n), lc_release(rt), lc_release(t), lc_release(r), lc_release(x);
}

static void test_view_errors(void) {
  lc_tensor *x = iota(2, S(2, 3));
  CHECK(lc_view(x, 1, S(4)) == NULL);
  CHECK_CONTAINS(lc_error(), "view: shape (4) is invalid for a tensor of 6 elements");
  CHECK(lc_view(x, 2, S(-1, -1)) == NULL);
  CHECK_CONTAINS(lc_error(), "only one dimension can be -1");
  CHECK(lc_reshape(x, 1, S(5)) == NULL);
  CHECK_CONTAINS(lc_error(), "reshape:");
  CHECK(lc_narrow(x, 1, 2, 2) == NULL);
  CHECK_CONTAINS(lc_error(), "narrow:");
  CHECK(lc_select(x, 0, 2) == NULL);
  CHECK_CONTAINS(lc_error(), "select: index 2 out of range");
  CHECK(lc_expand(x, 2, S(3, 3)) == NULL);
  CHECK_CONTAINS(lc_error(), "expand: cannot expand shape (2, 3)");
  CHECK(lc_expand(x, 1, S(6)) == NULL);
  CHECK_CONTAINS(lc_error(), "expand:");
  int dup[2] = {0, 0};
  CHECK(lc_permute(x, dup) == NULL);
  CHECK_CONTAINS(lc_error(), "permute:");
  CHECK(lc_check_dim("sum", x, 2, false) == -1);
  CHECK_CONTAINS(lc_error(), "sum: dim 3 out of range");
  CHECK(lc_check_dim("sum", x, -1, false) == 1);
  CHECK(lc_check_dim("unsqueeze", x, 2, true) == 2);
  lc_tensor *s0 = lc_scalar(LC_FLOAT32, 1);
  CHECK(lc_select(s0, 0, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "select: cannot index a 0-dim tensor");
  lc_release(s0);
  lc_release(x);
}

static void test_element_access(void) {
  lc_tensor *x = lc_empty(LC_INT64, 2, S(2, 2));
  int64_t big = (INT64_C(1) << 60) + 1;
  ((int64_t *)lc_data(x))[3] = big;
  CHECK(lc_get_int(x, 3) == big); /* exact beyond 2^53 */
  lc_tensor *t = lc_transpose(x, 0, 1);
  CHECK(lc_get_int(t, 3) == big);
  lc_release(t), lc_release(x);
}

int main(void) {
  test_dtypes();
  test_creation();
  test_creation_errors();
  test_refcounts();
  test_view_strides();
  test_contiguous_clone_to();
  test_reshape_shares_when_possible();
  test_view_errors();
  test_element_access();
  return test_summary();
}
