/* optim.c: fused optimizer updates (SGD, Adam, AdamW, RMSprop, Adagrad,
 * Adadelta, Adamax, NAdam, RAdam).
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
    lc_fail(LC_ERR_ARG, op, "%s is missing", what);
    return -1;
  }
  if (t == param) {
    if (!lc_dtype_is_float(t->dtype)) {
      lc_fail(LC_ERR_DTYPE, op, "param must be float32 or float64, got %s", lc_dtype_name(t->dtype));
      return -1;
    }
  } else {
    if (t->dtype != param->dtype) {
      lc_fail(LC_ERR_DTYPE, op, "%s has dtype %s but param has dtype %s", what,
                   lc_dtype_name(t->dtype), lc_dtype_name(param->dtype));
      return -1;
    }
    if (!lc_same_shape(t, param)) {
      lc_fail(LC_ERR_SHAPE, op, "%s has shape %s but param has shape %s", what,
                   lc_shape_str(x, t->ndim, t->sizes), lc_shape_str(y, param->ndim, param->sizes));
      return -1;
    }
  }
  if (!lc_is_contiguous(t)) {
    lc_fail(LC_ERR_ARG, op, "%s must be contiguous", what);
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
        lc_fail(LC_ERR_ARG, op, "%s and %s share memory", names[i], names[j]);
        return -1;
      }
  return 0;
}

int lc_sgd_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *momentum_buf,
                double lr, double momentum, double dampening, double weight_decay,
                bool nesterov, bool maximize, bool first_step) {
  const char *op = "sgd_step";
  if (!param || !grad) {
    lc_fail(LC_ERR_ARG, op, "param and grad are required");
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
    lc_fail(LC_ERR_ARG, op, "param and grad are required");
    return -1;
  }
  if (check_operand(op, "param", param, param) || check_operand(op, "grad", grad, param) ||
      check_operand(op, "exp_avg", exp_avg, param) ||
      check_operand(op, "exp_avg_sq", exp_avg_sq, param) ||
      (amsgrad && check_operand(op, "max_exp_avg_sq", max_exp_avg_sq, param)))
    return -1;
  if (step < 1) {
    lc_fail(LC_ERR_ARG, op, "step must be at least 1, got %lld", (long long)step);
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

/* Checks param and grad, then every further operand (NULL entries of
 * `need` are optional and skipped), and that no two share memory. names[0]
 * and [1] are "param" and "grad". */
static int check_step(const char *op, int n, const lc_tensor *const *ts, const char *const *names,
                      const bool *need) {
  if (!ts[0] || !ts[1]) {
    lc_fail(LC_ERR_ARG, op, "param and grad are required");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    if (!need[i] && !ts[i]) continue;
    if (check_operand(op, names[i], ts[i], ts[0])) return -1;
  }
  return check_distinct(op, n, ts, names);
}

/* Marks every operand the update wrote (all but grad, ts[1]; NULLs skipped). */
static void bump_written(int n, const lc_tensor *const *ts) {
  for (int i = 0; i < n; i++)
    if (i != 1 && ts[i]) lc_bump_version((lc_tensor *)ts[i]);
}

static int check_count(const char *op, int64_t step) {
  if (step < 1) {
    lc_fail(LC_ERR_ARG, op, "step must be at least 1, got %lld", (long long)step);
    return -1;
  }
  return 0;
}

int lc_rmsprop_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *square_avg,
                    lc_tensor *grad_avg, lc_tensor *momentum_buf, double lr, double alpha,
                    double eps, double weight_decay, double momentum, bool centered,
                    bool maximize) {
  const char *op = "rmsprop_step";
  bool use_momentum = momentum > 0;
  const lc_tensor *ts[5] = {param, grad, square_avg, centered ? grad_avg : NULL,
                            use_momentum ? momentum_buf : NULL};
  const char *names[5] = {"param", "grad", "square_avg", "grad_avg", "momentum_buf"};
  bool need[5] = {true, true, true, centered, use_momentum};
  if (check_step(op, 5, ts, names, need)) return -1;
  int64_t n = lc_numel(param);
  bool wd = weight_decay != 0;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param), *sq = LC_PTR(T, square_avg);
    const T *g = LC_PTR(T, grad);
    T *ga = centered ? LC_PTR(T, grad_avg) : NULL, *buf = use_momentum ? LC_PTR(T, momentum_buf) : NULL;
    const T wd_t = (T)weight_decay, a_t = (T)alpha, one_a = (T)(1 - alpha), eps_t = (T)eps;
    const T mom_t = (T)momentum, neg_lr = (T)(-lr);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T gi = maximize ? -g[i] : g[i];
      if (wd) gi = gi + wd_t * p[i];                       /* grad.add(param, alpha=wd) */
      T s = sq[i] * a_t + one_a * gi * gi;                 /* mul_(alpha).addcmul_(g, g, 1-alpha) */
      sq[i] = s;
      T avg;
      if (centered) {
        T m = ga[i] * a_t + one_a * gi;                    /* mul_(alpha).add_(g, alpha=1-alpha) */
        ga[i] = m;
        avg = (T)sqrt(s + (T)(-1) * m * m);                /* addcmul(m, m, value=-1).sqrt_() */
      } else {
        avg = (T)sqrt(s);
      }
      avg = avg + eps_t;                                   /* add_(eps) */
      if (use_momentum) {
        T b = buf[i] * mom_t + gi / avg;                   /* mul_(momentum).addcdiv_(g, avg) */
        buf[i] = b;
        p[i] = p[i] + neg_lr * b;                          /* add_(buf, alpha=-lr) */
      } else {
        p[i] = p[i] + neg_lr * gi / avg;                   /* addcdiv_(g, avg, value=-lr) */
      }
    }
  });
  bump_written((int)(sizeof ts / sizeof ts[0]), ts);
  return 0;
}

int lc_adagrad_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *state_sum, int64_t step,
                    double lr, double lr_decay, double weight_decay, double eps, bool maximize) {
  const char *op = "adagrad_step";
  const lc_tensor *ts[3] = {param, grad, state_sum};
  const char *names[3] = {"param", "grad", "state_sum"};
  bool need[3] = {true, true, true};
  if (check_step(op, 3, ts, names, need) || check_count(op, step)) return -1;
  double clr = lr / (1 + (double)(step - 1) * lr_decay);
  int64_t n = lc_numel(param);
  bool wd = weight_decay != 0;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param), *sum = LC_PTR(T, state_sum);
    const T *g = LC_PTR(T, grad);
    const T wd_t = (T)weight_decay, eps_t = (T)eps, neg_clr = (T)(-clr);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T gi = maximize ? -g[i] : g[i];
      if (wd) gi = gi + wd_t * p[i];
      T s = sum[i] + (T)1 * gi * gi;                       /* addcmul_(g, g, value=1) */
      sum[i] = s;
      T std = (T)sqrt(s) + eps_t;                          /* sqrt().add_(eps) */
      p[i] = p[i] + neg_clr * gi / std;                    /* addcdiv_(g, std, value=-clr) */
    }
  });
  bump_written((int)(sizeof ts / sizeof ts[0]), ts);
  return 0;
}

int lc_adadelta_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *square_avg,
                     lc_tensor *acc_delta, double lr, double rho, double eps,
                     double weight_decay, bool maximize) {
  const char *op = "adadelta_step";
  const lc_tensor *ts[4] = {param, grad, square_avg, acc_delta};
  const char *names[4] = {"param", "grad", "square_avg", "acc_delta"};
  bool need[4] = {true, true, true, true};
  if (check_step(op, 4, ts, names, need)) return -1;
  int64_t n = lc_numel(param);
  bool wd = weight_decay != 0;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param), *sq = LC_PTR(T, square_avg), *acc = LC_PTR(T, acc_delta);
    const T *g = LC_PTR(T, grad);
    const T wd_t = (T)weight_decay, rho_t = (T)rho, one_rho = (T)(1 - rho), eps_t = (T)eps;
    const T neg_lr = (T)(-lr);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T gi = maximize ? -g[i] : g[i];
      if (wd) gi = gi + wd_t * p[i];
      T s = sq[i] * rho_t + one_rho * gi * gi;             /* mul_(rho).addcmul_(g, g, 1-rho) */
      sq[i] = s;
      T std = (T)sqrt(s + eps_t);                          /* add(eps).sqrt_() */
      T delta = (T)sqrt(acc[i] + eps_t) / std * gi;        /* add(eps).sqrt_().div_(std).mul_(g) */
      acc[i] = acc[i] * rho_t + one_rho * delta * delta;   /* mul_(rho).addcmul_(d, d, 1-rho) */
      p[i] = p[i] + neg_lr * delta;                        /* add_(delta, alpha=-lr) */
    }
  });
  bump_written((int)(sizeof ts / sizeof ts[0]), ts);
  return 0;
}

int lc_adamax_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                   lc_tensor *exp_inf, int64_t step, double lr, double beta1, double beta2,
                   double eps, double weight_decay, bool maximize) {
  const char *op = "adamax_step";
  const lc_tensor *ts[4] = {param, grad, exp_avg, exp_inf};
  const char *names[4] = {"param", "grad", "exp_avg", "exp_inf"};
  bool need[4] = {true, true, true, true};
  if (check_step(op, 4, ts, names, need) || check_count(op, step)) return -1;
  double clr = lr / (1 - pow(beta1, (double)step));
  int64_t n = lc_numel(param);
  bool wd = weight_decay != 0;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param), *m = LC_PTR(T, exp_avg), *u = LC_PTR(T, exp_inf);
    const T *g = LC_PTR(T, grad);
    const T wd_t = (T)weight_decay, b1 = (T)beta1, one_b1 = (T)(1 - beta1), b2 = (T)beta2;
    const T eps_t = (T)eps, neg_clr = (T)(-clr);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T gi = maximize ? -g[i] : g[i];
      if (wd) gi = gi + wd_t * p[i];
      T mi = m[i] * b1 + one_b1 * gi;                      /* mul_(b1).add_(g, alpha=1-b1) */
      m[i] = mi;
      T a = u[i] * b2, b = (T)fabs((double)gi) + eps_t;    /* amax(exp_inf * b2, |g| + eps) */
      T ui = a > b || a != a ? a : b;                      /* nan wins, as amax */
      u[i] = ui;
      p[i] = p[i] + neg_clr * mi / ui;                     /* addcdiv_(m, exp_inf, value=-clr) */
    }
  });
  bump_written((int)(sizeof ts / sizeof ts[0]), ts);
  return 0;
}

/* NAdam and RAdam: Adam's moments, then an update of their own from
 * per-step scalars (computed in double, as PyTorch's Python does). */
typedef enum { MOMENTS_NADAM, MOMENTS_RADAM } moments_kind;

typedef struct {
  moments_kind kind;
  double beta1, beta2, weight_decay, eps;
  double bias_correction2;      /* NAdam: v is divided by it */
  double c1, c2;                /* NAdam: the coefficients of g and m */
  double bias_correction1, lr;  /* RAdam */
  bool rectify;                 /* RAdam: the adaptive term applies */
  double rect;
} moments_step;

static int adam_moments(const char *op, lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                        lc_tensor *exp_avg_sq, int64_t step, const moments_step *k) {
  const lc_tensor *ts[4] = {param, grad, exp_avg, exp_avg_sq};
  const char *names[4] = {"param", "grad", "exp_avg", "exp_avg_sq"};
  bool need[4] = {true, true, true, true};
  if (check_step(op, 4, ts, names, need) || check_count(op, step)) return -1;
  int64_t n = lc_numel(param);
  bool wd = k->weight_decay != 0, nadam = k->kind == MOMENTS_NADAM;
  LC_DISPATCH(param->dtype, T, {
    T *p = LC_PTR(T, param), *m = LC_PTR(T, exp_avg), *v = LC_PTR(T, exp_avg_sq);
    const T *g = LC_PTR(T, grad);
    const T wd_t = (T)k->weight_decay, b1 = (T)k->beta1, one_b1 = (T)(1 - k->beta1);
    const T b2 = (T)k->beta2, one_b2 = (T)(1 - k->beta2), eps_t = (T)k->eps;
    const T bc2 = (T)k->bias_correction2, c1 = (T)k->c1, c2 = (T)k->c2;
    const T bc1 = (T)k->bias_correction1, lr_t = (T)k->lr, rect_t = (T)k->rect;
    const T bc2_sqrt = (T)sqrt(k->bias_correction2);
    _Pragma("omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)")
    for (int64_t i = 0; i < n; i++) {
      T gi = g[i];
      if (wd) gi = gi + wd_t * p[i];                       /* grad.add(param, alpha=wd) */
      T mi = m[i] * b1 + one_b1 * gi;                      /* mul_(b1).add_(g, alpha=1-b1) */
      T vi = v[i] * b2 + one_b2 * gi * gi;                 /* mul_(b2).addcmul_(g, g, 1-b2) */
      m[i] = mi;
      v[i] = vi;
      if (nadam) {
        T denom = (T)sqrt(vi / bc2) + eps_t;               /* div(bc2).sqrt().add_(eps) */
        T pi = p[i] + c1 * gi / denom;                     /* addcdiv_(g, denom, value=c1) */
        p[i] = pi + c2 * mi / denom;                       /* addcdiv_(m, denom, value=c2) */
      } else {
        T step_i = mi / bc1 * lr_t;                        /* exp_avg / bc1 * lr */
        if (k->rectify) {
          T adaptive = (T)1 / ((T)sqrt(vi) + eps_t) * bc2_sqrt; /* sqrt(bc2) / (...): reciprocal * */
          step_i = step_i * adaptive * rect_t;
        }
        p[i] = p[i] + (T)(-1.0) * step_i;                  /* add_(..., alpha=-1) */
      }
    }
  });
  bump_written(4, ts);
  return 0;
}

/* PyTorch keeps mu_product as a float32 tensor whatever the parameters'
 * dtype: it is rounded to float after each product. */
int lc_nadam_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                  lc_tensor *exp_avg_sq, int64_t step, double *mu_product, double lr,
                  double beta1, double beta2, double weight_decay, double momentum_decay,
                  double eps) {
  if (!mu_product) {
    lc_fail(LC_ERR_ARG, "nadam_step", "mu_product is required");
    return -1;
  }
  double mu = beta1 * (1. - 0.5 * pow(0.96, (double)step * momentum_decay));
  double mu_next = beta1 * (1. - 0.5 * pow(0.96, (double)(step + 1) * momentum_decay));
  float prod = (float)*mu_product * (float)mu;             /* mu_product *= mu */
  float prod_next = prod * (float)mu * (float)mu_next;     /* mu_product * mu * mu_next */
  moments_step k = {.kind = MOMENTS_NADAM, .beta1 = beta1, .beta2 = beta2,
                    .weight_decay = weight_decay, .eps = eps,
                    .bias_correction2 = 1 - pow(beta2, (double)step),
                    .c1 = -lr * (1. - mu) / (1. - (double)prod),
                    .c2 = -lr * mu_next / (1. - (double)prod_next)};
  if (adam_moments("nadam_step", param, grad, exp_avg, exp_avg_sq, step, &k)) return -1;
  *mu_product = prod;
  return 0;
}

int lc_radam_step(lc_tensor *param, const lc_tensor *grad, lc_tensor *exp_avg,
                  lc_tensor *exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
                  double weight_decay, double eps) {
  double bias_correction2 = 1 - pow(beta2, (double)step);
  double rho_inf = 2 / (1 - beta2) - 1;
  double rho_t = rho_inf - 2 * (double)step * pow(beta2, (double)step) / bias_correction2;
  moments_step k = {.kind = MOMENTS_RADAM, .beta1 = beta1, .beta2 = beta2,
                    .weight_decay = weight_decay, .eps = eps,
                    .bias_correction2 = bias_correction2,
                    .bias_correction1 = 1 - pow(beta1, (double)step), .lr = lr,
                    .rectify = rho_t > 5.};
  if (k.rectify)
    k.rect = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
  return adam_moments("radam_step", param, grad, exp_avg, exp_avg_sq, step, &k);
}
