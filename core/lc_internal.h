/* lc_internal.h: helpers shared by the core's source files, not installed. */
#ifndef LC_INTERNAL_H
#define LC_INTERNAL_H

#include "lc.h"

/* The one piece of macro code generation: run a block with T bound to the C
 * type of a dtype. LC_DISPATCH covers the numeric dtypes, which arithmetic
 * kernels handle; their entry points convert bool operands first (as
 * PyTorch computes bool + int in int64). LC_DISPATCH_ALL adds bool, for
 * code that only moves or converts values (copy, fill, element access). */
#define LC_DISPATCH_NUMERIC_CASES(T, ...)                       \
    case LC_FLOAT32: { typedef float T; __VA_ARGS__ } break;    \
    case LC_FLOAT64: { typedef double T; __VA_ARGS__ } break;   \
    case LC_INT64: { typedef int64_t T; __VA_ARGS__ } break;

#define LC_DISPATCH(dtype, T, ...)                              \
  do {                                                          \
    switch (dtype) {                                            \
    LC_DISPATCH_NUMERIC_CASES(T, __VA_ARGS__)                   \
    default: break;                                             \
    }                                                           \
  } while (0)

#define LC_DISPATCH_ALL(dtype, T, ...)                          \
  do {                                                          \
    switch (dtype) {                                            \
    LC_DISPATCH_NUMERIC_CASES(T, __VA_ARGS__)                   \
    case LC_BOOL: { typedef bool T; __VA_ARGS__ } break;        \
    default: break;                                             \
    }                                                           \
  } while (0)

/* Elementwise loops run on several threads only above this many elements:
 * below it the fork/join costs more than it saves. */
#define LC_PARALLEL_GRAIN 32768

/* Hot loops are built for AVX-512, AVX2 and plain x86-64, the best chosen at
 * run time: wider loads and stores matter even for memory-bound loops on
 * cached data, and the build stays portable. */
#define LC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* Typed pointer to element 0 of a tensor's view. */
#define LC_PTR(T, t) ((T *)(t)->storage->data + (t)->offset)

/* Allocation that sets an error instead of failing silently. */
void *lc_malloc(size_t n, const char *what);
/* The caching allocator (pool.c): 64-byte aligned blocks, freed with their
 * size. */
void *lc_pool_alloc(size_t n);
void lc_pool_free(void *p, size_t n);
/* Adds or removes n bytes from lc_live_bytes(). */
void lc_track_bytes(size_t n, bool add);
void *lc_calloc(size_t count, size_t size, const char *what);

/* Product of sizes with an overflow check; -1 and an error on overflow or a
 * negative size. */
int64_t lc_checked_numel(const char *op, int ndim, const int64_t *sizes);

/* A tensor struct over an existing storage (retained), with given geometry. */
lc_tensor *lc_tensor_new_view(const lc_tensor *base, int ndim, const int64_t *sizes,
                              const int64_t *strides, int64_t offset);
/* t covers numel consecutive elements in some dim order (e.g. a transpose). */
bool lc_is_dense(const lc_tensor *t);
/* An uninitialised tensor shaped like ref, with ref's dim order if dense. */
lc_tensor *lc_empty_like_layout(lc_dtype dt, const lc_tensor *ref);

/* 0 when t is a float32/float64 tensor, else -1 and "<op>: <name> must be
 * float32 or float64, got ..." (or "must not be NULL") (norm.c). */
int lc_check_float_arg(const char *op, const char *name, const lc_tensor *t);

/* The checks every in-place op makes on its target (elementwise.c). */
int lc_check_inplace(const char *op, const lc_tensor *a, const lc_tensor *src);

/* Marks a storage as written in place (invalidates saved copies of it). */
static inline void lc_bump_version(lc_tensor *t) { t->storage->version++; }

/* Elementwise iteration over up to 4 operands of one shape (the first is
 * usually the output). Strides are in elements and may be 0 (broadcast).
 * The loop function gets a 1-D run of n elements. */
typedef struct {
  int ndim;
  int ntensors;
  int64_t sizes[LC_MAX_DIMS];
  int64_t strides[4][LC_MAX_DIMS];
  char *data[4];
  size_t elsize[4];
} lc_iter;
typedef void (*lc_loop_fn)(void *ctx, int64_t n, char **data, const int64_t *strides);
/* Sets up an iterator for tensors already broadcast to `sizes` (their own
 * ndim may be smaller: leading dims are broadcast). */
void lc_iter_init(lc_iter *it, int ndim, const int64_t *sizes, int ntensors,
                  lc_tensor *const *ts);
/* Runs fn over all elements, in parallel above LC_PARALLEL_GRAIN. */
void lc_iter_run(lc_iter *it, lc_loop_fn fn, void *ctx);

/* Array math (vmath.c): y[i] = f(x[i]); y may alias x. */
void lc_vexp_f32(int64_t n, const float *x, float *y);
void lc_vtanh_f32(int64_t n, const float *x, float *y);
void lc_vsigmoid_f32(int64_t n, const float *x, float *y);
void lc_vexp_f64(int64_t n, const double *x, double *y);
void lc_vtanh_f64(int64_t n, const double *x, double *y);
void lc_vsigmoid_f64(int64_t n, const double *x, double *y);

#endif
