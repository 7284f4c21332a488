/* test_index.c: x[index] (lc_index, index.c) and x[index] = values
 * (lc_index_put, mask.c) read their positions as they are given: counted from the caller's base, negative ones from the end. Base 1
 * gives what base 0 gives for the positions shifted by one, values and
 * gradients alike; out-of-range positions name the base. */
#include <string.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

/* The same rows of a (5, 3) x: 1-based, 0-based and resolved positions,
 * shaped (2, 2), with a repeat (row 1 twice) and negatives (-1 the last). */
static const double ONE_BASED[] = {1, -1, 3, 1}, ZERO_BASED[] = {0, -1, 2, 0}, RESOLVED[] = {0, 4, 2, 0};

static lc_tensor *positions(const double *v) { return from(LC_INT64, 2, DIMS(2, 2), v); }

/* max |a - b| of two float64 tensors of one shape; INFINITY if they differ
 * in shape or one is missing. */
static double max_diff(const lc_tensor *a, const lc_tensor *b) {
  if (!a || !b || a->ndim != b->ndim || memcmp(a->sizes, b->sizes, a->ndim * sizeof *a->sizes)) return INFINITY;
  lc_tensor *ca = lc_contiguous(a), *cb = lc_contiguous(b);
  double m = 0;
  for (int64_t i = 0; i < lc_numel(ca); i++)
    m = fmax(m, fabs(((double *)lc_data(ca))[i] - ((double *)lc_data(cb))[i]));
  lc_release(ca), lc_release(cb);
  return m;
}

/* x[index] (in = {x}) or x[index] = values (put: in = {x, values}). */
typedef struct {
  const lc_tensor *index;
  int64_t base;
  bool put;
} index_cfg;

static lc_tensor *index_loss(lc_tensor *const *in, void *ctx) {
  const index_cfg *c = ctx;
  lc_tensor *y = c->put ? lc_index_put(in[0], c->index, in[1], c->base) : lc_index(in[0], c->index, c->base);
  lc_tensor *loss = y ? gc_weighted_sum(y) : NULL;
  lc_release(y);
  return loss;
}

/* x.grad after backward of the weighted sum of x[index] (base). */
static lc_tensor *grad_of(lc_tensor *x, const lc_tensor *index, int64_t base) {
  lc_release(x->grad);
  x->grad = NULL;
  index_cfg c = {index, base, false};
  lc_tensor *loss = index_loss(&x, &c);
  if (!loss || lc_backward(&loss, NULL, 1, false)) {
    lc_release(loss);
    return NULL;
  }
  lc_release(loss);
  return lc_retain(x->grad);
}

static void test_base_one_is_base_zero_shifted(void) {
  lc_tensor *x = gc_leaf(2, DIMS(5, 3), -1, 1);
  lc_tensor *one = positions(ONE_BASED), *zero = positions(ZERO_BASED), *flat = positions(RESOLVED);
  lc_tensor *y1 = lc_index(x, one, 1), *y0 = lc_index(x, zero, 0);
  CHECK(y1 && y1->ndim == 3 && y1->sizes[0] == 2 && y1->sizes[1] == 2 && y1->sizes[2] == 3);
  CHECK(max_diff(y1, y0) == 0);
  /* row by row: the rows the resolved positions name */
  for (int j = 0; j < 4; j++)
    for (int k = 0; k < 3; k++)
      CHECK(((double *)lc_data(y1))[j * 3 + k] == ((double *)lc_data(x))[(int64_t)RESOLVED[j] * 3 + k]);
  /* gradients: the same scatter-add, a repeated row gets both parts */
  lc_tensor *g1 = grad_of(x, one, 1), *g0 = grad_of(x, zero, 0), *gr = grad_of(x, flat, 0);
  CHECK(max_diff(g1, g0) == 0);
  CHECK(max_diff(g1, gr) == 0);
  CHECK(g1 && ((double *)lc_data(g1))[3] == 0); /* row 2 is never picked */
  index_cfg c1 = {one, 1, false}, c0 = {zero, 0, false};
  CHECK(gradcheck("index base 1", index_loss, &x, 1, &c1) == 0);
  CHECK(gradcheck("index base 0", index_loss, &x, 1, &c0) == 0);
  lc_release(y1), lc_release(y0), lc_release(g1), lc_release(g0), lc_release(gr);
  lc_release(one), lc_release(zero), lc_release(flat), lc_release(x);
}

/* Non-contiguous positions are read through their strides. */
static void test_strided_index(void) {
  lc_tensor *x = from(LC_FLOAT64, 1, DIMS(4), VALS(10, 20, 30, 40));
  lc_tensor *idx = from(LC_INT64, 2, DIMS(2, 2), VALS(1, 2, -1, 3));
  lc_tensor *t = lc_transpose(idx, 0, 1); /* {{1, -1}, {2, 3}} */
  lc_tensor *y = lc_index(x, t, 1);
  check_tensor(y, 2, DIMS(2, 2), VALS(10, 40, 20, 30), 0);
  lc_release(x), lc_release(idx), lc_release(t), lc_release(y);
}

static void expect_error(lc_tensor *y, lc_errcode code, const char *body) {
  CHECK(y == NULL);
  lc_release(y);
  CHECK(lc_error_code() == code);
  CHECK(strcmp(lc_error_op(), "index") == 0);
  if (strcmp(lc_error_body(), body)) {
    CHECK(!"body");
    fprintf(stderr, "  got:      %s\n  expected: %s\n", lc_error_body(), body);
  }
}

static void test_errors(void) {
  lc_tensor *x = lc_zeros(LC_FLOAT64, 2, DIMS(5, 3)), *s = lc_scalar(LC_FLOAT64, 1);
  lc_tensor *i0 = from(LC_INT64, 1, DIMS(1), VALS(0)), *i6 = from(LC_INT64, 1, DIMS(1), VALS(6));
  lc_tensor *m6 = from(LC_INT64, 1, DIMS(1), VALS(-6)), *i5 = from(LC_INT64, 1, DIMS(1), VALS(5));
  lc_tensor *m5 = from(LC_INT64, 1, DIMS(1), VALS(-5)), *f = lc_zeros(LC_FLOAT32, 1, DIMS(1));
  expect_error(lc_index(x, i0, 1), LC_ERR_INDEX,
               "index 0 out of range for dim 1 of size 5 (indices are 1-based: the first is 1)");
  expect_error(lc_index(x, i6, 1), LC_ERR_INDEX, "index 6 out of range for dim 1 of size 5");
  expect_error(lc_index(x, m6, 1), LC_ERR_INDEX, "index -6 out of range for dim 1 of size 5");
  expect_error(lc_index(x, i5, 0), LC_ERR_INDEX, "index 5 out of range for dim 1 of size 5");
  expect_error(lc_index(s, i0, 1), LC_ERR_SHAPE, "cannot index a 0-dim tensor with a tensor of indices");
  expect_error(lc_index(x, f, 1), LC_ERR_DTYPE, "index must be an int64 tensor of 1-based indices, got float32");
  lc_tensor *first = lc_index(x, m5, 0); /* -5 is the first row at any base */
  CHECK(first && first->sizes[0] == 1);
  lc_release(first);
  lc_release(x), lc_release(s), lc_release(i0), lc_release(i6), lc_release(m6), lc_release(i5);
  lc_release(m5), lc_release(f);
}

/* x[index] = values (lc_index_put, mask.c) likewise: base 1 writes, and
 * differentiates, what base 0 does with the positions shifted by one. */

/* in[0].grad and in[1].grad after backward of index_loss, as one (6, 2)
 * float64 tensor's 12 values (x's 8, then values' 4) in out. */
static void put_grads(lc_tensor *const *in, const lc_tensor *index, int64_t base, double *out) {
  for (int k = 0; k < 2; k++) lc_release(in[k]->grad), in[k]->grad = NULL;
  index_cfg c = {index, base, true};
  lc_tensor *loss = index_loss(in, &c);
  CHECK(loss && !lc_backward(&loss, NULL, 1, false));
  lc_release(loss);
  for (int k = 0, o = 0; k < 2; k++)
    for (int64_t i = 0; in[k]->grad && i < lc_numel(in[k]); i++) out[o++] = ((double *)lc_data(in[k]->grad))[i];
}

static void test_index_put_base(void) {
  lc_tensor *in[2] = {gc_leaf(2, DIMS(4, 2), -1, 1), gc_leaf(2, DIMS(2, 2), -1, 1)};
  lc_tensor *one = from(LC_INT64, 1, DIMS(2), VALS(-1, 2)), *zero = from(LC_INT64, 1, DIMS(2), VALS(-1, 1));
  lc_tensor *y1 = lc_index_put(in[0], one, in[1], 1), *y0 = lc_index_put(in[0], zero, in[1], 0);
  const double *x = lc_data(in[0]), *v = lc_data(in[1]);
  /* rows 4 (-1) and 2 written, rows 1 and 3 kept */
  check_tensor(y1, 2, DIMS(4, 2), VALS(x[0], x[1], v[2], v[3], x[4], x[5], v[0], v[1]), 0);
  check_tensor(y0, 2, DIMS(4, 2), VALS(x[0], x[1], v[2], v[3], x[4], x[5], v[0], v[1]), 0);
  double g1[12] = {0}, g0[12] = {0};
  put_grads(in, one, 1, g1);
  put_grads(in, zero, 0, g0);
  CHECK(!memcmp(g1, g0, sizeof g1));
  CHECK(g1[2] == 0 && g1[3] == 0 && g1[6] == 0 && g1[7] == 0); /* the written rows of x */
  CHECK(g1[0] != 0 && g1[8] != 0);
  index_cfg c1 = {one, 1, true}, c0 = {zero, 0, true};
  CHECK(gradcheck("index_put base 1", index_loss, in, 2, &c1) == 0);
  CHECK(gradcheck("index_put base 0", index_loss, in, 2, &c0) == 0);
  /* a 2-D index writes a (2, 1, 2) block; 0 among 1-based positions says so */
  lc_tensor *grid = from(LC_INT64, 2, DIMS(2, 1), VALS(1, -2)), *nought = from(LC_INT64, 1, DIMS(1), VALS(0));
  lc_tensor *row = from(LC_FLOAT64, 1, DIMS(2), VALS(7, 8));
  lc_tensor *y2 = lc_index_put(in[0], grid, row, 1);
  check_tensor(y2, 2, DIMS(4, 2), VALS(7, 8, x[2], x[3], 7, 8, x[6], x[7]), 0);
  CHECK(lc_index_put(in[0], nought, row, 1) == NULL);
  CHECK(lc_error_code() == LC_ERR_INDEX);
  CHECK_CONTAINS(lc_error(), "index_put: index 0 out of range for dim 1 of size 4 (indices are 1-based");
  for (int k = 0; k < 2; k++) lc_release(in[k]);
  lc_release(one), lc_release(zero), lc_release(y1), lc_release(y0), lc_release(grid), lc_release(nought);
  lc_release(row), lc_release(y2);
}

int main(void) {
  test_base_one_is_base_zero_shifted();
  test_strided_index();
  test_errors();
  test_index_put_base();
  return test_summary();
}
