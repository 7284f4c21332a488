/* lpooling.c: the pooling kernel (core/pooling.c) for nn.functional. */
#include "lbind.h"

/* _pool1d(name, x, is_max, adaptive, kernel, stride, padding, dilation,
 * ceil_mode, count_include_pad, output_size) -> y, indices (max: 1-based
 * positions along L, int64) */
static int l_pool1d(lua_State *L) {
  lua_settop(L, 11);
  const char *name = luaL_checkstring(L, 1);
  lc_pool1d_args a = {.op = name, .x = lcb_check(L, 2, name), .is_max = lua_toboolean(L, 3),
                      .adaptive = lua_toboolean(L, 4), .index_base = 1};
  a.kernel = luaL_optinteger(L, 5, 1);
  a.stride = luaL_optinteger(L, 6, 1);
  a.padding = luaL_optinteger(L, 7, 0);
  a.dilation = luaL_optinteger(L, 8, 1);
  a.ceil_mode = lua_toboolean(L, 9);
  a.count_include_pad = lua_toboolean(L, 10);
  a.output_size = luaL_optinteger(L, 11, 1);
  lc_tensor *idx = NULL;
  lc_tensor *y = lc_pool1d(&a, a.is_max ? &idx : NULL);
  lcb_push(L, y);
  if (!idx) return 1;
  lcb_push(L, idx);
  return 2;
}

void lcb_open_pooling(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"_pool1d", l_pool1d}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
