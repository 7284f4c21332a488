/* lsort.c: sort, msort, argsort, topk, kthvalue, median, nanmedian, mode, unique,
 * unique_consecutive (core/sort.c) for Lua. Dims and returned indices are
 * 1-based; ops with values and indices return both. Also the argument
 * readers and the registration helper the other new binding files share. */
#include "lbind.h"

/* ---- shared helpers ------------------------------------------------------- */

/* Pushes values and indices (1-based) after the op ran (rc), or raises
 * the core's error. */
static int push_pair(lua_State *L, int rc, lc_tensor **v, lc_tensor **i) {
  lcb_ok(L, rc);
  lcb_push(L, *v);
  lcb_push(L, *i);
  return 2;
}

/* ---- sort, argsort, topk --------------------------------------------------- */

static const char *const sort_opts[] = {"input", "dim", "descending", "stable"};

/* stable is accepted for PyTorch's signature: the sort is always stable. */
static lc_tensor *sort_args(lua_State *L, const char *fname, int *dim, bool *desc) {
  lcb_args(L, 1, 4, sort_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  *dim = lcb_optdim(L, 2, t, -1, fname);
  *desc = lcb_optbool(L, 3, false, fname, "descending");
  lcb_optbool(L, 4, false, fname, "stable");
  return t;
}

static int t_sort(lua_State *L) {
  int dim;
  bool desc;
  lc_tensor *t = sort_args(L, "sort", &dim, &desc), *v, *i;
  return push_pair(L, lc_sort(t, dim, desc, 1, &v, &i), &v, &i);
}

/* msort(x): the values of sort along dim 1, ascending. */
static int t_msort(lua_State *L) {
  lcb_args(L, 1, 1, sort_opts, "msort");
  lc_tensor *t = lcb_check(L, 1, "msort"), *v;
  lcb_ok(L, lc_sort(t, 0, false, 1, &v, NULL));
  lcb_push(L, v);
  return 1;
}

static int t_argsort(lua_State *L) {
  int dim;
  bool desc;
  lc_tensor *t = sort_args(L, "argsort", &dim, &desc), *i;
  lcb_ok(L, lc_sort(t, dim, desc, 1, NULL, &i));
  lcb_push(L, i);
  return 1;
}

static const char *const topk_opts[] = {"input", "k", "dim", "largest", "sorted"};

/* sorted = false is allowed: the order is then unspecified, and sorted is one. */
static int t_topk(lua_State *L) {
  lcb_args(L, 1, 5, topk_opts, "topk");
  lc_tensor *t = lcb_check(L, 1, "topk"), *v, *i;
  lua_Integer k = lcb_checkint(L, 2, "topk", "k");
  int dim = lcb_optdim(L, 3, t, -1, "topk");
  bool largest = lcb_optbool(L, 4, true, "topk", "largest");
  lcb_optbool(L, 5, true, "topk", "sorted");
  return push_pair(L, lc_topk(t, k, dim, largest, 1, &v, &i), &v, &i);
}

/* ---- kthvalue, median, nanmedian, mode ------------------------------------- */

static const char *const kth_opts[] = {"input", "k", "dim", "keepdim"};

static int t_kthvalue(lua_State *L) {
  lcb_args(L, 1, 4, kth_opts, "kthvalue");
  lc_tensor *t = lcb_check(L, 1, "kthvalue"), *v, *i;
  lua_Integer k = lcb_checkint(L, 2, "kthvalue", "k");
  int dim = lcb_optdim(L, 3, t, -1, "kthvalue");
  bool keep = lcb_optbool(L, 4, false, "kthvalue", "keepdim");
  return push_pair(L, lc_kthvalue(t, k, dim, keep, 1, &v, &i), &v, &i);
}

static const char *const reduce_opts[] = {"input", "dim", "keepdim"};

/* median(x): the value; median(x, dim [, keepdim]): values and indices. */
static int median(lua_State *L, bool ignore_nan, const char *fname) {
  lcb_args(L, 1, 3, reduce_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname), *v, *i;
  bool keep = lcb_optbool(L, 3, false, fname, "keepdim");
  if (lua_isnil(L, 2)) {
    lcb_ok(L, lc_median(t, LC_ALL_DIMS, false, ignore_nan, 1, &v, NULL));
    lcb_push(L, v);
    return 1;
  }
  int dim = lcb_dim(L, 2, t->ndim, false, fname);
  return push_pair(L, lc_median(t, dim, keep, ignore_nan, 1, &v, &i), &v, &i);
}

static int t_median(lua_State *L) { return median(L, false, "median"); }
static int t_nanmedian(lua_State *L) { return median(L, true, "nanmedian"); }

static int t_mode(lua_State *L) {
  lcb_args(L, 1, 3, reduce_opts, "mode");
  lc_tensor *t = lcb_check(L, 1, "mode"), *v, *i;
  int dim = lcb_optdim(L, 2, t, -1, "mode");
  bool keep = lcb_optbool(L, 3, false, "mode", "keepdim");
  return push_pair(L, lc_mode(t, dim, keep, 1, &v, &i), &v, &i);
}

/* ---- unique, unique_consecutive -------------------------------------------- */

/* Returns the values, then inverse and counts when asked for, in that order.
 * dim: the Lua value at that index, nil (over all elements) or a dim (over
 * the slices along it). */
static int push_unique(lua_State *L, const lc_tensor *t, bool consecutive, bool inverse,
                       bool counts, int dim_idx, const char *fname) {
  lc_tensor *v, *inv, *cnt;
  if (lua_isnil(L, dim_idx))
    lcb_ok(L, lc_unique(t, consecutive, 1, &v, &inv, &cnt));
  else
    lcb_ok(L, lc_unique_dim(t, lcb_dim(L, dim_idx, t->ndim, false, fname), consecutive, 1, &v, &inv, &cnt));
  lcb_push(L, v);
  if (inverse) lcb_push(L, inv);
  else lc_release(inv);
  if (counts) lcb_push(L, cnt);
  else lc_release(cnt);
  return 1 + inverse + counts;
}

static const char *const unique_opts[] = {"input", "sorted", "return_inverse", "return_counts", "dim"};

/* sorted = false is allowed: the values then come in an unspecified order,
 * ascending being one. */
static int t_unique(lua_State *L) {
  lcb_args(L, 1, 5, unique_opts, "unique");
  lc_tensor *t = lcb_check(L, 1, "unique");
  lcb_optbool(L, 2, true, "unique", "sorted");
  bool inv = lcb_optbool(L, 3, false, "unique", "return_inverse");
  bool cnt = lcb_optbool(L, 4, false, "unique", "return_counts");
  return push_unique(L, t, false, inv, cnt, 5, "unique");
}

static const char *const consecutive_opts[] = {"input", "return_inverse", "return_counts", "dim"};

static int t_unique_consecutive(lua_State *L) {
  const char *fname = "unique_consecutive";
  lcb_args(L, 1, 4, consecutive_opts, fname);
  lc_tensor *t = lcb_check(L, 1, fname);
  bool inv = lcb_optbool(L, 2, false, fname, "return_inverse");
  bool cnt = lcb_optbool(L, 3, false, fname, "return_counts");
  return push_unique(L, t, true, inv, cnt, 4, fname);
}

static const luaL_Reg fns[] = {
  {"sort", t_sort}, {"msort", t_msort}, {"argsort", t_argsort}, {"topk", t_topk}, {"kthvalue", t_kthvalue},
  {"median", t_median}, {"nanmedian", t_nanmedian}, {"mode", t_mode}, {"unique", t_unique},
  {"unique_consecutive", t_unique_consecutive}, {NULL, NULL}};

void lcb_open_sort(lua_State *L, int module, int methods) { lcb_register(L, module, methods, fns); }
