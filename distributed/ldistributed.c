/* ldistributed.c: lucid._distributed (reached as lucid._C.distributed), the C side of lucid.distributed
 * (lua/lucid/distributed.lua parses the options and handles layouts). Built
 * only when CMake finds MPI, so lucid itself never loads MPI. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "comm.h"
#include "lbind.h"

static const lcb_capi *capi;

#define WORK "lucid.distributed.Work"

typedef struct {
  ld_work *w; /* NULL once waited for */
} work_box;

static lc_tensor *check_buffer(lua_State *L, int idx, const char *fname) {
  lc_tensor *t = capi->check(L, idx, fname);
  if (!lc_is_contiguous(t))
    luaL_error(L, "%s: argument %d must be contiguous", fname, idx);
  if (t->dtype != LC_FLOAT32 && t->dtype != LC_FLOAT64 && t->dtype != LC_INT64)
    luaL_error(L, "%s: tensors must be float32, float64 or int64, got %s", fname,
               lc_dtype_name(t->dtype));
  return t;
}

static void *data_of(lc_tensor *t) {
  return (char *)t->storage->data + t->offset * (int64_t)lc_dtype_size(t->dtype);
}

/* _init(timeout_seconds, debug) -> rank, world_size */
static int l_init(lua_State *L) {
  double timeout = luaL_checknumber(L, 1);
  int rank, size;
  if (ld_init(timeout, lua_toboolean(L, 2), &rank, &size)) return luaL_error(L, "%s", lc_error());
  lua_pushinteger(L, rank);
  lua_pushinteger(L, size);
  return 2;
}

static int l_finalize(lua_State *L) {
  ld_finalize();
  return 0;
}

static int l_is_initialized(lua_State *L) {
  lua_pushboolean(L, ld_is_initialized());
  return 1;
}

/* _submit(kind, op, send, recv, root, world_size) -> work. The work keeps
 * both tensors alive (user values) until it has been waited for. */
static int l_submit(lua_State *L) {
  static const char *const kinds[] = {"all_reduce", "broadcast", "all_gather", "reduce_scatter",
                                      "barrier", NULL};
  static const char *const ops[] = {"sum", "avg", "max", "min", "product", NULL};
  ld_kind kind = (ld_kind)luaL_checkoption(L, 1, NULL, kinds);
  ld_reduce op = (ld_reduce)luaL_checkoption(L, 2, "sum", ops);
  const char *fname = kinds[kind];
  lc_tensor *send = kind == LD_BARRIER ? NULL : check_buffer(L, 3, fname);
  lc_tensor *recv = lua_isnoneornil(L, 4) ? NULL : check_buffer(L, 4, fname);
  int root = (int)luaL_optinteger(L, 5, 0);
  int64_t size = luaL_optinteger(L, 6, 1);
  int64_t count = send ? lc_numel(send) : 0;
  if (kind == LD_REDUCE_SCATTER) count = recv ? lc_numel(recv) : 0;
  if ((kind == LD_ALL_GATHER || kind == LD_REDUCE_SCATTER) &&
      (!recv || recv->dtype != send->dtype ||
       lc_numel(kind == LD_ALL_GATHER ? recv : send) != count * size))
    luaL_error(L, "%s: buffers of mismatched sizes or dtypes", fname);
  if (op == LD_AVG && send && send->dtype == LC_INT64)
    luaL_error(L, "%s: op 'avg' needs float tensors, got int64", fname);
  work_box *b = lua_newuserdatauv(L, sizeof *b, 2);
  b->w = NULL;
  luaL_setmetatable(L, WORK);
  lua_pushvalue(L, 3);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, 4);
  lua_setiuservalue(L, -2, 2);
  b->w = ld_submit(kind, op, send ? send->dtype : LC_FLOAT32, send ? data_of(send) : NULL,
                   recv ? data_of(recv) : NULL, count, root);
  if (!b->w) return luaL_error(L, "%s", lc_error());
  return 1;
}

static int w_wait(lua_State *L) {
  work_box *b = luaL_checkudata(L, 1, WORK);
  if (b->w) {
    ld_work *w = b->w;
    b->w = NULL;
    if (ld_wait(w)) return luaL_error(L, "%s", lc_error());
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int w_is_completed(lua_State *L) {
  work_box *b = luaL_checkudata(L, 1, WORK);
  lua_pushboolean(L, !b->w || ld_done(b->w));
  return 1;
}

/* A dropped work still owns buffers the communication thread writes into. */
static int w_gc(lua_State *L) {
  work_box *b = luaL_checkudata(L, 1, WORK);
  if (b->w) ld_wait(b->w);
  b->w = NULL;
  return 0;
}

/* Kept loaded until exit: MPI is finalized by an exit handler, which must
 * not run inside lua_close's dlclose of this module (MPI_Finalize unloads
 * its own plugins, and dlclose holds the loader's lock: a deadlock). */
static void pin_module(void) {
  Dl_info info;
  if (dladdr((void *)pin_module, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

int luaopen_lucid__distributed(lua_State *L) {
  pin_module();
  lua_getfield(L, LUA_REGISTRYINDEX, LCB_CAPI);
  capi = lua_touserdata(L, -1);
  if (!capi) return luaL_error(L, "lucid.distributed: require('lucid') first");
  lua_pop(L, 1);
  if (luaL_newmetatable(L, WORK)) {
    luaL_setfuncs(L, (luaL_Reg[]){{"wait", w_wait}, {"is_completed", w_is_completed},
                                  {"__gc", w_gc}, {"__close", w_gc}, {NULL, NULL}}, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  luaL_newlib(L, ((luaL_Reg[]){{"init", l_init}, {"finalize", l_finalize},
                               {"is_initialized", l_is_initialized}, {"submit", l_submit},
                               {NULL, NULL}}));
  return 1;
}
