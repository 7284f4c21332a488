/* lcore.c: luaopen_lucid_core, the C module behind require("lucid"), and
 * small utilities: seeds, threads, the clock. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "lbind.h"

static int l_manual_seed(lua_State *L) {
  lua_Integer s = lcb_checkint(L, 1, "manual_seed", "seed");
  lc_manual_seed((uint64_t)s);
  return 0;
}

static int l_initial_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lc_initial_seed());
  return 1;
}

static int l_set_num_threads(lua_State *L) {
  lua_Integer n = lcb_checkint(L, 1, "set_num_threads", "n");
  if (n < 1 || n > LC_MAX_THREADS)
    luaL_error(L, "set_num_threads: n must be between 1 and %d, got %I", LC_MAX_THREADS, n);
  lcb_ok(L, lc_set_num_threads((int)n));
  return 0;
}

static int l_use_deterministic_algorithms(lua_State *L) {
  if (!lua_isboolean(L, 1))
    luaL_error(L, "use_deterministic_algorithms: mode must be a boolean, got %s", luaL_typename(L, 1));
  lcb_ok(L, lc_set_deterministic(lua_toboolean(L, 1)));
  return 0;
}

static int l_are_deterministic_algorithms_enabled(lua_State *L) {
  lua_pushboolean(L, lc_deterministic());
  return 1;
}

static int l_get_num_threads(lua_State *L) {
  lua_pushinteger(L, lc_get_num_threads());
  return 1;
}

static int l_clock(lua_State *L) {
  lua_pushnumber(L, lc_clock());
  return 1;
}

static int l_is_tensor(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, LCB_TENSOR) != NULL);
  return 1;
}

static int l_live_bytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lc_live_bytes());
  return 1;
}

/* lua_close unloads C modules, which would unload libgomp under OpenMP's
 * still-running worker threads; keeping this module (and so its libraries)
 * loaded until exit avoids that crash in every host. */
static void pin_module(void) {
  Dl_info info;
  if (dladdr((void *)pin_module, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

static const lcb_capi capi = {lcb_check, lcb_test, lcb_push};

void lcb_push_private(lua_State *L, int module) {
  if (lua_getfield(L, module, "_C") == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, module, "_C");
}

void lcb_register(lua_State *L, int module, int methods, const luaL_Reg *fns) {
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}

void lcb_register_private(lua_State *L, int module, const luaL_Reg *fns) {
  lcb_push_private(L, module);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}

/* Each binding file registers its functions (in this order: later files may
 * rely on what earlier ones put in the tables). */
static void (*const openers[])(lua_State *L, int module, int methods) = {
    lcb_open_tensor, lcb_open_view, lcb_open_ops, lcb_open_join,
    lcb_open_autograd, lcb_open_serialize, lcb_open_optim, lcb_open_rnn,
    lcb_open_loss, lcb_open_sampling, lcb_open_minrnn, lcb_open_sort,
    lcb_open_scan, lcb_open_count, lcb_open_scatter, lcb_open_shape,
    lcb_open_create, lcb_open_random, lcb_open_products, lcb_open_einsum,
    lcb_open_lapack, lcb_open_codec, lcb_open_mask, lcb_open_logical,
    lcb_open_norm, lcb_open_conv, lcb_open_pooling, lcb_open_ctc,
    lcb_open_embedding, lcb_open_index, lcb_open_svd,
};

int luaopen_lucid_core(lua_State *L) {
  pin_module();
  /* threads and BLAS buffers now, while memory is there (parallel.c); at
   * most LC_MAX_THREADS, so that the count is one set_num_threads accepts */
  int threads = lc_get_num_threads();
  (void)lc_set_num_threads(threads > LC_MAX_THREADS ? LC_MAX_THREADS : threads);
  lua_pushlightuserdata(L, (void *)&capi);
  lua_setfield(L, LUA_REGISTRYINDEX, LCB_CAPI);
  lua_newtable(L); /* the module */
  int module = lua_gettop(L);
  lua_newtable(L); /* tensor methods, shared by the metatable's __index */
  int methods = lua_gettop(L);
  for (size_t i = 0; i < sizeof openers / sizeof *openers; i++) openers[i](L, module, methods);
  lua_pushvalue(L, methods);
  lua_setfield(L, module, "Tensor");
  lua_settop(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){
    {"manual_seed", l_manual_seed}, {"initial_seed", l_initial_seed},
    {"set_num_threads", l_set_num_threads}, {"get_num_threads", l_get_num_threads},
    {"use_deterministic_algorithms", l_use_deterministic_algorithms},
    {"are_deterministic_algorithms_enabled", l_are_deterministic_algorithms_enabled},
    {"clock", l_clock}, {"is_tensor", l_is_tensor}, {"live_bytes", l_live_bytes},
    {NULL, NULL}}, 0);
  lua_settop(L, module);
  return 1;
}
