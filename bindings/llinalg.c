/* llinalg.c: matrix products, einsum, trace, cross, matrix_power
 * (core/products.c, einsum.c) and lucid.linalg's LAPACK functions
 * (core/lapack.c) for Lua. lua/lucid/linalg.lua adds the norms. */
#include <string.h>

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

/* einsum(equation, a, b, ...) or einsum(equation, {a, b, ...}). */
static int l_einsum(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING) /* checked first: lua_tostring would convert a number */
    luaL_error(L, "einsum: equation must be a string, got %s", luaL_typename(L, 1));
  const char *eq = lua_tostring(L, 1);
  int n = lua_gettop(L) - 1, base = 2;
  if (n == 1 && lua_istable(L, 2) && !lcb_test(L, 2)) {
    n = (int)luaL_len(L, 2);
    luaL_checkstack(L, n, "einsum");
    for (int i = 1; i <= n; i++) lua_geti(L, 2, i);
    base = 3;
  }
  if (n < 1 || n > 64) luaL_error(L, "einsum: expected 1 to 64 operands, got %d", n);
  lc_tensor *ops[64];
  for (int i = 0; i < n; i++) ops[i] = lcb_check(L, base + i, "einsum");
  lcb_push(L, lc_einsum(eq, ops, n));
  return 1;
}

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

static int l_det(lua_State *L) {
  lcb_push(L, lc_det(lcb_check(L, 1, "det")));
  return 1;
}

static int l_inv(lua_State *L) {
  lcb_push(L, lc_inv(lcb_check(L, 1, "inv")));
  return 1;
}

static int l_cholesky(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "cholesky");
  lua_settop(L, 2);
  if (lua_istable(L, 2)) lua_getfield(L, 2, "upper"), lua_replace(L, 2);
  bool upper = lcb_optbool(L, 2, false, "cholesky", "upper");
  lc_tensor *l = lc_cholesky(t);
  if (l && upper) {
    lc_tensor *u = lc_transpose(l, -1, -2), *c = u ? lc_contiguous(u) : NULL;
    lc_release(u);
    lc_release(l);
    l = c;
  }
  lcb_push(L, l);
  return 1;
}

static int l_solve(lua_State *L) {
  lcb_push(L, lc_solve(lcb_check(L, 1, "solve"), lcb_check(L, 2, "solve")));
  return 1;
}

/* qr(A [, mode = "reduced"]): Q and R. */
static int l_qr(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "qr"), *q, *r;
  lua_settop(L, 2);
  if (lua_istable(L, 2)) lua_getfield(L, 2, "mode"), lua_replace(L, 2);
  if (!lua_isnil(L, 2) && (lua_type(L, 2) != LUA_TSTRING || strcmp(lua_tostring(L, 2), "reduced")))
    luaL_error(L, "qr: mode must be 'reduced' (the only one built), got %s", luaL_tolstring(L, 2, NULL));
  lcb_ok(L, lc_qr(t, &q, &r));
  lcb_push(L, q);
  lcb_push(L, r);
  return 2;
}

static const char *const svd_opts[] = {"A", "full_matrices"};

/* svd(A [, full_matrices = true]): U, S, Vh, as torch.linalg.svd. */
static int l_svd(lua_State *L) {
  lcb_args(L, 1, 2, svd_opts, "svd");
  lc_tensor *t = lcb_check(L, 1, "svd"), *u, *s, *vh;
  bool full = lcb_optbool(L, 2, true, "svd", "full_matrices");
  lcb_ok(L, lc_svd(t, full, &u, &s, &vh));
  lcb_push(L, u);
  lcb_push(L, s);
  lcb_push(L, vh);
  return 3;
}

static int l_svdvals(lua_State *L) {
  lcb_args(L, 1, 1, svd_opts, "svdvals");
  lcb_push(L, lc_svdvals(lcb_check(L, 1, "svdvals")));
  return 1;
}

static const luaL_Reg fns[] = {
  {"mm", t_mm}, {"bmm", t_bmm}, {"mv", t_mv}, {"dot", t_dot}, {"vdot", t_vdot}, {"outer", t_outer},
  {"addmm", t_addmm}, {"addmv", t_addmv}, {"baddbmm", t_baddbmm}, {"addbmm", t_addbmm},
  {"trace", t_trace}, {"cross", t_cross}, {"matrix_power", t_matrix_power}, {"det", l_det},
  {"inverse", l_inv}, {"cholesky", l_cholesky}, {NULL, NULL}};

static const luaL_Reg linalg[] = {
  {"solve", l_solve}, {"inv", l_inv}, {"det", l_det}, {"cholesky", l_cholesky}, {"qr", l_qr},
  {"svd", l_svd}, {"svdvals", l_svdvals}, {"cross", t_cross}, {"matrix_power", t_matrix_power}, {NULL, NULL}};

void lcb_open_linalg(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"einsum", l_einsum}, {NULL, NULL}}, 0);
  luaL_newlib(L, linalg); /* lucid.core.linalg; lua/lucid/linalg.lua adds the norms */
  lua_setfield(L, -2, "linalg");
  lua_pop(L, 1);
}
