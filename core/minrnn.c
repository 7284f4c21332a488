/* minrnn.c: MinGRU and MinLSTM layers (Feng et al. 2024), one autograd node
 * per layer.
 *
 * Both cells are a linear recurrence h_t = a_t h_{t-1} + b_t whose
 * coefficients depend on the input only:
 *   MinGRU   a = 1 - z,      b = z g(p_h),      z = sigmoid(p_z)
 *   MinLSTM  a = f / (f+i),  b = i/(f+i) g(p_h), f, i = sigmoid(p_f), sigmoid(p_i)
 * where p = W x + b is the input projection. So the projection of the whole
 * sequence is one GEMM, and what remains is a scan over time.
 *
 * The paper writes the scan in log space, log h_t = a*_t +
 * logcumsumexp_s(log b_s - a*_s) with a*_t = sum_{s<=t} log a_s, because a
 * parallel prefix over time needs the cumulative products a*_t, which
 * underflow in linear space. This scan walks time and is parallel over the
 * N*H (sequence, unit) columns instead (each thread takes a band of
 * adjacent units of one sequence, so the inner loops are contiguous and
 * vectorise): no cumulative product is formed, and h_t = a_t h_{t-1} + b_t
 * runs in linear space. No term is negative (0 <= a <= 1, b >= 0, h >= 0),
 * so a step adds an ulp or two of relative error and a < 1 damps what came
 * before: as exact as the log-space form, without its 11 exp/log a unit
 * and step (softplus terms, logaddexp, the exp of each output). What is
 * left is 2 (MinGRU) or 4 (MinLSTM) exps a unit and step, as arrays
 * (vmath.c), and the backward reads its sigmoids from what the forward
 * saved in place of the projection (see step_band).
 *
 * For MinGRU with fewer (sequence, band) columns than threads (one sequence
 * of 64 units on two threads) and sequences long enough, the scan is parallel
 * over time as well: each sequence splits into chunks walked at once from
 * the zero state, then the true state entering each chunk is carried
 * across them (in log space, as the paper's form, since the product of a
 * over a chunk underflows) and added back, decayed, to the chunk's outputs;
 * the backward likewise, its signed carries in linear space
 * (scan_forward_chunked, scan_backward_chunked, time_chunks).
 *
 * Rows are grouped by step as in a packed sequence (see rnn.c): step t owns
 * batch_sizes[t] rows from offsets[t]; batch sizes never grow, so sequence n
 * runs for the first len_n steps and its row at step t is offsets[t] + n.
 *
 * The backward is the reverse scan of the same recurrence,
 *   dL/dh_{t-1} = a_t dL/dh_t (+ the output gradient at t-1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include <omp.h>

#include "lc_internal.h"

/* The row loops read and write distinct arrays, more of them than GCC will
 * check for overlap at run time: IVDEP tells it they do not overlap, and
 * -fno-trapping-math for this file (CMakeLists.txt) lets the selects
 * if-convert, so the loops vectorise. */
#define IVDEP _Pragma("GCC ivdep")

/* A saved value's sign says which branch it came from; copysign keeps the
 * sign of a zero (an underflowed sigmoid), where q < 0 would not, and
 * vectorises as a bit operation. */
#define NEG(q) (copysign((T)1, (q)) < 0)

enum { BAND = 64 }; /* units per scan job: a few cache lines per row */

static const struct {
  const char *name, *node;
  int gates;
} modes[] = {
  [LC_MINGRU] = {"MinGRU", "MinGRUBackward", 2},
  [LC_MINLSTM] = {"MinLSTM", "MinLSTMBackward", 3},
};

typedef struct {
  lc_minrnn_mode mode;
  int64_t steps, batch, total, hidden, gates; /* L, N, T, H, G */
  int64_t *batch_sizes, *offsets, *lengths;   /* lengths[n]: steps sequence n runs */
  lc_tensor *p; /* (T, G*H) x W^T, then what the backward reads (step_band) */
  lc_minrnn_path path;
  int64_t chunks; /* the CHUNKED path's chunks per sequence (0: automatic) */
} minrnn_ctx;

static void free_ctx(minrnn_ctx *c) {
  if (!c) return;
  free(c->batch_sizes);
  free(c->offsets);
  free(c->lengths);
  lc_release(c->p);
  free(c);
}

static void free_node_ctx(lc_node *n) { free_ctx(n->ctx); }

/* Saved tensors and node inputs, in these orders. */
enum { S_X, S_W, S_Y, S_H0 };
enum { I_X, I_H0, I_W, I_B, N_INPUTS };

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void *row_at(const lc_tensor *t, int64_t row, int64_t k) {
  return (char *)lc_data(t) + (row * t->sizes[1] + k) * (int64_t)lc_dtype_size(t->dtype);
}

/* ---- forward: one step of a band of units --------------------------------- */

/* Units [k0, k0 + w) of one row: pr the projection row (G*H, x W^T), bias
 * (G*H) or NULL, h the w states (updated), y the output (w). Computes
 *   h = a h + b,  y = h
 * and overwrites pr's bands with what the backward needs, so the forward
 * keeps nothing it did not already hold:
 *   a sigmoid gate p (z; f, i):  the smaller of sigmoid(p), sigmoid(-p),
 *                                negative when it is sigmoid(p) (p < 0);
 *   p_h:                          g(p_h), negative when p_h < 0 (sigmoid).
 * Each sigmoid comes from e = exp(-|p|), r = 1 / (1 + e): the smaller one
 * is e r, the larger r, both to full relative precision (1 - sigmoid is
 * never formed). MinLSTM takes f/(f+i) and i/(f+i) from the ratio
 *   i/f = exp(min(p_i, 0) - min(p_f, 0)) (1 + e_f) / (1 + e_i)
 * or its inverse, whichever is at most 2: no overflow, and no 0/0 when both
 * sigmoids underflow. tmp holds (G + 1) * BAND elements. */
LC_CLONES static void step_band(const minrnn_ctx *c, lc_dtype dt, void *pr_, const void *bias_,
                                int64_t k0, int64_t w, void *h_, void *y_, void *tmp) {
  int64_t H = c->hidden, G = c->gates;
  LC_DISPATCH(dt, T, {
    T *p = (T *)pr_ + k0, *h = h_, *y = y_, *e = tmp;
    const T *bias = bias_ ? (const T *)bias_ + k0 : NULL;
    T *ph = p + (G - 1) * H, *eh = e + (G - 1) * w;
    if (bias)
      for (int64_t k = 0; k < G; k++)
        for (int64_t j = 0; j < w; j++) p[k * H + j] += bias[k * H + j];
    for (int64_t k = 0; k < G - 1; k++)
      for (int64_t j = 0; j < w; j++) e[k * w + j] = -fabs(p[k * H + j]);
    for (int64_t j = 0; j < w; j++) eh[j] = ph[j] < 0 ? ph[j] : 0;
    if (c->mode == LC_MINLSTM) { /* em = exp(-|log(i/f) without the (1 + e) terms|) */
      const T *pf = p, *pi = p + H;
      for (int64_t j = 0; j < w; j++) {
        T m = (pi[j] < 0 ? pi[j] : 0) - (pf[j] < 0 ? pf[j] : 0);
        e[G * w + j] = -fabs(m);
      }
    }
    lc_vexp(dt, (c->mode == LC_MINLSTM ? G + 1 : G) * w, e);
    if (c->mode == LC_MINGRU) {
      T *pz = p;
      IVDEP for (int64_t j = 0; j < w; j++) {
        T ez = e[j], r = 1 / (1 + ez), small = ez * r;
        bool pos = pz[j] >= 0;
        T z = pos ? r : small, a = pos ? small : r;
        T g = ph[j] >= 0 ? ph[j] + (T)0.5 : eh[j] / (1 + eh[j]);
        pz[j] = pos ? small : -small;
        ph[j] = ph[j] >= 0 ? g : -g;
        y[j] = h[j] = a * h[j] + z * g;
      }
    } else {
      T *pf = p, *pi = p + H;
      const T *ef = e, *ei = e + w, *em = e + G * w;
      IVDEP for (int64_t j = 0; j < w; j++) {
        T rf = 1 / (1 + ef[j]), ri = 1 / (1 + ei[j]);
        T m = (pi[j] < 0 ? pi[j] : 0) - (pf[j] < 0 ? pf[j] : 0);
        /* rho = i/f when m <= 0, else f/i; t = 1 / (1 + rho) */
        T rho = em[j] * (m <= 0 ? (1 + ef[j]) * ri : (1 + ei[j]) * rf), t = 1 / (1 + rho);
        T a = m <= 0 ? t : rho * t, ci = m <= 0 ? rho * t : t;
        T g = ph[j] >= 0 ? ph[j] + (T)0.5 : eh[j] / (1 + eh[j]);
        T sf = ef[j] * rf, si = ei[j] * ri;
        pf[j] = pf[j] >= 0 ? sf : -sf;
        pi[j] = pi[j] >= 0 ? si : -si;
        ph[j] = ph[j] >= 0 ? g : -g;
        y[j] = h[j] = a * h[j] + ci * g;
      }
    }
  });
}

/* The decay a of w units (in double) from a row step_band saved, sv at k0:
 * what grad_row reads, for the time-parallel path's carries, which need a
 * alone. MinGRU a = 1 - z; MinLSTM a = f / (f + i). */
LC_CLONES static void decay_row(const minrnn_ctx *c, lc_dtype dt, int64_t w, const void *sv_, double *a) {
  int64_t H = c->hidden;
  LC_DISPATCH(dt, T, {
    const T *sv = sv_;
    if (c->mode == LC_MINGRU) {
      for (int64_t j = 0; j < w; j++) {
        double m = fabs(sv[j]);
        a[j] = NEG(sv[j]) ? 1 - m : m;
      }
    } else {
      const T *sf = sv, *si = sv + H;
      for (int64_t j = 0; j < w; j++) {
        double mf = fabs(sf[j]), mi = fabs(si[j]);
        double f = NEG(sf[j]) ? mf : 1 - mf, i = NEG(si[j]) ? mi : 1 - mi;
        a[j] = f / (f + i);
      }
    }
  });
}

/* Asks for the bytes [p, p + n) ahead of use. A scan job walks one
 * sequence's rows, N rows apart: a stride the hardware prefetcher does not
 * follow across pages, so without this every step of every job would wait
 * for memory. */
static void prefetch(const void *p, size_t n, bool write) {
  for (size_t k = 0; k < n; k += 64) {
    if (write) __builtin_prefetch((const char *)p + k, 1);
    else __builtin_prefetch((const char *)p + k, 0);
  }
}

/* The G gate bands of projection row `row` (w units from k0). */
static void prefetch_gates(const minrnn_ctx *c, const lc_tensor *p, int64_t row, int64_t k0, int64_t w,
                           bool write) {
  size_t es = lc_dtype_size(p->dtype);
  for (int64_t k = 0; k < c->gates; k++) prefetch(row_at(p, row, k * c->hidden + k0), w * es, write);
}

/* ---- forward: the scan ---------------------------------------------------- */

/* A running product of decays per unit, in log space as acc + log(prod):
 * prod stays in linear space and is folded into acc before it could
 * underflow, so a log is taken once in hundreds of steps, not every step
 * (a log a unit and step would cost as much as the step). */
typedef struct {
  double prod[BAND], acc[BAND];
} logprod;

static void logprod_init(logprod *q, int64_t w) {
  for (int64_t j = 0; j < w; j++) q->prod[j] = 1, q->acc[j] = 0;
}

/* prod >= 2^-800 and a >= 2^-100 keep prod a a normal double; a unit
 * outside that (once in hundreds of steps, or a tiny a) first folds its
 * prod, and its a, into acc: logs only there (a = 0, an underflowed gate,
 * gives -inf, as it should). The test loop and the product vectorise. */
LC_CLONES static void logprod_mul(logprod *q, int64_t w, const double *a_) {
  double a[BAND];
  bool fold = false;
  for (int64_t j = 0; j < w; j++) fold |= q->prod[j] < 0x1p-800 || !(a_[j] >= 0x1p-100);
  memcpy(a, a_, w * sizeof(double));
  for (int64_t j = 0; fold && j < w; j++) {
    if (q->prod[j] < 0x1p-800) q->acc[j] += log(q->prod[j]), q->prod[j] = 1;
    if (!(a[j] >= 0x1p-100)) q->acc[j] += log(a[j]), a[j] = 1;
  }
  for (int64_t j = 0; j < w; j++) q->prod[j] *= a[j];
}

static double logprod_log(const logprod *q, int64_t j) { return q->acc[j] + log(q->prod[j]); }

/* Steps [lo, hi) of sequence n, units [k0, k0 + w), from the states h
 * (updated). With q, also multiplies the steps' decays (decay_row of the
 * row step_band just saved) into q, for the time-parallel path's carries. */
static void walk_forward(const minrnn_ctx *c, lc_dtype dt, lc_tensor *p, const lc_tensor *b,
                         lc_tensor *y, int64_t n, int64_t k0, int64_t w, int64_t lo, int64_t hi, void *h,
                         logprod *q) {
  size_t es = lc_dtype_size(dt);
  double tmp[4 * BAND], a[BAND]; /* tmp: room for (G + 1) w elements */
  for (int64_t t = lo; t < hi; t++) {
    int64_t row = c->offsets[t] + n;
    if (t + 1 < hi) { /* the next step's rows */
      prefetch_gates(c, p, c->offsets[t + 1] + n, k0, w, true);
      prefetch(row_at(y, c->offsets[t + 1] + n, k0), w * es, true);
    }
    step_band(c, dt, row_at(p, row, 0), b ? lc_data(b) : NULL, k0, w, h, row_at(y, row, k0), tmp);
    if (q) {
      decay_row(c, dt, w, row_at(p, row, k0), a);
      logprod_mul(q, w, a);
    }
  }
}

/* p (T, G*H) = x W^T, bias b (G*H) or NULL, h0 (N, H) or NULL -> y (T, H).
 * Column job (n, band) walks the steps of sequence n with its states in a
 * local array. */
static void scan_forward(const minrnn_ctx *c, lc_dtype dt, lc_tensor *p, const lc_tensor *b,
                         const lc_tensor *h0, lc_tensor *y) {
  int64_t H = c->hidden, bands = (H + BAND - 1) / BAND, jobs = c->batch * bands;
  size_t es = lc_dtype_size(dt);
#pragma omp parallel for schedule(static) if (c->total * H >= LC_PARALLEL_GRAIN)
  for (int64_t job = 0; job < jobs; job++) {
    int64_t n = job / bands, k0 = (job % bands) * BAND, w = min64(BAND, H - k0);
    double h[BAND]; /* room for w elements of either dtype */
    if (h0) memcpy(h, row_at(h0, n, k0), w * es);
    else memset(h, 0, w * es);
    walk_forward(c, dt, p, b, y, n, k0, w, 0, c->lengths[n], h, NULL);
  }
}

/* ---- forward: time-parallel ------------------------------------------------ */

/* With fewer column jobs than threads (few sequences, H <= 64 or so), the
 * column scan leaves threads idle. Then each sequence's steps split into P
 * chunks (chunk k: steps [len k / P, len (k+1) / P), some empty when
 * len < P), each of S pieces (piece m = k S + s, the same formula with P S:
 * pieces nest in chunks), and
 *   1. parallel over (chunk, column): chunk 0 walks from h0 as the column
 *      scan does; chunk k > 0 walks from h = 0, so its y is the local
 *      y~_t = h_t - A_{lo..t} carry_k, and keeps log A (the product of a
 *      from the chunk's start, logprod: over a chunk of thousands of steps
 *      the product underflows, its log does not) at each piece's start and
 *      at the chunk's end;
 *   2. sequential over chunks, per unit: the true state entering chunk k,
 *      carry_k = A_{k-1} carry_{k-1} + y~_end(k-1), as
 *      log carry_k = logaddexp(log A_{k-1} + log carry_{k-1}, log y~_end)
 *      (states are positive; the zero state is log 0 = -inf);
 *   3. parallel over (piece of a chunk k > 0, column): y_t += d_t, with
 *      d = exp(log carry_k + log A at the piece's start) and d_t = a_t d_{t-1}
 *      after it: linear space, as the column scan (d only decays, and a d
 *      that underflows is below the last bit of y_t >= y~_t > 0).
 * The gates step_band saves in place of p do not depend on h, so they are
 * right after pass 1. The backward chunks the same way (scan_backward_chunked). */

/* Steps [lo, hi) of chunk k of P of a sequence of len steps. */
static void chunk_range(int64_t len, int64_t P, int64_t k, int64_t *lo, int64_t *hi) {
  *lo = len * k / P;
  *hi = len * (k + 1) / P;
}

/* log(exp(u) + exp(v)), -inf for two zeros. */
static double logaddexp(double u, double v) {
  double m = u > v ? u : v, d = u > v ? v - u : u - v;
  return m == -INFINITY ? m : m + log1p(exp(d));
}

/* n1 x n2 x n3 doubles of scratch, NULL with an error when the sizes
 * overflow (the forced path may ask for up to L + 1 chunks a sequence) or
 * memory is short. */
static double *scratch(int64_t n1, int64_t n2, int64_t n3, const char *op) {
  int64_t sizes[3] = {n1, n2, n3}, n = lc_checked_numel(op, 3, sizes);
  return n < 0 ? NULL : lc_malloc((size_t)n * sizeof(double), op);
}

static int scan_forward_chunked(const minrnn_ctx *c, int64_t P, lc_dtype dt, lc_tensor *p,
                                const lc_tensor *b, const lc_tensor *h0, lc_tensor *y) {
  int64_t H = c->hidden, N = c->batch, bands = (H + BAND - 1) / BAND, jobs = N * bands;
  int64_t S = omp_get_max_threads();
  size_t es = lc_dtype_size(dt);
  /* carry (N, P, H): log A_k, then log carry_k; pre (N, P S, H): log A at each piece's start */
  double *carry = scratch(N * P, 1 + S, H, modes[c->mode].name);
  if (!carry) return -1;
  double *pre = carry + N * P * H;
#pragma omp parallel for schedule(dynamic)
  for (int64_t job = 0; job < P * jobs; job++) { /* pass 1 */
    int64_t k = job / jobs, n = job % jobs / bands, k0 = job % bands * BAND, w = min64(BAND, H - k0);
    double h[BAND] = {0};
    logprod q;
    logprod_init(&q, w);
    if (k == 0 && h0) memcpy(h, row_at(h0, n, k0), w * es);
    for (int64_t m = k * S; m < (k + 1) * S; m++) {
      int64_t lo, hi;
      chunk_range(c->lengths[n], P * S, m, &lo, &hi);
      for (int64_t j = 0; k > 0 && j < w; j++) pre[(n * P * S + m) * H + k0 + j] = logprod_log(&q, j);
      walk_forward(c, dt, p, b, y, n, k0, w, lo, hi, h, k > 0 ? &q : NULL);
    }
    for (int64_t j = 0; j < w; j++) carry[(n * P + k) * H + k0 + j] = logprod_log(&q, j);
  }
  for (int64_t n = 0; n < N; n++) /* pass 2 */
    for (int64_t j = 0; j < H; j++) {
      double lc = h0 ? log(lc_get(h0, n * H + j)) : -INFINITY;
      for (int64_t k = 0; k < P; k++) {
        int64_t lo, hi;
        chunk_range(c->lengths[n], P, k, &lo, &hi);
        double *slot = &carry[(n * P + k) * H + j], logA = *slot;
        *slot = lc; /* log carry_k, entering chunk k */
        if (hi > lo) {
          double yend = log(lc_get(y, (c->offsets[hi - 1] + n) * H + j));
          lc = k == 0 ? yend : logaddexp(logA + lc, yend);
        }
      }
    }
#pragma omp parallel for schedule(dynamic)
  for (int64_t job = S * jobs; job < P * S * jobs; job++) { /* pass 3 */
    int64_t m = job / jobs, k = m / S, n = job % jobs / bands, k0 = job % bands * BAND, w = min64(BAND, H - k0);
    int64_t lo, hi;
    chunk_range(c->lengths[n], P * S, m, &lo, &hi);
    double d[BAND], a[BAND];
    for (int64_t j = 0; j < w; j++)
      d[j] = exp(carry[(n * P + k) * H + k0 + j] + pre[(n * P * S + m) * H + k0 + j]);
    for (int64_t t = lo; t < hi; t++) {
      int64_t row = c->offsets[t] + n;
      decay_row(c, dt, w, row_at(p, row, k0), a);
      LC_DISPATCH(dt, T, {
        T *yr = row_at(y, row, k0);
        for (int64_t j = 0; j < w; j++) yr[j] += (T)(d[j] *= a[j]);
      });
    }
  }
  free(carry);
  return 0;
}

/* ---- forward: step by step ------------------------------------------------ */

/* Step t's projection rows (a GEMM of its bs input rows), then step_band on
 * the bs active rows of the state h (N, H). */
static int sequential_forward(const minrnn_ctx *c, lc_dtype dt, const lc_tensor *x,
                              const lc_tensor *w, const lc_tensor *b, lc_tensor *p, lc_tensor *h,
                              lc_tensor *y) {
  int64_t H = c->hidden, GH = c->gates * H;
  for (int64_t t = 0; t < c->steps; t++) {
    int64_t bs = c->batch_sizes[t], off = c->offsets[t];
    lc_tensor *xt = lc_narrow(x, 0, off, bs), *pt = lc_narrow(p, 0, off, bs);
    lc_tensor *wt = lc_transpose(w, 0, 1);
    int rc = !xt || !pt || !wt ? -1 : lc_gemm(1, xt, wt, 0, pt);
    lc_release(xt), lc_release(pt), lc_release(wt);
    if (rc) return -1;
#pragma omp parallel for if (bs * GH >= LC_PARALLEL_GRAIN)
    for (int64_t r = 0; r < bs; r++) {
      double tmp[4 * BAND];
      for (int64_t k0 = 0; k0 < H; k0 += BAND)
        step_band(c, dt, row_at(p, off + r, 0), b ? lc_data(b) : NULL, k0, min64(BAND, H - k0),
                  row_at(h, r, k0), row_at(y, off + r, k0), tmp);
    }
  }
  return 0;
}

/* ---- backward ------------------------------------------------------------- */

/* Gradients of the outputs gy (T, H) and ghn (N, H) -> dp (T, G*H), the
 * projection's, and dh0 (N, H). Column jobs as in the forward, walking the
 * steps of a sequence backwards; h_{t-1} is the sequence's output row at
 * t-1 (or h0). Per unit, with gh = dL/dh_t and hp = h_{t-1}:
 *   MinGRU:  dp_z = gh (g - hp) z (1-z),  dp_h = gh z g'(p_h)
 *   MinLSTM: a = f / (f + i) (= sigmoid(d), d = log f - log i),
 *            dd = gh (hp - g) a (1-a), dp_f = dd (1-f), dp_i = -dd (1-i),
 *            dp_h = gh (1-a) g'(p_h)
 * and then gh <- a gh for the step before. The sigmoids and g come from
 * the saved row (step_band): m = |q| is the smaller sigmoid, 1 - m the
 * larger; g' = 1 for p_h >= 0, else g (1 - g). No exp is taken again. */
/* One step of one band (w units): sv the saved row at k0, hp h_{t-1},
 * g_out the output gradient, gh the running dL/dh (updated), dr the row of
 * dp at k0, acc (G*H from k0; NULL: none) the running sums of dr's rows in
 * double. dr may be sv: each unit's saved values are read before its
 * gradients are written. */
LC_CLONES static void grad_row(const minrnn_ctx *c, lc_dtype dt, int64_t w, const void *sv_,
                               const void *hp_, const void *g_out_, void *gh_, void *dr_, double *acc) {
  int64_t H = c->hidden, G = c->gates;
  LC_DISPATCH(dt, T, {
    const T *sv = sv_, *hp = hp_, *g_out = g_out_, *qh = sv + (G - 1) * H;
    T *gh = gh_, *dr = dr_;
    if (c->mode == LC_MINGRU) {
      IVDEP for (int64_t j = 0; j < w; j++) {
        T g = gh[j] + g_out[j], m = fabs(sv[j]);
        bool neg = NEG(sv[j]);
        T z = neg ? m : 1 - m, a = neg ? 1 - m : m;
        T gv = fabs(qh[j]), dg = NEG(qh[j]) ? gv * (1 - gv) : 1; /* g, g' */
        dr[j] = g * (gv - hp[j]) * z * a;
        dr[H + j] = g * z * dg;
        gh[j] = a * g;
      }
    } else {
      const T *sf = sv, *si = sv + H;
      IVDEP for (int64_t j = 0; j < w; j++) {
        T g = gh[j] + g_out[j], mf = fabs(sf[j]), mi = fabs(si[j]);
        bool negf = NEG(sf[j]), negi = NEG(si[j]);
        T f = negf ? mf : 1 - mf, nf = negf ? 1 - mf : mf;
        T i = negi ? mi : 1 - mi, ni = negi ? 1 - mi : mi;
        T s = 1 / (f + i), a = f * s, ci = i * s;
        T gv = fabs(qh[j]), dg = NEG(qh[j]) ? gv * (1 - gv) : 1; /* g, g' */
        T dd = g * (hp[j] - gv) * a * ci;
        dr[j] = dd * nf;
        dr[H + j] = -dd * ni;
        dr[2 * H + j] = g * ci * dg;
        gh[j] = a * g;
      }
    }
    for (int64_t k = 0; acc && k < G; k++)
      for (int64_t j = 0; j < w; j++) acc[k * H + j] += dr[k * H + j];
  });
}

/* Steps hi-1 down to lo of sequence n, units [k0, k0 + w), from the
 * running dL/dh gh (updated; on return, dL/dh_{lo-1}); acc as grad_row's. */
static void walk_backward(const minrnn_ctx *c, lc_dtype dt, const lc_tensor *gy, const lc_tensor *y,
                          const lc_tensor *h0, lc_tensor *dp, int64_t n, int64_t k0, int64_t w,
                          int64_t lo, int64_t hi, void *gh, double *acc) {
  size_t es = lc_dtype_size(dt);
  double zero[BAND] = {0};
  for (int64_t t = hi - 1; t >= lo; t--) {
    int64_t row = c->offsets[t] + n;
    if (t > lo) { /* the rows the step before reads and writes */
      int64_t prev = c->offsets[t - 1] + n;
      prefetch_gates(c, c->p, prev, k0, w, false);
      prefetch_gates(c, dp, prev, k0, w, true);
      prefetch(row_at(gy, prev, k0), w * es, false);
      if (t > 1) prefetch(row_at(y, c->offsets[t - 2] + n, k0), w * es, false);
    }
    const void *hp = t > 0 ? row_at(y, c->offsets[t - 1] + n, k0) : h0 ? row_at(h0, n, k0) : zero;
    grad_row(c, dt, w, row_at(c->p, row, k0), hp, row_at(gy, row, k0), gh, row_at(dp, row, k0), acc);
  }
}

/* bsum (N, G*H) or NULL: each sequence's sums of its rows of dp, summed
 * over N afterwards for the bias gradient (in double, as the rows add up),
 * so dp is not read again by a column reduction. */
static void scan_backward(const minrnn_ctx *c, lc_dtype dt, const lc_tensor *gy,
                          const lc_tensor *ghn, const lc_tensor *y, const lc_tensor *h0,
                          lc_tensor *dp, lc_tensor *dh0, double *bsum) {
  int64_t H = c->hidden, bands = (H + BAND - 1) / BAND, jobs = c->batch * bands;
  size_t es = lc_dtype_size(dt);
#pragma omp parallel for schedule(static) if (c->total * H >= LC_PARALLEL_GRAIN)
  for (int64_t job = 0; job < jobs; job++) {
    int64_t n = job / bands, k0 = (job % bands) * BAND, w = min64(BAND, H - k0);
    double gh[BAND]; /* room for w elements of either dtype */
    memcpy(gh, row_at(ghn, n, k0), w * es);
    walk_backward(c, dt, gy, y, h0, dp, n, k0, w, 0, c->lengths[n], gh,
                  bsum ? bsum + n * c->gates * H + k0 : NULL);
    if (dh0) memcpy(row_at(dh0, n, k0), gh, w * es);
  }
}

/* The time-parallel backward, in the forward's chunks. dL/dh_{t-1} =
 * a_t (dL/dh_t + gy_t) is linear, so
 *   1. parallel over (chunk k > 0, column): walk the chunk from gh = 0 for
 *      its local outgoing gradient and the product A_k of its a (a and gh
 *      only, no gradient rows);
 *   2. sequential over chunks, per unit: the true gradient entering chunk
 *      k from above, carry_{k-1} = A_k carry_k + local_k, from ghn;
 *   3. parallel over (chunk, column): walk_backward from carry_k, which
 *      writes the true dp rows (grad_row needs the true gh at every step).
 * The gradients are signed, so the carries stay in linear space: a log
 * would need a sign beside it, and A_k is a product of a in (0, 1) that
 * only scales carry_k: where it underflows, A_k carry_k is below the last
 * bit of what it is added to, as in the column walk's own a gh. bsum has
 * a row per (sequence, chunk), so chunks of one sequence add to their own.
 * Chunk 0 ends at dh0. */
static int scan_backward_chunked(const minrnn_ctx *c, int64_t P, lc_dtype dt, const lc_tensor *gy,
                                 const lc_tensor *ghn, const lc_tensor *y, const lc_tensor *h0,
                                 lc_tensor *dp, lc_tensor *dh0, double *bsum) {
  int64_t H = c->hidden, N = c->batch, bands = (H + BAND - 1) / BAND, jobs = N * bands;
  size_t es = lc_dtype_size(dt);
  double *loc = scratch(2 * N, P, H, modes[c->mode].name);
  if (!loc) return -1;
  double *A = loc + N * P * H; /* loc: local_k, then carry_k entering chunk k from above */
#pragma omp parallel for schedule(dynamic)
  for (int64_t job = jobs; job < P * jobs; job++) { /* pass 1 */
    int64_t k = job / jobs, n = job % jobs / bands, k0 = job % bands * BAND, w = min64(BAND, H - k0), lo, hi;
    chunk_range(c->lengths[n], P, k, &lo, &hi);
    double a[BAND], g[BAND] = {0}, prod[BAND];
    for (int64_t j = 0; j < w; j++) prod[j] = 1;
    for (int64_t t = hi - 1; t >= lo; t--) {
      int64_t row = c->offsets[t] + n;
      decay_row(c, dt, w, row_at(c->p, row, k0), a);
      LC_DISPATCH(dt, T, {
        const T *go = row_at(gy, row, k0);
        for (int64_t j = 0; j < w; j++) g[j] = a[j] * (g[j] + go[j]), prod[j] *= a[j];
      });
    }
    for (int64_t j = 0; j < w; j++) loc[(n * P + k) * H + k0 + j] = g[j], A[(n * P + k) * H + k0 + j] = prod[j];
  }
  for (int64_t n = 0; n < N; n++) /* pass 2 */
    for (int64_t j = 0; j < H; j++) {
      double gc = lc_get(ghn, n * H + j);
      for (int64_t k = P - 1; k >= 0; k--) {
        double *slot = &loc[(n * P + k) * H + j], l = *slot;
        *slot = gc;
        if (k > 0) gc = A[(n * P + k) * H + j] * gc + l;
      }
    }
  int64_t GH = c->gates * H;
#pragma omp parallel for schedule(dynamic)
  for (int64_t job = 0; job < P * jobs; job++) { /* pass 3 */
    int64_t k = job / jobs, n = job % jobs / bands, k0 = job % bands * BAND, w = min64(BAND, H - k0), lo, hi;
    chunk_range(c->lengths[n], P, k, &lo, &hi);
    double gh[BAND]; /* room for w elements of either dtype */
    LC_DISPATCH(dt, T, {
      for (int64_t j = 0; j < w; j++) ((T *)gh)[j] = (T)loc[(n * P + k) * H + k0 + j];
    });
    walk_backward(c, dt, gy, y, h0, dp, n, k0, w, lo, hi, gh, bsum ? bsum + (n * P + k) * GH + k0 : NULL);
    if (k == 0 && dh0) memcpy(row_at(dh0, n, k0), gh, w * es);
  }
  free(loc);
  return 0;
}

/* Chunks per sequence for the time-parallel path, 0 for the column scan:
 * by default only for MinGRU, when the N * ceil(H / 64) column jobs cannot
 * fill the threads and every chunk gets at least CHUNK_MIN steps of the
 * longest sequence. */
enum { CHUNK_MIN = 256 };

static int64_t time_chunks(const minrnn_ctx *c) {
  int64_t jobs = c->batch * ((c->hidden + BAND - 1) / BAND), threads = omp_get_max_threads();
  int64_t P = (threads + jobs - 1) / jobs;
  if (c->path == LC_MINRNN_CHUNKED) /* beyond L + 1 chunks only empty ones would be added */
    return c->chunks > 0 ? min64(c->chunks, c->steps + 1) : P > 1 ? P : 2;
  /* MinLSTM's decay f / (f + i) cannot be read back from the saved gates
   * where f and i both underflow (decay_row gives 0/0) while step_band's
   * ratio stays exact there, so its default path keeps the column scan. */
  if (c->path != LC_MINRNN_SCAN || c->mode == LC_MINLSTM || jobs >= threads || omp_in_parallel()) return 0;
  return c->steps >= P * CHUNK_MIN ? P : 0;
}

static int minrnn_backward(lc_node *node, lc_tensor *const *g, lc_tensor **gin) {
  minrnn_ctx *c = node->ctx;
  lc_tensor *x = lc_node_saved(node, S_X), *w = lc_node_saved(node, S_W);
  lc_tensor *y = lc_node_saved(node, S_Y);
  lc_tensor *h0 = node->n_saved > S_H0 ? lc_node_saved(node, S_H0) : NULL;
  if (!x || !w || !y || (node->n_saved > S_H0 && !h0)) return -1;
  lc_dtype dt = x->dtype;
  int64_t dps[2] = {c->total, c->gates * c->hidden}, hs[2] = {c->batch, c->hidden};
  lc_tensor *gy = lc_contiguous(g[0]), *ghn = lc_contiguous(g[1]);
  /* dp takes the place of the saved gates, row by row as grad_row reads
   * them, unless the graph is retained for another backward: at L = 8192
   * that is 192 MB less and a third less memory traffic in the scan */
  lc_tensor *dp = node->last_run ? lc_retain(c->p) : lc_empty(dt, 2, dps);
  lc_tensor *dh0 = lc_empty(dt, 2, hs);
  int rc = gy && ghn && dp && dh0 ? 0 : -1;
  bool bias = lc_node_needs_grad(node, I_B);
  int64_t P = time_chunks(c), GH = c->gates * c->hidden, bs[2] = {c->batch * (P ? P : 1), GH};
  lc_tensor *bsum = !rc && bias ? lc_zeros(LC_FLOAT64, 2, bs) : NULL;
  if (bias && !bsum) rc = -1;
  if (!rc && P) rc = scan_backward_chunked(c, P, dt, gy, ghn, y, h0, dp, dh0, bsum ? lc_data(bsum) : NULL);
  else if (!rc) scan_backward(c, dt, gy, ghn, y, h0, dp, dh0, bsum ? lc_data(bsum) : NULL);
  /* dx = dp W (T, I); dW = dp^T x (G*H, I); db (G*H) came with the scan */
  if (!rc && lc_node_needs_grad(node, I_X)) {
    int64_t s[2] = {c->total, x->sizes[1]};
    gin[I_X] = lc_empty(dt, 2, s);
    rc = gin[I_X] ? lc_gemm(1, dp, w, 0, gin[I_X]) : -1;
  }
  if (!rc && lc_node_needs_grad(node, I_W)) {
    lc_tensor *dpt = lc_transpose(dp, 0, 1);
    gin[I_W] = lc_empty(dt, 2, w->sizes);
    rc = dpt && gin[I_W] ? lc_gemm(1, dpt, x, 0, gin[I_W]) : -1;
    lc_release(dpt);
  }
  if (!rc && bias) { /* db: the sequences' sums added up */
    lc_tensor *db = lc_sum(bsum, 0, false);
    gin[I_B] = db ? lc_to(db, dt) : NULL;
    lc_release(db);
    if (!gin[I_B]) rc = -1;
  }
  lc_release(bsum);
  if (!rc && lc_node_needs_grad(node, I_H0)) gin[I_H0] = lc_retain(dh0);
  lc_release(gy), lc_release(ghn), lc_release(dp), lc_release(dh0);
  return rc;
}

/* ---- checks and geometry -------------------------------------------------- */

static bool check_shape(const char *op, const char *what, const lc_tensor *t, int nd,
                        const int64_t *sizes, lc_dtype dt) {
  bool ok = t->ndim == nd && t->dtype == dt;
  for (int d = 0; ok && d < nd; d++) ok = t->sizes[d] == sizes[d];
  if (!ok) {
    char got[128], want[128];
    lc_fail(LC_ERR_SHAPE, op, "%s must have shape %s and dtype %s, got %s and %s", what,
                 lc_shape_str(want, nd, sizes), lc_dtype_name(dt), lc_shape_str(got, t->ndim, t->sizes),
                 lc_dtype_name(t->dtype));
  }
  return ok;
}

/* A given h0 must be positive: the paper's log-space form takes log h0,
 * and the API keeps that domain although this scan runs in linear space
 * (a state the kernel computes can still round to 0 when a gate
 * underflows). NaN is refused as well. h is contiguous. */
static int check_positive(const char *op, const char *name, const lc_tensor *h) {
  int64_t n = lc_numel(h), H = h->sizes[1];
  for (int64_t i = 0; i < n; i++) {
    double v = lc_get(h, i);
    if (!(v > 0)) {
      lc_fail(LC_ERR_ARG, op, "%s must be positive (the paper's log-space form takes its log), got %g at "
                   "[%lld, %lld]", name, v, (long long)(i / H + 1), (long long)(i % H + 1));
      return -1;
    }
  }
  return 0;
}

static int setup(minrnn_ctx *c, const lc_minrnn_args *a) {
  const char *op = modes[a->mode].name;
  const lc_tensor *x = a->x, *w = a->w;
  if (x->ndim != 2 || !lc_dtype_is_float(x->dtype)) {
    lc_fail(LC_ERR_SHAPE, op, "the layer input must be a 2-D (rows, features) float tensor");
    return -1;
  }
  if (w->ndim != 2 || w->sizes[0] % modes[a->mode].gates || w->sizes[0] == 0) {
    char got[128];
    lc_fail(LC_ERR_SHAPE, op, "weight_ih must be (%d * hidden_size, input_size), got %s",
                 modes[a->mode].gates, lc_shape_str(got, w->ndim, w->sizes));
    return -1;
  }
  lc_dtype dt = x->dtype;
  c->mode = a->mode;
  c->path = a->path;
  c->chunks = a->chunks;
  c->gates = modes[a->mode].gates;
  c->hidden = w->sizes[0] / c->gates;
  c->steps = a->steps;
  c->total = x->sizes[0];
  if (c->steps < 1 || c->steps > c->total) {
    lc_fail(LC_ERR_SHAPE, op, "%lld steps for %lld rows of input", (long long)c->steps, (long long)c->total);
    return -1;
  }
  c->batch = a->batch_sizes ? a->batch_sizes[0] : c->total / c->steps;
  if (!a->batch_sizes && c->batch * c->steps != c->total) {
    lc_fail(LC_ERR_SHAPE, op, "%lld rows of input do not split into %lld steps", (long long)c->total,
                 (long long)c->steps);
    return -1;
  }
  int64_t ws[2] = {c->gates * c->hidden, x->sizes[1]}, hs[2] = {c->batch, c->hidden};
  if (!check_shape(op, "weight_ih", w, 2, ws, dt) ||
      (a->b && !check_shape(op, "bias_ih", a->b, 1, ws, dt)) ||
      (a->h0 && !check_shape(op, "h0", a->h0, 2, hs, dt)))
    return -1;
  c->batch_sizes = lc_malloc(c->steps * sizeof(int64_t), op);
  c->offsets = lc_malloc(c->steps * sizeof(int64_t), op);
  c->lengths = lc_calloc(c->batch > 0 ? c->batch : 1, sizeof(int64_t), op);
  if (!c->batch_sizes || !c->offsets || !c->lengths) return -1;
  int64_t sum = 0;
  for (int64_t t = 0; t < c->steps; t++) {
    int64_t bs = a->batch_sizes ? a->batch_sizes[t] : c->batch;
    if (bs < 1 || bs > c->batch || (t > 0 && bs > c->batch_sizes[t - 1])) {
      lc_fail(LC_ERR_SHAPE, op, "batch_sizes must be positive and non-increasing; step %lld has %lld",
                   (long long)t + 1, (long long)bs);
      return -1;
    }
    c->batch_sizes[t] = bs;
    c->offsets[t] = sum;
    sum += bs;
    for (int64_t n = 0; n < bs; n++) c->lengths[n]++;
  }
  if (sum != c->total) {
    lc_fail(LC_ERR_SHAPE, op, "the input has %lld rows but the batch sizes add up to %lld",
                 (long long)c->total, (long long)sum);
    return -1;
  }
  return 0;
}

/* ---- the layer ------------------------------------------------------------ */

int lc_minrnn_layer(const lc_minrnn_args *a, lc_tensor **y_out, lc_tensor **h_out) {
  *y_out = *h_out = NULL;
  if ((unsigned)a->mode > LC_MINLSTM || (unsigned)a->path > LC_MINRNN_COLUMNS || a->chunks < 0 || !a->x ||
      !a->w) {
    lc_fail(LC_ERR_ARG, "minrnn_layer", "unknown mode or path, negative chunks, or missing input");
    return -1;
  }
  const char *op = modes[a->mode].name;
  minrnn_ctx *c = lc_calloc(1, sizeof *c, op);
  if (!c) return -1;
  lc_tensor *x = NULL, *w = NULL, *b = NULL, *h0 = NULL, *y = NULL, *h = NULL;
  int rc = setup(c, a);
  if (!rc) {
    x = lc_contiguous(a->x), w = lc_contiguous(a->w);
    b = a->b ? lc_contiguous(a->b) : NULL;
    h0 = a->h0 ? lc_contiguous(a->h0) : NULL;
    int64_t ps[2] = {c->total, c->gates * c->hidden}, ys[2] = {c->total, c->hidden};
    int64_t hs[2] = {c->batch, c->hidden};
    c->p = lc_empty(a->x->dtype, 2, ps);
    y = lc_empty(a->x->dtype, 2, ys);
    h = h0 ? lc_clone(h0) : lc_zeros(a->x->dtype, 2, hs);
    if (!x || !w || (a->b && !b) || (a->h0 && !h0) || !c->p || !y || !h) rc = -1;
  }
  if (!rc && h0) rc = check_positive(a->op ? a->op : op, a->h_name ? a->h_name : "h0", h0);
  const lc_tensor *ins[N_INPUTS] = {a->x, a->h0, a->w, a->b};
  bool record = !rc && lc_should_record(N_INPUTS, ins);
  if (!rc) {
    bool was = lc_set_grad_enabled(false);
    if (a->path == LC_MINRNN_SEQUENTIAL) {
      rc = sequential_forward(c, x->dtype, x, w, b, c->p, h, y);
    } else {
      /* p = x W^T as one GEMM; the scan adds the bias */
      lc_tensor *wt = lc_transpose(w, 0, 1);
      rc = !wt ? -1 : lc_gemm(1, x, wt, 0, c->p);
      lc_release(wt);
      int64_t P = time_chunks(c);
      if (!rc && P) rc = scan_forward_chunked(c, P, x->dtype, c->p, b, h0, y);
      else if (!rc) scan_forward(c, x->dtype, c->p, b, h0, y);
      /* h_n: each sequence's output row at its own last step */
      size_t es = lc_dtype_size(x->dtype);
      for (int64_t n = 0; !rc && n < c->batch; n++)
        memcpy(row_at(h, n, 0), row_at(y, c->offsets[c->lengths[n] - 1] + n, 0), c->hidden * es);
    }
    lc_set_grad_enabled(was);
  }
  if (!rc && record) {
    lc_node *node = lc_node_new(modes[a->mode].node, minrnn_backward, N_INPUTS, ins, 2);
    if (!node || lc_node_save(node, x) || lc_node_save(node, w) || lc_node_save(node, y) ||
        (h0 && lc_node_save(node, h0))) {
      lc_node_release(node);
      rc = -1;
    } else {
      node->ctx = c;
      node->free_ctx = free_node_ctx;
      node->ctx_saved = true;
      c = NULL; /* owned by the node now */
      lc_tensor *outs[2] = {y, h};
      lc_node_attach(node, outs, 2);
      lc_node_release(node);
    }
  }
  free_ctx(c);
  lc_release(x), lc_release(w), lc_release(b), lc_release(h0);
  if (rc) {
    lc_release(y), lc_release(h);
    return -1;
  }
  *y_out = y;
  *h_out = h;
  return 0;
}
