/* llapack.c: lucid.linalg's LAPACK functions (core/lapack.c) for Lua: solve,
 * inv, det, cholesky, qr; det, inverse and cholesky are also tensor methods.
 * lua/lucid/linalg.lua adds the norms. */
#include <string.h>

#include "lbind.h"

static int l_det(lua_State *L) {
  lcb_push(L, lc_det(lcb_check(L, 1, "det")));
  return 1;
}

static int l_inv(lua_State *L) {
  lcb_push(L, lc_inv(lcb_check(L, 1, "inv")));
  return 1;
}

static const char *const cholesky_opts[] = {"input", "upper"};

static int l_cholesky(lua_State *L) {
  lcb_args(L, 1, 2, cholesky_opts, "cholesky");
  lc_tensor *t = lcb_check(L, 1, "cholesky");
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

static const char *const qr_opts[] = {"A", "mode"};

/* qr(A [, mode = "reduced"]): Q and R. */
static int l_qr(lua_State *L) {
  lcb_args(L, 1, 2, qr_opts, "qr");
  lc_tensor *t = lcb_check(L, 1, "qr"), *q, *r;
  if (!lua_isnil(L, 2) && (lua_type(L, 2) != LUA_TSTRING || strcmp(lua_tostring(L, 2), "reduced")))
    luaL_error(L, "qr: mode must be 'reduced' (the only one built), got %s", luaL_tolstring(L, 2, NULL));
  lcb_ok(L, lc_qr(t, &q, &r));
  lcb_push(L, q);
  lcb_push(L, r);
  return 2;
}

static const luaL_Reg fns[] = {{"det", l_det}, {"inverse", l_inv}, {"cholesky", l_cholesky}, {NULL, NULL}};

void lcb_push_linalg(lua_State *L, int module) {
  if (lua_getfield(L, module, "linalg") == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L); /* lucid.core.linalg; lua/lucid/linalg.lua adds the norms */
  lua_pushvalue(L, -1);
  lua_setfield(L, module, "linalg");
}

void lcb_open_lapack(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  lcb_push_linalg(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"solve", l_solve}, {"inv", l_inv}, {"det", l_det},
                                {"cholesky", l_cholesky}, {"qr", l_qr}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
