/* test_mask.c: the bool-result ops (logical.c) and the mask ops (mask.c):
 * values and dtypes, broadcasting, transposed operands, errors, and that
 * every tensor is released (lc_live_bytes comes back to where it started). */
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

static lc_tensor *mask_of(int ndim, const int64_t *sizes, const double *vals) {
  return from(LC_BOOL, ndim, sizes, vals);
}

static void test_comparisons_are_bool(void) {
  lc_tensor *a = from(LC_FLOAT64, 1, DIMS(3), VALS(1, 2, 3));
  lc_tensor *b = from(LC_INT64, 1, DIMS(3), VALS(3, 2, 1));
  lc_tensor *lt = lc_binary(LC_LT, a, b);
  CHECK(lt && lt->dtype == LC_BOOL);
  check_tensor(lt, 1, DIMS(3), VALS(1, 0, 0), 0);
  lc_tensor *r = from(LC_FLOAT32, 2, DIMS(2, 3), VALS(0, 1, 2, 3, 4, 5));
  lc_tensor *t = lc_transpose(r, 0, 1);
  lc_tensor *ge = lc_binary_scalar(LC_GE, t, 2, false);  /* (3, 2) transposed */
  check_tensor(ge, 2, DIMS(3, 2), VALS(0, 1, 0, 1, 1, 1), 0);
  lc_release(lt), lc_release(ge), lc_release(t), lc_release(r), lc_release(a), lc_release(b);
}

static void test_bool_promotion(void) {
  lc_tensor *m = mask_of(1, DIMS(2), VALS(1, 0));
  lc_tensor *i = from(LC_INT64, 1, DIMS(2), VALS(5, 5));
  lc_tensor *sum = lc_binary(LC_ADD, m, m), *mixed = lc_binary(LC_ADD, m, i);
  CHECK(sum && sum->dtype == LC_BOOL && mixed && mixed->dtype == LC_INT64);
  check_tensor(mixed, 1, DIMS(2), VALS(6, 5), 0);
  CHECK(lc_binary(LC_SUB, m, m) == NULL);
  CHECK_CONTAINS(lc_error(), "sub: subtraction with a bool tensor");
  CHECK(lc_binary_(LC_ADD, m, i) == -1);
  CHECK_CONTAINS(lc_error(), "add_: result type int64 can't be cast to the desired output type bool");
  lc_tensor *count = lc_sum(m, LC_ALL_DIMS, false);
  CHECK(count && count->dtype == LC_INT64 && lc_get(count, 0) == 1);
  lc_release(sum), lc_release(mixed), lc_release(count), lc_release(m), lc_release(i);
}

static void test_predicates_and_logical(void) {
  lc_tensor *x = from(LC_FLOAT64, 1, DIMS(4), VALS(0, NAN, INFINITY, -2));
  lc_tensor *nan = lc_predicate(LC_ISNAN, x), *fin = lc_predicate(LC_ISFINITE, x);
  check_tensor(nan, 1, DIMS(4), VALS(0, 1, 0, 0), 0);
  check_tensor(fin, 1, DIMS(4), VALS(1, 0, 0, 1), 0);
  lc_tensor *col = from(LC_INT64, 2, DIMS(2, 1), VALS(0, 7));
  lc_tensor *xor = lc_logical(LC_LOGICAL_XOR, col, x);  /* broadcast to (2, 4) */
  check_tensor(xor, 2, DIMS(2, 4), VALS(0, 1, 1, 1, 1, 0, 0, 0), 0);
  lc_tensor *y = from(LC_FLOAT64, 1, DIMS(4), VALS(1e-9, NAN, INFINITY, -2.1));
  lc_tensor *close = lc_isclose(x, y, 0.1, 1e-8, true);
  check_tensor(close, 1, DIMS(4), VALS(1, 1, 1, 1), 0);
  CHECK(lc_isclose(x, col, 0, 0, false) == NULL);
  CHECK_CONTAINS(lc_error(), "isclose: input (float64) and other (int64) must have the same dtype");
  lc_release(nan), lc_release(fin), lc_release(xor), lc_release(close);
  lc_release(x), lc_release(y), lc_release(col);
}

static void test_where_and_nonzero(void) {
  lc_tensor *c = mask_of(2, DIMS(2, 2), VALS(1, 0, 0, 1));
  lc_tensor *a = from(LC_FLOAT32, 2, DIMS(2, 2), VALS(1, 2, 3, 4));
  lc_tensor *b = from(LC_FLOAT64, 1, DIMS(2), VALS(-1, -2));
  lc_tensor *w = lc_where(c, a, b);
  CHECK(w && w->dtype == LC_FLOAT64);
  check_tensor(w, 2, DIMS(2, 2), VALS(1, -2, -1, 4), 0);
  CHECK(lc_where(a, a, b) == NULL);
  CHECK_CONTAINS(lc_error(), "where: condition must be a bool tensor, got float32");
  lc_tensor *nz = lc_nonzero(c, 0);
  check_tensor(nz, 2, DIMS(2, 2), VALS(0, 0, 1, 1), 0);
  lc_tensor *nz1 = lc_nonzero(c, 1); /* counted from 1, as Lua's */
  check_tensor(nz1, 2, DIMS(2, 2), VALS(1, 1, 2, 2), 0);
  lc_release(nz1);
  lc_tensor *pos = lc_mask_positions(c);
  check_tensor(pos, 1, DIMS(2), VALS(0, 3), 0);
  lc_release(w), lc_release(nz), lc_release(pos), lc_release(c), lc_release(a), lc_release(b);
}

static void test_index_put_and_masked(void) {
  lc_tensor *x = from(LC_FLOAT64, 2, DIMS(3, 2), VALS(1, 2, 3, 4, 5, 6));
  lc_tensor *idx = from(LC_INT64, 1, DIMS(2), VALS(2, 0));
  lc_tensor *v = from(LC_FLOAT32, 1, DIMS(2), VALS(9, 8));  /* broadcast to (2, 2) */
  lc_tensor *put = lc_index_put(x, idx, v, 0);
  check_tensor(put, 2, DIMS(3, 2), VALS(9, 8, 3, 4, 9, 8), 0);
  check_tensor(x, 2, DIMS(3, 2), VALS(1, 2, 3, 4, 5, 6), 0); /* a copy */
  lc_tensor *bad = from(LC_INT64, 1, DIMS(1), VALS(3));
  CHECK(lc_index_put(x, bad, v, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "index_put: index 3 out of range for dim 1 of size 3");

  lc_tensor *m = mask_of(1, DIMS(2), VALS(0, 1));  /* broadcast over rows */
  lc_tensor *value = lc_scalar(LC_FLOAT64, 0);
  lc_tensor *filled = lc_masked_fill(x, m, value);
  check_tensor(filled, 2, DIMS(3, 2), VALS(1, 0, 3, 0, 5, 0), 0);
  lc_tensor *sel = lc_masked_select(x, m);
  check_tensor(sel, 1, DIMS(3), VALS(2, 4, 6), 0);
  lc_tensor *src = from(LC_FLOAT64, 1, DIMS(4), VALS(-1, -2, -3, -4));
  lc_tensor *sc = lc_masked_scatter(x, m, src);
  check_tensor(sc, 2, DIMS(3, 2), VALS(1, -1, 3, -2, 5, -3), 0);
  lc_tensor *short_src = from(LC_FLOAT64, 1, DIMS(2), VALS(0, 0));
  CHECK(lc_masked_scatter(x, m, short_src) == NULL);
  CHECK_CONTAINS(lc_error(), "masked_scatter: source has 2 elements, the mask selects 3");
  lc_release(put), lc_release(bad), lc_release(filled), lc_release(sel), lc_release(sc);
  lc_release(short_src), lc_release(src), lc_release(value), lc_release(m);
  lc_release(x), lc_release(idx), lc_release(v);
}

int main(void) {
  size_t base = lc_live_bytes();
  test_comparisons_are_bool();
  test_bool_promotion();
  test_predicates_and_logical();
  test_where_and_nonzero();
  test_index_put_and_masked();
  CHECK(lc_live_bytes() == base);
  return test_summary();
}
