/* gradcheck.h: a float64 central-difference gradient check for the C tests.
 *
 *   static lc_tensor *loss(lc_tensor *const *in, void *ctx) { ... }  // scalar
 *   int bad = gradcheck("name", loss, inputs, n, ctx);
 *
 * The function builds a one-element loss from the input tensors and returns
 * a new reference (or NULL on error). gradcheck runs it once with grad mode
 * on and lc_backward, then, for every element of every float64 input that
 * requires grad, evaluates it again with grad mode off at x + eps and x - eps
 * (writing the element through lc_data and the strides) and compares
 * (f(x + eps) - f(x - eps)) / 2 eps with the element of the input's .grad
 * (missing .grad: zeros). Inputs that do not require grad are only passed
 * through. Mismatch: |analytic - numeric| > atol + rtol * max(|analytic|,
 * |numeric|). Returns the number of mismatches (plus one per structural
 * problem: a failing loss or backward, a bad .grad shape or dtype), printing
 * the worst one. The inputs' .grad are left holding the analytic gradient.
 *
 * Inputs should not overlap in memory (an expanded leaf, stride 0, would
 * perturb several elements at once). gc_weighted_sum turns any float tensor
 * into a scalar loss with fixed, distinct weights, so that every element of
 * the gradient is different. */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "lc.h"

#define GC_EPS 1e-6
#define GC_RTOL 1e-7
#define GC_ATOL 1e-9

typedef lc_tensor *(*gc_loss_fn)(lc_tensor *const *inputs, void *ctx);

/* A fixed xorshift stream, independent of the library's generator. */
static uint64_t gc_rng_state __attribute__((unused)) = 0x9E3779B97F4A7C15ull;
static inline double gc_uniform(double lo, double hi) {
  gc_rng_state ^= gc_rng_state << 13, gc_rng_state ^= gc_rng_state >> 7,
      gc_rng_state ^= gc_rng_state << 17;
  return lo + (hi - lo) * ((double)(gc_rng_state >> 11) / 9007199254740992.0);
}

/* A contiguous float64 leaf with values in [lo, hi), requiring grad. */
static inline lc_tensor *gc_leaf(int ndim, const int64_t *sizes, double lo, double hi) {
  lc_tensor *t = lc_empty(LC_FLOAT64, ndim, sizes);
  if (!t) return NULL;
  double *p = lc_data(t);
  for (int64_t i = 0; i < lc_numel(t); i++) p[i] = gc_uniform(lo, hi);
  t->requires_grad = true;
  return t;
}

/* Element offset (in elements, from lc_data) of the row-major index i. */
static inline int64_t gc_offset(const lc_tensor *t, int64_t i) {
  int64_t off = 0;
  for (int d = t->ndim - 1; d >= 0; d--) {
    off += (i % t->sizes[d]) * t->strides[d];
    i /= t->sizes[d];
  }
  return off;
}

/* sum(t * w) with w[i] = 0.5 + 0.37 * ((i * 7) % 11) / 11 - 0.2 * (i % 3),
 * in t's dtype (float64 for int64). Returns a new 0-dim tensor. */
static inline lc_tensor *gc_weighted_sum(const lc_tensor *t) {
  if (!t) return NULL;
  lc_dtype dt = t->dtype == LC_FLOAT32 ? LC_FLOAT32 : LC_FLOAT64;
  lc_tensor *w = lc_empty(dt, t->ndim, t->sizes);
  if (!w) return NULL;
  for (int64_t i = 0; i < lc_numel(w); i++) {
    double v = 0.5 + 0.37 * (double)((i * 7) % 11) / 11.0 - 0.2 * (double)(i % 3);
    if (dt == LC_FLOAT32) ((float *)lc_data(w))[i] = (float)v;
    else ((double *)lc_data(w))[i] = v;
  }
  lc_tensor *p = lc_binary(LC_MUL, t, w);
  lc_release(w);
  if (!p) return NULL;
  lc_tensor *s = lc_sum(p, LC_ALL_DIMS, false);
  lc_release(p);
  return s;
}

/* Evaluates the loss as a double with grad mode off; NAN on failure. */
static inline double gc_eval(gc_loss_fn f, lc_tensor *const *inputs, void *ctx) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *l = f(inputs, ctx);
  lc_set_grad_enabled(was);
  if (!l) return NAN;
  double v = lc_numel(l) == 1 ? lc_get(l, 0) : NAN;
  lc_release(l);
  return v;
}

static inline int gradcheck_tol(const char *name, gc_loss_fn f, lc_tensor *const *inputs, int n,
                                void *ctx, double eps, double rtol, double atol) {
  int bad = 0;
  for (int k = 0; k < n; k++) {
    if (!inputs[k]) continue;
    lc_release(inputs[k]->grad);
    inputs[k]->grad = NULL;
  }
  bool was = lc_set_grad_enabled(true);
  lc_tensor *loss = f(inputs, ctx);
  lc_set_grad_enabled(was);
  if (!loss || lc_numel(loss) != 1) {
    fprintf(stderr, "gradcheck %s: the loss %s\n", name,
            loss ? "is not a single element" : "failed");
    if (!loss) fprintf(stderr, "  error: %s\n", lc_error());
    lc_release(loss);
    return 1;
  }
  if (lc_backward(&loss, NULL, 1, false)) {
    fprintf(stderr, "gradcheck %s: backward failed: %s\n", name, lc_error());
    lc_release(loss);
    return 1;
  }
  lc_release(loss);

  double worst = -1, worst_a = 0, worst_n = 0;
  int worst_k = -1;
  int64_t worst_i = -1;
  for (int k = 0; k < n; k++) {
    lc_tensor *x = inputs[k];
    if (!x || !x->requires_grad) continue;
    if (x->dtype != LC_FLOAT64) {
      fprintf(stderr, "gradcheck %s: input %d is %s, not float64\n", name, k,
              lc_dtype_name(x->dtype));
      bad++;
      continue;
    }
    lc_tensor *g = x->grad;
    if (g && (!lc_same_shape(g, x) || g->dtype != x->dtype)) {
      char a[128], b[128];
      fprintf(stderr, "gradcheck %s: input %d has .grad %s %s, expected %s %s\n", name, k,
              lc_dtype_name(g->dtype), lc_shape_str(a, g->ndim, g->sizes),
              lc_dtype_name(x->dtype), lc_shape_str(b, x->ndim, x->sizes));
      bad++;
      continue;
    }
    double *p = lc_data(x);
    for (int64_t i = 0; i < lc_numel(x); i++) {
      int64_t off = gc_offset(x, i);
      double orig = p[off];
      p[off] = orig + eps;
      double fp = gc_eval(f, inputs, ctx);
      p[off] = orig - eps;
      double fm = gc_eval(f, inputs, ctx);
      p[off] = orig;
      double num = (fp - fm) / (2 * eps);
      double ana = g ? lc_get(g, i) : 0.0;
      double err = fabs(ana - num);
      double lim = atol + rtol * fmax(fabs(ana), fabs(num));
      bool ok = err <= lim; /* false for NaN */
      if (!ok) bad++;
      double score = isnan(err) ? INFINITY : err - lim;
      if (!ok && score > worst) {
        worst = score, worst_a = ana, worst_n = num, worst_k = k, worst_i = i;
      }
    }
  }
  if (bad && worst_k >= 0)
    fprintf(stderr,
            "gradcheck %s: %d mismatch(es); worst: input %d element %lld: analytic %.12g, "
            "numeric %.12g\n",
            name, bad, worst_k, (long long)worst_i, worst_a, worst_n);
  return bad;
}

static inline int gradcheck(const char *name, gc_loss_fn f, lc_tensor *const *inputs, int n,
                            void *ctx) {
  return gradcheck_tol(name, f, inputs, n, ctx, GC_EPS, GC_RTOL, GC_ATOL);
}

#endif
