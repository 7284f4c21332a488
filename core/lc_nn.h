/* lc_nn.h: losses and index ops; included by lc.h. */
#ifndef LC_NN_H
#define LC_NN_H

/* ---- index ops (index.c) ------------------------------------------------- */
/* Rows of x along dim picked by a 0- or 1-D int64 index (0-based, each in
 * [0, x->sizes[dim])); the result has x's shape with sizes[dim] = numel.
 * Differentiable in x: the backward scatter-adds into zeros. */
lc_tensor *lc_index_select(const lc_tensor *x, int dim, const lc_tensor *index);
/* weight (V, D) rows picked by int64 indices of any shape (0-based, in
 * [0, V)) -> (indices..., D). Row padding_idx (or none when negative) gets
 * no gradient. */
lc_tensor *lc_embedding(const lc_tensor *weight, const lc_tensor *indices, int64_t padding_idx);

/* ---- losses (loss.c) ---------------------------------------------------- */
typedef enum { LC_REDUCTION_NONE, LC_REDUCTION_MEAN, LC_REDUCTION_SUM } lc_reduction;

/* Cross entropy of logits input (N, C), (C) or (N, C, d1..dk) against int64
 * class targets (N), () or (N, d1..dk), 0-based; targets equal to
 * ignore_index contribute nothing. weight: per-class (C) float weights or
 * NULL (differentiated when it requires grad). label_smoothing in [0, 1]. 'none' gives the
 * per-sample losses, 'mean' the sum over the total weight of the samples
 * counted. Differentiable in input; float32 or float64. */
lc_tensor *lc_cross_entropy(const lc_tensor *input, const lc_tensor *target,
                            const lc_tensor *weight, int64_t ignore_index,
                            lc_reduction reduction, double label_smoothing);
/* The same on log-probabilities (no log-softmax, no smoothing). */
lc_tensor *lc_nll_loss(const lc_tensor *input, const lc_tensor *target, const lc_tensor *weight,
                       int64_t ignore_index, lc_reduction reduction);

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
lc_tensor *lc_layer_norm(const lc_norm_args *args, lc_tensor **mean_out, lc_tensor **var_out);

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
lc_tensor *lc_conv1d(const lc_conv1d_args *args);

/* ---- pooling (pooling.c) --------------------------------------------------- */
/* Max or average pooling over the last dim of x (N, C, L) or (C, L). Plain:
 * windows of kernel positions every dilation (max only; average takes
 * dilation 1), stride apart, padding on both sides (at most half the
 * window), PyTorch's ceil_mode; average divides by the window's size within
 * the padded input (count_include_pad) or within the input. Adaptive:
 * output_size windows [floor(t L / O), ceil((t+1) L / O)). *indices (max,
 * if not NULL) gets each maximum's 0-based position along L. One autograd
 * node, differentiable in x; `op` names the errors. */
typedef struct {
  const char *op;
  const lc_tensor *x;
  bool is_max, adaptive, ceil_mode, count_include_pad;
  int64_t kernel, stride, padding, dilation, output_size;
} lc_pool1d_args;
lc_tensor *lc_pool1d(const lc_pool1d_args *args, lc_tensor **indices);

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
lc_tensor *lc_ctc_loss(const lc_ctc_args *args);

/* ---- embedding max_norm (embedding.c) --------------------------------------- */
/* Scales in place, without recording, each row of weight (V, D) named by the
 * int64 indices (counted from index_base) whose norm_type-norm exceeds
 * max_norm, to max_norm / (norm + 1e-7) of itself. 0 or -1. */
int lc_embedding_renorm_(lc_tensor *weight, const lc_tensor *indices, int64_t index_base, double max_norm,
                         double norm_type);

#endif
