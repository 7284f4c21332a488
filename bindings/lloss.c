/* lloss.c: losses and index ops (embedding) for nn. Lua indices and class
 * targets are 1-based; the core's are 0-based, so each function here checks
 * the range with 1-based messages and hands the core a shifted copy. */
#include <string.h>

#include "lbind.h"

/* A 0-based copy of a 1-based int64 index tensor, every element in
 * [1, limit] except those equal to `ignore` (when has_ignore), which become
 * ignore - 1. Raises "<fname>: <what> 7 is out of range <range>" otherwise,
 * range being range_fmt (lua_pushfstring's %I) with a and b: it is formatted
 * only then, as this runs for every batch a DataLoader gathers. */
static lc_tensor *zero_based(lua_State *L, const lc_tensor *t, int64_t limit, bool has_ignore,
                             int64_t ignore, const char *fname, const char *what,
                             const char *range_fmt, int64_t a, int64_t b) {
  if (t->dtype != LC_INT64)
    luaL_error(L, "%s: %s must be an int64 tensor of 1-based indices, got %s", fname, what,
               lc_dtype_name(t->dtype));
  lc_tensor *src = lc_contiguous(t);
  lc_tensor *z = src ? lc_empty(LC_INT64, t->ndim, t->sizes) : NULL;
  if (!z) {
    lc_release(src);
    lcb_fail(L);
  }
  const int64_t *p = lc_data(src);
  int64_t *q = lc_data(z), n = lc_numel(z);
  for (int64_t i = 0; i < n; i++) {
    /* unsigned arithmetic: the shift by one wraps for the extreme int64s */
    int64_t v = (int64_t)((uint64_t)p[i] - 1);
    q[i] = v;
    if ((v < 0 || v >= limit) && !(has_ignore && v == (int64_t)((uint64_t)ignore - 1))) {
      lc_release(src);
      lc_release(z);
      const char *range = lua_pushfstring(L, range_fmt, (lua_Integer)a, (lua_Integer)b);
      luaL_error(L, "%s: %s %I is out of range %s%s", fname, what, (lua_Integer)((uint64_t)v + 1),
                 range, v == -1 ? " (indices are 1-based: the first is 1)" : "");
    }
  }
  lc_release(src);
  return z;
}

/* index_select(x, dim, index): x's slices along dim (1-based) at the 1-based
 * positions in the 0- or 1-D int64 tensor index. */
static const char *const index_select_opts[] = {"input", "dim", "index"};

static int t_index_select(lua_State *L) {
  const char *fname = "index_select";
  lcb_args(L, 1, 3, index_select_opts, fname);
  lc_tensor *x = lcb_check(L, 1, fname);
  if (x->ndim == 0) luaL_error(L, "%s: input must have at least 1 dimension, got a 0-dim tensor", fname);
  int dim = lcb_dim(L, 2, x->ndim, false, fname);
  lc_tensor *index = lcb_check(L, 3, fname);
  if (index->ndim > 1)
    luaL_error(L, "%s: index must be 0- or 1-dimensional, got %d dimensions", fname, index->ndim);
  lc_tensor *z = zero_based(L, index, x->sizes[dim], false, 0, fname, "index",
                            "for dim %I of size %I", dim + 1, x->sizes[dim]);
  lc_tensor *out = lc_index_select(x, dim, z);
  lc_release(z);
  lcb_push(L, out);
  return 1;
}

/* _embedding(weight, indices, padding_idx or nil [, name]): padding_idx
 * 1-based; errors are raised under `name` (the module or function called). */
static int l_embedding(lua_State *L) {
  const char *fname = luaL_optstring(L, 4, "embedding");
  lc_tensor *w = lcb_check(L, 1, fname), *idx = lcb_check(L, 2, fname);
  if (w->ndim != 2) luaL_error(L, "%s: weight must be 2-dimensional, got %d dimensions", fname, w->ndim);
  int64_t pad = lua_isnoneornil(L, 3) ? 0 : luaL_checkinteger(L, 3);
  if (idx->dtype != LC_INT64)
    luaL_error(L, "%s: input must be an int64 tensor of 1-based indices, got %s", fname,
               lc_dtype_name(idx->dtype));
  lc_tensor *z = zero_based(L, idx, w->sizes[0], false, 0, fname, "index",
                            "for num_embeddings %I", w->sizes[0], 0);
  lc_tensor *out = lc_embedding(w, z, pad - 1);
  lc_release(z);
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
  if (!(eps >= 0 && eps <= 1)) luaL_error(L, "%s: label_smoothing must be in [0, 1], got %f", name, eps);
  if (target->dtype != LC_INT64)
    luaL_error(L, "%s: target must be an int64 tensor of 1-based class indices, got %s", name,
               lc_dtype_name(target->dtype));
  int64_t classes = x->ndim == 0 ? 0 : x->sizes[x->ndim == 1 ? 0 : 1];
  lc_tensor *out;
  static const lc_reduction codes[] = {LC_REDUCTION_NONE, LC_REDUCTION_MEAN, LC_REDUCTION_SUM};
  /* values are range-checked (1-based) only when the shapes agree; otherwise
   * the core is handed the raw targets and reports the shape mismatch */
  const char *op = loss_kinds[kind];
  lc_tensor *z = NULL;
  {
    if (x->ndim > 0 && lc_numel(target) > 0) {
      bool shape_ok = true;
      int cdim = x->ndim == 1 ? 0 : 1, nd = 0;
      if (target->ndim != x->ndim - 1) shape_ok = false;
      for (int d = 0; shape_ok && d < x->ndim; d++)
        if (d != cdim) shape_ok = target->sizes[nd++] == x->sizes[d];
      if (shape_ok) z = zero_based(L, target, classes, true, ignore, name, "target", "for %I classes", classes, 0);
    }
  }
  if (z) {
    out = kind == 0 ? lc_cross_entropy(x, z, weight, (int64_t)((uint64_t)ignore - 1), codes[r], eps)
                    : lc_nll_loss(x, z, weight, (int64_t)((uint64_t)ignore - 1), codes[r]);
    lc_release(z);
  } else {
    out = kind == 0 ? lc_cross_entropy(x, target, weight, (int64_t)((uint64_t)ignore - 1), codes[r], eps)
                    : lc_nll_loss(x, target, weight, (int64_t)((uint64_t)ignore - 1), codes[r]);
  }
  if (!out) {
    const char *msg = lc_error();
    size_t n = strlen(op);
    if (!strncmp(msg, op, n) && msg[n] == ':') luaL_error(L, "%s%s", name, msg + n);
    lcb_fail(L);
  }
  lcb_push(L, out);
  return 1;
}

void lcb_open_loss(lua_State *L, int module, int methods) {
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, (luaL_Reg[]){{"index_select", t_index_select}, {NULL, NULL}}, 0);
  lua_pop(L, 1);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"index_select", t_index_select}, {"_embedding", l_embedding},
                                {"_class_loss", l_class_loss},
                                {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
