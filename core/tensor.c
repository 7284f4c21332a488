/* tensor.c: creating tensors, their lifetime, and element access. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

void lc_contiguous_strides(int ndim, const int64_t *sizes, int64_t *strides) {
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    strides[i] = s;
    s *= sizes[i] > 0 ? sizes[i] : 1;
  }
}

static lc_tensor *tensor_struct(lc_dtype dt, int ndim, const int64_t *sizes) {
  lc_tensor *t = lc_pool_alloc(sizeof *t);
  if (!t) {
    lc_fail(LC_ERR_MEMORY, "tensor", "out of memory");
    return NULL;
  }
  memset(t, 0, sizeof *t);
  lc_track_bytes(sizeof *t, true);
  t->refcount = 1;
  t->dtype = dt;
  t->ndim = ndim;
  if (ndim) memcpy(t->sizes, sizes, ndim * sizeof *sizes);
  return t;
}

lc_tensor *lc_empty(lc_dtype dt, int ndim, const int64_t *sizes) {
  int64_t n = lc_checked_numel("tensor", ndim, sizes);
  if (n < 0) return NULL;
  if ((uint64_t)n > SIZE_MAX / lc_dtype_size(dt)) {
    lc_fail(LC_ERR_MEMORY, "tensor", "too many elements (%lld)", (long long)n);
    return NULL;
  }
  lc_tensor *t = tensor_struct(dt, ndim, sizes);
  if (!t) return NULL;
  t->storage = lc_storage_new((size_t)n * lc_dtype_size(dt));
  if (!t->storage) {
    lc_track_bytes(sizeof *t, false);
    lc_pool_free(t, sizeof *t);
    return NULL;
  }
  lc_contiguous_strides(ndim, sizes, t->strides);
  return t;
}

/* Whether t's elements fill numel consecutive slots of its storage in some
 * dim order (a contiguous tensor, or a transpose or permutation of one). */
bool lc_is_dense(const lc_tensor *t) {
  int64_t sz[LC_MAX_DIMS], st[LC_MAX_DIMS];
  int n = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (t->sizes[i] == 0) return true;
    if (t->sizes[i] == 1) continue;
    int k = n++; /* insertion by stride, smallest first */
    while (k > 0 && st[k - 1] > t->strides[i]) {
      st[k] = st[k - 1];
      sz[k] = sz[k - 1];
      k--;
    }
    st[k] = t->strides[i];
    sz[k] = t->sizes[i];
  }
  int64_t expect = 1;
  for (int k = 0; k < n; k++) {
    if (st[k] != expect) return false;
    expect *= sz[k];
  }
  return true;
}

/* An output for an elementwise op on ref: laid out like ref when ref is dense
 * (so a transposed input gives a transposed output and both are walked in
 * memory order, as PyTorch does), contiguous otherwise. */
lc_tensor *lc_empty_like_layout(lc_dtype dt, const lc_tensor *ref) {
  lc_tensor *out = lc_empty(dt, ref->ndim, ref->sizes);
  if (!out || lc_is_contiguous(ref) || !lc_is_dense(ref)) return out;
  for (int i = 0; i < ref->ndim; i++) out->strides[i] = ref->strides[i];
  return out;
}

/* The one check of a geometry: every tensor struct over existing memory
 * (views, wrapped buffers) passes here, so a size product or a stride sum
 * that overflows can never reach a kernel as a small, plausible shape.
 * Negative strides (flip's internal view) are allowed only with negative_ok,
 * and then the nearest element reached must not lie before the storage. */
static int64_t extent_of(const char *op, int ndim, const int64_t *sizes, const int64_t *strides,
                         int64_t offset, bool negative_ok) {
  int64_t numel = lc_checked_numel(op, ndim, sizes);
  if (numel < 0) return -1;
  if (offset < 0) {
    lc_fail(LC_ERR_ARG, op, "storage offset %lld is negative", (long long)offset);
    return -1;
  }
  if (numel == 0) return 0;
  int64_t last = offset, first = offset; /* the farthest and nearest elements reached */
  for (int i = 0; i < ndim; i++) {
    int64_t reach;
    if (strides[i] < 0 && !negative_ok) {
      lc_fail(LC_ERR_SHAPE, op, "stride %lld of dimension %d is negative", (long long)strides[i], i + 1);
      return -1;
    }
    if (__builtin_mul_overflow(sizes[i] - 1, strides[i], &reach) ||
        (reach >= 0 ? __builtin_add_overflow(last, reach, &last)
                    : __builtin_add_overflow(first, reach, &first)) ||
        last > INT64_MAX / 8 - 1) {
      lc_fail(LC_ERR_ARG, op, "strides reach past the address space");
      return -1;
    }
  }
  if (first < 0) {
    lc_fail(LC_ERR_ARG, op, "the view reaches before the start of its storage");
    return -1;
  }
  return last + 1;
}

int64_t lc_checked_extent(const char *op, int ndim, const int64_t *sizes, const int64_t *strides,
                          int64_t offset) {
  return extent_of(op, ndim, sizes, strides, offset, false);
}

/* Checks that a geometry fits the storage it is laid over. */
static bool fits_storage(const char *op, const lc_storage *s, lc_dtype dt, int ndim,
                         const int64_t *sizes, const int64_t *strides, int64_t offset,
                         bool negative_ok) {
  int64_t extent = extent_of(op, ndim, sizes, strides, offset, negative_ok);
  if (extent < 0) return false;
  if ((uint64_t)extent * lc_dtype_size(dt) > s->nbytes) {
    lc_fail(LC_ERR_ARG, op, "the view reaches element %lld of a storage of %zu bytes",
                 (long long)extent - 1, s->nbytes);
    return false;
  }
  return true;
}

lc_tensor *lc_tensor_from_storage(lc_storage *s, lc_dtype dt, int ndim, const int64_t *sizes,
                                  const int64_t *strides, int64_t offset) {
  int64_t st[LC_MAX_DIMS];
  if (lc_checked_numel("tensor", ndim, sizes) < 0) return NULL;
  if (strides)
    memcpy(st, strides, ndim * sizeof *strides);
  else
    lc_contiguous_strides(ndim, sizes, st);
  if (!fits_storage("tensor", s, dt, ndim, sizes, st, offset, false)) return NULL;
  lc_tensor *t = tensor_struct(dt, ndim, sizes);
  if (!t) return NULL;
  memcpy(t->strides, st, ndim * sizeof *st);
  t->offset = offset;
  t->storage = s;
  s->refcount++;
  return t;
}

lc_tensor *lc_tensor_new_view(const lc_tensor *base, int ndim, const int64_t *sizes,
                              const int64_t *strides, int64_t offset) {
  /* internal views may run backwards (flip copies through one) */
  if (!fits_storage("view", base->storage, base->dtype, ndim, sizes, strides, offset, true)) return NULL;
  lc_tensor *t = tensor_struct(base->dtype, ndim, sizes);
  if (!t) return NULL;
  if (ndim) memcpy(t->strides, strides, ndim * sizeof *strides);
  t->offset = offset;
  t->storage = base->storage;
  t->storage->refcount++;
  t->base = lc_retain((lc_tensor *)(base->base ? base->base : base));
  return t;
}

/* Whether a double converts to int64 without undefined behaviour: C leaves
 * (int64_t)NaN and (int64_t)1e300 undefined, and x86 gives -2^63 for both. */
bool lc_fits_int64(double v) { return v >= -9223372036854775808.0 && v < 9223372036854775808.0; }

typedef struct {
  lc_dtype dtype;
  _Atomic bool bad;
} range_ctx;

static void range_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  range_ctx *c = ctx;
  bool bad = false;
  LC_DISPATCH(c->dtype, T, {
    const T *p = (const T *)d[0];
    for (int64_t i = 0; i < n; i++) bad |= !lc_fits_int64((double)p[i * s[0]]);
  });
  if (bad) c->bad = true;
}

int lc_check_castable(const char *op, lc_dtype dt, const lc_tensor *src) {
  if (dt != LC_INT64 || !lc_dtype_is_float(src->dtype)) return 0;
  lc_iter it;
  range_ctx c = {src->dtype, false};
  lc_iter_init(&it, src->ndim, src->sizes, 1, (lc_tensor *const *)&src);
  lc_iter_run(&it, range_loop, &c);
  if (c.bad) {
    lc_fail(LC_ERR_DTYPE, op, "a value of the %s tensor (NaN, infinite or beyond +-2^63) cannot be "
                 "converted to int64", lc_dtype_name(src->dtype));
    return -1;
  }
  return 0;
}

lc_tensor *lc_full(lc_dtype dt, int ndim, const int64_t *sizes, double value) {
  if (dt == LC_INT64 && !lc_fits_int64(value)) {
    lc_fail(LC_ERR_DTYPE, "full", "%g cannot be converted to int64", value);
    return NULL;
  }
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  if (!t) return NULL;
  int64_t n = lc_numel(t);
  LC_DISPATCH_ALL(dt, T, {
    T *p = LC_PTR(T, t), v = (T)value;
    for (int64_t i = 0; i < n; i++) p[i] = v;
  });
  return t;
}

lc_tensor *lc_zeros(lc_dtype dt, int ndim, const int64_t *sizes) {
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  if (t && t->storage->nbytes) memset(t->storage->data, 0, t->storage->nbytes);
  return t;
}

lc_tensor *lc_scalar(lc_dtype dt, double value) { return lc_full(dt, 0, NULL, value); }

lc_tensor *lc_empty_like(const lc_tensor *t) { return lc_empty(t->dtype, t->ndim, t->sizes); }

lc_tensor *lc_zeros_like(const lc_tensor *t) { return lc_zeros(t->dtype, t->ndim, t->sizes); }

lc_tensor *lc_arange(lc_dtype dt, double start, double end, double step) {
  if (step == 0 || !isfinite(start) || !isfinite(end) || !isfinite(step)) {
    lc_fail(LC_ERR_ARG, "arange", "step must be nonzero and bounds finite");
    return NULL;
  }
  if ((end - start) / step < 0) {
    lc_fail(LC_ERR_ARG, "arange", "upper bound and step sign are inconsistent");
    return NULL;
  }
  double count = ceil((end - start) / step);
  if (count >= 0x1p62 || (dt == LC_INT64 && (!lc_fits_int64(start) || !lc_fits_int64(end)))) {
    lc_fail(LC_ERR_ARG, "arange", "the range [%g, %g) with step %g is too large", start, end, step);
    return NULL;
  }
  int64_t n = (int64_t)count;
  lc_tensor *t = lc_empty(dt, 1, &n);
  if (!t) return NULL;
  LC_DISPATCH_ALL(dt, T, {
    T *p = LC_PTR(T, t);
    for (int64_t i = 0; i < n; i++) p[i] = (T)(start + (double)i * step);
  });
  return t;
}

lc_tensor *lc_eye(lc_dtype dt, int64_t n, int64_t m) {
  int64_t sizes[2] = {n, m < 0 ? n : m};
  lc_tensor *t = lc_zeros(dt, 2, sizes);
  if (!t) return NULL;
  int64_t k = sizes[0] < sizes[1] ? sizes[0] : sizes[1];
  LC_DISPATCH_ALL(dt, T, {
    T *p = LC_PTR(T, t);
    for (int64_t i = 0; i < k; i++) p[i * sizes[1] + i] = 1;
  });
  return t;
}

lc_tensor *lc_retain(lc_tensor *t) {
  if (t) t->refcount++;
  return t;
}

void lc_release(lc_tensor *t) {
  if (!t || --t->refcount > 0) return;
  lc_storage_release(t->storage);
  lc_release(t->base);
  lc_release(t->grad);
  lc_node_release(t->grad_fn);
  lc_track_bytes(sizeof *t, false);
  lc_pool_free(t, sizeof *t);
}

int64_t lc_numel(const lc_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->sizes[i];
  return n;
}

size_t lc_nbytes(const lc_tensor *t) { return (size_t)lc_numel(t) * lc_dtype_size(t->dtype); }

bool lc_is_contiguous(const lc_tensor *t) {
  int64_t s = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->sizes[i] == 1) continue; /* any stride is fine for a size-1 dim */
    if (t->strides[i] != s) return false;
    s *= t->sizes[i];
  }
  return true;
}

bool lc_same_shape(const lc_tensor *a, const lc_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->sizes[i] != b->sizes[i]) return false;
  return true;
}

void *lc_data(const lc_tensor *t) {
  return (char *)t->storage->data + t->offset * (int64_t)lc_dtype_size(t->dtype);
}

static int64_t element_offset(const lc_tensor *t, int64_t index) {
  int64_t off = t->offset;
  for (int i = t->ndim - 1; i >= 0; i--) {
    off += (index % t->sizes[i]) * t->strides[i];
    index /= t->sizes[i];
  }
  return off;
}

double lc_get(const lc_tensor *t, int64_t index) {
  int64_t off = element_offset(t, index);
  double v = 0;
  LC_DISPATCH_ALL(t->dtype, T, { v = (double)((T *)t->storage->data)[off]; });
  return v;
}

int64_t lc_get_int(const lc_tensor *t, int64_t index) {
  int64_t off = element_offset(t, index);
  if (t->dtype == LC_INT64) return ((int64_t *)t->storage->data)[off];
  return (int64_t)lc_get(t, index);
}

int lc_check_dim(const char *op, const lc_tensor *t, int64_t dim, bool extra) {
  int n = t->ndim + (extra ? 1 : 0);
  if (n == 0) n = 1; /* a 0-dim tensor accepts dim 0 and -1, as PyTorch */
  if (dim < -n || dim >= n) {
    lc_fail(LC_ERR_INDEX, op, "dim %lld out of range for a %d-D tensor (expected 1 to %d, or -%d to -1)", (long long)(dim < 0 ? dim : dim + 1), t->ndim, n, n);
    return -1;
  }
  return (int)(dim < 0 ? dim + n : dim);
}
