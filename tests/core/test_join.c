/* test_join.c: cat, stack, split and chunk: values, dtypes, errors, views
 * sharing storage, and finite-difference gradients. */
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

/* A contiguous tensor holding start, start + 1, ... */
static lc_tensor *seq(lc_dtype dt, int ndim, const int64_t *sizes, double start) {
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  for (int64_t i = 0; i < lc_numel(t); i++) set(t, i, start + (double)i);
  return t;
}

static bool values_are(const lc_tensor *t, int ndim, const int64_t *sizes, const double *v) {
  if (!t || t->ndim != ndim) return false;
  for (int i = 0; i < ndim; i++)
    if (t->sizes[i] != sizes[i]) return false;
  for (int64_t i = 0; i < lc_numel(t); i++)
    if (lc_get(t, i) != v[i]) return false;
  return true;
}

static void test_cat(void) {
  lc_tensor *a = seq(LC_FLOAT32, 2, DIMS(2, 3), 0), *b = seq(LC_FLOAT32, 2, DIMS(1, 3), 10);
  lc_tensor *c = lc_cat((lc_tensor *[]){a, b}, 2, 0);
  CHECK(values_are(c, 2, DIMS(3, 3), VALS(0, 1, 2, 3, 4, 5, 10, 11, 12)));
  CHECK(c && c->dtype == LC_FLOAT32 && !c->requires_grad);
  lc_release(c);

  lc_tensor *d = seq(LC_FLOAT32, 2, DIMS(2, 1), 20);
  c = lc_cat((lc_tensor *[]){a, d, a}, 3, -1); /* negative dim */
  CHECK(values_are(c, 2, DIMS(2, 7), VALS(0, 1, 2, 20, 0, 1, 2, 3, 4, 5, 21, 3, 4, 5)));
  lc_release(c);

  /* one tensor: a copy, not the same storage */
  c = lc_cat(&a, 1, 0);
  CHECK(values_are(c, 2, DIMS(2, 3), VALS(0, 1, 2, 3, 4, 5)) && c->storage != a->storage);
  lc_release(c);

  /* non-contiguous inputs (a transposed view) and an empty piece */
  lc_tensor *t = lc_transpose(a, 0, 1); /* (3, 2): 0 3 / 1 4 / 2 5 */
  lc_tensor *e = lc_zeros(LC_FLOAT32, 2, DIMS(3, 0));
  c = lc_cat((lc_tensor *[]){t, e, t}, 3, 1);
  CHECK(values_are(c, 2, DIMS(3, 4), VALS(0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5)));
  lc_release(c);

  /* dtypes promote: int64 with float32 gives float32, with float64 float64 */
  lc_tensor *i = seq(LC_INT64, 1, DIMS(2), 7), *f = seq(LC_FLOAT32, 1, DIMS(1), 0.5);
  lc_tensor *g = seq(LC_FLOAT64, 1, DIMS(1), 0.25);
  c = lc_cat((lc_tensor *[]){i, f}, 2, 0);
  CHECK(c && c->dtype == LC_FLOAT32 && values_are(c, 1, DIMS(3), VALS(7, 8, 0.5)));
  lc_release(c);
  c = lc_cat((lc_tensor *[]){f, i, g}, 3, 0);
  CHECK(c && c->dtype == LC_FLOAT64 && values_are(c, 1, DIMS(4), VALS(0.5, 7, 8, 0.25)));
  lc_release(c);

  /* 3-D along the middle dim */
  lc_tensor *x = seq(LC_FLOAT64, 3, DIMS(2, 1, 2), 0), *y = seq(LC_FLOAT64, 3, DIMS(2, 2, 2), 10);
  c = lc_cat((lc_tensor *[]){x, y}, 2, 1);
  CHECK(values_are(c, 3, DIMS(2, 3, 2), VALS(0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17)));
  lc_release(c);

  lc_release(a), lc_release(b), lc_release(d), lc_release(t), lc_release(e), lc_release(i);
  lc_release(f), lc_release(g), lc_release(x), lc_release(y);
}

static void test_cat_errors(void) {
  lc_tensor *a = seq(LC_FLOAT32, 2, DIMS(2, 3), 0), *b = seq(LC_FLOAT32, 2, DIMS(2, 4), 0);
  lc_tensor *v = seq(LC_FLOAT32, 1, DIMS(3), 0), *s = lc_scalar(LC_FLOAT32, 1);
  CHECK(lc_cat(NULL, 0, 0) == NULL);
  CHECK(strcmp(lc_error(), "cat: expected a non-empty list of tensors") == 0);
  CHECK(lc_cat((lc_tensor *[]){a, b}, 2, 0) == NULL);
  CHECK(strcmp(lc_error(), "cat: sizes of tensors must match except in dim 1: tensor 2 has size 4 "
               "in dim 2, expected 3") == 0);
  CHECK(lc_cat((lc_tensor *[]){a, v}, 2, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "cat: tensors must have the same number of dimensions");
  CHECK(lc_cat((lc_tensor *[]){s, s}, 2, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "cat: zero-dimensional tensor 1");
  CHECK(lc_cat((lc_tensor *[]){a, a}, 2, 2) == NULL);
  CHECK_CONTAINS(lc_error(), "cat: dim 3 out of range");
  CHECK(lc_cat((lc_tensor *[]){a, NULL}, 2, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "cat: tensor 2 is missing");
  lc_release(a), lc_release(b), lc_release(v), lc_release(s);
}

static void test_stack(void) {
  lc_tensor *a = seq(LC_FLOAT64, 2, DIMS(2, 2), 0), *b = seq(LC_FLOAT64, 2, DIMS(2, 2), 10);
  lc_tensor *c = lc_stack((lc_tensor *[]){a, b}, 2, 0);
  CHECK(values_are(c, 3, DIMS(2, 2, 2), VALS(0, 1, 2, 3, 10, 11, 12, 13)));
  lc_release(c);
  c = lc_stack((lc_tensor *[]){a, b}, 2, 1);
  CHECK(values_are(c, 3, DIMS(2, 2, 2), VALS(0, 1, 10, 11, 2, 3, 12, 13)));
  lc_release(c);
  c = lc_stack((lc_tensor *[]){a, b}, 2, 2); /* dim == ndim is allowed */
  CHECK(values_are(c, 3, DIMS(2, 2, 2), VALS(0, 10, 1, 11, 2, 12, 3, 13)));
  lc_release(c);
  c = lc_stack((lc_tensor *[]){a, b}, 2, -1);
  CHECK(values_are(c, 3, DIMS(2, 2, 2), VALS(0, 10, 1, 11, 2, 12, 3, 13)));
  lc_release(c);
  c = lc_stack((lc_tensor *[]){a, b}, 2, -3);
  CHECK(values_are(c, 3, DIMS(2, 2, 2), VALS(0, 1, 2, 3, 10, 11, 12, 13)));
  lc_release(c);

  /* 0-dim tensors stack into a vector */
  lc_tensor *s = lc_scalar(LC_FLOAT32, 3), *t = lc_scalar(LC_FLOAT32, 4);
  c = lc_stack((lc_tensor *[]){s, t, s}, 3, 0);
  CHECK(values_are(c, 1, DIMS(3), VALS(3, 4, 3)));
  lc_release(c);

  lc_tensor *w = seq(LC_FLOAT64, 2, DIMS(2, 3), 0);
  CHECK(lc_stack((lc_tensor *[]){a, b, w}, 3, 0) == NULL);
  CHECK(strcmp(lc_error(), "stack: expected each tensor to be equal size, but got (2, 2) at "
               "entry 1 and (2, 3) at entry 3") == 0);
  CHECK(lc_stack((lc_tensor *[]){a, b}, 2, 3) == NULL);
  CHECK_CONTAINS(lc_error(), "stack: dim 4 out of range");
  CHECK(lc_stack((lc_tensor *[]){a, b}, 2, -4) == NULL);
  CHECK_CONTAINS(lc_error(), "stack: dim -4 out of range");
  CHECK(lc_stack(NULL, 0, 0) == NULL);
  CHECK(strcmp(lc_error(), "stack: expected a non-empty list of tensors") == 0);
  lc_release(a), lc_release(b), lc_release(s), lc_release(t), lc_release(w);
}

static void release_all(lc_tensor **p, int n) {
  for (int i = 0; i < n; i++) lc_release(p[i]);
  free(p);
}

static void test_split_chunk(void) {
  lc_tensor *t = seq(LC_FLOAT64, 2, DIMS(5, 2), 0);
  int n = -1;
  lc_tensor **p = lc_split(t, 2, 0, &n);
  CHECK(p && n == 3);
  if (p && n == 3) {
    CHECK(values_are(p[0], 2, DIMS(2, 2), VALS(0, 1, 2, 3)));
    CHECK(values_are(p[1], 2, DIMS(2, 2), VALS(4, 5, 6, 7)));
    CHECK(values_are(p[2], 2, DIMS(1, 2), VALS(8, 9)));
    /* views: same storage, writes show through */
    CHECK(p[1]->storage == t->storage && p[2]->storage == t->storage);
    ((double *)lc_data(p[1]))[1] = 50;
    CHECK(lc_get(t, 5) == 50);
    ((double *)lc_data(t))[8] = 80;
    CHECK(lc_get(p[2], 0) == 80);
  }
  release_all(p, n);

  p = lc_split(t, 1, -1, &n); /* columns: strided views */
  CHECK(p && n == 2);
  if (p && n == 2) {
    CHECK(values_are(p[1], 2, DIMS(5, 1), VALS(1, 3, 50, 7, 9)));
    CHECK(p[1]->strides[0] == 2 && p[1]->storage == t->storage);
  }
  release_all(p, n);

  p = lc_split(t, 7, 0, &n); /* larger than the dim: one piece */
  CHECK(p && n == 1 && p[0]->sizes[0] == 5);
  release_all(p, n);

  lc_tensor *v = seq(LC_FLOAT32, 1, DIMS(5), 0);
  p = lc_chunk(v, 3, 0, &n); /* ceil(5 / 3) = 2: 2, 2, 1 */
  CHECK(p && n == 3 && p[0]->sizes[0] == 2 && p[1]->sizes[0] == 2 && p[2]->sizes[0] == 1);
  if (p && n == 3) CHECK(values_are(p[2], 1, DIMS(1), VALS(4)) && p[2]->storage == v->storage);
  release_all(p, n);
  lc_tensor *six = seq(LC_FLOAT32, 1, DIMS(6), 0);
  p = lc_chunk(six, 4, 0, &n); /* ceil(6 / 4) = 2: only 3 chunks, as torch.chunk */
  CHECK(p && n == 3 && p[2]->sizes[0] == 2);
  release_all(p, n);
  p = lc_chunk(six, 6, -1, &n);
  CHECK(p && n == 6 && p[5]->sizes[0] == 1 && lc_get(p[5], 0) == 5);
  release_all(p, n);
  p = lc_chunk(v, 10, 0, &n); /* more chunks than elements */
  CHECK(p && n == 5);
  release_all(p, n);

  /* empty dims */
  lc_tensor *z = lc_zeros(LC_FLOAT32, 2, DIMS(0, 3));
  p = lc_chunk(z, 3, 0, &n);
  CHECK(p && n == 3 && p[0]->sizes[0] == 0 && p[2]->sizes[1] == 3);
  release_all(p, n);
  p = lc_split(z, 2, 0, &n);
  CHECK(p && n == 1 && p[0]->sizes[0] == 0);
  release_all(p, n);
  p = lc_split(z, 0, 0, &n);
  CHECK(p && n == 1);
  release_all(p, n);

  /* errors */
  lc_tensor *s = lc_scalar(LC_FLOAT32, 1);
  CHECK(lc_split(v, 0, 0, &n) == NULL && n == 0);
  CHECK_CONTAINS(lc_error(), "split: split size must be positive");
  CHECK(lc_split(v, -1, 0, &n) == NULL);
  CHECK(lc_split(v, 2, 1, &n) == NULL);
  CHECK_CONTAINS(lc_error(), "split: dim 2 out of range");
  CHECK(lc_split(s, 1, 0, &n) == NULL);
  CHECK_CONTAINS(lc_error(), "split: cannot split a 0-dim tensor");
  CHECK(lc_chunk(v, 0, 0, &n) == NULL);
  CHECK_CONTAINS(lc_error(), "chunk: number of chunks must be greater than 0");
  CHECK(lc_chunk(v, 2, -2, &n) == NULL);
  CHECK_CONTAINS(lc_error(), "chunk: dim -2 out of range");
  lc_release(t), lc_release(v), lc_release(six), lc_release(z), lc_release(s);
}

/* ---- gradients ------------------------------------------------------------ */

typedef lc_tensor *(*join_fn)(lc_tensor *const *ts, int n, int dim);

static lc_tensor *weights_like(const lc_tensor *y) {
  lc_tensor *w = lc_empty(LC_FLOAT64, y->ndim, y->sizes);
  for (int64_t i = 0; i < lc_numel(w); i++) set(w, i, 0.3 * (double)(i % 7) - 0.8);
  return w;
}

static double loss_of(join_fn f, lc_tensor *const *ts, int n, int dim, lc_tensor *w) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *y = f(ts, n, dim), *p = lc_binary(LC_MUL, y, w), *s = lc_sum(p, LC_ALL_DIMS, false);
  double v = lc_get(s, 0);
  lc_release(y), lc_release(p), lc_release(s);
  lc_set_grad_enabled(was);
  return v;
}

/* sum(f(ts) * w) backpropagated, against central differences on every
 * float64 input that requires grad. */
static void gradcheck(join_fn f, lc_tensor *const *ts, int n, int dim) {
  lc_tensor *y = f(ts, n, dim);
  CHECK(y && y->grad_fn);
  if (!y) return;
  lc_tensor *w = weights_like(y);
  lc_tensor *p = lc_binary(LC_MUL, y, w), *loss = lc_sum(p, LC_ALL_DIMS, false);
  int rc = lc_backward(&loss, NULL, 1, false);
  CHECK(rc == 0);
  if (rc) fprintf(stderr, "backward: %s\n", lc_error());
  for (int k = 0; k < n; k++) {
    lc_tensor *x = ts[k];
    if (!x->requires_grad) {
      CHECK(x->grad == NULL);
      continue;
    }
    CHECK(x->grad && lc_same_shape(x->grad, x) && x->grad->dtype == x->dtype);
    if (!x->grad || !lc_same_shape(x->grad, x) || x->dtype != LC_FLOAT64) continue;
    double *d = lc_data(x);
    int bad = 0;
    for (int64_t i = 0; i < lc_numel(x); i++) {
      double orig = d[i], eps = 1e-6;
      d[i] = orig + eps;
      double fp = loss_of(f, ts, n, dim, w);
      d[i] = orig - eps;
      double fm = loss_of(f, ts, n, dim, w);
      d[i] = orig;
      double num = (fp - fm) / (2 * eps), ana = lc_get(x->grad, i);
      if (fabs(num - ana) > 1e-7 * fmax(1, fabs(ana)) && !bad++)
        fprintf(stderr, "input %d element %lld: numeric %.12g analytic %.12g\n", k,
                (long long)i, num, ana);
    }
    CHECK(bad == 0);
  }
  lc_release(y), lc_release(w), lc_release(p), lc_release(loss);
}

static void test_gradients(void) {
  lc_tensor *a = seq(LC_FLOAT64, 2, DIMS(2, 3), 0.5), *b = seq(LC_FLOAT64, 2, DIMS(2, 1), -1);
  lc_tensor *c = seq(LC_FLOAT64, 2, DIMS(2, 2), 3);
  a->requires_grad = b->requires_grad = c->requires_grad = true;
  gradcheck(lc_cat, (lc_tensor *[]){a, b, c}, 3, 1);
  lc_tensor *y = lc_cat((lc_tensor *[]){a, b}, 2, 1);
  CHECK(y && y->grad_fn && strcmp(y->grad_fn->name, "CatBackward") == 0);
  lc_release(y);
  lc_release(a), lc_release(b), lc_release(c);

  /* dim 0, one input without grad, one used twice */
  a = seq(LC_FLOAT64, 2, DIMS(2, 3), 0.5), b = seq(LC_FLOAT64, 2, DIMS(1, 3), 2);
  a->requires_grad = true;
  gradcheck(lc_cat, (lc_tensor *[]){a, b, a}, 3, 0);
  lc_release(a), lc_release(b);

  /* a promoted float32 input gets a float32 gradient */
  lc_tensor *f = seq(LC_FLOAT32, 1, DIMS(2), 1), *g = seq(LC_FLOAT64, 1, DIMS(3), 0);
  f->requires_grad = g->requires_grad = true;
  gradcheck(lc_cat, (lc_tensor *[]){f, g}, 2, 0);
  CHECK(f->grad && f->grad->dtype == LC_FLOAT32);
  lc_release(f), lc_release(g);

  /* stack, through unsqueeze + cat */
  a = seq(LC_FLOAT64, 2, DIMS(2, 3), 0.5), b = seq(LC_FLOAT64, 2, DIMS(2, 3), -2);
  a->requires_grad = b->requires_grad = true;
  gradcheck(lc_stack, (lc_tensor *[]){a, b}, 2, 1);
  lc_release(a), lc_release(b);
  a = seq(LC_FLOAT64, 1, DIMS(3), 0.5), b = seq(LC_FLOAT64, 1, DIMS(3), -2);
  a->requires_grad = b->requires_grad = true;
  gradcheck(lc_stack, (lc_tensor *[]){a, b}, 2, -1);
  lc_release(a), lc_release(b);

  /* split pieces carry narrow's gradient back to the whole */
  lc_tensor *t = seq(LC_FLOAT64, 1, DIMS(5), 1);
  t->requires_grad = true;
  int n = 0;
  lc_tensor **p = lc_split(t, 2, 0, &n);
  CHECK(p && n == 3 && p[1]->requires_grad);
  if (p && n == 3) {
    lc_tensor *m = lc_binary_scalar(LC_MUL, p[1], 3, false), *s = lc_sum(m, LC_ALL_DIMS, false);
    CHECK(lc_backward(&s, NULL, 1, false) == 0);
    CHECK(t->grad && values_are(t->grad, 1, DIMS(5), VALS(0, 0, 3, 3, 0)));
    lc_release(m), lc_release(s);
  }
  release_all(p, n);
  lc_release(t);

  /* grad mode off: nothing recorded */
  a = seq(LC_FLOAT64, 1, DIMS(2), 0);
  a->requires_grad = true;
  bool was = lc_set_grad_enabled(false);
  y = lc_cat((lc_tensor *[]){a, a}, 2, 0);
  lc_set_grad_enabled(was);
  CHECK(y && !y->requires_grad && !y->grad_fn);
  lc_release(y), lc_release(a);
}

int main(void) {
  test_cat();
  test_cat_errors();
  test_stack();
  test_split_chunk();
  test_gradients();
  return test_summary();
}
