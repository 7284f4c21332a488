/* lnorm.c: the normalisation kernel (core/norm.c) for nn.functional. */
#include "lbind.h"

/* lucid._C.layer_norm{name =, input =, normalized_shape =, weight =, bias =,
 * eps =, rms =, stats =} (or in that order) -> y [, mean, var]: name is the
 * public function or module the errors carry; normalized_shape a list of sizes; with stats, also each row's mean
 * and biased variance (float64, not differentiable). */
static const char *const layer_norm_names[] = {"name", "input", "normalized_shape", "weight", "bias",
                                              "eps", "rms", "stats"};

static int l_layer_norm(lua_State *L) {
  lcb_args(L, 1, 8, layer_norm_names, "layer_norm");
  const char *name = luaL_checkstring(L, 1);
  int64_t sizes[LC_MAX_DIMS];
  lc_norm_args a = {.op = name, .x = lcb_check(L, 2, name), .norm_sizes = sizes};
  a.norm_ndim = lcb_sizes(L, 3, sizes, name);
  a.weight = lcb_opt(L, 4, name);
  a.bias = lcb_opt(L, 5, name);
  a.eps = luaL_checknumber(L, 6);
  a.rms = lua_toboolean(L, 7);
  bool stats = lua_toboolean(L, 8);
  lc_tensor *mean = NULL, *var = NULL;
  lc_tensor *y = lc_layer_norm(&a, stats ? &mean : NULL, stats ? &var : NULL);
  lcb_push(L, y);
  if (!stats) return 1;
  lcb_push(L, mean);
  lcb_push(L, var);
  return 3;
}

void lcb_open_norm(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){{"layer_norm", l_layer_norm}, {NULL, NULL}});
}
