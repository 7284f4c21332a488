/* optim.c: fused optimizer updates (SGD, Adam, AdamW).
 *
 * PyTorch 1.13 runs each update as a chain of tensor ops (mul_, add_,
 * addcmul_, sqrt, div, addcdiv_), each rounding to the tensor's dtype. The
 * loops below do the same chain per element, in the same order and with the
 * scalars rounded to the element type where ATen rounds them, so one pass
 * over memory gives PyTorch's values. */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

/* Checks that t can take part in op's update next to param: a float tensor,
 * contiguous, with param's dtype and shape. */
static int check_operand(const char *op, const char *what, const lc_tensor *t,
                         const lc_tensor *param) {
  char x[128], y[128];
  if (!t) {
    lc_set_error("%s: %s is missing", op, what);
    return -1;
  }
  if (t == param) {
    if (!lc_dtype_is_float(t->dtype)) {
      lc_set_error("%s: param must be float32 or float64, got %s", op, lc_dtype_name(t->dtype));
      return -1;
    }
  } else {
    if (t->dtype != param->dtype) {
      lc_set_error("%s: %s has dtype %s but param has dtype %s", op, what,
                   lc_dtype_name(t->dtype), lc_dtype_name(param->dtype));
      return -1;
    }
    if (!lc_same_shape(t, param)) {
      lc_set_error("%s: %s has shape %s but param has shape %s", op, what,
                   lc_shape_str(x, t->ndim, t->sizes), lc_shape_str(y, param->ndim, param->sizes));
      return -1;
    }
  }
  if (!lc_is_contiguous(t)) {
    lc_set_error("%s: %s must be contiguous", op, what);
    return -1;
  }
  return 0;
}

/* Tensors the update writes must not share memory with another operand in a
 * way that changes the result (PyTorch's ops would see partial updates). */
static bool overlaps(const lc_tensor *a, const lc_tensor *b) {
  if (!a || !b || a->storage != b->storage) return false;
  size_t es = lc_dtype_size(a->dtype);
  const char *a0 = (const char *)lc_data(a), *b0 = (const char *)lc_data(b);
  const char *a1 = a0 + lc_numel(a) * es, *b1 = b0 + lc_numel(b) * es;
  return a0 < b1 && b0 < a1;
}

static int check_distinct(const char *op, int n, const lc_tensor *const *ts,
                          const char *const *names) {
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (overlaps(ts[i], ts[j])) {
        lc_set_error("%s: %s and %s share memory", op, names[i], names[j]);
        return -1;
      }
  return 0;
}

int lc_sgd_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *momentum_buf,
                double lr, double momentum, double dampening, double weight_decay,
                bool nesterov, bool maximize, bool first_step) {
  const char *op = "sgd_step";
  if (!param || !grad) {
    lc_set_error("%s: param and grad are required", op);
    return -1;
  }
  if (check_operand(op, "param", param, param) || check_operand(op, "grad", grad, param))
    return -1;
  bool use_momentum = momentum != 0;
  if (use_momentum && check_operand(op, "momentum_buf", momentum_buf, param)) return -1;
  const lc_tensor *ts[3] = {param, grad, use_momentum ? momentum_buf : NULL};
  const char *names[3] = {"param", "grad", "momentum_buf"};
  if (check_distinct(op, 3, ts, names)) return -1;

  int64_t n = lc_numel(param);
  bool wd = weight_decay != 0;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param);
    const T *g = LC_PTR(T, grad);
    T *buf = use_momentum ? LC_PTR(T, momentum_buf) : NULL;
    const T wd_t = (T)weight_decay, mom_t = (T)momentum, damp_t = (T)(1 - dampening);
    const T neg_lr = (T)(-lr);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T d = maximize ? -g[i] : g[i];
      if (wd) d = d + wd_t * p[i];                    /* d_p.add(param, alpha=wd) */
      if (use_momentum) {
        T b = first_step ? d : buf[i] * mom_t + damp_t * d;  /* mul_, add_(alpha) */
        buf[i] = b;
        d = nesterov ? d + mom_t * b : b;
      }
      p[i] = p[i] + neg_lr * d;                       /* param.add_(d_p, alpha=-lr) */
    }
  });
  lc_bump_version(param);
  if (use_momentum) lc_bump_version(momentum_buf);
  return 0;
}

int lc_adam_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                 lc_tensor *exp_avg_sq, lc_tensor *max_exp_avg_sq, int64_t step,
                 double lr, double beta1, double beta2, double eps, double weight_decay,
                 bool decoupled, bool amsgrad, bool maximize) {
  const char *op = decoupled ? "adamw_step" : "adam_step";
  if (!param || !grad) {
    lc_set_error("%s: param and grad are required", op);
    return -1;
  }
  if (check_operand(op, "param", param, param) || check_operand(op, "grad", grad, param) ||
      check_operand(op, "exp_avg", exp_avg, param) ||
      check_operand(op, "exp_avg_sq", exp_avg_sq, param) ||
      (amsgrad && check_operand(op, "max_exp_avg_sq", max_exp_avg_sq, param)))
    return -1;
  if (step < 1) {
    lc_set_error("%s: step must be at least 1, got %lld", op, (long long)step);
    return -1;
  }
  const lc_tensor *ts[5] = {param, grad, exp_avg, exp_avg_sq, amsgrad ? max_exp_avg_sq : NULL};
  const char *names[5] = {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  if (check_distinct(op, 5, ts, names)) return -1;

  /* Python-side scalars, in double as PyTorch computes them. */
  double bias_correction1 = 1 - pow(beta1, (double)step);
  double bias_correction2 = 1 - pow(beta2, (double)step);
  double step_size = lr / bias_correction1;
  double bc2_sqrt = sqrt(bias_correction2);
  double decay = 1 - lr * weight_decay;

  int64_t n = lc_numel(param);
  bool l2 = !decoupled && weight_decay != 0;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param);
    const T *g = LC_PTR(T, grad);
    T *m = LC_PTR(T, exp_avg), *v = LC_PTR(T, exp_avg_sq);
    T *vmax = amsgrad ? LC_PTR(T, max_exp_avg_sq) : NULL;
    const T wd_t = (T)weight_decay, decay_t = (T)decay;
    const T b1 = (T)beta1, one_b1 = (T)(1 - beta1), b2 = (T)beta2, one_b2 = (T)(1 - beta2);
    const T bc2 = (T)bc2_sqrt, eps_t = (T)eps, neg_step = (T)(-step_size);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T gi = maximize ? -g[i] : g[i];
      T pi = p[i];
      if (l2) gi = gi + wd_t * pi;                    /* grad.add(param, alpha=wd) */
      if (decoupled) pi = pi * decay_t;               /* param.mul_(1 - lr * wd) */
      T mi = m[i] * b1 + one_b1 * gi;                 /* mul_(b1).add_(g, alpha=1-b1) */
      T vi = v[i] * b2 + one_b2 * gi * gi;            /* mul_(b2).addcmul_(g, g, 1-b2) */
      m[i] = mi;
      v[i] = vi;
      T vh = vi;
      if (amsgrad) {
        vh = vmax[i] > vi || vmax[i] != vmax[i] ? vmax[i] : vi;  /* maximum: nan wins */
        vmax[i] = vh;
      }
      T denom = (T)sqrt(vh) / bc2 + eps_t;
      p[i] = pi + neg_step * mi / denom;              /* addcdiv_(m, denom, -step_size) */
    }
  });
  lc_bump_version(param);
  lc_bump_version(exp_avg);
  lc_bump_version(exp_avg_sq);
  if (amsgrad) lc_bump_version(max_exp_avg_sq);
  return 0;
}
