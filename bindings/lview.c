/* lview.c: the views (core/view.c) for Lua: view, reshape, expand and their
 * _as forms, transpose, permute, narrow, select, squeeze, unsqueeze; and contiguous,
 * clone, detach. */
#include "lbind.h"

/* view, reshape and expand take sizes (varargs or one table); their _as
 * forms take another tensor's. One row each; the closure's upvalue is the row. */
static const struct {
  const char *name;
  lc_tensor *(*fn)(const lc_tensor *t, int ndim, const int64_t *sizes);
  bool as;
} sized_ops[] = {
  {"view", lc_view, false}, {"reshape", lc_reshape, false}, {"expand", lc_expand, false},
  {"view_as", lc_view, true}, {"reshape_as", lc_reshape, true}, {"expand_as", lc_expand, true},
};

static int t_sized(lua_State *L) {
  int k = (int)lua_tointeger(L, lua_upvalueindex(1));
  const char *fname = sized_ops[k].name;
  lc_tensor *t = lcb_check(L, 1, fname);
  if (sized_ops[k].as) {
    lc_tensor *o = lcb_check(L, 2, fname);
    lcb_push(L, sized_ops[k].fn(t, o->ndim, o->sizes));
    return 1;
  }
  int64_t sizes[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 2, sizes, fname);
  lcb_push(L, sized_ops[k].fn(t, nd, sizes));
  return 1;
}

/* The dim arguments of the view functions may also be given by PyTorch's
 * names (x:narrow{dim = 2, start = 1, length = 3}). Without an options table
 * the arguments stay as given, so a missing one reads "got no value". */
static void view_args(lua_State *L, int n, const char *const *names, const char *fname) {
  if (lcb_is_options(L, lua_gettop(L), LCB_PLAIN)) lcb_args(L, 1, n, names, fname);
}

static const char *const transpose_opts[] = {"input", "dim0", "dim1"};

static int t_transpose(lua_State *L) {
  view_args(L, 3, transpose_opts, "transpose");
  lc_tensor *t = lcb_check(L, 1, "transpose");
  int a = lcb_dim(L, 2, t->ndim, false, "transpose"), b = lcb_dim(L, 3, t->ndim, false, "transpose");
  lcb_push(L, lc_transpose(t, a, b));
  return 1;
}

/* t(): the matrix transpose, for tensors of at most 2 dims (as torch.t). */
static int t_t(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "t");
  if (t->ndim > 2) luaL_error(L, "t: expects a tensor with at most 2 dims, got %d; use transpose", t->ndim);
  lcb_push(L, t->ndim < 2 ? lc_alias(t) : lc_transpose(t, 0, 1));
  return 1;
}

static int t_permute(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "permute");
  int64_t d[LC_MAX_DIMS];
  int n = lcb_sizes(L, 2, d, "permute");
  if (n != t->ndim) luaL_error(L, "permute: expected %d dims for a %d-D tensor, got %d", t->ndim, t->ndim, n);
  int dims[LC_MAX_DIMS];
  for (int i = 0; i < n; i++) {
    if (d[i] == 0 || d[i] > n || d[i] < -n)
      luaL_error(L, "permute: dim %I out of range for a %d-D tensor", (lua_Integer)d[i], n);
    dims[i] = (int)(d[i] > 0 ? d[i] - 1 : d[i] + n);
  }
  lcb_push(L, lc_permute(t, dims));
  return 1;
}

static const char *const narrow_opts[] = {"input", "dim", "start", "length"};

/* narrow(dim, start, length): start is 1-based like every Lua index. */
static int t_narrow(lua_State *L) {
  view_args(L, 4, narrow_opts, "narrow");
  lc_tensor *t = lcb_check(L, 1, "narrow");
  int d = lcb_dim(L, 2, t->ndim, false, "narrow");
  lua_Integer start = lcb_checkint(L, 3, "narrow", "start"), len = lcb_checkint(L, 4, "narrow", "length");
  if (start == 0 || start > t->sizes[d] + 1 || start < -t->sizes[d])
    luaL_error(L, "narrow: start %I out of range for dim %d of size %I", start, d + 1, (lua_Integer)t->sizes[d]);
  lua_Integer first = start > 0 ? start - 1 : start + t->sizes[d];
  /* checked here so the message gives the 1-based start the user wrote */
  if (len < 0 || len > t->sizes[d] - first)
    luaL_error(L, "narrow: start %I and length %I exceed the size %I of dim %d", start, len,
               (lua_Integer)t->sizes[d], d + 1);
  lcb_push(L, lc_narrow(t, d, first, len));
  return 1;
}

static const char *const select_opts[] = {"input", "dim", "index"};

static int t_select(lua_State *L) {
  view_args(L, 3, select_opts, "select");
  lc_tensor *t = lcb_check(L, 1, "select");
  int d = lcb_dim(L, 2, t->ndim, false, "select");
  lua_Integer i = lcb_checkint(L, 3, "select", "index");
  if (i == 0 || i > t->sizes[d] || i < -t->sizes[d])
    luaL_error(L, "select: index %I out of range for dim %d of size %I", i, d + 1, (lua_Integer)t->sizes[d]);
  lcb_push(L, lc_select(t, d, i > 0 ? i - 1 : i));
  return 1;
}

static const char *const dim_opts[] = {"input", "dim"};

static int t_squeeze(lua_State *L) {
  view_args(L, 2, dim_opts, "squeeze");
  lc_tensor *t = lcb_check(L, 1, "squeeze");
  if (lua_istable(L, 2)) { /* a table of dims: those of size 1 go, last first */
    int dims[LC_MAX_DIMS], n = lcb_dims(L, 2, t->ndim, dims, "squeeze");
    lc_tensor *cur = lc_expand(t, t->ndim, t->sizes); /* a view, with history */
    for (int d = t->ndim - 1; d >= 0 && cur; d--) {
      bool listed = false;
      for (int i = 0; i < n; i++) listed = listed || dims[i] == d;
      if (!listed || t->sizes[d] != 1) continue;
      lc_tensor *next = lc_squeeze(cur, d);
      lc_release(cur);
      cur = next;
    }
    lcb_push(L, cur);
    return 1;
  }
  int d = lua_isnoneornil(L, 2) ? LC_ALL_DIMS : lcb_dim(L, 2, t->ndim, false, "squeeze");
  lcb_push(L, lc_squeeze(t, d));
  return 1;
}

static int t_unsqueeze(lua_State *L) {
  view_args(L, 2, dim_opts, "unsqueeze");
  lc_tensor *t = lcb_check(L, 1, "unsqueeze");
  lcb_push(L, lc_unsqueeze(t, lcb_dim(L, 2, t->ndim, true, "unsqueeze")));
  return 1;
}

static int t_contiguous(lua_State *L) {
  lcb_push(L, lc_contiguous(lcb_check(L, 1, "contiguous")));
  return 1;
}

static int t_clone(lua_State *L) {
  lcb_push(L, lc_clone(lcb_check(L, 1, "clone")));
  return 1;
}

static int t_detach(lua_State *L) {
  lcb_push(L, lc_detach(lcb_check(L, 1, "detach")));
  return 1;
}

static const luaL_Reg fns[] = {
  {"transpose", t_transpose}, {"t", t_t}, {"permute", t_permute},
  {"narrow", t_narrow}, {"select", t_select}, {"squeeze", t_squeeze}, {"unsqueeze", t_unsqueeze},
  {"contiguous", t_contiguous}, {"clone", t_clone}, {"detach", t_detach}, {NULL, NULL}};

void lcb_open_view(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  for (int k = 0; k < (int)(sizeof sized_ops / sizeof *sized_ops); k++) {
    lua_pushinteger(L, k);
    lua_pushcclosure(L, t_sized, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, methods, sized_ops[k].name);
    lua_setfield(L, module, sized_ops[k].name);
  }
}
