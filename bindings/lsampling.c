/* lsampling.c: sampling.c's random indices, as private helpers of
 * lucid.utils.data (its samplers check the user's arguments). Indices are
 * 1-based. The optional trailing (seed, offset) pair names a private stream;
 * without it the global generator is used. Each returns the tensor and the
 * stream's next offset (nil for the global generator). */
#include "lbind.h"
#include "lc_sampling.h"

/* The stream given at stack positions idx, idx + 1 (seed, offset). */
static lc_stream stream_at(lua_State *L, int idx) {
  lc_stream s = {false, 0, 0};
  if (!lua_isnoneornil(L, idx)) {
    s.own = true;
    s.seed = (uint64_t)luaL_checkinteger(L, idx);
    s.offset = (uint64_t)luaL_optinteger(L, idx + 1, 0);
  }
  return s;
}

static int push_result(lua_State *L, lc_tensor *t, const lc_stream *s) {
  lcb_push(L, t);
  if (s->own) lua_pushinteger(L, (lua_Integer)s->offset); else lua_pushnil(L);
  return 2;
}

/* lucid._C.randperm(n [, seed, offset]) */
static int l_randperm(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  lc_stream s = stream_at(L, 2);
  return push_result(L, lc_randperm((int64_t)n, 1, &s), &s);
}

/* lucid._C.randindex(n, count [, seed, offset]) */
static int l_randindex(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1), count = luaL_checkinteger(L, 2);
  lc_stream s = stream_at(L, 3);
  return push_result(L, lc_randindex((int64_t)n, (int64_t)count, 1, &s), &s);
}

/* lucid._C.multinomial(weights, count, replacement [, seed, offset]) */
static int l_multinomial(lua_State *L) {
  lc_tensor *w = lcb_check(L, 1, "multinomial");
  lua_Integer count = luaL_checkinteger(L, 2);
  bool replacement = lua_toboolean(L, 3);
  lc_stream s = stream_at(L, 4);
  return push_result(L, lc_multinomial(w, (int64_t)count, replacement, 1, &s), &s);
}

void lcb_open_sampling(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){{"randperm", l_randperm}, {"randindex", l_randindex},
                                                    {"multinomial", l_multinomial}, {NULL, NULL}});
}
