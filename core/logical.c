/* logical.c: the ops whose result is bool besides the comparisons: isnan,
 * isinf, isfinite, logical_not (one operand), logical_and/or/xor and isclose
 * (two, broadcast). Kernels run over the common iterator; operands of any
 * dtype are read as they are, so no converted copies are made. */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

/* ---- one operand --------------------------------------------------------- */

typedef struct {
  lc_predicate_op op;
  lc_dtype dtype;
} pred_ctx;

static void predicate_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const pred_ctx *c = ctx;
  bool *o = (bool *)d[0];
  LC_DISPATCH_ALL(c->dtype, T, {
    const T *a = (const T *)d[1];
    switch (c->op) {
    case LC_ISNAN: for (int64_t i = 0; i < n; i++) o[i * s[0]] = isnan((double)a[i * s[1]]); break;
    case LC_ISINF: for (int64_t i = 0; i < n; i++) o[i * s[0]] = isinf((double)a[i * s[1]]); break;
    case LC_ISFINITE: for (int64_t i = 0; i < n; i++) o[i * s[0]] = isfinite((double)a[i * s[1]]); break;
    case LC_LOGICAL_NOT: for (int64_t i = 0; i < n; i++) o[i * s[0]] = !a[i * s[1]]; break;
    }
  });
}

lc_tensor *lc_predicate(lc_predicate_op op, const lc_tensor *a) {
  lc_tensor *out = lc_empty_like_layout(LC_BOOL, a);
  if (!out) return NULL;
  lc_tensor *ops[2] = {out, (lc_tensor *)a};
  lc_iter it;
  lc_iter_init(&it, a->ndim, a->sizes, 2, ops);
  pred_ctx c = {op, a->dtype};
  lc_iter_run(&it, predicate_loop, &c);
  return out;
}

/* ---- two operands -------------------------------------------------------- */

typedef struct {
  lc_logical_op op;
  lc_dtype a, b;
  double rtol, atol;
  bool equal_nan;
} pair_ctx;

/* |a - b| <= atol + rtol |b|, exact equality (infinities) always close, NaN
 * close to NaN only when asked: torch.isclose. */
static bool close_to(const pair_ctx *c, double a, double b) {
  if (a == b) return true;
  if (isnan(a) || isnan(b)) return c->equal_nan && isnan(a) && isnan(b);
  if (isinf(a) || isinf(b)) return false;
  return fabs(a - b) <= c->atol + c->rtol * fabs(b);
}

static void pair_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const pair_ctx *c = ctx;
  bool *o = (bool *)d[0];
  LC_DISPATCH_ALL(c->a, A, {
    const A *a = (const A *)d[1];
    LC_DISPATCH_ALL(c->b, B, {
      const B *b = (const B *)d[2];
      for (int64_t i = 0; i < n; i++) {
        A x = a[i * s[1]];
        B y = b[i * s[2]];
        bool r = false;
        switch (c->op) {
        case LC_LOGICAL_AND: r = x && y; break;
        case LC_LOGICAL_OR: r = x || y; break;
        case LC_LOGICAL_XOR: r = !x != !y; break;
        case LC_ISCLOSE: r = close_to(c, (double)x, (double)y); break;
        }
        o[i * s[0]] = r;
      }
    });
  });
}

static lc_tensor *pair(const char *op, const lc_tensor *a, const lc_tensor *b, pair_ctx *c) {
  int64_t shape[LC_MAX_DIMS];
  int nd = lc_broadcast_shape(op, a, b, shape);
  if (nd < 0) return NULL;
  lc_tensor *out = lc_empty(LC_BOOL, nd, shape);
  if (!out) return NULL;
  lc_tensor *ops[3] = {out, (lc_tensor *)a, (lc_tensor *)b};
  lc_iter it;
  lc_iter_init(&it, nd, shape, 3, ops);
  c->a = a->dtype;
  c->b = b->dtype;
  lc_iter_run(&it, pair_loop, c);
  return out;
}

lc_tensor *lc_logical(lc_logical_op op, const lc_tensor *a, const lc_tensor *b) {
  static const char *const names[] = {"logical_and", "logical_or", "logical_xor"};
  pair_ctx c = {.op = op};
  return pair(names[op], a, b, &c);
}

lc_tensor *lc_isclose(const lc_tensor *a, const lc_tensor *b, double rtol, double atol,
                      bool equal_nan) {
  if (!(rtol >= 0) || !(atol >= 0)) {
    lc_fail(LC_ERR_ARG, "isclose", "rtol and atol must be non-negative, got %g and %g", rtol, atol);
    return NULL;
  }
  if (a->dtype != b->dtype) { /* as PyTorch */
    lc_fail(LC_ERR_DTYPE, "isclose", "input (%s) and other (%s) must have the same dtype",
                 lc_dtype_name(a->dtype), lc_dtype_name(b->dtype));
    return NULL;
  }
  pair_ctx c = {.op = LC_ISCLOSE, .rtol = rtol, .atol = atol, .equal_nan = equal_nan};
  return pair("isclose", a, b, &c);
}
