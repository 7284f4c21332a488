/* reduce.c: sum, mean, max/min/argmax, softmax and log_softmax. Each op's
 * backward follows its forward.
 *
 * Every kernel sees its input as a contiguous (outer, n, inner) block and
 * works along the middle axis; a strided input (a transposed or expanded
 * view) is copied first, which keeps one kernel per op. The work is cut into
 * cells of whole outer rows, up to BLOCK inner columns and up to CHUNK
 * reduced elements. The cut depends only on the shape, never on the thread
 * count, so results are bitwise the same on any number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

#define BLOCK 64     /* inner columns per cell: the running results live on the stack */
#define CHUNK 32768  /* longer reductions are split and their partials combined */
#define ITEM 8192    /* short rows are grouped until a cell has about this many elements */

/* LC_DISPATCH plus A, the type sums accumulate in: double for both float
 * types (contiguous float32 rows add short blocks in float first, see
 * sum_row_f32), uint64_t for int64
 * so overflow wraps as in PyTorch instead of being undefined. */
#define DISPATCH_ACC(dtype, T, A, ...)                                          \
  do {                                                                          \
    switch (dtype) {                                                            \
    case LC_FLOAT32: { typedef float T; typedef double A; __VA_ARGS__ } break;  \
    case LC_FLOAT64: { typedef double T; typedef double A; __VA_ARGS__ } break; \
    case LC_INT64: { typedef int64_t T; typedef uint64_t A; __VA_ARGS__ } break; \
    default: break; /* bool is converted by the callers */                    \
    }                                                                           \
  } while (0)

static inline bool is_nan(double v) { return isnan(v); }

/* v replaces the running best b when strictly better (so ties keep the first
 * occurrence) or when it is the first NaN, which then sticks, as in PyTorch. */
#define BEATS(is_max, v, b) \
  ((is_max) ? (v) > (b) : (v) < (b)) || (is_nan((double)(v)) && !is_nan((double)(b)))

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- shapes and the work grid -------------------------------------------- */

/* sizes seen as (outer, n, inner) around dim; dim < 0 means all elements. */
static void split_at(int ndim, const int64_t *sizes, int dim, int64_t *outer, int64_t *n,
                     int64_t *inner) {
  *outer = *n = *inner = 1;
  for (int i = 0; i < ndim; i++) {
    if (dim < 0 || i == dim) *n *= sizes[i];
    else if (i < dim) *outer *= sizes[i];
    else *inner *= sizes[i];
  }
}

typedef struct {
  int64_t outer, n, inner;
  int64_t rows, nr;  /* outer rows per cell, and the number of row groups */
  int64_t nb;        /* column blocks */
  int64_t chunk, nc; /* reduced elements per cell, and the number of chunks */
} grid;

typedef struct {
  int64_t o0, o1; /* outer rows */
  int64_t i0, cols;
  int64_t k0, k1, kc; /* reduced range and its chunk number */
} cell;

static grid make_grid(int64_t outer, int64_t n, int64_t inner, bool split_n) {
  grid g = {.outer = outer, .n = n, .inner = inner};
  g.nb = (inner + BLOCK - 1) / BLOCK;
  g.nc = split_n && n > CHUNK ? (n + CHUNK - 1) / CHUNK : 1;
  g.chunk = g.nc > 1 ? CHUNK : n;
  int64_t per_row = (g.chunk > 0 ? g.chunk : 1) * (inner < BLOCK ? (inner > 0 ? inner : 1) : BLOCK);
  g.rows = per_row >= ITEM ? 1 : ITEM / per_row;
  g.nr = (outer + g.rows - 1) / g.rows;
  return g;
}

static cell grid_cell(const grid *g, int64_t w) {
  cell c;
  c.kc = w % g->nc;
  int64_t b = (w / g->nc) % g->nb, r = w / g->nc / g->nb;
  c.o0 = r * g->rows;
  c.o1 = min64(c.o0 + g->rows, g->outer);
  c.i0 = b * BLOCK;
  c.cols = min64(BLOCK, g->inner - c.i0);
  c.k0 = c.kc * g->chunk;
  c.k1 = min64(c.k0 + g->chunk, g->n);
  return c;
}

/* Runs fn on every cell, on several threads above grain elements. The
 * type switch sits inside fn, per cell, because a #pragma cannot go inside
 * LC_DISPATCH's macro argument. */
static void run_cells(const grid *g, int64_t grain, void (*fn)(const void *ctx, cell c),
                      const void *ctx) {
  int64_t cells = g->nr * g->nb * g->nc;
  if (g->outer * g->n * g->inner < grain) { /* no region: even an inactive one */
    for (int64_t w = 0; w < cells; w++) fn(ctx, grid_cell(g, w)); /* starts a libgomp team */
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t w = 0; w < cells; w++) fn(ctx, grid_cell(g, w));
}

/* A contiguous version of t for the kernels to read, without recording an
 * autograd node for the copy (the op records its own). */
static lc_tensor *contiguous_untracked(const lc_tensor *t) {
  bool was = lc_set_grad_enabled(false);
  lc_tensor *c = lc_contiguous(t);
  lc_set_grad_enabled(was);
  return c;
}

static int require_float(const char *op, const lc_tensor *t) {
  if (lc_dtype_is_float(t->dtype)) return 0;
  lc_fail(LC_ERR_DTYPE, op, "expected a floating point tensor, got %s", lc_dtype_name(t->dtype));
  return -1;
}

/* ---- the reduction kernel: sum, mean, max, min ---------------------------- */

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN } rkind;

typedef struct {
  rkind kind;
  lc_dtype dtype;
  grid g;
  const void *x;
  void *out;      /* outer * inner results of type T */
  int64_t *idx;   /* their positions (max/min only; may be NULL) ... */
  int64_t base;   /* ... counted from base */
  void *part;     /* when g.nc > 1: per-chunk partials, A or T, chunk fastest */
  int64_t *part_idx;
} rplan;

/* Sums of a contiguous row. LANES running sums (vector registers' worth)
 * hide the add latency so the loops run at memory speed; the order is fixed,
 * so results do not depend on the machine. float32 adds BLOCK values per
 * lane in float before each goes into a double lane: as fast as a float sum,
 * as exact as a double one to float32 rounding. */
enum { LANES = 32, BLOCK_F32 = 8 };

/* The lanes as GCC vectors of 32 bytes (4 of floats, 8 of doubles): written
 * with plain arrays, GCC kept them on the stack and reloaded them across a
 * store-to-load forwarding stall every block (half the speed on cached
 * rows). Vector types keep them in registers on every clone; the lane
 * arithmetic is the same, so the results are too. u: unaligned loads. */
typedef float f32x8 __attribute__((vector_size(32)));
typedef float f32x8u __attribute__((vector_size(32), aligned(4)));
typedef double f64x4 __attribute__((vector_size(32)));
typedef double f64x4u __attribute__((vector_size(32), aligned(8)));
#define LO4(v) __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), f64x4)
#define HI4(v) __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), f64x4)

static double fold(const f64x4 *vec, double tail) {
  double lane[LANES];
  memcpy(lane, vec, sizeof lane);
  for (int w = LANES / 2; w > 0; w /= 2) /* pairwise */
    for (int l = 0; l < w; l++) lane[l] += lane[l + w];
  return lane[0] + tail;
}

LC_CLONES static double sum_row_f32(const float *x, int64_t n) {
  f64x4 lane[LANES / 4] = {0};
  double tail = 0;
  int64_t k = 0;
  for (; k + LANES * BLOCK_F32 <= n; k += LANES * BLOCK_F32) {
    const f32x8u *v = (const f32x8u *)(x + k);
    f32x8 p0 = v[0], p1 = v[1], p2 = v[2], p3 = v[3];
    for (int b = 1; b < BLOCK_F32; b++) {
      p0 += v[4 * b], p1 += v[4 * b + 1], p2 += v[4 * b + 2], p3 += v[4 * b + 3];
    }
    lane[0] += LO4(p0), lane[1] += HI4(p0), lane[2] += LO4(p1), lane[3] += HI4(p1);
    lane[4] += LO4(p2), lane[5] += HI4(p2), lane[6] += LO4(p3), lane[7] += HI4(p3);
  }
  for (; k < n; k++) tail += x[k];
  return fold(lane, tail);
}

LC_CLONES static double sum_row_f64(const double *x, int64_t n) {
  f64x4 lane[LANES / 4] = {0};
  double tail = 0;
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES) {
    const f64x4u *v = (const f64x4u *)(x + k);
    for (int j = 0; j < LANES / 4; j++) lane[j] += v[j];
  }
  for (; k < n; k++) tail += x[k];
  return fold(lane, tail);
}

static void reduce_cell(const void *ctx, cell c) {
  const rplan *p = ctx;
  const grid *g = &p->g;
  bool is_max = p->kind == R_MAX, split = g->nc > 1;
  DISPATCH_ACC(p->dtype, T, A, {
    for (int64_t o = c.o0; o < c.o1; o++) {
      const T *x = (const T *)p->x + (o * g->n + c.k0) * g->inner + c.i0;
      int64_t e0 = o * g->inner + c.i0; /* first output element of this row */
      if (p->kind == R_SUM || p->kind == R_MEAN) {
        A acc[BLOCK];
        if (g->inner == 1 && p->dtype != LC_INT64) {
          acc[0] = p->dtype == LC_FLOAT32 ? (A)sum_row_f32((const float *)x, c.k1 - c.k0)
                                          : (A)sum_row_f64((const double *)x, c.k1 - c.k0);
        } else if (g->inner == 1) {
          acc[0] = 0;
          for (int64_t k = 0; k < c.k1 - c.k0; k++) acc[0] += (A)x[k];
        } else {
          for (int64_t j = 0; j < c.cols; j++) acc[j] = 0;
          for (int64_t k = c.k0; k < c.k1; k++, x += g->inner)
            for (int64_t j = 0; j < c.cols; j++) acc[j] += (A)x[j];
        }
        if (split) {
          for (int64_t j = 0; j < c.cols; j++) ((A *)p->part)[(e0 + j) * g->nc + c.kc] = acc[j];
        } else if (p->kind == R_MEAN) {
          for (int64_t j = 0; j < c.cols; j++) ((T *)p->out)[e0 + j] = (T)((double)acc[j] / g->n);
        } else {
          for (int64_t j = 0; j < c.cols; j++) ((T *)p->out)[e0 + j] = (T)acc[j];
        }
      } else {
        T best[BLOCK];
        int64_t at[BLOCK];
        for (int64_t j = 0; j < c.cols; j++) best[j] = x[j], at[j] = c.k0;
        x += g->inner;
        /* A row's new best is rare, so a branch predicts well; across columns,
         * branch-free selects with the max/min test hoisted vectorise. */
        if (g->inner == 1)
          for (int64_t k = c.k0 + 1; k < c.k1; k++, x++) {
            if (BEATS(is_max, x[0], best[0])) best[0] = x[0], at[0] = k;
          }
        else if (is_max)
          for (int64_t k = c.k0 + 1; k < c.k1; k++, x += g->inner)
            for (int64_t j = 0; j < c.cols; j++) {
              bool take = BEATS(true, x[j], best[j]);
              best[j] = take ? x[j] : best[j];
              at[j] = take ? k : at[j];
            }
        else
          for (int64_t k = c.k0 + 1; k < c.k1; k++, x += g->inner)
            for (int64_t j = 0; j < c.cols; j++) {
              bool take = BEATS(false, x[j], best[j]);
              best[j] = take ? x[j] : best[j];
              at[j] = take ? k : at[j];
            }
        T *vals = split ? p->part : p->out;
        int64_t *pos = split ? p->part_idx : p->idx;
        for (int64_t j = 0; j < c.cols; j++) {
          int64_t e = split ? (e0 + j) * g->nc + c.kc : e0 + j;
          vals[e] = best[j];
          if (pos) pos[e] = at[j] + p->base;
        }
      }
    }
  });
}

/* Folds output element e's per-chunk partials, in chunk order so that ties
 * still resolve to the first occurrence. */
static void combine_output(const rplan *p, int64_t e) {
  int64_t nc = p->g.nc;
  bool is_max = p->kind == R_MAX;
  DISPATCH_ACC(p->dtype, T, A, {
    if (p->kind == R_SUM || p->kind == R_MEAN) {
      const A *part = (const A *)p->part + e * nc;
      A acc = 0;
      for (int64_t c = 0; c < nc; c++) acc += part[c];
      if (p->kind == R_MEAN) ((T *)p->out)[e] = (T)((double)acc / p->g.n);
      else ((T *)p->out)[e] = (T)acc;
    } else {
      const T *part = (const T *)p->part + e * nc;
      const int64_t *pos = p->part_idx + e * nc;
      T best = part[0];
      int64_t at = pos[0];
      for (int64_t c = 1; c < nc; c++)
        if (BEATS(is_max, part[c], best)) best = part[c], at = pos[c];
      ((T *)p->out)[e] = best;
      if (p->idx) p->idx[e] = at;
    }
  });
}

static int run_reduce(rplan *p) {
  const grid *g = &p->g;
  int64_t nout = g->outer * g->inner;
  if (g->nc > 1) {
    p->part = lc_malloc((size_t)(nout * g->nc) * 8, "reduce");
    p->part_idx = lc_malloc((size_t)(nout * g->nc) * sizeof(int64_t), "reduce");
    if (!p->part || !p->part_idx) {
      free(p->part);
      free(p->part_idx);
      return -1;
    }
  }
  /* sums and extrema read each element once: memory-bound */
  run_cells(g, LC_PARALLEL_GRAIN_STREAM, reduce_cell, p);
  if (g->nc > 1) {
#pragma omp parallel for if (nout * g->nc >= LC_PARALLEL_GRAIN) schedule(static)
    for (int64_t e = 0; e < nout; e++) combine_output(p, e);
    free(p->part);
    free(p->part_idx);
  }
  return 0;
}

/* What a reduction did, for its autograd node. */
typedef struct {
  int dim;   /* normalised; -1 for all dims (or a 0-dim input) */
  int64_t n; /* elements per output */
} rinfo;

/* Reduces t over dim (or LC_ALL_DIMS). Values come back in the input's
 * dtype; *indices (max/min, when not NULL) gets int64 positions. */
static lc_tensor *reduce(const char *op, rkind kind, const lc_tensor *t, int dim, bool keepdim,
                         int64_t base, lc_tensor **indices, rinfo *info) {
  if (indices) *indices = NULL;
  int d = -1, out_ndim = 0;
  int64_t out_sizes[LC_MAX_DIMS];
  if (dim == LC_ALL_DIMS) {
    out_ndim = keepdim ? t->ndim : 0;
    for (int i = 0; i < out_ndim; i++) out_sizes[i] = 1;
  } else {
    if ((d = lc_check_dim(op, t, dim, false)) < 0) return NULL;
    if (t->ndim == 0) d = -1; /* dim 0 of a scalar: the one element */
    for (int i = 0; i < t->ndim; i++)
      if (i != d || keepdim) out_sizes[out_ndim++] = i == d ? 1 : t->sizes[i];
  }
  rplan p = {.kind = kind, .dtype = t->dtype, .base = base};
  int64_t outer, n, inner;
  split_at(t->ndim, t->sizes, d, &outer, &n, &inner);
  if ((kind == R_MAX || kind == R_MIN) && n == 0) {
    char s[128];
    if (d < 0)
      lc_fail(LC_ERR_SHAPE, op, "cannot reduce an empty tensor (shape %s); give a dim",
                   lc_shape_str(s, t->ndim, t->sizes));
    else
      lc_fail(LC_ERR_SHAPE, op, "cannot reduce over dim %d of size 0 (shape %s)", d + 1,
                   lc_shape_str(s, t->ndim, t->sizes));
    return NULL;
  }
  /* Over all dims the order of the elements does not matter (without
   * indices), so a transposed or permuted input is read where it lies. */
  int64_t numel = outer * n * inner, one = 1;
  lc_tensor *x = d < 0 && !indices && lc_is_dense(t)
                   ? lc_tensor_new_view(t, 1, &numel, &one, t->offset)
                   : contiguous_untracked(t);
  lc_tensor *out = x ? lc_empty(t->dtype, out_ndim, out_sizes) : NULL;
  lc_tensor *idx = out && indices ? lc_empty(LC_INT64, out_ndim, out_sizes) : NULL;
  if (!out || (indices && !idx)) goto fail;
  p.g = make_grid(outer, n, inner, true);
  p.x = lc_data(x);
  p.out = lc_data(out);
  p.idx = idx ? lc_data(idx) : NULL;
  if (run_reduce(&p)) goto fail;
  lc_release(x);
  if (indices) *indices = idx;
  *info = (rinfo){d, n};
  return out;
fail:
  lc_release(x);
  lc_release(out);
  lc_release(idx);
  return NULL;
}

/* A reduction node remembers dim in ints[0], keepdim in ints[1] and the
 * input's shape in ints[2] (ndim) and ints[3..]. */
static lc_node *record(const char *name, lc_backward_fn fn, lc_tensor *out, const lc_tensor *t,
                       const rinfo *info, bool keepdim) {
  lc_node *n = lc_record(name, fn, out, 1, &t);
  if (!n) return NULL;
  n->ints[0] = info->dim;
  n->ints[1] = keepdim;
  n->ints[2] = t->ndim;
  for (int i = 0; i < t->ndim; i++) n->ints[3 + i] = t->sizes[i];
  return n;
}

#define SAVED_NDIM(n) ((int)(n)->ints[2])
#define SAVED_SIZES(n) ((n)->ints + 3)
#define SAVED_BASE(n) ((n)->ints[3 + LC_MAX_DIMS]) /* max/min: the indices' base */

/* The output gradient g as a view with the input's shape: the reduced dim
 * put back (size 1) and broadcast. */
static lc_tensor *expand_to_input(const lc_node *n, const lc_tensor *g) {
  int dim = (int)n->ints[0];
  bool keepdim = n->ints[1];
  lc_tensor *u = dim >= 0 && !keepdim ? lc_unsqueeze(g, dim) : lc_retain((lc_tensor *)g);
  if (!u) return NULL;
  lc_tensor *e = lc_expand(u, SAVED_NDIM(n), SAVED_SIZES(n));
  lc_release(u);
  return e;
}

/* ---- sum ----------------------------------------------------------------- */

static int sum_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *e = expand_to_input(n, grad_out[0]);
  if (!e) return -1;
  grad_in[0] = lc_contiguous(e);
  lc_release(e);
  return grad_in[0] ? 0 : -1;
}

/* Bool tensors reduce as int64 (PyTorch counts with sum); max/min give
 * their values back as bool. */
static lc_tensor *as_int64(const lc_tensor *t) { return lc_to(t, LC_INT64); }

lc_tensor *lc_sum(const lc_tensor *t, int dim, bool keepdim) {
  if (t->dtype == LC_BOOL) {
    lc_tensor *i = as_int64(t), *r = i ? lc_sum(i, dim, keepdim) : NULL;
    lc_release(i);
    return r;
  }
  rinfo info;
  lc_tensor *out = reduce("sum", R_SUM, t, dim, keepdim, 0, NULL, &info);
  if (!out || !lc_should_record(1, &t)) return out;
  if (!record("SumBackward", sum_backward, out, t, &info, keepdim)) {
    lc_release(out);
    return NULL;
  }
  return out;
}

/* ---- mean ---------------------------------------------------------------- */

static int mean_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *e = expand_to_input(n, grad_out[0]);
  if (!e) return -1;
  grad_in[0] = lc_binary_scalar(LC_DIV, e, n->scalar[0], false);
  lc_release(e);
  return grad_in[0] ? 0 : -1;
}

lc_tensor *lc_mean(const lc_tensor *t, int dim, bool keepdim) {
  if (require_float("mean", t)) return NULL;
  rinfo info;
  lc_tensor *out = reduce("mean", R_MEAN, t, dim, keepdim, 0, NULL, &info);
  if (!out || !lc_should_record(1, &t)) return out;
  lc_node *n = record("MeanBackward", mean_backward, out, t, &info, keepdim);
  if (!n) {
    lc_release(out);
    return NULL;
  }
  n->scalar[0] = (double)info.n;
  return out;
}

/* ---- max / min ----------------------------------------------------------- */

typedef struct {
  grid g;
  lc_dtype dtype;
  int64_t len;    /* the reduced dim's size (the grid's n is 1: one write per output) */
  const int64_t *idx;
  int64_t base;   /* idx counts from it */
  const void *gy; /* outer * inner output gradients */
  void *gx;       /* zeros of the input's shape */
} scatter_plan;

static void scatter_cell(const void *ctx, cell c) {
  const scatter_plan *p = ctx;
  const grid *g = &p->g;
  LC_DISPATCH(p->dtype, T, {
    const T *gy = p->gy;
    T *gx = p->gx;
    for (int64_t o = c.o0; o < c.o1; o++)
      for (int64_t j = 0; j < c.cols; j++) {
        int64_t e = o * g->inner + c.i0 + j, k = p->idx[e] - p->base;
        /* The version check catches indices changed through the API; this
         * guards memory against a raw write into them. */
        if (k >= 0 && k < p->len) gx[(o * p->len + k) * g->inner + c.i0 + j] = gy[e];
      }
  });
}

/* Over a dim: the gradient goes to the position each output came from. */
static int select_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *saved = lc_node_saved(n, 0);
  if (!saved) return -1;
  lc_tensor *idx = lc_contiguous(saved), *gy = lc_contiguous(grad_out[0]);
  lc_tensor *gx = idx && gy ? lc_zeros(gy->dtype, SAVED_NDIM(n), SAVED_SIZES(n)) : NULL;
  if (gx) {
    scatter_plan p = {.dtype = gx->dtype, .idx = lc_data(idx), .base = SAVED_BASE(n),
                      .gy = lc_data(gy), .gx = lc_data(gx)};
    int64_t outer, len, inner;
    split_at(SAVED_NDIM(n), SAVED_SIZES(n), (int)n->ints[0], &outer, &len, &inner);
    p.len = len;
    p.g = make_grid(outer, 1, inner, false);
    run_cells(&p.g, LC_PARALLEL_GRAIN_STREAM, scatter_cell, &p);
  }
  lc_release(idx);
  lc_release(gy);
  grad_in[0] = gx;
  return gx ? 0 : -1;
}

/* Over all elements: PyTorch (1.13) shares the gradient evenly among every
 * element equal to the maximum (or among the NaNs when it is NaN). */
static int spread_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *x = lc_node_saved(n, 0);
  if (!x) return -1;
  double best = n->scalar[0];
  lc_tensor *mask = is_nan(best) ? lc_binary(LC_NE, x, x) : lc_binary_scalar(LC_EQ, x, best, false);
  lc_tensor *count = mask ? lc_sum(mask, LC_ALL_DIMS, false) : NULL;
  /* the share as a tensor of x's dtype: a number would make a bool mask float32 */
  lc_tensor *share = count ? lc_scalar(x->dtype, lc_get(grad_out[0], 0) / lc_get(count, 0)) : NULL;
  if (share) grad_in[0] = lc_binary(LC_MUL, mask, share);
  lc_release(share);
  lc_release(mask);
  lc_release(count);
  return grad_in[0] ? 0 : -1;
}

static lc_tensor *extremum(const char *op, rkind kind, const lc_tensor *t, int dim, bool keepdim,
                           int64_t base, lc_tensor **indices) {
  if (t->dtype == LC_BOOL) {
    lc_tensor *i = as_int64(t), *r = i ? extremum(op, kind, i, dim, keepdim, base, indices) : NULL;
    lc_tensor *b = r ? lc_to(r, LC_BOOL) : NULL;
    lc_release(i);
    lc_release(r);
    if (!b && indices) {
      lc_release(*indices);
      *indices = NULL;
    }
    return b;
  }
  rinfo info;
  lc_tensor *idx = NULL;
  if (indices) *indices = NULL;
  bool record_grad = lc_should_record(1, &t);
  bool need_idx = indices || (record_grad && dim != LC_ALL_DIMS);
  lc_tensor *out = reduce(op, kind, t, dim, keepdim, base, need_idx ? &idx : NULL, &info);
  if (out && record_grad) {
    const char *name = kind == R_MAX ? "MaxBackward" : "MinBackward";
    bool all = dim == LC_ALL_DIMS;
    lc_node *n = record(name, all ? spread_backward : select_backward, out, t, &info, keepdim);
    if (n && all) n->scalar[0] = lc_get(out, 0);
    if (n) SAVED_BASE(n) = base;
    if (!n || lc_node_save(n, all ? t : idx)) {
      lc_release(out);
      out = NULL;
    }
  }
  if (out && indices) *indices = lc_retain(idx);
  lc_release(idx);
  return out;
}

lc_tensor *lc_max(const lc_tensor *t, int dim, bool keepdim, int64_t base, lc_tensor **indices) {
  return extremum("max", R_MAX, t, dim, keepdim, base, indices);
}

lc_tensor *lc_min(const lc_tensor *t, int dim, bool keepdim, int64_t base, lc_tensor **indices) {
  return extremum("min", R_MIN, t, dim, keepdim, base, indices);
}

/* ---- argmax -------------------------------------------------------------- */

/* No gradient: indices are not differentiable. */
static lc_tensor *arg_extremum(const char *op, rkind kind, const lc_tensor *t, int dim, bool keepdim,
                               int64_t base) {
  if (t->dtype == LC_BOOL) { /* as PyTorch */
    lc_fail(LC_ERR_DTYPE, op, "not implemented for bool tensors");
    return NULL;
  }
  rinfo info;
  lc_tensor *idx = NULL;
  lc_tensor *vals = reduce(op, kind, t, dim, keepdim, base, &idx, &info);
  lc_release(vals);
  return idx;
}

lc_tensor *lc_argmax(const lc_tensor *t, int dim, bool keepdim, int64_t base) {
  return arg_extremum("argmax", R_MAX, t, dim, keepdim, base);
}

lc_tensor *lc_argmin(const lc_tensor *t, int dim, bool keepdim, int64_t base) {
  return arg_extremum("argmin", R_MIN, t, dim, keepdim, base);
}

/* ---- softmax / log_softmax ----------------------------------------------- */

typedef struct {
  grid g;
  lc_dtype dtype;
  bool log;
  const void *x; /* forward: the input; backward: the saved output y */
  const void *gy;
  void *out;     /* forward: y; backward: the input's gradient */
} softmax_plan;

/* exp in the precision of T: float32 results do not need the slower double exp. */
#define exp_t(zero, v) (sizeof(zero) == 4 ? (double)expf((float)(v)) : exp(v))

/* The largest of x[0..n) (a NaN may be passed over: it reaches every output
 * through the sum anyway). Lanes are GCC vectors, the select written with
 * masks: as plain arrays with ?: GCC kept 16 scalar maxes per step. */
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef int64_t i64x4 __attribute__((vector_size(32)));
#define VMAX(V, I, a, b) ((V)((((I)((a) > (b))) & (I)(a)) | (~((I)((a) > (b))) & (I)(b))))

/* row_max_<T>: W lanes of type T per vector V (VU unaligned, I its mask type),
 * two vectors per step. */
#define ROW_MAX(name, T, V, VU, I, W)                                   \
  static inline T name(const T *x, int64_t n) {                         \
    V m0, m1;                                                           \
    for (int l = 0; l < W; l++) m0[l] = m1[l] = x[0];                   \
    int64_t k = 0;                                                      \
    for (; k + 2 * W <= n; k += 2 * W) {                                \
      const VU *v = (const VU *)(x + k);                                \
      m0 = VMAX(V, I, v[0], m0), m1 = VMAX(V, I, v[1], m1);             \
    }                                                                   \
    m0 = VMAX(V, I, m1, m0);                                            \
    T m = m0[0];                                                        \
    for (int l = 1; l < W; l++) m = m0[l] > m ? m0[l] : m;              \
    for (; k < n; k++) m = x[k] > m ? x[k] : m;                         \
    return m;                                                           \
  }
ROW_MAX(row_max_f32, float, f32x8, f32x8u, i32x8, 8)
ROW_MAX(row_max_f64, double, f64x4, f64x4u, i64x4, 4)

/* The common case, softmax along a contiguous last dim: whole rows go
 * through the vectorised exp (vmath.c); the max and the sum run in
 * independent lanes so they vectorise too. A NaN in a row needs no test: it
 * makes the sum, and so every output of the row, NaN. Built for AVX-512,
 * AVX2 and plain x86-64, chosen at run time like vmath.c. */
LC_CLONES static void softmax_rows(const softmax_plan *p, cell c) {
  enum { LANES = 16 };
  int64_t n = p->g.n;
  LC_DISPATCH(p->dtype, T, {
    for (int64_t o = c.o0; o < c.o1; o++) {
      const T *x = (const T *)p->x + o * n;
      T *y = (T *)p->out + o * n;
      T m = sizeof(T) == 4 ? (T)row_max_f32((const float *)x, n) : (T)row_max_f64((const double *)x, n);
      if (x[0] != x[0]) m = x[0];
      int64_t k;
      if (sizeof(T) == 4) {
        lc_vexp_shift_f32(n, (const float *)x, (float)m, (float *)y);
      } else {
        for (k = 0; k < n; k++) y[k] = x[k] - m;
        lc_vexp_f64(n, (const double *)y, (double *)y);
      }
      double ls[LANES] = {0}, sum = 0;
      for (k = 0; k + LANES <= n; k += LANES)
        for (int l = 0; l < LANES; l++) ls[l] += (double)y[k + l];
      for (; k < n; k++) sum += (double)y[k];
      for (int l = 0; l < LANES; l++) sum += ls[l];
      if (p->log) {
        T lse = (T)log(sum);
        for (k = 0; k < n; k++) y[k] = x[k] - m - lse;
      } else {
        T inv = (T)(1 / sum);
        for (k = 0; k < n; k++) y[k] *= inv;
      }
    }
  });
}

/* Subtracting the row's max keeps exp from overflowing; a NaN anywhere in a
 * row makes the max, and so the whole row, NaN. */
static void softmax_cell(const void *ctx, cell c) {
  const softmax_plan *p = ctx;
  int64_t n = p->g.n, inner = p->g.inner;
  if (n == 0) return;
  if (inner == 1 && p->dtype != LC_INT64) {
    softmax_rows(p, c);
    return;
  }
  LC_DISPATCH(p->dtype, T, {
    for (int64_t o = c.o0; o < c.o1; o++) {
      const T *x = (const T *)p->x + o * n * inner + c.i0;
      T *y = (T *)p->out + o * n * inner + c.i0;
      double m[BLOCK], s[BLOCK];
      for (int64_t j = 0; j < c.cols; j++) m[j] = (double)x[j];
      for (int64_t k = 1; k < n; k++)
        for (int64_t j = 0; j < c.cols; j++) {
          double v = (double)x[k * inner + j];
          if (v > m[j] || is_nan(v)) m[j] = v;
        }
      for (int64_t j = 0; j < c.cols; j++) s[j] = 0;
      for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < c.cols; j++) {
          double e = exp_t((T)0, (double)x[k * inner + j] - m[j]);
          s[j] += e;
          if (!p->log) y[k * inner + j] = (T)e;
        }
      if (p->log) {
        for (int64_t j = 0; j < c.cols; j++) s[j] = log(s[j]);
        for (int64_t k = 0; k < n; k++)
          for (int64_t j = 0; j < c.cols; j++)
            y[k * inner + j] = (T)((double)x[k * inner + j] - m[j] - s[j]);
      } else {
        for (int64_t j = 0; j < c.cols; j++) s[j] = 1 / s[j];
        for (int64_t k = 0; k < n; k++)
          for (int64_t j = 0; j < c.cols; j++)
            y[k * inner + j] = (T)((double)y[k * inner + j] * s[j]);
      }
    }
  });
}

/* softmax: gx = y * (g - sum(g * y)); log_softmax: gx = g - exp(y) * sum(g),
 * sums along the softmax dim. */
static void softmax_backward_cell(const void *ctx, cell c) {
  const softmax_plan *p = ctx;
  int64_t n = p->g.n, inner = p->g.inner;
  LC_DISPATCH(p->dtype, T, {
    for (int64_t o = c.o0; o < c.o1; o++) {
      const T *y = (const T *)p->x + o * n * inner + c.i0;
      const T *g = (const T *)p->gy + o * n * inner + c.i0;
      T *gx = (T *)p->out + o * n * inner + c.i0;
      double s[BLOCK];
      for (int64_t j = 0; j < c.cols; j++) s[j] = 0;
      for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < c.cols; j++) {
          int64_t e = k * inner + j;
          s[j] += p->log ? (double)g[e] : (double)g[e] * (double)y[e];
        }
      for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < c.cols; j++) {
          int64_t e = k * inner + j;
          double ye = (double)y[e], ge = (double)g[e];
          gx[e] = (T)(p->log ? ge - exp(ye) * s[j] : ye * (ge - s[j]));
        }
    }
  });
}

static int softmax_backward(lc_node *n, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *y = lc_node_saved(n, 0);
  if (!y) return -1;
  lc_tensor *yc = lc_contiguous(y), *g = lc_contiguous(grad_out[0]);
  lc_tensor *gx = yc && g ? lc_empty_like(yc) : NULL;
  if (gx) {
    softmax_plan p = {.dtype = gx->dtype, .log = n->ints[1], .x = lc_data(yc), .gy = lc_data(g),
                      .out = lc_data(gx)};
    int64_t outer, len, inner;
    split_at(yc->ndim, yc->sizes, (int)n->ints[0], &outer, &len, &inner);
    p.g = make_grid(outer, len, inner, false);
    run_cells(&p.g, LC_PARALLEL_GRAIN, softmax_backward_cell, &p);
  }
  lc_release(yc);
  lc_release(g);
  grad_in[0] = gx;
  return gx ? 0 : -1;
}

static lc_tensor *softmax_op(const char *op, bool log, const lc_tensor *t, int dim) {
  if (require_float(op, t)) return NULL;
  int d = lc_check_dim(op, t, dim, false);
  if (d < 0) return NULL;
  if (t->ndim == 0) d = -1;
  lc_tensor *x = contiguous_untracked(t);
  lc_tensor *y = x ? lc_empty_like(t) : NULL;
  if (y) {
    softmax_plan p = {.dtype = t->dtype, .log = log, .x = lc_data(x), .out = lc_data(y)};
    int64_t outer, n, inner;
    split_at(t->ndim, t->sizes, d, &outer, &n, &inner);
    p.g = make_grid(outer, n, inner, false);
    run_cells(&p.g, LC_PARALLEL_GRAIN, softmax_cell, &p);
  }
  lc_release(x);
  if (!y || !lc_should_record(1, &t)) return y;
  const char *name = log ? "LogSoftmaxBackward" : "SoftmaxBackward";
  lc_node *n = lc_record(name, softmax_backward, y, 1, &t);
  if (n) {
    n->ints[0] = d;
    n->ints[1] = log;
  }
  if (!n || lc_node_save(n, y)) {
    lc_release(y);
    return NULL;
  }
  return y;
}

lc_tensor *lc_softmax(const lc_tensor *t, int dim) { return softmax_op("softmax", false, t, dim); }

lc_tensor *lc_log_softmax(const lc_tensor *t, int dim) {
  return softmax_op("log_softmax", true, t, dim);
}
