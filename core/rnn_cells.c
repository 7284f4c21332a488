/* rnn_cells.c: the recurrent cell kinds, one descriptor each. A descriptor
 * gives the gate count, the workspace a row keeps for backward, flags for
 * the time loop in rnn.c, and the math of one row of one step, forward and
 * backward side by side (lc_rnn_row in lc_nn.h names the row's buffers).
 *
 * A new cell kind is two row functions and one line of the table below.
 *
 * Equations follow PyTorch, with xw = W_ih x (+ b_ih) and hw = W_hh h (+ b_hh):
 *   RNN   h' = act(xw + hw), act tanh or relu
 *   GRU   [r; z; n]: r, z = sigmoid(xw + hw), n = tanh(xw_n + r * hw_n),
 *         h' = (1 - z) n + z h
 *   LSTM  [i; f; g; o]: i, f, o = sigmoid(xw + hw), g = tanh(xw + hw),
 *         c' = f c + i g, h' = o tanh(c')
 *   LSTM with peepholes: i, f also see w_ci * c, w_cf * c; o sees w_co * c'.
 * Each stage is a plain loop over the row or a call to the vector math, so
 * the whole pass vectorises; every row function is cloned for AVX2
 * (LC_CLONES; no FMA in those targets, so the clones compute the same
 * numbers as the baseline code). */
#include <math.h>
#include <string.h>

#include "lc_internal.h"

/* Runs a block with T the element type of a layer's rows: float or double
 * (the layers accept no other dtype; LC_DISPATCH would also compile every
 * row function for int64). */
#define ROWS_OF(dt, T, ...)              \
  do {                                   \
    if ((dt) == LC_FLOAT32) {            \
      typedef float T;                   \
      __VA_ARGS__                        \
    } else {                             \
      typedef double T;                  \
      __VA_ARGS__                        \
    }                                    \
  } while (0)

static void vtanh(lc_dtype dt, int64_t n, void *x) {
  if (dt == LC_FLOAT32) lc_vtanh_f32(n, x, x);
  else lc_vtanh_f64(n, x, x);
}

static void vsigmoid(lc_dtype dt, int64_t n, void *x) {
  if (dt == LC_FLOAT32) lc_vsigmoid_f32(n, x, x);
  else lc_vsigmoid_f64(n, x, x);
}

/* pre[j] = xw[j] + hw[j] (+ b_ih[j] + b_hh[j]) for j < n: the summed
 * pre-activations of the first n gate columns. */
#define SUM_PRE(T, pre, r, n)                                                        \
  do {                                                                               \
    const T *xw_ = (r)->xw, *hw_ = (r)->hw, *bi_ = (r)->b_ih, *bh_ = (r)->b_hh;      \
    if (bi_)                                                                         \
      for (int64_t j = 0; j < (n); j++) (pre)[j] = xw_[j] + hw_[j] + (bi_[j] + bh_[j]); \
    else                                                                             \
      for (int64_t j = 0; j < (n); j++) (pre)[j] = xw_[j] + hw_[j];                  \
  } while (0)

/* ---- Elman RNN: ws none; out = h' ----------------------------------------- */

/* out (H) = act(xw + hw) */
LC_CLONES static void rnn_tanh_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H; /* a local: the build's -fno-strict-aliasing would reload r->H after every store */
  ROWS_OF(dt, T, {
    T *out = r->out;
    SUM_PRE(T, out, r, H);
  });
  vtanh(dt, H, r->out);
}

/* gi (H) = dout * (1 - h'^2) */
LC_CLONES static void rnn_tanh_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    const T *dout = r->dout, *y = r->out;
    T *gi = r->gi;
    for (int64_t j = 0; j < H; j++) gi[j] = dout[j] * (1 - y[j] * y[j]);
  });
}

LC_CLONES static void rnn_relu_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    T *out = r->out;
    SUM_PRE(T, out, r, H);
    for (int64_t j = 0; j < H; j++) out[j] = out[j] < 0 ? 0 : out[j];
  });
}

/* gi (H) = dout * [h' > 0] */
LC_CLONES static void rnn_relu_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    const T *dout = r->dout, *y = r->out;
    T *gi = r->gi;
    for (int64_t j = 0; j < H; j++) gi[j] = y[j] > 0 ? dout[j] : 0;
  });
}

/* ---- GRU: ws (4H) = [r, z, n, hn] with hn = hw_n + b_hn -------------------- */

LC_CLONES static void gru_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    T *ws = r->ws, *out = r->out;
    const T *xw = r->xw, *hw = r->hw, *bi = r->b_ih, *bh = r->b_hh, *hprev = r->hprev;
    SUM_PRE(T, ws, r, 2 * H);
    vsigmoid(dt, 2 * H, ws);
    T *rg = ws, *zg = ws + H, *ng = ws + 2 * H, *hn = ws + 3 * H;
    for (int64_t j = 0; j < H; j++) {
      hn[j] = hw[2 * H + j] + (bh ? bh[2 * H + j] : 0);
      ng[j] = xw[2 * H + j] + (bi ? bi[2 * H + j] : 0) + rg[j] * hn[j];
    }
    vtanh(dt, H, ng);
    for (int64_t j = 0; j < H; j++) out[j] = (1 - zg[j]) * ng[j] + zg[j] * hprev[j];
  });
}

/* The GRU's gate gradients from ws = [r, z, n, hn] (H each): gi, gh (3H)
 * for the input and recurrent sides (the r and z columns agree, the n
 * column of gh carries r), dprev (H) = dout * z. Shared with gru_ln. */
#define GRU_GATE_GRADS(T, H, ws, hprev, dout, gi, gh, dprev)               \
  for (int64_t j = 0; j < (H); j++) {                                      \
    T rg = (ws)[j], zg = (ws)[(H) + j], ng = (ws)[2 * (H) + j];            \
    T hn = (ws)[3 * (H) + j], g = (dout)[j];                               \
    T dnp = g * (1 - zg) * (1 - ng * ng);                                  \
    T dzp = g * ((hprev)[j] - ng) * zg * (1 - zg);                         \
    T drp = dnp * hn * rg * (1 - rg);                                      \
    (gi)[j] = (gh)[j] = drp;                                               \
    (gi)[(H) + j] = (gh)[(H) + j] = dzp;                                   \
    (gi)[2 * (H) + j] = dnp;                                               \
    (gh)[2 * (H) + j] = dnp * rg;                                          \
    (dprev)[j] = g * zg; /* dout[j] read first: dprev may alias it */      \
  }

LC_CLONES static void gru_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    const T *ws = r->ws, *hprev = r->hprev, *dout = r->dout;
    T *gi = r->gi, *gh = r->gh, *dprev = r->dprev;
    GRU_GATE_GRADS(T, H, ws, hprev, dout, gi, gh, dprev);
  });
}

/* ---- LSTM: ws (6H) = [i, f, g, o, c, tanh(c')] ---------------------------- */

LC_CLONES static void lstm_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    T *ws = r->ws, *cs = r->c, *out = r->out;
    SUM_PRE(T, ws, r, 4 * H);
    vsigmoid(dt, 2 * H, ws);
    vtanh(dt, H, ws + 2 * H);
    vsigmoid(dt, H, ws + 3 * H);
    const T *ig = ws, *fg = ws + H, *gg = ws + 2 * H, *og = ws + 3 * H;
    T *cprev = ws + 4 * H, *tc = ws + 5 * H;
    for (int64_t j = 0; j < H; j++) {
      cprev[j] = cs[j];
      cs[j] = tc[j] = fg[j] * cs[j] + ig[j] * gg[j];
    }
    vtanh(dt, H, tc);
    for (int64_t j = 0; j < H; j++) out[j] = og[j] * tc[j];
  });
}

/* gi (4H) from dout and dc (dL/dc'); dc becomes dL/dc = dL/dc' f */
LC_CLONES static void lstm_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    const T *ws = r->ws, *dout = r->dout;
    T *dc = r->dc, *gi = r->gi;
    for (int64_t j = 0; j < H; j++) {
      T ig = ws[j], fg = ws[H + j], gg = ws[2 * H + j], og = ws[3 * H + j];
      T cprev = ws[4 * H + j], t = ws[5 * H + j], dm = dout[j];
      T dct = dc[j] + dm * og * (1 - t * t);
      gi[j] = dct * gg * ig * (1 - ig);
      gi[H + j] = dct * cprev * fg * (1 - fg);
      gi[2 * H + j] = dct * ig * (1 - gg * gg);
      gi[3 * H + j] = dm * t * og * (1 - og);
      dc[j] = dct * fg;
    }
  });
}

/* ---- LSTM with peepholes: p (3H) = [w_ci, w_cf, w_co];
 *      ws (7H) = [i, f, g, o, c, tanh(c'), c'] -------------------------------
 * i = sigmoid(pre_i + w_ci * c), f = sigmoid(pre_f + w_cf * c),
 * g = tanh(pre_g), c' = f c + i g, o = sigmoid(pre_o + w_co * c'). */

LC_CLONES static void lstm_peephole_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    T *ws = r->ws, *cs = r->c, *out = r->out;
    const T *w_ci = r->p, *w_cf = w_ci + H, *w_co = w_ci + 2 * H;
    SUM_PRE(T, ws, r, 4 * H);
    T *ig = ws, *fg = ws + H, *gg = ws + 2 * H, *og = ws + 3 * H;
    T *cprev = ws + 4 * H, *tc = ws + 5 * H, *cn = ws + 6 * H;
    for (int64_t j = 0; j < H; j++) {
      cprev[j] = cs[j];
      ig[j] += w_ci[j] * cs[j];
      fg[j] += w_cf[j] * cs[j];
    }
    vsigmoid(dt, 2 * H, ig);
    vtanh(dt, H, gg);
    for (int64_t j = 0; j < H; j++) {
      cs[j] = cn[j] = tc[j] = fg[j] * cprev[j] + ig[j] * gg[j];
      og[j] += w_co[j] * cn[j];
    }
    vsigmoid(dt, H, og);
    vtanh(dt, H, tc);
    for (int64_t j = 0; j < H; j++) out[j] = og[j] * tc[j];
  });
}

/* gi (4H); dc becomes dL/dc = dct f + di w_ci + df w_cf, where dct = dL/dc'
 * in total (through h' and through o's peephole); gp (3H) = [di c, df c, do c'] */
LC_CLONES static void lstm_peephole_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  ROWS_OF(dt, T, {
    const T *ws = r->ws, *dout = r->dout;
    const T *w_ci = r->p, *w_cf = w_ci + H, *w_co = w_ci + 2 * H;
    T *dc = r->dc, *gi = r->gi, *gp = r->gp;
    for (int64_t j = 0; j < H; j++) {
      T ig = ws[j], fg = ws[H + j], gg = ws[2 * H + j], og = ws[3 * H + j];
      T cprev = ws[4 * H + j], t = ws[5 * H + j], cn = ws[6 * H + j], dm = dout[j];
      T dop = dm * t * og * (1 - og);
      T dct = dc[j] + dm * og * (1 - t * t) + dop * w_co[j];
      T dip = dct * gg * ig * (1 - ig), dfp = dct * cprev * fg * (1 - fg);
      gi[j] = dip;
      gi[H + j] = dfp;
      gi[2 * H + j] = dct * ig * (1 - gg * gg);
      gi[3 * H + j] = dop;
      dc[j] = dct * fg + dip * w_ci[j] + dfp * w_cf[j];
      gp[j] += dip * cprev, gp[H + j] += dfp * cprev, gp[2 * H + j] += dop * cn;
    }
  });
}

/* ---- layer-normalised cells -------------------------------------------------
 * nn.LayerNorm's over a row of n: xhat = (x - mean) / sqrt(var + 1e-5) (var
 * biased), y = xhat * w + b. Backward with dy: dw += dy xhat, db += dy,
 * dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy w.
 * The statistics are taken in the gate pass of the row; ws keeps xhat and
 * rstd (in the first element of an H block). */

#define LN_EPS 1e-5

/* The reductions of a row (sums over n = 4H or so) are kept in LN_LANES
 * partial sums: one running sum is a chain of dependent adds (four cycles
 * each), which made the statistics most of the layer-norm cells' time;
 * partial sums vectorise. They are in double whatever T: float32 inputs
 * lose nothing to the order of the adds. Cloned like the row functions;
 * the loops that write in place are marked ivdep, since a
 * row may be normalised over itself (y = x, dx = dy), element by element. */
enum { LN_LANES = 8 };

#define LN_ROW_FUNCS(T, sfx)                                                                        \
  /* xhat (n) and y = xhat w + b (n) from x (n); returns rstd. y may alias x. */                   \
  LC_CLONES static double ln_forward_##sfx(const T *x, int64_t n, const T *w, const T *b, T *xhat, \
                                           T *y) {                                                 \
    int64_t m = n - n % LN_LANES;                                                                  \
    double s[LN_LANES] = {0}, v[LN_LANES] = {0}, mean = 0, var = 0;                                \
    for (int64_t j = 0; j < m; j += LN_LANES)                                                      \
      for (int l = 0; l < LN_LANES; l++) s[l] += x[j + l];                                         \
    for (int64_t j = m; j < n; j++) s[j - m] += x[j];                                              \
    for (int l = 0; l < LN_LANES; l++) mean += s[l];                                               \
    mean /= (double)n;                                                                             \
    for (int64_t j = 0; j < m; j += LN_LANES)                                                      \
      for (int l = 0; l < LN_LANES; l++) {                                                         \
        double d = x[j + l] - mean;                                                                \
        v[l] += d * d;                                                                             \
      }                                                                                            \
    for (int64_t j = m; j < n; j++) v[j - m] += (x[j] - mean) * (x[j] - mean);                     \
    for (int l = 0; l < LN_LANES; l++) var += v[l];                                                \
    double rstd = 1 / sqrt(var / (double)n + LN_EPS);                                              \
    _Pragma("GCC ivdep") for (int64_t j = 0; j < n; j++) {                                         \
      T xh = (T)((x[j] - mean) * rstd);                                                            \
      xhat[j] = xh;                                                                                \
      y[j] = xh * w[j] + b[j];                                                                     \
    }                                                                                              \
    return rstd;                                                                                   \
  }                                                                                                \
                                                                                                   \
  /* dx (n) from dy (n); this row's dL/dw, dL/db are added to gw, gb (n). dx may alias dy. */      \
  LC_CLONES static void ln_backward_##sfx(const T *dy, int64_t n, const T *w, const T *xhat,       \
                                          double rstd, T *gw, T *gb, T *dx) {                      \
    int64_t m = n - n % LN_LANES;                                                                  \
    double a1[LN_LANES] = {0}, a2[LN_LANES] = {0}, m1 = 0, m2 = 0;                                 \
    for (int64_t j = 0; j < m; j += LN_LANES)                                                      \
      for (int l = 0; l < LN_LANES; l++) {                                                         \
        double dxh = (double)dy[j + l] * w[j + l];                                                 \
        a1[l] += dxh;                                                                              \
        a2[l] += dxh * xhat[j + l];                                                                \
      }                                                                                            \
    for (int64_t j = m; j < n; j++) {                                                              \
      double dxh = (double)dy[j] * w[j];                                                           \
      a1[j - m] += dxh;                                                                            \
      a2[j - m] += dxh * xhat[j];                                                                  \
    }                                                                                              \
    for (int64_t j = 0; j < n; j++) {                                                              \
      gw[j] += dy[j] * xhat[j];                                                                    \
      gb[j] += dy[j];                                                                              \
    }                                                                                              \
    for (int l = 0; l < LN_LANES; l++) m1 += a1[l], m2 += a2[l];                                   \
    m1 /= (double)n, m2 /= (double)n;                                                              \
    _Pragma("GCC ivdep") for (int64_t j = 0; j < n; j++)                                           \
      dx[j] = (T)(rstd * ((double)dy[j] * w[j] - m1 - xhat[j] * m2));                              \
  }
LN_ROW_FUNCS(float, f32)
LN_ROW_FUNCS(double, f64)

/* The layer norm of a row of either element type: the functions above by T. */
#define LN_FORWARD(x, n, w, b, xhat, y) \
  _Generic((xhat), float *: ln_forward_f32, double *: ln_forward_f64)(x, n, w, b, xhat, y)
#define LN_BACKWARD(dy, n, w, xhat, rstd, gw, gb, dx) \
  _Generic((dx), float *: ln_backward_f32, double *: ln_backward_f64)(dy, n, w, xhat, rstd, gw, gb, dx)

/* LayerNorm LSTM (custom_lstms.py's LayerNormLSTMCell), no biases:
 * gates = LN_ih(W_ih x) + LN_hh(W_hh h), c' = LN_c(f c + i g), h' = o tanh(c').
 * p (18H) = [w_ih, b_ih (4H each), w_hh, b_hh (4H each), w_c, b_c (H each)];
 * ws (18H) = [i, f, g, o, xhat_ih (4H), xhat_hh (4H), c, chat, tanh(c'),
 * rstd of ih, hh, c (the first element of an H block each: one block
 * would not hold three when H < 3)]. */
LC_CLONES static void lstm_ln_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H, G = 4 * H;
  ROWS_OF(dt, T, {
    const T *xw = r->xw, *hw = r->hw, *p = r->p;
    const T *w_ih = p, *b_ih = p + G, *w_hh = p + 2 * G, *b_hh = p + 3 * G;
    const T *w_c = p + 4 * G, *b_c = p + 4 * G + H;
    T *ws = r->ws, *cs = r->c, *out = r->out;
    T *xi = ws + G, *xh = ws + 2 * G, *cprev = ws + 3 * G, *chat = cprev + H, *tc = chat + H;
    T *rs = tc + H;
    T tmp[G];
    rs[0] = (T)LN_FORWARD(xw, G, w_ih, b_ih, xi, ws);
    rs[H] = (T)LN_FORWARD(hw, G, w_hh, b_hh, xh, tmp);
    for (int64_t j = 0; j < G; j++) ws[j] += tmp[j];
    vsigmoid(dt, 2 * H, ws);
    vtanh(dt, H, ws + 2 * H);
    vsigmoid(dt, H, ws + 3 * H);
    const T *ig = ws, *fg = ws + H, *gg = ws + 2 * H;
    for (int64_t j = 0; j < H; j++) {
      cprev[j] = cs[j];
      tmp[j] = fg[j] * cs[j] + ig[j] * gg[j];
    }
    rs[2 * H] = (T)LN_FORWARD(tmp, H, w_c, b_c, chat, cs);
    for (int64_t j = 0; j < H; j++) tc[j] = cs[j];
    vtanh(dt, H, tc);
    const T *og = ws + 3 * H;
    for (int64_t j = 0; j < H; j++) out[j] = og[j] * tc[j];
  });
}

/* gi, gh (4H): dL/dW_ih x and dL/dW_hh h through their layer norms; dc
 * becomes dL/dc; this row's gradients of p are added to gp (18H). */
LC_CLONES static void lstm_ln_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H, G = 4 * H;
  ROWS_OF(dt, T, {
    const T *ws = r->ws, *dout = r->dout, *p = r->p;
    const T *w_ih = p, *w_hh = p + 2 * G, *w_c = p + 4 * G;
    const T *xi = ws + G, *xh = ws + 2 * G, *cprev = ws + 3 * G, *chat = cprev + H, *tc = chat + H;
    const T *rs = tc + H;
    T *dc = r->dc, *gi = r->gi, *gh = r->gh, *gp = r->gp;
    T dsum[H], dpre[G]; /* dL/d(f c + i g), dL/d(gates) */
    const T *ig = ws, *fg = ws + H, *gg = ws + 2 * H, *og = ws + 3 * H;
    for (int64_t j = 0; j < H; j++) dc[j] += dout[j] * og[j] * (1 - tc[j] * tc[j]); /* dL/dc' in total */
    LN_BACKWARD(dc, H, w_c, chat, rs[2 * H], gp + 4 * G, gp + 4 * G + H, dsum);
    for (int64_t j = 0; j < H; j++) {
      T d = dsum[j];
      dpre[j] = d * gg[j] * ig[j] * (1 - ig[j]);
      dpre[H + j] = d * cprev[j] * fg[j] * (1 - fg[j]);
      dpre[2 * H + j] = d * ig[j] * (1 - gg[j] * gg[j]);
      dpre[3 * H + j] = dout[j] * tc[j] * og[j] * (1 - og[j]);
      dc[j] = d * fg[j];
    }
    LN_BACKWARD(dpre, G, w_ih, xi, rs[0], gp, gp + G, gi);
    LN_BACKWARD(dpre, G, w_hh, xh, rs[H], gp + 2 * G, gp + 3 * G, gh);
  });
}

/* LayerNorm GRU: a_i = LN_ih(W_ih x), a_h = LN_hh(W_hh h) (3H each), then
 * PyTorch's GRU with a_i, a_h in place of W x + b. p (12H) = [w_ih, b_ih,
 * w_hh, b_hh (3H each)]; ws (12H) = [r, z, n, a_hn, xhat_ih (3H), xhat_hh
 * (3H), rstd of ih, hh (the first element of an H block each: one block
 * would not hold two when H = 1)]. */
LC_CLONES static void gru_ln_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H, G = 3 * H;
  ROWS_OF(dt, T, {
    const T *xw = r->xw, *hw = r->hw, *p = r->p, *hprev = r->hprev;
    const T *w_ih = p, *b_ih = p + G, *w_hh = p + 2 * G, *b_hh = p + 3 * G;
    T *ws = r->ws, *out = r->out;
    T *xi = ws + 4 * H, *xh = xi + G, *rs = xh + G;
    T ai[G], ah[G];
    rs[0] = (T)LN_FORWARD(xw, G, w_ih, b_ih, xi, ai);
    rs[H] = (T)LN_FORWARD(hw, G, w_hh, b_hh, xh, ah);
    for (int64_t j = 0; j < 2 * H; j++) ws[j] = ai[j] + ah[j];
    vsigmoid(dt, 2 * H, ws);
    T *rg = ws, *zg = ws + H, *ng = ws + 2 * H, *hn = ws + 3 * H;
    for (int64_t j = 0; j < H; j++) {
      hn[j] = ah[2 * H + j];
      ng[j] = ai[2 * H + j] + rg[j] * hn[j];
    }
    vtanh(dt, H, ng);
    for (int64_t j = 0; j < H; j++) out[j] = (1 - zg[j]) * ng[j] + zg[j] * hprev[j];
  });
}

LC_CLONES static void gru_ln_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H, G = 3 * H;
  ROWS_OF(dt, T, {
    const T *ws = r->ws, *hprev = r->hprev, *dout = r->dout, *p = r->p;
    const T *w_ih = p, *w_hh = p + 2 * G;
    const T *xi = ws + 4 * H, *xh = xi + G, *rs = xh + G;
    T *gi = r->gi, *gh = r->gh, *dprev = r->dprev, *gp = r->gp;
    T di[G], dhh[G]; /* the gradients of the normalised projections */
    GRU_GATE_GRADS(T, H, ws, hprev, dout, di, dhh, dprev);
    LN_BACKWARD(di, G, w_ih, xi, rs[0], gp, gp + G, gi);
    LN_BACKWARD(dhh, G, w_hh, xh, rs[H], gp + 2 * G, gp + 3 * G, gh);
  });
}

/* ---- the table ------------------------------------------------------------- */

static const lc_rnn_cell cells[] = {
  /* name, op, node; G, work (H), cell state, split recurrent, direct state, projectable,
   * extra (H), biased; forward, backward */
  {"rnn_tanh", "RNN", "RNNBackward", 1, 0, false, false, false, false, 0, true,
   rnn_tanh_forward, rnn_tanh_backward},
  {"rnn_relu", "RNN", "RNNBackward", 1, 0, false, false, false, false, 0, true,
   rnn_relu_forward, rnn_relu_backward},
  {"gru", "GRU", "GRUBackward", 3, 4, false, true, true, false, 0, true, gru_forward, gru_backward},
  {"lstm", "LSTM", "LSTMBackward", 4, 6, true, false, false, true, 0, true, lstm_forward, lstm_backward},
  {"lstm_peephole", "LSTM", "LSTMBackward", 4, 7, true, false, false, true, 3, true,
   lstm_peephole_forward, lstm_peephole_backward},
  {"lstm_ln", "LSTM", "LSTMBackward", 4, 18, true, true, false, true, 18, false,
   lstm_ln_forward, lstm_ln_backward},
  {"gru_ln", "GRU", "GRUBackward", 3, 12, false, true, true, false, 12, false,
   gru_ln_forward, gru_ln_backward},
};
enum { N_CELLS = sizeof cells / sizeof cells[0] };

int lc_rnn_cell_count(void) { return N_CELLS; }

const lc_rnn_cell *lc_rnn_cell_at(int i) { return i >= 0 && i < N_CELLS ? &cells[i] : NULL; }

const lc_rnn_cell *lc_rnn_cell_find(const char *name) {
  for (int i = 0; name && i < N_CELLS; i++)
    if (!strcmp(cells[i].name, name)) return &cells[i];
  char known[256] = "";
  for (int i = 0; i < N_CELLS; i++) {
    strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
    strncat(known, cells[i].name, sizeof known - strlen(known) - 1);
  }
  lc_fail(LC_ERR_ARG, "rnn_cell_find", "unknown cell kind '%s' (expected one of %s)", name ? name : "(null)",
               known);
  return NULL;
}
