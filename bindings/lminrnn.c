/* lminrnn.c: the MinGRU/MinLSTM layer kernel behind nn.MinGRU and nn.MinLSTM,
 * and the packed-sequence reversal their reverse directions use. */
#include "lbind.h"

static const char *const modes[] = {"mingru", "minlstm", NULL};
static const char *const paths[] = {"scan", "sequential", "chunked", "columns", NULL};

/* lucid._C.minrnn_layer(mode, x, batch_sizes, h0, w, b [, path [, chunks [, op [, h_name]]]]), or by
 * name -> y, h_n; errors at the caller's caller's line (lcb_fail_at_user).
 * x (T, I); batch_sizes a table of L step sizes, or a number L (padded);
 * h0 (N, H) or nil for the zero state; path "scan" (default) or
 * "sequential"; for tests and benchmarks "chunked" forces the time-parallel
 * scan, with `chunks` chunks per sequence (nil: the automatic count), and
 * "columns" the column scan. op and h_name: the names h0's message uses (a
 * cell's "MinGRUCell", "hx"). The module checks shapes with friendly
 * messages first; the core checks them again. */
static const char *const minrnn_names[] = {"mode",   "input", "batch_sizes", "h0", "weight",
                                           "bias",   "path",  "chunks",      "op", "h_name"};

static int l_minrnn_layer(lua_State *L) {
  const char *fname = "minrnn_layer";
  lcb_args(L, 1, 10, minrnn_names, fname);
  lc_minrnn_args a = {.mode = (lc_minrnn_mode)luaL_checkoption(L, 1, NULL, modes)};
  a.x = lcb_check(L, 2, fname);
  a.batch_sizes = lcb_batch_sizes(L, 3, &a.steps, fname);
  a.h0 = lcb_opt(L, 4, fname);
  a.w = lcb_check(L, 5, fname);
  a.b = lcb_opt(L, 6, fname);
  a.path = (lc_minrnn_path)luaL_checkoption(L, 7, "scan", paths);
  a.chunks = luaL_optinteger(L, 8, 0);
  if (a.chunks < 0)
    return luaL_error(L, "%s: chunks must be a non-negative integer, got %I", fname, (lua_Integer)a.chunks);
  a.op = luaL_optstring(L, 9, NULL);
  a.h_name = luaL_optstring(L, 10, NULL);
  lc_tensor *y, *h;
  if (lc_minrnn_layer(&a, &y, &h)) return lcb_fail_at_user(L); /* the modules call it directly */
  lcb_push(L, y);
  lcb_push(L, h);
  return 2;
}

/* lucid._C.packed_reverse_index(batch_sizes) -> int64 (T) 1-based rows: the
 * permutation (its own inverse) that reverses each packed sequence within
 * its own length (lc_packed_reverse_index). */
static int l_packed_reverse_index(lua_State *L) {
  lcb_push(L, lc_packed_reverse_index(lcb_check(L, 1, "packed_reverse_index"), 1));
  return 1;
}

void lcb_open_minrnn(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){{"minrnn_layer", l_minrnn_layer},
                                               {"packed_reverse_index", l_packed_reverse_index},
                                               {NULL, NULL}});
}
