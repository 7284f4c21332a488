/* lscan.c: cumsum, cumprod, logcumsumexp, cummax, cummin (core/scan.c) for
 * Lua; dims and cummax/cummin indices 1-based. */
#include "lbind.h"

static const char *const cum_opts[] = {"input", "dim", "dtype"};

/* The dim every scan requires. */
static int scan_dim(lua_State *L, const lc_tensor *t, const char *fname) {
  lcb_checkint(L, 2, fname, "dim");
  return lcb_dim(L, 2, t->ndim, false, fname);
}

/* cumsum and cumprod take PyTorch's dtype: the input is converted first. */
static int cumulative(lua_State *L, lc_tensor *(*op)(const lc_tensor *, int), const char *fname) {
  lcb_args(L, 1, 3, cum_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int dim = scan_dim(L, t, fname);
  lc_tensor *c = lua_isnil(L, 3) ? lc_retain(t) : lc_to(t, lcb_dtype(L, 3, t->dtype, fname));
  if (!c) lcb_fail(L);
  lc_tensor *y = op(c, dim);
  lc_release(c);
  lcb_push(L, y);
  return 1;
}

static int t_cumsum(lua_State *L) { return cumulative(L, lc_cumsum, "cumsum"); }
static int t_cumprod(lua_State *L) { return cumulative(L, lc_cumprod, "cumprod"); }

static const char *const dim_opts[] = {"input", "dim"};

static int t_logcumsumexp(lua_State *L) {
  lcb_args(L, 1, 2, dim_opts, "logcumsumexp");
  lc_tensor *t = lcb_check(L, 1, "logcumsumexp");
  lcb_push(L, lc_logcumsumexp(t, scan_dim(L, t, "logcumsumexp")));
  return 1;
}

static int running(lua_State *L, bool is_max) {
  const char *fname = is_max ? "cummax" : "cummin";
  lcb_args(L, 1, 2, dim_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname), *v, *i;
  int dim = scan_dim(L, t, fname);
  lcb_ok(L, is_max ? lc_cummax(t, dim, 1, &v, &i) : lc_cummin(t, dim, 1, &v, &i));
  lcb_push(L, v);
  lcb_push(L, i);
  return 2;
}

static int t_cummax(lua_State *L) { return running(L, true); }
static int t_cummin(lua_State *L) { return running(L, false); }

static const luaL_Reg fns[] = {
  {"cumsum", t_cumsum}, {"cumprod", t_cumprod}, {"logcumsumexp", t_logcumsumexp},
  {"cummax", t_cummax}, {"cummin", t_cummin}, {NULL, NULL}};

void lcb_open_scan(lua_State *L, int module, int methods) { lcb_register(L, module, methods, fns); }
