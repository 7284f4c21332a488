/* rnn_dropconnect.c: weight dropout (DropConnect) on a recurrent W_hh, the
 * one home of its mask for the layer kernel (rnn.c, one mask per layer call)
 * and the cell step (rnn_step.c, one per step call). The module draws
 * uniform noise u of W_hh's shape; the kernel runs on
 *
 *   W_hh' = W_hh * [u < 1 - p] / (1 - p)      (made once per call, one pass)
 *
 * and the raw weight's gradient is dW_hh' through the same mask:
 * dW_hh = dW_hh' * [u < 1 - p] / (1 - p), the same function on the gradient. */
#include <omp.h>

#include "lc_internal.h"

/* dst = src * [u < 1 - p] * (1 / (1 - p)), as nn.functional.dropout
 * computes it (the comparison and the scale in the weights' dtype, the
 * products in its order), so a module gets the same numbers from the same
 * draws. dst may be src. A product, not a select: the draws are random, so
 * a branch per weight mispredicts (a cell step's 64K weights took longer
 * than its GEMMs), and the product vectorises. */
#define DROPCONNECT(E)                                                            \
  do {                                                                            \
    const E *src = src_, *u = u_;                                                 \
    E *dst = dst_, keep = (E)(1 - p), scale = (E)(1 / (1 - p));                   \
    _Pragma("omp parallel for if (n >= LC_PARALLEL_GRAIN && !omp_in_parallel())") \
    for (int64_t i = 0; i < n; i++) dst[i] = src[i] * (E)(u[i] < keep) * scale;   \
  } while (0)

void lc_rnn_dropconnect(lc_dtype dt, int64_t n, const void *src_, const void *u_, double p, void *dst_) {
  if (dt == LC_FLOAT32) DROPCONNECT(float);
  else DROPCONNECT(double);
}

bool lc_rnn_dropconnect_fits(const char *op, const lc_tensor *u, double p, int64_t rows, int64_t cols,
                             lc_dtype dt) {
  if (!lc_rnn_fits(op, "the weight dropout draws", u, true, 2, rows, cols, dt)) return false;
  if (u && !(p >= 0 && p < 1)) {
    lc_fail(LC_ERR_ARG, op, "weight dropout must be in [0, 1), got %g", p);
    return false;
  }
  return true;
}
