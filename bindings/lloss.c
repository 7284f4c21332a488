/* lloss.c: the class losses and the embedding lookup for nn. Targets,
 * indices, ignore_index and padding_idx stay 1-based: the core takes the
 * base, so it checks them itself and no shifted copy is made; its errors are
 * raised under the name the user called (the module or the function). */
#include <string.h>

#include "lbind.h"

/* _embedding(weight, indices, padding_idx or nil [, name]): padding_idx
 * 1-based. */
static int l_embedding(lua_State *L) {
  const char *fname = luaL_optstring(L, 4, "embedding");
  lc_tensor *w = lcb_check(L, 1, fname), *idx = lcb_check(L, 2, fname);
  int64_t pad = lua_isnoneornil(L, 3) ? 0 : luaL_checkinteger(L, 3); /* 0: none */
  lc_tensor *out = lc_embedding(w, idx, pad, 1);
  if (!out) lcb_fail_as(L, fname);
  lcb_push(L, out);
  return 1;
}

/* _class_loss(kind, input, target, weight, ignore_index, reduction,
 * label_smoothing, name): kind "cross_entropy" or "nll_loss"; targets and
 * ignore_index 1-based; errors are raised under `name` (the module or
 * function the user called). */
static const char *const loss_kinds[] = {"cross_entropy", "nll_loss", NULL};
static const char *const reductions[] = {"none", "mean", "sum", NULL};

static int l_class_loss(lua_State *L) {
  lua_settop(L, 8);
  int kind = luaL_checkoption(L, 1, NULL, loss_kinds);
  const char *name = luaL_optstring(L, 8, loss_kinds[kind]);
  lc_tensor *x = lcb_check(L, 2, name), *target = lcb_check(L, 3, name);
  lc_tensor *weight = lcb_opt(L, 4, name);
  int64_t ignore = luaL_optinteger(L, 5, -100);
  const char *red = luaL_optstring(L, 6, "mean");
  int r = 0;
  while (reductions[r] && strcmp(reductions[r], red)) r++;
  if (!reductions[r]) luaL_error(L, "%s: reduction must be 'none', 'mean' or 'sum', got '%s'", name, red);
  double eps = luaL_optnumber(L, 7, 0);
  static const lc_reduction codes[] = {LC_REDUCTION_NONE, LC_REDUCTION_MEAN, LC_REDUCTION_SUM};
  lc_tensor *out = kind == 0 ? lc_cross_entropy(x, target, weight, ignore, codes[r], eps, 1)
                             : lc_nll_loss(x, target, weight, ignore, codes[r], 1);
  if (!out) lcb_fail_as(L, name);
  lcb_push(L, out);
  return 1;
}

void lcb_open_loss(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"_embedding", l_embedding},
                                {"_class_loss", l_class_loss},
                                {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
