/* ljoin.c: joining and splitting (core/join.c) for Lua: cat, stack, split,
 * chunk. */
#include <limits.h>
#include <stdlib.h>

#include "lbind.h"

static const char *const join_opts[] = {"tensors", "dim"};

static int join(lua_State *L, bool stack, const char *fname) {
  lcb_args(L, 1, 2, join_opts, fname);
  if (!lua_istable(L, 1))
    luaL_error(L, "%s: argument 1 (tensors) must be a list of tensors, got %s", fname,
               lcb_test(L, 1) ? "a tensor" : luaL_typename(L, 1));
  int n = lcb_len(L, 1, INT_MAX / (int)sizeof(lc_tensor *), fname, "the list of tensors");
  if (n == 0) luaL_error(L, "%s: expected a non-empty list of tensors", fname);
  lc_tensor **ts = lua_newuserdatauv(L, n * sizeof *ts, 0); /* freed by the GC on error */
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    ts[i] = lcb_test(L, -1);
    if (!ts[i]) luaL_error(L, "%s: element %d of the list must be a tensor, got %s", fname, i + 1, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  int dim = lua_isnil(L, 2) ? 0 : lcb_dim(L, 2, ts[0]->ndim, stack, fname);
  lcb_push(L, stack ? lc_stack(ts, n, dim) : lc_cat(ts, n, dim));
  return 1;
}

static int l_cat(lua_State *L) { return join(L, false, "cat"); }
static int l_stack(lua_State *L) { return join(L, true, "stack"); }

int lcb_push_list(lua_State *L, lc_tensor **parts, int n) {
  if (!parts) lcb_fail(L);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lcb_push(L, parts[i]);
    lua_rawseti(L, -2, i + 1);
  }
  free(parts);
  return 1;
}

static const char *const split_opts[] = {"tensor", "split_size", "dim"};
static const char *const chunk_opts[] = {"tensor", "chunks", "dim"};

/* split(x, split_size [, dim]) and chunk(x, chunks [, dim]): an array table. */
static int divide(lua_State *L, bool chunk) {
  const char *const *names = chunk ? chunk_opts : split_opts;
  const char *fname = chunk ? "chunk" : "split";
  lcb_args(L, 1, 3, names, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  lua_Integer v = lcb_checkint(L, 2, fname, names[1]);
  if (v <= 0) luaL_error(L, "%s: %s must be positive, got %I", fname, names[1], v);
  int dim = lua_isnil(L, 3) ? 0 : lcb_dim(L, 3, t->ndim, false, fname);
  int n = 0;
  /* more chunks than elements give one element each, as in PyTorch */
  lc_tensor **parts = chunk ? lc_chunk(t, v > INT_MAX ? INT_MAX : (int)v, dim, &n) : lc_split(t, v, dim, &n);
  return lcb_push_list(L, parts, n);
}

static int t_split(lua_State *L) { return divide(L, false); }
static int t_chunk(lua_State *L) { return divide(L, true); }

void lcb_open_join(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, (luaL_Reg[]){{"split", t_split}, {"chunk", t_chunk}, {NULL, NULL}});
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"cat", l_cat}, {"stack", l_stack}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
