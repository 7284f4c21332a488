/* lc_nn.h: recurrent layers, losses and index ops; included by lc.h. */
#ifndef LC_NN_H
#define LC_NN_H

/* ---- recurrent layers (rnn.c, rnn_cells.c) ------------------------------ */

/* One row of one time step of a recurrent cell, for its descriptor's row
 * functions. H is the hidden size, G the cell's gate count; all pointers are
 * rows of the element type of the layer (float or double), NULL where the
 * comment says so. Forward reads the inputs and writes ws, c and out;
 * backward reads ws, hprev and out as forward left them. */
typedef struct {
  int64_t H;
  /* forward in */
  const void *xw, *hw;      /* (G*H) the input projection W_ih x, the recurrent one W_hh h */
  const void *b_ih, *b_hh;  /* (G*H) the biases, or both NULL */
  const void *hprev;        /* (H) the state the step starts from */
  const void *p;            /* (extra*H) the cell's own parameter vector, or NULL */
  /* forward in/out */
  void *c;                  /* (H) the cell state c in, c' out; NULL without one */
  /* forward out, backward in */
  void *ws;                 /* (work*H) what backward needs; NULL when work is 0 */
  void *out;                /* (H) h' before any projection */
  /* backward */
  void *dout;               /* (H) in: dL/dh' (unprojected) */
  void *dc;                 /* (H) in: dL/dc', out: dL/dc; NULL without a cell state */
  void *gi;                 /* (G*H) out: dL/d(W_ih x + b_ih) */
  void *gh;                 /* (G*H) out: dL/d(W_hh h + b_hh) when split_recurrent, else NULL
                             * (the same as gi) */
  void *dprev;              /* (H) out: the part of dL/dh that does not go through W_hh,
                             * when direct_state; may alias dout */
  void *gp;                 /* (extra*H) in/out: this row's part of dL/dp is added (the
                             * loop sums every step into one row per batch element) */
} lc_rnn_row;

typedef void (*lc_rnn_row_fn)(lc_dtype dt, const lc_rnn_row *r);

/* A recurrent cell kind: one entry of the table in rnn_cells.c. The time
 * loop in rnn.c knows cells only through these fields. */
typedef struct {
  const char *name;      /* the kind's name, as Lua passes it: "lstm" */
  const char *op;        /* the public name in messages: "LSTM" */
  const char *node;      /* the autograd node's name: "LSTMBackward" */
  int gates;             /* G: W_ih, W_hh and the biases stack G blocks of H rows */
  int work;              /* ws columns per row, in units of H */
  bool has_cell;         /* carries a cell state c beside h (c0 in, c_n out) */
  bool split_recurrent;  /* the recurrent pre-activations get their own gradient (GRU's n) */
  bool direct_state;     /* h' depends on h other than through W_hh (GRU's z h) */
  bool projectable;      /* accepts w_hr (h' = W_hr out); never with direct_state */
  int extra;             /* the cell's own 1-D parameter has extra*H elements (0: none) */
  bool biased;           /* takes b_ih and b_hh (layer-normalised cells do not) */
  lc_rnn_row_fn forward, backward;
} lc_rnn_cell;

/* The cell kinds, in table order: i in [0, lc_rnn_cell_count()). */
LC_API int lc_rnn_cell_count(void);
LC_API const lc_rnn_cell *lc_rnn_cell_at(int i);
/* The kind called name, or NULL with an error naming the known kinds. */
LC_API const lc_rnn_cell *lc_rnn_cell_find(const char *name);

/* One layer in one direction over a whole sequence. x is (T, I): the rows of
 * step t are batch_sizes[t] consecutive rows (a packed sequence; a padded
 * (L, N, I) input viewed as (L*N, I) with batch_sizes NULL means N each).
 * h0 (N, Hout), c0 (N, H) for a cell with a cell state; w_ih (G*H, I),
 * w_hh (G*H, Hout), biases (G*H) or both NULL, w_hr (Hout, H) for a projected
 * cell or NULL. Gate order follows PyTorch: GRU [r; z; n], LSTM [i; f; g; o]. */
typedef struct {
  const char *cell;             /* a kind's name: "rnn_tanh", "rnn_relu", "gru", "lstm" */
  bool reverse;
  int64_t steps;                /* L */
  const int64_t *batch_sizes;   /* L entries, non-increasing; NULL: all N */
  const lc_tensor *x, *h0, *c0, *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;
  /* recurrent dropout: (N, Hout) multiplies the state fed to W_hh at every
   * step (one mask per sequence); a constant, not differentiated. NULL: none */
  const lc_tensor *h_mask;
  /* zoneout: (T, Hout) and (T, H) per-row weights z of the old state,
   * h' = z h + (1 - z) h_new (c likewise, c only for a cell with a cell
   * state); 0/1 draws in training, p in eval; constants. NULL: none */
  const lc_tensor *zoneout_h, *zoneout_c;
  /* weight dropout (DropConnect) on w_hh: uniform draws u (G*H, Hout) in
   * [0, 1) and the probability p in [0, 1). The layer runs on
   * w_hh' = w_hh * [u < 1 - p] / (1 - p), made once per call in a buffer of
   * its own; w_hh's gradient goes through the same mask. NULL: none */
  const lc_tensor *w_hh_noise;
  double w_hh_dropout;
  /* the cell's own parameter (extra*H), differentiable: peepholes, ... */
  const lc_tensor *extra;
} lc_rnn_args;

/* Outputs y (T, Hout), h_n (N, Hout) and, for a cell with a cell state,
 * c_n (N, H), recorded as one autograd node with a hand-written backward
 * through time. */
LC_API int lc_rnn_layer(const lc_rnn_args *args, lc_tensor **y, lc_tensor **h_n, lc_tensor **c_n);
/* D (1 or 2) directions of one layer at once, args[d] each (the same x,
 * cell, steps and sizes; reverse set on one), as one autograd node: one GEMM
 * projects the input for both directions (their W_ih stacked), and with two
 * threads the directions' time loops run at the same time, one thread each.
 * Fills y[d], h_n[d], c_n[d] (NULL without a cell state). */
LC_API int lc_rnn_layers(const lc_rnn_args *args, int D, lc_tensor **y, lc_tensor **h_n, lc_tensor **c_n);

/* One step of a cell, h' (N, H) and c' (N, H) for a cell with a cell state,
 * as one autograd node (rnn_step.c): what the cell modules call per step.
 * x (N, I), h (N, H), c (N, H) or NULL, w_ih (G*H, I), w_hh (G*H, H), the
 * biases (G*H) or both NULL. No projection, recurrent dropout or zoneout
 * (lc_rnn_layer has them). c_out may be NULL. */
enum { LC_RNN_STEP_PARTS = 6 };
typedef struct {
  const char *cell; /* a kind's name, as lc_rnn_args.cell */
  const lc_tensor *x, *h, *c, *w_ih, *w_hh, *b_ih, *b_hh;
  /* the cell's own parameter (extra*H elements, as lc_rnn_args.extra) in
   * up to LC_RNN_STEP_PARTS 1-D parts, joined in order (NULL entries
   * skipped): a module passes its parameters as registered (peepholes
   * w_ci, w_cf, w_co; layer norms' weights and biases), each part gets its
   * own gradient, and no concatenation is recorded per step */
  const lc_tensor *extra[LC_RNN_STEP_PARTS];
  /* weight dropout, as lc_rnn_args: draws u (G*H, H) in [0, 1) and p in
   * [0, 1); the step runs on w_hh * [u < 1 - p] / (1 - p). NULL: none */
  const lc_tensor *w_hh_noise;
  double w_hh_dropout;
} lc_rnn_step_args;

LC_API int lc_rnn_cell_step(const lc_rnn_step_args *args, lc_tensor **h_out, lc_tensor **c_out);

/* ---- a recurrent module's whole call (rnn_check.c) ----------------------- */
/* The kernels above see one layer and direction with (N, H) slices; the
 * module's call is checked once, here, so its messages name what the user
 * gave ("LSTM: Expected h0 size (2, 3, 4), got (1, 3, 4)"). The three forms
 * of call word their messages as PyTorch's modules do: */
typedef enum {
  LC_RNN_SEQUENCE, /* nn.RNN, nn.GRU, nn.LSTM: input (L, N, I), (N, L, I) or (L, I); states
                    * (layers, N, width), (layers, width) unbatched, or (N, width): the first
                    * layer's */
  LC_RNN_STEP,     /* nn.RNNCell, GRUCell, LSTMCell: input (N, I) or (I); states (N, H) or (H) */
  LC_RNN_MINIMAL,  /* nn.MinGRU, MinLSTM: as a sequence, h0 (layers, N, H) or (layers, H) */
  LC_RNN_FORM_COUNT
} lc_rnn_form;

/* One initial state as given; t NULL: not given (zeros). */
typedef struct {
  const char *name;      /* as the user calls it: "hx", "h0", "c0", "h", "c" */
  const char *size_name; /* in "Expected hidden size ...": NULL for name */
  const lc_tensor *t;
  int64_t width;         /* its last size: Hout for h, H for c */
} lc_rnn_state;

typedef struct {
  const char *op;                  /* the module's public name: "LSTM", "GRUCell", "MinGRU" */
  lc_rnn_form form;
  const lc_tensor *input;          /* as given, or a packed sequence's data (T, I) */
  const lc_tensor *batch_sizes;    /* a packed sequence's (1-D int64), else NULL */
  const lc_tensor *sorted_indices; /* a packed sequence's, or NULL */
  int64_t input_size;
  lc_dtype dtype;                  /* the parameters' */
  int64_t layers;                  /* states per call: num_layers * directions (cells: 1) */
  bool batch_first;
  lc_rnn_state states[2];          /* h, then c (name NULL: the module has none) */
} lc_rnn_call;

/* 0 when the call's input and states fit the module, else -1 with the
 * error (code, op = call->op, body) that PyTorch's module would give. */
LC_API int lc_rnn_check(const lc_rnn_call *call);

/* packed.c: the rows of a packed batch (batch_sizes: 1-D int64, positive,
 * non-increasing) in the order that reverses every sequence within its own
 * length: entry r is the row (counted from base, 0 or 1) holding the mirror
 * of row r, a permutation that is its own inverse. A reverse direction
 * index_selects its input with it, runs forward, and puts the output back
 * with it. int64 (T); NULL with an error on a bad batch_sizes. */
LC_API lc_tensor *lc_packed_reverse_index(const lc_tensor *batch_sizes, int64_t base);

/* ---- index ops (index.c) ------------------------------------------------- */
/* Indices count from the caller's base (0 for C, 1 for the Lua API), as in
 * lc_ops.h: no shifted copies are made. */
/* Rows of x along dim picked by a 0- or 1-D int64 index (each in [base,
 * base + x->sizes[dim])); the result has x's shape with sizes[dim] = numel.
 * Differentiable in x: the backward scatter-adds into zeros. */
LC_API lc_tensor *lc_index_select(const lc_tensor *x, int dim, const lc_tensor *index, int64_t base);
/* x[index]: the rows of x along dim 0 at the int64 positions of index, of
 * any shape, each in [base, base + x->sizes[0]) or negative, counted from
 * the end (-1 the last); the result is (index..., x->sizes[1:]).
 * Differentiable in x: the backward scatter-adds into zeros. */
LC_API lc_tensor *lc_index(const lc_tensor *x, const lc_tensor *index, int64_t base);
/* weight (V, D) rows picked by int64 indices of any shape (in [base, base +
 * V)) -> (indices..., D). Row padding_idx (counted from base; none when
 * below base) gets no gradient. */
LC_API lc_tensor *lc_embedding(const lc_tensor *weight, const lc_tensor *indices, int64_t padding_idx,
                        int64_t base);

/* ---- losses (loss.c) ---------------------------------------------------- */
typedef enum { LC_REDUCTION_NONE, LC_REDUCTION_MEAN, LC_REDUCTION_SUM } lc_reduction;

/* Cross entropy of logits input (N, C), (C) or (N, C, d1..dk) against int64
 * class targets (N), () or (N, d1..dk) counted from base (class c is
 * base + c); targets equal to ignore_index (as given) contribute nothing. weight: per-class (C) float weights or
 * NULL (differentiated when it requires grad). label_smoothing in [0, 1]. 'none' gives the
 * per-sample losses, 'mean' the sum over the total weight of the samples
 * counted. Differentiable in input; float32 or float64. */
LC_API lc_tensor *lc_cross_entropy(const lc_tensor *input, const lc_tensor *target,
                            const lc_tensor *weight, int64_t ignore_index,
                            lc_reduction reduction, double label_smoothing, int64_t base);
/* The same on log-probabilities (no log-softmax, no smoothing). */
LC_API lc_tensor *lc_nll_loss(const lc_tensor *input, const lc_tensor *target, const lc_tensor *weight,
                       int64_t ignore_index, lc_reduction reduction, int64_t base);

/* ---- normalisation (norm.c) ---------------------------------------------- */
/* Layer norm over the last norm_ndim dims of x, whose sizes must equal
 * norm_sizes: each row normalised by its mean and biased variance (or, with
 * rms, by its mean square alone), then times weight and plus bias (shaped
 * norm_sizes, x's dtype, each optional). `op` names the errors (NULL:
 * "layer_norm"). One autograd node, differentiable in x, weight and bias.
 * mean_out/var_out, when not NULL, get each row's mean and variance (float64,
 * (rows)), not differentiable: BatchNorm's running statistics. */
typedef struct {
  const char *op;
  const lc_tensor *x, *weight, *bias;
  int norm_ndim;
  const int64_t *norm_sizes;
  double eps;
  bool rms;
} lc_norm_args;
LC_API lc_tensor *lc_layer_norm(const lc_norm_args *args, lc_tensor **mean_out, lc_tensor **var_out);

/* ---- convolution (conv.c) ------------------------------------------------- */
/* 1-D convolution of x (N, Cin, L) with weight (Cout, Cin/groups, K) and an
 * optional bias (Cout), padded by pad_left/pad_right zeros:
 * (N, Cout, (L + pl + pr - dilation (K-1) - 1) / stride + 1). transposed:
 * the adjoint, weight (Cin, Cout/groups, K), output length
 * (L-1) stride - pl - pr + dilation (K-1) + output_padding + 1. One autograd
 * node, differentiable in x, weight and bias; `op` names the errors. */
typedef struct {
  const char *op;
  const lc_tensor *x, *weight, *bias;
  int64_t stride, pad_left, pad_right, dilation, groups, output_padding;
  bool transposed;
} lc_conv1d_args;
LC_API lc_tensor *lc_conv1d(const lc_conv1d_args *args);

/* ---- pooling (pooling.c) --------------------------------------------------- */
/* Max or average pooling over the last dim of x (N, C, L) or (C, L). Plain:
 * windows of kernel positions every dilation (max only; average takes
 * dilation 1), stride apart, padding on both sides (at most half the
 * window), PyTorch's ceil_mode; average divides by the window's size within
 * the padded input (count_include_pad) or within the input. Adaptive:
 * output_size windows [floor(t L / O), ceil((t+1) L / O)). *indices (max,
 * if not NULL) gets each maximum's position along L, counted from
 * index_base. One autograd node, differentiable in x; `op` names the errors. */
typedef struct {
  const char *op;
  const lc_tensor *x;
  bool is_max, adaptive, ceil_mode, count_include_pad;
  int64_t kernel, stride, padding, dilation, output_size, index_base;
} lc_pool1d_args;
LC_API lc_tensor *lc_pool1d(const lc_pool1d_args *args, lc_tensor **indices);

/* ---- CTC loss (ctc.c) -------------------------------------------------------- */
/* Connectionist temporal classification: log_probs (T, N, C) float;
 * targets int64, (N, S) padded or 1-D concatenated, classes counted from
 * index_base (blank too, which no target may equal); input_lengths and
 * target_lengths int64 (N). 'none' gives each sample's -log p, 'mean'
 * their mean after dividing each by its target length, 'sum' their sum.
 * zero_infinity turns impossible alignments into loss 0 and no gradient.
 * One autograd node, differentiable in log_probs (the true gradient);
 * `op` names the errors. */
typedef struct {
  const char *op;
  const lc_tensor *log_probs, *targets, *input_lengths, *target_lengths;
  int64_t blank, index_base;
  lc_reduction reduction;
  bool zero_infinity;
} lc_ctc_args;
LC_API lc_tensor *lc_ctc_loss(const lc_ctc_args *args);

/* ---- embedding max_norm (embedding.c) --------------------------------------- */
/* Scales in place, without recording, each row of weight (V, D) named by the
 * int64 indices (counted from index_base) whose norm_type-norm exceeds
 * max_norm, to max_norm / (norm + 1e-7) of itself. 0 or -1. */
LC_API int lc_embedding_renorm_(lc_tensor *weight, const lc_tensor *indices, int64_t index_base, double max_norm,
                         double norm_type);

/* ---- minimal RNNs (minrnn.c) ------------------------------------------- */
#include "lc_minrnn.h"

#endif
