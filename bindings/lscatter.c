/* lscatter.c: gather and the scatter family (core/scatter.c) for Lua. Index
 * tensors hold 1-based positions, handed to the core as they are (base 1).
 * Each op has PyTorch's out-of-place form and, where PyTorch has one, the
 * in-place `_` form, which computes out of place and copies the result in
 * (so autograd sees an ordinary in-place write). */
#include <string.h>

#include "lbind.h"

#define BASE 1

/* The result of an out-of-place op written into t (argument 1), which is
 * returned. */
static int into_self(lua_State *L, lc_tensor *t, lc_tensor *r) {
  if (!r) lcb_fail(L);
  int rc = lc_copy_(t, r);
  lc_release(r);
  lcb_ok(L, rc);
  lua_settop(L, 1);
  return 1;
}

static int push_or_assign(lua_State *L, bool inplace, lc_tensor *t, lc_tensor *r) {
  if (inplace) return into_self(L, t, r);
  lcb_push(L, r);
  return 1;
}

/* ---- gather, take, take_along_dim ---------------------------------------------- */

static const char *const gather_opts[] = {"input", "dim", "index"};

static int t_gather(lua_State *L) {
  lcb_args(L, 1, 3, gather_opts, "gather");
  lc_tensor *t = lcb_check(L, 1, "gather");
  int dim = lcb_dim(L, 2, t->ndim, false, "gather");
  lcb_push(L, lc_gather(t, dim, lcb_check(L, 3, "gather"), BASE));
  return 1;
}

static const char *const take_opts[] = {"input", "index"};

static int t_take(lua_State *L) {
  lcb_args(L, 1, 2, take_opts, "take");
  lcb_push(L, lc_take(lcb_check(L, 1, "take"), lcb_check(L, 2, "take"), BASE));
  return 1;
}

static const char *const take_along_opts[] = {"input", "indices", "dim"};

static int t_take_along_dim(lua_State *L) {
  const char *fname = "take_along_dim";
  lcb_args(L, 1, 3, take_along_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname), *i = lcb_check(L, 2, fname);
  int dim = lcb_optdim(L, 3, t, LC_ALL_DIMS, fname);
  lcb_push(L, lc_take_along_dim(t, i, dim, BASE));
  return 1;
}

/* ---- scatter, scatter_add, scatter_reduce --------------------------------------- */

/* Reduction names of scatter_reduce, and of scatter's reduce ("add",
 * "multiply"). */
static const struct { const char *name; lc_scatter_mode mode; } reductions[] = {
  {"sum", LC_SCATTER_ADD}, {"prod", LC_SCATTER_PROD}, {"mean", LC_SCATTER_MEAN},
  {"amax", LC_SCATTER_AMAX}, {"amin", LC_SCATTER_AMIN}, {"add", LC_SCATTER_ADD},
  {"multiply", LC_SCATTER_PROD}};

static lc_scatter_mode check_reduce(lua_State *L, int idx, int first, int last, const char *fname,
                                    const char *expected) {
  const char *s = lua_tostring(L, idx);
  for (int k = first; s && lua_type(L, idx) == LUA_TSTRING && k <= last; k++)
    if (!strcmp(s, reductions[k].name)) return reductions[k].mode;
  luaL_error(L, "%s: reduce must be %s, got %s", fname, expected,
             lua_type(L, idx) == LUA_TSTRING ? s : luaL_typename(L, idx));
  return LC_SCATTER_SET;
}

/* src (a tensor) or a number value at idx. */
static lc_tensor *src_or_value(lua_State *L, int idx, double *value, const char *fname,
                               const char *name) {
  lc_tensor *s = lcb_test(L, idx);
  if (s) return s;
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "%s: %s must be a tensor or a number, got %s", fname, name, luaL_typename(L, idx));
  *value = lua_tonumber(L, idx);
  return NULL;
}

static const char *const scatter_opts[] = {"input", "dim", "index", "src", "reduce", "value"};

/* scatter(input, dim, index, src | value [, reduce]): value may also be
 * named, as PyTorch's scatter(input, dim, index, value=...). */
static int scatter(lua_State *L, bool inplace) {
  const char *fname = inplace ? "scatter_" : "scatter";
  lcb_args(L, 1, 6, scatter_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname);
  if (!lua_isnil(L, 6)) {
    if (!lua_isnil(L, 4)) luaL_error(L, "%s: give src or value, not both", fname);
    lua_copy(L, 6, 4);
  }
  double value = 0;
  lc_tensor *src = src_or_value(L, 4, &value, fname, "src");
  lc_scatter_mode mode = lua_isnil(L, 5) ? LC_SCATTER_SET
                                         : check_reduce(L, 5, 5, 6, fname, "'add' or 'multiply'");
  return push_or_assign(L, inplace, t, lc_scatter(t, dim, index, src, value, mode, true, BASE));
}

static int t_scatter(lua_State *L) { return scatter(L, false); }
static int t_scatter_(lua_State *L) { return scatter(L, true); }

static const char *const scatter_add_opts[] = {"input", "dim", "index", "src"};

static int scatter_add(lua_State *L, bool inplace) {
  const char *fname = inplace ? "scatter_add_" : "scatter_add";
  lcb_args(L, 1, 4, scatter_add_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname), *src = lcb_check(L, 4, fname);
  return push_or_assign(L, inplace, t, lc_scatter(t, dim, index, src, 0, LC_SCATTER_ADD, true, BASE));
}

static int t_scatter_add(lua_State *L) { return scatter_add(L, false); }
static int t_scatter_add_(lua_State *L) { return scatter_add(L, true); }

static const char *const reduce_opts[] = {"input", "dim", "index", "src", "reduce", "include_self"};

static int scatter_reduce(lua_State *L, bool inplace) {
  const char *fname = inplace ? "scatter_reduce_" : "scatter_reduce";
  lcb_args(L, 1, 6, reduce_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname), *src = lcb_check(L, 4, fname);
  lc_scatter_mode mode = check_reduce(L, 5, 0, 4, fname, "'sum', 'prod', 'mean', 'amax' or 'amin'");
  bool self = lcb_optbool(L, 6, true, fname, "include_self");
  return push_or_assign(L, inplace, t, lc_scatter(t, dim, index, src, 0, mode, self, BASE));
}

static int t_scatter_reduce(lua_State *L) { return scatter_reduce(L, false); }
static int t_scatter_reduce_(lua_State *L) { return scatter_reduce(L, true); }

/* ---- index_add, index_copy, index_fill, index_put ---------------------------------- */

static const char *const index_add_opts[] = {"input", "dim", "index", "source", "alpha"};

static int index_add(lua_State *L, bool inplace) {
  const char *fname = inplace ? "index_add_" : "index_add";
  lcb_args(L, 1, 5, index_add_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname), *src = lcb_check(L, 4, fname);
  double alpha = lcb_optnum(L, 5, 1, fname, "alpha");
  return push_or_assign(L, inplace, t, lc_index_add(t, dim, index, src, alpha, BASE));
}

static int t_index_add(lua_State *L) { return index_add(L, false); }
static int t_index_add_(lua_State *L) { return index_add(L, true); }

static const char *const index_copy_opts[] = {"input", "dim", "index", "source"};

static int index_copy(lua_State *L, bool inplace) {
  const char *fname = inplace ? "index_copy_" : "index_copy";
  lcb_args(L, 1, 4, index_copy_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname), *src = lcb_check(L, 4, fname);
  return push_or_assign(L, inplace, t, lc_index_copy(t, dim, index, src, BASE));
}

static int t_index_copy(lua_State *L) { return index_copy(L, false); }
static int t_index_copy_(lua_State *L) { return index_copy(L, true); }

static const char *const index_fill_opts[] = {"input", "dim", "index", "value"};

static int index_fill(lua_State *L, bool inplace) {
  const char *fname = inplace ? "index_fill_" : "index_fill";
  lcb_args(L, 1, 4, index_fill_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname);
  double value = 0;
  lc_tensor *v = src_or_value(L, 4, &value, fname, "value");
  if (v) {
    if (v->ndim != 0) luaL_error(L, "%s: value must be a number or a 0-dim tensor, got a %d-D tensor", fname, v->ndim);
    value = lc_get(v, 0);
  }
  return push_or_assign(L, inplace, t, lc_index_fill(t, dim, index, value, BASE));
}

static int t_index_fill(lua_State *L) { return index_fill(L, false); }
static int t_index_fill_(lua_State *L) { return index_fill(L, true); }

static const char *const index_put_opts[] = {"input", "indices", "values", "accumulate"};

/* index_put(input, {i1, i2, ...}, values [, accumulate]): values a tensor or
 * a number. */
static int index_put(lua_State *L, bool inplace) {
  const char *fname = inplace ? "index_put_" : "index_put";
  lcb_args(L, 1, 4, index_put_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  if (!lua_istable(L, 2) || lcb_test(L, 2))
    luaL_error(L, "%s: indices must be a table of int64 tensors, got %s", fname, luaL_typename(L, 2));
  lc_tensor *idx[LC_MAX_DIMS];
  int k = (int)luaL_len(L, 2);
  if (k < 1 || k > t->ndim)
    luaL_error(L, "%s: indices must hold 1 to %d tensors for a %d-D input, got %d", fname,
               t->ndim, t->ndim, k);
  for (int i = 0; i < k; i++) {
    lua_rawgeti(L, 2, i + 1);
    idx[i] = lcb_test(L, -1);
    if (!idx[i]) luaL_error(L, "%s: indices[%d] must be a tensor, got %s", fname, i + 1, luaL_typename(L, -1));
    lua_pop(L, 1); /* the table keeps it alive */
  }
  double value = 0;
  lc_tensor *v = src_or_value(L, 3, &value, fname, "values");
  bool acc = lcb_optbool(L, 4, false, fname, "accumulate");
  lc_tensor *owned = v ? NULL : lc_scalar(t->dtype, value);
  if (!v && !owned) lcb_fail(L);
  lc_tensor *r = lc_index_put_nd(t, k, idx, v ? v : owned, acc, BASE);
  lc_release(owned);
  return push_or_assign(L, inplace, t, r);
}

static int t_index_put(lua_State *L) { return index_put(L, false); }
static int t_index_put_(lua_State *L) { return index_put(L, true); }

static const luaL_Reg fns[] = {
  {"gather", t_gather}, {"take", t_take}, {"take_along_dim", t_take_along_dim},
  {"scatter", t_scatter}, {"scatter_", t_scatter_}, {"scatter_add", t_scatter_add},
  {"scatter_add_", t_scatter_add_}, {"scatter_reduce", t_scatter_reduce},
  {"scatter_reduce_", t_scatter_reduce_}, {"index_add", t_index_add}, {"index_add_", t_index_add_},
  {"index_copy", t_index_copy}, {"index_copy_", t_index_copy_}, {"index_fill", t_index_fill},
  {"index_fill_", t_index_fill_}, {"index_put", t_index_put}, {"index_put_", t_index_put_},
  {NULL, NULL}};

void lcb_open_scatter(lua_State *L, int module, int methods) { lcb_register(L, module, methods, fns); }
