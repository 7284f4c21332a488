/* reduce_ops.c: the reduction table. One row per reduction (at the end of
 * the file): its name, its Lua arguments in PyTorch's order, and a function
 * computing it over a set of dims. The rows are built from reduce.c's kernels
 * (sum, mean, max, min) and elementwise ops, so autograd comes with them and
 * each computation keeps one home. Shapes: t (S...) reduced over dims gives
 * S with those dims of size 1 (keepdim) or removed. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

/* a reduction over one dim (or LC_ALL_DIMS), as lc_sum */
typedef lc_tensor *(*one_dim_fn)(const lc_tensor *t, int dim, bool keepdim);

static lc_tensor *amax1(const lc_tensor *t, int d, bool k) { return lc_max(t, d, k, 0, NULL); }
static lc_tensor *amin1(const lc_tensor *t, int d, bool k) { return lc_min(t, d, k, 0, NULL); }

/* helpers that take over their tensor argument (NULL passes through) */
static lc_tensor *take_u(lc_unary_op op, lc_tensor *a) {
  lc_tensor *r = a ? lc_unary(op, a) : NULL;
  lc_release(a);
  return r;
}
static lc_tensor *take2(lc_binary_op op, lc_tensor *a, lc_tensor *b) {
  lc_tensor *r = a && b ? lc_binary(op, a, b) : NULL;
  lc_release(a);
  lc_release(b);
  return r;
}
static lc_tensor *take_s(lc_binary_op op, lc_tensor *a, double s) {
  lc_tensor *r = a ? lc_binary_scalar(op, a, s, false) : NULL;
  lc_release(a);
  return r;
}

/* dims as given (nd 0: all), and the base positions count from (argmin) */
typedef struct {
  int nd;
  int d[LC_MAX_DIMS]; /* distinct, descending */
  int64_t base;
} dimset;

/* fn over every dim of ds, highest first so that, without keepdim, the
 * lower dims keep their numbers. */
static lc_tensor *over_k(one_dim_fn fn, lc_tensor *t /* taken */, const dimset *ds, bool keepdim) {
  if (!t) return NULL;
  if (ds->nd == 0) {
    lc_tensor *r = fn(t, LC_ALL_DIMS, keepdim);
    lc_release(t);
    return r;
  }
  for (int i = 0; t && i < ds->nd; i++) {
    lc_tensor *s = fn(t, ds->d[i], keepdim);
    lc_release(t);
    t = s;
  }
  return t;
}

/* As over_k, the reduced dims kept as size 1 (for broadcasting back). */
static lc_tensor *over(one_dim_fn fn, lc_tensor *t, const dimset *ds) { return over_k(fn, t, ds, true); }

/* The kept size-1 dims removed unless keepdim. */
static lc_tensor *finish(lc_tensor *r /* taken */, const dimset *ds, bool keepdim) {
  if (!r || keepdim) return r;
  if (ds->nd == 0) {
    lc_tensor *s = lc_squeeze(r, LC_ALL_DIMS);
    lc_release(r);
    return s;
  }
  for (int i = 0; r && i < ds->nd; i++) { /* descending: lower dims keep their place */
    lc_tensor *s = lc_squeeze(r, ds->d[i]);
    lc_release(r);
    r = s;
  }
  return r;
}

static double count_of(const lc_tensor *t, const dimset *ds) {
  if (ds->nd == 0) return (double)lc_numel(t);
  double n = 1;
  for (int i = 0; i < ds->nd; i++) n *= (double)t->sizes[ds->d[i]];
  return n;
}

#define R(t) lc_retain((lc_tensor *)(t))

/* ---- the rows' functions: (t, dims, keepdim, args) -> outs ----------------- */

typedef int (*reduce_fn)(const lc_tensor *t, const dimset *ds, bool keepdim, const double *a,
                         lc_tensor **outs);

static int r_sum(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return (o[0] = over_k(lc_sum, R(t), ds, k)) ? 0 : -1;
}

static int r_mean(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return (o[0] = over_k(lc_mean, R(t), ds, k)) ? 0 : -1;
}

static int r_amax(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return (o[0] = over_k(amax1, R(t), ds, k)) ? 0 : -1;
}

static int r_amin(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return (o[0] = over_k(amin1, R(t), ds, k)) ? 0 : -1;
}

static int r_argmin(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return (o[0] = lc_argmin(t, ds->nd ? ds->d[0] : LC_ALL_DIMS, k, ds->base)) ? 0 : -1;
}

static int r_aminmax(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  o[0] = over_k(amin1, R(t), ds, k);
  o[1] = o[0] ? over_k(amax1, R(t), ds, k) : NULL;
  return o[1] ? 0 : -1;
}

/* var: sum((x - mean)^2) / max(N - correction, 0), the mean subtracted first
 * (two passes, stable); args: unbiased, correction (NaN: from unbiased). */
static int var_mean(const lc_tensor *t, const dimset *ds, bool k, const double *a, bool std,
                    lc_tensor **var, lc_tensor **mean) {
  double corr = !isnan(a[1]) ? a[1] : a[0] != 0 ? 1 : 0;
  double den = fmax(count_of(t, ds) - corr, 0);
  lc_tensor *m = over(lc_mean, R(t), ds);
  lc_tensor *d = m ? lc_binary(LC_SUB, t, m) : NULL;
  lc_tensor *v = take_s(LC_DIV, over(lc_sum, take2(LC_MUL, R(d), R(d)), ds), den);
  lc_release(d);
  if (std) v = take_u(LC_SQRT, v);
  *var = finish(v, ds, k);
  if (mean) *mean = *var ? finish(R(m), ds, k) : NULL;
  lc_release(m);
  return *var && (!mean || *mean) ? 0 : -1;
}

static int r_var(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return var_mean(t, ds, k, a, false, &o[0], NULL);
}
static int r_std(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return var_mean(t, ds, k, a, true, &o[0], NULL);
}
static int r_var_mean(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return var_mean(t, ds, k, a, false, &o[0], &o[1]);
}
static int r_std_mean(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  return var_mean(t, ds, k, a, true, &o[0], &o[1]);
}

/* logsumexp: m + log(sum(exp(x - m))) with m the max, held constant (its
 * gradient cancels) and clamped finite so that all -inf or +inf rows still
 * give -inf or +inf rather than NaN. */
static int r_logsumexp(const lc_tensor *t, const dimset *ds, bool k, const double *a,
                       lc_tensor **o) {
  bool was = lc_set_grad_enabled(false);
  double big = t->dtype == LC_FLOAT32 ? FLT_MAX : DBL_MAX;
  lc_tensor *m = over(amax1, R(t), ds), *mc = m ? lc_clamp(m, -big, big) : NULL;
  lc_release(m);
  lc_set_grad_enabled(was);
  lc_tensor *s = over(lc_sum, take_u(LC_EXP, mc ? lc_binary(LC_SUB, t, mc) : NULL), ds);
  lc_tensor *r = mc ? take2(LC_ADD, take_u(LC_LOG, s), R(mc)) : (lc_release(s), NULL);
  lc_release(mc);
  return (o[0] = finish(r, ds, k)) ? 0 : -1;
}

/* norm(p): the vector p-norm over dims; args: p (inf, -inf, 0 and any number) */
static int r_norm(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  double p = a[0];
  lc_tensor *r;
  if (isinf(p)) r = over(p > 0 ? amax1 : amin1, lc_unary(LC_ABS, t), ds);
  else if (p == 0) { /* the count of non-zeros, in t's dtype */
    lc_tensor *nz = lc_binary_scalar(LC_NE, t, 0, false);
    r = over(lc_sum, nz ? lc_to(nz, t->dtype) : NULL, ds);
    lc_release(nz);
  }
  else if (p == 1) r = over(lc_sum, lc_unary(LC_ABS, t), ds);
  else if (p == 2) r = take_u(LC_SQRT, over(lc_sum, lc_binary(LC_MUL, t, t), ds));
  else r = take_s(LC_POW, over(lc_sum, take_s(LC_POW, lc_unary(LC_ABS, t), p), ds), 1 / p);
  return (o[0] = finish(r, ds, k)) ? 0 : -1;
}

static int r_count_nonzero(const lc_tensor *t, const dimset *ds, bool k, const double *a,
                           lc_tensor **o) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *c = finish(over(lc_sum, lc_binary_scalar(LC_NE, t, 0, false), ds), ds, false);
  o[0] = c ? lc_to(c, LC_INT64) : NULL;
  lc_release(c);
  lc_set_grad_enabled(was);
  return o[0] ? 0 : -1;
}

/* prod over one dim or all: its own loop (reduce.c's kernels add or
 * compare). x is seen as (outer, n, inner) contiguous; the backward gives
 * each element g times the product of the others on its line, from prefix
 * and suffix products, so zeros need no special case. */
static void line_geometry(const lc_tensor *t, int dim, int64_t *outer, int64_t *n, int64_t *inner) {
  *outer = *n = *inner = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (dim < 0 || i == dim) *n *= t->sizes[i];
    else if (i < dim) *outer *= t->sizes[i];
    else *inner *= t->sizes[i];
  }
}

static int prod_backward(lc_node *nd, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *x = lc_node_saved(nd, 0);
  if (!x) return -1;
  int dim = (int)nd->ints[0];
  bool keepdim = nd->ints[1];
  lc_tensor *xc = lc_contiguous(x), *gu = NULL;
  if (dim >= 0 && !keepdim && x->ndim > 0) gu = lc_unsqueeze(g[0], dim);
  else gu = lc_retain(g[0]);
  lc_tensor *gc = gu ? lc_contiguous(gu) : NULL, *gx = xc && gc ? lc_empty_like(xc) : NULL;
  lc_release(gu);
  if (gx) {
    int64_t outer, n, inner;
    line_geometry(xc, dim, &outer, &n, &inner);
    LC_DISPATCH(xc->dtype, T, {
      const T *xs = lc_data(xc), *gs = lc_data(gc);
      T *o = lc_data(gx);
      for (int64_t a = 0; a < outer; a++)
        for (int64_t i = 0; i < inner; i++) {
          const T *line = xs + a * n * inner + i;
          T *out = o + a * n * inner + i;
          T gv = gs[a * inner + i], pre = 1;
          for (int64_t k = 0; k < n; k++) { /* out = prefix product, then times suffix */
            out[k * inner] = pre;
            pre *= line[k * inner];
          }
          T suf = 1;
          for (int64_t k = n - 1; k >= 0; k--) {
            out[k * inner] *= suf * gv;
            suf *= line[k * inner];
          }
        }
    });
  }
  lc_release(xc);
  lc_release(gc);
  gin[0] = gx;
  return gx ? 0 : -1;
}

static int r_prod(const lc_tensor *t, const dimset *ds, bool k, const double *a, lc_tensor **o) {
  int dim = ds->nd ? ds->d[0] : -1;
  int64_t outer, n, inner, sizes[LC_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < t->ndim; i++)
    if (dim >= 0 ? (i != dim || k) : k) sizes[nd++] = i == dim || dim < 0 ? 1 : t->sizes[i];
  bool was = lc_set_grad_enabled(false);
  lc_tensor *x = lc_contiguous(t);
  lc_set_grad_enabled(was);
  lc_tensor *out = x ? lc_empty(t->dtype, nd, sizes) : NULL;
  if (out) {
    line_geometry(x, dim, &outer, &n, &inner);
    if (t->dtype == LC_INT64) { /* wraps on overflow, as PyTorch's */
      const int64_t *xs = lc_data(x);
      int64_t *y = lc_data(out);
      for (int64_t a = 0; a < outer; a++)
        for (int64_t i = 0; i < inner; i++) {
          uint64_t acc = 1;
          for (int64_t j = 0; j < n; j++) acc *= (uint64_t)xs[(a * n + j) * inner + i];
          y[a * inner + i] = (int64_t)acc;
        }
    } else {
      LC_DISPATCH(t->dtype, T, {
        const T *xs = lc_data(x);
        T *y = lc_data(out);
        for (int64_t a = 0; a < outer; a++)
          for (int64_t i = 0; i < inner; i++) {
            double acc = 1;
            for (int64_t j = 0; j < n; j++) acc *= (double)xs[(a * n + j) * inner + i];
            y[a * inner + i] = (T)acc;
          }
      });
    }
  }
  lc_release(x);
  if (out && lc_dtype_is_float(t->dtype) && lc_should_record(1, &t)) {
    lc_node *node = lc_record("ProdBackward", prod_backward, out, 1, &t);
    if (!node || lc_node_save(node, t)) {
      lc_release(out);
      out = NULL;
    } else {
      node->ints[0] = dim;
      node->ints[1] = k;
    }
  }
  return (o[0] = out) ? 0 : -1;
}

/* ---- the table --------------------------------------------------------------- */

typedef struct {
  lc_reduce_info info;
  reduce_fn fn;
  int ints; /* integer inputs: INT_OK, INT_ERROR (as PyTorch), INT_FLOAT32 (computed in float32) */
} reduce_row;

enum { INT_OK, INT_ERROR, INT_FLOAT32 };
#define A(...) {__VA_ARGS__}
/* ROW(ENUM, fn, n_out, one_dim, differentiable, ints, n args, args, defaults, lo, hi) */
#define ROW(E, op, n_out, one_dim, diff, ints, n, args, defaults, lo, hi) \
  [LC_RED_##E] = {{#op, n_out, one_dim, diff, n, args, defaults, lo, hi}, r_##op, ints}

static const reduce_row rows[] = {
  ROW(SUM, sum, 1, false, true, INT_OK, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(MEAN, mean, 1, false, true, INT_ERROR, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(AMAX, amax, 1, false, true, INT_OK, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(AMIN, amin, 1, false, true, INT_OK, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(ARGMIN, argmin, 1, true, false, INT_OK, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(AMINMAX, aminmax, 2, true, true, INT_OK, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(VAR, var, 1, false, true, INT_ERROR, 4, A("dim", "unbiased", "keepdim", "correction"), A(1, NAN),
      -1.5, 1.5),
  ROW(STD, std, 1, false, true, INT_ERROR, 4, A("dim", "unbiased", "keepdim", "correction"), A(1, NAN),
      -1.5, 1.5),
  ROW(VAR_MEAN, var_mean, 2, false, true, INT_ERROR, 4, A("dim", "unbiased", "keepdim", "correction"),
      A(1, NAN), -1.5, 1.5),
  ROW(STD_MEAN, std_mean, 2, false, true, INT_ERROR, 4, A("dim", "unbiased", "keepdim", "correction"),
      A(1, NAN), -1.5, 1.5),
  ROW(LOGSUMEXP, logsumexp, 1, false, true, INT_FLOAT32, 2, A("dim", "keepdim"), A(0), -1.5, 1.5),
  ROW(NORM, norm, 1, false, true, INT_ERROR, 3, A("p", "dim", "keepdim"), A(2), 0.5, 1.5),
  ROW(PROD, prod, 1, true, true, INT_OK, 2, A("dim", "keepdim"), A(0), 0.5, 1.5),
  ROW(COUNT_NONZERO, count_nonzero, 1, false, false, INT_OK, 1, A("dim"), A(0), -1.5, 1.5),
};
_Static_assert(sizeof rows / sizeof *rows == LC_REDUCE_COUNT, "one row per lc_reduce_op");

const lc_reduce_info *lc_reduce_info_of(lc_reduce_op op) {
  return op >= 0 && op < LC_REDUCE_COUNT ? &rows[op].info : NULL;
}

int lc_reduce_op_run(lc_reduce_op op, const lc_tensor *t, int nd, const int *dims, bool keepdim,
                     const double *args, int64_t base, lc_tensor **outs) {
  const reduce_row *r = &rows[op];
  const char *name = r->info.name;
  for (int i = 0; i < r->info.n_out; i++) outs[i] = NULL;
  if (r->ints == INT_ERROR && !lc_dtype_is_float(t->dtype)) {
    lc_fail(LC_ERR_DTYPE, name, "expected a floating point tensor, got %s", lc_dtype_name(t->dtype));
    return -1;
  }
  if (nd > 1 && r->info.one_dim) {
    lc_fail(LC_ERR_SHAPE, name, "dim must be a single dim, got %d dims", nd);
    return -1;
  }
  dimset ds = {.base = base};
  for (int i = 0; i < nd; i++) {
    int d = lc_check_dim(name, t, dims[i], false);
    if (d < 0) return -1;
    if (t->ndim == 0) continue; /* dim 0 (or -1) of a scalar: the element itself */
    for (int j = 0; j < ds.nd; j++)
      if (ds.d[j] == d) {
        lc_fail(LC_ERR_SHAPE, name, "dim %d appears more than once in the list of dims", d + 1);
        return -1;
      }
    int j = ds.nd++;
    for (; j > 0 && ds.d[j - 1] < d; j--) ds.d[j] = ds.d[j - 1];
    ds.d[j] = d;
  }
  double a[LC_REDUCE_MAX_ARGS];
  int na = 0;
  for (int k = 0; k < r->info.n_args; k++) {
    const char *s = r->info.args[k];
    if (!strcmp(s, "dim") || !strcmp(s, "keepdim")) continue;
    a[na] = args ? args[na] : r->info.default_args[na];
    na++;
  }
  if (r->ints != INT_FLOAT32 || lc_dtype_is_float(t->dtype)) return r->fn(t, &ds, keepdim, a, outs);
  lc_tensor *f = lc_to(t, LC_FLOAT32);
  int rc = f ? r->fn(f, &ds, keepdim, a, outs) : -1;
  lc_release(f);
  return rc;
}
