/* lcore.c: luaopen_lucid_core, the C module behind require("lucid"), and
 * small utilities: seeds, threads, the clock. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "lbind.h"

static int l_manual_seed(lua_State *L) {
  lua_Integer s = luaL_checkinteger(L, 1);
  lc_manual_seed((uint64_t)s);
  return 0;
}

static int l_initial_seed(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lc_initial_seed());
  return 1;
}

static int l_set_num_threads(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 1) luaL_error(L, "set_num_threads: n must be at least 1, got %d", (int)n);
  lc_set_num_threads((int)n);
  return 0;
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

int luaopen_lucid_core(lua_State *L) {
  pin_module();
  lua_pushlightuserdata(L, (void *)&capi);
  lua_setfield(L, LUA_REGISTRYINDEX, LCB_CAPI);
  lua_newtable(L); /* the module */
  int module = lua_gettop(L);
  lua_newtable(L); /* tensor methods, shared by the metatable's __index */
  int methods = lua_gettop(L);
  lcb_open_tensor(L, module, methods);
  lcb_open_ops(L, module, methods);
  lcb_open_autograd(L, module, methods);
  lcb_open_serialize(L, module, methods);
  lcb_open_optim(L, module, methods);
  lcb_open_nn(L, module, methods);
  lcb_open_loss(L, module, methods);
  lcb_open_sampling(L, module, methods);
  lcb_open_codec(L, module, methods);
  lcb_open_mask(L, module, methods);
  lcb_open_norm(L, module, methods);
  lcb_open_conv(L, module, methods);
  lcb_open_pooling(L, module, methods);
  lcb_open_ctc(L, module, methods);
  lcb_open_embedding(L, module, methods);
  lua_pushvalue(L, methods);
  lua_setfield(L, module, "Tensor");
  lua_settop(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){
    {"manual_seed", l_manual_seed}, {"initial_seed", l_initial_seed},
    {"set_num_threads", l_set_num_threads}, {"get_num_threads", l_get_num_threads},
    {"clock", l_clock}, {"is_tensor", l_is_tensor}, {"live_bytes", l_live_bytes},
    {NULL, NULL}}, 0);
  lua_settop(L, module);
  return 1;
}
