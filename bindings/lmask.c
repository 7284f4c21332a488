/* lmask.c: where, the masked ops, nonzero/argwhere, and the ops with bool
 * results (isnan, logical_and, isclose, ...) for Lua. Positions come back
 * 1-based. */
#include <math.h>

#include "lbind.h"
#include "lc_internal.h" /* lc_check_inplace */

/* The tensor at idx, or a number (or boolean) there as a 0-dim tensor of the
 * dtype it takes beside `other` (PyTorch's scalar rules; NULL other: int64,
 * float32 or bool by the value's own type). Pushes what it makes. */
static lc_tensor *operand(lua_State *L, int idx, const lc_tensor *other, const char *fname,
                          const char *arg) {
  lc_tensor *t = lcb_test(L, idx);
  if (t) return t;
  int type = lua_type(L, idx);
  if (type != LUA_TNUMBER && type != LUA_TBOOLEAN)
    luaL_error(L, "%s: %s must be a tensor, a number or a boolean, got %s", fname, arg,
               luaL_typename(L, idx));
  lc_dtype dt;
  if (type == LUA_TBOOLEAN) dt = other ? other->dtype : LC_BOOL;
  else if (other) dt = lc_scalar_dtype(other->dtype, !lua_isinteger(L, idx));
  else dt = lua_isinteger(L, idx) ? LC_INT64 : LC_FLOAT32;
  double v = type == LUA_TBOOLEAN ? lua_toboolean(L, idx) : lua_tonumber(L, idx);
  lc_tensor *s = lc_scalar(dt, v);
  lcb_push(L, s);
  if (dt == LC_INT64 && lua_isinteger(L, idx)) *(int64_t *)lc_data(s) = lua_tointeger(L, idx);
  return s;
}

/* A table of ndim 1-D tensors, the columns of nonzero (as_tuple). A 0-dim
 * input counts as 1-D, as in PyTorch. */
static int push_columns(lua_State *L, lc_tensor *t) {
  int64_t one = 1;
  lc_tensor *flat = t->ndim ? lc_retain(t) : lc_view(t, 1, &one);
  lcb_push(L, flat);
  lc_tensor *nz = lc_nonzero(flat, 1);
  lcb_push(L, nz);
  lua_createtable(L, flat->ndim, 0);
  for (int d = 0; d < flat->ndim; d++) {
    lcb_push(L, lc_select(nz, 1, d));
    lua_rawseti(L, -2, d + 1);
  }
  return 1;
}

static const char *const where_opts[] = {"condition", "input", "other"};

/* where(cond, x, y); where(cond) is nonzero(cond, {as_tuple = true}). */
static int l_where(lua_State *L) {
  lcb_args(L, 1, 3, where_opts, "where");
  lc_tensor *cond = lcb_check(L, 1, "where");
  if (lua_isnil(L, 2) && lua_isnil(L, 3)) return push_columns(L, cond);
  if (lua_isnil(L, 2) || lua_isnil(L, 3))
    luaL_error(L, "where: give both input and other, or neither");
  lc_tensor *x = lcb_test(L, 2), *y = lcb_test(L, 3);
  x = operand(L, 2, y, "where", "input");
  y = operand(L, 3, x, "where", "other");
  lcb_push(L, lc_where(cond, x, y));
  return 1;
}

static const char *const where_method_opts[] = {"input", "condition", "other"};

/* x:where(cond, y): PyTorch's Tensor.where, the input first. */
static int t_where(lua_State *L) {
  lcb_args(L, 1, 3, where_method_opts, "where");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 3);
  lua_replace(L, 3);
  lua_replace(L, 2);
  lua_replace(L, 1);
  if (lua_isnil(L, 3)) luaL_error(L, "where: other is required for x:where(condition, other)");
  return l_where(L);
}

/* masked_fill(x, mask, value) and masked_scatter(x, mask, source), out of
 * place or (with a trailing _) in place. */
typedef lc_tensor *(*masked_fn)(const lc_tensor *, const lc_tensor *, const lc_tensor *);

static int masked(lua_State *L, masked_fn fn, const char *fname, const char *third, bool inplace) {
  const char *const names[] = {"input", "mask", third};
  lcb_args(L, 1, 3, names, fname);
  lc_tensor *x = lcb_check(L, 1, fname), *mask = lcb_check(L, 2, fname);
  lc_tensor *v = fn == lc_masked_fill ? operand(L, 3, x, fname, third) : lcb_check(L, 3, fname);
  if (inplace && lc_check_inplace(fname, x, v)) lcb_fail(L);
  lcb_push(L, fn(x, mask, v));
  if (!inplace) return 1;
  lcb_ok(L, lc_copy_(x, lcb_test(L, -1)));
  lua_settop(L, 1);
  return 1;
}

static int t_masked_fill(lua_State *L) { return masked(L, lc_masked_fill, "masked_fill", "value", false); }
static int t_masked_fill_(lua_State *L) { return masked(L, lc_masked_fill, "masked_fill_", "value", true); }
static int t_masked_scatter(lua_State *L) {
  return masked(L, lc_masked_scatter, "masked_scatter", "source", false);
}
static int t_masked_scatter_(lua_State *L) {
  return masked(L, lc_masked_scatter, "masked_scatter_", "source", true);
}

static const char *const select_opts[] = {"input", "mask"};

static int t_masked_select(lua_State *L) {
  lcb_args(L, 1, 2, select_opts, "masked_select");
  lc_tensor *x = lcb_check(L, 1, "masked_select"), *mask = lcb_check(L, 2, "masked_select");
  lcb_push(L, lc_masked_select(x, mask));
  return 1;
}

static const char *const nonzero_opts[] = {"input", "as_tuple"};

static int t_nonzero(lua_State *L) {
  lcb_args(L, 1, 2, nonzero_opts, "nonzero");
  lc_tensor *t = lcb_check(L, 1, "nonzero");
  if (lcb_optbool(L, 2, false, "nonzero", "as_tuple")) return push_columns(L, t);
  lcb_push(L, lc_nonzero(t, 1));
  return 1;
}

static int t_argwhere(lua_State *L) {
  lcb_args(L, 1, 1, nonzero_opts, "argwhere");
  lcb_push(L, lc_nonzero(lcb_check(L, 1, "argwhere"), 1));
  return 1;
}

/* ---- bool results -------------------------------------------------------- */

static int predicate(lua_State *L, lc_predicate_op op, const char *fname) {
  if (lua_gettop(L) > 1) luaL_error(L, "%s: expected 1 argument, got %d", fname, lua_gettop(L));
  lcb_push(L, lc_predicate(op, lcb_check(L, 1, fname)));
  return 1;
}

static int t_isnan(lua_State *L) { return predicate(L, LC_ISNAN, "isnan"); }
static int t_isinf(lua_State *L) { return predicate(L, LC_ISINF, "isinf"); }
static int t_isfinite(lua_State *L) { return predicate(L, LC_ISFINITE, "isfinite"); }
static int t_logical_not(lua_State *L) { return predicate(L, LC_LOGICAL_NOT, "logical_not"); }

static const char *const logical_opts[] = {"input", "other"};

static int logical(lua_State *L, lc_logical_op op, const char *fname) {
  lcb_args(L, 1, 2, logical_opts, fname);
  lc_tensor *a = lcb_check(L, 1, fname);
  lcb_push(L, lc_logical(op, a, operand(L, 2, a, fname, "other")));
  return 1;
}

static int t_logical_and(lua_State *L) { return logical(L, LC_LOGICAL_AND, "logical_and"); }
static int t_logical_or(lua_State *L) { return logical(L, LC_LOGICAL_OR, "logical_or"); }
static int t_logical_xor(lua_State *L) { return logical(L, LC_LOGICAL_XOR, "logical_xor"); }

static const char *const isclose_opts[] = {"input", "other", "rtol", "atol", "equal_nan"};

static int t_isclose(lua_State *L) {
  lcb_args(L, 1, 5, isclose_opts, "isclose");
  lc_tensor *a = lcb_check(L, 1, "isclose");
  lc_tensor *b = operand(L, 2, a, "isclose", "other");
  double rtol = luaL_optnumber(L, 3, 1e-5), atol = luaL_optnumber(L, 4, 1e-8);
  bool equal_nan = lcb_optbool(L, 5, false, "isclose", "equal_nan");
  lcb_push(L, lc_isclose(a, b, rtol, atol, equal_nan));
  return 1;
}

static const luaL_Reg methods[] = {
  {"masked_fill", t_masked_fill}, {"masked_fill_", t_masked_fill_},
  {"masked_scatter", t_masked_scatter}, {"masked_scatter_", t_masked_scatter_},
  {"masked_select", t_masked_select}, {"nonzero", t_nonzero}, {"argwhere", t_argwhere},
  {"isnan", t_isnan}, {"isinf", t_isinf}, {"isfinite", t_isfinite},
  {"logical_not", t_logical_not}, {"logical_and", t_logical_and}, {"logical_or", t_logical_or},
  {"logical_xor", t_logical_xor}, {"isclose", t_isclose}, {NULL, NULL}};

void lcb_open_mask(lua_State *L, int module, int methods_idx) {
  lua_pushvalue(L, methods_idx);
  luaL_setfuncs(L, methods, 0);
  lua_pushcfunction(L, t_where);
  lua_setfield(L, -2, "where");
  lua_pop(L, 1);
  /* every method is also a function of the module; where only there, as in
   * PyTorch's x.where(cond, y) the condition comes second */
  lua_pushvalue(L, module);
  luaL_setfuncs(L, methods, 0);
  luaL_setfuncs(L, (luaL_Reg[]){{"where", l_where}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
