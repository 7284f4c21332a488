/* test_packed.c: lc_packed_reverse_index (packed.c), the permutation that
 * reverses every sequence of a packed batch within its own length, which the
 * reverse direction of nn.MinGRU/MinLSTM applies to its input and output. */
#include "lc.h"
#include "test_util.h"

static lc_tensor *sizes_of(int64_t L, const double *v) { return from(LC_INT64, 1, DIMS(L), v); }

/* Lengths 4, 3, 1 packed as batch_sizes {3, 2, 2, 1}: rows
 *   step 1: 0 1 2   step 2: 3 4   step 3: 5 6   step 4: 7
 * sequence 1 (rows 0 3 5 7) reads 7 5 3 0, sequence 2 (1 4 6) reads 6 4 1,
 * sequence 3 (row 2) stays. */
static void test_unequal_lengths(void) {
  lc_tensor *bs = sizes_of(4, VALS(3, 2, 2, 1));
  lc_tensor *zero = lc_packed_reverse_index(bs, 0), *one = lc_packed_reverse_index(bs, 1);
  check_tensor(zero, 1, DIMS(8), VALS(7, 6, 2, 5, 4, 3, 1, 0), 0);
  check_tensor(one, 1, DIMS(8), VALS(8, 7, 3, 6, 5, 4, 2, 1), 0);
  CHECK(zero && zero->dtype == LC_INT64);
  lc_release(bs), lc_release(zero), lc_release(one);
}

/* Equal lengths (a padded batch of 2 sequences, 3 steps): the time flip. */
static void test_equal_lengths_flip_time(void) {
  lc_tensor *bs = sizes_of(3, VALS(2, 2, 2));
  lc_tensor *idx = lc_packed_reverse_index(bs, 0);
  check_tensor(idx, 1, DIMS(6), VALS(4, 5, 2, 3, 0, 1), 0);
  lc_release(bs), lc_release(idx);
}

/* The permutation is its own inverse, keeps every row within its sequence
 * (same column n = r - offsets[t]) and visits every row once. */
static void test_involution(void) {
  double v[] = {6, 6, 5, 3, 3, 3, 2, 1, 1};
  int64_t L = 9, T = 30, offsets[9], step_of[30];
  lc_tensor *bs = sizes_of(L, v);
  lc_tensor *idx = lc_packed_reverse_index(bs, 0);
  CHECK(idx && lc_numel(idx) == T);
  if (!idx) return;
  for (int64_t t = 0, r = 0; t < L; t++) {
    offsets[t] = r;
    for (int64_t n = 0; n < (int64_t)v[t]; n++) step_of[r++] = t;
  }
  const int64_t *p = lc_data(idx);
  int seen[30] = {0};
  for (int64_t r = 0; r < T; r++) {
    int64_t m = p[r];
    CHECK(m >= 0 && m < T);
    if (m < 0 || m >= T) continue;
    seen[m]++;
    CHECK(p[m] == r);
    CHECK(r - offsets[step_of[r]] == m - offsets[step_of[m]]);
  }
  for (int64_t r = 0; r < T; r++) CHECK(seen[r] == 1);
  lc_release(bs), lc_release(idx);
}

/* Bad batch sizes are errors naming the function and what was wrong. */
static void test_errors(void) {
  lc_tensor *up = sizes_of(2, VALS(1, 2)), *zero = sizes_of(2, VALS(2, 0));
  lc_tensor *fl = from(LC_FLOAT64, 1, DIMS(2), VALS(2, 1)), *two = from(LC_INT64, 2, DIMS(1, 2), VALS(2, 1));
  lc_tensor *empty = lc_empty(LC_INT64, 1, DIMS(0)), *ok = sizes_of(1, VALS(1));
  CHECK(!lc_packed_reverse_index(up, 0));
  CHECK_CONTAINS(lc_error(), "packed_reverse_index: batch_sizes must be non-increasing, got 2 at step 2");
  CHECK(!lc_packed_reverse_index(zero, 0));
  CHECK_CONTAINS(lc_error(), "batch_sizes must be positive, got 0 at step 2");
  CHECK(!lc_packed_reverse_index(fl, 0));
  CHECK_CONTAINS(lc_error(), "non-empty 1-D int64 tensor, got float64");
  CHECK(!lc_packed_reverse_index(two, 0));
  CHECK_CONTAINS(lc_error(), "got (1, 2)");
  CHECK(!lc_packed_reverse_index(empty, 0));
  CHECK_CONTAINS(lc_error(), "got (0)");
  CHECK(!lc_packed_reverse_index(NULL, 0));
  CHECK_CONTAINS(lc_error(), "got none");
  CHECK(!lc_packed_reverse_index(ok, 2));
  CHECK_CONTAINS(lc_error(), "base must be 0 or 1, got 2");
  lc_release(up), lc_release(zero), lc_release(fl), lc_release(two), lc_release(empty), lc_release(ok);
}

int main(void) {
  test_unequal_lengths();
  test_equal_lengths_flip_time();
  test_involution();
  test_errors();
  return test_summary();
}
