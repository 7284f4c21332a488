/* lsvd.c: lucid.linalg.svd and svdvals (core/svd.c) for Lua. */
#include "lbind.h"

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

void lcb_open_svd(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_push_linalg(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"svd", l_svd}, {"svdvals", l_svdvals}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
