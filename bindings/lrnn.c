/* lrnn.c: the binding of rnn.c, the fused recurrent layers. */
#include <limits.h>

#include "lbind.h"

/* The step sizes of a recurrent layer's input at idx: an int64 tensor or a
 * table of L batch sizes (a packed sequence; a table becomes a scratch array
 * left on the stack), or a number L (padded: every step has all N rows),
 * returning NULL. Shared by _rnn_layer and _minrnn_layer. */
const int64_t *lcb_batch_sizes(lua_State *L, int idx, int64_t *steps, const char *fname) {
  lc_tensor *bst = lcb_test(L, idx);
  if (bst) {
    if (bst->dtype != LC_INT64 || bst->ndim != 1 || !lc_is_contiguous(bst))
      luaL_error(L, "%s: batch_sizes must be a contiguous 1-D int64 tensor", fname);
    *steps = bst->sizes[0];
    return lc_data(bst);
  }
  if (!lua_istable(L, idx)) {
    *steps = luaL_checkinteger(L, idx);
    return NULL;
  }
  *steps = lcb_len(L, idx, INT_MAX / (int)sizeof(int64_t), fname, "the batch sizes");
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

/* lucid._C.rnn_layer{cell, input, batch_sizes, ...} or positionally (cell, x, batch_sizes, reverse, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, h_mask,
 *            zoneout_h, zoneout_c, extra, w_hh_noise, w_hh_dropout) -> y, h_n [, c_n] (lc_rnn_args in lc_nn.h). cell names a kind (rnn_cell lists its facts); x is
 * (T, I); batch_sizes is an int64 tensor or a table of L step sizes, or a
 * number L (padded: every step has all N rows). The core checks the shapes. */
static const char *const rnn_layer_names[] = {
    "cell", "input", "batch_sizes", "reverse", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh",
    "w_hr", "h_mask", "zoneout_h", "zoneout_c", "extra", "w_hh_noise", "w_hh_dropout"};

static int l_rnn_layer(lua_State *L) {
  const char *fname = "rnn_layer";
  /* exactly 17 slots after: scratch pushed later must not land on an argument */
  lcb_args(L, 1, 17, rnn_layer_names, fname);
  lc_rnn_args a = {.cell = luaL_checkstring(L, 1)};
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
  a.h_mask = lcb_opt(L, 12, fname);
  a.zoneout_h = lcb_opt(L, 13, fname);
  a.zoneout_c = lcb_opt(L, 14, fname);
  a.extra = lcb_opt(L, 15, fname);
  a.w_hh_noise = lcb_opt(L, 16, fname);
  a.w_hh_dropout = luaL_optnumber(L, 17, 0);
  lc_tensor *y, *h, *c = NULL;
  lcb_ok(L, lc_rnn_layer(&a, &y, &h, &c));
  lcb_push(L, y);
  lcb_push(L, h);
  if (!c) return 2;
  lcb_push(L, c);
  return 3;
}

/* The arguments of one direction from the table at idx: {h0 =, c0 =, w_ih =,
 * w_hh =, b_ih =, b_hh =, w_hr =, h_mask =, zoneout_h =, zoneout_c =, extra =,
 * w_hh_noise =, w_hh_dropout =} (nil for absent ones), named as rnn_layer's.
 * The tensors stay referenced by the table. */
static void direction_args(lua_State *L, int idx, lc_rnn_args *a, const char *fname) {
  luaL_checktype(L, idx, LUA_TTABLE);
  static const char *const names[12] = {"h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh",
                                        "w_hr", "h_mask", "zoneout_h", "zoneout_c", "extra", "w_hh_noise"};
  const lc_tensor **slots[12] = {&a->h0, &a->c0, &a->w_ih, &a->w_hh, &a->b_ih, &a->b_hh,
                                 &a->w_hr, &a->h_mask, &a->zoneout_h, &a->zoneout_c, &a->extra,
                                 &a->w_hh_noise};
  for (int i = 0; i < 12; i++) {
    lua_getfield(L, idx, names[i]);
    bool absent = lua_isnil(L, -1);
    lc_tensor *t = absent ? NULL : lcb_test(L, -1);
    bool required = i == 0 || i == 2 || i == 3;
    if (!t && (!absent || required))
      luaL_error(L, "%s: the %s direction's %s must be a tensor%s, got %s", fname,
                 a->reverse ? "reverse" : "forward", names[i], required ? "" : " or nil",
                 luaL_typename(L, -1));
    *slots[i] = t;
    lua_pop(L, 1);
  }
  lua_getfield(L, idx, "w_hh_dropout");
  if (!lua_isnil(L, -1) && !lua_isnumber(L, -1))
    luaL_error(L, "%s: the %s direction's w_hh_dropout must be a number or nil, got %s", fname,
               a->reverse ? "reverse" : "forward", luaL_typename(L, -1));
  a->w_hh_dropout = lua_tonumber(L, -1);
  lua_pop(L, 1);
}

/* lucid._C.rnn_bilayer{cell =, input =, batch_sizes =, forward =, backward =}
 * -> y_f, h_f, c_f, y_b, h_b, c_b: both directions of a bidirectional layer as
 * one node (lc_rnn_layers); the direction tables as direction_args reads
 * them; c_f, c_b nil without a cell state. */
static const char *const rnn_bilayer_names[] = {"cell", "input", "batch_sizes", "forward", "backward"};

static int l_rnn_bilayer(lua_State *L) {
  const char *fname = "rnn_bilayer";
  lcb_args(L, 1, 5, rnn_bilayer_names, fname);
  lc_rnn_args a[2] = {{.cell = luaL_checkstring(L, 1)}};
  a[0].x = lcb_check(L, 2, fname);
  a[0].batch_sizes = lcb_batch_sizes(L, 3, &a[0].steps, fname);
  direction_args(L, 4, &a[0], fname);
  a[1] = (lc_rnn_args){.cell = a[0].cell, .reverse = true, .steps = a[0].steps,
                       .batch_sizes = a[0].batch_sizes, .x = a[0].x};
  direction_args(L, 5, &a[1], fname);
  lc_tensor *y[2], *h[2], *c[2];
  lcb_ok(L, lc_rnn_layers(a, 2, y, h, c));
  for (int d = 0; d < 2; d++) {
    lcb_push(L, y[d]);
    lcb_push(L, h[d]);
    if (c[d]) lcb_push(L, c[d]);
    else lua_pushnil(L);
  }
  return 6;
}

/* lucid._C.rnn_cell_step(cell, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hh_noise,
 * w_hh_dropout, ...) -> h' [, c']: one step of a cell kind as one autograd
 * node (lc_rnn_cell_step); x (N, I), h (N, H); c, the biases and the weight
 * dropout's draws nil where there are none (w_hh_dropout is then ignored);
 * the trailing arguments are the parts of the cell's own parameter, in
 * order (at most LC_RNN_STEP_PARTS; nil ones are skipped). Positional only: the cell modules call
 * it at every step of a loop. */
static int l_rnn_cell_step(lua_State *L) {
  const char *fname = "rnn_cell_step";
  int parts = lua_gettop(L) - 10;
  if (parts > LC_RNN_STEP_PARTS)
    luaL_error(L, "%s: at most %d parts of the cell's parameter, got %d", fname, LC_RNN_STEP_PARTS, parts);
  lc_rnn_step_args a = {.cell = luaL_checkstring(L, 1), .x = lcb_check(L, 2, fname),
                        .h = lcb_check(L, 3, fname), .c = lcb_opt(L, 4, fname),
                        .w_ih = lcb_check(L, 5, fname), .w_hh = lcb_check(L, 6, fname),
                        .b_ih = lcb_opt(L, 7, fname), .b_hh = lcb_opt(L, 8, fname),
                        .w_hh_noise = lcb_opt(L, 9, fname), .w_hh_dropout = luaL_optnumber(L, 10, 0)};
  for (int k = 0; k < parts; k++) a.extra[k] = lcb_opt(L, 11 + k, fname);
  lc_tensor *h, *c;
  lcb_ok(L, lc_rnn_cell_step(&a, &h, &c));
  lcb_push(L, h);
  if (!c) return 1;
  lcb_push(L, c);
  return 2;
}

/* lucid._C.rnn_check{op, form, input, batch_sizes, sorted_indices,
 * input_size, weight, layers, batch_first, h, h_name, h_size_name, h_width,
 * c, c_name, c_width}, or positionally in that order: a recurrent module's
 * whole call checked by the core (lc_rnn_check, lc_nn.h), which raises the
 * module's own message (op is its name) at the user's line. form is "sequence" (nn.RNN/GRU/
 * LSTM), "step" (the cells) or "minimal" (MinGRU/MinLSTM); weight gives the
 * parameters' dtype; h and c are the states as given (nil: zeros), c_name
 * nil for a module without a cell state. Returns nothing. */
static const char *const rnn_check_names[] = {
    "op", "form", "input", "batch_sizes", "sorted_indices", "input_size", "weight", "layers",
    "batch_first", "h", "h_name", "h_size_name", "h_width", "c", "c_name", "c_width"};
static const char *const rnn_forms[] = {
    [LC_RNN_SEQUENCE] = "sequence", [LC_RNN_STEP] = "step", [LC_RNN_MINIMAL] = "minimal", NULL};

static int l_rnn_check(lua_State *L) {
  const char *fname = "rnn_check";
  lcb_args(L, 1, 16, rnn_check_names, fname);
  lc_rnn_call c = {.op = luaL_checkstring(L, 1), .form = luaL_checkoption(L, 2, NULL, rnn_forms),
                   .input = lcb_check(L, 3, fname), .batch_sizes = lcb_opt(L, 4, fname),
                   .sorted_indices = lcb_opt(L, 5, fname), .input_size = luaL_checkinteger(L, 6),
                   .dtype = lcb_check(L, 7, fname)->dtype, .layers = luaL_checkinteger(L, 8),
                   .batch_first = lua_toboolean(L, 9)};
  c.states[0] = (lc_rnn_state){.t = lcb_opt(L, 10, fname), .name = luaL_optstring(L, 11, NULL),
                               .size_name = luaL_optstring(L, 12, NULL), .width = luaL_optinteger(L, 13, 0)};
  c.states[1] = (lc_rnn_state){.t = lcb_opt(L, 14, fname), .name = luaL_optstring(L, 15, NULL),
                               .width = luaL_optinteger(L, 16, 0)};
  if (lc_rnn_check(&c)) return lcb_fail_at_user(L); /* called at every step of a cell loop */
  return 0;
}

/* lucid._C.rnn_cell(name) -> {gates =, has_cell =, projectable =, extra =}: what a module
 * needs to know of a cell kind to shape its parameters and state. */
static int l_rnn_cell(lua_State *L) {
  const lc_rnn_cell *cell = lc_rnn_cell_find(luaL_checkstring(L, 1));
  if (!cell) return lcb_fail(L);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, cell->gates);
  lua_setfield(L, -2, "gates");
  lua_pushboolean(L, cell->has_cell);
  lua_setfield(L, -2, "has_cell");
  lua_pushboolean(L, cell->projectable);
  lua_setfield(L, -2, "projectable");
  lua_pushinteger(L, cell->extra);
  lua_setfield(L, -2, "extra");
  return 1;
}

void lcb_open_rnn(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){{"rnn_layer", l_rnn_layer}, {"rnn_bilayer", l_rnn_bilayer},
                                                {"rnn_cell", l_rnn_cell}, {"rnn_check", l_rnn_check},
                                                {"rnn_cell_step", l_rnn_cell_step}, {NULL, NULL}});
}
