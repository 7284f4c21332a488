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
#include <omp.h>
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
  bool record; /* backward will run: the workspaces keep every row */
  /* per-row workspaces, T rows each when recording (N otherwise) */
  lc_tensor *ws;    /* the cell's (rows, work*H), NULL when work is 0 */
  lc_tensor *hprev; /* the state each row's step started from (T, Hout); not kept when
                     * hin is and the cell's backward does not read it */
  lc_tensor *m;     /* projected: the cell's output before W_hr (rows, H) */
  lc_tensor *mask;  /* recurrent dropout: (N, Hout) multiplier of the state fed to W_hh */
  lc_tensor *hin;   /* with mask: the state each row fed to W_hh, hprev * mask (T, Hout) */
  lc_tensor *zh, *zc; /* zoneout: each row's keep weights of h (T, Hout) and c (T, H) */
  lc_tensor *noise;   /* weight dropout: w_hh's uniform draws (G, Hout), and its p */
  double drop;
  /* row stride of the projections xw and the pre-activation gradients dgi,
   * dgh: D*G, the directions of a layer side by side in one buffer */
  int64_t ld;
} rnn_ctx;

/* The node's context: the directions of one layer call (1 or 2). */
typedef struct {
  int D;
  rnn_ctx *dir[2];
} layer_ctx;

static void free_rnn_ctx(rnn_ctx *c) {
  if (!c) return;
  free(c->batch_sizes);
  free(c->offsets);
  lc_release(c->ws);
  lc_release(c->hprev);
  lc_release(c->m);
  lc_release(c->mask);
  lc_release(c->hin);
  lc_release(c->zh);
  lc_release(c->zc);
  lc_release(c->noise);
  free(c);
}

static void free_layer_ctx(lc_node *n) {
  layer_ctx *l = n->ctx;
  for (int d = 0; d < l->D; d++) free_rnn_ctx(l->dir[d]);
  free(l);
}

/* Saved tensors: x, then per direction these five. */
enum { S_W_IH, S_W_HH, S_W_HR, S_Y, S_P, N_SAVED };
static int saved_at(int d, int k) { return 1 + d * N_SAVED + k; }
/* Node inputs: x, then per direction these eight. */
enum { I_X, I_H0, I_C0, I_W_IH, I_W_HH, I_B_IH, I_B_HH, I_W_HR, I_P, N_INPUTS };
enum { N_DIR_INPUTS = N_INPUTS - 1 };
static int input_at(int d, int k) { return k == I_X ? I_X : d * N_DIR_INPUTS + k; }

/* Multiply-adds of a layer's recurrent products (T G Hout) from which its
 * two directions run on two threads: waking a second thread costs tens of
 * microseconds (far more on a loaded machine), a million multiply-adds
 * about a hundred. */
#define DIRECTION_GRAIN ((int64_t)1 << 20)

/* Runs fn(arg, d) for each direction d < D. Two directions run at once,
 * one thread each, when there are two threads and work enough: inside the
 * parallel region OpenBLAS runs single-threaded and the gate loops
 * serially, so the threads meet once per layer instead of at every GEMM
 * and gate pass of every step. The sums are the same either way (each
 * product is one single-threaded GEMM in deterministic mode, the gate math
 * is per row). */
static int each_direction(int D, const rnn_ctx *c, int (*fn)(void *arg, int d), void *arg) {
  int rc[2] = {0, 0};
  bool big = c->total * c->gates * c->hidden * c->out >= DIRECTION_GRAIN;
  if (D == 2 && big && omp_get_max_threads() >= 2 && !omp_in_parallel()) {
#pragma omp parallel for num_threads(2) schedule(static, 1)
    for (int d = 0; d < 2; d++) rc[d] = fn(arg, d);
  } else {
    for (int d = 0; d < D; d++) rc[d] = fn(arg, d);
  }
  return rc[0] || rc[1] ? -1 : 0;
}

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

/* fn(s, r) for every r < rows: on the threads when rows * width reaches
 * the grain, else with no parallel region at all (even an inactive one
 * costs libgomp a team start, at every step of a cell loop or a batch-1
 * sequence). */
static void each_row(int64_t rows, int64_t width, void (*fn)(const void *s, int64_t r), const void *s) {
  if (rows * width < LC_PARALLEL_GRAIN || omp_in_parallel()) {
    for (int64_t r = 0; r < rows; r++) fn(s, r);
    return;
  }
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) fn(s, r);
}

/* The buffers of one step's rows, for forward_row and backward_row (the
 * names of rows_forward and rows_backward). */
typedef struct {
  const rnn_ctx *c;
  lc_dtype dt;
  const void *xw, *hw, *b_ih, *b_hh, *p, *h;
  void *cs, *ws, *out, *dout, *dc, *dgi, *dgh, *dprev, *gp;
  int64_t rows; /* backward: the step's rows, for backward_group */
} step_rows;

static void forward_row(const void *s_, int64_t r) {
  const step_rows *s = s_;
  const rnn_ctx *c = s->c;
  int64_t H = c->hidden, G = c->gates * H, Ho = c->out, W = c->cell->work * H;
  size_t es = lc_dtype_size(s->dt);
  lc_rnn_row row = {.H = H, .xw = at((void *)s->xw, r, c->ld, es), .hw = at((void *)s->hw, r, G, es),
                    .b_ih = s->b_ih, .b_hh = s->b_hh, .p = s->p, .hprev = at((void *)s->h, r, Ho, es),
                    .c = at(s->cs, r, H, es), .ws = at(s->ws, r, W, es), .out = at(s->out, r, H, es)};
  c->cell->forward(s->dt, &row);
}

/* The rows of a step's backward go in groups of GP_ROWS consecutive rows,
 * each group on one thread and adding its parameter gradients (the cells'
 * gp: layer norms) into one row of gp, in row order. One gp row per batch
 * row was 64 rows of 18H for a layer-norm LSTM at N = 64, H = 512: 2.3 MB,
 * more than a core's L2, streamed in and out at every step; in groups it is
 * 8 rows. The sums do not depend on the thread count. */
enum { GP_ROWS = 8 };
static int64_t gp_rows(int64_t batch) { return (batch + GP_ROWS - 1) / GP_ROWS; }

static void backward_row(const void *s_, int64_t r) {
  const step_rows *s = s_;
  const rnn_ctx *c = s->c;
  int64_t H = c->hidden, Ho = c->out, W = c->cell->work * H, X = c->cell->extra * H;
  size_t es = lc_dtype_size(s->dt);
  lc_rnn_row row = {.H = H, .hprev = at((void *)s->h, r, Ho, es), .ws = at(s->ws, r, W, es),
                    .out = at(s->out, r, H, es), .dout = at(s->dout, r, H, es),
                    .dc = at(s->dc, r, H, es), .gi = at(s->dgi, r, c->ld, es),
                    .gh = at(s->dgh, r, c->ld, es), .dprev = at(s->dprev, r, Ho, es), .p = s->p,
                    .gp = at(s->gp, r / GP_ROWS, X, es)};
  c->cell->backward(s->dt, &row);
}

/* Group g of the step's rows (s->rows of them), in order. */
static void backward_group(const void *s_, int64_t g) {
  const step_rows *s = s_;
  int64_t end = (g + 1) * GP_ROWS < s->rows ? (g + 1) * GP_ROWS : s->rows;
  for (int64_t r = g * GP_ROWS; r < end; r++) backward_row(s, r);
}

/* One step's rows through the cell, forward: xw (rows, G*H at row stride
 * ld) the input projections, hw (rows, G*H) the recurrent ones, h (rows,
 * Hout) the state the step starts from, cs (rows, H) the cell state (in
 * place), ws (rows, work*H) the workspace, out (rows, H) the cell's outputs. */
static void rows_forward(const rnn_ctx *c, lc_dtype dt, int64_t rows, const void *xw,
                         const void *hw, const void *b_ih, const void *b_hh, const void *p,
                         const void *h, void *cs, void *ws, void *out) {
  step_rows s = {.c = c, .dt = dt, .xw = xw, .hw = hw, .b_ih = b_ih, .b_hh = b_hh, .p = p, .h = h,
                 .cs = cs, .ws = ws, .out = out};
  each_row(rows, c->gates * c->hidden, forward_row, &s);
}

/* The same rows backward: dout (rows, H) the gradient of the cell's outputs,
 * dc (rows, H) of the new cell state (in place: that of the old one), dgi and
 * dgh (rows, G*H at row stride ld; dgh only for split_recurrent cells) the
 * pre-activation gradients, dprev (rows, Hout; direct_state cells) the
 * direct part of the previous state's gradient. */
static void rows_backward(const rnn_ctx *c, lc_dtype dt, int64_t rows, const void *p, void *dout,
                          void *dc, void *ws, void *h, void *out, void *dgi, void *dgh,
                          void *dprev, void *gp) {
  step_rows s = {.c = c, .dt = dt, .p = p, .dout = dout, .dc = dc, .ws = ws, .h = h, .out = out,
                 .dgi = dgi, .dgh = dgh, .dprev = dprev, .gp = gp, .rows = rows};
  int64_t width = c->gates * c->hidden;
  if (gp) /* rows that share a gp row run on one thread */
    each_row(gp_rows(rows), GP_ROWS * width, backward_group, &s);
  else
    each_row(rows, width, backward_row, &s);
}

/* Column sums of a (rows, cols) buffer: the bias gradients. Accumulated in
 * double because long sequences add up many rows; each thread takes a band
 * of columns and walks the rows, so memory is read in order. */
enum { BAND = 256 };
typedef struct {
  const void *buf;
  lc_dtype dt;
  int64_t rows, cols, ld;
  double *out;
} band_sums;

static void band_sum(const void *s_, int64_t band) {
  const band_sums *s = s_;
  int64_t j0 = band * BAND, w = s->cols - j0 < BAND ? s->cols - j0 : BAND;
  double acc[BAND] = {0};
  for (int64_t r = 0; r < s->rows; r++) {
    if (s->dt == LC_FLOAT32) {
      const float *row = (const float *)s->buf + r * s->ld + j0;
      for (int64_t j = 0; j < w; j++) acc[j] += row[j];
    } else {
      const double *row = (const double *)s->buf + r * s->ld + j0;
      for (int64_t j = 0; j < w; j++) acc[j] += row[j];
    }
  }
  for (int64_t j = 0; j < w; j++) s->out[j0 + j] = acc[j];
}

static void column_sums_f64(const void *buf, lc_dtype dt, int64_t rows, int64_t cols, int64_t ld,
                            double *out) {
  band_sums s = {buf, dt, rows, cols, ld, out};
  each_row((cols + BAND - 1) / BAND, rows * BAND, band_sum, &s);
}

/* (cols) sums of the rows of a (rows, cols) block at row stride ld. */
static lc_tensor *column_sums(lc_dtype dt, const void *buf, int64_t rows, int64_t cols, int64_t ld) {
  lc_tensor *sums = lc_empty(LC_FLOAT64, 1, &cols);
  if (!sums) return NULL;
  column_sums_f64(buf, dt, rows, cols, ld, lc_data(sums));
  lc_tensor *out = lc_to(sums, dt);
  lc_release(sums);
  return out;
}

static void *row_ptr(const lc_tensor *t, int64_t row) {
  return (char *)lc_data(t) + row * t->strides[0] * (int64_t)lc_dtype_size(t->dtype);
}

/* ---- backward ------------------------------------------------------------ */

/* One direction's backward through time: its saved tensors, the gradients
 * of its outputs, and the scratch of its loop. */
typedef struct {
  rnn_ctx *c;
  lc_tensor *w_ih, *w_hh, *w_hr, *y, *p;
  lc_tensor *gy, *dh, *dc;  /* dh (N, Ho), dc (N, H): the running state gradients */
  lc_tensor *dm, *dh_all;   /* projected: d(cell output) of a step, dh of every row for W_hr */
  lc_tensor *dhin;          /* recurrent dropout: d(state fed to W_hh) of a step */
  lc_tensor *zdh, *zdc;     /* zoneout: the parts of dh and dc that skip the step */
  lc_tensor *gp;            /* (gp_rows(N), extra*H) the batch row groups' parts of dL/dp */
  char *dgi, *dgh;          /* this direction's columns of the shared (T, ld) gradients */
} dir_back;

static void release_dir_back(dir_back *b) {
  lc_release(b->gy), lc_release(b->dh), lc_release(b->dc), lc_release(b->dm);
  lc_release(b->dh_all), lc_release(b->dhin), lc_release(b->zdh), lc_release(b->zdc);
  lc_release(b->gp);
}

/* Gradients of the outputs and scratch; -1 when memory ran out. */
static int dir_back_init(dir_back *b, rnn_ctx *c, lc_dtype dt, lc_tensor *const *g) {
  const lc_rnn_cell *cell = c->cell;
  int64_t T = c->total, N = c->batch, H = c->hidden, Ho = c->out;
  int64_t msz[2] = {N, H}, hsz[2] = {T, Ho}, nsz[2] = {N, Ho}, psz[2] = {gp_rows(N), cell->extra * H};
  b->c = c;
  b->gy = lc_contiguous(g[0]);
  b->dh = lc_clone(g[1]);
  if (cell->has_cell) b->dc = lc_clone(g[2]);
  if (c->has_proj) b->dm = lc_empty(dt, 2, msz), b->dh_all = lc_empty(dt, 2, hsz);
  if (c->mask) b->dhin = lc_empty(dt, 2, nsz);
  if (c->zh) b->zdh = lc_empty(dt, 2, nsz);
  if (c->zc) b->zdc = lc_empty(dt, 2, msz);
  /* not one row per step: (T, extra*H) was the largest buffer of a layer-norm LSTM */
  if (b->p) b->gp = lc_zeros(dt, 2, psz);
  return !b->gy || !b->dh || (cell->has_cell && !b->dc) || (c->has_proj && (!b->dm || !b->dh_all)) ||
                 (c->mask && !b->dhin) || (c->zh && !b->zdh) || (c->zc && !b->zdc) || (b->p && !b->gp)
             ? -1
             : 0;
}

/* The time loop of one direction, last step first: fills its columns of
 * dgi and dgh, leaves dL/dh0 in dh and dL/dc0 in dc. Allocates nothing,
 * so the two directions may run on their own threads. */
static int backward_loop(void *arg, int d) {
  dir_back *b = (dir_back *)arg + d;
  rnn_ctx *c = b->c;
  const lc_rnn_cell *cell = c->cell;
  lc_dtype dt = b->y->dtype;
  int64_t H = c->hidden, Ho = c->out, G = c->gates * H, ld = c->ld;
  size_t es = lc_dtype_size(dt);
  for (int64_t k = c->steps - 1; k >= 0; k--) {
    int64_t t = step_at(c, k), bs = c->batch_sizes[t], off = c->offsets[t];
    char *dgi = b->dgi + off * ld * es, *dgh = b->dgh + off * ld * es;
    /* the step's outputs feed the state gradient of their rows */
    add_rows(dt, bs * Ho, row_ptr(b->gy, off), lc_data(b->dh));
    if (c->zh) zone_split(dt, bs * Ho, row_ptr(c->zh, off), lc_data(b->dh), lc_data(b->zdh));
    if (c->zc) zone_split(dt, bs * H, row_ptr(c->zc, off), lc_data(b->dc), lc_data(b->zdc));
    void *dout = lc_data(b->dh), *out = c->m ? row_ptr(c->m, off) : row_ptr(b->y, off);
    if (c->has_proj) { /* h' = m W_hr^T: dm = dh W_hr, and keep dh for dW_hr */
      memcpy(row_ptr(b->dh_all, off), lc_data(b->dh), bs * Ho * es);
      gemm(dt, false, false, bs, H, Ho, 1, lc_data(b->dh), Ho, lc_data(b->w_hr), H, 0,
           lc_data(b->dm), H);
      dout = lc_data(b->dm);
    }
    rows_backward(c, dt, bs, b->p ? lc_data(b->p) : NULL, dout, b->dc ? lc_data(b->dc) : NULL,
                  c->ws ? row_ptr(c->ws, off) : NULL, c->hprev ? row_ptr(c->hprev, off) : NULL, out, dgi,
                  cell->split_recurrent ? dgh : NULL, cell->direct_state ? lc_data(b->dh) : NULL,
                  b->gp ? lc_data(b->gp) : NULL);
    /* the previous state's gradient: its direct part (left in dh by the
     * cell) plus dgh W_hh; rows that were not active this step keep theirs */
    if (!c->mask) {
      gemm(dt, false, false, bs, Ho, G, 1, dgh, ld, lc_data(b->w_hh), Ho,
           cell->direct_state ? 1 : 0, lc_data(b->dh), Ho);
    } else { /* the state reached W_hh through the mask: dh = direct + (dgh W_hh) * mask */
      gemm(dt, false, false, bs, Ho, G, 1, dgh, ld, lc_data(b->w_hh), Ho, 0, lc_data(b->dhin), Ho);
      mul_rows(dt, bs * Ho, lc_data(b->dhin), lc_data(c->mask), lc_data(b->dhin));
      LC_DISPATCH(dt, E, {
        E *dh = lc_data(b->dh);
        const E *r = lc_data(b->dhin);
        for (int64_t i = 0; i < bs * Ho; i++) dh[i] = (cell->direct_state ? dh[i] : 0) + r[i];
      });
    }
    if (c->zh) add_rows(dt, bs * Ho, lc_data(b->zdh), lc_data(b->dh));
    if (c->zc) add_rows(dt, bs * H, lc_data(b->zdc), lc_data(b->dc));
  }
  return 0;
}

/* A new (rows, cols) tensor in *out, or -1. */
static int new_grad(lc_dtype dt, int64_t rows, int64_t cols, lc_tensor **out) {
  int64_t s[2] = {rows, cols};
  *out = lc_empty(dt, 2, s);
  return *out ? 0 : -1;
}

/* The weight matrices of the directions stacked by rows: (D*G, ni), the
 * right operand of the one GEMM that projects (forward) or back-projects
 * (backward) the input for all directions. One direction: w itself. */
static lc_tensor *stack_weights(int D, lc_tensor *const *w) {
  if (D == 1) return lc_retain(w[0]);
  int64_t s[2] = {D * w[0]->sizes[0], w[0]->sizes[1]};
  lc_tensor *out = lc_empty(w[0]->dtype, 2, s);
  if (!out) return NULL;
  size_t part = (size_t)lc_numel(w[0]) * lc_dtype_size(w[0]->dtype);
  for (int d = 0; d < D; d++) memcpy((char *)lc_data(out) + d * part, lc_data(w[d]), part);
  return out;
}

/* Whole-sequence products after the loops: the input's gradient (one GEMM
 * over the directions' stacked columns), then each direction's weights and
 * biases. */
static int weight_grads(lc_node *n, int D, dir_back *b, lc_tensor *x, lc_tensor *dgi_all,
                        lc_tensor *dgh_all, lc_tensor **gin) {
  rnn_ctx *c0 = b[0].c;
  lc_dtype dt = x->dtype;
  int64_t T = c0->total, ni = x->sizes[1], G = c0->gates * c0->hidden, ld = c0->ld;
  size_t es = lc_dtype_size(dt);
  if (lc_node_needs_grad(n, I_X)) {
    lc_tensor *w[2] = {b[0].w_ih, D == 2 ? b[1].w_ih : NULL};
    lc_tensor *ws = stack_weights(D, w);
    if (!ws || new_grad(dt, T, ni, &gin[I_X])) {
      lc_release(ws);
      return -1;
    }
    gemm(dt, false, false, T, ni, ld, 1, lc_data(dgi_all), ld, lc_data(ws), ni, 0,
         lc_data(gin[I_X]), ni);
    lc_release(ws);
  }
  for (int d = 0; d < D; d++) {
    rnn_ctx *c = b[d].c;
    int64_t H = c->hidden, Ho = c->out;
    char *dgi = (char *)lc_data(dgi_all) + d * G * es, *dgh = (char *)lc_data(dgh_all) + d * G * es;
    lc_tensor **g = gin + d * N_DIR_INPUTS; /* g[I_H0] is this direction's */
    if (lc_node_needs_grad(n, input_at(d, I_W_IH))) {
      if (new_grad(dt, G, ni, &g[I_W_IH])) return -1;
      gemm(dt, true, false, G, ni, T, 1, dgi, ld, lc_data(x), ni, 0, lc_data(g[I_W_IH]), ni);
    }
    if (lc_node_needs_grad(n, input_at(d, I_W_HH))) {
      if (new_grad(dt, G, Ho, &g[I_W_HH])) return -1;
      gemm(dt, true, false, G, Ho, T, 1, dgh, ld, lc_data(c->hin ? c->hin : c->hprev), Ho, 0,
           lc_data(g[I_W_HH]), Ho);
      if (c->noise) /* w_hh' = w_hh * mask: the raw weight's gradient is dW' * mask */
        lc_rnn_dropconnect(dt, G * Ho, lc_data(g[I_W_HH]), lc_data(c->noise), c->drop, lc_data(g[I_W_HH]));
    }
    if (c->has_proj && lc_node_needs_grad(n, input_at(d, I_W_HR))) {
      if (new_grad(dt, Ho, H, &g[I_W_HR])) return -1;
      gemm(dt, true, false, Ho, H, T, 1, lc_data(b[d].dh_all), Ho, lc_data(c->m), H, 0,
           lc_data(g[I_W_HR]), H);
    }
    if (lc_node_needs_grad(n, input_at(d, I_B_IH)) && !(g[I_B_IH] = column_sums(dt, dgi, T, G, ld)))
      return -1;
    /* one buffer when the cell does not split its recurrent gradient: the
     * same sums, taken once (a pass over (T, G), 3% of an LSTM step) */
    if (lc_node_needs_grad(n, input_at(d, I_B_HH)) &&
        !(g[I_B_HH] = dgh == dgi && g[I_B_IH] ? lc_clone(g[I_B_IH]) : column_sums(dt, dgh, T, G, ld)))
      return -1;
    int64_t X = c->cell->extra * H;
    if (b[d].p && lc_node_needs_grad(n, input_at(d, I_P)) &&
        !(g[I_P] = column_sums(dt, lc_data(b[d].gp), gp_rows(c->batch), X, X)))
      return -1;
    if (lc_node_needs_grad(n, input_at(d, I_H0))) g[I_H0] = lc_retain(b[d].dh);
    if (b[d].dc && lc_node_needs_grad(n, input_at(d, I_C0))) g[I_C0] = lc_retain(b[d].dc);
  }
  return 0;
}

static int rnn_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  layer_ctx *l = n->ctx;
  int D = l->D;
  rnn_ctx *c0 = l->dir[0];
  const lc_rnn_cell *cell = c0->cell;
  int n_outs = cell->has_cell ? 3 : 2;
  lc_tensor *x = lc_node_saved(n, 0);
  if (!x) return -1;
  lc_dtype dt = x->dtype;
  dir_back b[2] = {{0}};
  int rc = 0;
  for (int d = 0; d < D && !rc; d++) {
    rnn_ctx *c = l->dir[d];
    b[d].w_ih = lc_node_saved(n, saved_at(d, S_W_IH));
    b[d].w_hh = lc_node_saved(n, saved_at(d, S_W_HH));
    b[d].y = lc_node_saved(n, saved_at(d, S_Y));
    b[d].w_hr = c->has_proj ? lc_node_saved(n, saved_at(d, S_W_HR)) : NULL;
    b[d].p = cell->extra ? lc_node_saved(n, saved_at(d, S_P)) : NULL;
    if (!b[d].w_ih || !b[d].w_hh || !b[d].y || (c->has_proj && !b[d].w_hr) || (cell->extra && !b[d].p))
      return -1;
    if (dir_back_init(&b[d], c, dt, g + d * n_outs)) rc = -1;
  }
  /* the pre-activation gradients of every row, directions side by side */
  int64_t gsz[2] = {c0->total, c0->ld};
  lc_tensor *dgi = rc ? NULL : lc_empty(dt, 2, gsz);
  lc_tensor *dgh = !dgi ? NULL : cell->split_recurrent ? lc_empty(dt, 2, gsz) : lc_retain(dgi);
  if (!dgh) rc = -1;
  size_t es = lc_dtype_size(dt);
  for (int d = 0; d < D && !rc; d++) {
    b[d].dgi = (char *)lc_data(dgi) + d * c0->gates * c0->hidden * es;
    b[d].dgh = (char *)lc_data(dgh) + d * c0->gates * c0->hidden * es;
  }
  if (!rc) rc = each_direction(D, c0, backward_loop, b);
  if (!rc) rc = weight_grads(n, D, b, x, dgi, dgh, gin);
  for (int d = 0; d < D; d++) release_dir_back(&b[d]);
  lc_release(dgi);
  lc_release(dgh);
  return rc;
}

/* ---- forward ------------------------------------------------------------- */

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
  if (!lc_rnn_fits(op, "weight_ih", a->w_ih, false, 2, G, ni, dt) ||
      !lc_rnn_fits(op, "weight_hh", a->w_hh, false, 2, G, c->out, dt) ||
      !lc_rnn_fits(op, "weight_hr", a->w_hr, true, 2, c->out, c->hidden, dt) ||
      !lc_rnn_fits(op, "h0", a->h0, false, 2, c->batch, c->out, dt) ||
      !lc_rnn_fits(op, "recurrent dropout mask", a->h_mask, true, 2, c->batch, c->out, dt) ||
      !lc_rnn_fits(op, "zoneout of h", a->zoneout_h, true, 2, c->total, c->out, dt) ||
      !lc_rnn_fits(op, "zoneout of c", a->zoneout_c, true, 2, c->total, c->hidden, dt) ||
      !lc_rnn_fits(op, "c0", a->c0, !cell->has_cell, 2, c->batch, c->hidden, dt) ||
      !lc_rnn_fits(op, "bias_ih", a->b_ih, true, 1, G, 0, dt) ||
      !lc_rnn_fits(op, "the cell's parameter", a->extra, true, 1, cell->extra * c->hidden, 0, dt) ||
      !lc_rnn_fits(op, "bias_hh", a->b_hh, true, 1, G, 0, dt))
    return -1;
  if (!lc_rnn_dropconnect_fits(op, a->w_hh_noise, a->w_hh_dropout, G, c->out, dt)) return -1;
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

/* One direction's forward: its context (kept by the node for backward) and
 * its buffers. */
typedef struct {
  rnn_ctx *c;
  lc_tensor *w_ih, *w_hh, *w_hr, *b_ih, *b_hh, *pe; /* contiguous */
  lc_tensor *hw, *y, *h, *cs; /* hw (N, G) a step's recurrent projections; the outputs */
  lc_tensor *hb, *cb;         /* zoneout: the state before a step */
  char *xw;                   /* this direction's columns of the shared (T, ld) projections */
} dir_fwd;

/* Contiguous operands, outputs and workspaces of one direction; -1 when
 * memory ran out. record: backward will run, so keep every row. */
static int dir_fwd_init(dir_fwd *f, rnn_ctx *c, const lc_rnn_args *a, bool record) {
  const lc_rnn_cell *cell = c->cell;
  lc_dtype dt = a->x->dtype;
  int64_t T = c->total, N = c->batch, H = c->hidden, Ho = c->out, G = c->gates * H;
  f->c = c;
  f->w_ih = lc_contiguous(a->w_ih), f->w_hh = lc_contiguous(a->w_hh);
  f->w_hr = a->w_hr ? lc_contiguous(a->w_hr) : NULL;
  f->b_ih = a->b_ih ? lc_contiguous(a->b_ih) : NULL, f->b_hh = a->b_hh ? lc_contiguous(a->b_hh) : NULL;
  f->pe = a->extra ? lc_contiguous(a->extra) : NULL;
  if (a->w_hh_noise && f->w_hh) { /* DropConnect: the layer's w_hh' in a buffer of its own */
    lc_tensor *raw = f->w_hh;
    c->noise = lc_contiguous(a->w_hh_noise);
    c->drop = a->w_hh_dropout;
    f->w_hh = c->noise ? lc_empty(dt, 2, raw->sizes) : NULL;
    if (f->w_hh) lc_rnn_dropconnect(dt, G * Ho, lc_data(raw), lc_data(c->noise), c->drop, lc_data(f->w_hh));
    lc_release(raw);
  }
  int64_t hs[2] = {N, G}, ys[2] = {T, Ho};
  f->hw = lc_empty(dt, 2, hs);
  f->y = lc_empty(dt, 2, ys);
  f->h = lc_clone(a->h0);
  f->cs = cell->has_cell ? lc_clone(a->c0) : NULL;
  /* workspaces: every row when backward will need them, one step's rows otherwise */
  int64_t rows = record ? T : N;
  int64_t ws[2] = {rows, cell->work * H}, ps[2] = {rows, Ho}, ms[2] = {rows, H};
  if (cell->work) c->ws = lc_empty(dt, 2, ws);
  /* hprev: for dW_hh (unless the masked hin serves) and for a cell whose backward reads it */
  bool keep_hprev = record && (!a->h_mask || cell->direct_state);
  c->record = record;
  if (keep_hprev) c->hprev = lc_empty(dt, 2, ps);
  if (a->h_mask) { /* the masked state: one step's rows, or every row for dW_hh */
    c->mask = lc_contiguous(a->h_mask);
    c->hin = lc_empty(dt, 2, ps);
  }
  /* zoneout keeps the cell's output apart from the mixed state */
  if (c->has_proj || a->zoneout_h) c->m = lc_empty(dt, 2, ms);
  if (a->zoneout_h) c->zh = lc_contiguous(a->zoneout_h);
  if (a->zoneout_c) c->zc = lc_contiguous(a->zoneout_c);
  int64_t bh[2] = {N, Ho}, bc[2] = {N, H};
  if (a->zoneout_h) f->hb = lc_empty(dt, 2, bh);
  if (a->zoneout_c) f->cb = lc_empty(dt, 2, bc);
  return !f->w_ih || !f->w_hh || (a->w_hr && !f->w_hr) || (a->b_ih && (!f->b_ih || !f->b_hh)) ||
                 !f->hw || !f->y || !f->h || (a->extra && !f->pe) || (cell->has_cell && !f->cs) ||
                 (cell->work && !c->ws) || (keep_hprev && !c->hprev) ||
                 ((c->has_proj || a->zoneout_h) && !c->m) || (a->h_mask && (!c->mask || !c->hin)) ||
                 (a->zoneout_h && (!c->zh || !f->hb)) || (a->zoneout_c && (!c->zc || !f->cb))
             ? -1
             : 0;
}

/* Releases what forward used; the outputs too unless keep. */
static void dir_fwd_release(dir_fwd *f, bool keep) {
  lc_release(f->w_ih), lc_release(f->w_hh), lc_release(f->w_hr), lc_release(f->b_ih);
  lc_release(f->b_hh), lc_release(f->pe), lc_release(f->hw), lc_release(f->hb), lc_release(f->cb);
  if (!keep) lc_release(f->y), lc_release(f->h), lc_release(f->cs);
}

/* The time loop of one direction: per step one recurrent GEMM and one pass
 * of gate math. Allocates nothing, so two directions may run on their own
 * threads. */
static int forward_loop(void *arg, int d) {
  dir_fwd *f = (dir_fwd *)arg + d;
  rnn_ctx *c = f->c;
  lc_dtype dt = f->y->dtype;
  int64_t H = c->hidden, Ho = c->out, G = c->gates * H;
  bool record = c->record;
  size_t es = lc_dtype_size(dt);
  void *h = lc_data(f->h), *cs = f->cs ? lc_data(f->cs) : NULL;
  for (int64_t k = 0; k < c->steps; k++) {
    int64_t t = step_at(c, k), bs = c->batch_sizes[t], off = c->offsets[t];
    int64_t wr = record ? off : 0; /* workspace row */
    if (c->hprev) memcpy(row_ptr(c->hprev, off), h, bs * Ho * es);
    if (f->hb) memcpy(lc_data(f->hb), h, bs * Ho * es); /* the states zoneout keeps */
    if (f->cb) memcpy(lc_data(f->cb), cs, bs * H * es);
    const void *hin = h;
    if (c->mask) { /* recurrent dropout: W_hh sees h * mask */
      hin = row_ptr(c->hin, wr);
      mul_rows(dt, bs * Ho, h, lc_data(c->mask), (void *)hin);
    }
    gemm(dt, false, true, bs, G, Ho, 1, hin, Ho, lc_data(f->w_hh), Ho, 0, lc_data(f->hw), G);
    /* the cell's outputs go to y, or to m when W_hr projects them or
     * zoneout mixes them */
    void *out = c->m ? row_ptr(c->m, wr) : row_ptr(f->y, off);
    rows_forward(c, dt, bs, f->xw + off * c->ld * es, lc_data(f->hw),
                 f->b_ih ? lc_data(f->b_ih) : NULL, f->b_hh ? lc_data(f->b_hh) : NULL,
                 f->pe ? lc_data(f->pe) : NULL, h, cs, c->ws ? row_ptr(c->ws, wr) : NULL, out);
    if (c->has_proj) /* h' = m W_hr^T, into the state */
      gemm(dt, false, true, bs, Ho, H, 1, out, H, lc_data(f->w_hr), H, 0, h, Ho);
    else
      memcpy(h, out, bs * Ho * es);
    if (f->hb) zone_mix(dt, bs * Ho, row_ptr(c->zh, off), lc_data(f->hb), h);
    if (f->cb) zone_mix(dt, bs * H, row_ptr(c->zc, off), lc_data(f->cb), cs);
    if (out != row_ptr(f->y, off)) memcpy(row_ptr(f->y, off), h, bs * Ho * es);
  }
  return 0;
}

/* The directions of one layer call share x, the cell kind and the steps,
 * and have the same sizes. */
static int check_directions(const lc_rnn_args *a, const rnn_ctx *c0, const rnn_ctx *c1) {
  bool same_steps = a[0].steps == a[1].steps && !a[0].batch_sizes == !a[1].batch_sizes &&
                    (!a[0].batch_sizes ||
                     !memcmp(a[0].batch_sizes, a[1].batch_sizes, a[0].steps * sizeof(int64_t)));
  if (a[0].x != a[1].x || strcmp(a[0].cell, a[1].cell) || !same_steps || c0->hidden != c1->hidden ||
      c0->out != c1->out || c0->batch != c1->batch || !a[0].w_hr != !a[1].w_hr ||
      !a[0].b_ih != !a[1].b_ih) {
    lc_set_error("%s: the two directions of a layer must share the input, cell kind and steps and "
                 "have the same sizes and options", c0->cell->op);
    return -1;
  }
  return 0;
}

int lc_rnn_layers(const lc_rnn_args *a, int D, lc_tensor **y_out, lc_tensor **h_out,
                  lc_tensor **c_out) {
  for (int d = 0; d < D && d < 2; d++) y_out[d] = h_out[d] = c_out[d] = NULL;
  if (D < 1 || D > 2) {
    lc_set_error("rnn_layers: 1 or 2 directions, got %d", D);
    return -1;
  }
  const lc_rnn_cell *cell = lc_rnn_cell_find(a[0].cell);
  if (!cell) return -1;
  layer_ctx *l = lc_calloc(1, sizeof *l, cell->op);
  if (!l) return -1;
  l->D = D;
  int rc = 0;
  for (int d = 0; d < D && !rc; d++) {
    l->dir[d] = lc_calloc(1, sizeof(rnn_ctx), cell->op);
    rc = l->dir[d] ? setup(l->dir[d], cell, &a[d]) : -1;
  }
  if (!rc && D == 2) rc = check_directions(a, l->dir[0], l->dir[1]);
  const lc_tensor *ins[1 + 2 * N_DIR_INPUTS] = {a[0].x};
  int n_ins = 1 + D * N_DIR_INPUTS;
  for (int d = 0; d < D; d++) {
    const lc_tensor *di[N_INPUTS] = {NULL, a[d].h0, a[d].c0, a[d].w_ih, a[d].w_hh,
                                     a[d].b_ih, a[d].b_hh, a[d].w_hr, a[d].extra};
    for (int k = I_H0; k < N_INPUTS; k++) ins[input_at(d, k)] = di[k];
  }
  bool record = !rc && lc_should_record(n_ins, ins);
  dir_fwd f[2] = {{0}};
  lc_tensor *x = NULL, *xw = NULL, *w_stack = NULL;
  lc_dtype dt = a[0].x->dtype;
  size_t es = lc_dtype_size(dt);
  if (!rc) {
    rnn_ctx *c0 = l->dir[0];
    int64_t G = c0->gates * c0->hidden, ld = D * G, xs[2] = {c0->total, ld};
    for (int d = 0; d < D; d++) {
      l->dir[d]->ld = ld;
      if (dir_fwd_init(&f[d], l->dir[d], &a[d], record)) rc = -1;
    }
    x = lc_contiguous(a[0].x);
    xw = lc_empty(dt, 2, xs);
    lc_tensor *w[2] = {f[0].w_ih, f[D - 1].w_ih};
    w_stack = rc ? NULL : stack_weights(D, w);
    if (!x || !xw || !w_stack) rc = -1;
  }
  if (!rc) {
    /* The input projection of all steps and directions at once. With grad
     * mode off the graph is not built, but the kernel is the same. */
    rnn_ctx *c0 = l->dir[0];
    int64_t ni = x->sizes[1];
    bool was = lc_set_grad_enabled(false);
    gemm(dt, false, true, c0->total, c0->ld, ni, 1, lc_data(x), ni, lc_data(w_stack), ni, 0,
         lc_data(xw), c0->ld);
    for (int d = 0; d < D; d++) f[d].xw = (char *)lc_data(xw) + d * c0->gates * c0->hidden * es;
    rc = each_direction(D, c0, forward_loop, f);
    lc_set_grad_enabled(was);
  }
  int n_outs = cell->has_cell ? 3 : 2;
  if (!rc && record) {
    lc_node *node = lc_node_new(cell->node, rnn_backward, n_ins, ins, D * n_outs);
    bool ok = node && !lc_node_save(node, x);
    for (int d = 0; d < D && ok; d++) /* absent ones saved as w_hh, to keep the positions */
      ok = !lc_node_save(node, f[d].w_ih) && !lc_node_save(node, f[d].w_hh) &&
           !lc_node_save(node, f[d].w_hr ? f[d].w_hr : f[d].w_hh) && !lc_node_save(node, f[d].y) &&
           !lc_node_save(node, f[d].pe ? f[d].pe : f[d].w_hh);
    if (!ok) {
      lc_node_release(node);
      rc = -1;
    } else {
      node->ctx = l;
      node->free_ctx = free_layer_ctx;
      node->ctx_saved = true;
      l = NULL; /* owned by the node now */
      lc_tensor *outs[6];
      for (int d = 0; d < D; d++) {
        outs[d * n_outs] = f[d].y, outs[d * n_outs + 1] = f[d].h;
        if (cell->has_cell) outs[d * n_outs + 2] = f[d].cs;
      }
      lc_node_attach(node, outs, D * n_outs);
      lc_node_release(node);
    }
  }
  if (l) {
    lc_node tmp = {.ctx = l};
    free_layer_ctx(&tmp);
  }
  lc_release(x), lc_release(xw), lc_release(w_stack);
  for (int d = 0; d < D; d++) {
    dir_fwd_release(&f[d], !rc);
    if (!rc) y_out[d] = f[d].y, h_out[d] = f[d].h, c_out[d] = f[d].cs;
  }
  return rc;
}

int lc_rnn_layer(const lc_rnn_args *a, lc_tensor **y_out, lc_tensor **h_out, lc_tensor **c_out) {
  lc_tensor *cs = NULL;
  int rc = lc_rnn_layers(a, 1, y_out, h_out, &cs);
  if (c_out) *c_out = cs;
  else lc_release(cs);
  return rc;
}
