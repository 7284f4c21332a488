/* loss.c: cross entropy and negative log likelihood, fused. One pass computes
 * a stable log-softmax (max + log-sum-exp) and the loss; one autograd node
 * with a hand-written backward (softmax - one-hot, scaled) replaces the
 * dozen nodes the composed version would record.
 *
 * Layout: input (N, C, d1..dk) is read as (outer = N, C, inner = d1*..*dk),
 * (C) as (1, C, 1); the target has the input's shape without the class dim.
 * Each (n, k) position is one sample. With label smoothing eps the sample's
 * loss is (1 - eps) w[t] (-logp_t) + eps/C sum_c w[c] (-logp_c), as in
 * PyTorch; 'mean' divides the sum by the total weight w[t] of the samples
 * not ignored (so by their count without weights). The weight, when it
 * requires grad, gets its gradient from the same node. */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

/* log sum_c exp(x[c * inner]) of one sample's C class values, stable (the
 * max taken out first); one version per element type, picked by _Generic. */
#define DEFINE_ROW_LSE(T, S)                                                    \
  static double row_lse_##S(const T *x, int64_t C, int64_t inner) {             \
    double mx = -INFINITY, sum = 0;                                             \
    for (int64_t c = 0; c < C; c++) mx = fmax(mx, (double)x[c * inner]);        \
    for (int64_t c = 0; c < C; c++) sum += exp((double)x[c * inner] - mx);      \
    return mx + log(sum);                                                       \
  }
DEFINE_ROW_LSE(float, f32)
DEFINE_ROW_LSE(double, f64)
DEFINE_ROW_LSE(int64_t, i64)
#define ROW_LSE(x, C, inner) \
  _Generic((x), const float *: row_lse_f32, const double *: row_lse_f64, const int64_t *: row_lse_i64)(x, C, inner)

typedef struct {
  int64_t outer, classes, inner;
} loss_dims;

/* Checks shapes and dtypes; fills dims and the output (reduction 'none')
 * shape. Returns the output ndim or -1. */
static int loss_check(const char *op, const lc_tensor *input, const lc_tensor *target,
                      const lc_tensor *weight, int64_t base, loss_dims *dm, int64_t *out_sizes) {
  char a[128], b[128], c[128];
  if (!input || !target) {
    lc_fail(LC_ERR_ARG, op, "input and target must not be NULL");
    return -1;
  }
  if (!lc_dtype_is_float(input->dtype)) {
    lc_fail(LC_ERR_DTYPE, op, "input must be a float32 or float64 tensor, got %s", lc_dtype_name(input->dtype));
    return -1;
  }
  if (target->dtype != LC_INT64) {
    lc_fail(LC_ERR_DTYPE, op, "target must be an int64 tensor of %lld-based class indices, got %s",
            (long long)base, lc_dtype_name(target->dtype));
    return -1;
  }
  if (input->ndim == 0) {
    lc_fail(LC_ERR_SHAPE, op, "input must have a class dimension, got a 0-dim tensor");
    return -1;
  }
  int cdim = input->ndim == 1 ? 0 : 1, ndim = 0;
  int64_t expect[LC_MAX_DIMS];
  dm->outer = cdim ? input->sizes[0] : 1;
  dm->classes = input->sizes[cdim];
  dm->inner = 1;
  for (int d = 0; d < input->ndim; d++) {
    if (d == cdim) continue;
    expect[ndim++] = input->sizes[d];
    if (d > cdim) dm->inner *= input->sizes[d];
  }
  bool ok = target->ndim == ndim;
  for (int d = 0; ok && d < ndim; d++) ok = target->sizes[d] == expect[d];
  if (!ok) {
    lc_fail(LC_ERR_SHAPE, op, "target has shape %s, expected %s for input %s",
                 lc_shape_str(a, target->ndim, target->sizes), lc_shape_str(b, ndim, expect),
                 lc_shape_str(c, input->ndim, input->sizes));
    return -1;
  }
  if (weight && (weight->ndim != 1 || weight->sizes[0] != dm->classes)) {
    lc_fail(LC_ERR_SHAPE, op, "weight has shape %s, expected (%lld) for %lld classes",
                 lc_shape_str(a, weight->ndim, weight->sizes), (long long)dm->classes,
                 (long long)dm->classes);
    return -1;
  }
  if (weight && !lc_dtype_is_float(weight->dtype)) {
    lc_fail(LC_ERR_DTYPE, op, "weight must be a float32 or float64 tensor, got %s", lc_dtype_name(weight->dtype));
    return -1;
  }
  memcpy(out_sizes, expect, ndim * sizeof *expect);
  return ndim;
}

/* Saved: 0 input (contiguous), 1 target (contiguous), 2 weight (float64, or
 * absent). ints: reduction, ignore_index, log_probs, outer, classes, inner,
 * the 'mean' output's bits, the targets' index base. scalar: label smoothing, the 'mean'
 * denominator.
 *
 * One pass over the samples gives both gradients. The weight's, for the
 * sample's target t: (1 - eps)(lse - x_t), minus the 'mean' output (w[t]
 * also grows the denominator); with smoothing also eps/C (lse - x_c) for
 * every c (lse = 0 for log-probabilities). */
static int loss_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  lc_tensor *x = lc_node_saved(node, 0), *tg = lc_node_saved(node, 1);
  lc_tensor *wt = node->n_saved > 2 ? lc_node_saved(node, 2) : NULL;
  if (!x || !tg || (node->n_saved > 2 && !wt)) return -1;
  lc_reduction red = (lc_reduction)node->ints[0];
  int64_t ignore = node->ints[1], outer = node->ints[3], C = node->ints[4], inner = node->ints[5];
  int64_t base = node->ints[7];
  bool log_probs = node->ints[2] != 0;
  double eps = node->scalar[0], denom = node->scalar[1], mean_out = 0;
  if (red == LC_REDUCTION_MEAN) memcpy(&mean_out, &node->ints[6], sizeof mean_out);
  bool need_x = lc_node_needs_grad(node, 0), need_w = wt && lc_node_needs_grad(node, 1);
  lc_tensor *g = lc_contiguous(grad_out[0]);
  lc_tensor *gx = g && need_x ? lc_zeros(x->dtype, x->ndim, x->sizes) : NULL;
  lc_tensor *gw = g && need_w ? lc_zeros(LC_FLOAT64, 1, &C) : NULL;
  if (!g || (need_x && !gx) || (need_w && !gw)) {
    lc_release(g);
    lc_release(gx);
    lc_release(gw);
    return -1;
  }
  const int64_t *t = lc_data(tg);
  double gs = red == LC_REDUCTION_NONE ? 0 : lc_get(g, 0);
  if (red == LC_REDUCTION_MEAN) gs /= denom;
  const double *w = wt ? lc_data(wt) : NULL;
  double *gwp = gw ? lc_data(gw) : NULL;
  double wsum = 0;
  for (int64_t c = 0; c < C; c++) wsum += w ? w[c] : 1;
  LC_DISPATCH(x->dtype, T, {
    const T *xp = lc_data(x);
    T *gp = gx ? lc_data(gx) : NULL;
    const T *go = red == LC_REDUCTION_NONE ? lc_data(g) : NULL;
    for (int64_t n = 0; n < outer; n++)
      for (int64_t k = 0; k < inner; k++) {
        int64_t s = n * inner + k, ti = t[s] - base;
        if (t[s] == ignore) continue;
        double scale = go ? (double)go[s] : gs;
        const T *xr = xp + n * C * inner + k;
        double wt_t = w ? w[ti] : 1, lse = log_probs ? 0 : ROW_LSE(xr, C, inner);
        if (gwp) {
          gwp[ti] += scale * ((1 - eps) * (lse - (double)xr[ti * inner]) - mean_out);
          if (eps > 0)
            for (int64_t c = 0; c < C; c++) gwp[c] += scale * eps / C * (lse - (double)xr[c * inner]);
        }
        if (!gp) continue;
        T *gr = gp + n * C * inner + k;
        if (log_probs) {
          /* d/dlogp_j = -(1 - eps) w[t] [j = t] - eps/C w[j] */
          for (int64_t c = 0; c < C; c++)
            gr[c * inner] = (T)(-scale * (eps / C) * (w ? w[c] : 1));
          gr[ti * inner] += (T)(-scale * (1 - eps) * wt_t);
        } else {
          /* d/dx_j = (1 - eps) w[t] (p_j - [j = t]) + eps/C (W p_j - w[j]) */
          double coef = (1 - eps) * wt_t + eps / C * wsum;
          for (int64_t c = 0; c < C; c++) {
            double p = exp((double)xr[c * inner] - lse);
            gr[c * inner] = (T)(scale * (coef * p - eps / C * (w ? w[c] : 1)));
          }
          gr[ti * inner] -= (T)(scale * (1 - eps) * wt_t);
        }
      }
  });
  lc_release(g);
  grad_in[0] = gx;
  if (gw) { /* the weight's gradient in the loss's dtype */
    grad_in[1] = lc_to(gw, node->outputs[0].dtype);
    lc_release(gw);
    if (!grad_in[1]) return -1;
  }
  return 0;
}

static lc_tensor *class_loss(const char *op, const lc_tensor *input, const lc_tensor *target,
                             const lc_tensor *weight, int64_t ignore_index,
                             lc_reduction reduction, double eps, bool log_probs, int64_t base) {
  loss_dims dm;
  int64_t osizes[LC_MAX_DIMS];
  int ondim = loss_check(op, input, target, weight, base, &dm, osizes);
  if (ondim < 0) return NULL;
  if (!(eps >= 0 && eps <= 1)) {
    lc_fail(LC_ERR_ARG, op, "label_smoothing must be a number in [0, 1], got %g", eps);
    return NULL;
  }
  if (reduction != LC_REDUCTION_NONE && reduction != LC_REDUCTION_MEAN &&
      reduction != LC_REDUCTION_SUM) {
    lc_fail(LC_ERR_ARG, op, "unknown reduction %d", (int)reduction);
    return NULL;
  }
  lc_tensor *x = lc_contiguous(input), *tg = x ? lc_contiguous(target) : NULL;
  lc_tensor *wt = tg && weight ? lc_to(weight, LC_FLOAT64) : NULL;
  lc_tensor *wc = wt ? lc_contiguous(wt) : NULL;
  lc_release(wt);
  lc_tensor *per = tg && (!weight || wc) ? lc_empty(LC_FLOAT64, ondim, osizes) : NULL;
  lc_tensor *out = NULL;
  if (!per) goto done;
  const int64_t *t = lc_data(tg);
  const double *w = wc ? lc_data(wc) : NULL;
  double *lp = lc_data(per), total = 0, denom = 0;
  int64_t C = dm.classes, inner = dm.inner, samples = dm.outer * dm.inner;
  for (int64_t s = 0; s < samples; s++) {
    /* unsigned: base - 1 and the extreme int64s do not overflow */
    if (t[s] != ignore_index && (uint64_t)t[s] - (uint64_t)base >= (uint64_t)C) {
      lc_fail(LC_ERR_INDEX, op, "target %lld is out of range for %lld classes%s", (long long)t[s],
              (long long)C, lc_base_note(t[s], base));
      goto done;
    }
  }
  LC_DISPATCH(x->dtype, T, {
    const T *xp = lc_data(x);
    for (int64_t n = 0; n < dm.outer; n++)
      for (int64_t k = 0; k < inner; k++) {
        int64_t s = n * inner + k, ti = t[s] - base;
        if (t[s] == ignore_index) {
          lp[s] = 0;
          continue;
        }
        const T *xr = xp + n * C * inner + k;
        /* log-sum-exp, or 0 when the input already is log-probabilities */
        double lse = log_probs ? 0 : ROW_LSE(xr, C, inner);
        double wt_t = w ? w[ti] : 1, l = (1 - eps) * wt_t * (lse - (double)xr[ti * inner]);
        if (eps > 0) {
          double sm = 0;
          for (int64_t c = 0; c < C; c++) sm += (w ? w[c] : 1) * (lse - (double)xr[c * inner]);
          l += eps / C * sm;
        }
        lp[s] = l;
        total += l;
        denom += wt_t;
      }
  });
  if (reduction == LC_REDUCTION_NONE) out = lc_to(per, input->dtype);
  else out = lc_scalar(input->dtype, reduction == LC_REDUCTION_SUM ? total : total / denom);
  const lc_tensor *ins[2] = {input, weight};
  if (out && lc_should_record(2, ins)) {
    lc_node *node = lc_record(log_probs ? "NllLossBackward" : "CrossEntropyLossBackward",
                              loss_backward, out, 2, ins);
    if (!node || lc_node_save(node, x) || lc_node_save(node, tg) || (wc && lc_node_save(node, wc))) {
      lc_release(out);
      out = NULL;
      goto done;
    }
    node->ints[0] = reduction;
    node->ints[1] = ignore_index;
    node->ints[2] = log_probs;
    node->ints[3] = dm.outer;
    node->ints[4] = dm.classes;
    node->ints[5] = dm.inner;
    node->ints[7] = base;
    node->scalar[0] = eps;
    node->scalar[1] = denom;
    double mean_out = reduction == LC_REDUCTION_MEAN ? total / denom : 0; /* for the weight's gradient */
    memcpy(&node->ints[6], &mean_out, sizeof mean_out);
  }
done:
  lc_release(per);
  lc_release(wc);
  lc_release(tg);
  lc_release(x);
  return out;
}

lc_tensor *lc_cross_entropy(const lc_tensor *input, const lc_tensor *target,
                            const lc_tensor *weight, int64_t ignore_index,
                            lc_reduction reduction, double label_smoothing, int64_t base) {
  return class_loss("cross_entropy", input, target, weight, ignore_index, reduction,
                    label_smoothing, false, base);
}

lc_tensor *lc_nll_loss(const lc_tensor *input, const lc_tensor *target, const lc_tensor *weight,
                       int64_t ignore_index, lc_reduction reduction, int64_t base) {
  return class_loss("nll_loss", input, target, weight, ignore_index, reduction, 0, true, base);
}
