/* pooling.c: 1-D max and average pooling, plain and adaptive. Every kind is
 * a list of windows over the length L of an (N, C, L) input: output t reads
 * the positions start(t) + j * dilation, j < count(t), all inside [0, L)
 * (padding is never read: max ignores it, average counts it in its divisor
 * when count_include_pad). The (N*C) rows are independent.
 *
 *   max/avg:  start = t*stride - pad (clipped), kernel positions every dilation
 *   adaptive: [floor(t L / O), ceil((t+1) L / O))
 *
 *   y[r, t] = max_j x[r, start + j dil]     (index: the first position of the max)
 *           | sum_j x[r, start + j] / divisor(t)
 *   backward: dx[r, index[r, t]] += g[r, t]  |  dx[r, start + j] += g[r, t] / divisor(t) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

typedef struct {
  int64_t first, count, divisor; /* positions first + j*dil, j < count */
} window;

/* Output length of the plain kinds, PyTorch's rule: with ceil_mode the last
 * window must start inside the input or its left padding. */
static int64_t plain_length(int64_t L, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t span = d * (k - 1) + 1, num = L + 2 * p - span;
  if (num < 0) return 0;
  int64_t out = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
  if (ceil_mode && (out - 1) * s >= L + p) out--;
  return out;
}

/* Fills w[0..lout) from the kind. ints: max, adaptive, kernel, stride, pad,
 * dilation, ceil_mode, count_include_pad, L, lout. */
static void windows(const int64_t *in, window *w) {
  bool adaptive = in[1] != 0, cip = in[7] != 0;
  int64_t k = in[2], s = in[3], p = in[4], d = in[5], L = in[8], lout = in[9];
  for (int64_t t = 0; t < lout; t++) {
    if (adaptive) {
      int64_t a = t * L / lout, b = ((t + 1) * L + lout - 1) / lout;
      w[t] = (window){a, b - a, b - a};
      continue;
    }
    int64_t a = t * s - p, first = a, count = 0;
    for (int64_t j = 0; j < k; j++) {
      int64_t pos = a + j * d;
      if (pos < 0) { first = pos + d; continue; }
      if (pos >= L) break;
      count++;
    }
    if (count == 0) first = a < 0 ? 0 : a;
    /* average (dilation 1): the window clipped to the padded input counts */
    int64_t end = a + k < L + p ? a + k : L + p;
    w[t] = (window){first, count, cip ? end - a : count};
  }
}

/* Saved: 0 indices (max) when present. ints as windows(), then rows and the
 * indices' base. */
static int pool_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  const int64_t *in = node->ints;
  bool is_max = in[0] != 0;
  int64_t d = in[5], L = in[8], lout = in[9], rows = in[10], base = in[11];
  lc_tensor *idx = is_max ? lc_node_saved(node, 0) : NULL;
  if (is_max && !idx) return -1;
  lc_tensor *g = lc_contiguous(grad_out[0]);
  window *w = g ? lc_malloc(sizeof *w * (size_t)(lout ? lout : 1), "pool1d") : NULL;
  int64_t sizes[LC_MAX_DIMS];
  memcpy(sizes, node->outputs[0].sizes, sizeof sizes);
  sizes[node->outputs[0].ndim - 1] = L;
  lc_tensor *dx = w ? lc_zeros(g->dtype, node->outputs[0].ndim, sizes) : NULL;
  if (!dx) {
    free(w);
    lc_release(g);
    return -1;
  }
  windows(in, w);
  const int64_t *ip = idx ? lc_data(idx) : NULL;
  LC_DISPATCH(g->dtype, T, {
    const T *gp = lc_data(g);
    T *dp = lc_data(dx);
    _Pragma("omp parallel for schedule(static) if (rows * lout >= LC_PARALLEL_GRAIN)")
    for (int64_t r = 0; r < rows; r++)
      for (int64_t t = 0; t < lout; t++) {
        T gv = gp[r * lout + t];
        if (ip) {
          int64_t k = ip[r * lout + t] - base; /* an empty window's is below 0 */
          if (k >= 0 && k < L) dp[r * L + k] += gv;
        } else {
          T share = w[t].divisor ? gv / (T)w[t].divisor : (T)0;
          for (int64_t j = 0; j < w[t].count; j++) dp[r * L + w[t].first + j * d] += share;
        }
      }
  });
  free(w);
  lc_release(g);
  grad_in[0] = dx;
  return 0;
}

lc_tensor *lc_pool1d(const lc_pool1d_args *a, lc_tensor **indices) {
  const char *op = a->op ? a->op : "pool1d";
  const lc_tensor *x = a->x;
  char b1[128];
  if (lc_check_float_arg(op, "input", x) < 0) return NULL;
  if (x->ndim != 2 && x->ndim != 3) {
    lc_fail(LC_ERR_SHAPE, op, "input must be (N, C, L) or (C, L), got shape %s", lc_shape_str(b1, x->ndim, x->sizes));
    return NULL;
  }
  int64_t L = x->sizes[x->ndim - 1], rows = lc_numel(x) / (L ? L : 1), lout;
  if (L == 0) rows = 0;
  bool dilated = a->dilation != 1 && !a->is_max;
  if (a->adaptive) {
    if (a->output_size < 1) {
      lc_fail(LC_ERR_ARG, op, "output_size must be at least 1, got %lld", (long long)a->output_size);
      return NULL;
    }
    if (L < 1) {
      lc_fail(LC_ERR_SHAPE, op, "input length must be at least 1");
      return NULL;
    }
    lout = a->output_size;
  } else {
    if (a->kernel < 1 || a->stride < 1 || a->dilation < 1 || a->padding < 0 || dilated) {
      lc_fail(LC_ERR_ARG, op, "kernel_size, stride and dilation must be at least 1 and padding at least 0 "
                   "(got %lld, %lld, %lld, %lld)", (long long)a->kernel, (long long)a->stride,
                   (long long)a->dilation, (long long)a->padding);
      return NULL;
    }
    int64_t span = a->dilation * (a->kernel - 1) + 1;
    if (2 * a->padding > span) {
      lc_fail(LC_ERR_ARG, op, "padding %lld must be at most half the kernel size %lld", (long long)a->padding,
                   (long long)span);
      return NULL;
    }
    lout = plain_length(L, a->kernel, a->stride, a->padding, a->dilation, a->ceil_mode);
    if (lout < 1) {
      lc_fail(LC_ERR_SHAPE, op, "input length %lld is too short for kernel_size %lld (dilation %lld, padding %lld)",
                   (long long)L, (long long)a->kernel, (long long)a->dilation, (long long)a->padding);
      return NULL;
    }
  }
  int64_t in[12] = {a->is_max, a->adaptive, a->kernel, a->stride, a->padding, a->dilation,
                    a->ceil_mode, a->count_include_pad, L, lout, rows, a->index_base};
  int64_t osz[3];
  memcpy(osz, x->sizes, sizeof(int64_t) * (size_t)x->ndim);
  osz[x->ndim - 1] = lout;
  lc_tensor *xc = lc_contiguous(x);
  lc_tensor *y = xc ? lc_empty(x->dtype, x->ndim, osz) : NULL;
  lc_tensor *idx = y && a->is_max ? lc_empty(LC_INT64, x->ndim, osz) : NULL;
  window *w = y ? lc_malloc(sizeof *w * (size_t)lout, "pool1d") : NULL;
  if (!w || (a->is_max && !idx)) goto fail;
  windows(in, w);
  int64_t d = a->dilation;
  int64_t *ip = idx ? lc_data(idx) : NULL;
  LC_DISPATCH(x->dtype, T, {
    const T *xp = lc_data(xc);
    T *yp = lc_data(y);
    _Pragma("omp parallel for schedule(static) if (rows * lout >= LC_PARALLEL_GRAIN)")
    for (int64_t r = 0; r < rows; r++)
      for (int64_t t = 0; t < lout; t++) {
        const T *xr = xp + r * L + w[t].first;
        if (ip) {
          int64_t best = -1;
          T m = (T)-INFINITY;
          for (int64_t j = 0; j < w[t].count; j++) {
            T v = xr[j * d];
            if (best < 0 || v > m || (isnan((double)v) && !isnan((double)m))) {
              m = v;
              best = w[t].first + j * d;
            }
          }
          yp[r * lout + t] = m;
          ip[r * lout + t] = best < 0 ? best : best + a->index_base;
        } else {
          double s = 0;
          for (int64_t j = 0; j < w[t].count; j++) s += (double)xr[j];
          yp[r * lout + t] = (T)(w[t].divisor ? s / (double)w[t].divisor : 0);
        }
      }
  });
  free(w);
  w = NULL;
  if (lc_should_record(1, &x)) {
    lc_node *node = lc_record(a->is_max ? "MaxPool1dBackward" : "AvgPool1dBackward", pool_backward, y, 1, &x);
    if (!node || (idx && lc_node_save(node, idx))) goto fail;
    memcpy(node->ints, in, sizeof in);
  }
  lc_release(xc);
  if (indices) *indices = idx;
  else lc_release(idx);
  return y;
fail:
  free(w);
  lc_release(xc);
  lc_release(y);
  lc_release(idx);
  return NULL;
}
