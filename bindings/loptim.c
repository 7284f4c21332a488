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

/* The arguments of the kernels below, read in order from a stack index on. */
typedef struct {
  lua_State *L;
  int at;
  const char *fname;
} argv_reader;

static lc_tensor *tensor_arg(argv_reader *r) { return lcb_check(r->L, r->at++, r->fname); }
static lc_tensor *opt_tensor_arg(argv_reader *r) { return lcb_opt(r->L, r->at++, r->fname); }
static double num_arg(argv_reader *r) { return luaL_checknumber(r->L, r->at++); }
static int64_t int_arg(argv_reader *r) { return (int64_t)luaL_checkinteger(r->L, r->at++); }
static bool bool_arg(argv_reader *r) { return lua_toboolean(r->L, r->at++); }

/* lucid._rmsprop_step(param, grad, square_avg, grad_avg|nil, momentum_buf|nil,
 *                     lr, alpha, eps, weight_decay, momentum, centered, maximize) */
static int l_rmsprop_step(lua_State *L) {
  argv_reader r = {L, 1, "_rmsprop_step"};
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *sq = tensor_arg(&r);
  lc_tensor *ga = opt_tensor_arg(&r), *buf = opt_tensor_arg(&r);
  double lr = num_arg(&r), alpha = num_arg(&r), eps = num_arg(&r), wd = num_arg(&r);
  double momentum = num_arg(&r);
  bool centered = bool_arg(&r), maximize = bool_arg(&r);
  lcb_ok(L, lc_rmsprop_step(p, g, sq, ga, buf, lr, alpha, eps, wd, momentum, centered, maximize));
  return 0;
}

/* lucid._adagrad_step(param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize) */
static int l_adagrad_step(lua_State *L) {
  argv_reader r = {L, 1, "_adagrad_step"};
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *sum = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), lr_decay = num_arg(&r), wd = num_arg(&r), eps = num_arg(&r);
  bool maximize = bool_arg(&r);
  lcb_ok(L, lc_adagrad_step(p, g, sum, step, lr, lr_decay, wd, eps, maximize));
  return 0;
}

/* lucid._adadelta_step(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize) */
static int l_adadelta_step(lua_State *L) {
  argv_reader r = {L, 1, "_adadelta_step"};
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *sq = tensor_arg(&r), *acc = tensor_arg(&r);
  double lr = num_arg(&r), rho = num_arg(&r), eps = num_arg(&r), wd = num_arg(&r);
  bool maximize = bool_arg(&r);
  lcb_ok(L, lc_adadelta_step(p, g, sq, acc, lr, rho, eps, wd, maximize));
  return 0;
}

/* lucid._adamax_step(param, grad, exp_avg, exp_inf, step, lr, beta1, beta2, eps,
 *                    weight_decay, maximize) */
static int l_adamax_step(lua_State *L) {
  argv_reader r = {L, 1, "_adamax_step"};
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *u = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), b1 = num_arg(&r), b2 = num_arg(&r), eps = num_arg(&r);
  double wd = num_arg(&r);
  bool maximize = bool_arg(&r);
  lcb_ok(L, lc_adamax_step(p, g, m, u, step, lr, b1, b2, eps, wd, maximize));
  return 0;
}

/* lucid._nadam_step(param, grad, exp_avg, exp_avg_sq, step, mu_product, lr, beta1,
 *                   beta2, weight_decay, momentum_decay, eps) -> new mu_product */
static int l_nadam_step(lua_State *L) {
  argv_reader r = {L, 1, "_nadam_step"};
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *v = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double mu_product = num_arg(&r), lr = num_arg(&r), b1 = num_arg(&r), b2 = num_arg(&r);
  double wd = num_arg(&r), momentum_decay = num_arg(&r), eps = num_arg(&r);
  lcb_ok(L, lc_nadam_step(p, g, m, v, step, &mu_product, lr, b1, b2, wd, momentum_decay, eps));
  lua_pushnumber(L, mu_product);
  return 1;
}

/* lucid._radam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2,
 *                   weight_decay, eps) */
static int l_radam_step(lua_State *L) {
  argv_reader r = {L, 1, "_radam_step"};
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *v = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), b1 = num_arg(&r), b2 = num_arg(&r), wd = num_arg(&r);
  double eps = num_arg(&r);
  lcb_ok(L, lc_radam_step(p, g, m, v, step, lr, b1, b2, wd, eps));
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
                                {"_rmsprop_step", l_rmsprop_step},
                                {"_adagrad_step", l_adagrad_step}, {"_adadelta_step", l_adadelta_step},
                                {"_adamax_step", l_adamax_step}, {"_nadam_step", l_nadam_step},
                                {"_radam_step", l_radam_step}, {"_tensor_key", l_tensor_key},
                                {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
