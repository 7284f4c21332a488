/* test_error.c: an error is a code, the op that raised it and a body, kept
 * apart so a binding can raise it under its own caller's name, and joined
 * by lc_error() for C callers. */
#include "lc.h"
#include "test_util.h"

/* The last error is this code, op and body, and lc_error() is "op: body". */
static void check_error(lc_errcode code, const char *op, const char *body) {
  CHECK(lc_error_code() == code);
  CHECK(strcmp(lc_error_op(), op) == 0);
  CHECK_CONTAINS(lc_error_body(), body);
  char full[600];
  snprintf(full, sizeof full, "%s: %s", op, lc_error_body());
  CHECK(strcmp(lc_error(), full) == 0);
}

static void test_codes_of_core_failures(void) {
  lc_tensor *x = lc_zeros(LC_FLOAT64, 2, DIMS(2, 3)), *y = lc_zeros(LC_FLOAT64, 2, DIMS(4, 5));
  lc_tensor *i = lc_zeros(LC_INT64, 1, DIMS(3));
  CHECK(lc_matmul(x, y) == NULL);
  check_error(LC_ERR_SHAPE, "matmul", "shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4)");
  CHECK(lc_index_select(x, 0, x, 0) == NULL);
  check_error(LC_ERR_DTYPE, "index_select", "index must be an int64 tensor of 0-based indices, got float64");
  lc_tensor *far = from(LC_INT64, 1, DIMS(1), VALS(2));
  CHECK(lc_index_select(x, 0, far, 0) == NULL);
  check_error(LC_ERR_INDEX, "index_select", "index 2 is out of range for dim 1 of size 2");
  CHECK(lc_sum(x, 5, false) == NULL);
  check_error(LC_ERR_INDEX, "sum", "dim 6 out of range for a 2-D tensor");
  CHECK(lc_zeros(LC_FLOAT32, 2, DIMS(-1, 2)) == NULL);
  CHECK(lc_error_code() == LC_ERR_ARG);
  CHECK(lc_zeros(LC_FLOAT32, 2, DIMS(INT64_MAX / 2, 4)) == NULL);
  CHECK(lc_error_code() == LC_ERR_MEMORY);
  CHECK(lc_reader_open_buffer("not a save file", 15) == NULL);
  check_error(LC_ERR_IO, "load", "not a lucid save file");
  CHECK(lc_cross_entropy(x, i, NULL, -100, LC_REDUCTION_MEAN, 2, 0) == NULL);
  check_error(LC_ERR_SHAPE, "cross_entropy", "target has shape (3), expected (2) for input (2, 3)");
  lc_release(x), lc_release(y), lc_release(i), lc_release(far);
}

/* A modified saved tensor is a state error, raised by the backward. */
static void test_state_error(void) {
  lc_tensor *x = lc_full(LC_FLOAT64, 1, DIMS(3), 0.5);
  x->requires_grad = true;
  lc_tensor *t = lc_unary(LC_TANH, x);
  lc_tensor *y = t ? lc_sum(t, LC_ALL_DIMS, false) : NULL;
  CHECK(y && lc_fill_(t, 1) == 0);
  CHECK(y && lc_backward(&y, NULL, 1, false) != 0);
  CHECK(lc_error_code() == LC_ERR_STATE);
  CHECK(strcmp(lc_error_op(), "backward") == 0);
  CHECK_CONTAINS(lc_error_body(), "modified by an in-place operation");
  lc_release(y), lc_release(t), lc_release(x);
}

/* lc_set_error (a custom backward's message) has no op: lc_error() is the
 * message as written; lc_fail with a NULL op likewise. lc_error_rename
 * hands an error to another op. */
static void test_set_error_and_rename(void) {
  lc_set_error("my_op failed with %d", 3);
  CHECK(lc_error_code() == LC_ERR_OTHER);
  CHECK(strcmp(lc_error_op(), "") == 0);
  CHECK(strcmp(lc_error(), "my_op failed with 3") == 0);
  CHECK(strcmp(lc_error_body(), "my_op failed with 3") == 0);
  lc_fail(LC_ERR_MEMORY, NULL, "out of memory allocating %d bytes", 64);
  CHECK(strcmp(lc_error(), "out of memory allocating 64 bytes") == 0);
  lc_fail(LC_ERR_INDEX, "gather", "index %d is out of range", 9);
  lc_error_rename("take");
  check_error(LC_ERR_INDEX, "take", "index 9 is out of range");
}

/* An index one below the caller's base says what the base is; others do
 * not. */
static void test_base_note(void) {
  lc_tensor *x = lc_zeros(LC_FLOAT64, 1, DIMS(3));
  lc_tensor *zero = from(LC_INT64, 1, DIMS(1), VALS(0)), *four = from(LC_INT64, 1, DIMS(1), VALS(4));
  CHECK(lc_index_select(x, 0, zero, 1) == NULL);
  check_error(LC_ERR_INDEX, "index_select",
              "index 0 is out of range for dim 1 of size 3 (indices are 1-based: the first is 1)");
  CHECK(lc_index_select(x, 0, four, 1) == NULL);
  CHECK(strcmp(lc_error_body(), "index 4 is out of range for dim 1 of size 3") == 0);
  lc_tensor *first = lc_index_select(x, 0, zero, 0); /* with base 0, index 0 is the first */
  CHECK(first && first->sizes[0] == 1);
  lc_release(first);
  lc_release(x), lc_release(zero), lc_release(four);
}

int main(void) {
  test_codes_of_core_failures();
  test_state_error();
  test_set_error_and_rename();
  test_base_note();
  return test_summary();
}
