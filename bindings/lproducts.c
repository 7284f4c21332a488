/* lproducts.c: the named matrix products (mm, bmm, mv, dot, outer, the add*
 * forms), trace, cross and matrix_power (core/products.c) for Lua; cross and
 * matrix_power are also in lucid.linalg. */
#include "lbind.h"

static int product(lua_State *L, lc_product_kind kind, const char *fname) {
  lc_tensor *a = lcb_check(L, 1, fname), *b = lcb_check(L, 2, fname);
  if (lua_gettop(L) > 2) luaL_error(L, "%s: expected 2 arguments, got %d", fname, lua_gettop(L));
  lcb_push(L, lc_product(fname, kind, a, b));
  return 1;
}

static int t_mm(lua_State *L) { return product(L, LC_MM, "mm"); }
static int t_bmm(lua_State *L) { return product(L, LC_BMM, "bmm"); }
static int t_mv(lua_State *L) { return product(L, LC_MV, "mv"); }
static int t_dot(lua_State *L) { return product(L, LC_DOT, "dot"); }
static int t_vdot(lua_State *L) { return product(L, LC_DOT, "vdot"); } /* real: no conjugate */

static int t_outer(lua_State *L) {
  lcb_push(L, lc_outer(lcb_check(L, 1, "outer"), lcb_check(L, 2, "outer")));
  return 1;
}

static const char *const add_opts[] = {"input", "mat1", "mat2", "beta", "alpha"};

/* addmm(input, a, b [, {beta=1, alpha=1}]) and the other add* forms. */
static int addproduct(lua_State *L, lc_product_kind kind, const char *fname) {
  lcb_args(L, 1, 5, add_opts, fname);
  lc_tensor *in = lcb_check(L, 1, fname), *a = lcb_check(L, 2, fname), *b = lcb_check(L, 3, fname);
  double beta = lcb_optnum(L, 4, 1, fname, "beta"), alpha = lcb_optnum(L, 5, 1, fname, "alpha");
  lcb_push(L, lc_addproduct(fname, kind, in, a, b, beta, alpha));
  return 1;
}

static int t_addmm(lua_State *L) { return addproduct(L, LC_MM, "addmm"); }
static int t_addmv(lua_State *L) { return addproduct(L, LC_MV, "addmv"); }
static int t_baddbmm(lua_State *L) { return addproduct(L, LC_BMM, "baddbmm"); }
static int t_addbmm(lua_State *L) { return addproduct(L, LC_BATCH_SUM, "addbmm"); }

static int t_trace(lua_State *L) {
  lcb_push(L, lc_trace(lcb_check(L, 1, "trace")));
  return 1;
}

static const char *const cross_opts[] = {"input", "other", "dim"};

static int t_cross(lua_State *L) {
  lcb_args(L, 1, 3, cross_opts, "cross");
  lc_tensor *a = lcb_check(L, 1, "cross"), *b = lcb_check(L, 2, "cross");
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  int dim = lua_isnil(L, 3) ? LC_ALL_DIMS : lcb_dim(L, 3, nd, false, "cross");
  lcb_push(L, lc_cross(a, b, dim));
  return 1;
}

static int t_matrix_power(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "matrix_power");
  lcb_push(L, lc_matrix_power(t, lcb_checkint(L, 2, "matrix_power", "n")));
  return 1;
}

static const luaL_Reg fns[] = {
  {"mm", t_mm}, {"bmm", t_bmm}, {"mv", t_mv}, {"dot", t_dot}, {"vdot", t_vdot}, {"outer", t_outer},
  {"addmm", t_addmm}, {"addmv", t_addmv}, {"baddbmm", t_baddbmm}, {"addbmm", t_addbmm},
  {"trace", t_trace}, {"cross", t_cross}, {"matrix_power", t_matrix_power}, {NULL, NULL}};

void lcb_open_products(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  lcb_push_linalg(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"cross", t_cross}, {"matrix_power", t_matrix_power}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
