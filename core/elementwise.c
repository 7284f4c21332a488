/* elementwise.c: unary and binary ops with broadcasting, in-place variants,
 * copy and fill. Each op's backward follows its forward.
 *
 * Kernels run on contiguous blocks: a strided operand is gathered into a
 * small buffer first, so every arithmetic loop is a plain vectorisable one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "lc_internal.h"

#define BLOCK 256

static const char *const unary_names[] = {"neg", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "sin", "cos"};
static const char *const binary_names[] = {"add", "sub", "mul", "div", "pow", "eq",
                                           "ne",  "lt",  "le",  "gt",  "ge"};
/* In-place errors name the function the user called (add_, not add). */
static const char *const inplace_names[] = {"add_", "sub_", "mul_", "div_", "pow_", "eq_",
                                            "ne_",  "lt_",  "le_",  "gt_",  "ge_"};

const char *lc_unary_name(lc_unary_op op) { return unary_names[op]; }
const char *lc_binary_name(lc_binary_op op) { return binary_names[op]; }

/* ---- helpers that consume their tensor arguments (for backward formulas) - */

static lc_tensor *take2(lc_binary_op op, lc_tensor *a, lc_tensor *b) {
  lc_tensor *r = a && b ? lc_binary(op, a, b) : NULL;
  lc_release(a);
  lc_release(b);
  return r;
}

static lc_tensor *take_s(lc_binary_op op, lc_tensor *a, double s) {
  lc_tensor *r = a ? lc_binary_scalar(op, a, s, false) : NULL;
  lc_release(a);
  return r;
}

static lc_tensor *take_u(lc_unary_op op, lc_tensor *a) {
  lc_tensor *r = a ? lc_unary(op, a) : NULL;
  lc_release(a);
  return r;
}

/* Gradient g (taken over) of a broadcast result, summed back to an input's
 * shape and converted to its dtype. */
static lc_tensor *reduce_to_shape(lc_tensor *g, lc_dtype dt, int ndim, const int64_t *sizes) {
  if (!g) return NULL;
  lc_tensor *s = lc_sum_to(g, ndim, sizes);
  lc_release(g);
  if (!s || s->dtype == dt) return s;
  lc_tensor *c = lc_to(s, dt);
  lc_release(s);
  return c;
}

static lc_tensor *reduce_to(lc_tensor *g, const lc_tensor *t) {
  return reduce_to_shape(g, t->dtype, t->ndim, t->sizes);
}

#define R lc_retain /* a new reference to a borrowed tensor, for take2 */

/* ---- broadcasting -------------------------------------------------------- */

int lc_broadcast_shape(const char *op, const lc_tensor *a, const lc_tensor *b, int64_t *out) {
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int i = 0; i < nd; i++) {
    int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
    int64_t sa = ia >= 0 ? a->sizes[ia] : 1, sb = ib >= 0 ? b->sizes[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      char x[128], y[128];
      lc_set_error("%s: shapes %s and %s cannot be broadcast (dim %d: %lld vs %lld)", op,
                   lc_shape_str(x, a->ndim, a->sizes), lc_shape_str(y, b->ndim, b->sizes), i + 1,
                   (long long)sa, (long long)sb);
      return -1;
    }
    out[i] = sa == 1 ? sb : sa;
  }
  return nd;
}

lc_tensor *lc_sum_to(const lc_tensor *t, int ndim, const int64_t *sizes) {
  lc_tensor *r = lc_retain((lc_tensor *)t);
  while (r && r->ndim > ndim) {
    lc_tensor *s = lc_sum(r, 0, false);
    lc_release(r);
    r = s;
  }
  for (int i = 0; r && i < ndim; i++) {
    if (sizes[i] == 1 && r->sizes[i] != 1) {
      lc_tensor *s = lc_sum(r, i, true);
      lc_release(r);
      r = s;
    }
  }
  return r;
}

/* ---- gather / scatter for strided operands ------------------------------ */

static const void *gather(void *buf, const char *p, int64_t stride, int64_t n, size_t es) {
  if (stride == 1) return p;
  if (es == 4) {
    const float *s = (const float *)p;
    float *d = buf;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * stride];
  } else {
    const double *s = (const double *)p; /* 8-byte elements: double or int64 bits */
    double *d = buf;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * stride];
  }
  return buf;
}

static void scatter(char *p, int64_t stride, const void *buf, int64_t n, size_t es) {
  if (es == 4) {
    float *d = (float *)p;
    const float *s = buf;
    for (int64_t i = 0; i < n; i++) d[i * stride] = s[i];
  } else {
    double *d = (double *)p;
    const double *s = buf;
    for (int64_t i = 0; i < n; i++) d[i * stride] = s[i];
  }
}

/* ---- unary --------------------------------------------------------------- */

typedef struct {
  int op;
  lc_dtype dtype;
  double lo, hi; /* clamp */
} unary_ctx;

#define LC_CLAMP LC_UNARY_COUNT /* clamp shares the unary machinery */

LC_CLONES static void unary_block(const unary_ctx *c, int64_t n, void *out, const void *in) {
  if (c->dtype == LC_FLOAT32) { /* the vectorised versions (vmath.c) */
    if (c->op == LC_EXP) return lc_vexp_f32(n, in, out);
    if (c->op == LC_TANH) return lc_vtanh_f32(n, in, out);
    if (c->op == LC_SIGMOID) return lc_vsigmoid_f32(n, in, out);
  }
  LC_DISPATCH(c->dtype, T, {
    T *o = out;
    const T *a = in;
    switch (c->op) {
    case LC_NEG: for (int64_t i = 0; i < n; i++) o[i] = -a[i]; break;
    case LC_EXP: for (int64_t i = 0; i < n; i++) o[i] = exp(a[i]); break;
    case LC_LOG: for (int64_t i = 0; i < n; i++) o[i] = log(a[i]); break;
    case LC_TANH: for (int64_t i = 0; i < n; i++) o[i] = tanh(a[i]); break;
    case LC_SIGMOID: for (int64_t i = 0; i < n; i++) o[i] = 1 / (1 + exp(-a[i])); break;
    case LC_RELU: for (int64_t i = 0; i < n; i++) o[i] = a[i] < 0 ? 0 : a[i]; break;
    case LC_SQRT: for (int64_t i = 0; i < n; i++) o[i] = sqrt(a[i]); break;
    case LC_ABS: for (int64_t i = 0; i < n; i++) o[i] = a[i] < 0 ? -a[i] : a[i]; break;
    case LC_SIN: for (int64_t i = 0; i < n; i++) o[i] = sin(a[i]); break;
    case LC_COS: for (int64_t i = 0; i < n; i++) o[i] = cos(a[i]); break;
    case LC_CLAMP: {
      T lo = (T)fmax(c->lo, -1e308), hi = (T)fmin(c->hi, 1e308);
      if (c->dtype == LC_INT64) { /* keep infinite bounds from overflowing the cast */
        lo = c->lo < -9.2e18 ? (T)INT64_MIN : lo;
        hi = c->hi > 9.2e18 ? (T)INT64_MAX : hi;
      }
      for (int64_t i = 0; i < n; i++) o[i] = a[i] < lo ? lo : a[i] > hi ? hi : a[i];
      break;
    }
    }
  });
}

static void unary_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const unary_ctx *c = ctx;
  size_t es = lc_dtype_size(c->dtype);
  if (s[0] == 1 && s[1] == 1) {
    unary_block(c, n, d[0], d[1]);
    return;
  }
  _Alignas(64) double bo[BLOCK], ba[BLOCK];
  for (int64_t base = 0; base < n; base += BLOCK) {
    int64_t m = n - base < BLOCK ? n - base : BLOCK;
    const void *a = gather(ba, d[1] + base * s[1] * (int64_t)es, s[1], m, es);
    void *o = s[0] == 1 ? (void *)(d[0] + base * (int64_t)es) : bo;
    unary_block(c, m, o, a);
    if (s[0] != 1) scatter(d[0] + base * s[0] * (int64_t)es, s[0], bo, m, es);
  }
}

static lc_tensor *unary_forward(const unary_ctx *c, const lc_tensor *a) {
  lc_tensor *out = lc_empty_like_layout(c->dtype, a);
  if (!out) return NULL;
  lc_tensor *ops[2] = {out, (lc_tensor *)a};
  lc_iter it;
  lc_iter_init(&it, a->ndim, a->sizes, 2, ops);
  lc_iter_run(&it, unary_loop, (void *)c);
  return out;
}

static int unary_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *x = lc_node_saved(n, 0); /* input, or output where noted */
  if (!x) return -1;
  lc_tensor *G = g[0];
  switch (n->ints[0]) {
  case LC_NEG: gin[0] = lc_unary(LC_NEG, G); break;
  case LC_EXP: gin[0] = lc_binary(LC_MUL, G, x); break;           /* x = exp(a) */
  case LC_LOG: gin[0] = lc_binary(LC_DIV, G, x); break;
  case LC_TANH:                                                    /* x = tanh(a) */
    gin[0] = take2(LC_MUL, R(G), take_s(LC_SUB, lc_binary(LC_MUL, x, x), 1));
    gin[0] = take_u(LC_NEG, gin[0]);
    break;
  case LC_SIGMOID:                                                 /* x = sigmoid(a) */
    gin[0] = take2(LC_MUL, lc_binary(LC_MUL, G, x), lc_binary_scalar(LC_SUB, x, 1, true));
    break;
  case LC_RELU:                                                    /* x = relu(a) */
    gin[0] = take2(LC_MUL, R(G), lc_binary_scalar(LC_GT, x, 0, false));
    break;
  case LC_SQRT:                                                    /* x = sqrt(a) */
    gin[0] = take2(LC_DIV, R(G), lc_binary_scalar(LC_MUL, x, 2, false));
    break;
  case LC_ABS:
    gin[0] = take2(LC_SUB, take2(LC_MUL, R(G), lc_binary_scalar(LC_GT, x, 0, false)),
                   take2(LC_MUL, R(G), lc_binary_scalar(LC_LT, x, 0, false)));
    break;
  case LC_SIN: gin[0] = take2(LC_MUL, R(G), lc_unary(LC_COS, x)); break;
  case LC_COS: gin[0] = take_u(LC_NEG, take2(LC_MUL, R(G), lc_unary(LC_SIN, x))); break;
  case LC_CLAMP:
    gin[0] = take2(LC_MUL, R(G), take2(LC_MUL, lc_binary_scalar(LC_GE, x, n->scalar[0], false),
                                       lc_binary_scalar(LC_LE, x, n->scalar[1], false)));
    break;
  }
  return gin[0] ? 0 : -1;
}

/* Which ops' backward wants the output rather than the input. */
static bool saves_output(int op) {
  return op == LC_EXP || op == LC_TANH || op == LC_SIGMOID || op == LC_RELU || op == LC_SQRT;
}

static lc_tensor *unary_op(int op, const lc_tensor *a, double lo, double hi) {
  /* Transcendental ops on integers compute in float32, as PyTorch does. */
  bool float_only = op == LC_EXP || op == LC_LOG || op == LC_TANH || op == LC_SIGMOID ||
                    op == LC_SQRT || op == LC_SIN || op == LC_COS;
  if (a->dtype == LC_BOOL && !float_only && op != LC_CLAMP) { /* as PyTorch */
    lc_set_error("%s: not supported for bool tensors%s", lc_unary_name(op),
                 op == LC_NEG ? "; use logical_not" : "");
    return NULL;
  }
  /* bool computes as int64 (clamp), or float32 for the float-only ops */
  lc_dtype dt = a->dtype == LC_BOOL ? LC_INT64 : a->dtype;
  if (float_only && dt == LC_INT64) dt = LC_FLOAT32;
  lc_tensor *in = lc_to(a, dt);
  if (!in) return NULL;
  unary_ctx c = {op, in->dtype, lo, hi};
  lc_tensor *out = unary_forward(&c, in);
  if (out && lc_dtype_is_float(out->dtype) && lc_should_record(1, (const lc_tensor **)&in)) {
    static const char *const names[] = {"NegBackward",     "ExpBackward",  "LogBackward",
                                        "TanhBackward",    "SigmoidBackward", "ReluBackward",
                                        "SqrtBackward",    "AbsBackward",  "SinBackward",
                                        "CosBackward",     "ClampBackward"};
    lc_node *n = lc_record(names[op], unary_backward, out, 1, (const lc_tensor **)&in);
    if (!n || lc_node_save(n, saves_output(op) ? out : in)) {
      lc_release(out);
      out = NULL;
    } else {
      n->ints[0] = op;
      n->scalar[0] = lo;
      n->scalar[1] = hi;
    }
  }
  lc_release(in);
  return out;
}

lc_tensor *lc_unary(lc_unary_op op, const lc_tensor *a) { return unary_op(op, a, 0, 0); }

lc_tensor *lc_clamp(const lc_tensor *a, double lo, double hi) {
  if (isnan(lo) || isnan(hi)) {
    lc_set_error("clamp: bounds must not be NaN");
    return NULL;
  }
  return unary_op(LC_CLAMP, a, lo, hi);
}

/* ---- binary -------------------------------------------------------------- */

typedef struct {
  int op;
  lc_dtype dtype;   /* the operands' (compute) dtype */
  bool bool_out;    /* comparisons: the output is bool, written from 0/1 blocks */
} binary_ctx;

LC_CLONES static void binary_block(const binary_ctx *c, int64_t n, void *out, const void *pa,
                         const void *pb) {
  LC_DISPATCH(c->dtype, T, {
    T *o = out;
    const T *a = pa, *b = pb;
    switch (c->op) {
    case LC_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i]; break;
    case LC_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - b[i]; break;
    case LC_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * b[i]; break;
    case LC_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / b[i]; break;
    case LC_POW: for (int64_t i = 0; i < n; i++) o[i] = (T)pow(a[i], b[i]); break;
    case LC_EQ: for (int64_t i = 0; i < n; i++) o[i] = a[i] == b[i]; break;
    case LC_NE: for (int64_t i = 0; i < n; i++) o[i] = a[i] != b[i]; break;
    case LC_LT: for (int64_t i = 0; i < n; i++) o[i] = a[i] < b[i]; break;
    case LC_LE: for (int64_t i = 0; i < n; i++) o[i] = a[i] <= b[i]; break;
    case LC_GT: for (int64_t i = 0; i < n; i++) o[i] = a[i] > b[i]; break;
    case LC_GE: for (int64_t i = 0; i < n; i++) o[i] = a[i] >= b[i]; break;
    }
  });
}

/* A broadcast scalar (stride 0) operand is spread into a block once. */
static const void *spread(void *buf, const char *p, int64_t n, size_t es) {
  if (es == 4) {
    float v = *(const float *)p, *d = buf;
    for (int64_t i = 0; i < n; i++) d[i] = v;
  } else {
    double v = *(const double *)p, *d = buf;
    for (int64_t i = 0; i < n; i++) d[i] = v;
  }
  return buf;
}

/* A block of 0/1 values of es bytes each (a comparison's results: 0 has
 * no bits set) stored as bools. */
static void store_bool(char *p, int64_t stride, const void *buf, int64_t n, size_t es) {
  bool *d = (bool *)p;
  if (es == 4) {
    const uint32_t *v = buf;
    for (int64_t i = 0; i < n; i++) d[i * stride] = v[i] != 0;
  } else {
    const uint64_t *v = buf;
    for (int64_t i = 0; i < n; i++) d[i * stride] = v[i] != 0;
  }
}

static void binary_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const binary_ctx *c = ctx;
  size_t es = lc_dtype_size(c->dtype);
  if (s[0] == 1 && s[1] == 1 && s[2] == 1 && !c->bool_out) {
    binary_block(c, n, d[0], d[1], d[2]);
    return;
  }
  _Alignas(64) double bo[BLOCK], ba[BLOCK], bb[BLOCK];
  bool a_spread = false, b_spread = false;
  for (int64_t base = 0; base < n; base += BLOCK) {
    int64_t m = n - base < BLOCK ? n - base : BLOCK;
    const void *a, *b;
    if (s[1] == 0) {
      a = a_spread ? ba : spread(ba, d[1], BLOCK, es);
      a_spread = true;
    } else {
      a = gather(ba, d[1] + base * s[1] * (int64_t)es, s[1], m, es);
    }
    if (s[2] == 0) {
      b = b_spread ? bb : spread(bb, d[2], BLOCK, es);
      b_spread = true;
    } else {
      b = gather(bb, d[2] + base * s[2] * (int64_t)es, s[2], m, es);
    }
    void *o = s[0] == 1 && !c->bool_out ? (void *)(d[0] + base * (int64_t)es) : bo;
    binary_block(c, m, o, a, b);
    if (c->bool_out) store_bool(d[0] + base * s[0], s[0], bo, m, es);
    else if (s[0] != 1) scatter(d[0] + base * s[0] * (int64_t)es, s[0], bo, m, es);
  }
}

static bool is_comparison(int op) { return op >= LC_EQ; }

static int binary_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *a = lc_node_saved(n, 0), *b = lc_node_saved(n, 1);
  if (!a || !b) return -1;
  lc_tensor *G = g[0];
  bool ga = lc_node_needs_grad(n, 0), gb = lc_node_needs_grad(n, 1);
  switch (n->ints[0]) {
  case LC_ADD:
    if (ga) gin[0] = reduce_to(R(G), a);
    if (gb) gin[1] = reduce_to(R(G), b);
    break;
  case LC_SUB:
    if (ga) gin[0] = reduce_to(R(G), a);
    if (gb) gin[1] = reduce_to(lc_unary(LC_NEG, G), b);
    break;
  case LC_MUL:
    if (ga) gin[0] = reduce_to(lc_binary(LC_MUL, G, b), a);
    if (gb) gin[1] = reduce_to(lc_binary(LC_MUL, G, a), b);
    break;
  case LC_DIV:
    if (ga) gin[0] = reduce_to(lc_binary(LC_DIV, G, b), a);
    if (gb) /* -g a / b^2 */
      gin[1] = reduce_to(take_u(LC_NEG, take2(LC_DIV, lc_binary(LC_MUL, G, a),
                                               lc_binary(LC_MUL, b, b))), b);
    break;
  case LC_POW:
    if (ga) /* g b a^(b-1) */
      gin[0] = reduce_to(take2(LC_MUL, lc_binary(LC_MUL, G, b),
                               take2(LC_POW, R(a), lc_binary_scalar(LC_SUB, b, 1, false))), a);
    if (gb) { /* g a^b log(a), taking log(a) as 0 where a == 0 as PyTorch does */
      lc_tensor *safe = take2(LC_ADD, R(a), lc_binary_scalar(LC_EQ, a, 0, false));
      gin[1] = reduce_to(take2(LC_MUL, take2(LC_MUL, R(G), lc_binary(LC_POW, a, b)),
                               take_u(LC_LOG, safe)), b);
    }
    break;
  }
  return (ga && !gin[0]) || (gb && !gin[1]) ? -1 : 0;
}

static const char *const binary_backward_names[] = {"AddBackward", "SubBackward", "MulBackward",
                                                    "DivBackward", "PowBackward"};

/* The dtype an op computes in: promoted, and true division of integers in
 * float32 as in PyTorch. */
static lc_dtype compute_dtype(int op, lc_dtype a, lc_dtype b) {
  lc_dtype dt = lc_promote(a, b);
  if (dt == LC_BOOL) dt = LC_INT64; /* the kernels are numeric */
  return op == LC_DIV && dt == LC_INT64 ? LC_FLOAT32 : dt;
}

/* The dtype an op's result has: bool for comparisons, and for add and mul of
 * two bools (or and and, as PyTorch); otherwise the compute dtype. */
static lc_dtype result_dtype(int op, lc_dtype a, lc_dtype b) {
  if (is_comparison(op)) return LC_BOOL;
  if (lc_promote(a, b) == LC_BOOL && (op == LC_ADD || op == LC_MUL)) return LC_BOOL;
  return compute_dtype(op, a, b);
}

/* PyTorch has no subtraction or power of bools: ~x or logical_xor say
 * what is meant. */
static int check_bool_operands(int op, const lc_tensor *a, const lc_tensor *b) {
  if (op == LC_SUB && (a->dtype == LC_BOOL || b->dtype == LC_BOOL)) {
    lc_set_error("sub: subtraction with a bool tensor is not supported; use logical_xor or "
                 "logical_not");
    return -1;
  }
  if (op == LC_POW && a->dtype == LC_BOOL && b->dtype == LC_BOOL) {
    lc_set_error("pow: not supported for two bool tensors");
    return -1;
  }
  return 0;
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
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(binary_names[op], a, b, shape);
  if (nd < 0) return NULL;
  if (check_bool_operands(op, a, b)) return NULL;
  if (op == LC_POW && negative_int_power(a, b)) {
    lc_set_error("pow: integers to negative integer powers are not allowed");
    return NULL;
  }
  lc_dtype dt = compute_dtype(op, a->dtype, b->dtype);
  lc_tensor *ca = lc_to(a, dt), *cb = lc_to(b, dt);
  lc_tensor *out = NULL;
  if (ca && cb) {
    /* the output takes the layout of an operand of the full shape */
    const lc_tensor *ref = a->ndim == nd && !memcmp(a->sizes, shape, nd * sizeof *shape) ? ca
                         : b->ndim == nd && !memcmp(b->sizes, shape, nd * sizeof *shape) ? cb : NULL;
    lc_dtype ot = is_comparison(op) ? LC_BOOL : dt;
    out = ref ? lc_empty_like_layout(ot, ref) : lc_empty(ot, nd, shape);
  }
  if (out) {
    lc_tensor *ops[3] = {out, ca, cb};
    lc_iter it;
    lc_iter_init(&it, nd, shape, 3, ops);
    binary_ctx c = {op, dt, is_comparison(op)};
    lc_iter_run(&it, binary_loop, &c);
    const lc_tensor *ins[2] = {ca, cb};
    if (!is_comparison(op) && lc_dtype_is_float(dt) && lc_should_record(2, ins)) {
      lc_node *n = lc_record(binary_backward_names[op], binary_backward, out, 2, ins);
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
  lc_dtype rt = result_dtype(op, a->dtype, b->dtype);
  if (out && out->dtype != rt) {
    lc_tensor *r = lc_to(out, rt);
    lc_release(out);
    out = r;
  }
  return out;
}

lc_tensor *lc_binary_scalar(lc_binary_op op, const lc_tensor *a, double s, bool scalar_first) {
  lc_dtype dt = lc_scalar_dtype(a->dtype, s != floor(s));
  lc_tensor *st = lc_scalar(dt, s);
  if (!st) return NULL;
  lc_tensor *r = scalar_first ? lc_binary(op, st, a) : lc_binary(op, a, st);
  lc_release(st);
  return r;
}

/* ---- in place ------------------------------------------------------------ */

/* What every in-place op checks before writing into a (src: the value
 * written, or NULL):
 *  - a leaf that autograd would differentiate may not be overwritten;
 *  - a stride-0 dim makes several elements one memory location, which would
 *    be written once per alias;
 *  - nor may a view of such a leaf;
 *  - writes through views under autograd need their root to be dense (see
 *    write_through_view). */
int lc_check_inplace(const char *op, const lc_tensor *a, const lc_tensor *src) {
  if (lc_grad_enabled() && a->requires_grad && !a->grad_fn) {
    lc_set_error("%s: a leaf tensor that requires grad is used in an in-place operation", op);
    return -1;
  }
  for (int k = 0; k < a->ndim; k++) {
    if (a->sizes[k] > 1 && a->strides[k] == 0) {
      lc_set_error("%s: cannot write into an expanded tensor (dim %d has stride 0: its elements "
                   "share memory); clone() it first", op, k + 1);
      return -1;
    }
  }
  const lc_tensor *root = a->base;
  if (lc_grad_enabled() && root && root->requires_grad && !root->grad_fn) {
    lc_set_error("%s: a view of a leaf tensor that requires grad is used in an in-place operation",
                 op);
    return -1;
  }
  if (lc_grad_enabled() && root && (root->requires_grad || (src && src->requires_grad)) &&
      !lc_is_dense(root)) {
    lc_set_error("%s: under autograd, writing into a view of a tensor whose elements are not "
                 "dense in memory is not supported; clone() it first", op);
    return -1;
  }
  return 0;
}

/* Writes src into dst's elements (same shape or broadcastable), any dtypes. */
typedef struct {
  lc_dtype dst, src;
} copy_ctx;

static void copy_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const copy_ctx *c = ctx;
  LC_DISPATCH_ALL(c->dst, D, {
    D *o = (D *)d[0];
    LC_DISPATCH_ALL(c->src, S, {
      const S *a = (const S *)d[1];
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = (D)a[i * s[1]];
    });
  });
}

static int copy_values(lc_tensor *dst, const lc_tensor *src) {
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape("copy_", dst, src, shape);
  if (nd < 0) return -1;
  if (nd != dst->ndim || memcmp(shape, dst->sizes, nd * sizeof *shape)) {
    char x[128], y[128];
    lc_set_error("copy_: source of shape %s cannot be broadcast to destination shape %s",
                 lc_shape_str(x, src->ndim, src->sizes), lc_shape_str(y, dst->ndim, dst->sizes));
    return -1;
  }
  lc_tensor *ops[2] = {dst, (lc_tensor *)src};
  lc_iter it;
  lc_iter_init(&it, nd, shape, 2, ops);
  copy_ctx c = {dst->dtype, src->dtype};
  lc_iter_run(&it, copy_loop, &c);
  lc_bump_version(dst);
  return 0;
}

/* A copy node keeps only the source's dtype and shape: ints[0] the dtype,
 * ints[1] ndim, ints[2..] the sizes. */
static int copy_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  gin[0] = reduce_to_shape(lc_retain(g[0]), (lc_dtype)n->ints[0], (int)n->ints[1], &n->ints[2]);
  return gin[0] ? 0 : -1;
}

/* ---- writes through views under autograd ----------------------------------
 * A view shares the storage of its root tensor, so writing src into view v
 * changes the root too. As PyTorch's CopySlices: the root's history becomes
 * "the old root with v's region replaced by src", and v's history becomes
 * "that region of the new root". A region is v's geometry over the root's
 * storage; the root is dense, so a gradient laid out like the root (same
 * strides) has the region at the same place. */
typedef struct {
  lc_dtype dtype, src_dtype;
  int ndim, root_ndim, src_ndim;
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS], offset;
  int64_t root_sizes[LC_MAX_DIMS], root_strides[LC_MAX_DIMS], src_sizes[LC_MAX_DIMS];
} region;

static void free_region(lc_node *n) { free(n->ctx); }

/* A zero-filled (or g-filled) tensor laid out like the root. */
static lc_tensor *root_layout(const region *r, const lc_tensor *g) {
  lc_tensor *t = lc_empty(r->dtype, r->root_ndim, r->root_sizes);
  if (!t) return NULL;
  memcpy(t->strides, r->root_strides, sizeof r->root_strides);
  lc_tensor *v = g ? lc_retain((lc_tensor *)g) : lc_scalar(r->dtype, 0);
  int rc = v ? copy_values(t, v) : -1;
  lc_release(v);
  if (rc) lc_release(t);
  return rc ? NULL : t;
}

static lc_tensor *region_of(const region *r, const lc_tensor *t) {
  return lc_tensor_new_view(t, r->ndim, r->sizes, r->strides, t->offset + r->offset);
}

/* inputs: the old root, src */
static int copy_slices_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const region *r = n->ctx;
  lc_tensor *G = root_layout(r, g[0]);
  lc_tensor *part = G ? region_of(r, G) : NULL;
  if (!part) {
    lc_release(G);
    return -1;
  }
  int rc = 0;
  if (lc_node_needs_grad(n, 1)) { /* src was broadcast to the region, maybe converted */
    /* a copy of the region: G's region is zeroed below */
    gin[1] = reduce_to_shape(lc_clone(part), r->src_dtype, r->src_ndim, r->src_sizes);
    rc = gin[1] ? 0 : -1;
  }
  if (!rc && lc_node_needs_grad(n, 0)) {
    lc_tensor *zero = lc_scalar(r->dtype, 0);
    rc = zero ? copy_values(part, zero) : -1;
    lc_release(zero);
    if (!rc) gin[0] = lc_retain(G);
  }
  lc_release(part);
  lc_release(G);
  return rc;
}

/* input: the new root */
static int view_of_root_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  const region *r = n->ctx;
  lc_tensor *G = root_layout(r, NULL);
  lc_tensor *part = G ? region_of(r, G) : NULL;
  int rc = part ? copy_values(part, g[0]) : -1;
  lc_release(part);
  if (rc) {
    lc_release(G);
    return -1;
  }
  gin[0] = G;
  return 0;
}

static lc_node *region_node(const char *name, lc_backward_fn fn, int n_inputs,
                            const lc_tensor *const *inputs, const region *r) {
  lc_node *n = lc_node_new(name, fn, n_inputs, inputs, 1);
  region *copy = n ? lc_malloc(sizeof *copy, name) : NULL;
  if (!copy) {
    lc_node_release(n);
    return NULL;
  }
  *copy = *r;
  n->ctx = copy;
  n->free_ctx = free_region;
  return n;
}

static int write_through_view(lc_tensor *v, const lc_tensor *src) {
  lc_tensor *root = v->base;
  region r = {.dtype = root->dtype, .src_dtype = src->dtype, .ndim = v->ndim, .root_ndim = root->ndim,
              .src_ndim = src->ndim, .offset = v->offset - root->offset};
  memcpy(r.sizes, v->sizes, sizeof r.sizes);
  memcpy(r.strides, v->strides, sizeof r.strides);
  memcpy(r.root_sizes, root->sizes, sizeof r.root_sizes);
  memcpy(r.root_strides, root->strides, sizeof r.root_strides);
  memcpy(r.src_sizes, src->sizes, sizeof r.src_sizes);
  const lc_tensor *ins[2] = {root, src};
  lc_node *cs = region_node("CopySlices", copy_slices_backward, 2, ins, &r);
  if (!cs) return -1;
  lc_node_attach(cs, &root, 1);
  lc_node_release(cs);
  lc_node *vn = region_node("AsStridedBackward", view_of_root_backward, 1, ins, &r);
  if (!vn) return -1;
  lc_node_attach(vn, &v, 1);
  lc_node_release(vn);
  return 0;
}

/* dst takes src's values and, under autograd, its history. */
static int adopt_history(lc_tensor *dst, const lc_tensor *src) {
  if (dst->base && lc_grad_enabled() && (dst->base->requires_grad || src->requires_grad))
    return write_through_view(dst, src);
  if (!lc_should_record(1, &src)) {
    if (lc_grad_enabled() && dst->grad_fn) { /* overwritten: old history no longer applies */
      lc_node_release(dst->grad_fn);
      dst->grad_fn = NULL;
      dst->requires_grad = false;
    }
    return 0;
  }
  lc_node *n = lc_node_new("CopyBackward", copy_backward, 1, &src, 1);
  if (!n) return -1;
  n->ints[0] = src->dtype;
  n->ints[1] = src->ndim;
  memcpy(&n->ints[2], src->sizes, src->ndim * sizeof *src->sizes);
  lc_node_attach(n, &dst, 1);
  lc_node_release(n);
  return 0;
}

int lc_copy_(lc_tensor *dst, const lc_tensor *src) {
  if (lc_check_inplace("copy_", dst, src) || copy_values(dst, src)) return -1;
  return adopt_history(dst, src);
}

int lc_binary_(lc_binary_op op, lc_tensor *a, const lc_tensor *b) {
  const char *name = inplace_names[op];
  if (lc_check_inplace(name, a, b)) return -1;
  lc_dtype result = result_dtype(op, a->dtype, b->dtype);
  if (!lc_can_cast(result, a->dtype)) {
    /* as PyTorch: an int64 tensor cannot hold the fractional result (a
     * division, a float operand), and truncating it silently is wrong */
    lc_set_error("%s: result type %s can't be cast to the desired output type %s", name,
                 lc_dtype_name(result), lc_dtype_name(a->dtype));
    return -1;
  }
  const lc_tensor *ins[2] = {a, b};
  if (lc_should_record(2, ins) || result != compute_dtype(op, a->dtype, b->dtype) ||
      a->dtype == LC_BOOL) {
    /* Compute out of place from a copy of a (so nodes that saved a still see
     * the version change), then write the result and its history into a. */
    lc_tensor *old = lc_clone(a);
    lc_tensor *r = old ? lc_binary(op, old, b) : NULL;
    lc_release(old);
    int rc = r ? lc_copy_(a, r) : -1;
    lc_release(r);
    return rc;
  }
  lc_tensor *cb = lc_to(b, a->dtype);
  if (!cb) return -1;
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(name, a, cb, shape);
  int rc = nd < 0 ? -1 : 0;
  if (!rc && (nd != a->ndim || memcmp(shape, a->sizes, nd * sizeof *shape))) {
    char x[128], y[128];
    lc_set_error("%s: in-place operand of shape %s cannot be broadcast to shape %s", name,
                 lc_shape_str(x, b->ndim, b->sizes), lc_shape_str(y, a->ndim, a->sizes));
    rc = -1;
  }
  if (!rc) {
    lc_tensor *ops[3] = {a, a, cb};
    lc_iter it;
    lc_iter_init(&it, nd, shape, 3, ops);
    binary_ctx c = {op, a->dtype, false};
    lc_iter_run(&it, binary_loop, &c);
    lc_bump_version(a);
  }
  lc_release(cb);
  return rc;
}

int lc_binary_scalar_(lc_binary_op op, lc_tensor *a, double s) {
  lc_dtype dt = a->dtype;
  if (!lc_dtype_is_float(dt) && s != floor(s)) dt = LC_FLOAT64;
  else if (dt == LC_BOOL) dt = LC_INT64;
  lc_tensor *st = lc_scalar(dt, s);
  if (!st) return -1;
  int rc = lc_binary_(op, a, st);
  lc_release(st);
  return rc;
}

int lc_fill_(lc_tensor *a, double value) {
  if (lc_check_inplace("fill_", a, NULL)) return -1;
  lc_tensor *v = lc_scalar(a->dtype, value);
  if (!v) return -1;
  int rc = copy_values(a, v);
  if (!rc) rc = adopt_history(a, v);
  lc_release(v);
  return rc;
}
