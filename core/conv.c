/* conv.c: 1-D convolution and its transpose, as im2col + one GEMM per group.
 *
 * Geometry, in the convolution's terms (a transposed convolution is the
 * same geometry run backwards):
 *   x (N, Cin, Lin)  w (Cout, Cin/G, K)  y (N, Cout, Lout)
 *   y[n, g*Co+o, t] = sum_{c<Ci, k<K} w[g*Co+o, c, k] x[n, g*Ci+c, t*stride - pad + k*dil]
 * with Ci = Cin/G, Co = Cout/G and x read as 0 outside [0, Lin).
 *
 * The whole batch shares one column matrix, cols[g] (Ci*K, N*Lout), so each
 * group is one GEMM however small the batch:
 *   forward       Y[g]  (Co, N*Lout) = W[g] (Co, Ci*K) . cols[g]
 *   input grad    dcols[g] = W[g]^T . dY[g], then col2im adds into dx
 *   weight grad   dW[g] = dY[g] . cols[g]^T
 * A transposed convolution's forward is the input grad above (its input plays
 * dY), its input grad the forward, its weight grad the weight grad with the
 * roles of x and dY swapped. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "lc_blas.h"
#include "lc_internal.h"

typedef struct {
  int64_t n, cin, lin, cout, lout, k, stride, pad, dil, groups;
} geom;

/* Row-major C = op(A) op(B) + beta C through the core's one GEMM (gemm.c). */
#define GEMM(T, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc)                                   \
  lc_blas_gemm(sizeof(T) == sizeof(float) ? LC_FLOAT32 : LC_FLOAT64, false, (ta) == CblasTrans,  \
               (tb) == CblasTrans, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc)

/* The outputs t in [lo, hi) whose position t*stride + off lies in [0, Lin). */
static void valid_range(const geom *G, int64_t off, int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : (-off + G->stride - 1) / G->stride;
  int64_t b = G->lin - off <= 0 ? 0 : (G->lin - off - 1) / G->stride + 1;
  if (b > G->lout) b = G->lout;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* The kernels for one element type T (float, double), named with suffix S. */
#define DEFINE_CONV(T, S, DT)                                                                        \
  /* cols[(g*Ci + c)*K + k][n*Lout + t] = x[n, g*Ci + c, t*stride - pad + k*dil] */             \
  static void im2col_##S(const geom *G, const T *x, T *cols) {                                  \
    int64_t NL = G->n * G->lout, rows = G->cin * G->k, work = rows * NL;                        \
    _Pragma("omp parallel for schedule(static) if (work >= LC_PARALLEL_GRAIN)")                 \
    for (int64_t ck = 0; ck < rows; ck++) {                                                     \
      int64_t c = ck / G->k, kk = ck % G->k;                                                    \
      T *row = cols + ck * NL;                                                                  \
      for (int64_t b = 0; b < G->n; b++) {                                                      \
        const T *xr = x + (b * G->cin + c) * G->lin;                                            \
        T *out = row + b * G->lout;                                                             \
        int64_t off = kk * G->dil - G->pad, lo, hi; /* t in [lo, hi) reads inside x */          \
        valid_range(G, off, &lo, &hi);                                                          \
        for (int64_t t = 0; t < lo; t++) out[t] = 0;                                            \
        for (int64_t t = lo; t < hi; t++) out[t] = xr[t * G->stride + off];                     \
        for (int64_t t = hi; t < G->lout; t++) out[t] = 0;                                      \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  /* dx[n, c, p] = the sum of cols at every place im2col read x[n, c, p]; one                   \
   * thread per channel, so no two threads write one element */                                 \
  static void col2im_##S(const geom *G, const T *cols, T *dx) {                                 \
    int64_t NL = G->n * G->lout, work = G->cin * G->k * NL;                                     \
    memset(dx, 0, sizeof(T) * (size_t)(G->n * G->cin * G->lin));                                \
    _Pragma("omp parallel for schedule(static) if (work >= LC_PARALLEL_GRAIN)")                 \
    for (int64_t c = 0; c < G->cin; c++)                                                        \
      for (int64_t kk = 0; kk < G->k; kk++) {                                                   \
        const T *row = cols + (c * G->k + kk) * NL;                                             \
        for (int64_t b = 0; b < G->n; b++) {                                                    \
          T *xr = dx + (b * G->cin + c) * G->lin;                                               \
          const T *in = row + b * G->lout;                                                      \
          int64_t off = kk * G->dil - G->pad, lo, hi;                                           \
          valid_range(G, off, &lo, &hi);                                                        \
          for (int64_t t = lo; t < hi; t++) xr[t * G->stride + off] += in[t];                   \
        }                                                                                       \
      }                                                                                         \
  }                                                                                             \
  /* (N, C, L) <-> (C, N*L): the layout the GEMMs want for y and dY */                          \
  static void to_cnl_##S(const T *y, T *out, int64_t N, int64_t C, int64_t L) {                 \
    int64_t work = N * C * L;                                                                   \
    _Pragma("omp parallel for schedule(static) if (work >= LC_PARALLEL_GRAIN)")                 \
    for (int64_t c = 0; c < C; c++)                                                             \
      for (int64_t b = 0; b < N; b++)                                                           \
        memcpy(out + (c * N + b) * L, y + (b * C + c) * L, sizeof(T) * (size_t)L);              \
  }                                                                                             \
  static void from_cnl_##S(const T *y, T *out, int64_t N, int64_t C, int64_t L) {               \
    int64_t work = N * C * L;                                                                   \
    _Pragma("omp parallel for schedule(static) if (work >= LC_PARALLEL_GRAIN)")                 \
    for (int64_t c = 0; c < C; c++)                                                             \
      for (int64_t b = 0; b < N; b++)                                                           \
        memcpy(out + (b * C + c) * L, y + (c * N + b) * L, sizeof(T) * (size_t)L);              \
  }                                                                                             \
  /* Every product of the header in one pass over shared scratch: the columns  \
   * of x (Cin*K, N*Lout), dY as (Cout, N*Lout), and Y as (Cout, N*Lout).      \
   * Asked for by the non-NULL outputs: y = the forward of x; dw and dx = the  \
   * weight and input gradients from gy (dw also reads x). The scratch is a    \
   * tensor, so the caching allocator recycles it between calls. */           \
  static int products_##S(const geom *G, const T *x, const T *gy, const T *w, T *y, T *dw, T *dx) { \
    int64_t ci = G->cin / G->groups, co = G->cout / G->groups, NL = G->n * G->lout;            \
    int64_t ck = ci * G->k, n = (G->cin * G->k + (y ? 2 : 1) * G->cout) * NL;                  \
    lc_tensor *buf = lc_empty(DT, 1, &n);                                                       \
    if (!buf) return -1;                                                                        \
    T *cols = lc_data(buf), *gcnl = cols + G->cin * G->k * NL, *ycnl = gcnl + G->cout * NL;     \
    if (y || dw) im2col_##S(G, x, cols);                                                        \
    if (dw || dx) to_cnl_##S(gy, gcnl, G->n, G->cout, G->lout);                                 \
    for (int64_t g = 0; g < G->groups; g++) {                                                   \
      const T *wg = w + g * co * ck;                                                            \
      T *cg = cols + g * ck * NL;                                                               \
      if (y) /* Y[g] = W[g] cols[g] */                                                          \
        GEMM(T, CblasNoTrans, CblasNoTrans, co, NL, ck, wg, ck, cg, NL, 0, ycnl + g * co * NL, NL); \
      if (dw) /* dW[g] = dY[g] cols[g]^T */                                                     \
        GEMM(T, CblasNoTrans, CblasTrans, co, ck, NL, gcnl + g * co * NL, NL, cg, NL, 0,        \
             dw + g * co * ck, ck);                                                             \
      if (dx) /* dcols[g] = W[g]^T dY[g], over the columns no longer needed */                  \
        GEMM(T, CblasTrans, CblasNoTrans, ck, NL, co, wg, ck, gcnl + g * co * NL, NL, 0, cg, NL); \
    }                                                                                           \
    if (y) from_cnl_##S(ycnl, y, G->n, G->cout, G->lout);                                       \
    if (dx) col2im_##S(G, cols, dx);                                                            \
    lc_release(buf);                                                                            \
    return 0;                                                                                   \
  }

DEFINE_CONV(float, f32, LC_FLOAT32)
DEFINE_CONV(double, f64, LC_FLOAT64)

/* products_<type> for a dtype; see there. */
static int conv_products(lc_dtype dt, const geom *G, const void *x, const void *gy, const void *w, void *y,
                         void *dw, void *dx) {
  return dt == LC_FLOAT32 ? products_f32(G, x, gy, w, y, dw, dx) : products_f64(G, x, gy, w, y, dw, dx);
}

/* y[n, c, t] += bias[c], and db[c] = sum_{n,t} g[n, c, t]. */
static void add_bias(lc_dtype dt, int64_t n, int64_t c, int64_t l, void *y, const void *bias) {
  LC_DISPATCH(dt, T, {
    T *yp = y;
    const T *bp = bias;
    for (int64_t b = 0; b < n; b++)
      for (int64_t ch = 0; ch < c; ch++)
        for (int64_t t = 0; t < l; t++) yp[(b * c + ch) * l + t] += bp[ch];
  });
}

static lc_tensor *bias_grad(const lc_tensor *g, int64_t n, int64_t c, int64_t l) {
  lc_tensor *db = lc_zeros(g->dtype, 1, &c);
  if (!db) return NULL;
  LC_DISPATCH(g->dtype, T, {
    const T *gp = lc_data(g);
    T *d = lc_data(db);
    for (int64_t ch = 0; ch < c; ch++) {
      double s = 0;
      for (int64_t b = 0; b < n; b++)
        for (int64_t t = 0; t < l; t++) s += (double)gp[(b * c + ch) * l + t];
      d[ch] = (T)s;
    }
  });
  return db;
}

static geom geom_of(const lc_node *node) {
  const int64_t *i = node->ints;
  return (geom){i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7], i[8], i[9]};
}

/* Saved: 0 x (contiguous), 1 w (contiguous). ints: the geometry, then
 * transposed. For a transposed convolution x is (N, Cout, Lout) in the
 * geometry's terms and its output (N, Cin, Lin). */
static int conv_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  lc_tensor *x = lc_node_saved(node, 0), *w = lc_node_saved(node, 1);
  if (!x || !w) return -1;
  geom G = geom_of(node);
  bool tr = node->ints[10] != 0;
  lc_tensor *g = lc_contiguous(grad_out[0]);
  if (!g) return -1;
  lc_dtype dt = x->dtype;
  int rc = -1;
  lc_tensor *dx = NULL, *dw = NULL, *db = NULL;
  if (lc_node_needs_grad(node, 0) && !(dx = lc_empty(dt, x->ndim, x->sizes))) goto done;
  if (lc_node_needs_grad(node, 1) && !(dw = lc_empty(dt, w->ndim, w->sizes))) goto done;
  if (dx || dw) {
    void *dxp = dx ? lc_data(dx) : NULL, *dwp = dw ? lc_data(dw) : NULL;
    /* both gradients from one pass: a convolution's columns are of x, a
     * transposed one's of g (its input gradient is then the forward) */
    int r = tr ? conv_products(dt, &G, lc_data(g), lc_data(x), lc_data(w), dxp, dwp, NULL)
               : conv_products(dt, &G, lc_data(x), lc_data(g), lc_data(w), NULL, dwp, dxp);
    if (r < 0) goto done;
  }
  if (lc_node_needs_grad(node, 2)) {
    int64_t c = tr ? G.cin : G.cout, l = tr ? G.lin : G.lout;
    if (!(db = bias_grad(g, G.n, c, l))) goto done;
  }
  grad_in[0] = dx;
  grad_in[1] = dw;
  grad_in[2] = db;
  dx = dw = db = NULL;
  rc = 0;
done:
  lc_release(dx);
  lc_release(dw);
  lc_release(db);
  lc_release(g);
  return rc;
}

static bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

lc_tensor *lc_conv1d(const lc_conv1d_args *a) {
  const char *op = a->op ? a->op : (a->transposed ? "conv_transpose1d" : "conv1d");
  const lc_tensor *x = a->x, *w = a->weight, *bias = a->bias;
  char b1[128], b2[128];
  if (!x || !w) {
    lc_fail(LC_ERR_ARG, op, "input and weight must not be NULL");
    return NULL;
  }
  if (!lc_dtype_is_float(x->dtype) || w->dtype != x->dtype || (bias && bias->dtype != x->dtype)) {
    lc_fail(LC_ERR_DTYPE, op, "input, weight and bias must share one float dtype, got %s, %s and %s",
                 lc_dtype_name(x->dtype), lc_dtype_name(w->dtype),
                 bias ? lc_dtype_name(bias->dtype) : "none");
    return NULL;
  }
  if (x->ndim != 3) {
    lc_fail(LC_ERR_SHAPE, op, "input must be (N, C, L), got shape %s", lc_shape_str(b1, x->ndim, x->sizes));
    return NULL;
  }
  if (w->ndim != 3) {
    lc_fail(LC_ERR_SHAPE, op, "weight must be 3-dimensional, got shape %s", lc_shape_str(b1, w->ndim, w->sizes));
    return NULL;
  }
  int64_t groups = a->groups;
  if (a->stride < 1 || a->dilation < 1 || groups < 1 || a->pad_left < 0 || a->pad_right < 0 ||
      a->output_padding < 0) {
    lc_fail(LC_ERR_ARG, op, "stride, dilation and groups must be at least 1 and padding at least 0 "
                 "(got stride %lld, dilation %lld, groups %lld, padding %lld, %lld)",
                 (long long)a->stride, (long long)a->dilation, (long long)groups,
                 (long long)a->pad_left, (long long)a->pad_right);
    return NULL;
  }
  int64_t n = x->sizes[0], cx = x->sizes[1], lx = x->sizes[2], k = w->sizes[2];
  /* the weight's channel counts: (Cout, Cin/G) for conv, (Cin, Cout/G) transposed */
  int64_t wc_in = a->transposed ? w->sizes[0] : w->sizes[1] * groups;
  if (cx != wc_in || w->sizes[0] % groups != 0 || (a->transposed && cx % groups != 0)) {
    lc_fail(LC_ERR_ARG, op, "input has %lld channels, which does not fit weight %s with groups = %lld",
                 (long long)cx, lc_shape_str(b1, w->ndim, w->sizes), (long long)groups);
    return NULL;
  }
  if (!a->transposed && cx % groups != 0) {
    lc_fail(LC_ERR_ARG, op, "in_channels %lld is not divisible by groups %lld", (long long)cx, (long long)groups);
    return NULL;
  }
  geom G = {.n = n, .k = k, .stride = a->stride, .pad = a->pad_left, .dil = a->dilation, .groups = groups};
  int64_t span = a->dilation * (k - 1) + 1, lout;
  if (a->transposed) {
    if (a->output_padding >= a->stride && a->output_padding >= a->dilation) {
      lc_fail(LC_ERR_ARG, op, "output_padding %lld must be smaller than stride or dilation",
                   (long long)a->output_padding);
      return NULL;
    }
    lout = (lx - 1) * a->stride - a->pad_left - a->pad_right + span + a->output_padding;
    G.cin = w->sizes[1] * groups, G.lin = lout, G.cout = cx, G.lout = lx;
  } else {
    lout = lx + a->pad_left + a->pad_right < span ? 0 : (lx + a->pad_left + a->pad_right - span) / a->stride + 1;
    G.cin = cx, G.lin = lx, G.cout = w->sizes[0], G.lout = lout;
  }
  if (lout < 1) {
    lc_fail(LC_ERR_SHAPE, op, "input length %lld is too short for kernel_size %lld (dilation %lld, padding %lld, %lld)", (long long)lx, (long long)k, (long long)a->dilation, (long long)a->pad_left,
                 (long long)a->pad_right);
    return NULL;
  }
  int64_t cy = a->transposed ? G.cin : G.cout;
  if (bias && (bias->ndim != 1 || bias->sizes[0] != cy)) {
    lc_fail(LC_ERR_SHAPE, op, "bias has shape %s, expected (%lld)", lc_shape_str(b2, bias->ndim, bias->sizes),
                 (long long)cy);
    return NULL;
  }
  int64_t work[2] = {G.cin * G.k + G.cout, G.n * G.lout}; /* the scratch buffer */
  if (lc_checked_numel(op, 2, work) < 0) return NULL;
  if (!fits_int(work[0]) || !fits_int(work[1])) {
    lc_fail(LC_ERR_SHAPE, op, "sizes too large for one matrix product");
    return NULL;
  }
  int64_t ysizes[3] = {n, cy, lout};
  lc_tensor *xc = lc_contiguous(x), *wc = xc ? lc_contiguous(w) : NULL, *bc = NULL;
  lc_tensor *y = wc ? lc_empty(x->dtype, 3, ysizes) : NULL;
  if (y && bias) bc = lc_contiguous(bias);
  if (!y || (bias && !bc)) goto fail;
  if ((a->transposed ? conv_products(x->dtype, &G, NULL, lc_data(xc), lc_data(wc), NULL, NULL, lc_data(y))
                     : conv_products(x->dtype, &G, lc_data(xc), NULL, lc_data(wc), lc_data(y), NULL, NULL)) < 0)
    goto fail;
  if (bc) add_bias(x->dtype, n, cy, lout, lc_data(y), lc_data(bc));
  const lc_tensor *ins[3] = {x, w, bias};
  if (lc_should_record(3, ins)) {
    lc_node *node = lc_record(a->transposed ? "ConvTranspose1dBackward" : "Conv1dBackward", conv_backward,
                              y, 3, ins);
    if (!node || lc_node_save(node, xc) || lc_node_save(node, wc)) goto fail;
    int64_t gi[10] = {G.n, G.cin, G.lin, G.cout, G.lout, G.k, G.stride, G.pad, G.dil, G.groups};
    memcpy(node->ints, gi, sizeof gi);
    node->ints[10] = a->transposed;
  }
  lc_release(xc);
  lc_release(wc);
  lc_release(bc);
  return y;
fail:
  lc_release(xc);
  lc_release(wc);
  lc_release(bc);
  lc_release(y);
  return NULL;
}
