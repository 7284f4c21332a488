/* lc_minrnn.h: the minimal RNNs of Feng et al. 2024, "Were RNNs All We
 * Needed?" (minrnn.c); included by lc_nn.h. */
#ifndef LC_MINRNN_H
#define LC_MINRNN_H

/* MinGRU:  z = sigmoid(W_z x + b_z),        h' = (1 - z) h + z g(W_h x + b_h)
 * MinLSTM: f, i = sigmoid(W_f x + b_f), sigmoid(W_i x + b_i),
 *          h' = f/(f+i) h + i/(f+i) g(W_h x + b_h)
 * with g(v) = v + 0.5 for v >= 0, sigmoid(v) otherwise (so g > 0). */
typedef enum { LC_MINGRU, LC_MINLSTM } lc_minrnn_mode;

/* SCAN: one GEMM for the input projection of the whole sequence, then the
 * recurrence h_t = a_t h_{t-1} + b_t as a scan over time, parallel over the
 * (sequence, unit) columns. SEQUENTIAL: step by step, one GEMM per step on
 * that step's rows (a single step, streaming inference). Both compute the
 * coefficients and the update alike and record the same autograd node.
 * SCAN runs time-parallel by itself when the columns cannot fill the
 * threads (minrnn.c); CHUNKED forces that path, with `chunks` chunks per
 * sequence (0: as SCAN would choose), and COLUMNS the column scan, so
 * tests and benchmarks can compare them. */
typedef enum { LC_MINRNN_SCAN, LC_MINRNN_SEQUENTIAL, LC_MINRNN_CHUNKED, LC_MINRNN_COLUMNS } lc_minrnn_path;

/* One layer over a whole sequence. x is (T, I), the rows of step t being
 * batch_sizes[t] consecutive rows as in a packed sequence (NULL: every step
 * has N = T / steps rows, a padded (L, N, I) input viewed as (L*N, I)).
 * w (G*H, I) stacks the projections in the order of the equations (MinGRU
 * [z; h], G = 2; MinLSTM [f; i; h], G = 3); b (G*H) or NULL. h0 (N, H) must
 * be positive (the paper's log-space form takes its log); NULL is the zero
 * state. */
typedef struct {
  lc_minrnn_mode mode;
  lc_minrnn_path path;
  int64_t chunks;             /* CHUNKED only: chunks per sequence, 0: automatic */
  int64_t steps;              /* L */
  const int64_t *batch_sizes; /* L entries, non-increasing; NULL: all N */
  const lc_tensor *x, *h0, *w, *b;
  const char *op, *h_name; /* the caller's names in h0's message; NULL: "MinGRU" (or "MinLSTM"), "h0" */
} lc_minrnn_args;

/* Outputs y (T, H) and h_n (N, H), each sequence's state at its own last
 * step, recorded as one autograd node (inputs x, h0, w, b). */
LC_API int lc_minrnn_layer(const lc_minrnn_args *args, lc_tensor **y, lc_tensor **h_n);

#endif
