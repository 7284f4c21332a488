/* overlap.c: whether an in-place op's source and destination share memory in
 * a way that makes the result depend on the order elements are written in
 * (and so on the thread count).
 *
 * As PyTorch (assert_no_partial_overlap): exact aliasing (x:add_(x), same
 * offset, sizes and strides) is fine, since each element is read before it
 * is written and by the same iteration; two dense views of one storage whose
 * ranges meet in any other way are an error. Views that are not dense (a
 * column of a matrix) may interleave without sharing an element, and telling
 * exactly is a Diophantine problem: like PyTorch, they are let through. */
#include <string.h>

#include "lc_internal.h"

/* The byte range [*begin, *end) of a dense tensor's elements. */
static void byte_range(const lc_tensor *t, int64_t *begin, int64_t *end) {
  int64_t es = (int64_t)lc_dtype_size(t->dtype);
  *begin = t->offset * es;
  *end = *begin + lc_numel(t) * es;
}

static bool same_geometry(const lc_tensor *a, const lc_tensor *b) {
  if (a->offset != b->offset || a->dtype != b->dtype || !lc_same_shape(a, b)) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->sizes[i] > 1 && a->strides[i] != b->strides[i]) return false;
  return true;
}

int lc_check_overlap(const char *op, const lc_tensor *dst, const lc_tensor *src) {
  if (dst->storage != src->storage || lc_numel(dst) == 0 || lc_numel(src) == 0) return 0;
  if (same_geometry(dst, src) || !lc_is_dense(dst) || !lc_is_dense(src)) return 0;
  int64_t a0, a1, b0, b1;
  byte_range(dst, &a0, &a1);
  byte_range(src, &b0, &b1);
  if (a0 < b1 && b0 < a1) {
    lc_fail(LC_ERR_ARG, op, "unsupported operation: some elements of the input tensor and the "
                 "written-to tensor refer to a single memory location. Please clone() the "
                 "tensor before performing the operation.");
    return -1;
  }
  return 0;
}
