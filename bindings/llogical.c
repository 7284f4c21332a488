/* llogical.c: the ops with bool results (core/logical.c) for Lua: isnan,
 * isinf, isfinite, logical_not/and/or/xor, isclose. */
#include "lbind.h"

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
  lcb_push(L, lc_logical(op, a, lcb_operand(L, 2, a, fname, "other")));
  return 1;
}

static int t_logical_and(lua_State *L) { return logical(L, LC_LOGICAL_AND, "logical_and"); }
static int t_logical_or(lua_State *L) { return logical(L, LC_LOGICAL_OR, "logical_or"); }
static int t_logical_xor(lua_State *L) { return logical(L, LC_LOGICAL_XOR, "logical_xor"); }

static const char *const isclose_opts[] = {"input", "other", "rtol", "atol", "equal_nan"};

static int t_isclose(lua_State *L) {
  lcb_args(L, 1, 5, isclose_opts, "isclose");
  lc_tensor *a = lcb_check(L, 1, "isclose");
  lc_tensor *b = lcb_operand(L, 2, a, "isclose", "other");
  double rtol = lcb_optnum(L, 3, 1e-5, "isclose", "rtol"), atol = lcb_optnum(L, 4, 1e-8, "isclose", "atol");
  bool equal_nan = lcb_optbool(L, 5, false, "isclose", "equal_nan");
  lcb_push(L, lc_isclose(a, b, rtol, atol, equal_nan));
  return 1;
}

static const luaL_Reg fns[] = {
  {"isnan", t_isnan}, {"isinf", t_isinf}, {"isfinite", t_isfinite},
  {"logical_not", t_logical_not}, {"logical_and", t_logical_and}, {"logical_or", t_logical_or},
  {"logical_xor", t_logical_xor}, {"isclose", t_isclose}, {NULL, NULL}};

void lcb_open_logical(lua_State *L, int module, int methods) { lcb_register(L, module, methods, fns); }
