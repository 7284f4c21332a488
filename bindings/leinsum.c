/* leinsum.c: einsum (core/einsum.c) for Lua. */
#include "lbind.h"

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

void lcb_open_einsum(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"einsum", l_einsum}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
