/* packed.c: row arithmetic on packed sequences (lc_nn.h). A packed batch
 * stores step t of every sequence still running as batch_sizes[t]
 * consecutive rows, longest sequence first; these functions turn that layout
 * into row indices, so the modules move rows with one index_select instead of
 * a loop over sequences. */
#include <stdint.h>
#include <stdlib.h>

#include "lc_internal.h"

/* batch_sizes checked (1-D int64, non-empty, positive, non-increasing, a
 * total that fits) and read into a contiguous array; its sum in *total.
 * NULL with an error naming op. */
static int64_t *read_batch_sizes(const char *op, const lc_tensor *bs, int64_t *total) {
  char buf[128];
  if (!bs || bs->dtype != LC_INT64 || bs->ndim != 1 || bs->sizes[0] < 1) {
    lc_fail(LC_ERR_ARG, op, "batch_sizes must be a non-empty 1-D int64 tensor, got %s",
            !bs ? "none" : bs->dtype != LC_INT64 ? lc_dtype_name(bs->dtype) : lc_shape_str(buf, bs->ndim, bs->sizes));
    return NULL;
  }
  int64_t L = bs->sizes[0];
  int64_t *v = lc_calloc((size_t)L, sizeof *v, op);
  if (!v) return NULL;
  const int64_t *in = LC_PTR(int64_t, bs);
  int64_t sum = 0;
  for (int64_t t = 0; t < L; t++) {
    v[t] = in[t * bs->strides[0]];
    const char *why = v[t] < 1 ? "positive" : t > 0 && v[t] > v[t - 1] ? "non-increasing"
                    : v[t] > INT64_MAX - sum ? "of a total that fits in int64" : NULL;
    if (why) {
      lc_fail(LC_ERR_ARG, op, "batch_sizes must be %s, got %lld at step %lld", why, (long long)v[t],
              (long long)t + 1);
      free(v);
      return NULL;
    }
    sum += v[t];
  }
  *total = sum;
  return v;
}

/* The row of sequence n at step t is offsets[t] + n, offsets the prefix sums
 * of batch_sizes; sequence n runs len_n = #{t : batch_sizes[t] > n} steps.
 * Its mirror row is offsets[len_n - 1 - t] + n: the rows of every sequence in
 * the opposite order, each within its own length, so a reverse direction
 * reads its sequences back to front. The permutation is its own inverse. */
lc_tensor *lc_packed_reverse_index(const lc_tensor *batch_sizes, int64_t base) {
  const char *op = "packed_reverse_index";
  if (base != 0 && base != 1) {
    lc_fail(LC_ERR_ARG, op, "base must be 0 or 1, got %lld", (long long)base);
    return NULL;
  }
  int64_t T = 0;
  int64_t *bs = read_batch_sizes(op, batch_sizes, &T);
  if (!bs) return NULL;
  int64_t L = batch_sizes->sizes[0], N = bs[0];
  int64_t *offsets = lc_calloc((size_t)L, sizeof *offsets, op);
  int64_t *len = lc_calloc((size_t)N, sizeof *len, op);
  lc_tensor *out = offsets && len ? lc_empty(LC_INT64, 1, &T) : NULL;
  if (out) {
    for (int64_t t = 1; t < L; t++) offsets[t] = offsets[t - 1] + bs[t - 1];
    /* non-increasing sizes: sequence n runs while batch_sizes[t] > n */
    for (int64_t n = 0, t = L; n < N; n++) {
      while (bs[t - 1] <= n) t--;
      len[n] = t;
    }
    int64_t *idx = lc_data(out);
    for (int64_t t = 0; t < L; t++)
      for (int64_t n = 0; n < bs[t]; n++) idx[offsets[t] + n] = offsets[len[n] - 1 - t] + n + base;
  }
  free(bs), free(offsets), free(len);
  return out;
}
