/* lconv.c: the convolution kernel (core/conv.c) for nn.functional. */
#include "lbind.h"

/* _conv1d(name, x, weight, bias, stride, pad_left, pad_right, dilation,
 * groups, output_padding, transposed): name is the public function or
 * module the errors carry. */
static int l_conv1d(lua_State *L) {
  lua_settop(L, 11);
  const char *name = luaL_checkstring(L, 1);
  lc_conv1d_args a = {.op = name, .x = lcb_check(L, 2, name), .weight = lcb_check(L, 3, name),
                      .bias = lcb_opt(L, 4, name)};
  a.stride = luaL_checkinteger(L, 5);
  a.pad_left = luaL_checkinteger(L, 6);
  a.pad_right = luaL_checkinteger(L, 7);
  a.dilation = luaL_checkinteger(L, 8);
  a.groups = luaL_checkinteger(L, 9);
  a.output_padding = luaL_optinteger(L, 10, 0);
  a.transposed = lua_toboolean(L, 11);
  lcb_push(L, lc_conv1d(&a));
  return 1;
}

void lcb_open_conv(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"_conv1d", l_conv1d}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
