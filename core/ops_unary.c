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

#define FORWARD(op, expr)                                                                  \
  LC_CLONES static void fwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    const double *p = c->p;                                                                \
    (void)p;                                                                               \
    LC_DISPATCH(c->dt, T, {                                                                \
      T *o = out;                                                                          \
      const T *xs = in[0];                                                                 \
      for (int64_t i = 0; i < n; i++) {                                                    \
        const T x = xs[i];                                                                 \
        o[i] = (T)(expr);                                                                  \
      }                                                                                    \
    });                                                                                    \
  }

/* As FORWARD, with vmath.c's vectorised float32/float64 versions. */
#define FORWARD_VMATH(op, expr, v32, v64)                                                  \
  FORWARD(op##_scalar, expr)                                                               \
  static void fwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) {    \
    if (c->dt == LC_FLOAT32) v32(n, in[0], out);                                           \
    else if (c->dt == LC_FLOAT64) v64(n, in[0], out);                                      \
    else fwd_##op##_scalar(c, n, out, in);                                                 \
  }

#define BACKWARD(op, expr)                                                                 \
  LC_CLONES static void bwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    const double *p = c->p;                                                                \
    (void)p;                                                                               \
    LC_DISPATCH(c->dt, T, {                                                                \
      T *o = out;                                                                          \
      const T *gs = in[0], *xs = in[1], *ys = in[2];                                       \
      for (int64_t i = 0; i < n; i++) {                                                    \
        const T g = gs[i], x = xs[i], y = ys[i];                                           \
        (void)x, (void)y;                                                                  \
        o[i] = (T)(expr);                                                                  \
      }                                                                                    \
    });                                                                                    \
  }

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

/* ---- the table --------------------------------------------------------------- */

typedef struct {
  lc_op_info info;
  lc_kernel_fn forward, backward; /* backward NULL: not differentiable */
} unary_row;

#define SAME LC_RULE_SAME
#define FLOAT LC_RULE_FLOAT
enum { IN = LC_OP_SAVES_INPUT, OUT = LC_OP_SAVES_OUTPUT, INPLACE = LC_OP_INPLACE };

/* ROW(ENUM, name, rule, flags, test lo, test hi): an op without parameters.
 * ROWP(..., n, {names}, {defaults}, {choices}, {sample values}): with them. */
#define ROW(E, op, rule, flags, lo, hi) \
  [LC_##E] = {{#op, 1, rule, flags, true, 0, {0}, {0}, {0}, {0}, lo, hi}, fwd_##op, bwd_##op}
#define ROWP(E, op, rule, flags, lo, hi, n, names, defaults, choices, sample)                   \
  [LC_##E] = {{#op, 1, rule, flags, true, n, names, defaults, choices, sample, lo, hi}, fwd_##op, \
              bwd_##op}
#define L(...) {__VA_ARGS__}

static const unary_row rows[] = {
  ROW(NEG, neg, SAME, INPLACE, -1.5, 1.5),
  ROW(EXP, exp, FLOAT, INPLACE | OUT, -1.5, 1.5),
  ROW(LOG, log, FLOAT, INPLACE | IN, 0.5, 2),
  ROW(TANH, tanh, FLOAT, INPLACE | OUT, -1.5, 1.5),
  ROW(SIGMOID, sigmoid, FLOAT, INPLACE | OUT, -1.5, 1.5),
  ROW(RELU, relu, SAME, INPLACE | OUT, -1.5, 1.5),
  ROW(SQRT, sqrt, FLOAT, INPLACE | OUT, 0.5, 2),
  ROW(ABS, abs, SAME, INPLACE | IN, -1.5, 1.5),
  ROW(SIN, sin, FLOAT, INPLACE | IN, -1.5, 1.5),
  ROW(COS, cos, FLOAT, INPLACE | IN, -1.5, 1.5),
  ROWP(CLAMP, clamp, SAME, INPLACE | IN | LC_OP_OWN_BINDING, -1.5, 1.5, 2, L("min", "max"),
       L(-INFINITY, INFINITY), L(0), L(-0.4, 0.6)),
  ROW(ERF, erf, FLOAT, INPLACE | IN, -1.5, 1.5),
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
  lc_kctx c = {g[0]->dtype, g[0]->dtype, p};
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
  lc_tensor *in = lc_to(a, dt);
  lc_tensor *out = in ? lc_empty_like_layout(dt, in) : NULL;
  if (out) {
    lc_kctx c = {dt, dt, p};
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
    lc_set_error("%s: %s has no in-place form", name, r->info.name);
    return -1;
  }
  if (lc_check_inplace(name, a, NULL)) return -1;
  lc_dtype dt = lc_rule_dtype(r->info.rule, a->dtype);
  if (dt != a->dtype) { /* as PyTorch: exp_ of an int64 tensor cannot keep its dtype */
    lc_set_error("%s: result type %s can't be cast to the desired output type %s", name,
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
  lc_kctx c = {dt, dt, p};
  lc_map(&c, r->forward, a, 1, &a);
  lc_bump_version(a);
  return 0;
}

/* clamp: an int64 tensor with a fractional bound computes in float32, as
 * PyTorch's result type of an integer tensor and a float scalar. */
lc_tensor *lc_clamp(const lc_tensor *a, double lo, double hi) {
  if (isnan(lo) || isnan(hi)) {
    lc_set_error("clamp: bounds must not be NaN");
    return NULL;
  }
  bool frac = (isfinite(lo) && lo != floor(lo)) || (isfinite(hi) && hi != floor(hi));
  lc_tensor *in = frac && !lc_dtype_is_float(a->dtype) ? lc_to(a, LC_FLOAT32) : lc_retain((lc_tensor *)a);
  lc_tensor *r = in ? lc_unary_p(LC_CLAMP, in, (const double[]){lo, hi}) : NULL;
  lc_release(in);
  return r;
}
