/* ops_unary.c: the unary op table. One row per op (at the end of the file):
 * its name, dtype rule, flags, parameters, a test domain, and two kernels
 * written above it as one expression each:
 *
 *   FORWARD(exp, exp(x))        y = f(x), p[0..] the op's parameters
 *   BACKWARD(exp, g * y)        dL/dx from g = dL/dy, the input x and output y
 *
 * Shapes: x, y, g and dL/dx all have the input's shape (elementwise). The
 * macros expand each expression for every dtype (T is its C type; tgmath.h
 * picks expf for float) as a contiguous loop; lc_map feeds it contiguous,
 * transposed and broadcast operands alike. The backward reads only what the
 * row's flags save (LC_OP_SAVES_INPUT: x, LC_OP_SAVES_OUTPUT: y). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "lc_internal.h"

#define FORWARD(op, expr) LC_KERNEL1(fwd_##op, x, expr)

/* As FORWARD, with vmath.c's vectorised float32/float64 versions. */
#define FORWARD_VMATH(op, expr, v32, v64)                                                  \
  FORWARD(op##_scalar, expr)                                                               \
  static void fwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) {    \
    if (c->dt == LC_FLOAT32) v32(n, in[0], out);                                           \
    else if (c->dt == LC_FLOAT64) v64(n, in[0], out);                                      \
    else fwd_##op##_scalar(c, n, out, in);                                                 \
  }

#define BACKWARD(op, expr) LC_KERNEL3(bwd_##op, g, x, y, expr)

/* ---- the kernels ----------------------------------------------------------- */

FORWARD(neg, -x)
BACKWARD(neg, -g)

FORWARD_VMATH(exp, exp(x), lc_vexp_f32, lc_vexp_f64)
BACKWARD(exp, g * y)

FORWARD(log, log(x))
BACKWARD(log, g / x)

FORWARD_VMATH(tanh, tanh(x), lc_vtanh_f32, lc_vtanh_f64)
BACKWARD(tanh, g * (1 - y * y))

FORWARD_VMATH(sigmoid, 1 / (1 + exp(-x)), lc_vsigmoid_f32, lc_vsigmoid_f64)
BACKWARD(sigmoid, g * y * (1 - y))

FORWARD(relu, x < 0 ? 0 : x)
BACKWARD(relu, y > 0 ? g : 0)

FORWARD(sqrt, sqrt(x))
BACKWARD(sqrt, g / (2 * y))

FORWARD(abs, x < 0 ? -x : x)
BACKWARD(abs, x > 0 ? g : x < 0 ? -g : 0)

FORWARD(sin, sin(x))
BACKWARD(sin, g * cos(x))

FORWARD(cos, cos(x))
BACKWARD(cos, -g * sin(x))

/* clamp(min, max): bounds in T, with infinite ones kept from overflowing an
 * int64 cast; NaN passes through as in PyTorch. */
LC_CLONES static void fwd_clamp(const lc_kctx *c, int64_t n, void *out, const void *const *in) {
  LC_DISPATCH(c->dt, T, {
    T lo = (T)fmax(c->p[0], -DBL_MAX), hi = (T)fmin(c->p[1], DBL_MAX);
    if (c->dt == LC_INT64) {
      lo = c->p[0] < -9.2e18 ? (T)INT64_MIN : lo;
      hi = c->p[1] > 9.2e18 ? (T)INT64_MAX : hi;
    }
    T *o = out;
    const T *a = in[0];
    for (int64_t i = 0; i < n; i++) o[i] = a[i] < lo ? lo : a[i] > hi ? hi : a[i];
  });
}
BACKWARD(clamp, x >= p[0] && x <= p[1] ? g : 0)

FORWARD(erf, erf(x))
BACKWARD(erf, g * 1.1283791670955126 * exp(-x * x)) /* 2 / sqrt(pi) e^(-x^2) */

/* ---- activations (torch.nn.functional's formulas) ------------------------------ */

/* Helpers in double: float32 inputs round once, at the end. */
#define SQRT1_2 0.70710678118654752440
#define SQRT_2_PI 0.79788456080286535588  /* sqrt(2 / pi) */
#define INV_SQRT_2PI 0.39894228040143267794 /* 1 / sqrt(2 pi) */
static inline double sigm(double v) { return 1 / (1 + exp(-v)); }
/* gelu, p = 0: x Phi(x); p = 1: the tanh approximation */
static inline double gelu(double x, double tanh_form) {
  if (tanh_form == 0) return 0.5 * x * (1 + erf(x * SQRT1_2));
  return 0.5 * x * (1 + tanh(SQRT_2_PI * (x + 0.044715 * x * x * x)));
}
static inline double gelu_grad(double x, double tanh_form) {
  if (tanh_form == 0) return 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * exp(-0.5 * x * x);
  double t = tanh(SQRT_2_PI * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI * (1 + 3 * 0.044715 * x * x);
}
static inline double softplus1(double v) { return v > 20 ? v : log1p(exp(v)); }
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

/* softplus(beta, threshold): linear above threshold / beta, as PyTorch */
FORWARD(softplus, x * p[0] > p[1] ? (double)x : log1p(exp(p[0] * (double)x)) / p[0])
BACKWARD(softplus, x * p[0] > p[1] ? g : g * sigm(p[0] * (double)x))

FORWARD(gelu, gelu(x, p[0]))
BACKWARD(gelu, g * gelu_grad(x, p[0]))

FORWARD(silu, x * sigm(x))
BACKWARD(silu, g * sigm(x) * (1 + x * (1 - sigm(x))))

FORWARD(mish, x * tanh(softplus1(x)))
BACKWARD(mish, g * (tanh(softplus1(x)) + x * sigm(x) * (1 - tanh(softplus1(x)) * tanh(softplus1(x)))))

FORWARD(elu, x > 0 ? (double)x : p[0] * expm1((double)x))
BACKWARD(elu, x > 0 ? g : g * p[0] * exp((double)x))

FORWARD(selu, SELU_SCALE * (x > 0 ? (double)x : SELU_ALPHA * expm1((double)x)))
BACKWARD(selu, x > 0 ? g * SELU_SCALE : g * SELU_SCALE * SELU_ALPHA * exp((double)x))

FORWARD(celu, x > 0 ? (double)x : p[0] * expm1(x / p[0]))
BACKWARD(celu, x > 0 ? g : g * exp(x / p[0]))

FORWARD(leaky_relu, x > 0 ? (double)x : x * p[0])
BACKWARD(leaky_relu, x > 0 ? g : g * p[0])

/* hardtanh(min_val, max_val) and relu6: the gradient is 0 at the bounds too */
FORWARD(hardtanh, x < p[0] ? (T)p[0] : x > p[1] ? (T)p[1] : x)
BACKWARD(hardtanh, x > p[0] && x < p[1] ? g : 0)

FORWARD(relu6, x < 0 ? 0 : x > 6 ? 6 : x)
BACKWARD(relu6, x > 0 && x < 6 ? g : 0)

FORWARD(hardsigmoid, x <= -3 ? 0 : x >= 3 ? 1 : x / 6.0 + 0.5)
BACKWARD(hardsigmoid, x > -3 && x < 3 ? g / 6.0 : 0)

FORWARD(hardswish, x <= -3 ? 0 : x >= 3 ? (double)x : x * (x + 3) / 6.0)
BACKWARD(hardswish, x < -3 ? 0 : x <= 3 ? g * (x / 3.0 + 0.5) : g)

/* log sigmoid(x) = min(x, 0) - log1p(e^-|x|), without overflow */
FORWARD(logsigmoid, fmin((double)x, 0.0) - log1p(exp(-fabs((double)x))))
BACKWARD(logsigmoid, g * sigm(-(double)x))

/* ---- rounding, powers, trigonometry, special functions ----------------------- */

/* Integer inputs pass through rounding unchanged (and exactly: no double). */
#define INTEGRAL ((T)0.5 == 0)

FORWARD(floor, INTEGRAL ? x : (T)floor(x))
BACKWARD(floor, 0)
FORWARD(ceil, INTEGRAL ? x : (T)ceil(x))
BACKWARD(ceil, 0)
FORWARD(round, INTEGRAL ? x : (T)nearbyint(x)) /* half to even, as PyTorch */
BACKWARD(round, 0)
FORWARD(trunc, INTEGRAL ? x : (T)trunc(x))
BACKWARD(trunc, 0)
FORWARD(frac, x - trunc(x))
BACKWARD(frac, g)
FORWARD(sign, (x > 0) - (x < 0))
BACKWARD(sign, 0)

FORWARD(reciprocal, 1 / x)
BACKWARD(reciprocal, -g * y * y)
FORWARD(rsqrt, 1 / sqrt(x))
BACKWARD(rsqrt, -0.5 * g * y * y * y)
FORWARD(square, x * x)
BACKWARD(square, 2 * g * x)

FORWARD(tan, tan(x))
BACKWARD(tan, g * (1 + y * y))
FORWARD(asin, asin(x))
BACKWARD(asin, g / sqrt(1 - x * x))
FORWARD(acos, acos(x))
BACKWARD(acos, -g / sqrt(1 - x * x))
FORWARD(atan, atan(x))
BACKWARD(atan, g / (1 + x * x))
FORWARD(sinh, sinh(x))
BACKWARD(sinh, g * cosh(x))
FORWARD(cosh, cosh(x))
BACKWARD(cosh, g * sinh(x))
FORWARD(asinh, asinh(x))
BACKWARD(asinh, g / sqrt(x * x + 1))
FORWARD(acosh, acosh(x))
BACKWARD(acosh, g / sqrt(x * x - 1))
FORWARD(atanh, atanh(x))
BACKWARD(atanh, g / (1 - x * x))

#define TWO_OVER_SQRT_PI 1.1283791670955126
FORWARD(erfc, erfc(x))
BACKWARD(erfc, -g * TWO_OVER_SQRT_PI * exp(-x * x))

/* erfinv: Giles' single-precision approximation (2010) as a start, then two
 * Newton steps on erf(y) = x, which reach double precision. */
static double erfinv_d(double x) {
  if (x <= -1 || x >= 1) return x == 1 ? INFINITY : x == -1 ? -INFINITY : NAN;
  double w = -log((1 - x) * (1 + x)), y;
  if (w < 5) {
    w -= 2.5;
    double q = 2.81022636e-08;
    q = 3.43273939e-07 + q * w, q = -3.5233877e-06 + q * w, q = -4.39150654e-06 + q * w;
    q = 0.00021858087 + q * w, q = -0.00125372503 + q * w, q = -0.00417768164 + q * w;
    q = 0.246640727 + q * w, q = 1.50140941 + q * w;
    y = q * x;
  } else {
    w = sqrt(w) - 3;
    double q = -0.000200214257;
    q = 0.000100950558 + q * w, q = 0.00134934322 + q * w, q = -0.00367342844 + q * w;
    q = 0.00573950773 + q * w, q = -0.0076224613 + q * w, q = 0.00943887047 + q * w;
    q = 1.00167406 + q * w, q = 2.83297682 + q * w;
    y = q * x;
  }
  for (int k = 0; k < 2; k++) y -= (erf(y) - x) / (TWO_OVER_SQRT_PI * exp(-y * y));
  return y;
}
FORWARD(erfinv, erfinv_d(x))
BACKWARD(erfinv, g / TWO_OVER_SQRT_PI * exp(y * y))

#define LN2 0.69314718055994530942
#define LN10 2.30258509299404568402
FORWARD(exp2, exp2(x))
BACKWARD(exp2, g * y * LN2)
FORWARD(expm1, expm1(x))
BACKWARD(expm1, g * (y + 1))
FORWARD(log2, log2(x))
BACKWARD(log2, g / (x * LN2))
FORWARD(log10, log10(x))
BACKWARD(log10, g / (x * LN10))
FORWARD(log1p, log1p(x))
BACKWARD(log1p, g / (1 + x))

/* logit(eps): x clamped to [eps, 1 - eps] first when eps is given (not NaN) */
static inline double logit_in(double x, double eps) {
  return isnan(eps) ? x : x < eps ? eps : x > 1 - eps ? 1 - eps : x;
}
FORWARD(logit, log(logit_in(x, p[0]) / (1 - logit_in(x, p[0]))))
BACKWARD(logit, !isnan(p[0]) && (x < p[0] || x > 1 - p[0]) ? 0 : g / (x * (1 - x)))

/* nan_to_num(nan, posinf, neginf): absent infinities become the dtype's
 * largest and lowest finite values; integers pass through */
#define BIG (sizeof(T) == 4 ? FLT_MAX : DBL_MAX)
FORWARD(nan_to_num, INTEGRAL ? x
        : x != x ? (T)p[0]
        : x == INFINITY ? (T)(isnan(p[1]) ? BIG : p[1])
        : x == -INFINITY ? (T)(isnan(p[2]) ? -BIG : p[2]) : x)
BACKWARD(nan_to_num, isfinite((double)x) ? g : 0)

/* ---- the table --------------------------------------------------------------- */

typedef struct {
  lc_op_info info;
  lc_kernel_fn forward, backward; /* backward NULL: not differentiable */
} unary_row;

#define SAME LC_RULE_SAME
#define FLOAT LC_RULE_FLOAT
enum { IN = LC_OP_SAVES_INPUT, OUT = LC_OP_SAVES_OUTPUT, INPLACE = LC_OP_INPLACE,
       MEM = LC_OP_MEMORY_BOUND };

/* ROW(ENUM, name, rule, flags, test lo, test hi): an op without parameters.
 * ROWP(..., n, {names}, {defaults}, {choices}, {sample values}): with them. */
#define ROW(E, op, rule, flags, lo, hi) \
  [LC_##E] = {{#op, 1, rule, flags, true, 0, {0}, {0}, {0}, {0}, lo, hi}, fwd_##op, bwd_##op}
#define ROWP(E, op, rule, flags, lo, hi, n, names, defaults, choices, sample)                   \
  [LC_##E] = {{#op, 1, rule, flags, true, n, names, defaults, choices, sample, lo, hi}, fwd_##op, \
              bwd_##op}
#define L(...) {__VA_ARGS__}

static const unary_row rows[] = {
  ROW(NEG, neg, SAME, INPLACE | MEM, -1.5, 1.5),
  ROW(EXP, exp, FLOAT, INPLACE | OUT, -1.5, 1.5),
  ROW(LOG, log, FLOAT, INPLACE | IN, 0.5, 2),
  ROW(TANH, tanh, FLOAT, INPLACE | OUT, -1.5, 1.5),
  ROW(SIGMOID, sigmoid, FLOAT, INPLACE | OUT, -1.5, 1.5),
  ROW(RELU, relu, SAME, INPLACE | OUT | MEM, -1.5, 1.5),
  ROW(SQRT, sqrt, FLOAT, INPLACE | OUT, 0.5, 2),
  ROW(ABS, abs, SAME, INPLACE | IN | MEM, -1.5, 1.5),
  ROW(SIN, sin, FLOAT, INPLACE | IN, -1.5, 1.5),
  ROW(COS, cos, FLOAT, INPLACE | IN, -1.5, 1.5),
  ROWP(CLAMP, clamp, SAME, INPLACE | IN | LC_OP_OWN_BINDING, -1.5, 1.5, 2, L("min", "max"),
       L(-INFINITY, INFINITY), L(0), L(-0.4, 0.6)),
  ROW(ERF, erf, FLOAT, INPLACE | IN, -1.5, 1.5),
  ROWP(SOFTPLUS, softplus, FLOAT, IN, -2, 2, 2, L("beta", "threshold"), L(1, 20), L(0), L(2, 1)),
  ROWP(GELU, gelu, FLOAT, IN, -3, 3, 1, L("approximate"), L(0), L("none|tanh"), L(1)),
  ROW(SILU, silu, FLOAT, INPLACE | IN, -3, 3),
  ROW(MISH, mish, FLOAT, INPLACE | IN, -3, 3),
  ROWP(ELU, elu, FLOAT, INPLACE | IN, -2, 2, 1, L("alpha"), L(1), L(0), L(0.5)),
  ROW(SELU, selu, FLOAT, INPLACE | IN, -2, 2),
  ROWP(CELU, celu, FLOAT, INPLACE | IN, -2, 2, 1, L("alpha"), L(1), L(0), L(0.5)),
  ROWP(LEAKY_RELU, leaky_relu, FLOAT, INPLACE | IN, -2, 2, 1, L("negative_slope"), L(0.01), L(0),
       L(0.2)),
  ROWP(HARDTANH, hardtanh, SAME, INPLACE | IN, -2, 2, 2, L("min_val", "max_val"), L(-1, 1), L(0),
       L(-0.5, 1.5)),
  ROW(RELU6, relu6, SAME, INPLACE | IN | MEM, -2, 8),
  ROW(HARDSIGMOID, hardsigmoid, FLOAT, INPLACE | IN, -4, 4),
  ROW(HARDSWISH, hardswish, FLOAT, INPLACE | IN, -4, 4),
  ROW(LOGSIGMOID, logsigmoid, FLOAT, IN, -3, 3),
  ROW(FLOOR, floor, SAME, INPLACE | MEM, -3, 3),
  ROW(CEIL, ceil, SAME, INPLACE | MEM, -3, 3),
  ROW(ROUND, round, SAME, INPLACE | MEM, -3, 3),
  ROW(TRUNC, trunc, SAME, INPLACE | MEM, -3, 3),
  ROW(FRAC, frac, FLOAT, INPLACE | MEM, -3, 3),
  ROW(SIGN, sign, SAME, INPLACE | MEM, -3, 3),
  ROW(RECIPROCAL, reciprocal, FLOAT, INPLACE | OUT, 0.5, 2),
  ROW(RSQRT, rsqrt, FLOAT, INPLACE | OUT, 0.5, 2),
  ROW(SQUARE, square, SAME, INPLACE | IN | MEM, -1.5, 1.5),
  ROW(TAN, tan, FLOAT, INPLACE | OUT, -1.2, 1.2),
  ROW(ASIN, asin, FLOAT, INPLACE | IN, -0.9, 0.9),
  ROW(ACOS, acos, FLOAT, INPLACE | IN, -0.9, 0.9),
  ROW(ATAN, atan, FLOAT, INPLACE | IN, -2, 2),
  ROW(SINH, sinh, FLOAT, INPLACE | IN, -2, 2),
  ROW(COSH, cosh, FLOAT, INPLACE | IN, -2, 2),
  ROW(ASINH, asinh, FLOAT, INPLACE | IN, -2, 2),
  ROW(ACOSH, acosh, FLOAT, INPLACE | IN, 1.2, 3),
  ROW(ATANH, atanh, FLOAT, INPLACE | IN, -0.9, 0.9),
  ROW(ERFC, erfc, FLOAT, INPLACE | IN, -1.5, 1.5),
  ROW(ERFINV, erfinv, FLOAT, INPLACE | OUT, -0.9, 0.9),
  ROW(EXP2, exp2, FLOAT, INPLACE | OUT, -2, 2),
  ROW(EXPM1, expm1, FLOAT, INPLACE | OUT, -2, 2),
  ROW(LOG2, log2, FLOAT, INPLACE | IN, 0.5, 2),
  ROW(LOG10, log10, FLOAT, INPLACE | IN, 0.5, 2),
  ROW(LOG1P, log1p, FLOAT, INPLACE | IN, -0.5, 2),
  ROWP(LOGIT, logit, FLOAT, INPLACE | IN, 0.1, 0.9, 1, L("eps"), L(NAN), L(0), L(0.2)),
  ROWP(NAN_TO_NUM, nan_to_num, SAME, INPLACE | IN, -2, 2, 3, L("nan", "posinf", "neginf"),
       L(0, NAN, NAN), L(0), L(1, 100, -100)),
};
_Static_assert(sizeof rows / sizeof *rows == LC_UNARY_COUNT, "one row per lc_unary_op");

/* Autograd node and in-place names, made from the op names once at load:
 * "leaky_relu" -> "LeakyReluBackward" and "leaky_relu_". */
static char backward_names[LC_UNARY_COUNT][40], inplace_names[LC_UNARY_COUNT][40];

__attribute__((constructor)) static void make_names(void) {
  for (int op = 0; op < LC_UNARY_COUNT; op++) {
    const char *s = rows[op].info.name;
    lc_camel_name(backward_names[op], sizeof backward_names[op], s, "Backward");
    snprintf(inplace_names[op], sizeof inplace_names[op], "%s_", s);
  }
}

const lc_op_info *lc_unary_info(lc_unary_op op) {
  return op >= 0 && op < LC_UNARY_COUNT ? &rows[op].info : NULL;
}

const char *lc_unary_name(lc_unary_op op) { return rows[op].info.name; }

/* ---- forward, backward, in place ------------------------------------------------ */

/* The node keeps the op in ints[0] and its parameters' bits in ints[1..]. */
static int unary_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const unary_row *r = &rows[n->ints[0]];
  double p[LC_OP_MAX_PARAMS];
  memcpy(p, &n->ints[1], sizeof p);
  lc_tensor *s[2] = {g[0], g[0]};
  int n_saved = !!(r->info.flags & IN) + !!(r->info.flags & OUT);
  for (int k = 0; k < n_saved; k++)
    if (!(s[k] = lc_node_saved(n, k))) return -1;
  /* saved: x then y, either, or neither */
  lc_tensor *x = r->info.flags & IN ? s[0] : g[0];
  lc_tensor *y = r->info.flags & OUT ? (r->info.flags & IN ? s[1] : s[0]) : g[0];
  lc_tensor *gx = lc_empty_like_layout(g[0]->dtype, g[0]);
  if (!gx) return -1;
  lc_kctx c = {g[0]->dtype, g[0]->dtype, p, 0};
  lc_map(&c, r->backward, gx, 3, (lc_tensor *[]){g[0], x, y});
  gin[0] = gx;
  return 0;
}

static void fill_params(const unary_row *r, const double *params, double *p) {
  for (int k = 0; k < LC_OP_MAX_PARAMS; k++)
    p[k] = k < r->info.n_params ? (params ? params[k] : r->info.defaults[k]) : 0;
}

lc_tensor *lc_unary_p(lc_unary_op op, const lc_tensor *a, const double *params) {
  const unary_row *r = &rows[op];
  double p[LC_OP_MAX_PARAMS];
  fill_params(r, params, p);
  lc_dtype dt = lc_rule_dtype(r->info.rule, a->dtype);
  if (dt == LC_BOOL) { /* as PyTorch; clamp computes as int64 */
    if (op != LC_CLAMP) {
      lc_fail(LC_ERR_DTYPE, r->info.name, "not supported for bool tensors%s",
                   op == LC_NEG ? "; use logical_not" : "");
      return NULL;
    }
    dt = LC_INT64;
  }
  lc_tensor *in = lc_to(a, dt);
  lc_tensor *out = in ? lc_empty_like_layout(dt, in) : NULL;
  if (out) {
    lc_kctx c = {dt, dt, p, lc_op_grain(r->info.flags)};
    lc_map(&c, r->forward, out, 1, &in);
  }
  if (out && r->backward && lc_dtype_is_float(dt) && lc_should_record(1, (const lc_tensor **)&in)) {
    lc_node *n = lc_record(backward_names[op], unary_backward, out, 1, (const lc_tensor **)&in);
    if (!n || (r->info.flags & IN && lc_node_save(n, in)) ||
        (r->info.flags & OUT && lc_node_save(n, out))) {
      lc_release(out);
      out = NULL;
    } else {
      n->ints[0] = op;
      memcpy(&n->ints[1], p, sizeof p);
    }
  }
  lc_release(in);
  return out;
}

lc_tensor *lc_unary(lc_unary_op op, const lc_tensor *a) { return lc_unary_p(op, a, NULL); }

int lc_unary_(lc_unary_op op, lc_tensor *a, const double *params) {
  const unary_row *r = &rows[op];
  const char *name = inplace_names[op];
  if (!(r->info.flags & INPLACE)) {
    lc_fail(LC_ERR_ARG, name, "%s has no in-place form", r->info.name);
    return -1;
  }
  if (lc_check_inplace(name, a, NULL)) return -1;
  lc_dtype dt = lc_rule_dtype(r->info.rule, a->dtype);
  if (dt != a->dtype) { /* as PyTorch: exp_ of an int64 tensor cannot keep its dtype */
    lc_fail(LC_ERR_DTYPE, name, "result type %s can't be cast to the desired output type %s",
                 lc_dtype_name(dt), lc_dtype_name(a->dtype));
    return -1;
  }
  if (lc_should_record(1, (const lc_tensor **)&a)) {
    /* out of place from a copy (nodes that saved a see the version change),
     * then the result and its history written into a */
    lc_tensor *old = lc_clone(a);
    lc_tensor *y = old ? lc_unary_p(op, old, params) : NULL;
    lc_release(old);
    int rc = y ? lc_copy_(a, y) : -1;
    lc_release(y);
    return rc;
  }
  double p[LC_OP_MAX_PARAMS];
  fill_params(r, params, p);
  lc_kctx c = {dt, dt, p, lc_op_grain(r->info.flags)};
  lc_map(&c, r->forward, a, 1, &a);
  lc_bump_version(a);
  return 0;
}

/* clamp: an int64 tensor with a fractional bound computes in float32, as
 * PyTorch's result type of an integer tensor and a float scalar. */
lc_tensor *lc_clamp(const lc_tensor *a, double lo, double hi) {
  if (isnan(lo) || isnan(hi)) {
    lc_fail(LC_ERR_ARG, "clamp", "bounds must not be NaN");
    return NULL;
  }
  bool frac = (isfinite(lo) && lo != floor(lo)) || (isfinite(hi) && hi != floor(hi));
  lc_tensor *in = frac && !lc_dtype_is_float(a->dtype) ? lc_to(a, LC_FLOAT32) : lc_retain((lc_tensor *)a);
  lc_tensor *r = in ? lc_unary_p(LC_CLAMP, in, (const double[]){lo, hi}) : NULL;
  lc_release(in);
  return r;
}
