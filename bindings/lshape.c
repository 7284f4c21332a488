/* lshape.c: shape functions (core/shape.c and views of core/view.c) for Lua:
 * flatten, unflatten, unbind, tile, repeat_interleave, flip, fliplr, flipud,
 * roll, rot90, movedim, swapaxes, swapdims, tensor_split, hsplit, vsplit,
 * hstack, vstack, dstack, column_stack, broadcast_to, broadcast_tensors,
 * narrow_copy (reshape_as is with the views, lview.c). Dims and split positions are 1-based; functions
 * returning a variable number of tensors return an array table. */
#include <stdlib.h>

#include "lbind.h"

/* Integers from one number or a table of numbers, as int64. */
static int ints_at(lua_State *L, int idx, int64_t *out, int max, const char *fname, const char *name) {
  if (!lua_istable(L, idx)) {
    out[0] = lcb_checkint(L, idx, fname, name);
    return 1;
  }
  int n = (int)luaL_len(L, idx);
  if (n > max) luaL_error(L, "%s: %s has at most %d entries, got %d", fname, name, max, n);
  for (int i = 0; i < n; i++) {
    lua_geti(L, idx, i + 1);
    out[i] = lcb_checkint(L, -1, fname, name);
    lua_pop(L, 1);
  }
  return n;
}

/* ---- flatten, unflatten, unbind, movedim, swapaxes ----------------------------- */

static const char *const flatten_opts[] = {"input", "start_dim", "end_dim"};

static int t_flatten(lua_State *L) {
  lcb_args(L, 1, 3, flatten_opts, "flatten");
  lc_tensor *t = lcb_check(L, 1, "flatten");
  int s = lcb_optdim(L, 2, t, 0, "flatten"), e = lcb_optdim(L, 3, t, -1, "flatten");
  lcb_push(L, lc_flatten(t, s, e));
  return 1;
}

static const char *const unflatten_opts[] = {"input", "dim", "sizes"};

static int t_unflatten(lua_State *L) {
  lcb_args(L, 1, 3, unflatten_opts, "unflatten");
  lc_tensor *t = lcb_check(L, 1, "unflatten");
  int dim = lcb_dim(L, 2, t->ndim, false, "unflatten");
  if (!lua_istable(L, 3)) luaL_error(L, "unflatten: sizes must be a table of integers, got %s", luaL_typename(L, 3));
  int64_t sizes[LC_MAX_DIMS];
  int n = lcb_sizes(L, 3, sizes, "unflatten");
  lcb_push(L, lc_unflatten(t, dim, n, sizes));
  return 1;
}

static const char *const unbind_opts[] = {"input", "dim"};

static int t_unbind(lua_State *L) {
  lcb_args(L, 1, 2, unbind_opts, "unbind");
  lc_tensor *t = lcb_check(L, 1, "unbind");
  if (!t->ndim) luaL_error(L, "unbind: expected a tensor with at least 1 dim, got a 0-dim tensor");
  int dim = lcb_optdim(L, 2, t, 0, "unbind");
  int64_t n = t->sizes[dim];
  lua_createtable(L, (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    lcb_push(L, lc_select(t, dim, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static const char *const movedim_opts[] = {"input", "source", "destination"};

static int t_movedim(lua_State *L) {
  lcb_args(L, 1, 3, movedim_opts, "movedim");
  lc_tensor *t = lcb_check(L, 1, "movedim");
  int src[LC_MAX_DIMS], dst[LC_MAX_DIMS];
  int n = lcb_dims(L, 2, t->ndim, src, "movedim"), m = lcb_dims(L, 3, t->ndim, dst, "movedim");
  if (n != m) luaL_error(L, "movedim: source and destination must have as many dims, got %d and %d", n, m);
  lcb_push(L, lc_movedim(t, n, src, dst));
  return 1;
}

static const char *const swap_opts[] = {"input", "dim0", "dim1"};

static int swap(lua_State *L, const char *fname) {
  lcb_args(L, 1, 3, swap_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  int a = lcb_dim(L, 2, t->ndim, false, fname), b = lcb_dim(L, 3, t->ndim, false, fname);
  lcb_push(L, lc_transpose(t, a, b));
  return 1;
}

static int t_swapaxes(lua_State *L) { return swap(L, "swapaxes"); }
static int t_swapdims(lua_State *L) { return swap(L, "swapdims"); }

/* ---- flip, roll, rot90, tile, repeat_interleave ----------------------------------- */

static const char *const flip_opts[] = {"input", "dims"};

/* flip(x, dims): a table of dims or one dim; flip(x, 1, 2) too. */
static int t_flip(lua_State *L) {
  if (lcb_is_options(L, lua_gettop(L), LCB_PLAIN)) lcb_args(L, 1, 2, flip_opts, "flip");
  lc_tensor *t = lcb_check(L, 1, "flip");
  int dims[LC_MAX_DIMS], n = 0;
  if (lua_istable(L, 2)) n = lcb_dims(L, 2, t->ndim, dims, "flip");
  else
    for (int i = 2; i <= lua_gettop(L); i++) {
      if (n == LC_MAX_DIMS) luaL_error(L, "flip: at most %d dims", LC_MAX_DIMS);
      dims[n++] = lcb_dim(L, i, t->ndim, false, "flip");
    }
  if (lua_gettop(L) < 2) luaL_error(L, "flip: dims must be given (a dim or a table of dims), got no value");
  lcb_push(L, lc_flip(t, n, dims));
  return 1;
}

static int flip_one(lua_State *L, const char *fname, int dim, int min_dims) {
  lc_tensor *t = lcb_check(L, 1, fname);
  if (lua_gettop(L) > 1) luaL_error(L, "%s: expected 1 argument, got %d", fname, lua_gettop(L));
  if (t->ndim < min_dims)
    luaL_error(L, "%s: expected a tensor of at least %d dims, got %d", fname, min_dims, t->ndim);
  lcb_push(L, lc_flip(t, 1, &dim));
  return 1;
}

static int t_fliplr(lua_State *L) { return flip_one(L, "fliplr", 1, 2); }
static int t_flipud(lua_State *L) { return flip_one(L, "flipud", 0, 1); }

static const char *const roll_opts[] = {"input", "shifts", "dims"};

static int t_roll(lua_State *L) {
  lcb_args(L, 1, 3, roll_opts, "roll");
  lc_tensor *t = lcb_check(L, 1, "roll");
  int64_t shifts[LC_MAX_DIMS];
  int dims[LC_MAX_DIMS];
  int n = ints_at(L, 2, shifts, LC_MAX_DIMS, "roll", "shifts");
  int m = lua_isnil(L, 3) ? 0 : lcb_dims(L, 3, t->ndim, dims, "roll");
  if (m == 0 && n != 1) luaL_error(L, "roll: without dims, shifts must be one integer, got %d", n);
  if (m != 0 && m != n) luaL_error(L, "roll: shifts and dims must have as many entries, got %d and %d", n, m);
  lcb_push(L, lc_roll(t, m, shifts, dims));
  return 1;
}

static const char *const rot90_opts[] = {"input", "k", "dims"};

static int t_rot90(lua_State *L) {
  lcb_args(L, 1, 3, rot90_opts, "rot90");
  lc_tensor *t = lcb_check(L, 1, "rot90");
  lua_Integer k = lcb_optint(L, 2, 1, "rot90", "k");
  int dims[LC_MAX_DIMS] = {0, 1};
  if (!lua_isnil(L, 3) && lcb_dims(L, 3, t->ndim, dims, "rot90") != 2)
    luaL_error(L, "rot90: dims must hold 2 dims, got %d", (int)luaL_len(L, 3));
  lcb_push(L, lc_rot90(t, k, dims[0], dims[1]));
  return 1;
}

/* tile(x, 2, 3) or tile(x, {2, 3}): PyTorch's Tensor.repeat (a Lua keyword). */
static int t_tile(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "tile");
  int64_t reps[LC_MAX_DIMS];
  int n = lcb_sizes(L, 2, reps, "tile");
  lcb_push(L, lc_tile(t, n, reps));
  return 1;
}

static const char *const interleave_opts[] = {"input", "repeats", "dim", "output_size"};

/* repeat_interleave(x, repeats [, dim]); repeat_interleave(repeats) alone
 * repeats the positions 1..n, as PyTorch's does 0..n-1. */
static int t_repeat_interleave(lua_State *L) {
  const char *fname = "repeat_interleave";
  lcb_args(L, 1, 4, interleave_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  lc_tensor *owned = NULL, *reps = NULL;
  if (lua_isnil(L, 2)) { /* the positions form */
    int64_t n = lc_numel(t);
    owned = lc_arange(LC_INT64, 1, (double)n + 1, 1);
    if (!owned) lcb_fail(L);
    lcb_push(L, owned); /* kept on the stack for the GC */
    reps = t;
    t = owned;
  } else if (!(reps = lcb_test(L, 2))) {
    owned = lc_scalar(LC_INT64, (double)lcb_checkint(L, 2, fname, "repeats"));
    if (!owned) lcb_fail(L);
    lcb_push(L, owned);
    reps = owned;
  }
  int dim = lcb_optdim(L, 3, t, LC_ALL_DIMS, fname);
  lc_tensor *r = lc_repeat_interleave(t, reps, dim);
  /* output_size is a hint in PyTorch; here it is checked */
  if (r && !lua_isnil(L, 4)) {
    int64_t got = r->ndim ? r->sizes[dim == LC_ALL_DIMS ? 0 : dim] : 1;
    lua_Integer want = lcb_checkint(L, 4, fname, "output_size");
    if (want != got) {
      lc_release(r);
      luaL_error(L, "%s: output_size %I does not match the total of repeats %I", fname, want,
                 (lua_Integer)got);
    }
  }
  lcb_push(L, r);
  return 1;
}

/* ---- tensor_split, hsplit, vsplit --------------------------------------------------- */

/* sections (a number: as equal as possible, the first ones one longer) or
 * split positions (a table or an int64 tensor of 1-based starts). */
static int split_by(lua_State *L, lc_tensor *t, int idx, int dim, bool even, const char *fname) {
  int64_t starts[1024];
  int n = 0;
  lc_tensor *it = lcb_test(L, idx);
  if (lua_type(L, idx) == LUA_TNUMBER || (it && it->ndim == 0)) {
    lua_Integer sections = it ? lc_get_int(it, 0) : lcb_checkint(L, idx, fname, "sections");
    if (sections < 1 || sections > 1024)
      luaL_error(L, "%s: sections must be in 1..1024, got %I", fname, sections);
    int64_t size = t->ndim ? t->sizes[dim] : 0, q = size / sections, r = size % sections;
    if (even && r) luaL_error(L, "%s: the size %I of dim %d is not divisible by %I sections", fname,
                              (lua_Integer)size, dim + 1, sections);
    for (int64_t i = 1, at = 0; i < sections; i++) starts[n++] = at += q + (i <= r);
  } else if (lua_istable(L, idx) && !it) {
    n = (int)luaL_len(L, idx);
    if (n > 1023) luaL_error(L, "%s: at most 1023 split positions, got %d", fname, n);
    for (int i = 0; i < n; i++) {
      lua_geti(L, idx, i + 1);
      starts[i] = lcb_checkint(L, -1, fname, "indices") - 1;
      lua_pop(L, 1);
    }
  } else if (it && it->dtype == LC_INT64 && it->ndim == 1 && lc_numel(it) < 1024) {
    n = (int)lc_numel(it);
    for (int i = 0; i < n; i++) starts[i] = lc_get_int(it, i) - 1;
  } else {
    luaL_error(L, "%s: expected a number of sections or a table of 1-based split positions, got %s",
               fname, luaL_typename(L, idx));
  }
  int count = 0;
  lc_tensor **parts = lc_tensor_split(t, n, starts, dim, &count);
  return lcb_push_list(L, parts, count);
}

static const char *const tensor_split_opts[] = {"input", "indices_or_sections", "dim"};

static int t_tensor_split(lua_State *L) {
  lcb_args(L, 1, 3, tensor_split_opts, "tensor_split");
  lc_tensor *t = lcb_check(L, 1, "tensor_split");
  return split_by(L, t, 2, lcb_optdim(L, 3, t, 0, "tensor_split"), false, "tensor_split");
}

static int hvsplit(lua_State *L, bool h) {
  const char *fname = h ? "hsplit" : "vsplit";
  lc_tensor *t = lcb_check(L, 1, fname);
  int need = h ? 1 : 2;
  if (t->ndim < need) luaL_error(L, "%s: expected a tensor of at least %d dims, got %d", fname, need, t->ndim);
  return split_by(L, t, 2, h && t->ndim > 1 ? 1 : 0, true, fname);
}

static int t_hsplit(lua_State *L) { return hvsplit(L, true); }
static int t_vsplit(lua_State *L) { return hvsplit(L, false); }

/* ---- the stacks -------------------------------------------------------------------- */

/* Tensors of a table, each seen through atleast(nd) (column_stack: vectors
 * as columns), joined along dim (-1 for hstack: 1 when all are vectors). */
static int stack_like(lua_State *L, const char *fname, int nd, int dim, bool columns) {
  if (!lua_istable(L, 1) || lcb_test(L, 1))
    luaL_error(L, "%s: tensors must be a table of tensors, got %s", fname, luaL_typename(L, 1));
  lua_Integer len = luaL_len(L, 1);
  if (len < 1 || len > 100000) luaL_error(L, "%s: expected 1 to 100000 tensors, got %I", fname, len);
  int n = (int)len;
  lc_tensor **ts = calloc((size_t)n, sizeof *ts);
  if (!ts) luaL_error(L, "%s: out of memory", fname);
  bool vectors = true;
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    lc_tensor *t = lcb_test(L, -1);
    lua_pop(L, 1);
    if (!t) {
      for (int j = 0; j < i; j++) lc_release(ts[j]);
      free(ts);
      luaL_error(L, "%s: tensors[%d] must be a tensor", fname, i + 1);
    }
    if (columns && t->ndim <= 1) {
      int64_t col[2] = {lc_numel(t), 1};
      ts[i] = lc_reshape(t, 2, col);
    } else {
      ts[i] = lc_atleast(t, nd);
    }
    vectors = vectors && ts[i] && ts[i]->ndim == 1;
  }
  lc_tensor *out = NULL;
  bool ok = true;
  for (int i = 0; i < n; i++) ok = ok && ts[i];
  if (ok) out = lc_cat(ts, n, dim < 0 ? (vectors ? 0 : 1) : dim);
  for (int i = 0; i < n; i++) lc_release(ts[i]);
  free(ts);
  lcb_push(L, out);
  return 1;
}

static int l_hstack(lua_State *L) { return stack_like(L, "hstack", 1, -1, false); }
static int l_vstack(lua_State *L) { return stack_like(L, "vstack", 2, 0, false); }
static int l_dstack(lua_State *L) { return stack_like(L, "dstack", 3, 2, false); }
static int l_column_stack(lua_State *L) { return stack_like(L, "column_stack", 2, 1, true); }

/* ---- broadcasting, *_as, narrow_copy ------------------------------------------------ */

static int t_broadcast_to(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "broadcast_to");
  int64_t sizes[LC_MAX_DIMS];
  int n = lcb_sizes(L, 2, sizes, "broadcast_to");
  lcb_push(L, lc_expand(t, n, sizes));
  return 1;
}

/* broadcast_tensors(a, b, ...) or ({a, b, ...}): an array table of views. */
static int l_broadcast_tensors(lua_State *L) {
  int n = lua_gettop(L), base = 1;
  if (n == 1 && lua_istable(L, 1) && !lcb_test(L, 1)) {
    n = (int)luaL_len(L, 1);
    for (int i = 1; i <= n; i++) lua_geti(L, 1, i);
    base = 2;
  }
  int64_t shape[LC_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < n; i++) {
    lc_tensor *t = lcb_check(L, base + i, "broadcast_tensors");
    if (i == 0) {
      nd = t->ndim;
      for (int k = 0; k < nd; k++) shape[k] = t->sizes[k];
      continue;
    }
    lc_tensor *probe = lc_empty(LC_INT64, nd, shape);
    nd = probe ? lc_broadcast_shape("broadcast_tensors", probe, t, shape) : -1;
    lc_release(probe);
    if (nd < 0) lcb_fail(L);
  }
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lcb_push(L, lc_expand(lcb_check(L, base + i, "broadcast_tensors"), nd, shape));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* narrow_copy: narrow (its checks and 1-based start) and a copy. */
static int t_narrow_copy(lua_State *L) {
  lcb_check(L, 1, "narrow_copy");
  int n = lua_gettop(L);
  lua_getfield(L, 1, "narrow"); /* the method */
  lua_insert(L, 1);
  lua_call(L, n, 1);
  lcb_push(L, lc_clone(lcb_check(L, -1, "narrow_copy")));
  return 1;
}

static const luaL_Reg fns[] = {
  {"flatten", t_flatten}, {"unflatten", t_unflatten}, {"unbind", t_unbind}, {"movedim", t_movedim},
  {"swapaxes", t_swapaxes}, {"swapdims", t_swapdims}, {"flip", t_flip}, {"fliplr", t_fliplr},
  {"flipud", t_flipud}, {"roll", t_roll}, {"rot90", t_rot90}, {"tile", t_tile},
  {"repeat_interleave", t_repeat_interleave}, {"tensor_split", t_tensor_split},
  {"hsplit", t_hsplit}, {"vsplit", t_vsplit}, {"broadcast_to", t_broadcast_to},
  {"narrow_copy", t_narrow_copy}, {NULL, NULL}};

static const luaL_Reg module_fns[] = {
  {"hstack", l_hstack}, {"vstack", l_vstack}, {"dstack", l_dstack},
  {"column_stack", l_column_stack}, {"broadcast_tensors", l_broadcast_tensors}, {NULL, NULL}};

void lcb_open_shape(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, fns);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, module_fns, 0);
  lua_pop(L, 1);
}
