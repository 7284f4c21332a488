/* lindex.c: x[key] and x[key] = value, as Torch7 wrote them with PyTorch's
 * semantics. Keys:
 *   i             select along dim 1 (1-based, negative from the end): a view
 *   {i, {a, b}, {}, ...}  per dim: select i, the inclusive range a..b, the
 *                 whole dim (missing trailing entries too): a view
 *   mask          a bool tensor over the leading dims: (count, rest...)
 *   idx           an int64 tensor of positions along dim 1: (idx..., rest...)
 * Views are written in place through fill_/copy_; mask and idx writes are an
 * index_put into a copy that is then copied back, so both the old values and
 * the written ones get gradients. idx, index_select's and the embedding's
 * 1-based positions go to the core as they are (base 1: lc_index,
 * lc_index_put, lc_index_select, lc_embedding), never as shifted copies. */

#include "lbind.h"
#include "lc_internal.h"

/* A 1-based Lua position (negative from the end) along a dim of size n,
 * 0-based; `end` allows n + 1 (one past the end, for an empty range). */
static int64_t position(lua_State *L, lua_Integer i, int64_t n, int dim, bool end) {
  int64_t hi = end ? n + 1 : n;
  if (i == 0 || i > hi || i < -n)
    luaL_error(L, "index: index %I out of range for dim %d of size %I", i, dim + 1, (lua_Integer)n);
  return i > 0 ? i - 1 : i + n;
}

static lua_Integer integer_at(lua_State *L, int idx, const char *what, int k) {
  int exact = 0;
  lua_Integer v = lua_tointegerx(L, idx, &exact);
  if (!exact)
    luaL_error(L, "index: %s %d must be an integer, got %s", what, k,
               lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx) : luaL_typename(L, idx));
  return v;
}

/* Temporaries live on the Lua stack (pushed as tensors), so an error
 * raised halfway frees them: own() pushes t and returns it borrowed. */
static lc_tensor *own(lua_State *L, lc_tensor *t) {
  lcb_push(L, t); /* raises the core's error for NULL */
  return t;
}

/* x[{...}]: one entry per leading dim. The table is at key; pushes the
 * result, a view with history (x[{}] too, never x itself). */
static lc_tensor *table_view(lua_State *L, lc_tensor *t, int key) {
  int n = (int)luaL_len(L, key);
  if (n > t->ndim)
    luaL_error(L, "index: %d entries in the index table for a %d-D tensor", n, t->ndim);
  lc_tensor *v = own(L, t->ndim ? lc_narrow(t, 0, 0, t->sizes[0]) : lc_view(t, 0, NULL));
  int slot = lua_gettop(L);
  int d = 0; /* v's dim that entry k applies to: selects remove dims */
  for (int k = 1; k <= n; k++) {
    int type = lua_geti(L, key, k);
    lc_tensor *next = NULL;
    if (type == LUA_TNUMBER) {
      lua_Integer i = integer_at(L, -1, "entry", k);
      next = lc_select(v, d, position(L, i, v->sizes[d], k - 1, false));
    } else if (type == LUA_TTABLE && !lcb_test(L, -1)) {
      int len = (int)luaL_len(L, -1);
      if (len > 2)
        luaL_error(L, "index: entry %d must be a range {a, b}, {a} or {}, got a table of %d", k, len);
      if (len > 0) {
        lua_geti(L, -1, 1);
        lua_geti(L, -2, len);
        int64_t size = v->sizes[d];
        int64_t a = position(L, integer_at(L, -2, "range start of entry", k), size, k - 1, false);
        lua_Integer bi = integer_at(L, -1, "range end of entry", k);
        int64_t b = bi > 0 ? bi - 1 : bi + size;
        if (bi == 0 || bi > size || bi < -size || b < a - 1)
          luaL_error(L, "index: range {%I, %I} out of range for dim %d of size %I",
                     (lua_Integer)(a + 1), bi, k, (lua_Integer)size);
        lua_pop(L, 2);
        next = lc_narrow(v, d, a, b - a + 1); /* b = a - 1: empty */
      }
      d++;
    } else {
      luaL_error(L, "index: entry %d of the index table must be an integer or a range table, got %s",
                 k, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    if (next) {
      v = own(L, next);
      lua_replace(L, slot);
    }
  }
  return v;
}

/* mask over t's leading dims: pushes t viewed as (count of those elements,
 * rest...), then the flat positions of the mask's true elements. */
static void mask_rows(lua_State *L, lc_tensor *t, lc_tensor *mask, lc_tensor **rows,
                      lc_tensor **pos) {
  char a[128], b[128];
  bool fits = mask->ndim <= t->ndim;
  for (int d = 0; fits && d < mask->ndim; d++) fits = mask->sizes[d] == t->sizes[d];
  if (!fits)
    luaL_error(L, "index: mask of shape %s does not match the leading dims of shape %s",
               lc_shape_str(a, mask->ndim, mask->sizes), lc_shape_str(b, t->ndim, t->sizes));
  int64_t sizes[LC_MAX_DIMS];
  sizes[0] = lc_numel(mask);
  int nd = 1;
  for (int d = mask->ndim; d < t->ndim; d++) sizes[nd++] = t->sizes[d];
  *rows = own(L, lc_reshape(t, nd, sizes));
  *pos = own(L, lc_mask_positions(mask));
}

/* The tensor key at key (bool or int64), NULL for number and table keys;
 * anything else is an error. */
static lc_tensor *tensor_key(lua_State *L, int key) {
  int type = lua_type(L, key);
  if (type == LUA_TNUMBER || (type == LUA_TTABLE && !lcb_test(L, key))) return NULL;
  lc_tensor *k = lcb_test(L, key);
  if (!k)
    luaL_error(L, "index: the index must be an integer, a table of indices and ranges, or a bool "
               "or int64 tensor, got %s", luaL_typename(L, key));
  if (k->dtype != LC_BOOL && k->dtype != LC_INT64)
    luaL_error(L, "index: a tensor index must be bool (a mask) or int64 (positions), got %s",
               lc_dtype_name(k->dtype));
  return k;
}

/* Pushes the view for a number or table key. */
static lc_tensor *view_of(lua_State *L, lc_tensor *t, int key) {
  if (lua_type(L, key) == LUA_TTABLE) return table_view(L, t, key);
  if (t->ndim == 0) luaL_error(L, "index: cannot index a 0-dim tensor");
  return own(L, lc_select(t, 0, position(L, integer_at(L, key, "index", 1), t->sizes[0], 0, false)));
}

int lcb_index_get(lua_State *L, lc_tensor *t, int key) {
  lc_tensor *k = tensor_key(L, key), *rows, *pos;
  if (!k) {
    view_of(L, t, key);
  } else if (k->dtype == LC_BOOL) {
    mask_rows(L, t, k, &rows, &pos);
    own(L, lc_index_select(rows, 0, pos, 0));
  } else { /* 1-based positions, negative from the end: the core reads them as they are */
    lc_tensor *out = lc_index(t, k, 1);
    if (!out) lcb_fail_as(L, "index");
    lcb_push(L, out);
  }
  return 1;
}

/* Pushes the value written: a tensor, or a number (or boolean) as a 0-dim
 * tensor of t's dtype. */
static lc_tensor *value_at(lua_State *L, lc_tensor *t, int val) {
  lc_tensor *src = lcb_test(L, val);
  if (src) {
    lua_pushvalue(L, val);
    return src;
  }
  if (lua_type(L, val) != LUA_TNUMBER && !lua_isboolean(L, val))
    luaL_error(L, "index: can only assign a number, a boolean or a tensor, got %s",
               luaL_typename(L, val));
  double x = lua_isboolean(L, val) ? lua_toboolean(L, val) : lua_tonumber(L, val);
  bool exact = t->dtype == LC_INT64 && lua_isinteger(L, val); /* not through a double */
  lc_tensor *s = own(L, lc_scalar(t->dtype, exact ? 0 : x));
  if (exact) *(int64_t *)lc_data(s) = lua_tointeger(L, val);
  return s;
}

void lcb_index_set(lua_State *L, lc_tensor *t, int key, int val) {
  lc_tensor *k = tensor_key(L, key), *rows, *pos;
  lc_tensor *src = value_at(L, t, val);
  if (lc_check_inplace("index", t, src)) lcb_fail(L);
  lc_tensor *next; /* views are written in place; the others get t's new values */
  if (!k) {
    lcb_ok(L, lc_copy_(view_of(L, t, key), src));
    return;
  } else if (k->dtype == LC_BOOL) {
    mask_rows(L, t, k, &rows, &pos);
    next = own(L, lc_index_put(rows, pos, src, 0));
  } else {
    next = lc_index_put(t, k, src, 1);
    if (!next) lcb_fail_as(L, "index");
    own(L, next);
  }
  lcb_ok(L, lc_copy_(t, own(L, lc_view(next, t->ndim, t->sizes))));
}

/* index_select(input, dim, index): input's slices along dim (1-based) at
 * the 1-based positions in the 0- or 1-D int64 tensor index; the core
 * checks them (base 1) and reads them in place. */
static const char *const index_select_opts[] = {"input", "dim", "index"};

static int t_index_select(lua_State *L) {
  const char *fname = "index_select";
  lcb_args(L, 1, 3, index_select_opts, fname);
  lc_tensor *x = lcb_check(L, 1, fname);
  int dim = lcb_dim(L, 2, x->ndim, false, fname);
  lcb_push(L, lc_index_select(x, dim, lcb_check(L, 3, fname), 1));
  return 1;
}

/* lucid._C.embedding(weight, indices, padding_idx or nil [, name]):
 * indices and padding_idx 1-based (the core takes the base). */
static int l_embedding(lua_State *L) {
  const char *fname = luaL_optstring(L, 4, "embedding");
  lc_tensor *w = lcb_check(L, 1, fname), *idx = lcb_check(L, 2, fname);
  int64_t pad = lua_isnoneornil(L, 3) ? 0 : luaL_checkinteger(L, 3); /* 0: none */
  lc_tensor *out = lc_embedding(w, idx, pad, 1);
  if (!out) lcb_fail_as(L, fname);
  lcb_push(L, out);
  return 1;
}

void lcb_open_index(lua_State *L, int module, int methods) {
  lcb_register(L, module, methods, (luaL_Reg[]){{"index_select", t_index_select}, {NULL, NULL}});
  lcb_register_private(L, module, (luaL_Reg[]){{"embedding", l_embedding}, {NULL, NULL}});
}
