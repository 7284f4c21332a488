/* lctc.c: the CTC loss kernel (core/ctc.c) for nn.functional. */
#include "lbind.h"

static const char *const reductions[] = {"none", "mean", "sum", NULL};

/* _ctc_loss(name, log_probs, targets, input_lengths, target_lengths, blank,
 * reduction, zero_infinity): targets and blank 1-based. */
static int l_ctc_loss(lua_State *L) {
  lua_settop(L, 8);
  const char *name = luaL_checkstring(L, 1);
  lc_ctc_args a = {.op = name, .log_probs = lcb_check(L, 2, name), .targets = lcb_check(L, 3, name),
                   .input_lengths = lcb_check(L, 4, name), .target_lengths = lcb_check(L, 5, name),
                   .index_base = 1};
  a.blank = luaL_checkinteger(L, 6);
  static const lc_reduction codes[] = {LC_REDUCTION_NONE, LC_REDUCTION_MEAN, LC_REDUCTION_SUM};
  a.reduction = codes[luaL_checkoption(L, 7, "mean", reductions)];
  a.zero_infinity = lua_toboolean(L, 8);
  lcb_push(L, lc_ctc_loss(&a));
  return 1;
}

void lcb_open_ctc(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"_ctc_loss", l_ctc_loss}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
