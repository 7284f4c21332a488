/* test_sort.c: the C API of sort.c, scan.c and scatter.c as a C caller sees
 * it: 0-based positions with base 0, the same results shifted with base 1,
 * a multi-threaded sort of many rows equal to the serial one, errors. */
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

static void test_sort_bases(void) {
  lc_tensor *x = from(LC_FLOAT64, 2, DIMS(2, 3), VALS(3, 1, 2, NAN, -1, 5));
  lc_tensor *v, *i;
  CHECK(lc_sort(x, 1, false, 0, &v, &i) == 0);
  check_tensor(v, 2, DIMS(2, 3), VALS(1, 2, 3, -1, 5, NAN), 0);
  check_tensor(i, 2, DIMS(2, 3), VALS(1, 2, 0, 1, 2, 0), 0);
  lc_release(v);
  lc_release(i);
  CHECK(lc_sort(x, 0, true, 1, NULL, &i) == 0); /* NaN first when descending */
  check_tensor(i, 2, DIMS(2, 3), VALS(2, 1, 2, 1, 2, 1), 0);
  lc_release(i);
  lc_release(x);
}

/* Rows above the parallel threshold sort on several threads: each row must
 * equal its own single-row sort. */
static void test_parallel_rows(void) {
  int64_t rows = 64, n = 1024;
  lc_tensor *x = lc_randint(-100, 100, 2, DIMS(rows, n));
  lc_tensor *v, *i;
  CHECK(lc_sort(x, 1, false, 0, &v, &i) == 0);
  int bad = 0;
  for (int64_t r = 0; r < rows; r++) {
    lc_tensor *row = lc_select(x, 0, r), *rv;
    lc_sort(row, 0, false, 0, &rv, NULL);
    for (int64_t k = 0; k < n; k++) bad += lc_get_int(rv, k) != lc_get_int(v, r * n + k);
    lc_release(rv);
    lc_release(row);
  }
  CHECK(bad == 0);
  lc_release(v);
  lc_release(i);
  lc_release(x);
}

static void test_gather_scatter_bases(void) {
  lc_tensor *x = from(LC_FLOAT32, 2, DIMS(2, 2), VALS(1, 2, 3, 4));
  lc_tensor *idx0 = from(LC_INT64, 2, DIMS(2, 1), VALS(1, 0));
  lc_tensor *idx1 = from(LC_INT64, 2, DIMS(2, 1), VALS(2, 1));
  lc_tensor *a = lc_gather(x, 1, idx0, 0), *b = lc_gather(x, 1, idx1, 1);
  check_tensor(a, 2, DIMS(2, 1), VALS(2, 3), 0);
  check_tensor(b, 2, DIMS(2, 1), VALS(2, 3), 0);
  CHECK(lc_scatter_(x, 1, idx1, NULL, 10, LC_SCATTER_ADD, 1) == 0);
  check_tensor(x, 2, DIMS(2, 2), VALS(1, 12, 13, 4), 0);
  CHECK(lc_gather(x, 1, idx1, 0) == NULL); /* 2 is outside 0..1 */
  CHECK_CONTAINS(lc_error(), "gather: index 2 is out of range for dim 2 of size 2");
  lc_release(a);
  lc_release(b);
  lc_release(idx0);
  lc_release(idx1);
  lc_release(x);
}

static void test_scans(void) {
  lc_tensor *x = from(LC_INT64, 1, DIMS(4), VALS(1, 2, 3, 4));
  lc_tensor *s = lc_cumsum(x, 0), *p = lc_cumprod(x, -1);
  check_tensor(s, 1, DIMS(4), VALS(1, 3, 6, 10), 0);
  check_tensor(p, 1, DIMS(4), VALS(1, 2, 6, 24), 0);
  CHECK(s->dtype == LC_INT64);
  CHECK(lc_logcumsumexp(x, 0) == NULL);
  CHECK_CONTAINS(lc_error(), "logcumsumexp: expected a floating point tensor, got int64");
  CHECK(lc_cumsum(x, 1) == NULL);
  CHECK_CONTAINS(lc_error(), "cumsum: dim 2 out of range");
  lc_release(s);
  lc_release(p);
  lc_release(x);
}

int main(void) {
  test_sort_bases();
  test_parallel_rows();
  test_gather_scatter_bases();
  test_scans();
  return test_summary();
}
