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
 * NULL (not differentiated). label_smoothing in [0, 1]. 'none' gives the
 * per-sample losses, 'mean' the sum over the total weight of the samples
 * counted. Differentiable in input; float32 or float64. */
lc_tensor *lc_cross_entropy(const lc_tensor *input, const lc_tensor *target,
                            const lc_tensor *weight, int64_t ignore_index,
                            lc_reduction reduction, double label_smoothing);
/* The same on log-probabilities (no log-softmax, no smoothing). */
lc_tensor *lc_nll_loss(const lc_tensor *input, const lc_tensor *target, const lc_tensor *weight,
                       int64_t ignore_index, lc_reduction reduction);

/* ---- minimal RNNs (minrnn.c) ------------------------------------------- */
#include "lc_minrnn.h"

#endif
