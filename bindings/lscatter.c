/* lscatter.c: gather and the scatter family (core/scatter.c) for Lua. Index
 * tensors hold 1-based positions, handed to the core as they are (base 1). */
#include "lbind.h"

static const char *const gather_opts[] = {"input", "dim", "index"};

static int t_gather(lua_State *L) {
  lcb_args(L, 1, 3, gather_opts, "gather");
  lc_tensor *t = lcb_check(L, 1, "gather");
  int dim = lcb_dim(L, 2, t->ndim, false, "gather");
  lcb_push(L, lc_gather(t, dim, lcb_check(L, 3, "gather"), 1));
  return 1;
}

static const luaL_Reg fns[] = {{"gather", t_gather}, {NULL, NULL}};

void lcb_open_scatter(lua_State *L, int module, int methods) { lcb_register(L, module, methods, fns); }
