/* lctc.c: the CTC loss kernel (core/ctc.c) for nn.functional. */
#include "lbind.h"

static const char *const reductions[] = {"none", "mean", "sum", NULL};

/* lucid._C.ctc_loss(name, log_probs, targets, input_lengths, target_lengths, blank,
 * reduction, zero_infinity): targets and blank 1-based. */
static const char *const ctc_names[] = {"name", "log_probs", "targets", "input_lengths", "target_lengths",
                                       "blank", "reduction", "zero_infinity"};

static int l_ctc_loss(lua_State *L) {
  lcb_args(L, 1, 8, ctc_names, "ctc_loss");
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
  lcb_register_private(L, module, (luaL_Reg[]){{"ctc_loss", l_ctc_loss}, {NULL, NULL}});
}
