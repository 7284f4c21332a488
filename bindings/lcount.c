/* lcount.c: bincount and histc (core/count.c) for Lua. bincount counts value
 * k at position k (values start at 1, as every Lua position). */
#include "lbind.h"

static const char *const bincount_opts[] = {"input", "weights", "minlength"};

static int t_bincount(lua_State *L) {
  lcb_args(L, 1, 3, bincount_opts, "bincount");
  lc_tensor *t = lcb_check(L, 1, "bincount");
  lc_tensor *w = lcb_opt(L, 2, "bincount");
  lua_Integer minlength = lcb_optint(L, 3, 0, "bincount", "minlength");
  lcb_push(L, lc_bincount(t, w, minlength, 1));
  return 1;
}

static const char *const histc_opts[] = {"input", "bins", "min", "max"};

static int t_histc(lua_State *L) {
  lcb_args(L, 1, 4, histc_opts, "histc");
  lc_tensor *t = lcb_check(L, 1, "histc");
  lua_Integer bins = lcb_optint(L, 2, 100, "histc", "bins");
  double lo = lcb_optnum(L, 3, 0, "histc", "min"), hi = lcb_optnum(L, 4, 0, "histc", "max");
  lcb_push(L, lc_histc(t, bins, lo, hi));
  return 1;
}

static const luaL_Reg fns[] = {{"bincount", t_bincount}, {"histc", t_histc}, {NULL, NULL}};

void lcb_open_count(lua_State *L, int module, int methods) { lcb_register(L, module, methods, fns); }
