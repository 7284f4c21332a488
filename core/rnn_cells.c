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
 * the whole pass vectorises. */
#include <string.h>

#include "lc_internal.h"

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
static void rnn_tanh_forward(lc_dtype dt, const lc_rnn_row *r) {
  LC_DISPATCH(dt, T, {
    T *out = r->out;
    SUM_PRE(T, out, r, r->H);
  });
  vtanh(dt, r->H, r->out);
}

/* gi (H) = dout * (1 - h'^2) */
static void rnn_tanh_backward(lc_dtype dt, const lc_rnn_row *r) {
  LC_DISPATCH(dt, T, {
    const T *dout = r->dout, *y = r->out;
    T *gi = r->gi;
    for (int64_t j = 0; j < r->H; j++) gi[j] = dout[j] * (1 - y[j] * y[j]);
  });
}

static void rnn_relu_forward(lc_dtype dt, const lc_rnn_row *r) {
  LC_DISPATCH(dt, T, {
    T *out = r->out;
    SUM_PRE(T, out, r, r->H);
    for (int64_t j = 0; j < r->H; j++) out[j] = out[j] < 0 ? 0 : out[j];
  });
}

/* gi (H) = dout * [h' > 0] */
static void rnn_relu_backward(lc_dtype dt, const lc_rnn_row *r) {
  LC_DISPATCH(dt, T, {
    const T *dout = r->dout, *y = r->out;
    T *gi = r->gi;
    for (int64_t j = 0; j < r->H; j++) gi[j] = y[j] > 0 ? dout[j] : 0;
  });
}

/* ---- GRU: ws (4H) = [r, z, n, hn] with hn = hw_n + b_hn -------------------- */

static void gru_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  LC_DISPATCH(dt, T, {
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

/* gi, gh (3H): the r and z columns agree, the n column of gh carries r;
 * dprev (H) = dout * z */
static void gru_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  LC_DISPATCH(dt, T, {
    const T *ws = r->ws, *hprev = r->hprev, *dout = r->dout;
    T *gi = r->gi, *gh = r->gh, *dprev = r->dprev;
    for (int64_t j = 0; j < H; j++) {
      T rg = ws[j], zg = ws[H + j], ng = ws[2 * H + j], hn = ws[3 * H + j];
      T g = dout[j];
      T dnp = g * (1 - zg) * (1 - ng * ng);
      T dzp = g * (hprev[j] - ng) * zg * (1 - zg);
      T drp = dnp * hn * rg * (1 - rg);
      gi[j] = gh[j] = drp;
      gi[H + j] = gh[H + j] = dzp;
      gi[2 * H + j] = dnp;
      gh[2 * H + j] = dnp * rg;
      dprev[j] = g * zg; /* read dout[j] first: dprev may alias it */
    }
  });
}

/* ---- LSTM: ws (6H) = [i, f, g, o, c, tanh(c')] ---------------------------- */

static void lstm_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  LC_DISPATCH(dt, T, {
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
static void lstm_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  LC_DISPATCH(dt, T, {
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

static void lstm_peephole_forward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  LC_DISPATCH(dt, T, {
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
static void lstm_peephole_backward(lc_dtype dt, const lc_rnn_row *r) {
  int64_t H = r->H;
  LC_DISPATCH(dt, T, {
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
      gp[j] = dip * cprev, gp[H + j] = dfp * cprev, gp[2 * H + j] = dop * cn;
    }
  });
}

/* ---- the table ------------------------------------------------------------- */

static const lc_rnn_cell cells[] = {
  /* name, op, node; G, work (H), cell state, split recurrent, direct state, projectable,
   * extra (H); forward, backward */
  {"rnn_tanh", "RNN", "RNNBackward", 1, 0, false, false, false, false, 0,
   rnn_tanh_forward, rnn_tanh_backward},
  {"rnn_relu", "RNN", "RNNBackward", 1, 0, false, false, false, false, 0,
   rnn_relu_forward, rnn_relu_backward},
  {"gru", "GRU", "GRUBackward", 3, 4, false, true, true, false, 0, gru_forward, gru_backward},
  {"lstm", "LSTM", "LSTMBackward", 4, 6, true, false, false, true, 0, lstm_forward, lstm_backward},
  {"lstm_peephole", "LSTM", "LSTMBackward", 4, 7, true, false, false, true, 3,
   lstm_peephole_forward, lstm_peephole_backward},
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
  lc_set_error("rnn_layer: unknown cell kind '%s' (expected one of %s)", name ? name : "(null)",
               known);
  return NULL;
}
