/* lrandom.c: the random functions beyond rand/randn/randint (core/random.c)
 * for Lua: randperm, multinomial, bernoulli, normal, poisson, exponential_,
 * get_rng_state, set_rng_state, seed. Positions are 1-based. */
#include "lbind.h"
#include "lc_sampling.h"

static const char *const randperm_opts[] = {"n", "dtype"};

static int l_randperm(lua_State *L) {
  lcb_args(L, 1, 2, randperm_opts, "randperm");
  lua_Integer n = lcb_checkint(L, 1, "randperm", "n");
  lc_tensor *p = lc_randperm(n, 1, NULL);
  if (!p) lcb_fail(L);
  lc_dtype dt = lcb_dtype(L, 2, LC_INT64, "randperm");
  lc_tensor *c = lc_to(p, dt);
  lc_release(p);
  lcb_push(L, c);
  return 1;
}

static const char *const multinomial_opts[] = {"input", "num_samples", "replacement"};

static int t_multinomial(lua_State *L) {
  lcb_args(L, 1, 3, multinomial_opts, "multinomial");
  lc_tensor *t = lcb_check(L, 1, "multinomial");
  lua_Integer k = lcb_checkint(L, 2, "multinomial", "num_samples");
  if (k < 1) luaL_error(L, "multinomial: num_samples must be at least 1, got %I", k);
  bool repl = lcb_optbool(L, 3, false, "multinomial", "replacement");
  lcb_push(L, lc_multinomial(t, k, repl, 1, NULL));
  return 1;
}

static const char *const bernoulli_opts[] = {"input", "p"};

/* bernoulli(probs): 1 with each probability; bernoulli(x, p): with p, x's shape. */
static int t_bernoulli(lua_State *L) {
  lcb_args(L, 1, 2, bernoulli_opts, "bernoulli");
  lc_tensor *t = lcb_check(L, 1, "bernoulli");
  if (lua_isnil(L, 2)) lcb_push(L, lc_bernoulli(t, t, 0));
  else lcb_push(L, lc_bernoulli(t, NULL, lcb_optnum(L, 2, 0, "bernoulli", "p")));
  return 1;
}

static const char *const normal_opts[] = {"mean", "std", "size", "dtype"};

/* normal(mean, std): tensors or numbers (at least one tensor), broadcast;
 * normal(mean, std, size): numbers and a size. */
static int l_normal(lua_State *L) {
  lcb_args(L, 1, 4, normal_opts, "normal");
  lc_tensor *m = lcb_test(L, 1), *s = lcb_test(L, 2);
  double mv = m ? 0 : lcb_optnum(L, 1, 0, "normal", "mean");
  double sv = s ? 0 : lcb_optnum(L, 2, 1, "normal", "std");
  int64_t sizes[LC_MAX_DIMS];
  int nd = 0;
  if (!m && !s) {
    if (lua_isnil(L, 3)) luaL_error(L, "normal: with numbers for mean and std, size must be given");
    nd = lcb_sizes(L, 3, sizes, "normal");
  } else if (!lua_isnil(L, 3)) {
    luaL_error(L, "normal: size is only taken with numbers for mean and std");
  }
  lcb_push(L, lc_normal(m, mv, s, sv, lcb_dtype(L, 4, LC_FLOAT32, "normal"), nd, sizes));
  return 1;
}

static int t_poisson(lua_State *L) {
  lcb_push(L, lc_poisson(lcb_check(L, 1, "poisson")));
  return 1;
}

static const char *const exponential_opts[] = {"self", "lambd"};

static int t_exponential_(lua_State *L) {
  lcb_args(L, 1, 2, exponential_opts, "exponential_");
  lc_tensor *t = lcb_check(L, 1, "exponential_");
  lcb_ok(L, lc_exponential_(t, lcb_optnum(L, 2, 1, "exponential_", "lambd")));
  lua_settop(L, 1);
  return 1;
}

/* The state is an int64 tensor {seed, next counter block}. */
static int l_get_rng_state(lua_State *L) {
  uint64_t seed, offset;
  lc_get_rng_state(&seed, &offset);
  int64_t two = 2;
  lc_tensor *t = lc_empty(LC_INT64, 1, &two);
  if (!t) lcb_fail(L);
  ((int64_t *)lc_data(t))[0] = (int64_t)seed;
  ((int64_t *)lc_data(t))[1] = (int64_t)offset;
  lcb_push(L, t);
  return 1;
}

static int l_set_rng_state(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "set_rng_state");
  if (t->dtype != LC_INT64 || t->ndim != 1 || t->sizes[0] != 2)
    luaL_error(L, "set_rng_state: expected the int64 tensor of 2 values get_rng_state returns, got "
               "a %d-D %s tensor", t->ndim, lc_dtype_name(t->dtype));
  lc_set_rng_state((uint64_t)lc_get_int(t, 0), (uint64_t)lc_get_int(t, 1));
  return 0;
}

static int l_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lc_seed());
  return 1;
}

static const luaL_Reg fns[] = {
  {"multinomial", t_multinomial}, {"bernoulli", t_bernoulli}, {"poisson", t_poisson},
  {"exponential_", t_exponential_}, {NULL, NULL}};

void lcb_open_random(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"randperm", l_randperm}, {"normal", l_normal},
                                {"get_rng_state", l_get_rng_state},
                                {"set_rng_state", l_set_rng_state}, {"seed", l_seed},
                                {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
