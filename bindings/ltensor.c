/* ltensor.c: the tensor userdata: lifetime, fields, indexing, argument
 * helpers, creation functions, and conversion to Lua values. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "lbind.h"

/* ---- userdata ------------------------------------------------------------ */

typedef struct {
  lc_tensor *t; /* NULL once closed */
} box;

/* Tensor memory lives outside Lua's heap, so Lua's collector cannot tell
 * that dropped tensors are worth collecting. As Torch7's heap tracking did:
 * while tensor memory grows, run collector steps as if Lua itself had
 * allocated it; and when it passes a threshold, collect fully and set the
 * next threshold from what is still alive. Steps alone do not suffice: over
 * a big Lua heap (a test suite, a REPL session) a cycle needs far more work
 * than the steps do, and a loop making large temporaries would outrun it. */
#define FULL_COLLECT_FLOOR ((size_t)32 << 20)
static size_t reported_bytes, full_collect_at = FULL_COLLECT_FLOOR;

void lcb_account(lua_State *L) {
  lcb_flush_hooks(L);
  size_t live = lc_live_bytes();
  if (live > full_collect_at) {
    lua_gc(L, LUA_GCCOLLECT);
    live = lc_live_bytes();
    full_collect_at = live + (live / 2 > FULL_COLLECT_FLOOR ? live / 2 : FULL_COLLECT_FLOOR);
    reported_bytes = live;
  } else if (live < reported_bytes) {
    reported_bytes = live;
  } else if (live - reported_bytes > (1u << 20)) {
    lua_gc(L, LUA_GCSTEP, (int)((live - reported_bytes) >> 10));
    reported_bytes = lc_live_bytes();
  }
}

/* The tensor metatable is also kept in the registry under this address:
 * looking it up by a light userdata skips the string lookups of
 * luaL_testudata, which show in the cost of every op on small tensors. */
static const char tensor_mt_key = 0;

void lcb_push(lua_State *L, lc_tensor *t) {
  if (!t) lcb_fail(L);
  box *b = lua_newuserdatauv(L, sizeof *b, 1); /* the uservalue: gradient hooks */
  b->t = t;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_mt_key);
  lua_setmetatable(L, -2);
  lcb_account(L);
}

static box *test_box(lua_State *L, int idx) {
  box *b = lua_touserdata(L, idx);
  if (!b || !lua_getmetatable(L, idx)) return NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_mt_key);
  bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? b : NULL;
}

lc_tensor *lcb_test(lua_State *L, int idx) {
  box *b = test_box(L, idx);
  return b ? b->t : NULL;
}

lc_tensor *lcb_check(lua_State *L, int idx, const char *fname) {
  box *b = test_box(L, idx);
  if (!b)
    luaL_error(L, "%s: argument %d must be a tensor, got %s", fname, idx, luaL_typename(L, idx));
  if (!b->t) luaL_error(L, "%s: argument %d is a closed tensor", fname, idx);
  return b->t;
}

lc_tensor *lcb_opt(lua_State *L, int idx, const char *fname) {
  return lua_isnoneornil(L, idx) ? NULL : lcb_check(L, idx, fname);
}

int lcb_fail(lua_State *L) { return luaL_error(L, "%s", lc_error()); }

int lcb_fail_as(lua_State *L, const char *fname) {
  return luaL_error(L, "%s: %s", fname, lc_error_body());
}

int lcb_fail_at_user(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "lucid.args") == LUA_TTABLE && lua_getfield(L, -1, "raise") == LUA_TFUNCTION) {
    lua_pushstring(L, lc_error());
    lua_call(L, 1, 0);
  }
  return lcb_fail(L);
}

void lcb_ok(lua_State *L, int rc) {
  if (rc) lcb_fail(L);
}

/* __gc, and t:close() (freeing the memory now; closing twice is fine). */
static int t_gc(lua_State *L) {
  box *b = test_box(L, 1);
  if (!b) luaL_error(L, "close: argument 1 must be a tensor, got %s", luaL_typename(L, 1));
  if (b->t) lcb_hooks_orphaned(L, 1, b->t);
  lc_release(b->t);
  b->t = NULL;
  return 0;
}

/* ---- argument helpers ---------------------------------------------------- */

/* A float with an integral value is a size too: Lua code computes sizes as
 * floats (n / 2, 1e6) all the time. */
static int64_t size_at(lua_State *L, int idx, int pos, const char *fname) {
  int exact = 0;
  lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &exact) : 0;
  if (!exact) {
    if (lua_type(L, idx) == LUA_TNUMBER)
      luaL_error(L, "%s: size %d must be an integer, got %f", fname, pos, lua_tonumber(L, idx));
    luaL_error(L, "%s: size %d must be an integer, got %s", fname, pos, luaL_typename(L, idx));
  }
  return v;
}

lc_tensor *lcb_scalar(lua_State *L, int idx, lc_dtype like) {
  lc_dtype dt = lc_scalar_dtype(like, !lua_isinteger(L, idx));
  if (dt != LC_INT64 || !lua_isinteger(L, idx)) return lc_scalar(dt, lua_tonumber(L, idx));
  lc_tensor *s = lc_scalar(LC_INT64, 0);
  if (s) *(int64_t *)lc_data(s) = lua_tointeger(L, idx);
  return s;
}

int lcb_fill(lua_State *L, lc_tensor *t, int idx) {
  if (t->dtype != LC_INT64 || !lua_isinteger(L, idx)) return lc_fill_(t, lua_tonumber(L, idx));
  lc_tensor *s = lcb_scalar(L, idx, LC_INT64);
  int rc = s ? lc_copy_(t, s) : -1;
  lc_release(s);
  return rc;
}

int lcb_len(lua_State *L, int idx, lua_Integer max, const char *fname, const char *what) {
  lua_Integer len = luaL_len(L, idx);
  if (len < 0 || len > max)
    luaL_error(L, "%s: %s must have 0 to %I entries, got a length of %I", fname, what, max, len);
  return (int)len;
}

int lcb_sizes(lua_State *L, int idx, int64_t *sizes, const char *fname) {
  int top = lua_gettop(L), n = 0;
  if (lua_istable(L, idx)) {
    n = lcb_len(L, idx, LC_MAX_DIMS, fname, "the size list");
    for (int i = 0; i < n; i++) {
      lua_geti(L, idx, i + 1);
      sizes[i] = size_at(L, -1, i + 1, fname);
      lua_pop(L, 1);
    }
    return n;
  }
  while (top >= idx && lua_isnil(L, top)) top--; /* trailing nils: no more sizes */
  for (int i = idx; i <= top; i++) { /* a nil before a size is an error */
    if (n == LC_MAX_DIMS) luaL_error(L, "%s: at most %d dimensions", fname, LC_MAX_DIMS);
    sizes[n] = size_at(L, i, n + 1, fname);
    n++;
  }
  return n;
}

static const char *const dtype_names[] = {"float32", "float64", "int64", "bool"};

void lcb_push_dtype(lua_State *L, lc_dtype dt) {
  lua_getfield(L, LUA_REGISTRYINDEX, "lucid.dtypes");
  lua_rawgeti(L, -1, dt + 1);
  lua_remove(L, -2);
}

lc_dtype lcb_dtype(lua_State *L, int idx, lc_dtype dflt, const char *fname) {
  if (lua_isnoneornil(L, idx)) return dflt;
  if (lua_istable(L, idx)) lua_getfield(L, idx, "name");
  else lua_pushvalue(L, idx);
  const char *name = lua_tostring(L, -1);
  lua_pop(L, 1);
  for (int i = 0; name && i < LC_DTYPE_COUNT; i++)
    if (!strcmp(name, dtype_names[i])) return (lc_dtype)i;
  luaL_error(L, "%s: dtype must be lucid.float32, lucid.float64, lucid.int64 or lucid.bool, got %s", fname,
             name ? name : luaL_typename(L, idx));
  return dflt;
}

/* ---- fields and indexing ------------------------------------------------- */

static void push_shape(lua_State *L, const lc_tensor *t) {
  lua_createtable(L, t->ndim, 0);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushinteger(L, t->sizes[i]);
    lua_rawseti(L, -2, i + 1);
  }
  luaL_setmetatable(L, "lucid.Shape");
}

static void push_grad_fn(lua_State *L, const lc_tensor *t) {
  if (!t->grad_fn) {
    lua_pushnil(L);
    return;
  }
  lua_createtable(L, 0, 1);
  lua_pushstring(L, t->grad_fn->name);
  lua_setfield(L, -2, "name");
  luaL_setmetatable(L, "lucid.GradFn");
}

static int t_index(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "index");
  if (lua_type(L, 2) != LUA_TSTRING) return lcb_index_get(L, t, 2);
  const char *k = lua_tostring(L, 2);
  /* methods first: they are the common case */
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  if (!strcmp(k, "shape")) push_shape(L, t);
  else if (!strcmp(k, "dtype")) lcb_push_dtype(L, t->dtype);
  else if (!strcmp(k, "device")) lua_pushliteral(L, "cpu");
  else if (!strcmp(k, "requires_grad")) lua_pushboolean(L, t->requires_grad);
  else if (!strcmp(k, "grad")) t->grad ? lcb_push(L, lc_retain(t->grad)) : lua_pushnil(L);
  else if (!strcmp(k, "grad_fn")) push_grad_fn(L, t);
  else if (!strcmp(k, "is_leaf")) lua_pushboolean(L, t->grad_fn == NULL);
  else if (!strcmp(k, "ndim")) lua_pushinteger(L, t->ndim);
  else if (!strcmp(k, "T")) lcb_push(L, lc_permute(t, (int[]){7, 6, 5, 4, 3, 2, 1, 0} + (LC_MAX_DIMS - t->ndim)));
  else if (!strcmp(k, "mT")) {
    if (t->ndim < 2) luaL_error(L, "mT: expects a tensor with at least 2 dims, got %d", t->ndim);
    lcb_push(L, lc_transpose(t, t->ndim - 2, t->ndim - 1));
  }
  else if (!strcmp(k, "data")) lcb_push(L, lc_detach(t));
  else lua_pushnil(L);
  return 1;
}

static void set_requires_grad(lua_State *L, lc_tensor *t, bool on, const char *fname) {
  if (on && !lc_dtype_is_float(t->dtype))
    luaL_error(L, "%s: only floating point tensors can require gradients, got %s", fname,
               lc_dtype_name(t->dtype));
  if (t->grad_fn && !on)
    luaL_error(L, "%s: requires_grad can only be changed on leaf tensors; use detach()", fname);
  t->requires_grad = on;
}

static int t_newindex(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "index");
  if (lua_type(L, 2) != LUA_TSTRING) {
    lcb_index_set(L, t, 2, 3);
    return 0;
  }
  const char *k = lua_tostring(L, 2);
  if (!strcmp(k, "requires_grad")) {
    set_requires_grad(L, t, lcb_optbool(L, 3, false, "requires_grad", "value"), "requires_grad");
  } else if (!strcmp(k, "data")) {
    lcb_ok(L, lc_set_data(t, lcb_check(L, 3, "data")));
  } else if (!strcmp(k, "grad")) {
    lc_tensor *g = lcb_opt(L, 3, "grad");
    if (g && !lc_same_shape(g, t)) luaL_error(L, "grad: assigned gradient has a different shape from the tensor");
    lc_release(t->grad);
    t->grad = lc_retain(g);
  } else {
    luaL_error(L, "tensor: cannot set field '%s'", k);
  }
  return 0;
}

static int t_len(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "len");
  if (t->ndim == 0) luaL_error(L, "len: a 0-dim tensor has no length");
  lua_pushinteger(L, t->sizes[0]);
  return 1;
}

/* ---- shape queries ------------------------------------------------------- */

static int t_size(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "size");
  if (lua_isnoneornil(L, 2)) {
    push_shape(L, t);
    return 1;
  }
  lua_pushinteger(L, t->sizes[lcb_dim(L, 2, t->ndim, false, "size")]);
  return 1;
}

static int t_stride(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "stride");
  if (lua_isnoneornil(L, 2)) {
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
      lua_pushinteger(L, t->strides[i]);
      lua_rawseti(L, -2, i + 1);
    }
    return 1;
  }
  lua_pushinteger(L, t->strides[lcb_dim(L, 2, t->ndim, false, "stride")]);
  return 1;
}

static int t_dim(lua_State *L) {
  lua_pushinteger(L, lcb_check(L, 1, "dim")->ndim);
  return 1;
}

static int t_numel(lua_State *L) {
  lua_pushinteger(L, lc_numel(lcb_check(L, 1, "numel")));
  return 1;
}

static int t_is_contiguous(lua_State *L) {
  lua_pushboolean(L, lc_is_contiguous(lcb_check(L, 1, "is_contiguous")));
  return 1;
}

/* Two tensors that view the same memory (views of one another). */
static int t_is_same_storage(lua_State *L) {
  lc_tensor *a = lcb_check(L, 1, "is_same_storage"), *b = lcb_check(L, 2, "is_same_storage");
  lua_pushboolean(L, a->storage == b->storage);
  return 1;
}

/* ---- values out ---------------------------------------------------------- */

static void push_element(lua_State *L, const lc_tensor *t, int64_t i) {
  if (t->dtype == LC_INT64) lua_pushinteger(L, lc_get_int(t, i));
  else if (t->dtype == LC_BOOL) lua_pushboolean(L, lc_get(t, i) != 0);
  else lua_pushnumber(L, lc_get(t, i));
}

static int t_item(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "item");
  if (lc_numel(t) != 1)
    luaL_error(L, "item: only a tensor with one element can be converted to a number, got %d elements",
               (int)lc_numel(t));
  push_element(L, t, 0);
  return 1;
}

static void tolist_rec(lua_State *L, const lc_tensor *t, int dim, int64_t *pos) {
  if (dim == t->ndim) {
    push_element(L, t, (*pos)++);
    return;
  }
  lua_createtable(L, (int)t->sizes[dim], 0);
  for (int64_t i = 0; i < t->sizes[dim]; i++) {
    tolist_rec(L, t, dim + 1, pos);
    lua_rawseti(L, -2, i + 1);
  }
}

static int t_tolist(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "tolist");
  /* Lua makes a table per row: an empty tensor of 2^40 rows would make 2^40
   * empty tables, and a size past INT_MAX does not fit lua_createtable */
  int64_t tables = 0, rows = 1;
  for (int d = 0; d + 1 < t->ndim && rows; d++) {
    if (t->sizes[d] > INT_MAX || __builtin_mul_overflow(rows, t->sizes[d], &rows) ||
        __builtin_add_overflow(tables, rows, &tables) || tables > INT_MAX)
      luaL_error(L, "tolist: a tensor of shape %s would make more than %d Lua tables",
                 lc_shape_str((char[128]){0}, t->ndim, t->sizes), INT_MAX);
  }
  lc_tensor *c = lc_contiguous(t);
  if (!c) lcb_fail(L);
  int64_t pos = 0;
  luaL_checkstack(L, t->ndim + 4, "tolist");
  tolist_rec(L, c, 0, &pos);
  lc_release(c);
  return 1;
}

/* ---- creation ------------------------------------------------------------ */

/* Infers the shape of nested tables from their first elements; fill_nested
 * then checks every table is rectangular. */
static int nested_shape(lua_State *L, int idx, int64_t *sizes) {
  int nd = 0;
  lua_pushvalue(L, idx);
  while (lua_istable(L, -1)) {
    if (nd == LC_MAX_DIMS) luaL_error(L, "tensor: data nested deeper than %d levels", LC_MAX_DIMS);
    sizes[nd++] = lcb_len(L, -1, INT_MAX, "tensor", "a data table");
    if (sizes[nd - 1] == 0) break;
    lua_geti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  return nd;
}

/* Reads the numbers both as doubles and as integers, so integer data stays
 * exact beyond 2^53 when it becomes int64. */
typedef struct {
  double *f;
  int64_t *i;
  int64_t pos;
  bool all_int, all_bool; /* bools mixed with numbers count as 0 and 1 */
} nested_out;

static void fill_nested(lua_State *L, int idx, const int64_t *sizes, int nd, int dim, nested_out *o) {
  if (dim == nd) {
    o->all_bool = o->all_bool && lua_isboolean(L, idx);
    if (lua_isinteger(L, idx)) {
      o->i[o->pos] = lua_tointeger(L, idx);
      o->f[o->pos++] = (double)lua_tointeger(L, idx);
    } else if (lua_type(L, idx) == LUA_TNUMBER || lua_isboolean(L, idx)) {
      double v = lua_isboolean(L, idx) ? lua_toboolean(L, idx) : lua_tonumber(L, idx);
      o->all_int = o->all_int && lua_isboolean(L, idx);
      o->i[o->pos] = lua_isboolean(L, idx) ? (int64_t)v : 0; /* (int64_t) of NaN is undefined */
      o->f[o->pos++] = v;
    } else {
      luaL_error(L, "tensor: data must be numbers or booleans, got %s", luaL_typename(L, idx));
    }
    return;
  }
  if (!lua_istable(L, idx) || (int64_t)luaL_len(L, idx) != sizes[dim])
    luaL_error(L, "tensor: nested tables have inconsistent lengths at depth %d: expected %d, got %s",
               dim + 1, (int)sizes[dim],
               lua_istable(L, idx) ? lua_pushfstring(L, "%d", (int)luaL_len(L, idx)) : luaL_typename(L, idx));
  luaL_checkstack(L, 4, "tensor");
  for (int64_t i = 1; i <= sizes[dim]; i++) {
    lua_geti(L, idx, i);
    fill_nested(L, lua_gettop(L), sizes, nd, dim + 1, o);
    lua_pop(L, 1);
  }
}

/* device: nil or "cpu", the only device lucid has (API.md). */
static void check_device(lua_State *L, int idx, const char *fname) {
  if (lua_isnoneornil(L, idx)) return;
  bool str = lua_type(L, idx) == LUA_TSTRING;
  if (str && !strcmp(lua_tostring(L, idx), "cpu")) return;
  luaL_error(L, "%s: device %s%s%s is unavailable: lucid runs on the CPU ('cpu')", fname,
             str ? "'" : "", str ? lua_tostring(L, idx) : luaL_typename(L, idx), str ? "'" : "");
}

/* Sizes of a new tensor, checked under the name of the function called (the
 * core's allocator would report them as "tensor"'s). */
static int new_sizes(lua_State *L, int idx, int64_t *sizes, const char *fname) {
  int nd = lcb_sizes(L, idx, sizes, fname);
  if (lc_checked_numel(fname, nd, sizes) < 0) lcb_fail(L);
  return nd;
}

static void push_new(lua_State *L, lc_tensor *t, const char *fname) {
  if (!t) lcb_fail_as(L, fname);
  lcb_push(L, t);
}

static const char *const tensor_opts[] = {"data", "dtype", "requires_grad", "device"};

/* lucid.tensor(data [, {dtype =, requires_grad =}]): integers give int64
 * and other numbers float32 unless dtype says, as torch.tensor does. */
static int l_tensor(lua_State *L) {
  lcb_args(L, 1, 4, tensor_opts, "tensor");
  check_device(L, 4, "tensor");
  bool rg = lcb_optbool(L, 3, false, "tensor", "requires_grad");
  lc_tensor *src = lcb_test(L, 1), *t;
  if (src) {
    t = lc_to(src, lcb_dtype(L, 2, src->dtype, "tensor"));
    lc_tensor *c = t == src ? lc_clone(src) : lc_retain(t);
    lc_release(t);
    lc_tensor *d = c ? lc_detach(c) : NULL;
    lc_release(c);
    t = d;
  } else if (lua_type(L, 1) == LUA_TNUMBER || lua_isboolean(L, 1)) {
    bool is_bool = lua_isboolean(L, 1), is_int = lua_isinteger(L, 1);
    double v = is_bool ? lua_toboolean(L, 1) : lua_tonumber(L, 1);
    lc_dtype dt = lcb_dtype(L, 2, is_bool ? LC_BOOL : is_int ? LC_INT64 : LC_FLOAT32, "tensor");
    t = lc_scalar(dt, v);
    if (t && dt == LC_INT64 && lua_isinteger(L, 1)) *(int64_t *)lc_data(t) = lua_tointeger(L, 1);
  } else if (lua_istable(L, 1)) {
    int64_t sizes[LC_MAX_DIMS];
    int nd = nested_shape(L, 1, sizes);
    /* both temporaries are owned by Lua while filling, in case of an error */
    lc_tensor *f = lc_empty(LC_FLOAT64, nd, sizes);
    push_new(L, f, "tensor");
    lc_tensor *i = lc_empty(LC_INT64, nd, sizes);
    push_new(L, i, "tensor");
    nested_out o = {lc_data(f), lc_data(i), 0, true, true};
    fill_nested(L, 1, sizes, nd, 0, &o);
    bool as_int = o.all_int && lc_numel(f) > 0;
    lc_dtype dflt = !as_int ? LC_FLOAT32 : o.all_bool ? LC_BOOL : LC_INT64;
    lc_dtype dt = lcb_dtype(L, 2, dflt, "tensor");
    t = lc_to(as_int && !lc_dtype_is_float(dt) ? i : f, dt); /* the temporaries' boxes are garbage */
  } else {
    return luaL_error(L, "tensor: data must be a number, a (nested) table or a tensor, got %s",
                      luaL_typename(L, 1));
  }
  if (!t) lcb_fail_as(L, "tensor");
  if (rg) {
    lc_dtype dt = t->dtype;
    if (!lc_dtype_is_float(dt)) {
      lc_release(t);
      luaL_error(L, "tensor: only floating point tensors can require gradients, got %s",
                 lc_dtype_name(dt));
    }
    t->requires_grad = true;
  }
  lcb_push(L, t);
  return 1;
}

/* Shared by zeros, ones, empty, rand, randn: sizes (varargs, a table, or the
 * size option) then {dtype, requires_grad, device}. */
typedef enum { K_ZEROS, K_ONES, K_EMPTY, K_RAND, K_RANDN } fill_kind;

static const char *const filled_opts[] = {"dtype", "requires_grad", "device", "size"};

static int make_filled(lua_State *L, fill_kind kind, const char *fname) {
  /* sizes 1..k (varargs or one table), then the options, by name only */
  int k = lua_gettop(L);
  if (k >= 1 && lcb_is_options(L, k, LCB_PLAIN)) k--;
  lcb_args(L, k + 1, 4, filled_opts, fname);
  lc_dtype dt = lcb_dtype(L, k + 1, LC_FLOAT32, fname);
  bool rg = lcb_optbool(L, k + 2, false, fname, "requires_grad");
  check_device(L, k + 3, fname);
  if (!lua_isnil(L, k + 4)) { /* zeros{size = {2, 3}} */
    if (k > 0) luaL_error(L, "%s: argument 'size' given both by position and by name", fname);
    lua_copy(L, k + 4, 1);
    k = 1;
  }
  lua_settop(L, k);
  int64_t sizes[LC_MAX_DIMS];
  int nd = new_sizes(L, 1, sizes, fname);
  if ((kind == K_RAND || kind == K_RANDN) && !lc_dtype_is_float(dt))
    luaL_error(L, "%s: dtype must be a floating point type, got %s", fname, lc_dtype_name(dt));
  if (rg && !lc_dtype_is_float(dt))
    luaL_error(L, "%s: only floating point tensors can require gradients", fname);
  lc_tensor *t = NULL;
  switch (kind) {
  case K_ZEROS: t = lc_zeros(dt, nd, sizes); break;
  case K_ONES: t = lc_full(dt, nd, sizes, 1); break;
  case K_EMPTY: t = lc_empty(dt, nd, sizes); break;
  case K_RAND: t = lc_rand(dt, nd, sizes); break;
  case K_RANDN: t = lc_randn(dt, nd, sizes); break;
  }
  if (!t) lcb_fail_as(L, fname);
  t->requires_grad = rg;
  lcb_push(L, t);
  return 1;
}

static int l_zeros(lua_State *L) { return make_filled(L, K_ZEROS, "zeros"); }
static int l_ones(lua_State *L) { return make_filled(L, K_ONES, "ones"); }
static int l_empty(lua_State *L) { return make_filled(L, K_EMPTY, "empty"); }
static int l_rand(lua_State *L) { return make_filled(L, K_RAND, "rand"); }
static int l_randn(lua_State *L) { return make_filled(L, K_RANDN, "randn"); }

static const char *const full_opts[] = {"size", "fill_value", "dtype", "requires_grad", "device"};

static int l_full(lua_State *L) {
  lcb_args(L, 1, 5, full_opts, "full");
  check_device(L, 5, "full");
  int64_t sizes[LC_MAX_DIMS];
  if (!lua_istable(L, 1)) luaL_error(L, "full: size must be a table of sizes, got %s", luaL_typename(L, 1));
  int nd = new_sizes(L, 1, sizes, "full");
  bool is_bool = lua_isboolean(L, 2); /* full(size, true) is bool, as in PyTorch */
  if (!is_bool && lua_type(L, 2) != LUA_TNUMBER)
    luaL_error(L, "full: fill_value must be a number or a boolean, got %s", luaL_typename(L, 2));
  lc_dtype dflt = is_bool ? LC_BOOL : lua_isinteger(L, 2) ? LC_INT64 : LC_FLOAT32;
  lc_dtype dt = lcb_dtype(L, 3, dflt, "full");
  /* numbers go through lcb_fill: Lua integers stay exact in int64 */
  lc_tensor *t = is_bool ? lc_full(dt, nd, sizes, lua_toboolean(L, 2)) : lc_empty(dt, nd, sizes);
  if (!t) lcb_fail_as(L, "full");
  lcb_push(L, t);
  if (!is_bool && lcb_fill(L, t, 2)) lcb_fail_as(L, "full");
  set_requires_grad(L, t, lcb_optbool(L, 4, false, "full", "requires_grad"), "full");
  return 1;
}

static const char *const like_opts[] = {"input", "dtype", "device"};

static int like(lua_State *L, double v, const char *fname) {
  lcb_args(L, 1, 3, like_opts, fname);
  check_device(L, 3, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  push_new(L, lc_full(lcb_dtype(L, 2, t->dtype, fname), t->ndim, t->sizes, v), fname);
  return 1;
}

static int l_zeros_like(lua_State *L) { return like(L, 0, "zeros_like"); }
static int l_ones_like(lua_State *L) { return like(L, 1, "ones_like"); }

static const char *const arange_opts[] = {"start", "end", "step", "dtype", "device"};

/* arange(end), arange(start, end [, step]), or any of them by name
 * (arange{["end"] = 3}): int64 when all are integers. */
static int l_arange(lua_State *L) {
  lcb_args(L, 1, 5, arange_opts, "arange");
  check_device(L, 5, "arange");
  if (lua_isnil(L, 2) && lua_isnil(L, 3)) { /* arange(end): the one bound is the end */
    lua_pushvalue(L, 1);
    lua_replace(L, 2);
    lua_pushnil(L);
    lua_replace(L, 1);
  }
  if (lua_isnil(L, 1)) {
    lua_pushinteger(L, 0);
    lua_replace(L, 1);
  }
  double start = lcb_checknum(L, 1, "arange", "start"), end = lcb_checknum(L, 2, "arange", "end");
  double step = lcb_optnum(L, 3, 1, "arange", "step");
  bool ints = lua_isinteger(L, 1) && lua_isinteger(L, 2) && (lua_isnil(L, 3) || lua_isinteger(L, 3));
  push_new(L, lc_arange(lcb_dtype(L, 4, ints ? LC_INT64 : LC_FLOAT32, "arange"), start, end, step),
           "arange");
  return 1;
}

static const char *const eye_opts[] = {"n", "m", "dtype", "device", "requires_grad"};

static int l_eye(lua_State *L) {
  lcb_args(L, 1, 5, eye_opts, "eye");
  check_device(L, 4, "eye");
  bool rg = lcb_optbool(L, 5, false, "eye", "requires_grad");
  lua_Integer n = lcb_checkint(L, 1, "eye", "n"), m = lcb_optint(L, 2, n, "eye", "m");
  if (n < 0 || m < 0) luaL_error(L, "eye: sizes must be non-negative, got %d and %d", (int)n, (int)m);
  int64_t sizes[2] = {n, m};
  if (lc_checked_numel("eye", 2, sizes) < 0) lcb_fail(L);
  push_new(L, lc_eye(lcb_dtype(L, 3, LC_FLOAT32, "eye"), n, m), "eye");
  set_requires_grad(L, lcb_check(L, -1, "eye"), rg, "eye");
  return 1;
}

static const char *const randint_opts[] = {"low", "high", "size", "dtype", "device"};

/* randint(high, size), randint(low, high, size) or by name
 * (randint{high = 5, size = {3}}), as torch.randint. */
static int l_randint(lua_State *L) {
  if (lua_istable(L, 2) && !lcb_is_options(L, 2, LCB_PLAIN)) {
    lua_pushinteger(L, 0);
    lua_insert(L, 1);
  }
  lcb_args(L, 1, 5, randint_opts, "randint");
  check_device(L, 5, "randint");
  lua_Integer lo = lcb_optint(L, 1, 0, "randint", "low"), hi = lcb_checkint(L, 2, "randint", "high");
  if (!lua_istable(L, 3)) luaL_error(L, "randint: size must be a table of sizes, got %s", luaL_typename(L, 3));
  int64_t sizes[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 3, sizes, "randint");
  lc_dtype dt = lcb_dtype(L, 4, LC_INT64, "randint");
  lc_tensor *t = lc_randint(lo, hi, nd, sizes);
  if (!t) lcb_fail_as(L, "randint");
  lcb_push(L, t); /* owned by Lua before the conversion can fail */
  if (dt != LC_INT64) push_new(L, lc_to(t, dt), "randint");
  return 1;
}

/* ---- conversion ---------------------------------------------------------- */

static int convert(lua_State *L, lc_dtype dt, const char *fname) {
  lcb_push(L, lc_to(lcb_check(L, 1, fname), dt));
  return 1;
}

static int t_float(lua_State *L) { return convert(L, LC_FLOAT32, "float"); }
static int t_double(lua_State *L) { return convert(L, LC_FLOAT64, "double"); }
static int t_long(lua_State *L) { return convert(L, LC_INT64, "long"); }
static int t_bool(lua_State *L) { return convert(L, LC_BOOL, "bool"); }

static const char *const to_opts[] = {"self", "dtype", "copy", "device"};

/* x:to(dtype), x:to(other) (other's dtype), x:to("cpu"), or any of them
 * with copy: x:to{dtype = ..., copy = true} always returns a new tensor. */
static int t_to(lua_State *L) {
  lcb_args(L, 1, 4, to_opts, "to");
  lc_tensor *t = lcb_check(L, 1, "to");
  if (lua_type(L, 2) == LUA_TSTRING && !strcmp(lua_tostring(L, 2), "cpu")) {
    lua_pushnil(L);
    lua_replace(L, 2);
  }
  check_device(L, 4, "to");
  lc_tensor *other = lcb_test(L, 2);
  lc_dtype dt = other ? other->dtype : lcb_dtype(L, 2, t->dtype, "to");
  bool copy = lcb_optbool(L, 3, false, "to", "copy");
  lcb_push(L, copy && dt == t->dtype ? lc_clone(t) : lc_to(t, dt));
  return 1;
}

static const char *const type_opts[] = {"self", "dtype"};

/* x:type(): the dtype's name ("float32"); x:type(dtype): x converted. */
static int t_type(lua_State *L) {
  lcb_args(L, 1, 2, type_opts, "type");
  lc_tensor *t = lcb_check(L, 1, "type");
  if (lua_isnil(L, 2)) {
    lua_pushstring(L, lc_dtype_name(t->dtype));
    return 1;
  }
  return convert(L, lcb_dtype(L, 2, t->dtype, "type"), "type");
}

static int t_type_as(lua_State *L) {
  lc_tensor *other = lcb_check(L, 2, "type_as");
  return convert(L, other->dtype, "type_as");
}

static int t_is_floating_point(lua_State *L) {
  lua_pushboolean(L, lc_dtype_is_float(lcb_check(L, 1, "is_floating_point")->dtype));
  return 1;
}

static int t_element_size(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)lc_dtype_size(lcb_check(L, 1, "element_size")->dtype));
  return 1;
}

/* x < y would have to return a Lua boolean: refused, naming the method. */
static int t_lt_op(lua_State *L) {
  return luaL_error(L, "lt: x < y cannot return a tensor in Lua; use x:lt(y) (or x:gt(y) for x > y)");
}

static int t_le_op(lua_State *L) {
  return luaL_error(L, "le: x <= y cannot return a tensor in Lua; use x:le(y) (or x:ge(y) for x >= y)");
}

/* pairs(x): i, x[i] along dim 1. */
static int t_pairs_next(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "pairs");
  lua_Integer i = luaL_checkinteger(L, 2) + 1;
  if (i > t->sizes[0]) return 0;
  lua_pushinteger(L, i);
  lcb_push(L, lc_select(t, 0, i - 1));
  return 2;
}

static int t_pairs(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "pairs");
  if (t->ndim == 0) luaL_error(L, "pairs: cannot iterate over a 0-dim tensor");
  lua_pushcfunction(L, t_pairs_next);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

/* lucid._C.set_data(t, src): t now views src's memory with src's dtype and shape,
 * keeping its identity (what m:to(dtype) needs for parameters that
 * optimizers already hold). Its gradient is dropped when the dtype changes. */
static int t_set_data(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "set_data"), *src = lcb_check(L, 2, "set_data");
  lcb_ok(L, lc_set_data(t, src));
  lua_settop(L, 1);
  return 1;
}

/* lucid._C.is_options(plain, ...): whether lcb_args takes the last of ... as
 * the options table, for the spec that holds it to lucid.args's rule. */
static int l_is_options(lua_State *L) {
  int plain = (int)luaL_checkinteger(L, 1), top = lua_gettop(L);
  lua_pushboolean(L, top >= 2 && lcb_is_options(L, top, plain + 1));
  return 1;
}

static int t_requires_grad_(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "requires_grad_");
  set_requires_grad(L, t, lcb_optbool(L, 2, true, "requires_grad_", "requires_grad"), "requires_grad_");
  lua_settop(L, 1);
  return 1;
}

/* ---- shape and dtype metatables ------------------------------------------ */

static int shape_tostring(lua_State *L) {
  luaL_Buffer b;
  int n = (int)luaL_len(L, 1);
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '(');
  for (int i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    if (i > 1) luaL_addstring(&b, ", ");
    luaL_addvalue(&b);
  }
  luaL_addchar(&b, ')');
  luaL_pushresult(&b);
  return 1;
}

static int shape_eq(lua_State *L) {
  int n = (int)luaL_len(L, 1);
  bool eq = lua_istable(L, 2) && luaL_len(L, 2) == n;
  for (int i = 1; eq && i <= n; i++) {
    lua_geti(L, 1, i);
    lua_geti(L, 2, i);
    eq = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  lua_pushboolean(L, eq);
  return 1;
}

static int name_tostring(lua_State *L) {
  lua_getfield(L, 1, "name");
  lua_pushfstring(L, "%s%s", lua_tostring(L, lua_upvalueindex(1)), lua_tostring(L, -1));
  return 1;
}

static void new_named_meta(lua_State *L, const char *tname, const char *prefix) {
  luaL_newmetatable(L, tname);
  lua_pushstring(L, prefix);
  lua_pushcclosure(L, name_tostring, 1);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

void lcb_open_tensor(lua_State *L, int module, int methods) {
  luaL_newmetatable(L, "lucid.Shape");
  luaL_setfuncs(L, (luaL_Reg[]){{"__tostring", shape_tostring}, {"__eq", shape_eq}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
  new_named_meta(L, "lucid.DType", "lucid.");
  new_named_meta(L, "lucid.GradFn", "");

  /* dtype objects: compared by identity, printed as lucid.float32 */
  lua_createtable(L, LC_DTYPE_COUNT, 0);
  for (int i = 0; i < LC_DTYPE_COUNT; i++) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, dtype_names[i]);
    lua_setfield(L, -2, "name");
    lua_pushboolean(L, lc_dtype_is_float((lc_dtype)i));
    lua_setfield(L, -2, "is_floating_point");
    luaL_setmetatable(L, "lucid.DType");
    lua_pushvalue(L, -1);
    lua_setfield(L, module, dtype_names[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "lucid.dtypes");

  luaL_newmetatable(L, LCB_TENSOR);
  lua_pushvalue(L, methods);
  lua_pushcclosure(L, t_index, 1);
  lua_setfield(L, -2, "__index");
  luaL_setfuncs(L, (luaL_Reg[]){{"__newindex", t_newindex}, {"__len", t_len}, {"__gc", t_gc},
                                {"__lt", t_lt_op}, {"__le", t_le_op}, {"__pairs", t_pairs},
                                {"__close", t_gc}, {NULL, NULL}}, 0);
  lua_pushliteral(L, "lucid.Tensor");
  lua_setfield(L, -2, "__name");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &tensor_mt_key);

  lua_pushvalue(L, methods);
  luaL_setfuncs(L, (luaL_Reg[]){
    {"size", t_size}, {"stride", t_stride}, {"dim", t_dim}, {"numel", t_numel},
    {"is_contiguous", t_is_contiguous}, {"is_same_storage", t_is_same_storage},
    {"item", t_item}, {"tolist", t_tolist}, {"float", t_float}, {"double", t_double},
    {"long", t_long}, {"bool", t_bool}, {"to", t_to}, {"type", t_type}, {"type_as", t_type_as},
    {"is_floating_point", t_is_floating_point}, {"element_size", t_element_size}, {"requires_grad_", t_requires_grad_}, {"close", t_gc},
    {NULL, NULL}}, 0);
  lua_pop(L, 1);
  lcb_register_private(L, module, (luaL_Reg[]){{"set_data", t_set_data}, {"is_options", l_is_options},
                                                {NULL, NULL}});

  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){
    {"tensor", l_tensor}, {"zeros", l_zeros}, {"ones", l_ones}, {"empty", l_empty},
    {"rand", l_rand}, {"randn", l_randn}, {"full", l_full}, {"arange", l_arange},
    {"eye", l_eye}, {"randint", l_randint}, {"zeros_like", l_zeros_like},
    {"ones_like", l_ones_like}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
