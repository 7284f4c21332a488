/* loptim.c: optimizer update kernels (core/optim.c), private helpers of
 * lucid.optim under lucid._C. Each takes one table of named arguments
 * (lcb_args: the names below, also accepted in that order); the Lua files of
 * lucid.optim check the user's values, these check types. */
#include "lbind.h"

/* The arguments of a kernel, read in the order of its names from a stack
 * index on, after lcb_args has put them there. */
typedef struct {
  lua_State *L;
  int at;
  const char *fname;
} argv_reader;

static argv_reader read_args(lua_State *L, int n, const char *const *names, const char *fname) {
  lcb_args(L, 1, n, names, fname);
  return (argv_reader){L, 1, fname};
}

static lc_tensor *tensor_arg(argv_reader *r) { return lcb_check(r->L, r->at++, r->fname); }
static lc_tensor *opt_tensor_arg(argv_reader *r) { return lcb_opt(r->L, r->at++, r->fname); }
static double num_arg(argv_reader *r) { return luaL_checknumber(r->L, r->at++); }
static int64_t int_arg(argv_reader *r) { return (int64_t)luaL_checkinteger(r->L, r->at++); }
static bool bool_arg(argv_reader *r) { return lua_toboolean(r->L, r->at++); }

static const char *const sgd_names[] = {"param", "grad", "momentum_buffer", "lr", "momentum",
                                        "dampening", "weight_decay", "nesterov", "maximize",
                                        "first_step"};

/* sgd_step{param, grad, momentum_buffer|nil, lr, momentum, dampening,
 *          weight_decay, nesterov, maximize, first_step} */
static int l_sgd_step(lua_State *L) {
  argv_reader r = read_args(L, 10, sgd_names, "sgd_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *buf = opt_tensor_arg(&r);
  double lr = num_arg(&r), momentum = num_arg(&r), dampening = num_arg(&r), wd = num_arg(&r);
  bool nesterov = bool_arg(&r), maximize = bool_arg(&r), first = bool_arg(&r);
  lcb_ok(L, lc_sgd_step(p, g, buf, lr, momentum, dampening, wd, nesterov, maximize, first));
  return 0;
}

static const char *const adam_names[] = {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq",
                                         "step", "lr", "beta1", "beta2", "eps", "weight_decay",
                                         "decoupled", "amsgrad", "maximize"};

/* adam_step{param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq|nil, step, lr,
 *           beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize} */
static int l_adam_step(lua_State *L) {
  argv_reader r = read_args(L, 14, adam_names, "adam_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *v = tensor_arg(&r);
  lc_tensor *vmax = opt_tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), beta1 = num_arg(&r), beta2 = num_arg(&r), eps = num_arg(&r);
  double wd = num_arg(&r);
  bool decoupled = bool_arg(&r), amsgrad = bool_arg(&r), maximize = bool_arg(&r);
  lcb_ok(L, lc_adam_step(p, g, m, v, vmax, step, lr, beta1, beta2, eps, wd, decoupled, amsgrad,
                         maximize));
  return 0;
}

static const char *const rmsprop_names[] = {"param", "grad", "square_avg", "grad_avg",
                                            "momentum_buffer", "lr", "alpha", "eps",
                                            "weight_decay", "momentum", "centered", "maximize"};

/* rmsprop_step{param, grad, square_avg, grad_avg|nil, momentum_buffer|nil, lr,
 *              alpha, eps, weight_decay, momentum, centered, maximize} */
static int l_rmsprop_step(lua_State *L) {
  argv_reader r = read_args(L, 12, rmsprop_names, "rmsprop_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *sq = tensor_arg(&r);
  lc_tensor *ga = opt_tensor_arg(&r), *buf = opt_tensor_arg(&r);
  double lr = num_arg(&r), alpha = num_arg(&r), eps = num_arg(&r), wd = num_arg(&r);
  double momentum = num_arg(&r);
  bool centered = bool_arg(&r), maximize = bool_arg(&r);
  lcb_ok(L, lc_rmsprop_step(p, g, sq, ga, buf, lr, alpha, eps, wd, momentum, centered, maximize));
  return 0;
}

static const char *const adagrad_names[] = {"param", "grad", "sum", "step", "lr", "lr_decay",
                                            "weight_decay", "eps", "maximize"};

/* adagrad_step{param, grad, sum, step, lr, lr_decay, weight_decay, eps, maximize} */
static int l_adagrad_step(lua_State *L) {
  argv_reader r = read_args(L, 9, adagrad_names, "adagrad_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *sum = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), lr_decay = num_arg(&r), wd = num_arg(&r), eps = num_arg(&r);
  bool maximize = bool_arg(&r);
  lcb_ok(L, lc_adagrad_step(p, g, sum, step, lr, lr_decay, wd, eps, maximize));
  return 0;
}

static const char *const adadelta_names[] = {"param", "grad", "square_avg", "acc_delta", "lr", "rho",
                                             "eps", "weight_decay", "maximize"};

/* adadelta_step{param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize} */
static int l_adadelta_step(lua_State *L) {
  argv_reader r = read_args(L, 9, adadelta_names, "adadelta_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *sq = tensor_arg(&r), *acc = tensor_arg(&r);
  double lr = num_arg(&r), rho = num_arg(&r), eps = num_arg(&r), wd = num_arg(&r);
  bool maximize = bool_arg(&r);
  lcb_ok(L, lc_adadelta_step(p, g, sq, acc, lr, rho, eps, wd, maximize));
  return 0;
}

static const char *const adamax_names[] = {"param", "grad", "exp_avg", "exp_inf", "step", "lr",
                                           "beta1", "beta2", "eps", "weight_decay", "maximize"};

/* adamax_step{param, grad, exp_avg, exp_inf, step, lr, beta1, beta2, eps,
 *             weight_decay, maximize} */
static int l_adamax_step(lua_State *L) {
  argv_reader r = read_args(L, 11, adamax_names, "adamax_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *u = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), b1 = num_arg(&r), b2 = num_arg(&r), eps = num_arg(&r);
  double wd = num_arg(&r);
  bool maximize = bool_arg(&r);
  lcb_ok(L, lc_adamax_step(p, g, m, u, step, lr, b1, b2, eps, wd, maximize));
  return 0;
}

static const char *const nadam_names[] = {"param", "grad", "exp_avg", "exp_avg_sq", "step",
                                          "mu_product", "lr", "beta1", "beta2", "weight_decay",
                                          "momentum_decay", "eps"};

/* nadam_step{param, grad, exp_avg, exp_avg_sq, step, mu_product, lr, beta1,
 *            beta2, weight_decay, momentum_decay, eps} -> new mu_product */
static int l_nadam_step(lua_State *L) {
  argv_reader r = read_args(L, 12, nadam_names, "nadam_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *v = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double mu_product = num_arg(&r), lr = num_arg(&r), b1 = num_arg(&r), b2 = num_arg(&r);
  double wd = num_arg(&r), momentum_decay = num_arg(&r), eps = num_arg(&r);
  lcb_ok(L, lc_nadam_step(p, g, m, v, step, &mu_product, lr, b1, b2, wd, momentum_decay, eps));
  lua_pushnumber(L, mu_product);
  return 1;
}

static const char *const radam_names[] = {"param", "grad", "exp_avg", "exp_avg_sq", "step", "lr",
                                          "beta1", "beta2", "weight_decay", "eps"};

/* radam_step{param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2,
 *            weight_decay, eps} */
static int l_radam_step(lua_State *L) {
  argv_reader r = read_args(L, 10, radam_names, "radam_step");
  lc_tensor *p = tensor_arg(&r), *g = tensor_arg(&r), *m = tensor_arg(&r), *v = tensor_arg(&r);
  int64_t step = int_arg(&r);
  double lr = num_arg(&r), b1 = num_arg(&r), b2 = num_arg(&r), wd = num_arg(&r);
  double eps = num_arg(&r);
  lcb_ok(L, lc_radam_step(p, g, m, v, step, lr, b1, b2, wd, eps));
  return 0;
}

/* tensor_key(t): a light userdata naming the tensor itself, equal for every
 * Lua value that wraps it (two wrappers of one tensor are different Lua
 * values), so optimizers can find a parameter given twice. */
static int l_tensor_key(lua_State *L) {
  lua_pushlightuserdata(L, lcb_check(L, 1, "tensor_key"));
  return 1;
}

void lcb_open_optim(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){
    {"sgd_step", l_sgd_step}, {"adam_step", l_adam_step}, {"rmsprop_step", l_rmsprop_step},
    {"adagrad_step", l_adagrad_step}, {"adadelta_step", l_adadelta_step},
    {"adamax_step", l_adamax_step}, {"nadam_step", l_nadam_step}, {"radam_step", l_radam_step},
    {"tensor_key", l_tensor_key}, {NULL, NULL}});
}
