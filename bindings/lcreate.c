/* lcreate.c: creation functions (core/create.c and the allocators) for Lua:
 * linspace, logspace, full_like, empty_like, rand_like, randn_like,
 * randint_like, new_zeros, new_ones, new_full, new_empty, new_tensor,
 * as_tensor, tril, triu, diag, diag_embed, diagonal, meshgrid. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

static const char *const space_opts[] = {"start", "end", "steps", "base", "dtype"};

/* linspace(start, end, steps [, {dtype}]); logspace(..., steps [, base=10]). */
static int spaced(lua_State *L, bool log, const char *fname) {
  lcb_args(L, 1, 5, space_opts, fname);
  if (!log && !lua_isnil(L, 4)) luaL_error(L, "%s: unknown option 'base'", fname);
  double start = lcb_optnum(L, 1, NAN, fname, "start"), end = lcb_optnum(L, 2, NAN, fname, "end");
  if (lua_isnil(L, 1) || lua_isnil(L, 2)) luaL_error(L, "%s: start and end must be numbers, got no value", fname);
  lua_Integer steps = lcb_checkint(L, 3, fname, "steps");
  lc_dtype dt = lcb_dtype(L, 5, LC_FLOAT32, fname);
  double base = lcb_optnum(L, 4, 10, fname, "base");
  lcb_push(L, log ? lc_logspace(start, end, steps, base, dt) : lc_linspace(start, end, steps, dt));
  return 1;
}

static int l_linspace(lua_State *L) { return spaced(L, false, "linspace"); }
static int l_logspace(lua_State *L) { return spaced(L, true, "logspace"); }

/* ---- *_like ------------------------------------------------------------------- */

static const char *const full_like_opts[] = {"input", "fill_value", "dtype"};

static int t_full_like(lua_State *L) {
  lcb_args(L, 1, 3, full_like_opts, "full_like");
  lc_tensor *t = lcb_check(L, 1, "full_like");
  double v = lcb_optnum(L, 2, NAN, "full_like", "fill_value");
  if (lua_isnil(L, 2)) luaL_error(L, "full_like: fill_value must be a number, got no value");
  lcb_push(L, lc_full(lcb_dtype(L, 3, t->dtype, "full_like"), t->ndim, t->sizes, v));
  return 1;
}

static const char *const like_opts[] = {"input", "dtype"};

typedef enum { L_EMPTY, L_RAND, L_RANDN } like_kind;

static int like(lua_State *L, like_kind kind, const char *fname) {
  lcb_args(L, 1, 2, like_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  lc_dtype dt = lcb_dtype(L, 2, t->dtype, fname);
  lcb_push(L, kind == L_EMPTY ? lc_empty(dt, t->ndim, t->sizes)
              : kind == L_RAND ? lc_rand(dt, t->ndim, t->sizes) : lc_randn(dt, t->ndim, t->sizes));
  return 1;
}

static int t_empty_like(lua_State *L) { return like(L, L_EMPTY, "empty_like"); }
static int t_rand_like(lua_State *L) { return like(L, L_RAND, "rand_like"); }
static int t_randn_like(lua_State *L) { return like(L, L_RANDN, "randn_like"); }

static const char *const randint_like_opts[] = {"input", "low", "high", "dtype"};

/* randint_like(x, high) or randint_like(x, low, high). */
static int t_randint_like(lua_State *L) {
  const char *fname = "randint_like";
  lcb_args(L, 1, 4, randint_like_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  if (lua_isnil(L, 3)) lua_copy(L, 2, 3), lua_pushnil(L), lua_replace(L, 2);
  lua_Integer lo = lcb_optint(L, 2, 0, fname, "low"), hi = lcb_checkint(L, 3, fname, "high");
  lc_dtype dt = lcb_dtype(L, 4, t->dtype, fname);
  lc_tensor *r = lc_randint(lo, hi, t->ndim, t->sizes);
  if (!r) lcb_fail(L);
  lc_tensor *c = lc_to(r, dt);
  lc_release(r);
  lcb_push(L, c);
  return 1;
}

/* ---- new_* ------------------------------------------------------------------------ */

static const char *const new_opts[] = {"dtype"};

/* x:new_zeros(size [, {dtype}]) and friends: x's dtype unless given. The
 * size (position 2) may be a table: x:new_zeros({}) is 0-dim. */
static int new_filled(lua_State *L, const char *fname, int kind) {
  lc_tensor *t = lcb_check(L, 1, fname);
  int top = lua_gettop(L);
  if (lcb_is_options(L, top, 3)) top--;
  lcb_args(L, top + 1, 1, new_opts, fname);
  lc_dtype dt = lcb_dtype(L, top + 1, t->dtype, fname);
  lua_settop(L, top);
  double v = kind == 1 ? 1 : 0;
  if (kind == 2) { /* new_full(size, fill_value) */
    v = lcb_optnum(L, top, NAN, fname, "fill_value");
    if (top < 3) luaL_error(L, "%s: expected a size and a fill_value", fname);
    lua_settop(L, --top);
  }
  if (!lua_istable(L, 2) && top < 2) luaL_error(L, "%s: size must be given", fname);
  int64_t sizes[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 2, sizes, fname);
  lcb_push(L, kind == 3 ? lc_empty(dt, nd, sizes) : lc_full(dt, nd, sizes, v));
  return 1;
}

static int t_new_zeros(lua_State *L) { return new_filled(L, "new_zeros", 0); }
static int t_new_ones(lua_State *L) { return new_filled(L, "new_ones", 1); }
static int t_new_full(lua_State *L) { return new_filled(L, "new_full", 2); }
static int t_new_empty(lua_State *L) { return new_filled(L, "new_empty", 3); }

/* Calls lucid.tensor(data, {dtype = dt}) (the module is upvalue 1). */
static void call_tensor(lua_State *L, int data, lc_dtype dt) {
  lua_getfield(L, lua_upvalueindex(1), "tensor");
  lua_pushvalue(L, data);
  lua_createtable(L, 0, 1);
  lcb_push_dtype(L, dt);
  lua_setfield(L, -2, "dtype");
  lua_call(L, 2, 1);
}

static const char *const new_tensor_opts[] = {"self", "data", "dtype"};

/* x:new_tensor(data [, {dtype}]): a copy of data with x's dtype by default. */
static int t_new_tensor(lua_State *L) {
  lcb_args(L, 1, 3, new_tensor_opts, "new_tensor");
  lc_tensor *t = lcb_check(L, 1, "new_tensor");
  lc_tensor *d = lcb_test(L, 2);
  lc_dtype dt = lcb_dtype(L, 3, t->dtype, "new_tensor");
  if (d) { /* a tensor is copied, without history, as PyTorch */
    lc_tensor *c = lc_to(d, dt), *k = c ? (c == d ? lc_clone(c) : lc_retain(c)) : NULL;
    lc_release(c);
    lc_tensor *det = k ? lc_detach(k) : NULL;
    lc_release(k);
    lcb_push(L, det);
    return 1;
  }
  call_tensor(L, 2, dt);
  return 1;
}

static const char *const as_tensor_opts[] = {"data", "dtype", "device"};

/* as_tensor(data [, {dtype}]): a tensor of that dtype is returned itself (no
 * copy); another dtype converts; Lua data makes a new tensor. */
static int l_as_tensor(lua_State *L) {
  lcb_args(L, 1, 3, as_tensor_opts, "as_tensor");
  if (!lua_isnil(L, 3) && (lua_type(L, 3) != LUA_TSTRING || strcmp(lua_tostring(L, 3), "cpu")))
    luaL_error(L, "as_tensor: device must be 'cpu', got %s", luaL_tolstring(L, 3, NULL));
  lc_tensor *d = lcb_test(L, 1);
  if (d) {
    lc_dtype dt = lcb_dtype(L, 2, d->dtype, "as_tensor");
    if (dt == d->dtype) lua_settop(L, 1);
    else lcb_push(L, lc_to(d, dt));
    return 1;
  }
  if (lua_isnil(L, 2)) {
    lua_getfield(L, lua_upvalueindex(1), "tensor");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
  }
  call_tensor(L, 1, lcb_dtype(L, 2, LC_FLOAT32, "as_tensor"));
  return 1;
}

/* ---- tril, triu, diag, diag_embed, diagonal ------------------------------------------- */

static const char *const tri_opts[] = {"input", "diagonal"};

static int t_tril(lua_State *L) {
  lcb_args(L, 1, 2, tri_opts, "tril");
  lc_tensor *t = lcb_check(L, 1, "tril");
  lcb_push(L, lc_tril(t, lcb_optint(L, 2, 0, "tril", "diagonal")));
  return 1;
}

static int t_triu(lua_State *L) {
  lcb_args(L, 1, 2, tri_opts, "triu");
  lc_tensor *t = lcb_check(L, 1, "triu");
  lcb_push(L, lc_triu(t, lcb_optint(L, 2, 0, "triu", "diagonal")));
  return 1;
}

/* diag(vector [, k]): a matrix with it on diagonal k; diag(matrix [, k]):
 * that diagonal, copied. */
static int t_diag(lua_State *L) {
  lcb_args(L, 1, 2, tri_opts, "diag");
  lc_tensor *t = lcb_check(L, 1, "diag");
  lua_Integer k = lcb_optint(L, 2, 0, "diag", "diagonal");
  if (t->ndim == 1) {
    lcb_push(L, lc_diag_embed(t, k, 0, 1));
  } else if (t->ndim == 2) {
    lc_tensor *v = lc_diagonal(t, k, 0, 1);
    lc_tensor *c = v ? lc_clone(v) : NULL;
    lc_release(v);
    lcb_push(L, c);
  } else {
    luaL_error(L, "diag: expected a 1-D or 2-D tensor, got %d dims", t->ndim);
  }
  return 1;
}

static const char *const diagonal_opts[] = {"input", "offset", "dim1", "dim2"};

static int diag_args(lua_State *L, const char *fname, lc_tensor **t, lua_Integer *off, int *d1,
                     int *d2, int dflt1, int dflt2, int extra) {
  lcb_args(L, 1, 4, diagonal_opts, fname);
  *t = lcb_check(L, 1, fname);
  *off = lcb_optint(L, 2, 0, fname, "offset");
  *d1 = lua_isnil(L, 3) ? dflt1 : lcb_dim(L, 3, (*t)->ndim + extra, false, fname);
  *d2 = lua_isnil(L, 4) ? dflt2 : lcb_dim(L, 4, (*t)->ndim + extra, false, fname);
  return 0;
}

static int t_diagonal(lua_State *L) {
  lc_tensor *t;
  lua_Integer off;
  int d1, d2;
  diag_args(L, "diagonal", &t, &off, &d1, &d2, 0, 1, 0);
  lcb_push(L, lc_diagonal(t, off, d1, d2));
  return 1;
}

static int t_diag_embed(lua_State *L) {
  lc_tensor *t;
  lua_Integer off;
  int d1, d2;
  diag_args(L, "diag_embed", &t, &off, &d1, &d2, -2, -1, 1);
  lcb_push(L, lc_diag_embed(t, off, d1, d2));
  return 1;
}

/* ---- meshgrid -------------------------------------------------------------------------- */

static const char *const meshgrid_opts[] = {"indexing"};

/* meshgrid(a, b, ... [, {indexing = "ij" | "xy"}]) or meshgrid({a, b, ...} [, opts]):
 * an array table. */
static int l_meshgrid(lua_State *L) {
  int top = lua_gettop(L);
  if (lcb_is_options(L, top, LCB_PLAIN)) top--;
  lcb_args(L, top + 1, 1, meshgrid_opts, "meshgrid");
  const char *ix = lua_tostring(L, top + 1);
  bool xy = ix && !strcmp(ix, "xy");
  if (!lua_isnil(L, top + 1) && !xy && (!ix || strcmp(ix, "ij")))
    luaL_error(L, "meshgrid: indexing must be 'ij' or 'xy', got %s", ix ? ix : luaL_typename(L, top + 1));
  lua_settop(L, top);
  int base = 1, n = top;
  if (n == 1 && lua_istable(L, 1) && !lcb_test(L, 1)) {
    n = (int)luaL_len(L, 1);
    for (int i = 1; i <= n; i++) lua_geti(L, 1, i);
    base = 2;
  }
  if (n < 1 || n > LC_MAX_DIMS) luaL_error(L, "meshgrid: expected 1 to %d tensors, got %d", LC_MAX_DIMS, n);
  lc_tensor *ts[LC_MAX_DIMS];
  for (int i = 0; i < n; i++) ts[i] = lcb_check(L, base + i, "meshgrid");
  return lcb_push_list(L, lc_meshgrid(ts, n, xy), n);
}

static const luaL_Reg fns[] = {
  {"full_like", t_full_like}, {"empty_like", t_empty_like}, {"rand_like", t_rand_like},
  {"randn_like", t_randn_like}, {"randint_like", t_randint_like}, {"new_zeros", t_new_zeros},
  {"new_ones", t_new_ones}, {"new_full", t_new_full}, {"new_empty", t_new_empty},
  {"tril", t_tril}, {"triu", t_triu}, {"diag", t_diag}, {"diagonal", t_diagonal},
  {"diag_embed", t_diag_embed}, {NULL, NULL}};

void lcb_open_create(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"linspace", l_linspace}, {"logspace", l_logspace},
                                {"meshgrid", l_meshgrid}, {NULL, NULL}}, 0);
  lua_pushvalue(L, module); /* as_tensor and new_tensor call lucid.tensor */
  luaL_setfuncs(L, (luaL_Reg[]){{"as_tensor", l_as_tensor}, {NULL, NULL}}, 1);
  lua_pop(L, 1);
  lua_pushvalue(L, methods);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"new_tensor", t_new_tensor}, {NULL, NULL}}, 1);
  lua_pop(L, 1);
}
