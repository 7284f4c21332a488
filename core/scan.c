/* scan.c: cumulative sum, product, log-sum-exp, max and min along a dim.
 *
 * Rows (lc_rows) are scanned independently, on several threads above
 * LC_PARALLEL_GRAIN. Floats accumulate in double, as PyTorch's CPU kernels.
 * The backward passes are scans too, written out by hand (shapes: x, y and
 * the gradients all have t's shape). */
#include <math.h>
#include <string.h>

#include "lc_rows.h"

typedef enum { S_SUM, S_PROD, S_LSE, S_MAX, S_MIN, S_SUM_REVERSE } scan_kind;

/* log(exp(a) + exp(b)) without overflow; two equal infinities stay. */
static inline double log_add_exp(double a, double b) {
  double lo = a < b ? a : b, hi = a < b ? b : a;
  if (lo == hi && isinf(lo)) return lo;
  return hi + log1p(exp(lo - hi));
}

typedef struct {
  scan_kind kind;
  lc_dtype dtype;
  int64_t n, base;
  const void *x;
  void *y;
  int64_t *idx; /* cummax/cummin */
} scan_plan;

static void scan_row(const scan_plan *p, int64_t r) {
  int64_t n = p->n;
  LC_DISPATCH(p->dtype, T, {
    const T *x = (const T *)p->x + r * n;
    T *y = (T *)p->y + r * n;
    switch (p->kind) {
    case S_SUM: {
      if (p->dtype == LC_INT64) {
        int64_t acc = 0; /* exact, wrapping as PyTorch's int64 */
        for (int64_t i = 0; i < n; i++) y[i] = (T)(acc = (int64_t)((uint64_t)acc + (uint64_t)x[i]));
      } else {
        double acc = 0;
        for (int64_t i = 0; i < n; i++) y[i] = (T)(acc += (double)x[i]);
      }
      break;
    }
    case S_SUM_REVERSE: {
      double acc = 0;
      for (int64_t i = n - 1; i >= 0; i--) y[i] = (T)(acc += (double)x[i]);
      break;
    }
    case S_PROD: {
      if (p->dtype == LC_INT64) {
        uint64_t acc = 1;
        for (int64_t i = 0; i < n; i++) y[i] = (T)(int64_t)(acc *= (uint64_t)x[i]);
      } else {
        double acc = 1;
        for (int64_t i = 0; i < n; i++) y[i] = (T)(acc *= (double)x[i]);
      }
      break;
    }
    case S_LSE: {
      double acc = -INFINITY;
      for (int64_t i = 0; i < n; i++) y[i] = (T)(acc = log_add_exp((double)x[i], acc));
      break;
    }
    case S_MAX:
    case S_MIN: {
      /* ties move the index on; a NaN holds until the next NaN, as PyTorch */
      bool is_max = p->kind == S_MAX;
      int64_t *ix = p->idx + r * n, at = 0;
      T best = n ? x[0] : 0;
      for (int64_t i = 0; i < n; i++) {
        T v = x[i];
        if (v != v || (best == best && (is_max ? v >= best : v <= best))) best = v, at = i;
        y[i] = best;
        ix[i] = at + p->base;
      }
      break;
    }
    }
  });
}

/* Scans t's rows along dim into a new tensor of dtype dt (and indices). */
static lc_tensor *scan(const char *op, scan_kind kind, const lc_tensor *t, int dim, lc_dtype dt,
                       int64_t base, lc_tensor **indices) {
  lc_rows rows;
  if (lc_rows_open(&rows, op, t, dim)) return NULL;
  lc_tensor *x = dt == t->dtype ? lc_retain(rows.x) : lc_to(rows.x, dt);
  lc_tensor *y = x ? lc_rows_new(&rows, dt, rows.n) : NULL;
  lc_tensor *ix = indices ? lc_rows_new(&rows, LC_INT64, rows.n) : NULL;
  if (y && (!indices || ix)) {
    scan_plan p = {.kind = kind, .dtype = dt, .n = rows.n, .base = base, .x = lc_data(x),
                   .y = lc_data(y), .idx = ix ? lc_data(ix) : NULL};
    bool par = lc_rows_parallel(&rows, LC_PARALLEL_GRAIN);
#pragma omp parallel for if (par) schedule(static)
    for (int64_t r = 0; r < rows.rows; r++) scan_row(&p, r);
    y = lc_rows_close(&rows, y, true);
    if (indices) *indices = lc_rows_close(&rows, ix, true);
  } else {
    lc_release(y);
    lc_release(ix);
    y = NULL;
    if (indices) *indices = NULL;
  }
  lc_release(x);
  lc_rows_free(&rows);
  if (indices && !*indices) {
    lc_release(y);
    return NULL;
  }
  return y;
}

/* Integers scan in int64, floats in their own dtype. */
static lc_dtype scan_dtype(const lc_tensor *t) {
  return lc_dtype_is_float(t->dtype) ? t->dtype : LC_INT64;
}

static int require_float(const char *op, const lc_tensor *t) {
  if (lc_dtype_is_float(t->dtype)) return 0;
  lc_fail(LC_ERR_DTYPE, op, "expected a floating point tensor, got %s", lc_dtype_name(t->dtype));
  return -1;
}

/* Records a scan's node: ints[0] the dim; saved x and y when given. */
static lc_tensor *record(const char *name, lc_backward_fn fn, lc_tensor *y, const lc_tensor *t,
                         int dim, bool save) {
  if (!y || !lc_should_record(1, &t)) return y;
  lc_node *n = lc_record(name, fn, y, 1, &t);
  if (!n || (save && (lc_node_save(n, t) || lc_node_save(n, y)))) {
    lc_release(y);
    return NULL;
  }
  n->ints[0] = lc_check_dim(name, t, dim, false);
  return y;
}

/* ---- cumsum: y_i = sum_{j<=i} x_j;  gx_i = sum_{j>=i} g_j ------------------- */

static int cumsum_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  grad_in[0] = scan("cumsum", S_SUM_REVERSE, grad_out[0], (int)n->ints[0], grad_out[0]->dtype, 0, NULL);
  return grad_in[0] ? 0 : -1;
}

lc_tensor *lc_cumsum(const lc_tensor *t, int dim) {
  lc_tensor *y = scan("cumsum", S_SUM, t, dim, scan_dtype(t), 0, NULL);
  return record("CumsumBackward", cumsum_backward, y, t, dim, false);
}

/* ---- cumprod: y_i = prod_{j<=i} x_j ------------------------------------------
 * gx_i = sum_{j>=i} g_j prod_{k<=j, k!=i} x_k. Before a row's first zero z
 * that is sum_{i<=j<z} g_j y_j / x_i (later y_j are 0 and so are their
 * derivatives); at z it is sum_{j>=z} g_j y_{z-1} prod_{z<k<=j} x_k; after
 * z it is 0 (every term keeps the factor x_z). */

typedef struct {
  lc_dtype dtype;
  int64_t n;
  const void *x, *y, *g;
  void *gx;
} cumprod_plan;

static void cumprod_backward_row(const cumprod_plan *p, int64_t r) {
  int64_t n = p->n;
  LC_DISPATCH(p->dtype, T, {
    const T *x = (const T *)p->x + r * n, *y = (const T *)p->y + r * n, *g = (const T *)p->g + r * n;
    T *gx = (T *)p->gx + r * n;
    int64_t z = 0;
    while (z < n && x[z] != 0) z++;
    double acc = 0;
    for (int64_t i = z - 1; i >= 0; i--) {
      acc += (double)g[i] * (double)y[i];
      gx[i] = (T)(acc / (double)x[i]);
    }
    if (z < n) {
      double before = z ? (double)y[z - 1] : 1, run = before, sum = (double)g[z] * before;
      for (int64_t j = z + 1; j < n; j++) sum += (double)g[j] * (run *= (double)x[j]);
      gx[z] = (T)sum;
      for (int64_t i = z + 1; i < n; i++) gx[i] = 0;
    }
  });
}

/* Runs a row backward over rows of x, y and g along dim into gx (t's shape). */
static lc_tensor *row_backward(lc_node *nd, lc_tensor *g, void (*row)(const cumprod_plan *, int64_t)) {
  lc_tensor *x = lc_node_saved(nd, 0), *y = x ? lc_node_saved(nd, 1) : NULL;
  if (!y) return NULL;
  int dim = (int)nd->ints[0];
  lc_rows rx, ry, rg;
  if (lc_rows_open(&rx, "backward", x, dim)) return NULL;
  lc_tensor *out = NULL;
  if (!lc_rows_open(&ry, "backward", y, dim)) {
    if (!lc_rows_open(&rg, "backward", g, dim)) {
      lc_tensor *gx = lc_rows_new(&rx, x->dtype, rx.n);
      if (gx) {
        cumprod_plan p = {.dtype = x->dtype, .n = rx.n, .x = lc_data(rx.x), .y = lc_data(ry.x),
                          .g = lc_data(rg.x), .gx = lc_data(gx)};
        bool par = lc_rows_parallel(&rx, LC_PARALLEL_GRAIN);
#pragma omp parallel for if (par) schedule(static)
        for (int64_t r = 0; r < rx.rows; r++) row(&p, r);
        out = lc_rows_close(&rx, gx, true);
      }
      lc_rows_free(&rg);
    }
    lc_rows_free(&ry);
  }
  lc_rows_free(&rx);
  return out;
}

static int cumprod_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  grad_in[0] = row_backward(n, grad_out[0], cumprod_backward_row);
  return grad_in[0] ? 0 : -1;
}

lc_tensor *lc_cumprod(const lc_tensor *t, int dim) {
  lc_tensor *y = scan("cumprod", S_PROD, t, dim, scan_dtype(t), 0, NULL);
  return record("CumprodBackward", cumprod_backward, y, t, dim, true);
}

/* ---- logcumsumexp: y_i = log sum_{j<=i} exp x_j ------------------------------
 * gx_i = sum_{j>=i} g_j exp(x_i - y_j) = exp(x_i - y_i) s_i with
 * s_i = g_i + s_{i+1} exp(y_i - y_{i+1}): y grows along the row, so every
 * exponent is at most 0 and nothing overflows. */

static void lse_backward_row(const cumprod_plan *p, int64_t r) {
  int64_t n = p->n;
  LC_DISPATCH(p->dtype, T, {
    const T *x = (const T *)p->x + r * n, *y = (const T *)p->y + r * n, *g = (const T *)p->g + r * n;
    T *gx = (T *)p->gx + r * n;
    double s = 0;
    for (int64_t i = n - 1; i >= 0; i--) {
      double step = i + 1 < n && y[i] != y[i + 1] ? exp((double)y[i] - (double)y[i + 1]) : 1;
      s = (double)g[i] + (i + 1 < n ? s * step : 0);
      gx[i] = (T)(x[i] == y[i] ? s : exp((double)x[i] - (double)y[i]) * s);
    }
  });
}

static int lse_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  grad_in[0] = row_backward(n, grad_out[0], lse_backward_row);
  return grad_in[0] ? 0 : -1;
}

lc_tensor *lc_logcumsumexp(const lc_tensor *t, int dim) {
  if (require_float("logcumsumexp", t)) return NULL;
  lc_tensor *y = scan("logcumsumexp", S_LSE, t, dim, t->dtype, 0, NULL);
  return record("LogcumsumexpBackward", lse_backward, y, t, dim, true);
}

/* ---- cummax / cummin ---------------------------------------------------------- */

static int running(const char *op, scan_kind kind, const lc_tensor *t, int dim, int64_t base,
                   lc_tensor **values, lc_tensor **indices) {
  lc_tensor *idx = NULL;
  lc_tensor *v = scan(op, kind, t, dim, t->dtype, base, &idx);
  if (!v || lc_record_picked(kind == S_MAX ? "CummaxBackward" : "CumminBackward", v, t,
                             lc_check_dim(op, t, dim, false), true, idx, base)) {
    lc_release(v);
    lc_release(idx);
    return -1;
  }
  if (values) *values = v;
  else lc_release(v);
  if (indices) *indices = idx;
  else lc_release(idx);
  return 0;
}

int lc_cummax(const lc_tensor *t, int dim, int64_t base, lc_tensor **values, lc_tensor **indices) {
  return running("cummax", S_MAX, t, dim, base, values, indices);
}

int lc_cummin(const lc_tensor *t, int dim, int64_t base, lc_tensor **values, lc_tensor **indices) {
  return running("cummin", S_MIN, t, dim, base, values, indices);
}
