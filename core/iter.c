/* iter.c: walking several same-shape strided operands element by element,
 * in 1-D runs handed to a loop function, in parallel above a size. */
#include <omp.h>
#include <string.h>

#include "lc_internal.h"

/* Whether dim a should be walked inside dim b: the first operand with
 * different, non-zero strides along them says which is smaller. */
static bool inner_first(const lc_iter *it, int ntensors, int a, int b) {
  for (int k = 0; k < ntensors; k++) {
    int64_t sa = it->strides[k][a], sb = it->strides[k][b];
    if (sa == 0 || sb == 0 || sa == sb) continue;
    return sa < sb;
  }
  return false;
}

void lc_iter_init(lc_iter *it, int ndim, const int64_t *sizes, int ntensors,
                  lc_tensor *const *ts) {
  memset(it, 0, sizeof *it);
  it->ntensors = ntensors;
  it->grain = LC_PARALLEL_GRAIN;
  for (int k = 0; k < ntensors; k++) {
    const lc_tensor *t = ts[k];
    it->data[k] = lc_data(t);
    it->elsize[k] = lc_dtype_size(t->dtype);
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
      int j = i - lead;
      bool broadcast = j < 0 || (t->sizes[j] == 1 && sizes[i] != 1);
      it->strides[k][i] = broadcast ? 0 : t->strides[j];
    }
  }
  /* Walk in memory order: dims sorted so the innermost has the smallest
   * stride (the first operand that is not broadcast along them decides), so
   * transposed operands with a matching output are one linear run. */
  int order[LC_MAX_DIMS];
  for (int i = 0; i < ndim; i++) {
    int j = i;
    while (j > 0 && inner_first(it, ntensors, order[j - 1], i)) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  /* Drop size-1 dims and merge neighbours that are one run in every operand,
   * so a contiguous tensor of any shape is a single long 1-D loop. */
  int64_t st[4][LC_MAX_DIMS];
  memcpy(st, it->strides, sizeof st);
  int nd = 0;
  for (int o = 0; o < ndim; o++) {
    int i = order[o];
    if (sizes[i] == 1) continue;
    bool merge = nd > 0;
    for (int k = 0; k < ntensors && merge; k++)
      merge = it->strides[k][nd - 1] == st[k][i] * sizes[i];
    if (merge) {
      it->sizes[nd - 1] *= sizes[i];
      for (int k = 0; k < ntensors; k++) it->strides[k][nd - 1] = st[k][i];
    } else {
      it->sizes[nd] = sizes[i];
      for (int k = 0; k < ntensors; k++) it->strides[k][nd] = st[k][i];
      nd++;
    }
  }
  for (int i = 0; i < ndim; i++)
    if (sizes[i] == 0) nd = -1;
  it->ndim = nd;
}

/* Runs the linear element range [start, end). */
static void run_range(const lc_iter *it, int64_t start, int64_t end, lc_loop_fn fn, void *ctx) {
  const size_t *elsize = it->elsize;
  int nd = it->ndim, last = nd - 1;
  int64_t idx[LC_MAX_DIMS], inner[4];
  char *ptr[4];
  int64_t rem = start;
  for (int i = last; i >= 0; i--) {
    idx[i] = rem % it->sizes[i];
    rem /= it->sizes[i];
  }
  for (int k = 0; k < it->ntensors; k++) {
    int64_t off = 0;
    for (int i = 0; i < nd; i++) off += idx[i] * it->strides[k][i];
    ptr[k] = it->data[k] + off * (int64_t)elsize[k];
    inner[k] = it->strides[k][last];
  }
  for (int64_t pos = start; pos < end;) {
    int64_t n = it->sizes[last] - idx[last];
    if (n > end - pos) n = end - pos;
    fn(ctx, n, ptr, inner);
    pos += n;
    for (int k = 0; k < it->ntensors; k++) ptr[k] += n * inner[k] * (int64_t)elsize[k];
    idx[last] += n;
    /* carry into outer dims, rewinding the pointers of finished dims */
    for (int i = last; i > 0 && idx[i] == it->sizes[i]; i--) {
      idx[i] = 0;
      idx[i - 1]++;
      for (int k = 0; k < it->ntensors; k++)
        ptr[k] += (it->strides[k][i - 1] - it->strides[k][i] * it->sizes[i]) * (int64_t)elsize[k];
    }
  }
}

void lc_iter_run(lc_iter *it, lc_loop_fn fn, void *ctx) {
  if (it->ndim < 0) return;
  if (it->ndim == 0) {
    /* one element: unit strides take the loops' contiguous fast paths */
    int64_t unit[4] = {1, 1, 1, 1};
    fn(ctx, 1, it->data, unit);
    return;
  }
  int64_t total = 1;
  for (int i = 0; i < it->ndim; i++) total *= it->sizes[i];
  if (total < it->grain || omp_get_max_threads() == 1 || omp_in_parallel()) {
    run_range(it, 0, total, fn, ctx);
    return;
  }
#pragma omp parallel
  {
    int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    int64_t chunk = (total + nth - 1) / nth;
    int64_t lo = tid * chunk, hi = lo + chunk < total ? lo + chunk : total;
    if (lo < hi) run_range(it, lo, hi, fn, ctx);
  }
}

