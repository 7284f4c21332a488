/* ops_ternary.c: elementwise ops of three tensor operands, broadcast together
 * (NumPy rules) and computed in one pass of lc_map. One row per op (at the
 * end of the file), its kernels one expression each, as in ops_binary.c:
 *
 *   lerp(a, b, w)       y = a + w (b - a)               (lerp with a tensor weight)
 *   clamp(x, lo, hi)    y = min(max(x, lo), hi)          (clamp with tensor bounds)
 *
 * Shapes: a, b and c broadcast to y's shape; each operand's gradient is its
 * row expression of (g, a, b, c) at y's shape, summed back to its own shape.
 * clamp's bounds may be absent (NULL): p[k] says whether operand k + 1 was
 * given, and an absent one is a 0-dim placeholder the kernels do not read. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tgmath.h>

#include "lc_internal.h"

#define FORWARD(op, expr) LC_KERNEL3(fwd_##op, a, b, c, expr)
#define GRAD(op, k, expr) LC_KERNEL4(bwd_##k##_##op, g, a, b, c, expr)

/* ---- lerp: a = start, b = end, c = weight ---------------------------------------- */
/* x when first, else y, by bits: a choice GCC vectorises. As a ?: of two
 * doubles it sank each operand's arithmetic into its own branch and then
 * could not vectorise the loop (floating-point exceptions are observable,
 * -ftrapping-math, so it may not compute both). */
static inline double pick(bool first, double x, double y) {
  uint64_t ux, uy, m = (uint64_t)0 - (uint64_t)first;
  memcpy(&ux, &x, sizeof ux);
  memcpy(&uy, &y, sizeof uy);
  ux = (ux & m) | (uy & ~m);
  memcpy(&x, &ux, sizeof x);
  return x;
}

/* From the nearer end, as PyTorch's kernel, which fuses the multiply-add:
 * float32's product is exact in double and the sum rounds once, so results
 * are PyTorch's to the bit but for rare double roundings, without fma()
 * (a libm call per element on CPUs that lack the instruction). Both ends'
 * values are computed and one picked: as a branch, the loop stayed scalar
 * and random weights mispredicted it (10x the time of x + w * (y - x)). */
#define FROM(end, t) ((double)(t) * (double)(b - a) + (end))
FORWARD(lerp, pick(c < 0.5, FROM(a, c), FROM(b, c - 1)))
#undef FROM
GRAD(lerp, 0, g * (1 - c))
GRAD(lerp, 1, g * c)
GRAD(lerp, 2, g * (b - a))

/* ---- clamp: a = x, b = min, c = max ----------------------------------------------------
 * NaN in any operand gives NaN; min > max gives max (PyTorch's rules). The
 * gradient goes to x where it is within its bounds, to min where x is
 * below it (and min < max), to max where x is above it or max < min: each
 * element's gradient goes to the operand whose value it took, ties to x. */
#define LO (p[0] != 0)
#define HI (p[1] != 0)
#define RAISED (LO && a < b ? b : a)
FORWARD(clamp, a != a ? a : LO && b != b ? b : HI && c != c ? c : HI && RAISED > c ? c : RAISED)
GRAD(clamp, 0, (!LO || a >= b) && (!HI || a <= c) ? g : 0)
GRAD(clamp, 1, a < b && (!HI || b < c) ? g : 0)
GRAD(clamp, 2, a > c || (LO && c < b) ? g : 0)
#undef LO
#undef HI
#undef RAISED

/* ---- the table ---------------------------------------------------------------------- */

typedef struct {
  const char *name, *node;
  lc_dtype_rule rule;
  bool optional;                 /* operands 2 and 3 may be absent */
  lc_kernel_fn forward, grad[3];
} ternary_row;

#define ROW(E, op, Node, rule, optional) \
  [LC_TER_##E] = {#op, Node, rule, optional, fwd_##op, {bwd_0_##op, bwd_1_##op, bwd_2_##op}}

static const ternary_row rows[] = {
  ROW(LERP, lerp, "LerpBackward", LC_RULE_FLOAT, false),
  ROW(CLAMP, clamp, "ClampBackward", LC_RULE_SAME, true),
};
_Static_assert(sizeof rows / sizeof *rows == LC_TERNARY_COUNT, "one row per lc_ternary_op");

const char *lc_ternary_name(lc_ternary_op op) { return rows[op].name; }

/* ---- forward and backward ------------------------------------------------------------ */

/* Saved: the three operands as computed (converted; placeholders included).
 * ints: the op, then which operands were given (the kernels' p). */
static int ternary_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const ternary_row *r = &rows[n->ints[0]];
  double p[LC_OP_MAX_PARAMS] = {(double)n->ints[1], (double)n->ints[2]};
  lc_tensor *x[3];
  for (int k = 0; k < 3; k++)
    if (!(x[k] = lc_node_saved(n, k))) return -1;
  for (int k = 0; k < 3; k++) {
    if (!lc_node_needs_grad(n, k)) continue;
    lc_tensor *full = lc_empty_like_layout(g[0]->dtype, g[0]);
    if (!full) return -1;
    lc_kctx c = {g[0]->dtype, g[0]->dtype, p, 0}; /* 0: the default grain */
    lc_map(&c, r->grad[k], full, 4, (lc_tensor *[]){g[0], x[0], x[1], x[2]});
    if (!(gin[k] = lc_grad_to_shape(full, x[k]->dtype, x[k]->ndim, x[k]->sizes))) return -1;
  }
  return 0;
}

/* The broadcast shape of the given operands into shape; its ndim or -1. */
static int common_shape(const char *name, const lc_tensor *const *ops, int64_t *shape) {
  lc_tensor acc = {.ndim = 0};
  for (int k = 0; k < 3; k++) {
    if (!ops[k]) continue;
    int64_t s[LC_MAX_DIMS];
    int nd = lc_broadcast_shape(name, &acc, ops[k], s);
    if (nd < 0) return -1;
    acc.ndim = nd;
    memcpy(acc.sizes, s, nd * sizeof *s);
  }
  memcpy(shape, acc.sizes, acc.ndim * sizeof *shape);
  return acc.ndim;
}

static int check_operands(const ternary_row *r, const lc_tensor *const *ops) {
  if (!ops[0] || (!r->optional && (!ops[1] || !ops[2]))) {
    lc_fail(LC_ERR_ARG, r->name, "the tensor operands must not be NULL");
    return -1;
  }
  for (int k = 0; k < 3; k++)
    if (ops[k] && ops[k]->dtype == LC_BOOL) { /* as PyTorch: no kernel for bools */
      lc_fail(LC_ERR_DTYPE, r->name, "bool tensors are not supported, got a bool operand %d", k + 1);
      return -1;
    }
  return 0;
}

lc_dtype lc_ternary_dtype(lc_ternary_op op, const lc_tensor *a, const lc_tensor *b,
                          const lc_tensor *c) {
  return lc_rule_dtype(rows[op].rule, lc_result_type_n(3, (const lc_tensor *[]){a, b, c}));
}

lc_tensor *lc_ternary(lc_ternary_op op, const lc_tensor *a, const lc_tensor *b, const lc_tensor *c) {
  const ternary_row *r = &rows[op];
  const lc_tensor *ops[3] = {a, b, c};
  if (check_operands(r, ops)) return NULL;
  int64_t shape[LC_MAX_DIMS];
  int nd = common_shape(r->name, ops, shape);
  if (nd < 0) return NULL;
  lc_dtype dt = lc_ternary_dtype(op, a, b, c);
  double p[LC_OP_MAX_PARAMS] = {b != NULL, c != NULL};
  lc_tensor *x[3] = {NULL, NULL, NULL}, *out = NULL;
  bool ok = true;
  for (int k = 0; k < 3 && ok; k++) ok = (x[k] = ops[k] ? lc_to(ops[k], dt) : lc_scalar(dt, 0)) != NULL;
  if (ok) {
    /* laid out like an operand of the full shape, so transposed operands
     * are walked in memory order */
    const lc_tensor *ref = NULL;
    for (int k = 0; k < 3 && !ref; k++)
      if (ops[k] && x[k]->ndim == nd && !memcmp(x[k]->sizes, shape, nd * sizeof *shape)) ref = x[k];
    out = ref ? lc_empty_like_layout(dt, ref) : lc_empty(dt, nd, shape);
  }
  if (out) {
    lc_kctx ctx = {dt, dt, p, 0};
    lc_map(&ctx, r->forward, out, 3, x);
    const lc_tensor *ins[3] = {x[0], x[1], x[2]};
    if (lc_dtype_is_float(dt) && lc_should_record(3, ins)) {
      lc_node *n = lc_record(r->node, ternary_backward, out, 3, ins);
      bool saved = n != NULL;
      for (int k = 0; k < 3 && saved; k++) saved = !lc_node_save(n, x[k]);
      if (saved) {
        n->ints[0] = op;
        n->ints[1] = b != NULL;
        n->ints[2] = c != NULL;
      } else {
        lc_release(out);
        out = NULL;
      }
    }
  }
  for (int k = 0; k < 3; k++) lc_release(x[k]);
  return out;
}

typedef struct {
  lc_ternary_op op;
  const lc_tensor *b, *c;
} ternary_call;

static lc_tensor *ternary_of_copy(const lc_tensor *copy, void *ctx) {
  const ternary_call *t = ctx;
  return lc_ternary(t->op, copy, t->b, t->c);
}

/* In place: a takes the result, which must have a's shape and fit its dtype
 * (PyTorch's rules), through lc_inplace_from. */
int lc_ternary_(lc_ternary_op op, lc_tensor *a, const lc_tensor *b, const lc_tensor *c) {
  char name[48];
  snprintf(name, sizeof name, "%s_", rows[op].name);
  const lc_tensor *ops[3] = {a, b, c};
  if (check_operands(&rows[op], ops)) return -1;
  for (int k = 1; k < 3; k++)
    if (ops[k] && (lc_check_inplace(name, a, ops[k]) || lc_check_overlap(name, a, ops[k]))) return -1;
  if (!b && !c && lc_check_inplace(name, a, NULL)) return -1;
  if (lc_check_result_fits(name, lc_ternary_dtype(op, a, b, c), a)) return -1;
  int64_t shape[LC_MAX_DIMS];
  int nd = common_shape(name, ops, shape);
  if (nd < 0) return -1;
  if (nd != a->ndim || memcmp(shape, a->sizes, nd * sizeof *shape)) {
    char x[128], y[128];
    lc_fail(LC_ERR_SHAPE, name, "output with shape %s doesn't match the broadcast shape %s",
                 lc_shape_str(x, a->ndim, a->sizes), lc_shape_str(y, nd, shape));
    return -1;
  }
  ternary_call call = {op, b, c};
  return lc_inplace_from(a, ternary_of_copy, &call);
}
