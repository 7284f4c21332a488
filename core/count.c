/* count.c: bincount and histc, counting values into bins (serially: every
 * element may land in any bin). Not differentiable. */
#include <math.h>

#include "lc_internal.h"

lc_tensor *lc_bincount(const lc_tensor *t, const lc_tensor *weights, int64_t minlength,
                       int64_t base) {
  char buf[128];
  if (t->dtype != LC_INT64 || t->ndim != 1) {
    lc_fail(LC_ERR_DTYPE, "bincount", "input must be a 1-D int64 tensor, got a %d-D %s tensor", t->ndim,
                 lc_dtype_name(t->dtype));
    return NULL;
  }
  if (minlength < 0) {
    lc_fail(LC_ERR_ARG, "bincount", "minlength must be at least 0, got %lld", (long long)minlength);
    return NULL;
  }
  if (weights && (weights->ndim != 1 || weights->sizes[0] != t->sizes[0])) {
    lc_fail(LC_ERR_SHAPE, "bincount", "weights must have the input's shape (%lld), got %s",
                 (long long)t->sizes[0], lc_shape_str(buf, weights->ndim, weights->sizes));
    return NULL;
  }
  int64_t n = t->sizes[0], len = minlength, step = t->strides[0];
  const int64_t *x = LC_PTR(int64_t, t);
  for (int64_t i = 0; i < n; i++) {
    int64_t v = x[i * step];
    if (v < base) {
      lc_fail(LC_ERR_ARG, "bincount", "values must be at least %lld, got %lld", (long long)base,
                   (long long)v);
      return NULL;
    }
    if (v - base + 1 > len) len = v - base + 1;
  }
  /* PyTorch: integer weights count in float64, float weights keep their dtype */
  lc_dtype dt = !weights ? LC_INT64 : lc_dtype_is_float(weights->dtype) ? weights->dtype : LC_FLOAT64;
  lc_tensor *out = lc_zeros(dt, 1, &len);
  if (!out) return NULL;
  LC_DISPATCH(dt, T, {
    T *o = lc_data(out);
    for (int64_t i = 0; i < n; i++) o[x[i * step] - base] += weights ? (T)lc_get(weights, i) : 1;
  });
  return out;
}

lc_tensor *lc_histc(const lc_tensor *t, int64_t bins, double lo, double hi) {
  if (!lc_dtype_is_float(t->dtype)) {
    lc_fail(LC_ERR_DTYPE, "histc", "expected a floating point tensor, got %s", lc_dtype_name(t->dtype));
    return NULL;
  }
  if (bins <= 0) {
    lc_fail(LC_ERR_ARG, "histc", "bins must be positive, got %lld", (long long)bins);
    return NULL;
  }
  if (lo > hi || isnan(lo) || isnan(hi)) {
    lc_fail(LC_ERR_ARG, "histc", "max must be larger than min, got min %g and max %g", lo, hi);
    return NULL;
  }
  lc_tensor *c = lc_contiguous(t);
  if (!c) return NULL;
  int64_t n = lc_numel(c);
  lc_tensor *out = NULL;
  LC_DISPATCH(t->dtype, T, {
    const T *x = lc_data(c);
    if (lo == hi && n) { /* the data's range */
      double mn = INFINITY, mx = -INFINITY;
      for (int64_t i = 0; i < n; i++)
        if (!isnan((double)x[i])) mn = fmin(mn, (double)x[i]), mx = fmax(mx, (double)x[i]);
      if (mn <= mx) lo = mn, hi = mx;
    }
    if (lo == hi) lo -= 1, hi += 1;
    if (!isfinite(lo) || !isfinite(hi)) {
      lc_fail(LC_ERR_ARG, "histc", "range [%g, %g] is not finite", lo, hi);
      break;
    }
    if (!(out = lc_zeros(t->dtype, 1, &bins))) break;
    T *o = lc_data(out);
    /* the bins are computed in the tensor's dtype, as PyTorch does */
    T tlo = (T)lo, thi = (T)hi;
    for (int64_t i = 0; i < n; i++) {
      T v = x[i];
      if (!(v >= tlo && v <= thi)) continue;
      int64_t b = (int64_t)((v - tlo) * (T)bins / (thi - tlo));
      if (b >= bins) b = bins - 1;
      o[b] += 1;
    }
  });
  lc_release(c);
  return out;
}
