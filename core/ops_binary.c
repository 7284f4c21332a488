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

#define FORWARD(op, expr)                                                                  \
  LC_CLONES static void fwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    LC_DISPATCH(c->dt, T, {                                                                \
      T *o = out;                                                                          \
      const T *as = in[0], *bs = in[1];                                                    \
      for (int64_t i = 0; i < n; i++) {                                                    \
        const T a = as[i], b = bs[i];                                                      \
        o[i] = (T)(expr);                                                                  \
      }                                                                                    \
    });                                                                                    \
  }

/* A comparison: inputs of type T, a 1/0 result of the output dtype O. */
#define COMPARE(op, expr)                                                                  \
  LC_CLONES static void fwd_##op(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    LC_DISPATCH(c->dt, T, {                                                                \
      const T *as = in[0], *bs = in[1];                                                    \
      LC_DISPATCH(c->out_dt, O, {                                                          \
        O *o = out;                                                                        \
        for (int64_t i = 0; i < n; i++) {                                                  \
          const T a = as[i], b = bs[i];                                                    \
          o[i] = (O)(expr);                                                                \
        }                                                                                  \
      });                                                                                  \
    });                                                                                    \
  }

#define GRAD_KERNEL(name, expr)                                                            \
  LC_CLONES static void name(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    LC_DISPATCH(c->dt, T, {                                                                \
      T *o = out;                                                                          \
      const T *gs = in[0], *as = in[1], *bs = in[2];                                       \
      for (int64_t i = 0; i < n; i++) {                                                    \
        const T g = gs[i], a = as[i], b = bs[i];                                           \
        (void)a, (void)b;                                                                  \
        o[i] = (T)(expr);                                                                  \
      }                                                                                    \
    });                                                                                    \
  }
#define BACKWARD(op, da, db) GRAD_KERNEL(bwd_a_##op, da) GRAD_KERNEL(bwd_b_##op, db)

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

/* ---- the table --------------------------------------------------------------- */

typedef struct {
  lc_op_info info;
  lc_kernel_fn forward, grad_a, grad_b; /* grads NULL: not differentiable */
} binary_row;

#define SAME LC_RULE_SAME
#define FLOAT LC_RULE_FLOAT
#define CMP LC_RULE_COMPARE
enum { INPLACE = LC_OP_INPLACE };

/* ROW(ENUM, name, rule, flags, test lo, test hi); CMP_ROW: not differentiable. */
#define ROW(E, op, rule, flags, lo, hi) \
  [LC_##E] = {{#op, 2, rule, flags, true, 0, {0}, {0}, {0}, {0}, lo, hi}, fwd_##op, bwd_a_##op, bwd_b_##op}
#define CMP_ROW(E, op) \
  [LC_##E] = {{#op, 2, CMP, INPLACE, false, 0, {0}, {0}, {0}, {0}, -1.5, 1.5}, fwd_##op, NULL, NULL}

static const binary_row rows[] = {
  ROW(ADD, add, SAME, INPLACE, -1.5, 2),
  ROW(SUB, sub, SAME, INPLACE, -1.5, 2),
  ROW(MUL, mul, SAME, INPLACE, -1.5, 2),
  ROW(DIV, div, FLOAT, INPLACE, 0.5, 2),
  ROW(POW, pow, SAME, INPLACE, 0.5, 2),
  CMP_ROW(EQ, eq), CMP_ROW(NE, ne), CMP_ROW(LT, lt),
  CMP_ROW(LE, le), CMP_ROW(GT, gt), CMP_ROW(GE, ge),
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
static lc_tensor *grad_of(lc_node *n, lc_kernel_fn k, lc_tensor *g, lc_tensor *a, lc_tensor *b,
                          const lc_tensor *input) {
  lc_tensor *full;
  if (k == bwd_a_add || k == bwd_b_add || k == bwd_a_sub) {
    full = lc_retain(g);
  } else {
    full = lc_empty_like_layout(g->dtype, g);
    if (!full) return NULL;
    lc_kctx c = {g->dtype, g->dtype, NULL};
    lc_map(&c, k, full, 3, (lc_tensor *[]){g, a, b});
  }
  return lc_grad_to_shape(full, input->dtype, input->ndim, input->sizes);
}

static int binary_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const binary_row *r = &rows[n->ints[0]];
  lc_tensor *a = lc_node_saved(n, 0), *b = lc_node_saved(n, 1);
  if (!a || !b) return -1;
  bool ga = lc_node_needs_grad(n, 0), gb = lc_node_needs_grad(n, 1);
  if (ga) gin[0] = grad_of(n, r->grad_a, g[0], a, b, a);
  if (gb) gin[1] = grad_of(n, r->grad_b, g[0], a, b, b);
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

lc_tensor *lc_binary(lc_binary_op op, const lc_tensor *a, const lc_tensor *b) {
  const binary_row *r = &rows[op];
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(r->info.name, a, b, shape);
  if (nd < 0) return NULL;
  if (op == LC_POW && negative_int_power(a, b)) {
    lc_set_error("pow: integers to negative integer powers are not allowed");
    return NULL;
  }
  lc_dtype promoted = lc_result_type(a, b);
  lc_dtype dt = r->info.rule == LC_RULE_COMPARE ? promoted : lc_rule_dtype(r->info.rule, promoted);
  lc_dtype out_dt = lc_rule_dtype(r->info.rule, promoted);
  lc_tensor *ca = lc_to(a, dt), *cb = lc_to(b, dt);
  lc_tensor *out = NULL;
  if (ca && cb) {
    /* the output takes the layout of an operand of the full shape */
    const lc_tensor *ref = a->ndim == nd && !memcmp(a->sizes, shape, nd * sizeof *shape) ? ca
                         : b->ndim == nd && !memcmp(b->sizes, shape, nd * sizeof *shape) ? cb : NULL;
    out = ref ? lc_empty_like_layout(out_dt, ref) : lc_empty(out_dt, nd, shape);
  }
  if (out) {
    lc_kctx c = {dt, out_dt, NULL};
    lc_map(&c, r->forward, out, 2, (lc_tensor *[]){ca, cb});
    const lc_tensor *ins[2] = {ca, cb};
    if (r->grad_a && lc_dtype_is_float(dt) && lc_should_record(2, ins)) {
      lc_node *n = lc_record(backward_names[op], binary_backward, out, 2, ins);
      if (!n || lc_node_save(n, ca) || lc_node_save(n, cb)) {
        lc_release(out);
        out = NULL;
      } else {
        n->ints[0] = op;
      }
    }
  }
  lc_release(ca);
  lc_release(cb);
  return out;
}

/* The scalar takes a's dtype, except that a non-integral s with an int64
 * tensor gives float32. */
lc_tensor *lc_binary_scalar(lc_binary_op op, const lc_tensor *a, double s, bool scalar_first) {
  lc_dtype dt = !lc_dtype_is_float(a->dtype) && s != floor(s) ? LC_FLOAT32 : a->dtype;
  lc_tensor *st = lc_scalar(dt, s);
  if (!st) return NULL;
  lc_tensor *r = scalar_first ? lc_binary(op, st, a) : lc_binary(op, a, st);
  lc_release(st);
  return r;
}
