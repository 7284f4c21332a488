/* scatter.c: gather and scatter along a dim with an index tensor.
 *
 * Both walk the index's shape a row (its last dim) at a time: for each row
 * the offsets of t, index and src are computed once, then the inner loop
 * steps through the row with each operand's last stride. Along dim, t's
 * offset comes from the index value (minus the caller's base) instead of the
 * position. Scatters run serially: two index elements may name one target. */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

typedef struct {
  int ndim;
  int64_t sizes[LC_MAX_DIMS]; /* the index's */
  int64_t st[3][LC_MAX_DIMS]; /* strides of t (0 along dim), index, src */
  int64_t m;                  /* row length (1 for a 0-dim index) */
  int64_t step[3];            /* strides along the row */
  int64_t dim_stride, dim_size, base;
} walk;

static void walk_init(walk *w, const lc_tensor *t, int dim, const lc_tensor *index,
                      const lc_tensor *src, int64_t base) {
  memset(w, 0, sizeof *w);
  w->ndim = index->ndim;
  for (int i = 0; i < index->ndim; i++) {
    w->sizes[i] = index->sizes[i];
    w->st[0][i] = t->ndim && i != dim ? t->strides[i] : 0;
    w->st[1][i] = index->strides[i];
    w->st[2][i] = src && src->ndim ? src->strides[i] : 0;
  }
  int last = index->ndim - 1;
  w->m = index->ndim ? index->sizes[last] : 1;
  for (int k = 0; k < 3; k++) w->step[k] = index->ndim ? w->st[k][last] : 0;
  w->dim_stride = t->ndim ? t->strides[dim] : 0;
  w->dim_size = t->ndim ? t->sizes[dim] : 1;
  w->base = base;
}

/* Offsets of the three operands at the start of row r. */
static void walk_row(const walk *w, int64_t r, int64_t *off) {
  off[0] = off[1] = off[2] = 0;
  for (int i = w->ndim - 2; i >= 0; i--) {
    int64_t c = r % w->sizes[i];
    r /= w->sizes[i];
    for (int k = 0; k < 3; k++) off[k] += c * w->st[k][i];
  }
}

static int64_t walk_rows(const walk *w) {
  int64_t rows = 1;
  for (int i = 0; i + 1 < w->ndim; i++) rows *= w->sizes[i];
  return w->m ? rows : 0;
}

/* Runs BODY for every index element of rows [r0, r1) with k its row-major
 * position in the index, tp the offset of its target in t and sp of its
 * element in src. */
#define FOR_EACH_INDEX(w, idx, r0, r1, BODY)                                          \
  for (int64_t r_ = (r0); r_ < (r1); r_++) {                                          \
    int64_t off_[3];                                                                  \
    walk_row(&(w), r_, off_);                                                         \
    for (int64_t j_ = 0; j_ < (w).m; j_++) {                                          \
      int64_t k = r_ * (w).m + j_, sp = off_[2] + j_ * (w).step[2];                   \
      int64_t tp = off_[0] + j_ * (w).step[0] +                                       \
                   ((idx)[off_[1] + j_ * (w).step[1]] - (w).base) * (w).dim_stride;   \
      (void)k, (void)sp;                                                              \
      BODY;                                                                           \
    }                                                                                 \
  }

/* Every index within [base, base + dim_size), or -1 naming the first not. */
static int check_index(const char *op, const walk *w, const int64_t *idx, int dim) {
  int64_t rows = walk_rows(w), off[3];
  for (int64_t r = 0; r < rows; r++) {
    walk_row(w, r, off);
    for (int64_t j = 0; j < w->m; j++) {
      int64_t v = idx[off[1] + j * w->step[1]] - w->base;
      if (v < 0 || v >= w->dim_size) {
        lc_fail(LC_ERR_INDEX, op, "index %lld is out of range for dim %d of size %lld%s",
                (long long)(v + w->base), dim + 1, (long long)w->dim_size,
                lc_base_note(v + w->base, w->base));
        return -1;
      }
    }
  }
  return 0;
}

/* The checks gather and scatter share: a normalised dim, an int64 index
 * with t's number of dims, no larger than t outside dim nor than src.
 * Returns the dim or -1. */
static int check_args(const char *op, const lc_tensor *t, int dim, const lc_tensor *index,
                      const lc_tensor *src) {
  char a[128], b[128];
  if ((dim = lc_check_dim(op, t, dim, false)) < 0) return -1;
  if (index->dtype != LC_INT64) {
    lc_fail(LC_ERR_DTYPE, op, "index must be an int64 tensor, got %s", lc_dtype_name(index->dtype));
    return -1;
  }
  if (src && src->dtype != t->dtype) {
    lc_fail(LC_ERR_DTYPE, op, "src must have the input's dtype %s, got %s", lc_dtype_name(t->dtype),
                 lc_dtype_name(src->dtype));
    return -1;
  }
  bool flat = t->ndim <= 1 && index->ndim <= 1 && (!src || src->ndim <= 1);
  if (lc_numel(index) == 0 || flat) return dim;
  if (index->ndim != t->ndim || (src && src->ndim != t->ndim)) {
    lc_fail(LC_ERR_SHAPE, op, "index%s must have as many dims as the input (%d), got %d",
                 src ? " and src" : "", t->ndim, index->ndim != t->ndim ? index->ndim : src->ndim);
    return -1;
  }
  for (int i = 0; i < index->ndim; i++) {
    bool over_t = i != dim && index->sizes[i] > t->sizes[i];
    if (over_t || (src && index->sizes[i] > src->sizes[i])) {
      const lc_tensor *o = over_t ? t : src;
      lc_fail(LC_ERR_SHAPE, op, "index of shape %s is larger than %s of shape %s in dim %d",
                   lc_shape_str(a, index->ndim, index->sizes), over_t ? "the input" : "src",
                   lc_shape_str(b, o->ndim, o->sizes), i + 1);
      return -1;
    }
  }
  return dim;
}

/* ---- in place ----------------------------------------------------------------- */

/* value as an int64, infinities saturating (the identities of amax/amin). */
static int64_t saturate(double v) {
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

static int scatter_into(const char *op, lc_tensor *t, int dim, const lc_tensor *index,
                        const lc_tensor *src, double value, lc_scatter_mode mode, int64_t base) {
  if ((dim = check_args(op, t, dim, index, src)) < 0) return -1;
  if (mode == LC_SCATTER_MEAN) {
    lc_fail(LC_ERR_ARG, "scatter", "the mean is not an in-place mode");
    return -1;
  }
  if (lc_numel(index) == 0) return 0;
  walk w;
  walk_init(&w, t, dim, index, src, base);
  const int64_t *idx = LC_PTR(int64_t, index);
  if (check_index(op, &w, idx, dim)) return -1;
  int64_t rows = walk_rows(&w);
#define SRC (s ? s[sp] : v)
  LC_DISPATCH(t->dtype, T, {
    T *d = LC_PTR(T, t);
    const T *s = src ? LC_PTR(T, src) : NULL;
    T v = t->dtype == LC_INT64 ? (T)saturate(value) : (T)value;
    switch (mode) {
    case LC_SCATTER_SET: FOR_EACH_INDEX(w, idx, 0, rows, d[tp] = SRC) break;
    case LC_SCATTER_ADD: FOR_EACH_INDEX(w, idx, 0, rows, d[tp] += SRC) break;
    case LC_SCATTER_PROD: FOR_EACH_INDEX(w, idx, 0, rows, d[tp] *= SRC) break;
    /* a NaN wins, as in PyTorch's maximum and minimum */
    case LC_SCATTER_AMAX: FOR_EACH_INDEX(w, idx, 0, rows, if (SRC > d[tp] || SRC != SRC) d[tp] = SRC) break;
    case LC_SCATTER_AMIN: FOR_EACH_INDEX(w, idx, 0, rows, if (SRC < d[tp] || SRC != SRC) d[tp] = SRC) break;
    case LC_SCATTER_MEAN: break;
    }
  });
#undef SRC
  lc_bump_version(t);
  return 0;
}

int lc_scatter_(lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                double value, lc_scatter_mode mode, int64_t base) {
  return scatter_into("scatter", t, dim, index, src, value, mode, base);
}

/* ---- gather ------------------------------------------------------------------ */

static int gather_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in);

/* One gather row: out[j] = x[j * step + (idx[j * istep] - base) * stride],
 * words of W moved as they are (the values are not read, so one loop serves
 * every dtype of a size). The walk's fields are copied into locals: read
 * through w, they were reloaded after every store, which might alias them
 * (4x slower). Returns false at an index out of range, before reading
 * through it. Checking the row in a loop of its own first, so that the copy
 * vectorises, was slower: AVX2's gathers are slow on AMD EPYC, and SSE2's
 * emulated ones too. */
#define GATHER_ROW(W)                                                                    \
  static bool gather_row_##W(const walk *w, const int64_t *off, const void *x, void *out,  \
                             const int64_t *idx) {                                       \
    const W *xr = (const W *)x + off[0];                                                 \
    const int64_t *ir = idx + off[1];                                                    \
    W *o = out;                                                                          \
    int64_t m = w->m, step = w->step[0], istep = w->step[1], stride = w->dim_stride;     \
    uint64_t size = (uint64_t)w->dim_size;                                               \
    int64_t base = w->base;                                                              \
    if (step == 0 && istep == 1 && stride == 1) { /* along a contiguous last dim */     \
      for (int64_t j = 0; j < m; j++) {                                                  \
        int64_t v = ir[j] - base;                                                        \
        if ((uint64_t)v >= size) return false;                                           \
        o[j] = xr[v];                                                                    \
      }                                                                                  \
      return true;                                                                       \
    }                                                                                    \
    for (int64_t j = 0; j < m; j++) {                                                    \
      int64_t v = ir[j * istep] - base;                                                  \
      if ((uint64_t)v >= size) return false;                                             \
      o[j] = xr[j * step + v * stride];                                                  \
    }                                                                                    \
    return true;                                                                         \
  }
GATHER_ROW(uint8_t)
GATHER_ROW(uint32_t)
GATHER_ROW(uint64_t)

lc_tensor *lc_gather(const lc_tensor *t, int dim, const lc_tensor *index, int64_t base) {
  const char *op = "gather";
  if ((dim = check_args(op, t, dim, index, NULL)) < 0) return NULL;
  walk w;
  walk_init(&w, t, dim, index, NULL, base);
  const int64_t *idx = LC_PTR(int64_t, index);
  lc_tensor *out = lc_empty(t->dtype, index->ndim, index->sizes);
  if (!out) return NULL;
  int64_t rows = walk_rows(&w);
  /* Not memory-bound like a copy: the index is read and checked and x read
   * at random, about 1.5 ns per element on one thread, so a second thread
   * pays from the default grain on (as in PyTorch, whose gather runs on 2
   * threads at 1e5 elements) */
  bool par = rows > 1 && lc_numel(index) >= LC_PARALLEL_GRAIN, bad = false;
  size_t es = lc_dtype_size(t->dtype);
  bool (*row)(const walk *, const int64_t *, const void *, void *, const int64_t *) =
      es == 1 ? gather_row_uint8_t : es == 4 ? gather_row_uint32_t : gather_row_uint64_t;
  const char *x = (const char *)t->storage->data + t->offset * (int64_t)es;
  char *o = lc_data(out);
  /* the range check rides along; the first bad index is named afterwards */
#pragma omp parallel for if (par) schedule(static) reduction(|| : bad)
  for (int64_t r = 0; r < rows; r++) {
    int64_t off[3];
    walk_row(&w, r, off);
    if (!bad && !row(&w, off, x, o + r * w.m * (int64_t)es, idx)) bad = true;
  }
  if (bad) {
    check_index(op, &w, idx, dim);
    lc_release(out);
    return NULL;
  }
  if (lc_should_record(1, &t)) {
    lc_node *n = lc_record("GatherBackward", gather_backward, out, 1, &t);
    if (!n || lc_node_save(n, index)) {
      lc_release(out);
      return NULL;
    }
    n->ints[0] = dim;
    n->ints[1] = base;
    n->ints[2] = t->ndim;
    for (int i = 0; i < t->ndim; i++) n->ints[3 + i] = t->sizes[i];
  }
  return out;
}

/* grad_t = zeros(t); grad_t.scatter_add_(dim, index, g). ints: dim, base,
 * ndim, sizes...; saved 0: the index. */
static int gather_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *index = lc_node_saved(n, 0);
  if (!index) return -1;
  lc_tensor *gx = lc_zeros(grad_out[0]->dtype, (int)n->ints[2], &n->ints[3]);
  if (gx && lc_scatter_(gx, (int)n->ints[0], index, grad_out[0], 0, LC_SCATTER_ADD, n->ints[1])) {
    lc_release(gx);
    gx = NULL;
  }
  grad_in[0] = gx;
  return gx ? 0 : -1;
}

/* ---- scatter, out of place ------------------------------------------------------ */

/* Where a mode starts when the input is not included. */
static double identity_of(lc_scatter_mode mode) {
  switch (mode) {
  case LC_SCATTER_PROD: return 1;
  case LC_SCATTER_AMAX: return -INFINITY;
  case LC_SCATTER_AMIN: return INFINITY;
  default: return 0;
  }
}

/* The backward's node layout. ints: dim, mode, include_self, base, src
 * ndim, src sizes...; saved: index, then t, src, out (prod, amax, amin) or
 * the counts (mean). */
enum { I_DIM, I_MODE, I_SELF, I_BASE, I_SRC_NDIM, I_SRC_SIZES };

/* g with the positions index names set to 0: what flows back to t where
 * src replaced it. */
static lc_tensor *masked(const lc_tensor *g, int dim, const lc_tensor *index, int64_t base) {
  lc_tensor *c = lc_clone(g);
  if (c && lc_scatter_(c, dim, index, NULL, 0, LC_SCATTER_SET, base)) {
    lc_release(c);
    return NULL;
  }
  return c;
}

/* g's values at the targets, laid out as src (zeros past the index's extent). */
static lc_tensor *to_src(lc_node *n, const lc_tensor *g, const lc_tensor *index) {
  int dim = (int)n->ints[I_DIM];
  lc_tensor *picked = lc_gather(g, dim, index, n->ints[I_BASE]);
  int nd = (int)n->ints[I_SRC_NDIM];
  const int64_t *sizes = &n->ints[I_SRC_SIZES];
  if (!picked || (nd == index->ndim && !memcmp(sizes, index->sizes, nd * sizeof *sizes)))
    return picked;
  lc_tensor *gs = lc_zeros(g->dtype, nd, sizes);
  lc_tensor *region = gs ? lc_tensor_new_view(gs, index->ndim, index->sizes, gs->strides, 0) : NULL;
  int rc = region ? lc_copy_(region, picked) : -1;
  lc_release(region);
  lc_release(picked);
  if (rc) {
    lc_release(gs);
    return NULL;
  }
  return gs;
}

/* prod, amax and amin: per target, what each contributor's gradient is.
 *  prod: the product of the other contributors, kept as the product of the
 *        non-zero ones and the count of zeros so no division by 0 happens;
 *  amax/amin: the gradient shared evenly among contributors equal to the
 *        result, as PyTorch does.
 * Contributors of a target: t's value unless it was named and not included,
 * and every src element sent there. */
static int extreme_backward(lc_node *n, const lc_tensor *g, lc_tensor **gt, lc_tensor **gs) {
  lc_tensor *index = lc_node_saved(n, 0), *t = lc_node_saved(n, 1), *src = lc_node_saved(n, 2);
  lc_tensor *out = lc_node_saved(n, 3);
  if (!index || !t || !src || !out) return -1;
  lc_scatter_mode mode = (lc_scatter_mode)n->ints[I_MODE];
  bool incl = n->ints[I_SELF];
  int dim = (int)n->ints[I_DIM];
  lc_tensor *tc = lc_contiguous(t), *sc = lc_contiguous(src), *oc = lc_contiguous(out);
  lc_tensor *gc = lc_contiguous(g);
  int64_t nt = lc_numel(t);
  lc_tensor *acc = lc_zeros(LC_FLOAT64, t->ndim, t->sizes);   /* non-zero product, or count */
  lc_tensor *zeros = lc_zeros(LC_INT64, t->ndim, t->sizes);   /* zero factors */
  lc_tensor *hit = lc_zeros(LC_INT64, t->ndim, t->sizes);
  *gt = lc_zeros(t->dtype, t->ndim, t->sizes);
  *gs = lc_zeros(t->dtype, src->ndim, src->sizes);
  int rc = tc && sc && oc && gc && acc && zeros && hit && *gt && *gs ? 0 : -1;
  if (!rc) {
    walk w;
    walk_init(&w, tc, dim, index, sc, n->ints[I_BASE]);
    const int64_t *idx = LC_PTR(int64_t, index);
    int64_t rows = walk_rows(&w), *zc = lc_data(zeros), *h = lc_data(hit);
    double *a = lc_data(acc);
    bool prod = mode == LC_SCATTER_PROD;
    FOR_EACH_INDEX(w, idx, 0, rows, h[tp] = 1);
    /* the product of the contributors other than one of value v at p */
#define OTHERS(v, p) (zc[p] == 0 ? a[p] / (double)(v) : zc[p] == 1 && (v) == 0 ? a[p] : 0.0)
    LC_DISPATCH(t->dtype, T, {
      const T *x = lc_data(tc), *s = lc_data(sc), *y = lc_data(oc), *gy = lc_data(gc);
      T *dx = lc_data(*gt), *ds = lc_data(*gs);
      for (int64_t p = 0; p < nt; p++) {
        bool self = incl || !h[p];
        if (prod) a[p] = self && x[p] != 0 ? (double)x[p] : 1, zc[p] = self && x[p] == 0;
        else a[p] = self && x[p] == y[p];
      }
      if (prod) FOR_EACH_INDEX(w, idx, 0, rows, if (s[sp] == 0) zc[tp]++; else a[tp] *= (double)s[sp])
      else FOR_EACH_INDEX(w, idx, 0, rows, a[tp] += s[sp] == y[tp])
      for (int64_t p = 0; p < nt; p++) {
        if (!h[p]) dx[p] = gy[p];
        else if (!incl) dx[p] = 0;
        else if (prod) dx[p] = (T)((double)gy[p] * OTHERS(x[p], p));
        else dx[p] = x[p] == y[p] ? (T)((double)gy[p] / a[p]) : 0;
      }
      if (prod) FOR_EACH_INDEX(w, idx, 0, rows, ds[sp] = (T)((double)gy[tp] * OTHERS(s[sp], tp)))
      else FOR_EACH_INDEX(w, idx, 0, rows, ds[sp] = s[sp] == y[tp] ? (T)((double)gy[tp] / a[tp]) : 0)
    });
#undef OTHERS
  }
  lc_release(tc);
  lc_release(sc);
  lc_release(oc);
  lc_release(gc);
  lc_release(acc);
  lc_release(zeros);
  lc_release(hit);
  return rc;
}

/* set: t's gradient where src did not land, src's from its targets.
 * add/mean: the (mean: divided by the counts) gradient to both, t's masked
 * where it was not included. */
static int scatter_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  lc_scatter_mode mode = (lc_scatter_mode)n->ints[I_MODE];
  lc_tensor *index = lc_node_saved(n, 0);
  if (!index) return -1;
  int dim = (int)n->ints[I_DIM];
  int64_t base = n->ints[I_BASE];
  lc_tensor *g = grad_out[0], *gt = NULL, *gs = NULL;
  if (mode == LC_SCATTER_PROD || mode == LC_SCATTER_AMAX || mode == LC_SCATTER_AMIN) {
    if (extreme_backward(n, g, &gt, &gs)) {
      lc_release(gt);
      lc_release(gs);
      return -1;
    }
  } else {
    lc_tensor *counts = mode == LC_SCATTER_MEAN ? lc_node_saved(n, 1) : NULL;
    if (mode == LC_SCATTER_MEAN && !counts) return -1;
    lc_tensor *q = counts ? lc_binary(LC_DIV, g, counts) : lc_retain(g);
    if (!q) return -1;
    bool keep_all = mode != LC_SCATTER_SET && n->ints[I_SELF];
    if (lc_node_needs_grad(n, 0)) gt = keep_all ? lc_retain(q) : masked(q, dim, index, base);
    if (lc_node_needs_grad(n, 1)) gs = to_src(n, q, index);
    lc_release(q);
    if ((lc_node_needs_grad(n, 0) && !gt) || (lc_node_needs_grad(n, 1) && !gs)) {
      lc_release(gt);
      lc_release(gs);
      return -1;
    }
  }
  grad_in[0] = gt;
  if (lc_node_needs_grad(n, 1)) grad_in[1] = gs;
  else lc_release(gs);
  return 0;
}

static const char *const scatter_names[] = {
  [LC_SCATTER_SET] = "ScatterBackward", [LC_SCATTER_ADD] = "ScatterAddBackward",
  [LC_SCATTER_PROD] = "ScatterProdBackward", [LC_SCATTER_AMAX] = "ScatterAmaxBackward",
  [LC_SCATTER_AMIN] = "ScatterAminBackward", [LC_SCATTER_MEAN] = "ScatterMeanBackward"};

/* The MEAN forward: sums, then each position divided by how many values it
 * got (at least 1). *counts gets those numbers, in t's dtype. */
static int scatter_mean(const char *op, lc_tensor *out, int dim, const lc_tensor *index,
                        const lc_tensor *src, double value, bool include_self, int64_t base,
                        lc_tensor **counts) {
  *counts = lc_full(out->dtype, out->ndim, out->sizes, include_self ? 1 : 0);
  if (!*counts || scatter_into(op, out, dim, index, src, value, LC_SCATTER_ADD, base) ||
      scatter_into(op, *counts, dim, index, NULL, 1, LC_SCATTER_ADD, base))
    return -1;
  LC_DISPATCH(out->dtype, T, {
    T *o = lc_data(out), *c = lc_data(*counts);
    for (int64_t p = 0, np = lc_numel(out); p < np; p++) {
      if (c[p] == 0) c[p] = 1;
      o[p] = out->dtype == LC_INT64 ? (T)floor((double)o[p] / (double)c[p]) : o[p] / c[p];
    }
  });
  return 0;
}

static lc_tensor *scatter_op(const char *op, const lc_tensor *t, int dim, const lc_tensor *index,
                             const lc_tensor *src, double value, lc_scatter_mode mode,
                             bool include_self, int64_t base) {
  if ((dim = check_args(op, t, dim, index, src)) < 0) return NULL;
  bool was = lc_set_grad_enabled(false);
  lc_tensor *out = lc_clone(t), *counts = NULL;
  int rc = out ? 0 : -1;
  if (!rc && mode != LC_SCATTER_SET && !include_self)
    rc = scatter_into(op, out, dim, index, NULL, identity_of(mode), LC_SCATTER_SET, base);
  if (!rc && mode == LC_SCATTER_MEAN)
    rc = scatter_mean(op, out, dim, index, src, value, include_self, base, &counts);
  else if (!rc)
    rc = scatter_into(op, out, dim, index, src, value, mode, base);
  lc_set_grad_enabled(was);
  const lc_tensor *ins[2] = {t, src};
  if (!rc && lc_should_record(2, ins)) {
    if (!lc_dtype_is_float(t->dtype)) {
      lc_fail(LC_ERR_DTYPE, op, "only floating point tensors can require grad, got %s",
                   lc_dtype_name(t->dtype));
      rc = -1;
    }
    lc_node *n = rc ? NULL : lc_record(scatter_names[mode], scatter_backward, out, 2, ins);
    rc = n && !lc_node_save(n, index) ? 0 : -1;
    if (!rc && counts) rc = lc_node_save(n, counts);
    bool extreme = mode == LC_SCATTER_PROD || mode == LC_SCATTER_AMAX || mode == LC_SCATTER_AMIN;
    if (!rc && extreme) {
      lc_tensor *s = src ? lc_retain((lc_tensor *)src) : lc_full(t->dtype, index->ndim, index->sizes, value);
      rc = s && !lc_node_save(n, t) && !lc_node_save(n, s) && !lc_node_save(n, out) ? 0 : -1;
      lc_release(s);
    }
    if (!rc) {
      n->ints[I_DIM] = dim;
      n->ints[I_MODE] = mode;
      n->ints[I_SELF] = include_self;
      n->ints[I_BASE] = base;
      const lc_tensor *shape = src ? src : index;
      n->ints[I_SRC_NDIM] = shape->ndim;
      for (int i = 0; i < shape->ndim; i++) n->ints[I_SRC_SIZES + i] = shape->sizes[i];
    }
  }
  lc_release(counts);
  if (rc) {
    lc_release(out);
    return NULL;
  }
  return out;
}

lc_tensor *lc_scatter(const lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                      double value, lc_scatter_mode mode, bool include_self, int64_t base) {
  return scatter_op("scatter", t, dim, index, src, value, mode, include_self, base);
}

/* ---- index_add, index_copy, index_fill: a 1-D index along dim ------------------ */

/* index (0- or 1-D, n entries) seen with shape `like` but n along dim: every
 * slice along dim gets the same index, through stride-0 dims (no copy). */
static lc_tensor *spread_index(const char *op, const lc_tensor *index, int dim, const lc_tensor *like,
                               const lc_tensor *src) {
  char a[128], b[128];
  if (index->dtype != LC_INT64 || index->ndim > 1) {
    lc_fail(LC_ERR_DTYPE, op, "index must be a 0- or 1-D int64 tensor, got a %d-D %s tensor",
                 index->ndim, lc_dtype_name(index->dtype));
    return NULL;
  }
  int64_t n = lc_numel(index), sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS] = {0};
  for (int i = 0; i < like->ndim; i++) sizes[i] = like->sizes[i];
  if (like->ndim) {
    sizes[dim] = n;
    strides[dim] = index->ndim ? index->strides[0] : 0;
  }
  if (src) { /* src must be t's shape with n along dim */
    bool ok = src->ndim == like->ndim || (like->ndim == 0 && src->ndim == 1);
    for (int i = 0; ok && i < src->ndim && like->ndim; i++) ok = src->sizes[i] == sizes[i];
    if (!ok || (src->ndim && !like->ndim && src->sizes[0] != n)) {
      lc_fail(LC_ERR_SHAPE, op, "source must have shape %s (the input's, with the index's length along dim "
                   "%d), got %s", lc_shape_str(a, like->ndim, sizes), dim + 1,
                   lc_shape_str(b, src->ndim, src->sizes));
      return NULL;
    }
  }
  return lc_tensor_new_view(index, like->ndim, sizes, strides, index->offset);
}

static lc_tensor *index_op(const char *op, const lc_tensor *t, int dim, const lc_tensor *index,
                           const lc_tensor *src, double value, lc_scatter_mode mode, int64_t base) {
  if ((dim = lc_check_dim(op, t, dim, false)) < 0) return NULL;
  lc_tensor *full = spread_index(op, index, dim, t, src);
  lc_tensor *out = full ? scatter_op(op, t, dim, full, src, value, mode, true, base) : NULL;
  lc_release(full);
  return out;
}

lc_tensor *lc_index_add(const lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                        double alpha, int64_t base) {
  if (!src) {
    lc_fail(LC_ERR_ARG, "index_add", "source must be a tensor");
    return NULL;
  }
  lc_tensor *scaled = alpha == 1 ? lc_retain((lc_tensor *)src) : lc_binary_scalar(LC_MUL, src, alpha, false);
  lc_tensor *out = scaled ? index_op("index_add", t, dim, index, scaled, 0, LC_SCATTER_ADD, base) : NULL;
  lc_release(scaled);
  return out;
}

lc_tensor *lc_index_copy(const lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                         int64_t base) {
  if (!src) {
    lc_fail(LC_ERR_ARG, "index_copy", "source must be a tensor");
    return NULL;
  }
  return index_op("index_copy", t, dim, index, src, 0, LC_SCATTER_SET, base);
}

lc_tensor *lc_index_fill(const lc_tensor *t, int dim, const lc_tensor *index, double value,
                         int64_t base) {
  return index_op("index_fill", t, dim, index, NULL, value, LC_SCATTER_SET, base);
}

/* ---- index_put: positions given per leading dim ---------------------------------- */

/* The k index tensors broadcast together and folded into one position
 * along the first k dims of t (row-major, 0-based). */
static lc_tensor *linear_index(const lc_tensor *t, int k, lc_tensor *const *indices, int64_t base) {
  int64_t shape[LC_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < k; i++) {
    if (indices[i]->dtype != LC_INT64) {
      lc_fail(LC_ERR_DTYPE, "index_put", "indices must be int64 tensors, got %s for dim %d",
                   lc_dtype_name(indices[i]->dtype), i + 1);
      return NULL;
    }
    if (i == 0) {
      nd = indices[0]->ndim;
      memcpy(shape, indices[0]->sizes, nd * sizeof *shape);
    } else {
      lc_tensor *probe = lc_empty(LC_INT64, nd, shape); /* shape only: its data is never read */
      int r = probe ? lc_broadcast_shape("index_put", probe, indices[i], shape) : -1;
      lc_release(probe);
      if (r < 0) return NULL;
      nd = r;
    }
  }
  lc_tensor *lin = lc_zeros(LC_INT64, nd, shape);
  if (!lin) return NULL;
  int64_t n = lc_numel(lin), stride = 1;
  int64_t *out = lc_data(lin);
  for (int i = k - 1; i >= 0; i--) {
    lc_tensor *e = lc_expand(indices[i], nd, shape);
    lc_tensor *c = e ? lc_contiguous(e) : NULL;
    lc_release(e);
    if (!c) {
      lc_release(lin);
      return NULL;
    }
    const int64_t *v = lc_data(c);
    int64_t size = t->sizes[i];
    for (int64_t j = 0; j < n; j++) {
      /* negative positions count from the end, as in PyTorch */
      int64_t p = v[j] < 0 ? v[j] + size : v[j] - base;
      if (p < 0 || p >= size) {
        lc_fail(LC_ERR_INDEX, "index_put", "index %lld is out of range for dim %d of size %lld",
                     (long long)v[j], i + 1, (long long)size);
        lc_release(c);
        lc_release(lin);
        return NULL;
      }
      out[j] += p * stride;
    }
    lc_release(c);
    stride *= size;
  }
  return lin;
}

lc_tensor *lc_index_put_nd(const lc_tensor *t, int k, lc_tensor *const *indices,
                        const lc_tensor *values, bool accumulate, int64_t base) {
  if (k < 1 || k > t->ndim) {
    lc_fail(LC_ERR_ARG, "index_put", "expected 1 to %d index tensors for a %d-D input, got %d", t->ndim,
                 t->ndim, k);
    return NULL;
  }
  lc_tensor *lin = linear_index(t, k, indices, base);
  if (!lin) return NULL;
  /* t as (positions, rest...), values as (len(lin), rest...) */
  int64_t ts[LC_MAX_DIMS], vs[LC_MAX_DIMS];
  int rest = t->ndim - k, bd = lin->ndim;
  ts[0] = 1;
  for (int i = 0; i < k; i++) ts[0] *= t->sizes[i];
  for (int i = 0; i < rest; i++) ts[1 + i] = vs[bd + i] = t->sizes[k + i];
  memcpy(vs, lin->sizes, bd * sizeof *vs);
  lc_tensor *out = NULL, *flat_lin = NULL, *tv = NULL, *ve = NULL, *vf = NULL, *r = NULL;
  int64_t nlin = lc_numel(lin), fs[LC_MAX_DIMS];
  fs[0] = nlin;
  for (int i = 0; i < rest; i++) fs[1 + i] = t->sizes[k + i];
  if (bd + rest > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "index_put", "at most %d dims are supported", LC_MAX_DIMS);
  } else if ((flat_lin = lc_reshape(lin, 1, &nlin)) && (tv = lc_reshape(t, 1 + rest, ts))) {
    if (!(ve = lc_expand(values, bd + rest, vs))) {
      char a[128], b[128];
      lc_fail(LC_ERR_SHAPE, "index_put", "values of shape %s cannot be broadcast to the indexed shape %s",
                   lc_shape_str(a, values->ndim, values->sizes), lc_shape_str(b, bd + rest, vs));
    } else if ((vf = lc_reshape(ve, 1 + rest, fs))) {
      r = accumulate ? lc_index_add(tv, 0, flat_lin, vf, 1, 0) : lc_index_copy(tv, 0, flat_lin, vf, 0);
      if (r) out = lc_reshape(r, t->ndim, t->sizes);
    }
  }
  lc_release(lin);
  lc_release(flat_lin);
  lc_release(tv);
  lc_release(ve);
  lc_release(vf);
  lc_release(r);
  return out;
}

/* ---- take, take_along_dim ----------------------------------------------------------- */

lc_tensor *lc_take(const lc_tensor *t, const lc_tensor *index, int64_t base) {
  int64_t all = -1;
  lc_tensor *ft = lc_reshape(t, 1, &all), *fi = lc_reshape(index, 1, &all);
  lc_tensor *g = ft && fi ? lc_gather(ft, 0, fi, base) : NULL;
  lc_tensor *out = g ? lc_view(g, index->ndim, index->sizes) : NULL;
  lc_release(ft);
  lc_release(fi);
  lc_release(g);
  return out;
}

lc_tensor *lc_take_along_dim(const lc_tensor *t, const lc_tensor *index, int dim, int64_t base) {
  char a[128], b[128];
  if (dim == LC_ALL_DIMS) {
    int64_t all = -1;
    lc_tensor *fi = lc_reshape(index, 1, &all);
    lc_tensor *out = fi ? lc_take(t, fi, base) : NULL;
    lc_release(fi);
    return out;
  }
  if ((dim = lc_check_dim("take_along_dim", t, dim, false)) < 0) return NULL;
  if (index->ndim != t->ndim) {
    lc_fail(LC_ERR_SHAPE, "take_along_dim", "indices must have as many dims as the input (%d), got %d",
                 t->ndim, index->ndim);
    return NULL;
  }
  /* broadcast every dim but dim */
  int64_t ts[LC_MAX_DIMS], is[LC_MAX_DIMS];
  for (int i = 0; i < t->ndim; i++) {
    int64_t x = t->sizes[i], y = index->sizes[i];
    if (i != dim && x != y && x != 1 && y != 1) {
      lc_fail(LC_ERR_SHAPE, "take_along_dim", "input of shape %s and indices of shape %s do not broadcast "
                   "outside dim %d", lc_shape_str(a, t->ndim, t->sizes),
                   lc_shape_str(b, index->ndim, index->sizes), dim + 1);
      return NULL;
    }
    ts[i] = is[i] = i == dim ? 0 : (x == 1 ? y : x);
  }
  if (t->ndim) ts[dim] = t->sizes[dim], is[dim] = index->sizes[dim];
  lc_tensor *te = lc_expand(t, t->ndim, ts), *ie = lc_expand(index, index->ndim, is);
  lc_tensor *out = te && ie ? lc_gather(te, dim, ie, base) : NULL;
  lc_release(te);
  lc_release(ie);
  return out;
}
