/* ops_binary.c: the binary op table. One row per op (at the end of the
 * file), with kernels written above it as one expression each:
 *
 *   FORWARD(mul, a * b)              y = f(a, b)
 *   BACKWARD(mul, g * b, g * a)      dL/da and dL/db from g = dL/dy, a and b
 *
 * Shapes: a and b broadcast to y's shape (NumPy rules); the backward
 * expressions are evaluated at y's shape and each result is summed back to
 * its input's shape. Comparisons write 1 or 0 in lc_compare_dtype(). The
 * operands are converted to one dtype first (the row's rule), so T is the
 * C type of both. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tgmath.h>

#include "lc_internal.h"

#define FORWARD(op, expr) LC_KERNEL2(fwd_##op, a, b, expr)

/* A comparison: inputs of type T, a 1/0 result of the output dtype O. */
#define COMPARE(op, expr)                                                                  \
  LC_CLONES static void fwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    LC_DISPATCH(c->dt, T, {                                                                \
      const T *as = in[0], *bs = in[1];                                                    \
      LC_DISPATCH_ALL(c->out_dt, O, {                                                      \
        O *o = out;                                                                        \
        for (int64_t i = 0; i < n; i++) {                                                  \
          const T a = as[i], b = bs[i];                                                    \
          o[i] = (O)(expr);                                                                \
        }                                                                                  \
      });                                                                                  \
    });                                                                                    \
  }

#define BACKWARD(op, da, db) \
  LC_KERNEL3(bwd_a_##op, g, a, b, da) LC_KERNEL3(bwd_b_##op, g, a, b, db)

/* ---- the kernels ----------------------------------------------------------- */

FORWARD(add, a + b)
BACKWARD(add, g, g)

FORWARD(sub, a - b)
BACKWARD(sub, g, -g)

FORWARD(mul, a * b)
BACKWARD(mul, g * b, g * a)

FORWARD(div, a / b)
BACKWARD(div, g / b, -g * a / (b * b))

/* d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's rule) */
FORWARD(pow, pow(a, b))
BACKWARD(pow, g * b * pow(a, b - 1), a == 0 && b >= 0 ? 0 : g * pow(a, b) * log(a))

COMPARE(eq, a == b)
COMPARE(ne, a != b)
COMPARE(lt, a < b)
COMPARE(le, a <= b)
COMPARE(gt, a > b)
COMPARE(ge, a >= b)

/* maximum/minimum propagate NaN and split the gradient at ties; fmax/fmin
 * ignore a NaN operand and give ties to a (PyTorch's rules). */
FORWARD(maximum, a > b || a != a ? a : b)
BACKWARD(maximum, a > b ? g : a == b ? g / 2 : 0, b > a ? g : a == b ? g / 2 : 0)
FORWARD(minimum, a < b || a != a ? a : b)
BACKWARD(minimum, a < b ? g : a == b ? g / 2 : 0, b < a ? g : a == b ? g / 2 : 0)
FORWARD(fmax, a > b || b != b ? a : b)
BACKWARD(fmax, a >= b || b != b ? g : 0, a >= b || b != b ? 0 : g)
FORWARD(fmin, a < b || b != b ? a : b)
BACKWARD(fmin, a <= b || b != b ? g : 0, a <= b || b != b ? 0 : g)

FORWARD(atan2, atan2(a, b))
BACKWARD(atan2, g * b / (a * a + b * b), -g * a / (a * a + b * b))

/* fmod (sign of a), remainder (sign of b) and floor division, computed in
 * the operands' own type so float32 and int64 match PyTorch exactly. An
 * integer divisor of 0 is refused before the kernel runs (LC_OP_INT_DIVISOR);
 * -1 is special-cased because INT64_MIN / -1 traps. */
static inline int64_t fmod_i(int64_t a, int64_t b) { return b == -1 ? 0 : a % b; }
static inline float fmod_f(float a, float b) { return fmodf(a, b); }
static inline double fmod_d(double a, double b) { return fmod(a, b); }
#define REMAINDER(S, T)                                          \
  static inline T remainder_##S(T a, T b) {                      \
    T m = fmod_##S(a, b);                                        \
    return m != 0 && ((m < 0) != (b < 0)) ? m + b : m;           \
  }
REMAINDER(i, int64_t)
REMAINDER(f, float)
REMAINDER(d, double)
static inline int64_t floor_divide_i(int64_t a, int64_t b) {
  if (b == -1) return (int64_t)(0 - (uint64_t)a); /* wraps as PyTorch's */
  int64_t q = a / b;
  return a % b != 0 && ((a < 0) != (b < 0)) ? q - 1 : q;
}
/* PyTorch's div_floor for floats: exact where floor(a / b) would round */
#define FLOOR_DIVIDE(S, T)                                       \
  static inline T floor_divide_##S(T a, T b) {                   \
    if (b == 0) return a / b;                                    \
    T m = fmod_##S(a, b), d = (a - m) / b;                       \
    if (m != 0 && ((b < 0) != (m < 0))) d -= 1;                  \
    if (d == 0) return copysign((T)0, a / b);                    \
    T f = floor(d);                                              \
    return d - f > (T)0.5 ? f + 1 : f;                           \
  }
FLOOR_DIVIDE(f, float)
FLOOR_DIVIDE(d, double)
#define TYPED(fn, v) _Generic((v), float: fn##_f, double: fn##_d, default: fn##_i)

FORWARD(fmod, TYPED(fmod, a)(a, b))
BACKWARD(fmod, g, -g * trunc(a / b))
FORWARD(remainder, TYPED(remainder, a)(a, b))
BACKWARD(remainder, g, -g * floor(a / b))
FORWARD(floor_divide, TYPED(floor_divide, a)(a, b))

FORWARD(hypot, hypot(a, b))
BACKWARD(hypot, g * a / hypot(a, b), g * b / hypot(a, b))
FORWARD(copysign, copysign(a, b))
BACKWARD(copysign, a == 0 ? 0 : g * copysign(a, b) / a, 0)
/* log(e^a + e^b) from the larger operand, so it cannot overflow */
FORWARD(logaddexp, isinf((double)a) && a == b ? a : fmax(a, b) + log1p(exp(-fabs(a - b))))
BACKWARD(logaddexp, g / (1 + exp(b - a)), g / (1 + exp(a - b)))
/* xlogy: 0 where a == 0 (unless b is NaN) */
FORWARD(xlogy, b != b ? b : a == 0 ? 0 : a * log(b))
BACKWARD(xlogy, a == 0 ? 0 : g * log(b), g * a / b)
/* lerp(end, weight): from the nearer end, as PyTorch */
FORWARD(lerp, p[0] < 0.5 ? a + p[0] * (b - a) : b - (b - a) * (1 - p[0]))
BACKWARD(lerp, g * (1 - p[0]), g * p[0])

/* ---- the table --------------------------------------------------------------- */

typedef struct {
  lc_op_info info;
  lc_kernel_fn forward, grad_a, grad_b; /* grads NULL: not differentiable */
} binary_row;

#define SAME LC_RULE_SAME
#define FLOAT LC_RULE_FLOAT
#define CMP LC_RULE_COMPARE
enum { INPLACE = LC_OP_INPLACE, DIVIDES = LC_OP_INT_DIVISOR, MEM = LC_OP_MEMORY_BOUND };

/* ROW(ENUM, name, rule, flags, test lo, test hi); CMP_ROW: not differentiable. */
#define ROW(E, op, rule, flags, lo, hi) \
  [LC_##E] = {{#op, 2, rule, flags, true, 0, {0}, {0}, {0}, {0}, lo, hi}, fwd_##op, bwd_a_##op, \
              bwd_b_##op}
#define ROWP(E, op, rule, flags, lo, hi, n, names, defaults, sample)                          \
  [LC_##E] = {{#op, 2, rule, flags, true, n, names, defaults, {0}, sample, lo, hi}, fwd_##op,  \
              bwd_a_##op, bwd_b_##op}
#define NOGRAD_ROW(E, op, rule, flags, lo, hi) \
  [LC_##E] = {{#op, 2, rule, flags, false, 0, {0}, {0}, {0}, {0}, lo, hi}, fwd_##op, NULL, NULL}
#define L(...) {__VA_ARGS__}
#define CMP_ROW(E, op) \
  [LC_##E] = {{#op, 2, CMP, INPLACE | MEM, false, 0, {0}, {0}, {0}, {0}, -1.5, 1.5}, fwd_##op, NULL, NULL}

static const binary_row rows[] = {
  ROW(ADD, add, SAME, INPLACE | MEM, -1.5, 2),
  ROW(SUB, sub, SAME, INPLACE | MEM, -1.5, 2),
  ROW(MUL, mul, SAME, INPLACE | MEM, -1.5, 2),
  ROW(DIV, div, FLOAT, INPLACE | MEM, 0.5, 2),
  ROW(POW, pow, SAME, INPLACE, 0.5, 2),
  CMP_ROW(EQ, eq), CMP_ROW(NE, ne), CMP_ROW(LT, lt),
  CMP_ROW(LE, le), CMP_ROW(GT, gt), CMP_ROW(GE, ge),
  ROW(MAXIMUM, maximum, SAME, MEM, -1.5, 1.5),
  ROW(MINIMUM, minimum, SAME, MEM, -1.5, 1.5),
  ROW(FMAX, fmax, SAME, MEM, -1.5, 1.5),
  ROW(FMIN, fmin, SAME, MEM, -1.5, 1.5),
  ROW(ATAN2, atan2, FLOAT, INPLACE, -1.5, 1.5),
  ROW(FMOD, fmod, SAME, INPLACE | DIVIDES, 0.5, 3),
  ROW(REMAINDER, remainder, SAME, INPLACE | DIVIDES, 0.5, 3),
  NOGRAD_ROW(FLOOR_DIVIDE, floor_divide, SAME, INPLACE | DIVIDES, 0.5, 3),
  ROW(HYPOT, hypot, FLOAT, INPLACE, 0.5, 2),
  ROW(COPYSIGN, copysign, FLOAT, INPLACE, -1.5, 1.5),
  ROW(LOGADDEXP, logaddexp, FLOAT, 0, -1.5, 1.5),
  ROW(XLOGY, xlogy, FLOAT, INPLACE, 0.5, 2),
  ROWP(LERP, lerp, FLOAT, INPLACE, -1.5, 1.5, 1, L("weight"), L(0.5), L(0.8)),
};
_Static_assert(sizeof rows / sizeof *rows == LC_BINARY_COUNT, "one row per lc_binary_op");

static char backward_names[LC_BINARY_COUNT][40];

__attribute__((constructor)) static void make_names(void) {
  for (int op = 0; op < LC_BINARY_COUNT; op++)
    lc_camel_name(backward_names[op], sizeof backward_names[op], rows[op].info.name, "Backward");
}

const lc_op_info *lc_binary_info(lc_binary_op op) {
  return op >= 0 && op < LC_BINARY_COUNT ? &rows[op].info : NULL;
}

const char *lc_binary_name(lc_binary_op op) { return rows[op].info.name; }

lc_kernel_fn lc_binary_kernel(lc_binary_op op) { return rows[op].forward; }

/* ---- forward and backward ------------------------------------------------------ */

/* One input's gradient: the row's expression at the broadcast shape, summed
 * back to the input's shape. add's and sub's dL/da is g itself: no pass. */
static lc_tensor *grad_of(lc_kernel_fn k, const double *p, lc_tensor *g, lc_tensor *a,
                          lc_tensor *b, const lc_tensor *input) {
  lc_tensor *full;
  if (k == bwd_a_add || k == bwd_b_add || k == bwd_a_sub) {
    full = lc_retain(g);
  } else {
    full = lc_empty_like_layout(g->dtype, g);
    if (!full) return NULL;
    lc_kctx c = {g->dtype, g->dtype, p, 0};
    lc_map(&c, k, full, 3, (lc_tensor *[]){g, a, b});
  }
  return lc_grad_to_shape(full, input->dtype, input->ndim, input->sizes);
}

static int binary_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const binary_row *r = &rows[n->ints[0]];
  double p[LC_OP_MAX_PARAMS];
  memcpy(p, &n->ints[1], sizeof p);
  lc_tensor *a = lc_node_saved(n, 0), *b = lc_node_saved(n, 1);
  if (!a || !b) return -1;
  bool ga = lc_node_needs_grad(n, 0), gb = lc_node_needs_grad(n, 1);
  if (ga) gin[0] = grad_of(r->grad_a, p, g[0], a, b, a);
  if (gb) gin[1] = grad_of(r->grad_b, p, g[0], a, b, b);
  return (ga && !gin[0]) || (gb && !gin[1]) ? -1 : 0;
}

/* An integer to a negative integer power is a fraction that int64 cannot
 * hold: PyTorch refuses it rather than truncating to 0. */
static bool negative_int_power(const lc_tensor *base, const lc_tensor *exp) {
  if (base->dtype != LC_INT64 || exp->dtype != LC_INT64) return false;
  int64_t n = lc_numel(exp);
  for (int64_t i = 0; i < n; i++)
    if (lc_get_int(exp, i) < 0) return true;
  return false;
}

int lc_check_divisor(const char *name, lc_binary_op op, const lc_tensor *b, lc_dtype dt) {
  if (!(rows[op].info.flags & LC_OP_INT_DIVISOR) || lc_dtype_is_float(dt)) return 0;
  int64_t n = lc_numel(b);
  for (int64_t i = 0; i < n; i++)
    if (lc_get(b, i) == 0) {
      lc_fail(LC_ERR_ARG, name, "integer division by zero");
      return -1;
    }
  return 0;
}

void lc_binary_params(lc_binary_op op, const double *params, double *p) {
  const lc_op_info *in = &rows[op].info;
  for (int k = 0; k < LC_OP_MAX_PARAMS; k++)
    p[k] = k < in->n_params ? (params ? params[k] : in->defaults[k]) : 0;
}

lc_tensor *lc_binary(lc_binary_op op, const lc_tensor *a, const lc_tensor *b) {
  return lc_binary_p(op, a, b, NULL);
}

lc_dtype lc_binary_compute_dtype(lc_binary_op op, const lc_tensor *a, const lc_tensor *b) {
  lc_dtype promoted = lc_result_type(a, b);
  if (promoted == LC_BOOL) promoted = LC_INT64; /* the kernels are numeric */
  lc_dtype_rule rule = rows[op].info.rule;
  return rule == LC_RULE_COMPARE ? promoted : lc_rule_dtype(rule, promoted);
}

lc_dtype lc_binary_result_dtype(lc_binary_op op, const lc_tensor *a, const lc_tensor *b) {
  if (rows[op].info.rule == LC_RULE_COMPARE) return lc_compare_dtype(lc_result_type(a, b));
  if (lc_result_type(a, b) == LC_BOOL && (op == LC_ADD || op == LC_MUL)) return LC_BOOL;
  return lc_binary_compute_dtype(op, a, b);
}

/* PyTorch has no subtraction or power of bools: ~x or logical_xor say
 * what is meant. */
static int check_bool_operands(lc_binary_op op, const lc_tensor *a, const lc_tensor *b) {
  if (op == LC_SUB && (a->dtype == LC_BOOL || b->dtype == LC_BOOL)) {
    lc_fail(LC_ERR_DTYPE, "sub", "subtraction with a bool tensor is not supported; use logical_xor or "
                 "logical_not");
    return -1;
  }
  if (op == LC_POW && a->dtype == LC_BOOL && b->dtype == LC_BOOL) {
    lc_fail(LC_ERR_DTYPE, "pow", "not supported for two bool tensors");
    return -1;
  }
  return 0;
}

lc_tensor *lc_binary_p(lc_binary_op op, const lc_tensor *a, const lc_tensor *b, const double *params) {
  const binary_row *r = &rows[op];
  double p[LC_OP_MAX_PARAMS];
  lc_binary_params(op, params, p);
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(r->info.name, a, b, shape);
  if (nd < 0) return NULL;
  if (check_bool_operands(op, a, b)) return NULL;
  if (op == LC_POW && negative_int_power(a, b)) {
    lc_fail(LC_ERR_ARG, "pow", "integers to negative integer powers are not allowed");
    return NULL;
  }
  lc_dtype dt = lc_binary_compute_dtype(op, a, b);
  lc_dtype out_dt = r->info.rule == LC_RULE_COMPARE ? lc_compare_dtype(dt) : dt;
  if (lc_check_divisor(r->info.name, op, b, dt)) return NULL;
  lc_tensor *ca = lc_to(a, dt), *cb = lc_to(b, dt);
  lc_tensor *out = NULL;
  if (ca && cb) {
    /* the output takes the layout of an operand of the full shape */
    const lc_tensor *ref = a->ndim == nd && !memcmp(a->sizes, shape, nd * sizeof *shape) ? ca
                         : b->ndim == nd && !memcmp(b->sizes, shape, nd * sizeof *shape) ? cb : NULL;
    out = ref ? lc_empty_like_layout(out_dt, ref) : lc_empty(out_dt, nd, shape);
  }
  if (out) {
    lc_kctx c = {dt, out_dt, p, lc_op_grain(r->info.flags)};
    lc_map(&c, r->forward, out, 2, (lc_tensor *[]){ca, cb});
    const lc_tensor *ins[2] = {ca, cb};
    if (r->grad_a && lc_dtype_is_float(dt) && lc_should_record(2, ins)) {
      lc_node *n = lc_record(backward_names[op], binary_backward, out, 2, ins);
      if (!n || lc_node_save(n, ca) || lc_node_save(n, cb)) {
        lc_release(out);
        out = NULL;
      } else {
        n->ints[0] = op;
        memcpy(&n->ints[1], p, sizeof p);
      }
    }
  }
  lc_release(ca);
  lc_release(cb);
  lc_dtype rt = lc_binary_result_dtype(op, a, b); /* bool + bool: or */
  if (out && out->dtype != rt) {
    lc_tensor *c = lc_to(out, rt);
    lc_release(out);
    out = c;
  }
  return out;
}

/* The scalar takes a's dtype, as PyTorch's Python scalars (lc_scalar_dtype). */
lc_tensor *lc_binary_scalar(lc_binary_op op, const lc_tensor *a, double s, bool scalar_first) {
  return lc_binary_scalar_p(op, a, s, scalar_first, NULL);
}

lc_tensor *lc_binary_scalar_p(lc_binary_op op, const lc_tensor *a, double s, bool scalar_first,
                              const double *params) {
  lc_tensor *st = lc_scalar(lc_scalar_dtype(a->dtype, s != floor(s)), s);
  if (!st) return NULL;
  lc_tensor *r = scalar_first ? lc_binary_p(op, st, a, params) : lc_binary_p(op, a, st, params);
  lc_release(st);
  return r;
}

/* ---- ternary compositions ------------------------------------------------------ */

/* addcmul: a + value * t1 * t2; addcdiv: a + value * t1 / t2 (broadcasting,
 * autograd through the binary ops). The in-place forms add into a through
 * lc_binary_, with its checks. */
static lc_tensor *scaled(lc_binary_op op, const lc_tensor *t1, const lc_tensor *t2, double value) {
  if (op == LC_DIV && !lc_dtype_is_float(t1->dtype) && !lc_dtype_is_float(t2->dtype)) {
    /* as PyTorch: integer division here would be ambiguous */
    lc_fail(LC_ERR_ARG, "addcdiv", "integer division of tensors is not supported; make tensor1 or tensor2 float");
    return NULL;
  }
  lc_tensor *m = lc_binary(op, t1, t2);
  if (!m || value == 1) return m;
  lc_tensor *s = lc_binary_scalar(LC_MUL, m, value, false);
  lc_release(m);
  return s;
}

lc_tensor *lc_addc(bool div, const lc_tensor *a, const lc_tensor *t1, const lc_tensor *t2,
                   double value) {
  lc_tensor *s = scaled(div ? LC_DIV : LC_MUL, t1, t2, value);
  lc_tensor *r = s ? lc_binary(LC_ADD, a, s) : NULL;
  lc_release(s);
  return r;
}

int lc_addc_(bool div, lc_tensor *a, const lc_tensor *t1, const lc_tensor *t2, double value) {
  lc_tensor *s = scaled(div ? LC_DIV : LC_MUL, t1, t2, value);
  int rc = s ? lc_binary_(LC_ADD, a, s) : -1;
  lc_release(s);
  return rc;
}
