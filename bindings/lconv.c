/* lconv.c: the convolution kernel (core/conv.c) for nn.functional. */
#include "lbind.h"

/* lucid._C.conv1d{name =, input =, weight =, bias =, stride =, pad_left =,
 * pad_right =, dilation =, groups =, output_padding =, transposed =} (or in
 * that order): name is the public function or module the errors carry. */
static const char *const conv1d_names[] = {"name", "input", "weight", "bias", "stride", "pad_left",
                                          "pad_right", "dilation", "groups", "output_padding", "transposed"};

static int l_conv1d(lua_State *L) {
  lcb_args(L, 1, 11, conv1d_names, "conv1d");
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
  lcb_register_private(L, module, (luaL_Reg[]){{"conv1d", l_conv1d}, {NULL, NULL}});
}
