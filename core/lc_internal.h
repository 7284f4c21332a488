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
/* Memory-bound loops (add, compare, copy, sum: a few instructions per
 * element, LC_OP_MEMORY_BOUND in the op tables) wait for a larger size:
 * below it a second thread saves less than the region costs. Measured (best
 * of 150 alternating rounds, 1 against 2 threads, loaded 2-core machine):
 * add 0.80x at 2^15 elements, 1.50x at 2^16, 1.66x at 1e5; sum 0.98x at
 * 2^16, 1.21x at 1e5. (It was 2^18, which left 1e5 on one thread while
 * PyTorch, grain 2^15, used two.) */
#define LC_PARALLEL_GRAIN_STREAM 65536
/* Row kernels that make one linear pass per row (sort.c's few-pick rows,
 * scatter.c, mask.c's where) keep 2^18: their owners measured one thread
 * faster at 1e5 (docs/performance.md). */
#define LC_PARALLEL_GRAIN_MEMORY 262144
static inline int64_t lc_op_grain(unsigned flags) {
  return flags & LC_OP_MEMORY_BOUND ? LC_PARALLEL_GRAIN_STREAM : LC_PARALLEL_GRAIN;
}

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
/* Gives the idle blocks of this thread's cache and of the store of big
 * blocks back to the C library (lc_pool_alloc does when memory is short). */
void lc_pool_trim(void);
/* Idle bytes held: this thread's cache (big false) or the big-block store;
 * and the store's limit. For tests and diagnostics. */
size_t lc_pool_idle(bool big);
size_t lc_pool_big_limit(void);
/* Adds or removes n bytes from lc_live_bytes(). */
void lc_track_bytes(size_t n, bool add);
/* Called as t is freed: tells the embedder when t was the last holder of its
 * gradient hooks (autograd.c). */
void lc_tensor_hooks_freed(const lc_tensor *t);
void *lc_calloc(size_t count, size_t size, const char *what);

/* What an out-of-range index message adds when the index is one below the
 * caller's base (a 0 among 1-based indices): " (indices are 1-based: the
 * first is 1)"; otherwise "". */
const char *lc_base_note(int64_t index, int64_t base);
/* Index i of a dim of size n counted from base, or from the end when it is
 * negative and wrap is set (-1 the last, as x[-1]), as a 0-based position;
 * -1 when out of range. Unsigned: base - 1 and the extreme int64s do not
 * overflow. */
static inline int64_t lc_index_at(int64_t i, int64_t n, int64_t base, bool wrap) {
  if (wrap && i < 0) return i >= -n ? i + n : -1;
  uint64_t p = (uint64_t)i - (uint64_t)base;
  return p < (uint64_t)n ? (int64_t)p : -1;
}
/* -1 with op's error naming the first index of idx (n entries) that is out
 * of range for dim (0-based) of size `size`, as lc_index_at reads them
 * ("index 0 out of range for dim 1 of size 3 (indices are 1-based: ...)");
 * 0 when all fit. */
int lc_check_indices(const char *op, const int64_t *idx, int64_t n, int dim, int64_t size, int64_t base,
                     bool wrap);

/* Conversions to int64 of values it cannot hold (NaN, inf, beyond +-2^63)
 * are errors rather than undefined behaviour. */
bool lc_fits_int64(double v);
/* 0, or -1 and an error naming op when src holds a value that dtype dt
 * cannot represent. */
int lc_check_castable(const char *op, lc_dtype dt, const lc_tensor *src);

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

/* LAPACK's inputs (lapack.c): float32/float64 matrices (at least 2-D),
 * square when asked, sizes within int; 0, or -1 and an error naming op. */
int lc_check_matrix(const char *op, const lc_tensor *a, bool square);
/* The number of matrices in t: the product of all but its last two sizes. */
int64_t lc_batch_of(const lc_tensor *t);

/* In-place ops (elementwise.c): 0, or -1 and "<name>: result type ... can't
 * be cast to the desired output type ..." when a cannot hold the result
 * (PyTorch's rule); and the general in-place path: the op computed out of
 * place from a copy of a (so nodes that saved a see the version change),
 * its result and history then written into a. */
int lc_check_result_fits(const char *name, lc_dtype result, const lc_tensor *a);
int lc_inplace_from(lc_tensor *a, lc_tensor *(*op_of)(const lc_tensor *copy, void *ctx), void *ctx);
/* 0, or -1 and PyTorch's error when src and dst share memory other than by
 * exact aliasing (overlap.c). */
int lc_check_overlap(const char *op, const lc_tensor *dst, const lc_tensor *src);

/* Marks a storage as written in place (invalidates saved copies of it). */
static inline void lc_bump_version(lc_tensor *t) { t->storage->version++; }

/* Elementwise iteration over up to LC_ITER_MAX operands of one shape (the
 * first is usually the output). Strides are in elements and may be 0
 * (broadcast). The loop function gets a 1-D run of n elements. */
#define LC_ITER_MAX 5
typedef struct {
  int ndim;
  int ntensors;
  int64_t sizes[LC_MAX_DIMS];
  int64_t strides[LC_ITER_MAX][LC_MAX_DIMS];
  char *data[LC_ITER_MAX];
  size_t elsize[LC_ITER_MAX];
  int64_t grain; /* threads above this many elements; LC_PARALLEL_GRAIN unless raised */
} lc_iter;
typedef void (*lc_loop_fn)(void *ctx, int64_t n, char **data, const int64_t *strides);
/* Sets up an iterator for tensors already broadcast to `sizes` (their own
 * ndim may be smaller: leading dims are broadcast). */
void lc_iter_init(lc_iter *it, int ndim, const int64_t *sizes, int ntensors,
                  lc_tensor *const *ts);
/* Runs fn over all elements, in parallel above it->grain. */
void lc_iter_run(lc_iter *it, lc_loop_fn fn, void *ctx);

/* Contiguous kernels for the op tables (ops_map.c). A kernel maps n
 * elements of its inputs (all of dtype dt) to n outputs of out_dt (dt too,
 * except for comparisons); p holds the op's scalar parameters. */
typedef struct {
  lc_dtype dt, out_dt;
  const double *p;
  int64_t grain; /* the op's lc_op_grain; 0: LC_PARALLEL_GRAIN */
} lc_kctx;
typedef void (*lc_kernel_fn)(const lc_kctx *c, int64_t n, void *out, const void *const *in);
/* A kernel from one expression, for the op tables: LC_KERNEL2(fwd_mul, a, b,
 * a * b) binds a and b to in[0][i] and in[1][i] for every dtype (T is its C
 * type, p the parameters) and stores (T)(expr) in out[i]: a plain loop GCC
 * vectorises, built for AVX-512, AVX2 and plain x86-64. */
#define LC_KERNEL_(fname, PTRS, LOADS, expr)                                                 \
  LC_CLONES static void fname(const lc_kctx *c, int64_t n, void *out, const void *const *in) { \
    double p[LC_OP_MAX_PARAMS]; /* a local copy: stores to out cannot alias it (the build */ \
    for (int k_ = 0; k_ < LC_OP_MAX_PARAMS; k_++) p[k_] = c->p[k_]; /* has no strict     */ \
    (void)p;                                /* aliasing), so the loops still vectorise   */ \
    LC_DISPATCH(c->dt, T, {                                                                  \
      T *o = out;                                                                            \
      PTRS for (int64_t i = 0; i < n; i++) {                                                 \
        LOADS o[i] = (T)(expr);                                                              \
      }                                                                                      \
    });                                                                                      \
  }
#define LC_KPTR_(k) const T *in##k = in[k];
#define LC_KLOAD_(k, name) const T name = in##k[i]; (void)name;
#define LC_KERNEL1(fname, A, expr) LC_KERNEL_(fname, LC_KPTR_(0), LC_KLOAD_(0, A), expr)
#define LC_KERNEL2(fname, A, B, expr) \
  LC_KERNEL_(fname, LC_KPTR_(0) LC_KPTR_(1), LC_KLOAD_(0, A) LC_KLOAD_(1, B), expr)
#define LC_KERNEL3(fname, A, B, C, expr)                                 \
  LC_KERNEL_(fname, LC_KPTR_(0) LC_KPTR_(1) LC_KPTR_(2),                 \
             LC_KLOAD_(0, A) LC_KLOAD_(1, B) LC_KLOAD_(2, C), expr)
#define LC_KERNEL4(fname, A, B, C, D, expr)                                          \
  LC_KERNEL_(fname, LC_KPTR_(0) LC_KPTR_(1) LC_KPTR_(2) LC_KPTR_(3),                 \
             LC_KLOAD_(0, A) LC_KLOAD_(1, B) LC_KLOAD_(2, C) LC_KLOAD_(3, D), expr)

/* Runs k over out and n_in (1..LC_ITER_MAX - 1) inputs that broadcast to out's shape: unit-
 * stride runs go to the kernel as they are, strided or broadcast ones are
 * gathered into blocks first, so every kernel is a plain vectorisable loop. */
void lc_map(const lc_kctx *c, lc_kernel_fn k, lc_tensor *out, int n_in, lc_tensor *const *in);

/* The dtype two operands compute in, PyTorch's rule: a 0-dim tensor only
 * decides when it is of a higher kind (float over int) than the other. */
lc_dtype lc_result_type(const lc_tensor *a, const lc_tensor *b);
/* The same over n operands (NULL entries skipped): those with dims decide,
 * 0-dim ones only when of a higher kind than all of those. */
lc_dtype lc_result_type_n(int n, const lc_tensor *const *ts);

/* "leaky_relu" + "Backward" -> "LeakyReluBackward" (autograd node names). */
void lc_camel_name(char *buf, size_t size, const char *name, const char *suffix);
/* The table's kernel of a binary op (ops_binary.c), for the in-place loop. */
lc_kernel_fn lc_binary_kernel(lc_binary_op op);
/* The dtype a binary op computes in (bool operands compute as int64) and
 * the dtype of its result (bool for comparisons, and for add and mul of two
 * bools: or and and, as PyTorch). */
lc_dtype lc_binary_compute_dtype(lc_binary_op op, const lc_tensor *a, const lc_tensor *b);
lc_dtype lc_binary_result_dtype(lc_binary_op op, const lc_tensor *a, const lc_tensor *b);
/* params (or the defaults when NULL) into p[LC_OP_MAX_PARAMS]. */
void lc_binary_params(lc_binary_op op, const double *params, double *p);
/* An integer 0 in b, for ops flagged LC_OP_INT_DIVISOR computing in dt: -1. */
int lc_check_divisor(const char *name, lc_binary_op op, const lc_tensor *b, lc_dtype dt);
/* Gradient g (taken over) of a broadcast result, summed back to an input's
 * shape and converted to its dtype (elementwise.c). */
lc_tensor *lc_grad_to_shape(lc_tensor *g, lc_dtype dt, int ndim, const int64_t *sizes);

/* Array math (vmath.c): y[i] = f(x[i]); y may alias x. */
void lc_vexp_f32(int64_t n, const float *x, float *y);
/* y[i] = exp(x[i] - shift), rounded as exp of the float32 difference. */
void lc_vexp_shift_f32(int64_t n, const float *x, float shift, float *y);
void lc_vtanh_f32(int64_t n, const float *x, float *y);
void lc_vsigmoid_f32(int64_t n, const float *x, float *y);
void lc_vexp_f64(int64_t n, const double *x, double *y);
void lc_vtanh_f64(int64_t n, const double *x, double *y);
void lc_vsigmoid_f64(int64_t n, const double *x, double *y);
void lc_vlog_f32(int64_t n, const float *x, float *y);
void lc_vlog_f64(int64_t n, const double *x, double *y);
/* In place, float32 or float64 by dt: x[i] = exp(x[i]), log(x[i]). */
void lc_vexp(lc_dtype dt, int64_t n, void *x);
void lc_vlog(lc_dtype dt, int64_t n, void *x);

/* random.c's generator, for sampling.c: reserve nblocks counters of the
 * global stream (returns the first, sets *seed), and one Philox block. */
uint64_t lc_random_reserve(uint64_t nblocks, uint64_t *seed);
void lc_random_block(uint64_t block, uint64_t seed, uint32_t out[4]);

/* t (NULL allowed when optional) has the sizes (d0[, d1]) and dtype dt, or
 * an error of op naming `what` (rnn_check.c; the recurrent kernels' guards). */
bool lc_rnn_fits(const char *op, const char *what, const lc_tensor *t, bool optional, int ndim,
                 int64_t d0, int64_t d1, lc_dtype dt);

/* Weight dropout on W_hh (rnn_dropconnect.c; the layer kernel and the cell
 * step): dst = src * [u < 1 - p] / (1 - p) over n elements of dtype dt
 * (dst may be src): the dropped weight from the raw one, and the raw
 * weight's gradient from the dropped one's. u contiguous, as src and dst. */
void lc_rnn_dropconnect(lc_dtype dt, int64_t n, const void *src, const void *u, double p, void *dst);
/* The draws u (NULL: no weight dropout) fit a (rows, cols) W_hh of dtype dt
 * and p is in [0, 1), or an error of op. */
bool lc_rnn_dropconnect_fits(const char *op, const lc_tensor *u, double p, int64_t rows, int64_t cols,
                             lc_dtype dt);

#endif
