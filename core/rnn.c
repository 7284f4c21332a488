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
 * Gates follow PyTorch: RNN h' = act(W_ih x + b_ih + W_hh h + b_hh);
 * GRU [r; z; n] with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
 * h' = (1 - z) n + z h; LSTM [i; f; g; o], c' = f c + i g,
 * h' = o tanh(c') (then W_hr h' when projected). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "lc_internal.h"

static int gate_count(lc_rnn_mode m) { return m == LC_GRU ? 3 : m == LC_LSTM ? 4 : 1; }

static const char *mode_name(lc_rnn_mode m) {
  switch (m) {
  case LC_RNN_TANH: return "RNN";
  case LC_RNN_RELU: return "RNN";
  case LC_GRU: return "GRU";
  case LC_LSTM: return "LSTM";
  }
  return "RNN";
}

/* Row-major C (m x n) = alpha op(A) op(B) + beta C on contiguous buffers. */
static void gemm(lc_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                 const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                 int64_t ldc) {
  if (m == 0 || n == 0) return;
  CBLAS_TRANSPOSE A = ta ? CblasTrans : CblasNoTrans, B = tb ? CblasTrans : CblasNoTrans;
  if (dt == LC_FLOAT32)
    cblas_sgemm(CblasRowMajor, A, B, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
  else
    cblas_dgemm(CblasRowMajor, A, B, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Everything a layer's forward keeps for its backward. */
typedef struct {
  lc_rnn_mode mode;
  bool reverse;
  int64_t steps, batch, total; /* L, N, T = sum of batch sizes */
  int64_t *batch_sizes, *offsets;
  int64_t hidden, out, gates;   /* H, Hout (P when projected), G */
  bool has_proj;
  /* per-row workspaces, T rows each */
  lc_tensor *act;   /* RNN: none (the output is the activation); GRU: r z n hn; LSTM: i f g o */
  lc_tensor *hprev; /* the state each row's step started from (T, Hout) */
  lc_tensor *cprev; /* LSTM: cell state before the step (T, H) */
  lc_tensor *tc;    /* LSTM: tanh(c') (T, H) */
  lc_tensor *m;     /* LSTM with projection: o * tanh(c') before W_hr (T, H) */
} rnn_ctx;

static void free_rnn_ctx(lc_node *n) {
  rnn_ctx *c = n->ctx;
  free(c->batch_sizes);
  free(c->offsets);
  lc_release(c->act);
  lc_release(c->hprev);
  lc_release(c->cprev);
  lc_release(c->tc);
  lc_release(c->m);
  free(c);
}

/* Saved inputs, in this order. */
enum { S_X, S_W_IH, S_W_HH, S_W_HR, S_Y };
/* Node inputs, in this order. */
enum { I_X, I_H0, I_C0, I_W_IH, I_W_HH, I_B_IH, I_B_HH, I_W_HR, N_INPUTS };

/* The step processed k-th (forward or reverse). */
static int64_t step_at(const rnn_ctx *c, int64_t k) { return c->reverse ? c->steps - 1 - k : k; }

/* ---- gate math, forward -------------------------------------------------- */

static void vtanh(lc_dtype dt, int64_t n, void *x) {
  if (dt == LC_FLOAT32) lc_vtanh_f32(n, x, x);
  else lc_vtanh_f64(n, x, x);
}

static void vsigmoid(lc_dtype dt, int64_t n, void *x) {
  if (dt == LC_FLOAT32) lc_vsigmoid_f32(n, x, x);
  else lc_vsigmoid_f64(n, x, x);
}

/* One row of a step: xr is its input projection (G*H), hr its recurrent one;
 * h and cs are its state rows (updated in place), y its output row, and act,
 * cprev, tc, m its workspace rows. Each stage is a plain loop over the row
 * or a call to the vector math, so the whole pass vectorises. */
static void gates_forward_row(const rnn_ctx *c, lc_dtype dt, const void *xr_, const void *hr_,
                              const void *b_ih_, const void *b_hh_, void *h_, void *cs_, void *y_,
                              void *act_, void *cprev_, void *tc_, void *m_) {
  int64_t H = c->hidden;
  LC_DISPATCH(dt, T, {
    const T *xr = xr_, *hr = hr_, *bi = b_ih_, *bh = b_hh_;
    T *h = h_, *cs = cs_, *y = y_, *ar = act_, *cprev = cprev_, *tc = tc_, *m = m_;
    if (c->mode == LC_RNN_TANH || c->mode == LC_RNN_RELU) {
      for (int64_t j = 0; j < H; j++) y[j] = xr[j] + hr[j] + (bi ? bi[j] + bh[j] : 0);
      if (c->mode == LC_RNN_TANH) vtanh(dt, H, y);
      else
        for (int64_t j = 0; j < H; j++) y[j] = y[j] < 0 ? 0 : y[j];
      memcpy(h, y, H * sizeof(T));
    } else if (c->mode == LC_GRU) { /* act = [r, z, n, hn] */
      for (int64_t j = 0; j < 2 * H; j++) ar[j] = xr[j] + hr[j] + (bi ? bi[j] + bh[j] : 0);
      vsigmoid(dt, 2 * H, ar);
      T *rg = ar, *zg = ar + H, *ng = ar + 2 * H, *hn = ar + 3 * H;
      for (int64_t j = 0; j < H; j++) {
        hn[j] = hr[2 * H + j] + (bh ? bh[2 * H + j] : 0);
        ng[j] = xr[2 * H + j] + (bi ? bi[2 * H + j] : 0) + rg[j] * hn[j];
      }
      vtanh(dt, H, ng);
      for (int64_t j = 0; j < H; j++) h[j] = y[j] = (1 - zg[j]) * ng[j] + zg[j] * h[j];
    } else { /* LSTM: act = [i, f, g, o] */
      for (int64_t j = 0; j < 4 * H; j++) ar[j] = xr[j] + hr[j] + (bi ? bi[j] + bh[j] : 0);
      vsigmoid(dt, 2 * H, ar);
      vtanh(dt, H, ar + 2 * H);
      vsigmoid(dt, H, ar + 3 * H);
      const T *ig = ar, *fg = ar + H, *gg = ar + 2 * H, *og = ar + 3 * H;
      for (int64_t j = 0; j < H; j++) {
        cprev[j] = cs[j];
        cs[j] = tc[j] = fg[j] * cs[j] + ig[j] * gg[j];
      }
      vtanh(dt, H, tc);
      T *out = m ? m : h; /* projected by the caller when m is given */
      for (int64_t j = 0; j < H; j++) out[j] = og[j] * tc[j];
      if (!m) memcpy(y, h, H * sizeof(T));
    }
  });
}

/* Byte offset of row r in a (rows, width) buffer of dtype dt; NULL stays NULL. */
static void *at(void *base, int64_t r, int64_t width, size_t es) {
  return base ? (char *)base + r * width * (int64_t)es : NULL;
}

static void gates_forward(const rnn_ctx *c, lc_dtype dt, int64_t rows, void *xw, void *hw,
                          const void *b_ih, const void *b_hh, void *h, void *cs, void *y, void *act,
                          void *cprev, void *tc, void *m) {
  int64_t H = c->hidden, G = c->gates * H, Ho = c->out;
  size_t es = lc_dtype_size(dt);
#pragma omp parallel for if (rows * G >= LC_PARALLEL_GRAIN)
  for (int64_t r = 0; r < rows; r++)
    gates_forward_row(c, dt, at(xw, r, G, es), at(hw, r, G, es), b_ih, b_hh, at(h, r, Ho, es),
                      at(cs, r, H, es), at(y, r, Ho, es), at(act, r, 4 * H, es),
                      at(cprev, r, H, es), at(tc, r, H, es), at(m, r, H, es));
}

/* ---- gate math, backward ------------------------------------------------- */

/* From dh (and dc) of one row of a step, the gradients of the gate
 * pre-activations: gi (input side) and gh (recurrent side; a buffer of its
 * own only for GRU, whose n gate differs, else the same as gi). Leaves in dh the part that flows directly to the
 * previous state (GRU's z h term, else zero) and in dc the previous cell's. */
static void gates_backward_row(const rnn_ctx *c, lc_dtype dt, void *dh_, void *dc_, const void *y_,
                               const void *act_, const void *hprev_, const void *cprev_,
                               const void *tc_, void *gi_, void *gh_) {
  int64_t H = c->hidden;
  LC_DISPATCH(dt, T, {
    T *dh = dh_, *dc = dc_, *gi = gi_, *gh = gh_;
    const T *y = y_, *ar = act_, *hprev = hprev_, *cprev = cprev_, *tc = tc_;
    for (int64_t j = 0; j < H; j++) {
      if (c->mode == LC_RNN_TANH || c->mode == LC_RNN_RELU) {
        T v = y[j];
        T d = dh[j] * (c->mode == LC_RNN_TANH ? 1 - v * v : (T)(v > 0));
        gi[j] = d;
        dh[j] = 0;
      } else if (c->mode == LC_GRU) {
        T rg = ar[j], zg = ar[H + j], ng = ar[2 * H + j], hn = ar[3 * H + j];
        T g = dh[j];
        T dnp = g * (1 - zg) * (1 - ng * ng);
        T dzp = g * (hprev[j] - ng) * zg * (1 - zg);
        T drp = dnp * hn * rg * (1 - rg);
        gi[j] = gh[j] = drp;
        gi[H + j] = gh[H + j] = dzp;
        gi[2 * H + j] = dnp;
        gh[2 * H + j] = dnp * rg;
        dh[j] = g * zg;
      } else { /* LSTM: dh is d(o tanh c') here */
        T ig = ar[j], fg = ar[H + j], gg = ar[2 * H + j], og = ar[3 * H + j];
        T t = tc[j], dm = dh[j];
        T dct = dc[j] + dm * og * (1 - t * t);
        gi[j] = dct * gg * ig * (1 - ig);
        gi[H + j] = dct * cprev[j] * fg * (1 - fg);
        gi[2 * H + j] = dct * ig * (1 - gg * gg);
        gi[3 * H + j] = dm * t * og * (1 - og);
        dc[j] = dct * fg;
        dh[j] = 0;
      }
    }
  });
}

static void gates_backward(const rnn_ctx *c, lc_dtype dt, int64_t rows, void *dh, void *dc,
                           void *y, void *act, void *hprev, void *cprev, void *tc, void *dgi,
                           void *dgh) {
  int64_t H = c->hidden, G = c->gates * H, Ho = c->out;
  /* the state gradient rows: (rows, Ho) normally, (rows, H) for d(o tanh c') when projected */
  int64_t hw = c->has_proj ? H : Ho;
  size_t es = lc_dtype_size(dt);
#pragma omp parallel for if (rows * G >= LC_PARALLEL_GRAIN)
  for (int64_t r = 0; r < rows; r++)
    gates_backward_row(c, dt, at(dh, r, hw, es), at(dc, r, H, es), at(y, r, Ho, es),
                       at(act, r, 4 * H, es), at(hprev, r, Ho, es), at(cprev, r, H, es),
                       at(tc, r, H, es), at(dgi, r, G, es), at(dgh, r, G, es));
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
  if (!x || !w_ih || !w_hh || !y || (c->has_proj && !w_hr)) return -1;
  lc_dtype dt = x->dtype;
  int64_t T = c->total, N = c->batch, H = c->hidden, Ho = c->out, G = c->gates * H;
  int64_t ni = x->sizes[1];
  size_t es = lc_dtype_size(dt);

  lc_tensor *gy = lc_contiguous(g[0]);
  lc_tensor *dh = lc_clone(g[1]); /* (N, Ho): the running state gradient */
  lc_tensor *dc = c->mode == LC_LSTM ? lc_clone(g[2]) : NULL;
  int64_t gsz[2] = {T, G}, msz[2] = {N, H}, hsz[2] = {T, Ho};
  lc_tensor *dgi = lc_empty(dt, 2, gsz);
  lc_tensor *dgh = c->mode == LC_GRU ? lc_empty(dt, 2, gsz) : lc_retain(dgi);
  lc_tensor *dm = c->has_proj ? lc_empty(dt, 2, msz) : NULL;   /* d(o tanh c') of a step */
  lc_tensor *dh_all = c->has_proj ? lc_empty(dt, 2, hsz) : NULL; /* dh of every row, for W_hr */
  int rc = 0;
  if (!gy || !dh || !dgi || !dgh || (c->mode == LC_LSTM && !dc) || (c->has_proj && (!dm || !dh_all))) rc = -1;

  for (int64_t k = c->steps - 1; k >= 0 && !rc; k--) {
    int64_t t = step_at(c, k), bs = c->batch_sizes[t], off = c->offsets[t];
    /* the step's outputs feed the state gradient of their rows */
    LC_DISPATCH(dt, E, {
      E *d = lc_data(dh);
      const E *gr = row_ptr(gy, off);
      for (int64_t i = 0; i < bs * Ho; i++) d[i] += gr[i];
    });
    void *dstate = lc_data(dh);
    if (c->has_proj) { /* h' = m W_hr^T: dm = dh W_hr, and keep dh for dW_hr */
      memcpy(row_ptr(dh_all, off), lc_data(dh), bs * Ho * es);
      gemm(dt, false, false, bs, H, Ho, 1, lc_data(dh), Ho, lc_data(w_hr), H, 0, lc_data(dm), H);
      dstate = lc_data(dm);
    }
    gates_backward(c, dt, bs, dstate, dc ? lc_data(dc) : NULL, row_ptr(y, off),
                   c->act ? row_ptr(c->act, off) : NULL, row_ptr(c->hprev, off),
                   c->cprev ? row_ptr(c->cprev, off) : NULL, c->tc ? row_ptr(c->tc, off) : NULL,
                   row_ptr(dgi, off), row_ptr(dgh, off));
    /* the previous state's gradient: its direct part (left in dh by GRU) plus
     * dgh W_hh; rows that were not active this step keep theirs */
    bool direct = c->mode == LC_GRU;
    gemm(dt, false, false, bs, Ho, G, 1, row_ptr(dgh, off), G, lc_data(w_hh), Ho, direct ? 1 : 0,
         lc_data(dh), Ho);
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
    else gemm(dt, true, false, G, Ho, T, 1, lc_data(dgh), G, lc_data(c->hprev), Ho, 0, lc_data(gin[I_W_HH]), Ho);
  }
  if (!rc && c->has_proj && lc_node_needs_grad(n, I_W_HR)) {
    int64_t s[2] = {Ho, H};
    gin[I_W_HR] = lc_empty(dt, 2, s);
    if (!gin[I_W_HR]) rc = -1;
    else gemm(dt, true, false, Ho, H, T, 1, lc_data(dh_all), Ho, lc_data(c->m), H, 0, lc_data(gin[I_W_HR]), H);
  }
  if (!rc && lc_node_needs_grad(n, I_B_IH) && !(gin[I_B_IH] = column_sums(dt, lc_data(dgi), T, G))) rc = -1;
  if (!rc && lc_node_needs_grad(n, I_B_HH) && !(gin[I_B_HH] = column_sums(dt, lc_data(dgh), T, G))) rc = -1;
  if (!rc && lc_node_needs_grad(n, I_H0)) gin[I_H0] = lc_retain(dh);
  if (!rc && dc && lc_node_needs_grad(n, I_C0)) gin[I_C0] = lc_retain(dc);

  lc_release(gy);
  lc_release(dh);
  lc_release(dc);
  lc_release(dgi);
  lc_release(dgh);
  lc_release(dm);
  lc_release(dh_all);
  return rc;
}

/* ---- forward ------------------------------------------------------------- */

static bool check_2d(const char *op, const char *what, const lc_tensor *t, int64_t r, int64_t c,
                     lc_dtype dt) {
  if (t->ndim != 2 || t->sizes[0] != r || t->sizes[1] != c || t->dtype != dt) {
    char got[128];
    lc_set_error("%s: %s has shape %s and dtype %s, expected (%lld, %lld) and %s", op, what,
                 lc_shape_str(got, t->ndim, t->sizes), lc_dtype_name(t->dtype), (long long)r,
                 (long long)c, lc_dtype_name(dt));
    return false;
  }
  return true;
}

static bool check_1d(const char *op, const char *what, const lc_tensor *t, int64_t n, lc_dtype dt) {
  if (t->ndim != 1 || t->sizes[0] != n || t->dtype != dt) {
    char got[128];
    lc_set_error("%s: %s has shape %s and dtype %s, expected (%lld) and %s", op, what,
                 lc_shape_str(got, t->ndim, t->sizes), lc_dtype_name(t->dtype), (long long)n,
                 lc_dtype_name(dt));
    return false;
  }
  return true;
}

/* Validates shapes and batch sizes and fills the geometry of c. */
static int setup(rnn_ctx *c, const lc_rnn_args *a) {
  const char *op = mode_name(a->mode);
  const lc_tensor *x = a->x;
  if (!lc_dtype_is_float(x->dtype) || x->ndim != 2) {
    lc_set_error("%s: the layer input must be a 2-D (rows, features) float tensor", op);
    return -1;
  }
  lc_dtype dt = x->dtype;
  c->mode = a->mode;
  c->reverse = a->reverse;
  c->gates = gate_count(a->mode);
  c->hidden = a->w_hh->ndim == 2 ? a->w_hh->sizes[0] / c->gates : 0;
  c->has_proj = a->w_hr != NULL;
  c->out = c->has_proj ? a->w_hr->sizes[0] : c->hidden;
  c->steps = a->steps;
  c->total = x->sizes[0];
  c->batch = a->h0->ndim == 2 ? a->h0->sizes[0] : -1;
  int64_t ni = x->sizes[1], G = c->gates * c->hidden;
  if (c->has_proj && a->mode != LC_LSTM) {
    lc_set_error("%s: proj_size is only supported by LSTM", op);
    return -1;
  }
  if (!check_2d(op, "weight_ih", a->w_ih, G, ni, dt) || !check_2d(op, "weight_hh", a->w_hh, G, c->out, dt) ||
      (a->w_hr && !check_2d(op, "weight_hr", a->w_hr, c->out, c->hidden, dt)) ||
      !check_2d(op, "h0", a->h0, c->batch, c->out, dt) ||
      (a->mode == LC_LSTM && (!a->c0 || !check_2d(op, "c0", a->c0, c->batch, c->hidden, dt))) ||
      (a->b_ih && !check_1d(op, "bias_ih", a->b_ih, G, dt)) ||
      (a->b_hh && !check_1d(op, "bias_hh", a->b_hh, G, dt)))
    return -1;
  if (!a->b_ih != !a->b_hh) {
    lc_set_error("%s: give both biases or neither", op);
    return -1;
  }
  if (c->steps < 1 || c->steps > c->total) { /* every step has at least one row */
    lc_set_error("%s: %lld steps for %lld rows of input", op, (long long)c->steps,
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
      lc_set_error("%s: batch_sizes must be positive, at most the batch (%lld) and non-increasing; "
                   "step %lld has %lld", op, (long long)c->batch, (long long)t + 1, (long long)bs);
      return -1;
    }
    c->batch_sizes[t] = bs;
    c->offsets[t] = sum;
    sum += bs;
  }
  if (sum != c->total) {
    lc_set_error("%s: the input has %lld rows but the batch sizes add up to %lld", op,
                 (long long)c->total, (long long)sum);
    return -1;
  }
  return 0;
}

int lc_rnn_layer(const lc_rnn_args *a, lc_tensor **y_out, lc_tensor **h_out, lc_tensor **c_out) {
  *y_out = *h_out = NULL;
  if (c_out) *c_out = NULL;
  rnn_ctx *c = lc_calloc(1, sizeof *c, mode_name(a->mode));
  if (!c) return -1;
  lc_tensor *x = NULL, *w_ih = NULL, *w_hh = NULL, *w_hr = NULL, *b_ih = NULL, *b_hh = NULL;
  lc_tensor *xw = NULL, *hw = NULL, *y = NULL, *h = NULL, *cs = NULL;
  int rc = setup(c, a);
  lc_dtype dt = a->x->dtype;
  int64_t T = c->total, N = c->batch, H = c->hidden, Ho = c->out, G = c->gates * H, ni = a->x->sizes[1];
  const lc_tensor *ins[N_INPUTS] = {a->x, a->h0, a->c0, a->w_ih, a->w_hh, a->b_ih, a->b_hh, a->w_hr};
  bool record = !rc && lc_should_record(N_INPUTS, ins);

  if (!rc) {
    x = lc_contiguous(a->x), w_ih = lc_contiguous(a->w_ih), w_hh = lc_contiguous(a->w_hh);
    w_hr = a->w_hr ? lc_contiguous(a->w_hr) : NULL;
    b_ih = a->b_ih ? lc_contiguous(a->b_ih) : NULL, b_hh = a->b_hh ? lc_contiguous(a->b_hh) : NULL;
    int64_t xs[2] = {T, G}, hs[2] = {N, G}, ys[2] = {T, Ho};
    xw = lc_empty(dt, 2, xs);
    hw = lc_empty(dt, 2, hs);
    y = lc_empty(dt, 2, ys);
    h = lc_clone(a->h0);
    cs = a->mode == LC_LSTM ? lc_clone(a->c0) : NULL;
    /* workspaces: every row when backward will need them, one step's rows otherwise */
    int64_t rows = record ? T : N;
    int64_t as[2] = {rows, 4 * H}, ps[2] = {rows, Ho}, cz[2] = {rows, H};
    if (a->mode == LC_GRU || a->mode == LC_LSTM) c->act = lc_empty(dt, 2, as);
    if (record) c->hprev = lc_empty(dt, 2, ps);
    if (a->mode == LC_LSTM) {
      c->cprev = lc_empty(dt, 2, cz);
      c->tc = lc_empty(dt, 2, cz);
    }
    if (c->has_proj) c->m = lc_empty(dt, 2, cz);
    if (!x || !w_ih || !w_hh || (a->w_hr && !w_hr) || (a->b_ih && (!b_ih || !b_hh)) || !xw || !hw ||
        !y || !h || (a->mode == LC_LSTM && (!cs || !c->cprev || !c->tc)) ||
        ((a->mode == LC_GRU || a->mode == LC_LSTM) && !c->act) || (record && !c->hprev) ||
        (c->has_proj && !c->m))
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
      gemm(dt, false, true, bs, G, Ho, 1, lc_data(h), Ho, lc_data(w_hh), Ho, 0, lc_data(hw), G);
      gates_forward(c, dt, bs, row_ptr(xw, off), lc_data(hw), b_ih ? lc_data(b_ih) : NULL,
                    b_hh ? lc_data(b_hh) : NULL, lc_data(h), cs ? lc_data(cs) : NULL, row_ptr(y, off),
                    c->act ? row_ptr(c->act, wr) : NULL, c->cprev ? row_ptr(c->cprev, wr) : NULL,
                    c->tc ? row_ptr(c->tc, wr) : NULL, c->m ? row_ptr(c->m, wr) : NULL);
      if (c->has_proj) { /* h' = m W_hr^T, into the state and the output */
        gemm(dt, false, true, bs, Ho, H, 1, row_ptr(c->m, wr), H, lc_data(w_hr), H, 0, lc_data(h), Ho);
        memcpy(row_ptr(y, off), lc_data(h), bs * Ho * es);
      }
    }
    lc_set_grad_enabled(was);
  }
  if (!rc && record) {
    const char *name = a->mode == LC_LSTM ? "LSTMBackward" : a->mode == LC_GRU ? "GRUBackward" : "RNNBackward";
    lc_node *node = lc_node_new(name, rnn_backward, N_INPUTS, ins, a->mode == LC_LSTM ? 3 : 2);
    if (!node || lc_node_save(node, x) || lc_node_save(node, w_ih) || lc_node_save(node, w_hh) ||
        lc_node_save(node, w_hr ? w_hr : w_hh) || lc_node_save(node, y)) {
      lc_node_release(node);
      rc = -1;
    } else {
      node->ctx = c;
      node->free_ctx = free_rnn_ctx;
      c = NULL; /* owned by the node now */
      lc_tensor *outs[3] = {y, h, cs};
      lc_node_attach(node, outs, a->mode == LC_LSTM ? 3 : 2);
      lc_node_release(node);
    }
  }
  if (c) {
    lc_node tmp = {.ctx = c};
    free_rnn_ctx(&tmp);
  }
  lc_release(x), lc_release(w_ih), lc_release(w_hh), lc_release(w_hr);
  lc_release(b_ih), lc_release(b_hh), lc_release(xw), lc_release(hw);
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
