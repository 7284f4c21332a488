/* largs.c: the argument readers every binding uses: the one keyword parser
 * (lcb_args, with the options-table rule of docs/conventions.md) and the
 * checked readers of booleans, integers, numbers and dims. Each error names
 * the function, the argument, what was expected and what was got. */
#include <string.h>

#include "lbind.h"

/* ---- options tables ------------------------------------------------------ */

/* The rule of docs/conventions.md, as lucid.args.is_options has it. */
bool lcb_is_options(lua_State *L, int idx, int plain) {
  if (!lua_istable(L, idx)) return false;
  if (lua_getmetatable(L, idx)) { /* shape tables and objects are not options */
    lua_pop(L, 1);
    return false;
  }
  /* an empty table where no parameter takes a table is an empty options
   * table (zeros(3, {}) as zeros(3)); before, it is data or sizes (zeros({})) */
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  if (!lua_next(L, idx)) return idx >= plain;
  lua_pop(L, 2);
  bool named = false;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    named = named || lua_type(L, -2) == LUA_TSTRING;
    lua_pop(L, 1);
  }
  return named;
}

void lcb_args(lua_State *L, int first, int n, const char *const *names, const char *fname) {
  int top = lua_gettop(L);
  if (top < first || !lcb_is_options(L, top, LCB_PLAIN)) {
    if (top > first + n - 1)
      luaL_error(L, "%s: expected at most %d arguments, got %d", fname, first + n - 1, top);
    lua_settop(L, first + n - 1);
    return;
  }
  int opts = top;
  if (opts > first + n)
    luaL_error(L, "%s: expected at most %d arguments before the options table, got %d", fname,
               first + n - 1, opts - 1);
  lua_settop(L, first + n); /* positions + the options table moved to the end */
  lua_pushvalue(L, opts);
  lua_replace(L, first + n);
  if (opts < first + n) {
    lua_pushnil(L);
    lua_replace(L, opts);
  }
  for (int k = 0; k < n; k++) {
    if (lua_getfield(L, first + n, names[k]) != LUA_TNIL) {
      if (!lua_isnil(L, first + k))
        luaL_error(L, "%s: argument '%s' given both by position and by name", fname, names[k]);
      lua_replace(L, first + k);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pushnil(L);
  while (lua_next(L, first + n)) {
    lua_pop(L, 1);
    bool known = false;
    for (int k = 0; k < n && !known; k++)
      known = lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), names[k]);
    if (!known)
      luaL_error(L, "%s: unknown option '%s'", fname, lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
  }
  lua_settop(L, first + n - 1);
}

/* ---- scalars ------------------------------------------------------------- */

bool lcb_optbool(lua_State *L, int idx, bool dflt, const char *fname, const char *name) {
  if (lua_isnoneornil(L, idx)) return dflt;
  if (!lua_isboolean(L, idx))
    luaL_error(L, "%s: %s must be a boolean, got %s", fname, name, luaL_typename(L, idx));
  return lua_toboolean(L, idx);
}

lua_Integer lcb_optint(lua_State *L, int idx, lua_Integer dflt, const char *fname,
                       const char *name) {
  if (lua_isnoneornil(L, idx)) return dflt;
  int exact = 0;
  lua_Integer v = lua_tointegerx(L, idx, &exact);
  if (!exact || lua_type(L, idx) != LUA_TNUMBER) {
    if (lua_type(L, idx) == LUA_TNUMBER)
      luaL_error(L, "%s: %s must be an integer, got %f", fname, name, lua_tonumber(L, idx));
    luaL_error(L, "%s: %s must be an integer, got %s", fname, name, luaL_typename(L, idx));
  }
  return v;
}

lua_Integer lcb_checkint(lua_State *L, int idx, const char *fname, const char *name) {
  if (lua_isnoneornil(L, idx)) luaL_error(L, "%s: %s must be an integer, got no value", fname, name);
  return lcb_optint(L, idx, 0, fname, name);
}

double lcb_optnum(lua_State *L, int idx, double dflt, const char *fname, const char *name) {
  if (lua_isnoneornil(L, idx)) return dflt;
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "%s: %s must be a number, got %s", fname, name, luaL_typename(L, idx));
  return lua_tonumber(L, idx);
}

double lcb_checknum(lua_State *L, int idx, const char *fname, const char *name) {
  if (lua_isnoneornil(L, idx)) luaL_error(L, "%s: %s must be a number, got no value", fname, name);
  return lcb_optnum(L, idx, 0, fname, name);
}

/* ---- dims (1-based in Lua, 0-based in the core) ----------------------------- */

int lcb_dim(lua_State *L, int idx, int ndim, bool extra, const char *fname) {
  lua_Integer d = lcb_checkint(L, idx, fname, "dim");
  int n = ndim + (extra ? 1 : 0);
  if (n == 0) n = 1;
  if (d == 0 || d < -n || d > n)
    luaL_error(L, "%s: dim %I out of range for a %d-D tensor (expected 1 to %d, or -%d to -1)",
               fname, d, ndim, n, n);
  return (int)(d > 0 ? d - 1 : d + n);
}

int lcb_optdim(lua_State *L, int idx, const lc_tensor *t, int dflt, const char *fname) {
  if (lua_isnoneornil(L, idx)) return dflt;
  return lcb_dim(L, idx, t->ndim, false, fname);
}

int lcb_dims(lua_State *L, int idx, int ndim, int *dims, const char *fname) {
  if (!lua_istable(L, idx) || lcb_test(L, idx)) {
    dims[0] = lcb_dim(L, idx, ndim, false, fname);
    return 1;
  }
  int n = (int)luaL_len(L, idx);
  if (n > LC_MAX_DIMS) luaL_error(L, "%s: at most %d dims, got %d", fname, LC_MAX_DIMS, n);
  for (int i = 0; i < n; i++) {
    lua_geti(L, idx, i + 1);
    if (!lua_isinteger(L, -1))
      luaL_error(L, "%s: dims[%d] must be an integer, got %s", fname, i + 1, luaL_typename(L, -1));
    dims[i] = lcb_dim(L, lua_gettop(L), ndim, false, fname);
    lua_pop(L, 1);
  }
  return n;
}
