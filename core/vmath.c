/* vmath.c: exp, log, tanh and sigmoid over arrays.
 *
 * float32 uses Cephes-style range reduction and polynomials written as plain
 * branch-free C, so GCC vectorises the loops; target_clones builds AVX-512,
 * AVX2 and baseline versions and picks one at load time for the CPU at hand.
 * The file is built with -fno-trapping-math, without which GCC will not
 * vectorise floorf. Accuracy is within 2 ulp of the correctly rounded result (tests/core/
 * test_vmath.c checks it). float64 calls libm: its results must match
 * PyTorch's to 1e-10, which a fast approximation would not. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lc_internal.h"

#define CLONES LC_CLONES

static inline float bits_to_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t float_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* exp(x): x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-6
 * polynomial, and 2^n applied as two halves so that results overflow to inf
 * and underflow through the subnormals as libm's do. */
static inline float exp_f32(float x) {
  /* plain selects, which vectorise (a NaN is parked at 0 and comes back at the end) */
  float xc = x > 89.0f ? 89.0f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  xc = xc != xc ? 0.0f : xc;
  float n = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r2 + r + 1.0f;
  int32_t k = (int32_t)n; /* in [-150, 129] */
  int32_t k1 = k >> 1, k2 = k - k1;
  float e = p * bits_to_float((uint32_t)(k1 + 127) << 23) * bits_to_float((uint32_t)(k2 + 127) << 23);
  return x != x ? x : e;
}

/* log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)), log(m) = log1p(m - 1) by
 * a degree-9 polynomial, and e ln2 added in two parts (ln2 = 0.693359375 -
 * 2.12194440e-4, the first exact in a few bits) so that log(x) near 1 keeps
 * its relative precision. Subnormals are scaled by 2^23 first; 0 gives -inf,
 * a negative x or NaN gives NaN, inf gives inf, all as plain selects. */
static inline float log_f32(float x) {
  float xs = x < 1.17549435e-38f ? x * 8388608.0f : x; /* subnormal: times 2^23 */
  float bias = x < 1.17549435e-38f ? 23.0f : 0.0f;
  uint32_t u = float_to_bits(xs);
  float e = (float)((int32_t)(u >> 23) - 126) - bias;
  float m = bits_to_float((u & 0x007fffffu) | 0x3f000000u); /* [0.5, 1) */
  bool low = m < 0.707106781186547524f;
  e = low ? e - 1.0f : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float p = 7.0376836292E-2f;
  p = p * m - 1.1514610310E-1f;
  p = p * m + 1.1676998740E-1f;
  p = p * m - 1.2420140846E-1f;
  p = p * m + 1.4249322787E-1f;
  p = p * m - 1.6668057665E-1f;
  p = p * m + 2.0000714765E-1f;
  p = p * m - 2.4999993993E-1f;
  p = p * m + 3.3333331174E-1f;
  float y = m * z * p + e * -2.12194440e-4f - 0.5f * z;
  float r = m + y + e * 0.693359375f;
  r = x == 0.0f ? -INFINITY : r;
  r = x == INFINITY ? x : r;
  return x < 0.0f || x != x ? NAN : r;
}

/* tanh: an odd polynomial near 0 (where 1 - 2/(e^2x + 1) would cancel) and
 * the exponential form elsewhere; both computed, one selected, no branch. */
static inline float tanh_f32(float x) {
  float a = __builtin_fabsf(x);
  float z = x * x;
  float p = -5.70498872745E-3f;
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  float small = __builtin_copysignf(p * z * x + x, x); /* keeps tanh(-0) = -0 */
  /* past 20, 1 - 2/(e^40 + 1) rounds to 1 as tanh does; below, rounding matters */
  float e = exp_f32(2.0f * (a > 20.0f ? 20.0f : a));
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = __builtin_copysignf(big, x);
  return a < 0.625f ? small : big;
}

/* From e = exp(-|x|) <= 1 on both sides, so the division never sees a huge
 * denominator (for x < 0 the result is e / (1 + e)); the last two roundings
 * in double keep the total under 2 ulp. */
static inline float sigmoid_f32(float x) {
  double e = exp_f32(-__builtin_fabsf(x));
  double s = 1.0 / (1.0 + e);
  return (float)(x >= 0 ? s : e * s);
}

/* The cloned loops are static: GCC exports the resolver of an external
 * target_clones function whatever its visibility, and liblucidcore exports
 * only its public surface (lc.h). */
CLONES static void vexp_f32(int64_t n, const float *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = exp_f32(x[i]);
}

/* exp(x - shift): softmax's rows minus their max, in one pass. */
CLONES static void vexp_shift_f32(int64_t n, const float *x, float shift, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = exp_f32(x[i] - shift);
}

CLONES static void vlog_f32(int64_t n, const float *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = log_f32(x[i]);
}

CLONES static void vtanh_f32(int64_t n, const float *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = tanh_f32(x[i]);
}

CLONES static void vsigmoid_f32(int64_t n, const float *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = sigmoid_f32(x[i]);
}

void lc_vexp_f32(int64_t n, const float *x, float *y) { vexp_f32(n, x, y); }
void lc_vexp_shift_f32(int64_t n, const float *x, float shift, float *y) { vexp_shift_f32(n, x, shift, y); }
void lc_vlog_f32(int64_t n, const float *x, float *y) { vlog_f32(n, x, y); }
void lc_vtanh_f32(int64_t n, const float *x, float *y) { vtanh_f32(n, x, y); }
void lc_vsigmoid_f32(int64_t n, const float *x, float *y) { vsigmoid_f32(n, x, y); }

void lc_vexp_f64(int64_t n, const double *x, double *y) {
  for (int64_t i = 0; i < n; i++) y[i] = exp(x[i]);
}

void lc_vlog_f64(int64_t n, const double *x, double *y) {
  for (int64_t i = 0; i < n; i++) y[i] = log(x[i]);
}

void lc_vtanh_f64(int64_t n, const double *x, double *y) {
  for (int64_t i = 0; i < n; i++) y[i] = tanh(x[i]);
}

void lc_vsigmoid_f64(int64_t n, const double *x, double *y) {
  for (int64_t i = 0; i < n; i++) y[i] = 1 / (1 + exp(-x[i]));
}

/* In place on a float tensor's elements, by dtype: the float32 versions above
 * for float32, libm for float64. */
void lc_vexp(lc_dtype dt, int64_t n, void *x) {
  if (dt == LC_FLOAT32) lc_vexp_f32(n, x, x);
  else lc_vexp_f64(n, x, x);
}

void lc_vlog(lc_dtype dt, int64_t n, void *x) {
  if (dt == LC_FLOAT32) lc_vlog_f32(n, x, x);
  else lc_vlog_f64(n, x, x);
}
