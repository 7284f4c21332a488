/* rnn.c: fused recurrent layers. One call runs one layer in one direction
 * over a whole sequence as a single autograd node:
 *
 *   forward:  the input projection of every time step in one GEMM, then per
 *             step one recurrent GEMM and one pass of gate math;
 *   backward: through time by hand, one GEMM per step for the recurrent
 *             gradient, then the weight and input gradients as whole-sequence
 *             GEMMs after the loop.
 *
 * Rows are grouped by time step as in a packed sequence: step t owns
 * batch_sizes[t] rows starting at the sum of the earlier batch sizes, and
 * batch sizes never grow, so the active sequences of a step are always the
 * first rows of the state. A padded (L, N, ni) input is the case where every
 * batch size is N. A sequence that has ended keeps its state, which is how
 * h_n holds each sequence's state at its own last step.
 *
 * The cell's math is its descriptor's (rnn_cells.c, lc_rnn_cell in lc_nn.h):
 * this loop knows a cell only by its gate count, workspace width, flags and
 * row functions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "lc_blas.h"
#include "lc_internal.h"

/* Row-major C (m x n) = alpha op(A) op(B) + beta C on contiguous buffers. */
static void gemm(lc_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                 const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                 int64_t ldc) {
  lc_blas_gemm(dt, false, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Everything a layer's forward keeps for its backward. */
typedef struct {
  const lc_rnn_cell *cell;
  bool reverse;
  int64_t steps, batch, total; /* L, N, T = sum of batch sizes */
  int64_t *batch_sizes, *offsets;
  int64_t hidden, out, gates;   /* H, Hout (P when projected), G */
  bool has_proj;
  /* per-row workspaces, T rows each when recording (N otherwise) */
  lc_tensor *ws;    /* the cell's (rows, work*H), NULL when work is 0 */
  lc_tensor *hprev; /* the state each row's step started from (T, Hout) */
  lc_tensor *m;     /* projected: the cell's output before W_hr (rows, H) */
  lc_tensor *mask;  /* recurrent dropout: (N, Hout) multiplier of the state fed to W_hh */
  lc_tensor *hin;   /* with mask: the state each row fed to W_hh, hprev * mask (T, Hout) */
  lc_tensor *zh, *zc; /* zoneout: each row's keep weights of h (T, Hout) and c (T, H) */
} rnn_ctx;

static void free_rnn_ctx(lc_node *n) {
  rnn_ctx *c = n->ctx;
  free(c->batch_sizes);
  free(c->offsets);
  lc_release(c->ws);
  lc_release(c->hprev);
  lc_release(c->m);
  lc_release(c->mask);
  lc_release(c->hin);
  lc_release(c->zh);
  lc_release(c->zc);
  free(c);
}

/* Saved inputs, in this order. */
enum { S_X, S_W_IH, S_W_HH, S_W_HR, S_Y, S_P };
/* Node inputs, in this order. */
enum { I_X, I_H0, I_C0, I_W_IH, I_W_HH, I_B_IH, I_B_HH, I_W_HR, I_P, N_INPUTS };

/* The step processed k-th (forward or reverse). */
static int64_t step_at(const rnn_ctx *c, int64_t k) { return c->reverse ? c->steps - 1 - k : k; }

/* dst[i] = a[i] * b[i] for i < n, elements of dtype dt: the recurrent
 * dropout mask on a step's rows (forward) and on their gradient (backward). */
static void mul_rows(lc_dtype dt, int64_t n, const void *a, const void *b, void *dst) {
  LC_DISPATCH(dt, E, {
    const E *x = a, *y = b;
    E *d = dst;
    for (int64_t i = 0; i < n; i++) d[i] = x[i] * y[i];
  });
}

/* Zoneout forward on n elements: s = z * before + (1 - z) * s. */
static void zone_mix(lc_dtype dt, int64_t n, const void *z_, const void *before_, void *s_) {
  LC_DISPATCH(dt, E, {
    const E *z = z_, *before = before_;
    E *s = s_;
    for (int64_t i = 0; i < n; i++) s[i] = z[i] * before[i] + (1 - z[i]) * s[i];
  });
}

/* Its backward: keep = z * g goes to the previous state, g = (1 - z) * g to
 * the new one. */
static void zone_split(lc_dtype dt, int64_t n, const void *z_, void *g_, void *keep_) {
  LC_DISPATCH(dt, E, {
    const E *z = z_;
    E *g = g_, *keep = keep_;
    for (int64_t i = 0; i < n; i++) keep[i] = z[i] * g[i], g[i] = (1 - z[i]) * g[i];
  });
}

/* d[i] += a[i] for i < n. */
static void add_rows(lc_dtype dt, int64_t n, const void *a_, void *d_) {
  LC_DISPATCH(dt, E, {
    const E *a = a_;
    E *d = d_;
    for (int64_t i = 0; i < n; i++) d[i] += a[i];
  });
}

/* ---- rows of a step ------------------------------------------------------ */

/* Byte offset of row r in a (rows, width) buffer of dtype dt; NULL stays NULL. */
static void *at(void *base, int64_t r, int64_t width, size_t es) {
  return base ? (char *)base + r * width * (int64_t)es : NULL;
}

/* One step's rows through the cell, forward: xw (rows, G*H) the input
 * projections, hw (rows, G*H) the recurrent ones, h (rows, Hout) the state
 * the step starts from, cs (rows, H) the cell state (in place), ws (rows,
 * work*H) the workspace, out (rows, H) the cell's outputs. */
static void rows_forward(const rnn_ctx *c, lc_dtype dt, int64_t rows, const void *xw,
                         const void *hw, const void *b_ih, const void *b_hh, const void *p,
                         const void *h, void *cs, void *ws, void *out) {
  int64_t H = c->hidden, G = c->gates * H, Ho = c->out, W = c->cell->work * H;
  size_t es = lc_dtype_size(dt);
  lc_rnn_row_fn fwd = c->cell->forward;
#pragma omp parallel for if (rows * G >= LC_PARALLEL_GRAIN)
  for (int64_t r = 0; r < rows; r++) {
    lc_rnn_row row = {.H = H, .xw = at((void *)xw, r, G, es), .hw = at((void *)hw, r, G, es),
                      .b_ih = b_ih, .b_hh = b_hh, .p = p, .hprev = at((void *)h, r, Ho, es),
                      .c = at(cs, r, H, es), .ws = at(ws, r, W, es), .out = at(out, r, H, es)};
    fwd(dt, &row);
  }
}

/* The same rows backward: dout (rows, H) the gradient of the cell's outputs,
 * dc (rows, H) of the new cell state (in place: that of the old one), dgi and
 * dgh (rows, G*H; dgh only for split_recurrent cells) the pre-activation
 * gradients, dprev (rows, Hout; direct_state cells) the direct part of the
 * previous state's gradient. */
static void rows_backward(const rnn_ctx *c, lc_dtype dt, int64_t rows, const void *p, void *dout,
                          void *dc, void *ws, void *h, void *out, void *dgi, void *dgh,
                          void *dprev, void *gp) {
  int64_t H = c->hidden, G = c->gates * H, Ho = c->out, W = c->cell->work * H;
  int64_t X = c->cell->extra * H;
  size_t es = lc_dtype_size(dt);
  lc_rnn_row_fn bwd = c->cell->backward;
#pragma omp parallel for if (rows * G >= LC_PARALLEL_GRAIN)
  for (int64_t r = 0; r < rows; r++) {
    lc_rnn_row row = {.H = H, .hprev = at(h, r, Ho, es), .ws = at(ws, r, W, es),
                      .out = at(out, r, H, es), .dout = at(dout, r, H, es), .dc = at(dc, r, H, es),
                      .gi = at(dgi, r, G, es), .gh = at(dgh, r, G, es),
                      .dprev = at(dprev, r, Ho, es), .p = p, .gp = at(gp, r, X, es)};
    bwd(dt, &row);
  }
}

/* Column sums of a (rows, cols) buffer: the bias gradients. Accumulated in
 * double because long sequences add up many rows; each thread takes a band
 * of columns and walks the rows, so memory is read in order. */
static void column_sums_f64(const void *buf, lc_dtype dt, int64_t rows, int64_t cols, double *out) {
  enum { BAND = 256 };
  int64_t bands = (cols + BAND - 1) / BAND;
#pragma omp parallel for if (rows * cols >= LC_PARALLEL_GRAIN)
  for (int64_t band = 0; band < bands; band++) {
    int64_t j0 = band * BAND, w = cols - j0 < BAND ? cols - j0 : BAND;
    double acc[BAND] = {0};
    for (int64_t r = 0; r < rows; r++) {
      if (dt == LC_FLOAT32) {
        const float *row = (const float *)buf + r * cols + j0;
        for (int64_t j = 0; j < w; j++) acc[j] += row[j];
      } else {
        const double *row = (const double *)buf + r * cols + j0;
        for (int64_t j = 0; j < w; j++) acc[j] += row[j];
      }
    }
    for (int64_t j = 0; j < w; j++) out[j0 + j] = acc[j];
  }
}

static lc_tensor *column_sums(lc_dtype dt, const void *buf, int64_t rows, int64_t cols) {
  lc_tensor *sums = lc_empty(LC_FLOAT64, 1, &cols);
  if (!sums) return NULL;
  column_sums_f64(buf, dt, rows, cols, lc_data(sums));
  lc_tensor *out = lc_to(sums, dt);
  lc_release(sums);
  return out;
}

static void *row_ptr(const lc_tensor *t, int64_t row) {
  return (char *)lc_data(t) + row * t->strides[0] * (int64_t)lc_dtype_size(t->dtype);
}

/* ---- backward ------------------------------------------------------------ */

static int rnn_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  rnn_ctx *c = n->ctx;
  lc_tensor *x = lc_node_saved(n, S_X), *w_ih = lc_node_saved(n, S_W_IH);
  lc_tensor *w_hh = lc_node_saved(n, S_W_HH), *y = lc_node_saved(n, S_Y);
  lc_tensor *w_hr = c->has_proj ? lc_node_saved(n, S_W_HR) : NULL;
  lc_tensor *p = c->cell->extra ? lc_node_saved(n, S_P) : NULL;
  if (!x || !w_ih || !w_hh || !y || (c->has_proj && !w_hr) || (c->cell->extra && !p)) return -1;
  lc_dtype dt = x->dtype;
  int64_t T = c->total, N = c->batch, H = c->hidden, Ho = c->out, G = c->gates * H;
  int64_t ni = x->sizes[1];
  size_t es = lc_dtype_size(dt);

  lc_tensor *gy = lc_contiguous(g[0]);
  lc_tensor *dh = lc_clone(g[1]); /* (N, Ho): the running state gradient */
  const lc_rnn_cell *cell = c->cell;
  lc_tensor *dc = cell->has_cell ? lc_clone(g[2]) : NULL;
  int64_t gsz[2] = {T, G}, msz[2] = {N, H}, hsz[2] = {T, Ho};
  lc_tensor *dgi = lc_empty(dt, 2, gsz);
  lc_tensor *dgh = cell->split_recurrent ? lc_empty(dt, 2, gsz) : lc_retain(dgi);
  lc_tensor *dm = c->has_proj ? lc_empty(dt, 2, msz) : NULL;   /* d(cell output) of a step */
  lc_tensor *dh_all = c->has_proj ? lc_empty(dt, 2, hsz) : NULL; /* dh of every row, for W_hr */
  int64_t nsz[2] = {N, Ho};
  lc_tensor *dhin = c->mask ? lc_empty(dt, 2, nsz) : NULL; /* d(state fed to W_hh) of a step */
  /* zoneout: the parts of dh and dc that skip the step */
  lc_tensor *zdh = c->zh ? lc_empty(dt, 2, nsz) : NULL, *zdc = c->zc ? lc_empty(dt, 2, msz) : NULL;
  int64_t psz[2] = {T, c->cell->extra * H};
  lc_tensor *gp = p ? lc_empty(dt, 2, psz) : NULL; /* each row's part of dL/dp */
  int rc = 0;
  if ((c->zh && !zdh) || (c->zc && !zdc) || (p && !gp)) rc = -1;
  if (!gy || !dh || !dgi || !dgh || (cell->has_cell && !dc) || (c->has_proj && (!dm || !dh_all)) ||
      (c->mask && !dhin))
    rc = -1;

  for (int64_t k = c->steps - 1; k >= 0 && !rc; k--) {
    int64_t t = step_at(c, k), bs = c->batch_sizes[t], off = c->offsets[t];
    /* the step's outputs feed the state gradient of their rows */
    LC_DISPATCH(dt, E, {
      E *d = lc_data(dh);
      const E *gr = row_ptr(gy, off);
      for (int64_t i = 0; i < bs * Ho; i++) d[i] += gr[i];
    });
    if (c->zh) zone_split(dt, bs * Ho, row_ptr(c->zh, off), lc_data(dh), lc_data(zdh));
    if (c->zc) zone_split(dt, bs * H, row_ptr(c->zc, off), lc_data(dc), lc_data(zdc));
    void *dout = lc_data(dh), *out = c->m ? row_ptr(c->m, off) : row_ptr(y, off);
    if (c->has_proj) { /* h' = m W_hr^T: dm = dh W_hr, and keep dh for dW_hr */
      memcpy(row_ptr(dh_all, off), lc_data(dh), bs * Ho * es);
      gemm(dt, false, false, bs, H, Ho, 1, lc_data(dh), Ho, lc_data(w_hr), H, 0, lc_data(dm), H);
      dout = lc_data(dm);
    }
    rows_backward(c, dt, bs, p ? lc_data(p) : NULL, dout, dc ? lc_data(dc) : NULL,
                  c->ws ? row_ptr(c->ws, off) : NULL, row_ptr(c->hprev, off), out,
                  row_ptr(dgi, off), cell->split_recurrent ? row_ptr(dgh, off) : NULL,
                  cell->direct_state ? lc_data(dh) : NULL, gp ? row_ptr(gp, off) : NULL);
    /* the previous state's gradient: its direct part (left in dh by the
     * cell) plus dgh W_hh; rows that were not active this step keep theirs */
    if (!c->mask) {
      gemm(dt, false, false, bs, Ho, G, 1, row_ptr(dgh, off), G, lc_data(w_hh), Ho,
           cell->direct_state ? 1 : 0, lc_data(dh), Ho);
    } else { /* the state reached W_hh through the mask: dh = direct + (dgh W_hh) * mask */
      gemm(dt, false, false, bs, Ho, G, 1, row_ptr(dgh, off), G, lc_data(w_hh), Ho, 0,
           lc_data(dhin), Ho);
      mul_rows(dt, bs * Ho, lc_data(dhin), lc_data(c->mask), lc_data(dhin));
      LC_DISPATCH(dt, E, {
        E *d = lc_data(dh);
        const E *r = lc_data(dhin);
        for (int64_t i = 0; i < bs * Ho; i++) d[i] = (cell->direct_state ? d[i] : 0) + r[i];
      });
    }
    if (c->zh) add_rows(dt, bs * Ho, lc_data(zdh), lc_data(dh));
    if (c->zc) add_rows(dt, bs * H, lc_data(zdc), lc_data(dc));
  }

  /* whole-sequence GEMMs for the weights and the input */
  if (!rc && lc_node_needs_grad(n, I_X)) {
    int64_t s[2] = {T, ni};
    gin[I_X] = lc_empty(dt, 2, s);
    if (!gin[I_X]) rc = -1;
    else gemm(dt, false, false, T, ni, G, 1, lc_data(dgi), G, lc_data(w_ih), ni, 0, lc_data(gin[I_X]), ni);
  }
  if (!rc && lc_node_needs_grad(n, I_W_IH)) {
    int64_t s[2] = {G, ni};
    gin[I_W_IH] = lc_empty(dt, 2, s);
    if (!gin[I_W_IH]) rc = -1;
    else gemm(dt, true, false, G, ni, T, 1, lc_data(dgi), G, lc_data(x), ni, 0, lc_data(gin[I_W_IH]), ni);
  }
  if (!rc && lc_node_needs_grad(n, I_W_HH)) {
    int64_t s[2] = {G, Ho};
    gin[I_W_HH] = lc_empty(dt, 2, s);
    if (!gin[I_W_HH]) rc = -1;
    else gemm(dt, true, false, G, Ho, T, 1, lc_data(dgh), G, lc_data(c->hin ? c->hin : c->hprev), Ho, 0,
              lc_data(gin[I_W_HH]), Ho);
  }
  if (!rc && c->has_proj && lc_node_needs_grad(n, I_W_HR)) {
    int64_t s[2] = {Ho, H};
    gin[I_W_HR] = lc_empty(dt, 2, s);
    if (!gin[I_W_HR]) rc = -1;
    else gemm(dt, true, false, Ho, H, T, 1, lc_data(dh_all), Ho, lc_data(c->m), H, 0, lc_data(gin[I_W_HR]), H);
  }
  if (!rc && lc_node_needs_grad(n, I_B_IH) && !(gin[I_B_IH] = column_sums(dt, lc_data(dgi), T, G))) rc = -1;
  if (!rc && lc_node_needs_grad(n, I_B_HH) && !(gin[I_B_HH] = column_sums(dt, lc_data(dgh), T, G))) rc = -1;
  if (!rc && p && lc_node_needs_grad(n, I_P) && !(gin[I_P] = column_sums(dt, lc_data(gp), T, psz[1]))) rc = -1;
  if (!rc && lc_node_needs_grad(n, I_H0)) gin[I_H0] = lc_retain(dh);
  if (!rc && dc && lc_node_needs_grad(n, I_C0)) gin[I_C0] = lc_retain(dc);

  lc_release(gy);
  lc_release(dh);
  lc_release(dc);
  lc_release(dgi);
  lc_release(dgh);
  lc_release(dm);
  lc_release(dh_all);
  lc_release(dhin);
  lc_release(zdh);
  lc_release(zdc);
  lc_release(gp);
  return rc;
}

/* ---- forward ------------------------------------------------------------- */

static bool check_2d(const char *op, const char *what, const lc_tensor *t, int64_t r, int64_t c,
                     lc_dtype dt) {
  if (t->ndim != 2 || t->sizes[0] != r || t->sizes[1] != c || t->dtype != dt) {
    char got[128];
    lc_fail(LC_ERR_SHAPE, op, "%s has shape %s and dtype %s, expected (%lld, %lld) and %s", what,
                 lc_shape_str(got, t->ndim, t->sizes), lc_dtype_name(t->dtype), (long long)r,
                 (long long)c, lc_dtype_name(dt));
    return false;
  }
  return true;
}

static bool check_1d(const char *op, const char *what, const lc_tensor *t, int64_t n, lc_dtype dt) {
  if (t->ndim != 1 || t->sizes[0] != n || t->dtype != dt) {
    char got[128];
    lc_fail(LC_ERR_SHAPE, op, "%s has shape %s and dtype %s, expected (%lld) and %s", what,
                 lc_shape_str(got, t->ndim, t->sizes), lc_dtype_name(t->dtype), (long long)n,
                 lc_dtype_name(dt));
    return false;
  }
  return true;
}

/* Validates shapes and batch sizes and fills the geometry of c. */
static int setup(rnn_ctx *c, const lc_rnn_cell *cell, const lc_rnn_args *a) {
  const char *op = cell->op;
  const lc_tensor *x = a->x;
  if (!lc_dtype_is_float(x->dtype) || x->ndim != 2) {
    lc_fail(LC_ERR_SHAPE, op, "the layer input must be a 2-D (rows, features) float tensor");
    return -1;
  }
  lc_dtype dt = x->dtype;
  c->cell = cell;
  c->reverse = a->reverse;
  c->gates = cell->gates;
  c->hidden = a->w_hh->ndim == 2 ? a->w_hh->sizes[0] / c->gates : 0;
  c->has_proj = a->w_hr != NULL;
  c->out = c->has_proj ? a->w_hr->sizes[0] : c->hidden;
  c->steps = a->steps;
  c->total = x->sizes[0];
  c->batch = a->h0->ndim == 2 ? a->h0->sizes[0] : -1;
  int64_t ni = x->sizes[1], G = c->gates * c->hidden;
  if (c->has_proj && !cell->projectable) {
    lc_fail(LC_ERR_ARG, op, "proj_size is not supported by this cell (%s)", cell->name);
    return -1;
  }
  if (a->zoneout_c && !cell->has_cell) {
    lc_fail(LC_ERR_ARG, op, "zoneout of c given, but this cell (%s) has no cell state", cell->name);
    return -1;
  }
  if (!cell->extra != !a->extra) {
    lc_fail(LC_ERR_ARG, op, "the cell %s %s", cell->name,
                 cell->extra ? "needs its own parameter (extra)" : "takes no parameter of its own");
    return -1;
  }
  if (cell->has_cell && !a->c0) {
    lc_fail(LC_ERR_ARG, op, "c0 is required (this cell carries a cell state)");
    return -1;
  }
  if (!check_2d(op, "weight_ih", a->w_ih, G, ni, dt) || !check_2d(op, "weight_hh", a->w_hh, G, c->out, dt) ||
      (a->w_hr && !check_2d(op, "weight_hr", a->w_hr, c->out, c->hidden, dt)) ||
      !check_2d(op, "h0", a->h0, c->batch, c->out, dt) ||
      (a->h_mask && !check_2d(op, "recurrent dropout mask", a->h_mask, c->batch, c->out, dt)) ||
      (a->zoneout_h && !check_2d(op, "zoneout of h", a->zoneout_h, c->total, c->out, dt)) ||
      (a->zoneout_c && !check_2d(op, "zoneout of c", a->zoneout_c, c->total, c->hidden, dt)) ||
      (cell->has_cell && !check_2d(op, "c0", a->c0, c->batch, c->hidden, dt)) ||
      (a->b_ih && !check_1d(op, "bias_ih", a->b_ih, G, dt)) ||
      (a->extra && !check_1d(op, "the cell's parameter", a->extra, cell->extra * c->hidden, dt)) ||
      (a->b_hh && !check_1d(op, "bias_hh", a->b_hh, G, dt)))
    return -1;
  if (a->b_ih && !cell->biased) {
    lc_fail(LC_ERR_ARG, op, "the cell %s takes no biases (its layer norms have their own)", cell->name);
    return -1;
  }
  if (!a->b_ih != !a->b_hh) {
    lc_fail(LC_ERR_ARG, op, "give both biases or neither");
    return -1;
  }
  if (c->steps < 1 || c->steps > c->total) { /* every step has at least one row */
    lc_fail(LC_ERR_SHAPE, op, "%lld steps for %lld rows of input", (long long)c->steps,
                 (long long)c->total);
    return -1;
  }
  c->batch_sizes = lc_malloc(c->steps * sizeof(int64_t), op);
  c->offsets = lc_malloc(c->steps * sizeof(int64_t), op);
  if (!c->batch_sizes || !c->offsets) return -1;
  int64_t sum = 0;
  for (int64_t t = 0; t < c->steps; t++) {
    int64_t bs = a->batch_sizes ? a->batch_sizes[t] : c->batch;
    if (bs < 1 || bs > c->batch || (t > 0 && bs > c->batch_sizes[t - 1])) {
      lc_fail(LC_ERR_SHAPE, op, "batch_sizes must be positive, at most the batch (%lld) and non-increasing; "
                   "step %lld has %lld", (long long)c->batch, (long long)t + 1, (long long)bs);
      return -1;
    }
    c->batch_sizes[t] = bs;
    c->offsets[t] = sum;
    sum += bs;
  }
  if (sum != c->total) {
    lc_fail(LC_ERR_SHAPE, op, "the input has %lld rows but the batch sizes add up to %lld",
                 (long long)c->total, (long long)sum);
    return -1;
  }
  return 0;
}

int lc_rnn_layer(const lc_rnn_args *a, lc_tensor **y_out, lc_tensor **h_out, lc_tensor **c_out) {
  *y_out = *h_out = NULL;
  if (c_out) *c_out = NULL;
  const lc_rnn_cell *cell = lc_rnn_cell_find(a->cell);
  if (!cell) return -1;
  rnn_ctx *c = lc_calloc(1, sizeof *c, cell->op);
  if (!c) return -1;
  lc_tensor *x = NULL, *w_ih = NULL, *w_hh = NULL, *w_hr = NULL, *b_ih = NULL, *b_hh = NULL;
  lc_tensor *xw = NULL, *hw = NULL, *y = NULL, *h = NULL, *cs = NULL;
  lc_tensor *hb = NULL, *cb = NULL; /* zoneout: the state before a step */
  lc_tensor *pe = NULL;             /* the cell's own parameter */
  int rc = setup(c, cell, a);
  lc_dtype dt = a->x->dtype;
  int64_t T = c->total, N = c->batch, H = c->hidden, Ho = c->out, G = c->gates * H, ni = a->x->sizes[1];
  const lc_tensor *ins[N_INPUTS] = {a->x, a->h0, a->c0, a->w_ih, a->w_hh, a->b_ih, a->b_hh, a->w_hr,
                                    a->extra};
  bool record = !rc && lc_should_record(N_INPUTS, ins);

  if (!rc) {
    x = lc_contiguous(a->x), w_ih = lc_contiguous(a->w_ih), w_hh = lc_contiguous(a->w_hh);
    w_hr = a->w_hr ? lc_contiguous(a->w_hr) : NULL;
    b_ih = a->b_ih ? lc_contiguous(a->b_ih) : NULL, b_hh = a->b_hh ? lc_contiguous(a->b_hh) : NULL;
    pe = a->extra ? lc_contiguous(a->extra) : NULL;
    int64_t xs[2] = {T, G}, hs[2] = {N, G}, ys[2] = {T, Ho};
    xw = lc_empty(dt, 2, xs);
    hw = lc_empty(dt, 2, hs);
    y = lc_empty(dt, 2, ys);
    h = lc_clone(a->h0);
    cs = cell->has_cell ? lc_clone(a->c0) : NULL;
    /* workspaces: every row when backward will need them, one step's rows otherwise */
    int64_t rows = record ? T : N;
    int64_t ws[2] = {rows, cell->work * H}, ps[2] = {rows, Ho}, ms[2] = {rows, H};
    if (cell->work) c->ws = lc_empty(dt, 2, ws);
    if (record) c->hprev = lc_empty(dt, 2, ps);
    if (a->h_mask) { /* the masked state: one step's rows, or every row for dW_hh */
      int64_t ms2[2] = {record ? T : N, Ho};
      c->mask = lc_contiguous(a->h_mask);
      c->hin = lc_empty(dt, 2, ms2);
    }
    /* zoneout keeps the cell's output apart from the mixed state */
    if (c->has_proj || a->zoneout_h) c->m = lc_empty(dt, 2, ms);
    if (a->zoneout_h) c->zh = lc_contiguous(a->zoneout_h);
    if (a->zoneout_c) c->zc = lc_contiguous(a->zoneout_c);
    int64_t bh[2] = {N, Ho}, bc[2] = {N, H};
    if (a->zoneout_h) hb = lc_empty(dt, 2, bh);
    if (a->zoneout_c) cb = lc_empty(dt, 2, bc);
    if (!x || !w_ih || !w_hh || (a->w_hr && !w_hr) || (a->b_ih && (!b_ih || !b_hh)) || !xw || !hw ||
        !y || !h || (a->extra && !pe) || (cell->has_cell && !cs) || (cell->work && !c->ws) || (record && !c->hprev) ||
        ((c->has_proj || a->zoneout_h) && !c->m) || (a->h_mask && (!c->mask || !c->hin)) ||
        (a->zoneout_h && (!c->zh || !hb)) || (a->zoneout_c && (!c->zc || !cb)))
      rc = -1;
  }
  if (!rc) {
    /* The input projection of all steps at once. With grad mode off the
     * graph is not built, but the kernel is the same. */
    bool was = lc_set_grad_enabled(false);
    gemm(dt, false, true, T, G, ni, 1, lc_data(x), ni, lc_data(w_ih), ni, 0, lc_data(xw), G);
    size_t es = lc_dtype_size(dt);
    for (int64_t k = 0; k < c->steps; k++) {
      int64_t t = step_at(c, k), bs = c->batch_sizes[t], off = c->offsets[t];
      int64_t wr = record ? off : 0; /* workspace row */
      if (record) memcpy(row_ptr(c->hprev, off), lc_data(h), bs * Ho * es);
      if (hb) memcpy(lc_data(hb), lc_data(h), bs * Ho * es); /* the states zoneout keeps */
      if (cb) memcpy(lc_data(cb), lc_data(cs), bs * H * es);
      const void *hin = lc_data(h);
      if (c->mask) { /* recurrent dropout: W_hh sees h * mask */
        hin = row_ptr(c->hin, wr);
        mul_rows(dt, bs * Ho, lc_data(h), lc_data(c->mask), (void *)hin);
      }
      gemm(dt, false, true, bs, G, Ho, 1, hin, Ho, lc_data(w_hh), Ho, 0, lc_data(hw), G);
      /* the cell's outputs go to y, or to m when W_hr projects them or
       * zoneout mixes them */
      void *out = c->m ? row_ptr(c->m, wr) : row_ptr(y, off);
      rows_forward(c, dt, bs, row_ptr(xw, off), lc_data(hw), b_ih ? lc_data(b_ih) : NULL,
                   b_hh ? lc_data(b_hh) : NULL, pe ? lc_data(pe) : NULL, lc_data(h),
                   cs ? lc_data(cs) : NULL,
                   c->ws ? row_ptr(c->ws, wr) : NULL, out);
      if (c->has_proj) /* h' = m W_hr^T, into the state */
        gemm(dt, false, true, bs, Ho, H, 1, out, H, lc_data(w_hr), H, 0, lc_data(h), Ho);
      else
        memcpy(lc_data(h), out, bs * Ho * es);
      if (hb) zone_mix(dt, bs * Ho, row_ptr(c->zh, off), lc_data(hb), lc_data(h));
      if (cb) zone_mix(dt, bs * H, row_ptr(c->zc, off), lc_data(cb), lc_data(cs));
      if (out != row_ptr(y, off)) memcpy(row_ptr(y, off), lc_data(h), bs * Ho * es);
    }
    lc_set_grad_enabled(was);
  }
  if (!rc && record) {
    int n_outs = cell->has_cell ? 3 : 2;
    lc_node *node = lc_node_new(cell->node, rnn_backward, N_INPUTS, ins, n_outs);
    if (!node || lc_node_save(node, x) || lc_node_save(node, w_ih) || lc_node_save(node, w_hh) ||
        lc_node_save(node, w_hr ? w_hr : w_hh) || lc_node_save(node, y) ||
        lc_node_save(node, pe ? pe : w_hh)) {
      lc_node_release(node);
      rc = -1;
    } else {
      node->ctx = c;
      node->free_ctx = free_rnn_ctx;
      c = NULL; /* owned by the node now */
      lc_tensor *outs[3] = {y, h, cs};
      lc_node_attach(node, outs, n_outs);
      lc_node_release(node);
    }
  }
  if (c) {
    lc_node tmp = {.ctx = c};
    free_rnn_ctx(&tmp);
  }
  lc_release(x), lc_release(w_ih), lc_release(w_hh), lc_release(w_hr);
  lc_release(b_ih), lc_release(b_hh), lc_release(xw), lc_release(hw);
  lc_release(hb), lc_release(cb), lc_release(pe);
  if (rc) {
    lc_release(y), lc_release(h), lc_release(cs);
    return -1;
  }
  *y_out = y;
  *h_out = h;
  if (c_out) *c_out = cs;
  else lc_release(cs);
  return 0;
}
