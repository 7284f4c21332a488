/* lnn.c: the fused kernels behind nn's modules. */
#include <string.h>

#include "lbind.h"

static const char *const rnn_modes[] = {"rnn_tanh", "rnn_relu", "gru", "lstm", NULL};

/* The steps argument at idx of the layer kernels: a table of L batch sizes
 * (a packed sequence), returned as a scratch array left on the stack, or a
 * number L (padded: every step has all N rows), returning NULL. */
const int64_t *lcb_batch_sizes(lua_State *L, int idx, int64_t *steps, const char *fname) {
  if (!lua_istable(L, idx)) {
    *steps = luaL_checkinteger(L, idx);
    return NULL;
  }
  *steps = (int64_t)luaL_len(L, idx);
  int64_t *sizes = lua_newuserdatauv(L, (*steps ? *steps : 1) * sizeof *sizes, 0);
  for (int64_t t = 0; t < *steps; t++) {
    lua_geti(L, idx, t + 1);
    int ok;
    sizes[t] = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: batch size %d must be an integer, got %s", fname, (int)t + 1,
                        luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  return sizes;
}

/* _rnn_layer(mode, x, batch_sizes, reverse, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
 * -> y, h_n [, c_n]. x is (T, I); batch_sizes is a table of L step sizes, or
 * a number L (padded: every step has all N rows). Shapes are the caller's to
 * check with friendly messages; this checks them again for safety. */
static int l_rnn_layer(lua_State *L) {
  const char *fname = "rnn_layer";
  lua_settop(L, 11); /* scratch pushed later must not land on an argument slot */
  lc_rnn_args a = {.mode = (lc_rnn_mode)luaL_checkoption(L, 1, NULL, rnn_modes)};
  a.x = lcb_check(L, 2, fname);
  a.batch_sizes = lcb_batch_sizes(L, 3, &a.steps, fname);
  a.reverse = lua_toboolean(L, 4);
  a.h0 = lcb_check(L, 5, fname);
  a.c0 = lcb_opt(L, 6, fname);
  a.w_ih = lcb_check(L, 7, fname);
  a.w_hh = lcb_check(L, 8, fname);
  a.b_ih = lcb_opt(L, 9, fname);
  a.b_hh = lcb_opt(L, 10, fname);
  a.w_hr = lcb_opt(L, 11, fname);
  lc_tensor *y, *h, *c = NULL;
  lcb_ok(L, lc_rnn_layer(&a, &y, &h, a.mode == LC_LSTM ? &c : NULL));
  lcb_push(L, y);
  lcb_push(L, h);
  if (!c) return 2;
  lcb_push(L, c);
  return 3;
}

void lcb_open_nn(lua_State *L, int module, int methods) {
  (void)methods;
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"_rnn_layer", l_rnn_layer}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
