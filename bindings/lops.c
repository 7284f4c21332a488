/* lops.c: the op tables for Lua (core/ops_unary.c, ops_binary.c,
 * elementwise.c; reduce.c, reduce_ops.c): each row bound as a method, a
 * lucid. function and an in-place form, the operators, and the ops with
 * rules of their own (clamp, addcmul, max/min, softmax). Views are in
 * lview.c, cat/stack/split/chunk in ljoin.c. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

/* ---- elementwise --------------------------------------------------------- */

/* a op s (or s op a): the scalar made by lcb_scalar. */
static lc_tensor *binary_scalar(lua_State *L, lc_binary_op op, const lc_tensor *a, int idx,
                                bool scalar_first, const double *p) {
  lc_tensor *s = lcb_scalar(L, idx, a->dtype); /* exact for Lua integers */
  if (!s) return NULL;
  lc_tensor *r = scalar_first ? lc_binary_p(op, s, a, p) : lc_binary_p(op, a, s, p);
  lc_release(s);
  return r;
}

/* add and sub take PyTorch's alpha: a + alpha * b, as a third argument or
 * an option ({alpha = 2}); the other ops take exactly two operands. */
static const char *const alpha_opts[] = {"input", "other", "alpha"};

static void scale_by_alpha(lua_State *L, const char *fname) {
  lcb_args(L, 1, 3, alpha_opts, fname);
  if (lua_isnil(L, 3)) return;
  if (lua_type(L, 3) != LUA_TNUMBER)
    luaL_error(L, "%s: alpha must be a number, got %s", fname, luaL_typename(L, 3));
  lc_tensor *b = lcb_test(L, 2);
  if (b) {
    lcb_push(L, binary_scalar(L, LC_MUL, b, 3, false, NULL));
  } else if (lua_type(L, 2) == LUA_TNUMBER) {
    lua_pushvalue(L, 2); /* Lua's own product: integers stay exact */
    lua_pushvalue(L, 3);
    lua_arith(L, LUA_OPMUL);
  } else {
    return; /* the operand check below says what is wrong */
  }
  lua_replace(L, 2);
  lua_settop(L, 2);
}

/* Binary ops whose parameter may also be a tensor, which makes them the
 * ternary table's op: x:lerp(y, w) with a tensor weight. */
static const struct {
  lc_binary_op binary;
  lc_ternary_op ternary;
} tensor_params[] = {{LC_LERP, LC_TER_LERP}};

static int ternary_of(lc_binary_op op) {
  for (size_t k = 0; k < sizeof tensor_params / sizeof *tensor_params; k++)
    if (tensor_params[k].binary == op) return (int)tensor_params[k].ternary;
  return -1;
}

/* The operand at idx as a tensor: itself, or a number as a 0-dim tensor
 * beside `like`'s dtype (lcb_scalar), put in its place so the GC owns it.
 * NULL for nil when the operand is optional. */
static lc_tensor *operand(lua_State *L, int idx, const lc_tensor *like, bool optional,
                          const char *fname, const char *name) {
  lc_tensor *t = lcb_test(L, idx);
  if (t || (optional && lua_isnil(L, idx))) return t;
  if (lua_type(L, idx) != LUA_TNUMBER) {
    if (luaL_testudata(L, idx, LCB_TENSOR)) lcb_check(L, idx, fname); /* closed: says so */
    luaL_error(L, "%s: %s must be a tensor or a number, got %s", fname, name, luaL_typename(L, idx));
  }
  t = lcb_scalar(L, idx, like->dtype);
  lcb_push(L, t);
  lua_replace(L, idx);
  return t;
}

/* A ternary op over the values at 1..3 (names: their argument names), out of
 * place or into the tensor at 1. */
static int ternary(lua_State *L, lc_ternary_op op, bool in_place, const char *const *names) {
  char fname[48];
  snprintf(fname, sizeof fname, "%s%s", lc_ternary_name(op), in_place ? "_" : "");
  lc_tensor *a = lcb_check(L, 1, fname);
  bool optional = op == LC_TER_CLAMP; /* either bound may be absent */
  lc_tensor *b = operand(L, 2, a, optional, fname, names[1]);
  lc_tensor *c = operand(L, 3, a, optional, fname, names[2]);
  if (!in_place) {
    lcb_push(L, lc_ternary(op, a, b, c));
    return 1;
  }
  lcb_ok(L, lc_ternary_(op, a, b, c));
  lua_settop(L, 1);
  return 1;
}

/* Leaves the two operands at 1 and 2 and the op's scalar parameters (by
 * position after them, or by name: x:lerp(y, {weight = 0.3})) in p.
 * Returns true, with the three values left at 1..3, when the parameter is a
 * tensor of an op in tensor_params. */
static bool binary_args(lua_State *L, lc_binary_op op, const char *fname, double *p) {
  const lc_op_info *info = lc_binary_info(op);
  for (int k = 0; k < LC_OP_MAX_PARAMS; k++) p[k] = k < info->n_params ? info->defaults[k] : 0;
  if (op == LC_ADD || op == LC_SUB) {
    scale_by_alpha(L, fname);
    return false;
  }
  if (info->n_params == 0) {
    if (lua_gettop(L) > 2) luaL_error(L, "%s: expected 2 arguments, got %d", fname, lua_gettop(L));
    return false;
  }
  const char *names[2 + LC_OP_MAX_PARAMS] = {"input", "other"};
  for (int k = 0; k < info->n_params; k++) names[2 + k] = info->params[k];
  lcb_args(L, 1, 2 + info->n_params, names, fname);
  if (info->n_params == 1 && ternary_of(op) >= 0 && lcb_test(L, 3)) {
    lua_settop(L, 3);
    return true;
  }
  for (int k = 0; k < info->n_params; k++) {
    if (lua_isnil(L, 3 + k)) continue;
    if (lua_type(L, 3 + k) != LUA_TNUMBER)
      luaL_error(L, "%s: %s must be a number%s, got %s", fname, info->params[k],
                 ternary_of(op) >= 0 ? " or a tensor" : "", luaL_typename(L, 3 + k));
    p[k] = lua_tonumber(L, 3 + k);
  }
  lua_settop(L, 2);
  return false;
}

/* lerp's argument names, for the ternary form's errors */
static const char *const *tensor_param_names(lc_binary_op op) {
  static const char *const lerp_names[] = {"input", "end", "weight"};
  return op == LC_LERP ? lerp_names : NULL;
}

static int inplace(lua_State *L, lc_binary_op op, const char *fname);

/* a op b after binary_args: the operands at 1 and 2, the parameters in p */
static lc_tensor *binary(lua_State *L, lc_binary_op op, const char *fname, const double *p) {
  lc_tensor *a = lcb_test(L, 1), *b = lcb_test(L, 2);
  if (a && b) return lc_binary_p(op, a, b, p);
  for (int k = 1; k <= 2 && (a || b); k++) { /* a Lua boolean is a bool scalar: b + true */
    if (!lua_isboolean(L, k)) continue;
    lc_tensor *s = lc_scalar(LC_BOOL, lua_toboolean(L, k));
    lcb_push(L, s);
    return k == 1 ? lc_binary_p(op, s, b, p) : lc_binary_p(op, a, s, p);
  }
  if (a && lua_type(L, 2) == LUA_TNUMBER) return binary_scalar(L, op, a, 2, false, p);
  if (b && lua_type(L, 1) == LUA_TNUMBER) return binary_scalar(L, op, b, 1, true, p);
  int bad = a || lua_type(L, 1) == LUA_TNUMBER ? 2 : 1;
  if (luaL_testudata(L, bad, LCB_TENSOR)) lcb_check(L, bad, fname); /* closed: says so */
  luaL_error(L, "%s: argument %d must be a tensor or a number, got %s", fname, bad, luaL_typename(L, bad));
  return NULL;
}

/* op, in place: the closures' upvalues */
#define OP_OF(L) ((int)lua_tointeger(L, lua_upvalueindex(1)))
#define IS_INPLACE(L) lua_toboolean(L, lua_upvalueindex(2))

/* Any row of the binary table: x:add(y), lucid.add(x, y), x:add_(y). */
static int l_binary(lua_State *L) {
  lc_binary_op op = (lc_binary_op)OP_OF(L);
  if (IS_INPLACE(L)) {
    char fname[48];
    snprintf(fname, sizeof fname, "%s_", lc_binary_name(op));
    return inplace(L, op, fname);
  }
  double p[LC_OP_MAX_PARAMS];
  if (binary_args(L, op, lc_binary_name(op), p))
    return ternary(L, (lc_ternary_op)ternary_of(op), false, tensor_param_names(op));
  lcb_push(L, binary(L, op, lc_binary_name(op), p));
  return 1;
}

/* A unary op's scalar parameters, by position or by name after the tensor:
 * x:leaky_relu(0.2), x:gelu{approximate = 'tanh'}. Absent ones take the
 * table's defaults; a string parameter becomes the index of its choice. */
static void unary_params(lua_State *L, const lc_op_info *info, const char *fname, double *p) {
  const char *names[1 + LC_OP_MAX_PARAMS] = {"input"};
  for (int k = 0; k < info->n_params; k++) names[1 + k] = info->params[k];
  lcb_args(L, 1, 1 + info->n_params, names, fname);
  for (int k = 0; k < info->n_params; k++) {
    int idx = 2 + k;
    p[k] = info->defaults[k];
    if (lua_isnil(L, idx)) continue;
    if (info->choices[k]) {
      const char *got = lua_tostring(L, idx), *c = info->choices[k];
      size_t len = got ? strlen(got) : 0;
      int i = 0;
      for (; *c; i++) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (lua_type(L, idx) == LUA_TSTRING && n == len && !strncmp(c, got, n)) break;
        c += n + (bar ? 1 : 0);
      }
      if (!*c)
        luaL_error(L, "%s: %s must be one of '%s', got %s%s%s", fname, info->params[k],
                   info->choices[k], got ? "'" : "", got ? got : luaL_typename(L, idx), got ? "'" : "");
      p[k] = i;
    } else if (lua_type(L, idx) == LUA_TNUMBER) {
      p[k] = lua_tonumber(L, idx);
    } else {
      luaL_error(L, "%s: %s must be a number, got %s", fname, info->params[k], luaL_typename(L, idx));
    }
  }
}

/* Any row of the unary table: x:exp(), lucid.exp(x), x:exp_(). */
static int l_unary(lua_State *L) {
  lc_unary_op op = (lc_unary_op)OP_OF(L);
  const lc_op_info *info = lc_unary_info(op);
  bool in_place = IS_INPLACE(L);
  char fname[48];
  snprintf(fname, sizeof fname, "%s%s", info->name, in_place ? "_" : "");
  double p[LC_OP_MAX_PARAMS] = {0};
  unary_params(L, info, fname, p);
  lc_tensor *t = lcb_check(L, 1, fname);
  if (!in_place) {
    lcb_push(L, lc_unary_p(op, t, p));
    return 1;
  }
  lcb_ok(L, lc_unary_(op, t, p));
  lua_settop(L, 1);
  return 1;
}

static const char *const clamp_opts[] = {"input", "min", "max"};

/* clamp(min, max) and clamp_ (also named clip): one bound may be absent, not
 * both. Number bounds are the unary table's parameters; a tensor bound
 * makes it the ternary table's clamp, a number beside it a 0-dim tensor. */
static int clamp(lua_State *L, bool in_place, const char *fname) {
  lcb_args(L, 1, 3, clamp_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  if (lua_isnil(L, 2) && lua_isnil(L, 3)) luaL_error(L, "%s: at least one of min and max must be given", fname);
  if (lcb_test(L, 2) || lcb_test(L, 3)) return ternary(L, LC_TER_CLAMP, in_place, clamp_opts);
  for (int k = 2; k <= 3; k++)
    if (!lua_isnil(L, k) && lua_type(L, k) != LUA_TNUMBER)
      luaL_error(L, "%s: %s must be a number or a tensor, got %s", fname, clamp_opts[k - 1], luaL_typename(L, k));
  double lo = lua_isnil(L, 2) ? -INFINITY : lua_tonumber(L, 2);
  double hi = lua_isnil(L, 3) ? INFINITY : lua_tonumber(L, 3);
  if (!in_place) {
    lcb_push(L, lc_clamp(t, lo, hi));
    return 1;
  }
  if (isnan(lo) || isnan(hi)) luaL_error(L, "clamp_: bounds must not be NaN");
  lcb_ok(L, lc_unary_(LC_CLAMP, t, (const double[]){lo, hi}));
  lua_settop(L, 1);
  return 1;
}

static int t_clamp(lua_State *L) { return clamp(L, false, "clamp"); }
static int t_clamp_(lua_State *L) { return clamp(L, true, "clamp_"); }
static int t_clip(lua_State *L) { return clamp(L, false, "clip"); }
static int t_clip_(lua_State *L) { return clamp(L, true, "clip_"); }

static const char *const addc_opts[] = {"input", "tensor1", "tensor2", "value"};

/* addcmul(t1, t2 [, value]), addcdiv, and their in-place forms */
static int addc(lua_State *L, bool div, bool in_place) {
  char fname[16];
  snprintf(fname, sizeof fname, "%s%s", div ? "addcdiv" : "addcmul", in_place ? "_" : "");
  lcb_args(L, 1, 4, addc_opts, fname);
  lc_tensor *a = lcb_check(L, 1, fname), *t1 = lcb_check(L, 2, fname), *t2 = lcb_check(L, 3, fname);
  double v = lcb_optnum(L, 4, 1, fname, "value");
  if (!in_place) {
    lcb_push(L, lc_addc(div, a, t1, t2, v));
    return 1;
  }
  lcb_ok(L, lc_addc_(div, a, t1, t2, v));
  lua_settop(L, 1);
  return 1;
}

static int t_addcmul(lua_State *L) { return addc(L, false, false); }
static int t_addcdiv(lua_State *L) { return addc(L, true, false); }
static int t_addcmul_(lua_State *L) { return addc(L, false, true); }
static int t_addcdiv_(lua_State *L) { return addc(L, true, true); }

static int t_matmul(lua_State *L) {
  lcb_push(L, lc_matmul(lcb_check(L, 1, "matmul"), lcb_check(L, 2, "matmul")));
  return 1;
}

/* ---- in place: each returns the tensor itself, for chaining -------------- */

static int inplace(lua_State *L, lc_binary_op op, const char *fname) {
  double p[LC_OP_MAX_PARAMS];
  if (binary_args(L, op, fname, p)) return ternary(L, (lc_ternary_op)ternary_of(op), true, tensor_param_names(op));
  lc_tensor *a = lcb_check(L, 1, fname), *b = lcb_test(L, 2);
  if (b) lcb_ok(L, lc_binary_p_(op, a, b, p));
  else if (lua_type(L, 2) == LUA_TNUMBER) {
    lc_tensor *s = lcb_scalar(L, 2, a->dtype); /* exact for Lua integers */
    int rc = s ? lc_binary_p_(op, a, s, p) : -1;
    lc_release(s);
    lcb_ok(L, rc);
  }
  else {
    if (luaL_testudata(L, 2, LCB_TENSOR)) lcb_check(L, 2, fname); /* closed: says so */
    luaL_error(L, "%s: argument 2 must be a tensor or a number, got %s", fname, luaL_typename(L, 2));
  }
  lua_settop(L, 1);
  return 1;
}

static int t_fill_(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "fill_");
  lcb_checknum(L, 2, "fill_", "value");
  lcb_ok(L, lcb_fill(L, t, 2));
  lua_settop(L, 1);
  return 1;
}

static int t_zero_(lua_State *L) {
  lcb_ok(L, lc_fill_(lcb_check(L, 1, "zero_"), 0));
  lua_settop(L, 1);
  return 1;
}

static int t_copy_(lua_State *L) {
  lcb_ok(L, lc_copy_(lcb_check(L, 1, "copy_"), lcb_check(L, 2, "copy_")));
  lua_settop(L, 1);
  return 1;
}

static const char *const uniform_opts[] = {"self", "from", "to"};

static int t_uniform_(lua_State *L) {
  lcb_args(L, 1, 3, uniform_opts, "uniform_");
  lc_tensor *t = lcb_check(L, 1, "uniform_");
  double a = lcb_optnum(L, 2, 0, "uniform_", "from"), b = lcb_optnum(L, 3, 1, "uniform_", "to");
  if (!(a <= b)) luaL_error(L, "uniform_: from (%f) must not exceed to (%f)", a, b);
  lcb_ok(L, lc_uniform_(t, a, b));
  lua_settop(L, 1);
  return 1;
}

static const char *const normal_opts[] = {"self", "mean", "std"};

static int t_normal_(lua_State *L) {
  lcb_args(L, 1, 3, normal_opts, "normal_");
  lc_tensor *t = lcb_check(L, 1, "normal_");
  lcb_ok(L, lc_normal_(t, lcb_optnum(L, 2, 0, "normal_", "mean"), lcb_optnum(L, 3, 1, "normal_", "std")));
  lua_settop(L, 1);
  return 1;
}

/* ---- reductions ---------------------------------------------------------- */

static const char *const reduce_opts[] = {"input", "dim", "keepdim"};

/* Reads (dim, keepdim) for a reduction; LC_ALL_DIMS when dim is absent. */
static lc_tensor *reduce_args(lua_State *L, const char *fname, int *dim, bool *keepdim) {
  lcb_args(L, 1, 3, reduce_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  *dim = lua_isnil(L, 2) ? LC_ALL_DIMS : lcb_dim(L, 2, t->ndim, false, fname);
  *keepdim = lcb_optbool(L, 3, false, fname, "keepdim");
  return t;
}

/* max(): the largest value; max(dim [, keepdim]): values and indices. */
static int extreme(lua_State *L, bool is_max) {
  const char *fname = is_max ? "max" : "min";
  int dim;
  bool keep;
  lc_tensor *t = reduce_args(L, fname, &dim, &keep);
  lc_tensor *idx = NULL;
  /* indices come back 1-based, like every index in Lua (base 1) */
  lc_tensor *v = is_max ? lc_max(t, dim, keep, 1, dim == LC_ALL_DIMS ? NULL : &idx)
                        : lc_min(t, dim, keep, 1, dim == LC_ALL_DIMS ? NULL : &idx);
  lcb_push(L, v);
  if (dim == LC_ALL_DIMS) return 1;
  lcb_push(L, idx);
  return 2;
}

static int t_max(lua_State *L) { return extreme(L, true); }
static int t_min(lua_State *L) { return extreme(L, false); }

static int t_argmax(lua_State *L) {
  int dim;
  bool keep;
  lc_tensor *t = reduce_args(L, "argmax", &dim, &keep);
  lcb_push(L, lc_argmax(t, dim, keep, 1));
  return 1;
}

static const char *const softmax_opts[] = {"input", "dim"};

static int softmax(lua_State *L, bool log, const char *fname) {
  lcb_args(L, 1, 2, softmax_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  if (lua_isnil(L, 2)) luaL_error(L, "%s: dim is required", fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lcb_push(L, log ? lc_log_softmax(t, dim) : lc_softmax(t, dim));
  return 1;
}

static int t_softmax(lua_State *L) { return softmax(L, false, "softmax"); }
static int t_log_softmax(lua_State *L) { return softmax(L, true, "log_softmax"); }

/* Any row of the reduction table: x:std(dim, unbiased, keepdim), x:sum{dim
 * = {1, 3}, keepdim = true}. "dim" is a dim, a table of dims or nil (all). */
static int l_reduce(lua_State *L) {
  lc_reduce_op op = (lc_reduce_op)OP_OF(L);
  const lc_reduce_info *info = lc_reduce_info_of(op);
  const char *fname = info->name;
  const char *names[1 + LC_REDUCE_MAX_ARGS] = {"input"};
  for (int k = 0; k < info->n_args; k++) names[1 + k] = info->args[k];
  lcb_args(L, 1, 1 + info->n_args, names, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dims[LC_MAX_DIMS], nd = 0, na = 0;
  bool keepdim = false;
  double a[LC_REDUCE_MAX_ARGS];
  for (int k = 0; k < info->n_args; k++) {
    int idx = 2 + k;
    const char *arg = info->args[k];
    if (!strcmp(arg, "dim")) {
      if (lua_istable(L, idx)) {
        int n = (int)luaL_len(L, idx);
        if (n > LC_MAX_DIMS) luaL_error(L, "%s: at most %d dims, got %d", fname, LC_MAX_DIMS, n);
        for (int i = 0; i < n; i++) {
          lua_geti(L, idx, i + 1);
          dims[nd++] = lcb_dim(L, lua_gettop(L), t->ndim, false, fname);
          lua_pop(L, 1);
        }
      } else if (!lua_isnil(L, idx)) {
        dims[nd++] = lcb_dim(L, idx, t->ndim, false, fname);
      }
    } else if (!strcmp(arg, "keepdim")) {
      keepdim = lcb_optbool(L, idx, false, fname, "keepdim");
    } else if (!strcmp(arg, "unbiased")) {
      a[na] = lcb_optbool(L, idx, info->default_args[na] != 0, fname, arg);
      na++;
    } else {
      a[na] = info->default_args[na];
      if (!strcmp(arg, "p") && lua_type(L, idx) == LUA_TSTRING && !strcmp(lua_tostring(L, idx), "fro"))
        a[na] = 2;
      else if (lua_type(L, idx) == LUA_TNUMBER)
        a[na] = lua_tonumber(L, idx);
      else if (!lua_isnil(L, idx))
        luaL_error(L, "%s: %s must be a number, got %s", fname, arg, luaL_typename(L, idx));
      na++;
    }
  }
  lc_tensor *outs[2] = {NULL, NULL};
  lcb_ok(L, lc_reduce_op_run(op, t, nd, dims, keepdim, a, 1, outs)); /* positions 1-based */
  for (int i = 0; i < info->n_out; i++) lcb_push(L, outs[i]);
  return info->n_out;
}

/* ---- registration -------------------------------------------------------- */

static const luaL_Reg methods[] = {
  {"clamp", t_clamp}, {"clamp_", t_clamp_}, {"clip", t_clip}, {"clip_", t_clip_}, {"matmul", t_matmul},
  {"fill_", t_fill_},
  {"addcmul", t_addcmul}, {"addcdiv", t_addcdiv}, {"addcmul_", t_addcmul_}, {"addcdiv_", t_addcdiv_},
  {"zero_", t_zero_}, {"copy_", t_copy_}, {"uniform_", t_uniform_}, {"normal_", t_normal_},
  {"max", t_max}, {"min", t_min}, {"argmax", t_argmax},
  {"softmax", t_softmax}, {"log_softmax", t_log_softmax}, {NULL, NULL}};

/* Operators: the table's functions under their metamethod names. */
static const char *const operators[][2] = {{"__add", "add"}, {"__sub", "sub"}, {"__mul", "mul"},
                                           {"__div", "div"}, {"__pow", "pow"},
                                           {"__idiv", "floor_divide"}, {"__mod", "remainder"}};

/* Lua calls __unm with the operand twice. */
static int t_unm(lua_State *L) {
  lua_settop(L, 1);
  lcb_push(L, lc_unary(LC_NEG, lcb_check(L, 1, "neg")));
  return 1;
}

static const char *const rule_names[] = {"same", "float", "compare"};

/* lucid._C.optable[i]: one op's row as Lua sees it, for the specs and the
 * fixture generator to iterate: {name, arity, rule, inplace, differentiable,
 * params = {...}, defaults, choices, sample, lo, hi, own_binding}. */
static void push_info(lua_State *L, const lc_op_info *info) {
  lua_createtable(L, 0, 12);
  lua_pushstring(L, info->name), lua_setfield(L, -2, "name");
  lua_pushinteger(L, info->arity), lua_setfield(L, -2, "arity");
  lua_pushstring(L, rule_names[info->rule]), lua_setfield(L, -2, "rule");
  lua_pushboolean(L, info->flags & LC_OP_INPLACE), lua_setfield(L, -2, "inplace");
  lua_pushboolean(L, info->flags & LC_OP_OWN_BINDING), lua_setfield(L, -2, "own_binding");
  lua_pushboolean(L, info->differentiable), lua_setfield(L, -2, "differentiable");
  lua_pushnumber(L, info->lo), lua_setfield(L, -2, "lo");
  lua_pushnumber(L, info->hi), lua_setfield(L, -2, "hi");
  const char *lists[] = {"params", "defaults", "choices", "sample"};
  for (int l = 0; l < 4; l++) {
    lua_createtable(L, info->n_params, 0);
    for (int k = 0; k < info->n_params; k++) {
      if (l == 0) lua_pushstring(L, info->params[k]);
      else if (l == 1) lua_pushnumber(L, info->defaults[k]);
      else if (l == 2) lua_pushstring(L, info->choices[k] ? info->choices[k] : "");
      else lua_pushnumber(L, info->sample[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, lists[l]);
  }
}

/* Binds name (and name_ when in place) as a method and a lucid. function. */
static void bind_op(lua_State *L, int module, int methods_idx, const char *name, int op,
                    lua_CFunction fn, bool has_inplace) {
  for (int ip = 0; ip < 1 + has_inplace; ip++) {
    char key[48];
    snprintf(key, sizeof key, "%s%s", name, ip ? "_" : "");
    lua_pushinteger(L, op);
    lua_pushboolean(L, ip);
    lua_pushcclosure(L, fn, 2);
    lua_pushvalue(L, -1);
    lua_setfield(L, methods_idx, key);
    lua_setfield(L, module, key);
  }
}

/* lucid._C.optable: every unary and binary row (push_info). */
static int build_optable(lua_State *L) {
  lua_createtable(L, LC_UNARY_COUNT + LC_BINARY_COUNT, 0);
  int n = 0;
  for (int op = 0; op < LC_UNARY_COUNT; op++) {
    push_info(L, lc_unary_info((lc_unary_op)op));
    lua_rawseti(L, -2, ++n);
  }
  for (int op = 0; op < LC_BINARY_COUNT; op++) {
    push_info(L, lc_binary_info((lc_binary_op)op));
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* lucid._C.reducetable[i]: {name, n_out, one_dim, differentiable, args, lo, hi} */
static int build_reducetable(lua_State *L) {
  lua_createtable(L, LC_REDUCE_COUNT, 0);
  for (int op = 0; op < LC_REDUCE_COUNT; op++) {
    const lc_reduce_info *info = lc_reduce_info_of((lc_reduce_op)op);
    lua_createtable(L, 0, 7);
    lua_pushstring(L, info->name), lua_setfield(L, -2, "name");
    lua_pushinteger(L, info->n_out), lua_setfield(L, -2, "n_out");
    lua_pushboolean(L, info->one_dim), lua_setfield(L, -2, "one_dim");
    lua_pushboolean(L, info->differentiable), lua_setfield(L, -2, "differentiable");
    lua_pushnumber(L, info->lo), lua_setfield(L, -2, "lo");
    lua_pushnumber(L, info->hi), lua_setfield(L, -2, "hi");
    lua_createtable(L, info->n_args, 0);
    for (int k = 0; k < info->n_args; k++) lua_pushstring(L, info->args[k]), lua_rawseti(L, -2, k + 1);
    lua_setfield(L, -2, "args");
    lua_rawseti(L, -2, op + 1);
  }
  return 1;
}

static void open_tables(lua_State *L, int module, int methods_idx) {
  for (int op = 0; op < LC_UNARY_COUNT; op++) {
    const lc_op_info *info = lc_unary_info((lc_unary_op)op);
    if (!(info->flags & LC_OP_OWN_BINDING))
      bind_op(L, module, methods_idx, info->name, op, l_unary, info->flags & LC_OP_INPLACE);
  }
  for (int op = 0; op < LC_BINARY_COUNT; op++) {
    const lc_op_info *info = lc_binary_info((lc_binary_op)op);
    if (!(info->flags & LC_OP_OWN_BINDING))
      bind_op(L, module, methods_idx, info->name, op, l_binary, info->flags & LC_OP_INPLACE);
  }
  for (int op = 0; op < LC_REDUCE_COUNT; op++)
    bind_op(L, module, methods_idx, lc_reduce_info_of((lc_reduce_op)op)->name, op, l_reduce, false);
  /* built on first read of lucid._C.optable / reducetable (lucid/init.lua) */
  lcb_register_private(L, module, (const luaL_Reg[]){{"build_optable", build_optable},
                                                     {"build_reducetable", build_reducetable},
                                                     {NULL, NULL}});
}

void lcb_open_ops(lua_State *L, int module, int methods_idx) {
  open_tables(L, module, methods_idx);
  /* every method is also a function of the module: lucid.exp(x), lucid.matmul(a, b) */
  lcb_register(L, module, methods_idx, methods);
  luaL_getmetatable(L, LCB_TENSOR);
  for (size_t k = 0; k < sizeof operators / sizeof *operators; k++) {
    lua_getfield(L, methods_idx, operators[k][1]);
    lua_setfield(L, -2, operators[k][0]);
  }
  lua_pushcfunction(L, t_unm);
  lua_setfield(L, -2, "__unm");
  lua_pop(L, 1);
}
