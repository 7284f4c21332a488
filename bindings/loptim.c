/* loptim.c: optimizer update kernels, as private helpers of lucid.optim
 * (the Lua files of lucid.optim check the user's arguments; these check types). */
#include "lbind.h"

/* lucid._sgd_step(param, grad, momentum_buf|nil, lr, momentum, dampening,
 *                 weight_decay, nesterov, maximize, first_step) */
static int l_sgd_step(lua_State *L) {
  const char *f = "_sgd_step";
  lc_tensor *p = lcb_check(L, 1, f), *g = lcb_check(L, 2, f), *buf = lcb_opt(L, 3, f);
  double lr = luaL_checknumber(L, 4), momentum = luaL_checknumber(L, 5);
  double dampening = luaL_checknumber(L, 6), weight_decay = luaL_checknumber(L, 7);
  bool nesterov = lua_toboolean(L, 8), maximize = lua_toboolean(L, 9);
  bool first = lua_toboolean(L, 10);
  lcb_ok(L, lc_sgd_step(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize,
                        first));
  return 0;
}

/* lucid._adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq|nil, step,
 *                  lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize) */
static int l_adam_step(lua_State *L) {
  const char *f = "_adam_step";
  lc_tensor *p = lcb_check(L, 1, f), *g = lcb_check(L, 2, f);
  lc_tensor *m = lcb_check(L, 3, f), *v = lcb_check(L, 4, f), *vmax = lcb_opt(L, 5, f);
  lua_Integer step = luaL_checkinteger(L, 6);
  double lr = luaL_checknumber(L, 7), beta1 = luaL_checknumber(L, 8);
  double beta2 = luaL_checknumber(L, 9), eps = luaL_checknumber(L, 10);
  double weight_decay = luaL_checknumber(L, 11);
  bool decoupled = lua_toboolean(L, 12), amsgrad = lua_toboolean(L, 13);
  bool maximize = lua_toboolean(L, 14);
  lcb_ok(L, lc_adam_step(p, g, m, v, vmax, (int64_t)step, lr, beta1, beta2, eps, weight_decay,
                         decoupled, amsgrad, maximize));
  return 0;
}

/* lucid._tensor_key(t): a light userdata naming the tensor itself, equal for
 * every Lua value that wraps it (two wrappers of one tensor are different
 * Lua values), so optimizers can find a parameter given twice. */
static int l_tensor_key(lua_State *L) {
  lua_pushlightuserdata(L, lcb_check(L, 1, "_tensor_key"));
  return 1;
}

void lcb_open_optim(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"_sgd_step", l_sgd_step}, {"_adam_step", l_adam_step},
                                {"_tensor_key", l_tensor_key}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
