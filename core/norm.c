/* norm.c: layer normalisation (and its RMS variant), fused. The input is
 * read as (rows, n): each row of n elements (the trailing normalised dims)
 * is normalised by its own statistics, then scaled by weight and shifted by
 * bias (both n elements, optional). GroupNorm and BatchNorm are this kernel
 * on a regrouped view (nn.functional does that).
 *
 *   layer norm: xhat = (x - mean) * rstd,  rstd = 1 / sqrt(var + eps)
 *   rms norm:   xhat = x * rstd,           rstd = 1 / sqrt(mean(x^2) + eps)
 *   y = xhat * w + b
 *
 * One pass per row gathers the statistics: sums of (x - K) and (x - K)^2 in
 * double with K the row's first element, which keeps the variance accurate
 * when the mean is large next to the spread. The backward is written out:
 *   g' = g * w,  a = mean(g'),  c = mean(g' * xhat)
 *   dx = rstd * (g' - a - xhat * c)        (rms: no a term)
 *   dw = sum_rows g * xhat,  db = sum_rows g */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

int lc_check_float_arg(const char *op, const char *name, const lc_tensor *t) {
  if (!t) {
    lc_fail(LC_ERR_ARG, op, "%s must not be NULL", name);
    return -1;
  }
  if (!lc_dtype_is_float(t->dtype)) {
    lc_fail(LC_ERR_DTYPE, op, "%s must be a float32 or float64 tensor, got %s", name, lc_dtype_name(t->dtype));
    return -1;
  }
  return 0;
}

/* Saved: 0 x (contiguous), 1 stats (rows, 2) float64 [mean, rstd], 2 weight
 * (contiguous) when present. ints: rows, n, rms, has weight, has bias. */
static int norm_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  lc_tensor *x = lc_node_saved(node, 0), *st = lc_node_saved(node, 1);
  bool has_w = node->ints[3] != 0, has_b = node->ints[4] != 0, rms = node->ints[2] != 0;
  lc_tensor *w = has_w ? lc_node_saved(node, 2) : NULL;
  if (!x || !st || (has_w && !w)) return -1;
  int64_t rows = node->ints[0], n = node->ints[1];
  lc_tensor *g = lc_contiguous(grad_out[0]);
  if (!g) return -1;
  bool need_x = lc_node_needs_grad(node, 0), need_w = has_w && lc_node_needs_grad(node, 1),
       need_b = has_b && lc_node_needs_grad(node, 2);
  lc_tensor *dx = need_x ? lc_empty(x->dtype, x->ndim, x->sizes) : NULL;
  lc_tensor *dw = need_w ? lc_zeros(LC_FLOAT64, 1, &n) : NULL;
  lc_tensor *db = need_b ? lc_zeros(LC_FLOAT64, 1, &n) : NULL;
  int rc = -1;
  if ((need_x && !dx) || (need_w && !dw) || (need_b && !db)) goto done;
  const double *s = lc_data(st);
  double *dwp = dw ? lc_data(dw) : NULL, *dbp = db ? lc_data(db) : NULL;
  LC_DISPATCH(x->dtype, T, {
    const T *xp = lc_data(x), *gp = lc_data(g), *wp = w ? lc_data(w) : NULL;
    T *dxp = dx ? lc_data(dx) : NULL;
    if (dxp) {
      _Pragma("omp parallel for schedule(static) if (rows * n >= LC_PARALLEL_GRAIN)")
      for (int64_t r = 0; r < rows; r++) {
        const T *xr = xp + r * n, *gr = gp + r * n;
        double mean = s[2 * r], rstd = s[2 * r + 1], a = 0, c = 0;
        for (int64_t j = 0; j < n; j++) {
          double gw = (double)gr[j] * (wp ? (double)wp[j] : 1.0);
          a += gw;
          c += gw * ((double)xr[j] - mean) * rstd;
        }
        a = rms ? 0 : a / (double)n;
        c /= (double)n;
        for (int64_t j = 0; j < n; j++) {
          double gw = (double)gr[j] * (wp ? (double)wp[j] : 1.0);
          double xh = ((double)xr[j] - mean) * rstd;
          dxp[r * n + j] = (T)(rstd * (gw - a - xh * c));
        }
      }
    }
    for (int64_t r = 0; r < rows && (dwp || dbp); r++) {
      const T *xr = xp + r * n, *gr = gp + r * n;
      double mean = s[2 * r], rstd = s[2 * r + 1];
      if (dwp)
        for (int64_t j = 0; j < n; j++) dwp[j] += (double)gr[j] * ((double)xr[j] - mean) * rstd;
      if (dbp)
        for (int64_t j = 0; j < n; j++) dbp[j] += (double)gr[j];
    }
  });
  grad_in[0] = dx;
  dx = NULL;
  /* the parameters' gradients take the parameters' dtype and shape */
  for (int k = 1; k <= 2; k++) {
    lc_tensor *acc = k == 1 ? dw : db;
    if (!acc) continue;
    lc_tensor *cast = lc_to(acc, node->outputs[0].dtype);
    lc_tensor *shaped = cast ? lc_view(cast, (int)node->ints[5 + LC_MAX_DIMS], &node->ints[5]) : NULL;
    lc_release(cast);
    if (!shaped) goto done;
    grad_in[k] = shaped;
  }
  rc = 0;
done:
  lc_release(dx);
  lc_release(dw);
  lc_release(db);
  lc_release(g);
  return rc;
}

/* The statistics of each row: stats[2r] = mean (0 for rms), stats[2r+1] = rstd;
 * var_out[r] (if given) the biased variance (the mean square for rms). */
#define ROW_STATS(T, xp, rows, n, rms, eps, stats, var_out)                          \
  _Pragma("omp parallel for schedule(static) if (rows * n >= LC_PARALLEL_GRAIN)")    \
  for (int64_t r = 0; r < rows; r++) {                                               \
    const T *xr = xp + r * n;                                                        \
    double k = rms ? 0.0 : (double)xr[0], s1 = 0, s2 = 0;                            \
    for (int64_t j = 0; j < n; j++) {                                                \
      double d = (double)xr[j] - k;                                                  \
      s1 += d;                                                                       \
      s2 += d * d;                                                                   \
    }                                                                                \
    double m1 = s1 / (double)n, var = s2 / (double)n - (rms ? 0 : m1 * m1);          \
    if (var < 0) var = 0;                                                            \
    stats[2 * r] = rms ? 0 : k + m1;                                                 \
    stats[2 * r + 1] = 1 / sqrt(var + eps);                                          \
    if (var_out) var_out[r] = var;                                                   \
  }

lc_tensor *lc_layer_norm(const lc_norm_args *a, lc_tensor **mean_out, lc_tensor **var_out) {
  const char *op = a->op ? a->op : "layer_norm";
  char b1[128], b2[128];
  const lc_tensor *x = a->x;
  if (lc_check_float_arg(op, "input", x) < 0) return NULL;
  int k = a->norm_ndim;
  bool fits = k >= 1 && k <= x->ndim;
  for (int d = 0; fits && d < k; d++) fits = a->norm_sizes[d] == x->sizes[x->ndim - k + d];
  if (!fits) {
    lc_fail(LC_ERR_SHAPE, op, "normalized_shape %s does not match the input's last dims (input %s)",
                 lc_shape_str(b1, k < 0 ? 0 : k, a->norm_sizes), lc_shape_str(b2, x->ndim, x->sizes));
    return NULL;
  }
  if (!(a->eps >= 0)) {
    lc_fail(LC_ERR_ARG, op, "eps must be a number >= 0, got %g", a->eps);
    return NULL;
  }
  int64_t n = 1, rows = 1;
  for (int d = 0; d < x->ndim; d++) {
    if (d >= x->ndim - k) n *= x->sizes[d];
    else rows *= x->sizes[d];
  }
  if (n == 0) {
    lc_fail(LC_ERR_SHAPE, op, "normalized_shape %s has no elements", lc_shape_str(b1, k, a->norm_sizes));
    return NULL;
  }
  const lc_tensor *params[2] = {a->weight, a->bias};
  static const char *const pname[2] = {"weight", "bias"};
  for (int i = 0; i < 2; i++) {
    const lc_tensor *p = params[i];
    if (!p) continue;
    bool ok = p->ndim == k;
    for (int d = 0; ok && d < k; d++) ok = p->sizes[d] == a->norm_sizes[d];
    if (!ok) {
      lc_fail(LC_ERR_SHAPE, op, "%s has shape %s, expected normalized_shape %s", pname[i],
                   lc_shape_str(b1, p->ndim, p->sizes), lc_shape_str(b2, k, a->norm_sizes));
      return NULL;
    }
    if (p->dtype != x->dtype) {
      lc_fail(LC_ERR_DTYPE, op, "%s has dtype %s, expected the input's %s", pname[i],
                   lc_dtype_name(p->dtype), lc_dtype_name(x->dtype));
      return NULL;
    }
  }
  lc_tensor *xc = lc_contiguous(x);
  lc_tensor *wc = xc && a->weight ? lc_contiguous(a->weight) : NULL;
  lc_tensor *bc = xc && a->bias ? lc_contiguous(a->bias) : NULL;
  int64_t ssz[2] = {rows, 2};
  lc_tensor *st = xc ? lc_empty(LC_FLOAT64, 2, ssz) : NULL;
  lc_tensor *var = st && var_out ? lc_empty(LC_FLOAT64, 1, &rows) : NULL;
  lc_tensor *y = st ? lc_empty(x->dtype, x->ndim, x->sizes) : NULL;
  lc_tensor *mean = NULL;
  if (!y || (a->weight && !wc) || (a->bias && !bc) || (var_out && !var)) goto fail;
  double *s = lc_data(st), *vp = var ? lc_data(var) : NULL;
  bool rms = a->rms;
  double eps = a->eps;
  LC_DISPATCH(x->dtype, T, {
    const T *xp = lc_data(xc), *wp = wc ? lc_data(wc) : NULL, *bp = bc ? lc_data(bc) : NULL;
    T *yp = lc_data(y);
    ROW_STATS(T, xp, rows, n, rms, eps, s, vp)
    _Pragma("omp parallel for schedule(static) if (rows * n >= LC_PARALLEL_GRAIN)")
    for (int64_t r = 0; r < rows; r++) {
      double m = s[2 * r], rs = s[2 * r + 1];
      const T *xr = xp + r * n;
      T *yr = yp + r * n;
      for (int64_t j = 0; j < n; j++) {
        double v = ((double)xr[j] - m) * rs;
        if (wp) v *= (double)wp[j];
        if (bp) v += (double)bp[j];
        yr[j] = (T)v;
      }
    }
  });
  if (mean_out) {
    lc_tensor *col = lc_select(st, 1, 0);
    mean = col ? lc_contiguous(col) : NULL;
    lc_release(col);
    if (!mean) goto fail;
  }
  const lc_tensor *ins[3] = {x, a->weight, a->bias};
  if (lc_should_record(3, ins)) {
    lc_node *node = lc_record(rms ? "RmsNormBackward" : "LayerNormBackward", norm_backward, y, 3, ins);
    if (!node || lc_node_save(node, xc) || lc_node_save(node, st) || (wc && lc_node_save(node, wc)))
      goto fail;
    node->ints[0] = rows;
    node->ints[1] = n;
    node->ints[2] = rms;
    node->ints[3] = a->weight != NULL;
    node->ints[4] = a->bias != NULL;
    /* ints[5..5+k): normalized_shape, ints[5+LC_MAX_DIMS]: k, for the parameter grads */
    for (int d = 0; d < k; d++) node->ints[5 + d] = a->norm_sizes[d];
    node->ints[5 + LC_MAX_DIMS] = k;
  }
  lc_release(xc);
  lc_release(wc);
  lc_release(bc);
  lc_release(st);
  if (mean_out) *mean_out = mean;
  if (var_out) *var_out = var;
  return y;
fail:
  lc_release(xc);
  lc_release(wc);
  lc_release(bc);
  lc_release(st);
  lc_release(var);
  lc_release(mean);
  lc_release(y);
  return NULL;
}
