/* A program against the installed C core alone: `#include <lucid/lc.h>` and
 * `pkg-config lucid` (tests/embed/install_test.sh builds and runs it).
 * y = sum(x * x) for x = (1.5, 1.5, 1.5); prints y and dy/dx = 2x. */
#include <lucid/lc.h>
#include <stdio.h>

int main(void) {
  int64_t sizes[1] = {3};
  lc_tensor *x = lc_full(LC_FLOAT64, 1, sizes, 1.5);
  if (!x) return fprintf(stderr, "%s\n", lc_error()), 1;
  x->requires_grad = true;
  lc_tensor *sq = lc_binary(LC_MUL, x, x);
  lc_tensor *y = sq ? lc_sum(sq, LC_ALL_DIMS, false) : NULL;
  if (!y || lc_backward(&y, NULL, 1, false) != 0) return fprintf(stderr, "%s\n", lc_error()), 1;
  printf("y %g\n", lc_get(y, 0));
  printf("grad %g %g %g\n", lc_get(x->grad, 0), lc_get(x->grad, 1), lc_get(x->grad, 2));
  lc_release(y);
  lc_release(sq);
  lc_release(x);
  return 0;
}
