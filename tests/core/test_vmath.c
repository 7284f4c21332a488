/* The float32 vector math (core/vmath.c: exp, tanh, sigmoid, log) stays within 2 ulp of the correctly
 * rounded result, and its edge cases (overflow, underflow, inf, NaN, signed
 * zero) agree with libm. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lc_internal.h"
#include "test_util.h"

typedef void (*vfn)(int64_t, const float *, float *);

/* Distance in units in the last place of the float nearest to want. */
static double ulps(float got, double want) {
  float w = (float)want;
  if (got == w) return 0;
  double ulp = fabs((double)nextafterf(w, INFINITY) - (double)w);
  if (!(ulp > 0) || !isfinite(ulp)) ulp = 1.4e-45;
  return fabs((double)got - want) / ulp;
}

static double ref(int f, double x) {
  return f == 0 ? exp(x) : f == 1 ? tanh(x) : f == 2 ? 1 / (1 + exp(-x)) : log(x);
}

/* Worst error over a dense sweep of [lo, hi] plus random points. */
static double worst_ulps(vfn fn, int f, double lo, double hi) {
  enum { N = 1 << 20 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  srand(7);
  for (int i = 0; i < N; i++)
    x[i] = i % 2 ? (float)(lo + (hi - lo) * i / (N - 1.0))
                 : (float)(lo + (hi - lo) * (rand() / (double)RAND_MAX));
  fn(N, x, y);
  double worst = 0;
  for (int i = 0; i < N; i++) {
    double u = ulps(y[i], ref(f, x[i]));
    if (u > worst) worst = u;
  }
  free(x);
  free(y);
  return worst;
}

int main(void) {
  CHECK(worst_ulps(lc_vexp_f32, 0, -87, 88.7) <= 2);
  CHECK(worst_ulps(lc_vexp_f32, 0, -103, -87) <= 2); /* subnormal results */
  CHECK(worst_ulps(lc_vtanh_f32, 1, -12, 12) <= 2);
  CHECK(worst_ulps(lc_vtanh_f32, 1, -0.7, 0.7) <= 2); /* both sides of the switch */
  CHECK(worst_ulps(lc_vsigmoid_f32, 2, -30, 30) <= 2);
  CHECK(worst_ulps(lc_vlog_f32, 3, 0.5, 2) <= 2); /* near 1, where log is small */
  CHECK(worst_ulps(lc_vlog_f32, 3, 1e-3, 1e3) <= 2);
  CHECK(worst_ulps(lc_vlog_f32, 3, 1, 3e38) <= 2);
  CHECK(worst_ulps(lc_vlog_f32, 3, 1e-44, 1e-37) <= 2); /* subnormal inputs */

  float in[8] = {INFINITY, -INFINITY, NAN, 89.0f, -110.0f, 0.0f, -0.0f, 1e-30f}, out[8];
  lc_vexp_f32(8, in, out);
  CHECK(isinf(out[0]) && out[0] > 0);
  CHECK(out[1] == 0);
  CHECK(isnan(out[2]));
  CHECK(isinf(out[3]));
  CHECK(out[4] == 0);
  CHECK(out[5] == 1 && out[6] == 1);
  lc_vtanh_f32(8, in, out);
  CHECK(out[0] == 1 && out[1] == -1);
  CHECK(isnan(out[2]));
  CHECK(out[5] == 0 && signbit(out[6]));
  CHECK(out[7] == 1e-30f); /* tanh(x) = x for tiny x, not 0 */
  lc_vsigmoid_f32(8, in, out);
  CHECK(out[0] == 1 && out[1] == 0);
  CHECK(isnan(out[2]));
  CHECK(out[5] == 0.5f);
  float lin[6] = {INFINITY, -1.0f, NAN, 0.0f, -0.0f, 1.0f};
  lc_vlog_f32(6, lin, out);
  CHECK(isinf(out[0]) && out[0] > 0);
  CHECK(isnan(out[1]) && isnan(out[2]));
  CHECK(isinf(out[3]) && out[3] < 0 && isinf(out[4]) && out[4] < 0);
  CHECK(out[5] == 0);
  return test_summary();
}
