/* embedding.c: Embedding's max_norm renormalisation. Each row of weight
 * (V, D) that the indices name, once however often, is scaled in place to
 * norm max_norm when its norm_type-norm exceeds it: row *= max_norm /
 * (norm + 1e-7), as PyTorch's embedding_renorm_. Not recorded by autograd
 * (PyTorch runs it without grad); the weight's version is bumped, so a
 * graph that saved it before reports the change. */
#include <math.h>
#include <stdlib.h>

#include "lc_internal.h"

int lc_embedding_renorm_(lc_tensor *weight, const lc_tensor *indices, int64_t index_base, double max_norm,
                         double norm_type) {
  const char *op = "embedding";
  if (!weight || !indices || weight->ndim != 2 || !lc_dtype_is_float(weight->dtype) || indices->dtype != LC_INT64) {
    lc_fail(LC_ERR_DTYPE, op, "max_norm needs a 2-D float weight and int64 indices");
    return -1;
  }
  if (!(max_norm >= 0) || !(norm_type > 0)) {
    lc_fail(LC_ERR_ARG, op, "max_norm must be >= 0 and norm_type > 0, got %g and %g", max_norm, norm_type);
    return -1;
  }
  int64_t V = weight->sizes[0], D = weight->sizes[1];
  lc_tensor *idx = lc_contiguous(indices);
  if (!idx) return -1;
  unsigned char *seen = lc_calloc((size_t)(V ? V : 1), 1, op);
  if (!seen) {
    lc_release(idx);
    return -1;
  }
  const int64_t *ip = lc_data(idx);
  int64_t n = lc_numel(idx);
  int rc = 0;
  LC_DISPATCH(weight->dtype, T, {
    T *w = LC_PTR(T, weight);
    int64_t s0 = weight->strides[0], s1 = weight->strides[1];
    for (int64_t i = 0; i < n; i++) {
      int64_t r = ip[i] - index_base;
      if (r < 0 || r >= V) {
        lc_fail(LC_ERR_INDEX, op, "index %lld is out of range for num_embeddings %lld%s", (long long)ip[i],
                (long long)V, lc_base_note(ip[i], index_base));
        rc = -1;
        break;
      }
      if (seen[r]) continue;
      seen[r] = 1;
      double norm = 0;
      for (int64_t j = 0; j < D; j++) {
        double v = fabs((double)w[r * s0 + j * s1]);
        norm = isinf(norm_type) ? fmax(norm, v) : norm + pow(v, norm_type);
      }
      if (!isinf(norm_type)) norm = pow(norm, 1 / norm_type);
      if (norm > max_norm) {
        double scale = max_norm / (norm + 1e-7);
        for (int64_t j = 0; j < D; j++) w[r * s0 + j * s1] = (T)((double)w[r * s0 + j * s1] * scale);
      }
    }
  });
  lc_bump_version(weight);
  free(seen);
  lc_release(idx);
  return rc;
}
