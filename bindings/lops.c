/* lops.c: tensor operations for Lua: views, math, reductions, joining. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "lbind.h"

/* ---- views --------------------------------------------------------------- */

static int t_view(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "view");
  int64_t sizes[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 2, sizes, "view");
  lcb_push(L, lc_view(t, nd, sizes));
  return 1;
}

static int t_reshape(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "reshape");
  int64_t sizes[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 2, sizes, "reshape");
  lcb_push(L, lc_reshape(t, nd, sizes));
  return 1;
}

static int t_view_as(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "view_as"), *o = lcb_check(L, 2, "view_as");
  lcb_push(L, lc_view(t, o->ndim, o->sizes));
  return 1;
}

static int t_expand(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "expand");
  int64_t sizes[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 2, sizes, "expand");
  lcb_push(L, lc_expand(t, nd, sizes));
  return 1;
}

static int t_expand_as(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "expand_as"), *o = lcb_check(L, 2, "expand_as");
  lcb_push(L, lc_expand(t, o->ndim, o->sizes));
  return 1;
}

/* The dim arguments of the view functions may also be given by PyTorch's
 * names (x:narrow{dim = 2, start = 1, length = 3}). Without an options table
 * the arguments stay as given, so a missing one reads "got no value". */
static void view_args(lua_State *L, int n, const char *const *names, const char *fname) {
  if (lcb_is_options(L, lua_gettop(L))) lcb_args(L, 1, n, names, fname);
}

static const char *const transpose_opts[] = {"input", "dim0", "dim1"};

static int t_transpose(lua_State *L) {
  view_args(L, 3, transpose_opts, "transpose");
  lc_tensor *t = lcb_check(L, 1, "transpose");
  int a = lcb_dim(L, 2, t->ndim, false, "transpose"), b = lcb_dim(L, 3, t->ndim, false, "transpose");
  lcb_push(L, lc_transpose(t, a, b));
  return 1;
}

/* t(): the matrix transpose, for tensors of at most 2 dims (as torch.t). */
static int t_t(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "t");
  if (t->ndim > 2) luaL_error(L, "t: expects a tensor with at most 2 dims, got %d; use transpose", t->ndim);
  lcb_push(L, t->ndim < 2 ? lc_alias(t) : lc_transpose(t, 0, 1));
  return 1;
}

static int t_permute(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "permute");
  int64_t d[LC_MAX_DIMS];
  int n = lcb_sizes(L, 2, d, "permute");
  if (n != t->ndim) luaL_error(L, "permute: expected %d dims for a %d-D tensor, got %d", t->ndim, t->ndim, n);
  int dims[LC_MAX_DIMS];
  for (int i = 0; i < n; i++) {
    if (d[i] == 0 || d[i] > n || d[i] < -n)
      luaL_error(L, "permute: dim %I out of range for a %d-D tensor", (lua_Integer)d[i], n);
    dims[i] = (int)(d[i] > 0 ? d[i] - 1 : d[i] + n);
  }
  lcb_push(L, lc_permute(t, dims));
  return 1;
}

static const char *const narrow_opts[] = {"input", "dim", "start", "length"};

/* narrow(dim, start, length): start is 1-based like every Lua index. */
static int t_narrow(lua_State *L) {
  view_args(L, 4, narrow_opts, "narrow");
  lc_tensor *t = lcb_check(L, 1, "narrow");
  int d = lcb_dim(L, 2, t->ndim, false, "narrow");
  lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
  if (start == 0 || start > t->sizes[d] + 1 || start < -t->sizes[d])
    luaL_error(L, "narrow: start %I out of range for dim %d of size %I", start, d + 1, (lua_Integer)t->sizes[d]);
  lua_Integer first = start > 0 ? start - 1 : start + t->sizes[d];
  /* checked here so the message gives the 1-based start the user wrote */
  if (len < 0 || len > t->sizes[d] - first)
    luaL_error(L, "narrow: start %I and length %I exceed the size %I of dim %d", start, len,
               (lua_Integer)t->sizes[d], d + 1);
  lcb_push(L, lc_narrow(t, d, first, len));
  return 1;
}

static const char *const select_opts[] = {"input", "dim", "index"};

static int t_select(lua_State *L) {
  view_args(L, 3, select_opts, "select");
  lc_tensor *t = lcb_check(L, 1, "select");
  int d = lcb_dim(L, 2, t->ndim, false, "select");
  lua_Integer i = luaL_checkinteger(L, 3);
  if (i == 0 || i > t->sizes[d] || i < -t->sizes[d])
    luaL_error(L, "select: index %I out of range for dim %d of size %I", i, d + 1, (lua_Integer)t->sizes[d]);
  lcb_push(L, lc_select(t, d, i > 0 ? i - 1 : i));
  return 1;
}

static const char *const dim_opts[] = {"input", "dim"};

static int t_squeeze(lua_State *L) {
  view_args(L, 2, dim_opts, "squeeze");
  lc_tensor *t = lcb_check(L, 1, "squeeze");
  if (lua_istable(L, 2)) { /* a table of dims: those of size 1 go, last first */
    int dims[LC_MAX_DIMS], n = lcb_dims(L, 2, t->ndim, dims, "squeeze");
    lc_tensor *cur = lc_expand(t, t->ndim, t->sizes); /* a view, with history */
    for (int d = t->ndim - 1; d >= 0 && cur; d--) {
      bool listed = false;
      for (int i = 0; i < n; i++) listed = listed || dims[i] == d;
      if (!listed || t->sizes[d] != 1) continue;
      lc_tensor *next = lc_squeeze(cur, d);
      lc_release(cur);
      cur = next;
    }
    lcb_push(L, cur);
    return 1;
  }
  int d = lua_isnoneornil(L, 2) ? LC_ALL_DIMS : lcb_dim(L, 2, t->ndim, false, "squeeze");
  lcb_push(L, lc_squeeze(t, d));
  return 1;
}

static int t_unsqueeze(lua_State *L) {
  view_args(L, 2, dim_opts, "unsqueeze");
  lc_tensor *t = lcb_check(L, 1, "unsqueeze");
  lcb_push(L, lc_unsqueeze(t, lcb_dim(L, 2, t->ndim, true, "unsqueeze")));
  return 1;
}

static int t_contiguous(lua_State *L) {
  lcb_push(L, lc_contiguous(lcb_check(L, 1, "contiguous")));
  return 1;
}

static int t_clone(lua_State *L) {
  lcb_push(L, lc_clone(lcb_check(L, 1, "clone")));
  return 1;
}

static int t_detach(lua_State *L) {
  lcb_push(L, lc_detach(lcb_check(L, 1, "detach")));
  return 1;
}

/* ---- elementwise --------------------------------------------------------- */

/* add and sub take PyTorch's alpha: a + alpha * b, as a third argument or
 * an option ({alpha = 2}); the other ops take exactly two operands. */
static const char *const alpha_opts[] = {"input", "other", "alpha"};

static void scale_by_alpha(lua_State *L, lc_binary_op op, const char *fname) {
  if (op == LC_ADD || op == LC_SUB) {
    lcb_args(L, 1, 3, alpha_opts, fname);
    if (lua_isnil(L, 3)) return;
    if (lua_type(L, 3) != LUA_TNUMBER)
      luaL_error(L, "%s: alpha must be a number, got %s", fname, luaL_typename(L, 3));
    double alpha = lua_tonumber(L, 3);
    lc_tensor *b = lcb_test(L, 2);
    if (b) lcb_push(L, lc_binary_scalar(LC_MUL, b, alpha, false));
    else if (lua_type(L, 2) == LUA_TNUMBER) lua_pushnumber(L, alpha * lua_tonumber(L, 2));
    else return; /* the operand check below says what is wrong */
    lua_replace(L, 2);
    lua_settop(L, 2);
  } else if (lua_gettop(L) > 2) {
    luaL_error(L, "%s: expected 2 arguments, got %d", fname, lua_gettop(L));
  }
}

static lc_tensor *binary(lua_State *L, lc_binary_op op) {
  const char *fname = lc_binary_name(op);
  scale_by_alpha(L, op, fname);
  lc_tensor *a = lcb_test(L, 1), *b = lcb_test(L, 2);
  if (a && b) return lc_binary(op, a, b);
  for (int k = 1; k <= 2 && (a || b); k++) { /* a Lua boolean is a bool scalar: b + true */
    if (!lua_isboolean(L, k)) continue;
    lc_tensor *s = lc_scalar(LC_BOOL, lua_toboolean(L, k));
    lcb_push(L, s);
    return k == 1 ? lc_binary(op, s, b) : lc_binary(op, a, s);
  }
  if (a && lua_type(L, 2) == LUA_TNUMBER) return lc_binary_scalar(op, a, lua_tonumber(L, 2), false);
  if (b && lua_type(L, 1) == LUA_TNUMBER) return lc_binary_scalar(op, b, lua_tonumber(L, 1), true);
  int bad = a || lua_type(L, 1) == LUA_TNUMBER ? 2 : 1;
  if (luaL_testudata(L, bad, LCB_TENSOR)) lcb_check(L, bad, fname); /* closed: says so */
  luaL_error(L, "%s: argument %d must be a tensor or a number, got %s", fname, bad, luaL_typename(L, bad));
  return NULL;
}

static int push_binary(lua_State *L, lc_binary_op op) {
  lcb_push(L, binary(L, op));
  return 1;
}

static int t_add(lua_State *L) { return push_binary(L, LC_ADD); }
static int t_sub(lua_State *L) { return push_binary(L, LC_SUB); }
static int t_mul(lua_State *L) { return push_binary(L, LC_MUL); }
static int t_div(lua_State *L) { return push_binary(L, LC_DIV); }
static int t_pow(lua_State *L) { return push_binary(L, LC_POW); }
static int t_eq(lua_State *L) { return push_binary(L, LC_EQ); }
static int t_ne(lua_State *L) { return push_binary(L, LC_NE); }
static int t_lt(lua_State *L) { return push_binary(L, LC_LT); }
static int t_le(lua_State *L) { return push_binary(L, LC_LE); }
static int t_gt(lua_State *L) { return push_binary(L, LC_GT); }
static int t_ge(lua_State *L) { return push_binary(L, LC_GE); }

static int unary(lua_State *L, lc_unary_op op) {
  lcb_push(L, lc_unary(op, lcb_check(L, 1, lc_unary_name(op))));
  return 1;
}

static int t_neg(lua_State *L) { return unary(L, LC_NEG); }
static int t_exp(lua_State *L) { return unary(L, LC_EXP); }
static int t_log(lua_State *L) { return unary(L, LC_LOG); }
static int t_tanh(lua_State *L) { return unary(L, LC_TANH); }
static int t_sigmoid(lua_State *L) { return unary(L, LC_SIGMOID); }
static int t_relu(lua_State *L) { return unary(L, LC_RELU); }
static int t_sqrt(lua_State *L) { return unary(L, LC_SQRT); }
static int t_abs(lua_State *L) { return unary(L, LC_ABS); }
static int t_sin(lua_State *L) { return unary(L, LC_SIN); }
static int t_cos(lua_State *L) { return unary(L, LC_COS); }

static const char *const clamp_opts[] = {"input", "min", "max"};

static int t_clamp(lua_State *L) {
  lcb_args(L, 1, 3, clamp_opts, "clamp");
  lc_tensor *t = lcb_check(L, 1, "clamp");
  if (lua_isnil(L, 2) && lua_isnil(L, 3)) luaL_error(L, "clamp: at least one of min and max must be given");
  double lo = lua_isnil(L, 2) ? -INFINITY : luaL_checknumber(L, 2);
  double hi = lua_isnil(L, 3) ? INFINITY : luaL_checknumber(L, 3);
  lcb_push(L, lc_clamp(t, lo, hi));
  return 1;
}

static int t_matmul(lua_State *L) {
  lcb_push(L, lc_matmul(lcb_check(L, 1, "matmul"), lcb_check(L, 2, "matmul")));
  return 1;
}

/* ---- in place: each returns the tensor itself, for chaining -------------- */

static int inplace(lua_State *L, lc_binary_op op, const char *fname) {
  scale_by_alpha(L, op, fname);
  lc_tensor *a = lcb_check(L, 1, fname), *b = lcb_test(L, 2);
  if (b) lcb_ok(L, lc_binary_(op, a, b));
  else if (lua_type(L, 2) == LUA_TNUMBER) lcb_ok(L, lc_binary_scalar_(op, a, lua_tonumber(L, 2)));
  else {
    if (luaL_testudata(L, 2, LCB_TENSOR)) lcb_check(L, 2, fname); /* closed: says so */
    luaL_error(L, "%s: argument 2 must be a tensor or a number, got %s", fname, luaL_typename(L, 2));
  }
  lua_settop(L, 1);
  return 1;
}

static int t_add_(lua_State *L) { return inplace(L, LC_ADD, "add_"); }
static int t_sub_(lua_State *L) { return inplace(L, LC_SUB, "sub_"); }
static int t_mul_(lua_State *L) { return inplace(L, LC_MUL, "mul_"); }
static int t_div_(lua_State *L) { return inplace(L, LC_DIV, "div_"); }

static int t_fill_(lua_State *L) {
  lcb_ok(L, lc_fill_(lcb_check(L, 1, "fill_"), luaL_checknumber(L, 2)));
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
  double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
  if (!(a <= b)) luaL_error(L, "uniform_: from (%f) must not exceed to (%f)", a, b);
  lcb_ok(L, lc_uniform_(t, a, b));
  lua_settop(L, 1);
  return 1;
}

static const char *const normal_opts[] = {"self", "mean", "std"};

static int t_normal_(lua_State *L) {
  lcb_args(L, 1, 3, normal_opts, "normal_");
  lc_tensor *t = lcb_check(L, 1, "normal_");
  lcb_ok(L, lc_normal_(t, luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)));
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

static int t_sum(lua_State *L) {
  int dim;
  bool keep;
  lc_tensor *t = reduce_args(L, "sum", &dim, &keep);
  lcb_push(L, lc_sum(t, dim, keep));
  return 1;
}

static int t_mean(lua_State *L) {
  int dim;
  bool keep;
  lc_tensor *t = reduce_args(L, "mean", &dim, &keep);
  lcb_push(L, lc_mean(t, dim, keep));
  return 1;
}

/* Indices come back 1-based, like every index in Lua; out of place, since
 * max's backward saved the 0-based ones. */
static void push_indices(lua_State *L, lc_tensor *idx) {
  lc_tensor *one_based = idx ? lc_binary_scalar(LC_ADD, idx, 1, false) : NULL;
  lc_release(idx);
  lcb_push(L, one_based);
}

/* max(): the largest value; max(dim [, keepdim]): values and indices. */
static int extreme(lua_State *L, bool is_max) {
  const char *fname = is_max ? "max" : "min";
  int dim;
  bool keep;
  lc_tensor *t = reduce_args(L, fname, &dim, &keep);
  lc_tensor *idx = NULL;
  lc_tensor *v = is_max ? lc_max(t, dim, keep, dim == LC_ALL_DIMS ? NULL : &idx)
                        : lc_min(t, dim, keep, dim == LC_ALL_DIMS ? NULL : &idx);
  lcb_push(L, v);
  if (dim == LC_ALL_DIMS) return 1;
  push_indices(L, idx);
  return 2;
}

static int t_max(lua_State *L) { return extreme(L, true); }
static int t_min(lua_State *L) { return extreme(L, false); }

static int t_argmax(lua_State *L) {
  int dim;
  bool keep;
  lc_tensor *t = reduce_args(L, "argmax", &dim, &keep);
  push_indices(L, lc_argmax(t, dim, keep));
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

/* ---- joining and splitting ----------------------------------------------- */

static const char *const join_opts[] = {"tensors", "dim"};

static int join(lua_State *L, bool stack, const char *fname) {
  lcb_args(L, 1, 2, join_opts, fname);
  luaL_argexpected(L, lua_istable(L, 1), 1, "table of tensors");
  int n = (int)luaL_len(L, 1);
  if (n == 0) luaL_error(L, "%s: expected a non-empty list of tensors", fname);
  lc_tensor **ts = lua_newuserdatauv(L, n * sizeof *ts, 0); /* freed by the GC on error */
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    ts[i] = lcb_test(L, -1);
    if (!ts[i]) luaL_error(L, "%s: element %d of the list must be a tensor, got %s", fname, i + 1, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  int dim = lua_isnil(L, 2) ? 0 : lcb_dim(L, 2, ts[0]->ndim, stack, fname);
  lcb_push(L, stack ? lc_stack(ts, n, dim) : lc_cat(ts, n, dim));
  return 1;
}

static int l_cat(lua_State *L) { return join(L, false, "cat"); }
static int l_stack(lua_State *L) { return join(L, true, "stack"); }

int lcb_push_list(lua_State *L, lc_tensor **parts, int n) {
  if (!parts) lcb_fail(L);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lcb_push(L, parts[i]);
    lua_rawseti(L, -2, i + 1);
  }
  free(parts);
  return 1;
}

static const char *const split_opts[] = {"tensor", "split_size", "dim"};

static int t_split(lua_State *L) {
  lcb_args(L, 1, 3, split_opts, "split");
  lc_tensor *t = lcb_check(L, 1, "split");
  lua_Integer size = luaL_checkinteger(L, 2);
  if (size <= 0) luaL_error(L, "split: split_size must be positive, got %I", (lua_Integer)size);
  int dim = lua_isnil(L, 3) ? 0 : lcb_dim(L, 3, t->ndim, false, "split");
  int n = 0;
  lc_tensor **parts = lc_split(t, size, dim, &n);
  return lcb_push_list(L, parts, n);
}

static const char *const chunk_opts[] = {"tensor", "chunks", "dim"};

static int t_chunk(lua_State *L) {
  lcb_args(L, 1, 3, chunk_opts, "chunk");
  lc_tensor *t = lcb_check(L, 1, "chunk");
  lua_Integer chunks = luaL_checkinteger(L, 2);
  if (chunks <= 0) luaL_error(L, "chunk: chunks must be positive, got %I", (lua_Integer)chunks);
  int dim = lua_isnil(L, 3) ? 0 : lcb_dim(L, 3, t->ndim, false, "chunk");
  int n = 0;
  /* more chunks than elements give one element each, as in PyTorch */
  lc_tensor **parts = lc_chunk(t, chunks > INT_MAX ? INT_MAX : (int)chunks, dim, &n);
  return lcb_push_list(L, parts, n);
}

/* ---- registration -------------------------------------------------------- */

static const luaL_Reg methods[] = {
  {"view", t_view}, {"reshape", t_reshape}, {"view_as", t_view_as}, {"expand", t_expand},
  {"expand_as", t_expand_as}, {"transpose", t_transpose}, {"t", t_t}, {"permute", t_permute},
  {"narrow", t_narrow}, {"select", t_select}, {"squeeze", t_squeeze}, {"unsqueeze", t_unsqueeze},
  {"contiguous", t_contiguous}, {"clone", t_clone}, {"detach", t_detach},
  {"add", t_add}, {"sub", t_sub}, {"mul", t_mul}, {"div", t_div}, {"pow", t_pow},
  {"eq", t_eq}, {"ne", t_ne}, {"lt", t_lt}, {"le", t_le}, {"gt", t_gt}, {"ge", t_ge},
  {"neg", t_neg}, {"exp", t_exp}, {"log", t_log}, {"tanh", t_tanh}, {"sigmoid", t_sigmoid},
  {"relu", t_relu}, {"sqrt", t_sqrt}, {"abs", t_abs}, {"sin", t_sin}, {"cos", t_cos}, {"clamp", t_clamp}, {"matmul", t_matmul},
  {"add_", t_add_}, {"sub_", t_sub_}, {"mul_", t_mul_}, {"div_", t_div_}, {"fill_", t_fill_},
  {"zero_", t_zero_}, {"copy_", t_copy_}, {"uniform_", t_uniform_}, {"normal_", t_normal_},
  {"sum", t_sum}, {"mean", t_mean}, {"max", t_max}, {"min", t_min}, {"argmax", t_argmax},
  {"softmax", t_softmax}, {"log_softmax", t_log_softmax}, {"split", t_split}, {"chunk", t_chunk},
  {NULL, NULL}};

static const luaL_Reg metamethods[] = {
  {"__add", t_add}, {"__sub", t_sub}, {"__mul", t_mul}, {"__div", t_div}, {"__pow", t_pow},
  {"__unm", t_neg}, {NULL, NULL}};

void lcb_open_ops(lua_State *L, int module, int methods_idx) {
  lua_pushvalue(L, methods_idx);
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 1);
  /* every method is also a function of the module: lucid.exp(x), lucid.matmul(a, b) */
  lua_pushvalue(L, module);
  luaL_setfuncs(L, methods, 0);
  luaL_setfuncs(L, (luaL_Reg[]){{"cat", l_cat}, {"stack", l_stack}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
  luaL_getmetatable(L, LCB_TENSOR);
  luaL_setfuncs(L, metamethods, 0);
  lua_pop(L, 1);
}
