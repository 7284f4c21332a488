/*
 * lc.h: the lucid core, a C tensor engine with reverse-mode autograd.
 *
 * Knows nothing of Lua. Conventions:
 *  - Functions that can fail return NULL (or -1) and leave an error behind;
 *    they never abort on user input. An error is a code (lc_errcode: a bad
 *    argument, shape, dtype, index, memory, I/O or state), the operation's
 *    name and a message body; lc_error() joins the last two:
 *    "matmul: shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4)".
 *    A core function reports one with lc_fail(LC_ERR_SHAPE, "matmul", ...).
 *    The core checks every argument it is given (values, shapes, dtypes,
 *    ranges): callers, the Lua bindings too, need not check them again.
 *  - Tensors are reference counted. Every function returning lc_tensor *
 *    returns a new reference the caller must lc_release(). Arguments are
 *    borrowed.
 *  - Dimensions are 0-based here (the Lua bindings translate from 1-based).
 *    Messages count dims from 1, as the Lua API does.
 *  - Ops record autograd nodes when grad mode is on and an input requires grad.
 *
 * A worked example: y = sum(tanh(x) * w), then dy/dx = (1 - tanh(x)^2) * w.
 *
 *   int64_t n = 3;
 *   lc_tensor *x = lc_full(LC_FLOAT64, 1, &n, 0.5);       // (3,) of 0.5
 *   lc_tensor *w = lc_arange(LC_FLOAT64, 1, 4, 1);         // (3,): 1, 2, 3
 *   x->requires_grad = true;                               // a leaf
 *   lc_tensor *t = lc_unary(LC_TANH, x);                   // op table: ops_unary.c
 *   lc_tensor *p = lc_binary(LC_MUL, t, w);                // broadcasting binary op
 *   lc_tensor *y = lc_sum(p, LC_ALL_DIMS, false);          // 0-dim
 *   if (!y || lc_backward(&y, NULL, 1, false)) fprintf(stderr, "%s\n", lc_error());
 *   double g1 = lc_get(x->grad, 1);                        // (1 - tanh(0.5)^2) * 2
 *   lc_release(y), lc_release(p), lc_release(t), lc_release(w), lc_release(x);
 *
 * Every call above can fail (NULL or -1, with lc_error() saying why); a real
 * caller checks each. docs/contributing.md says where a new op goes.
 */
#ifndef LC_H
#define LC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_MAX_DIMS 8
#define LC_ALL_DIMS (-100) /* dim argument: every dimension (reductions, squeeze) */

/* Codes are stable (files and the embedding API store them): new dtypes go
 * at the end. LC_BOOL elements are C bools (one byte, 0 or 1). */
typedef enum { LC_FLOAT32, LC_FLOAT64, LC_INT64, LC_BOOL } lc_dtype;
#define LC_DTYPE_COUNT 4

typedef struct lc_storage {
  int refcount;
  size_t nbytes;
  void *data;
  uint64_t version;            /* bumped by every in-place write */
  void (*free_fn)(void *data, void *ud);   /* NULL: data is ours (free()) */
  void *free_ud;
} lc_storage;

typedef struct lc_node lc_node;

typedef struct lc_tensor {
  int refcount;
  lc_dtype dtype;
  int ndim;
  int64_t sizes[LC_MAX_DIMS];
  int64_t strides[LC_MAX_DIMS];  /* in elements */
  int64_t offset;                /* in elements, into storage */
  lc_storage *storage;
  struct lc_tensor *base;        /* views: the (root) tensor whose storage they share */
  /* autograd */
  bool requires_grad;
  struct lc_tensor *grad;        /* leaves only: accumulated gradient */
  lc_node *grad_fn;              /* NULL for leaves */
  int output_nr;                 /* which output of grad_fn this is */
  int pass_slot;                 /* engine scratch: a leaf's place in a hooked backward */
  uint64_t hook_id;              /* gradient hooks (lc_hook_id), 0: none */
} lc_tensor;

/* ---- the public surface ------------------------------------------------- */
/* LC_API marks what liblucidcore exports: the functions declared in lc.h and
 * the headers it includes (all installed), for embedders and the bindings.
 * The library is built with -fvisibility=hidden, so a function without it
 * (lc_internal.h's, lc_pool_alloc, lc_iter_run, ...) stays inside; a ctest
 * (tests/packaging/symbols_test.sh) fails on any export not marked so. */
#if defined(__GNUC__) || defined(__clang__)
#define LC_API __attribute__((visibility("default")))
#else
#define LC_API
#endif

/* ---- errors (error.c) ---------------------------------------------------- */
/* What kind of error the last failure was: a caller can act on it (the Lua
 * bindings raise out of memory and I/O errors as such) without reading text. */
typedef enum {
  LC_ERR_NONE,    /* no error yet on this thread */
  LC_ERR_ARG,     /* a bad argument value: a negative count, an unknown mode, NULL */
  LC_ERR_SHAPE,   /* shapes, sizes or numbers of dims that do not fit */
  LC_ERR_DTYPE,   /* a dtype the op does not take */
  LC_ERR_INDEX,   /* an index, position or dim out of range */
  LC_ERR_MEMORY,  /* out of memory, or sizes too large to allocate */
  LC_ERR_IO,      /* reading or writing failed, or a file is malformed */
  LC_ERR_STATE,   /* the op does not fit an object's state: a saved tensor modified
                   * in place, a graph already freed, a writer that failed before */
  LC_ERR_OTHER,   /* set by lc_set_error (a custom backward's own message) */
  LC_ERR_COUNT
} lc_errcode;
/* The last error of this thread: "op: body" (just the body when no op). */
LC_API const char *lc_error(void);
LC_API lc_errcode lc_error_code(void);
LC_API const char *lc_error_op(void);               /* "index_select", or "" */
LC_API const char *lc_error_body(void);             /* "index 7 is out of range ..." */
/* Records an error of op (NULL: none) with a printf-formatted body. */
LC_API void lc_fail(lc_errcode code, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error without op or code (LC_ERR_OTHER): the whole message is fmt's. */
LC_API void lc_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Gives the last error to op (an op that called another reports under its
 * own name); code and body stay. */
LC_API void lc_error_rename(const char *op);
/* Formats sizes as "(5, 3, 8)" into buf (at least 128 bytes); returns buf. */
LC_API const char *lc_shape_str(char *buf, int ndim, const int64_t *sizes);

/* ---- dtypes -------------------------------------------------------------- */
LC_API size_t lc_dtype_size(lc_dtype dt);
LC_API const char *lc_dtype_name(lc_dtype dt);       /* "float32", ... */
LC_API bool lc_dtype_is_float(lc_dtype dt);
/* Result dtype of a binary op between tensors: the higher of bool < int64 <
 * float32 < float64, as torch.result_type for same-rank operands. */
LC_API lc_dtype lc_promote(lc_dtype a, lc_dtype b);
/* Whether a value of dtype from may be written into a tensor of dtype to
 * in place (PyTorch's canCast: no float into an integer, nothing into bool). */
LC_API bool lc_can_cast(lc_dtype from, lc_dtype to);
/* The dtype a number takes beside a tensor of dtype t, as PyTorch's Python
 * scalars: a float lifts bool and int64 to float32, an integer lifts bool to
 * int64, otherwise t. */
LC_API lc_dtype lc_scalar_dtype(lc_dtype t, bool is_float);

/* ---- storage and memory accounting (storage.c) -------------------------- */
LC_API lc_storage *lc_storage_new(size_t nbytes);    /* uninitialised */
LC_API lc_storage *lc_storage_wrap(void *data, size_t nbytes, void (*free_fn)(void *, void *), void *ud);
/* Row-major strides (in elements) for sizes. */
LC_API void lc_contiguous_strides(int ndim, const int64_t *sizes, int64_t *strides);
/* A tensor over storage s (retained) with the given geometry (strides NULL:
 * contiguous); the way to make a tensor of wrapped memory. */
LC_API lc_tensor *lc_tensor_from_storage(lc_storage *s, lc_dtype dt, int ndim, const int64_t *sizes,
                                  const int64_t *strides, int64_t offset);
LC_API void lc_storage_release(lc_storage *s);
/* Bytes the core holds for tensors: their data (not wrapped memory) and
 * their structs. */
LC_API size_t lc_live_bytes(void);

/* ---- creation and lifetime (tensor.c) ------------------------------------ */
LC_API lc_tensor *lc_empty(lc_dtype dt, int ndim, const int64_t *sizes);
LC_API lc_tensor *lc_zeros(lc_dtype dt, int ndim, const int64_t *sizes);
LC_API lc_tensor *lc_full(lc_dtype dt, int ndim, const int64_t *sizes, double value);
LC_API lc_tensor *lc_scalar(lc_dtype dt, double value);          /* 0-dim */
LC_API lc_tensor *lc_arange(lc_dtype dt, double start, double end, double step);
LC_API lc_tensor *lc_eye(lc_dtype dt, int64_t n, int64_t m);
LC_API lc_tensor *lc_empty_like(const lc_tensor *t);
LC_API lc_tensor *lc_zeros_like(const lc_tensor *t);
LC_API lc_tensor *lc_retain(lc_tensor *t);                       /* returns t */
LC_API void lc_release(lc_tensor *t);                            /* NULL is fine */

LC_API int64_t lc_numel(const lc_tensor *t);
LC_API size_t lc_nbytes(const lc_tensor *t);                     /* numel * elsize */
LC_API bool lc_is_contiguous(const lc_tensor *t);
LC_API bool lc_same_shape(const lc_tensor *a, const lc_tensor *b);
LC_API void *lc_data(const lc_tensor *t);                        /* first element */
/* Element at a linear (row-major) index, as double; and the int64 variant. */
LC_API double lc_get(const lc_tensor *t, int64_t index);
LC_API int64_t lc_get_int(const lc_tensor *t, int64_t index);
/* Checks dim in [-ndim, ndim) (or [-ndim-1, ndim] when extra) and returns it
 * normalised, or -1 with an error naming op. */
LC_API int lc_check_dim(const char *op, const lc_tensor *t, int64_t dim, bool extra);
/* Product of sizes with an overflow check; -1 and an error naming op on
 * overflow or a negative size. */
LC_API int64_t lc_checked_numel(const char *op, int ndim, const int64_t *sizes);
/* Checks sizes (lc_checked_numel), strides (non-negative) and offset, and
 * returns the elements a storage must hold for them (0 when empty), or -1
 * and an error when a size product or stride sum overflows. */
LC_API int64_t lc_checked_extent(const char *op, int ndim, const int64_t *sizes, const int64_t *strides,
                          int64_t offset);
/* The checks every in-place op makes on its target a, written from src
 * (elementwise.c): 0, or -1 and an error naming op. */
LC_API int lc_check_inplace(const char *op, const lc_tensor *a, const lc_tensor *src);

/* ---- views: share storage, never copy (view.c) --------------------------- */
LC_API lc_tensor *lc_alias(const lc_tensor *t);   /* same view, no autograd history */
LC_API lc_tensor *lc_view(const lc_tensor *t, int ndim, const int64_t *sizes);  /* one -1 allowed */
LC_API lc_tensor *lc_reshape(const lc_tensor *t, int ndim, const int64_t *sizes);
LC_API lc_tensor *lc_transpose(const lc_tensor *t, int d0, int d1);
LC_API lc_tensor *lc_permute(const lc_tensor *t, const int *dims);
LC_API lc_tensor *lc_narrow(const lc_tensor *t, int dim, int64_t start, int64_t length);
LC_API lc_tensor *lc_select(const lc_tensor *t, int dim, int64_t index);
LC_API lc_tensor *lc_squeeze(const lc_tensor *t, int dim);  /* LC_ALL_DIMS: every size-1 dim */
LC_API lc_tensor *lc_unsqueeze(const lc_tensor *t, int dim);
LC_API lc_tensor *lc_expand(const lc_tensor *t, int ndim, const int64_t *sizes);  /* -1 keeps */
LC_API lc_tensor *lc_contiguous(const lc_tensor *t);  /* a new reference to t if already */
LC_API lc_tensor *lc_clone(const lc_tensor *t);
LC_API lc_tensor *lc_to(const lc_tensor *t, lc_dtype dt);        /* new ref to t if same dtype */
/* t takes src's storage, dtype and geometry, keeping its identity (leaves
 * only); its gradient is kept only if its dtype and shape still fit. */
LC_API int lc_set_data(lc_tensor *t, const lc_tensor *src);
LC_API lc_tensor *lc_detach(const lc_tensor *t);

/* ---- joining and splitting (join.c) -------------------------------------- */
LC_API lc_tensor *lc_cat(lc_tensor *const *ts, int n, int dim);
LC_API lc_tensor *lc_stack(lc_tensor *const *ts, int n, int dim);
/* Splits into pieces of `size` along dim (the last may be smaller); *n gets
 * the count. Returns a malloc'd array of new references (free() it). */
LC_API lc_tensor **lc_split(const lc_tensor *t, int64_t size, int dim, int *n);
LC_API lc_tensor **lc_chunk(const lc_tensor *t, int chunks, int dim, int *n);

/* ---- elementwise ops (one table row each: ops_unary.c, ops_binary.c) ----- */
/* A new op is an enum value here and a row in its table; the bindings, the
 * tests and the fixtures read the table (docs/contributing.md). */
typedef enum {
  LC_NEG, LC_EXP, LC_LOG, LC_TANH, LC_SIGMOID, LC_RELU, LC_SQRT, LC_ABS, LC_SIN, LC_COS,
  LC_CLAMP, LC_ERF,
  /* activations */
  LC_SOFTPLUS, LC_GELU, LC_SILU, LC_MISH, LC_ELU, LC_SELU, LC_CELU, LC_LEAKY_RELU, LC_HARDTANH,
  LC_RELU6, LC_HARDSIGMOID, LC_HARDSWISH, LC_LOGSIGMOID,
  /* rounding, powers, trigonometry, special functions */
  LC_FLOOR, LC_CEIL, LC_ROUND, LC_TRUNC, LC_FRAC, LC_SIGN, LC_RECIPROCAL, LC_RSQRT, LC_SQUARE,
  LC_TAN, LC_ASIN, LC_ACOS, LC_ATAN, LC_SINH, LC_COSH, LC_ASINH, LC_ACOSH, LC_ATANH, LC_ERFC,
  LC_ERFINV, LC_EXP2, LC_EXPM1, LC_LOG2, LC_LOG10, LC_LOG1P, LC_LOGIT, LC_NAN_TO_NUM,
  LC_UNARY_COUNT
} lc_unary_op;
typedef enum {
  LC_ADD, LC_SUB, LC_MUL, LC_DIV, LC_POW,
  LC_EQ, LC_NE, LC_LT, LC_LE, LC_GT, LC_GE,   /* 1 or 0 (LC_RULE_COMPARE) */
  LC_MAXIMUM, LC_MINIMUM, LC_FMAX, LC_FMIN, LC_ATAN2, LC_FMOD, LC_REMAINDER, LC_FLOOR_DIVIDE,
  LC_HYPOT, LC_COPYSIGN, LC_LOGADDEXP, LC_XLOGY, LC_LERP,
  LC_BINARY_COUNT
} lc_binary_op;

/* The dtype an op computes and returns, from its inputs' (promoted) dtype. */
typedef enum {
  LC_RULE_SAME,    /* the input dtype */
  LC_RULE_FLOAT,   /* int64 inputs compute in float32, as PyTorch's exp or true division */
  LC_RULE_COMPARE, /* computes in the promoted dtype, returns lc_compare_dtype() */
} lc_dtype_rule;
LC_API lc_dtype lc_rule_dtype(lc_dtype_rule rule, lc_dtype promoted);
LC_API lc_dtype lc_compare_dtype(lc_dtype promoted);   /* the one place comparisons' result type lives */

enum {
  LC_OP_INPLACE = 1,     /* has the in-place form x:name_() */
  LC_OP_SAVES_INPUT = 2, /* the backward reads the input ... */
  LC_OP_SAVES_OUTPUT = 4, /* ... or the output */
  LC_OP_OWN_BINDING = 8, /* bound by hand (clamp: its own argument rules) */
  LC_OP_INT_DIVISOR = 16, /* the second operand divides: an integer 0 is an error */
  LC_OP_MEMORY_BOUND = 32, /* a few instructions per element: threads above a larger
                              grain (LC_PARALLEL_GRAIN_STREAM) */
};
#define LC_OP_MAX_PARAMS 3
/* What the bindings and tests need to know of an op. */
typedef struct {
  const char *name;            /* "leaky_relu": method, lucid. function, error prefix */
  int arity;                   /* tensor operands: 1 or 2 */
  lc_dtype_rule rule;
  unsigned flags;
  bool differentiable;
  int n_params;                /* scalar parameters, after the operands */
  const char *params[LC_OP_MAX_PARAMS];   /* their PyTorch keyword names */
  double defaults[LC_OP_MAX_PARAMS];      /* NAN: PyTorch's None */
  const char *choices[LC_OP_MAX_PARAMS];  /* "none|tanh": a string, passed as its index */
  double sample[LC_OP_MAX_PARAMS];        /* other values the tests try */
  double lo, hi;               /* test inputs are drawn from [lo, hi]: smooth there */
} lc_op_info;
LC_API const lc_op_info *lc_unary_info(lc_unary_op op);
LC_API const lc_op_info *lc_binary_info(lc_binary_op op);
LC_API const char *lc_unary_name(lc_unary_op op);    /* "tanh" */
LC_API const char *lc_binary_name(lc_binary_op op);  /* "add" */

/* params: n_params values, or NULL for the defaults. */
LC_API lc_tensor *lc_unary_p(lc_unary_op op, const lc_tensor *a, const double *params);
LC_API int lc_unary_(lc_unary_op op, lc_tensor *a, const double *params);   /* in place; 0 or -1 */
/* The binary ops with parameters (lerp's weight); NULL: the defaults. */
LC_API lc_tensor *lc_binary_p(lc_binary_op op, const lc_tensor *a, const lc_tensor *b, const double *params);
LC_API lc_tensor *lc_binary_scalar_p(lc_binary_op op, const lc_tensor *a, double s, bool scalar_first,
                              const double *params);
LC_API lc_tensor *lc_unary(lc_unary_op op, const lc_tensor *a);
/* NumPy broadcasting; dtypes promote as PyTorch's (a 0-dim operand decides
 * only when of a higher kind: float32 vector + float64 0-dim is float32). */
LC_API lc_tensor *lc_binary(lc_binary_op op, const lc_tensor *a, const lc_tensor *b);
/* a op s (or s op a when scalar_first). The scalar takes a's dtype, except
 * that a non-integral s with an int64 tensor gives float32. */
LC_API lc_tensor *lc_binary_scalar(lc_binary_op op, const lc_tensor *a, double s, bool scalar_first);
LC_API lc_tensor *lc_clamp(const lc_tensor *a, double lo, double hi);   /* +-INFINITY for none */
/* Elementwise ops of three tensors, broadcast together (ops_ternary.c):
 * lerp(a, b, weight) = a + weight (b - a); clamp(x, min, max) with tensor
 * bounds, either (not both) NULL for none. Dtypes promote over the three as
 * lc_binary's (lerp: int64 computes in float32); differentiable in every
 * float operand. The in-place form writes into a (0 or -1). */
typedef enum { LC_TER_LERP, LC_TER_CLAMP, LC_TERNARY_COUNT } lc_ternary_op;
LC_API lc_tensor *lc_ternary(lc_ternary_op op, const lc_tensor *a, const lc_tensor *b, const lc_tensor *c);
LC_API int lc_ternary_(lc_ternary_op op, lc_tensor *a, const lc_tensor *b, const lc_tensor *c);
LC_API lc_dtype lc_ternary_dtype(lc_ternary_op op, const lc_tensor *a, const lc_tensor *b,
                          const lc_tensor *c);
LC_API const char *lc_ternary_name(lc_ternary_op op);
/* addcmul (a + value * t1 * t2) or, with div, addcdiv (a + value * t1 / t2),
 * broadcasting; and in place into a (ops_binary.c). */
LC_API lc_tensor *lc_addc(bool div, const lc_tensor *a, const lc_tensor *t1, const lc_tensor *t2,
                   double value);
LC_API int lc_addc_(bool div, lc_tensor *a, const lc_tensor *t1, const lc_tensor *t2, double value);
/* In place: a = a op b (b broadcast to a's shape). Returns 0 or -1. */
LC_API int lc_binary_(lc_binary_op op, lc_tensor *a, const lc_tensor *b);
LC_API int lc_binary_p_(lc_binary_op op, lc_tensor *a, const lc_tensor *b, const double *params);
LC_API int lc_binary_scalar_p_(lc_binary_op op, lc_tensor *a, double s, const double *params);
LC_API int lc_binary_scalar_(lc_binary_op op, lc_tensor *a, double s);
LC_API int lc_fill_(lc_tensor *a, double value);
LC_API int lc_copy_(lc_tensor *dst, const lc_tensor *src);   /* broadcasts, converts dtype */
/* Sums t down to a broadcastable shape (the inverse of broadcasting). */
LC_API lc_tensor *lc_sum_to(const lc_tensor *t, int ndim, const int64_t *sizes);
/* Computes the broadcast shape of a and b into out (ndim returned), or -1. */
LC_API int lc_broadcast_shape(const char *op, const lc_tensor *a, const lc_tensor *b, int64_t *out);

/* ---- reductions (reduce.c) ----------------------------------------------- */
LC_API lc_tensor *lc_sum(const lc_tensor *t, int dim, bool keepdim);
LC_API lc_tensor *lc_mean(const lc_tensor *t, int dim, bool keepdim);
/* max/min over dim; *indices (if not NULL) gets int64 positions counted from
 * base (0 for C, 1 for the Lua API: no shifted copy is made). With
 * LC_ALL_DIMS the result is 0-dim and indices is the flat position. */
LC_API lc_tensor *lc_max(const lc_tensor *t, int dim, bool keepdim, int64_t base, lc_tensor **indices);
LC_API lc_tensor *lc_min(const lc_tensor *t, int dim, bool keepdim, int64_t base, lc_tensor **indices);
LC_API lc_tensor *lc_argmax(const lc_tensor *t, int dim, bool keepdim, int64_t base);
LC_API lc_tensor *lc_argmin(const lc_tensor *t, int dim, bool keepdim, int64_t base);

/* The reduction table (reduce_ops.c): reductions over one dim, a set of
 * dims or all of them, bound to Lua by one loop like the elementwise ops. */
typedef enum {
  LC_RED_SUM, LC_RED_MEAN, LC_RED_AMAX, LC_RED_AMIN, LC_RED_ARGMIN, LC_RED_AMINMAX,
  LC_RED_VAR, LC_RED_STD, LC_RED_VAR_MEAN, LC_RED_STD_MEAN, LC_RED_LOGSUMEXP, LC_RED_NORM,
  LC_RED_COUNT_NONZERO, LC_RED_PROD,
  LC_REDUCE_COUNT
} lc_reduce_op;
#define LC_REDUCE_MAX_ARGS 4
typedef struct {
  const char *name;
  int n_out;             /* results: 1, or 2 (aminmax: min, max; var_mean: var, mean) */
  bool one_dim;          /* dim must be a single dim (argmin) */
  bool differentiable;
  /* Lua arguments after the tensor, PyTorch's order and names: "dim" (a
   * dim, a table of dims or nil for all), "keepdim" and "unbiased"
   * (booleans), others numbers; defaults for those in default_args. */
  int n_args;
  const char *args[LC_REDUCE_MAX_ARGS];
  double default_args[LC_REDUCE_MAX_ARGS];
  double lo, hi;         /* test inputs are drawn from [lo, hi] */
} lc_reduce_info;
LC_API const lc_reduce_info *lc_reduce_info_of(lc_reduce_op op);
/* dims: nd 0-based dims (nd 0: all); args: the row's args except dim and
 * keepdim, in its order (booleans as 0 or 1; NULL: the defaults); positions
 * returned (argmin) count from base. Writes n_out new references into outs;
 * returns 0 or -1. */
LC_API int lc_reduce_op_run(lc_reduce_op op, const lc_tensor *t, int nd, const int *dims, bool keepdim,
                     const double *args, int64_t base, lc_tensor **outs);
LC_API lc_tensor *lc_softmax(const lc_tensor *t, int dim);
LC_API lc_tensor *lc_log_softmax(const lc_tensor *t, int dim);

/* ---- linear algebra (linalg.c) -------------------------------------------- */
/* torch.matmul semantics: 1-D x 1-D dot, 2-D x 2-D, 1-D promoted and removed,
 * batched with broadcasting of batch dims. OpenBLAS for float32/float64. */
LC_API lc_tensor *lc_matmul(const lc_tensor *a, const lc_tensor *b);
/* C = alpha * op(A) op(B) + beta * C for 2-D views, transposes read from
 * strides (a copy only when neither layout is BLAS-compatible). No autograd. */
LC_API int lc_gemm(double alpha, const lc_tensor *a, const lc_tensor *b, double beta, lc_tensor *c);

/* ---- random (random.c) --------------------------------------------------- */
/* Philox4x32-10: a given seed yields the same stream on every machine and
 * thread count. */
LC_API void lc_manual_seed(uint64_t seed);
LC_API uint64_t lc_initial_seed(void);
LC_API lc_tensor *lc_rand(lc_dtype dt, int ndim, const int64_t *sizes);    /* U[0, 1) */
LC_API lc_tensor *lc_randn(lc_dtype dt, int ndim, const int64_t *sizes);   /* N(0, 1) */
LC_API lc_tensor *lc_randint(int64_t low, int64_t high, int ndim, const int64_t *sizes); /* int64 in [low, high) */
LC_API int lc_uniform_(lc_tensor *t, double a, double b);
LC_API int lc_normal_(lc_tensor *t, double mean, double std);

/* ---- threads (parallel.c) ------------------------------------------------ */
/* OpenMP and OpenBLAS share one pool of 1 to LC_MAX_THREADS threads (the
 * most Debian's OpenBLAS is built for); 0, or -1 and an error. */
#define LC_MAX_THREADS 64
LC_API int lc_set_num_threads(int n);
LC_API int lc_get_num_threads(void);
/* Deterministic mode: every op gives the same bits at any thread count
 * (matrix products then run on one thread). Off by default. Turning it off
 * fails (-1) when the threads' BLAS buffers no longer fit in memory. */
LC_API int lc_set_deterministic(bool on);
LC_API bool lc_deterministic(void);
LC_API double lc_clock(void);               /* monotonic seconds */

/* ---- autograd (autograd.c) ----------------------------------------------- */
/* An edge from a node to where the gradient of one of its inputs goes: the
 * input's grad_fn (and which of its outputs), or the leaf tensor itself. */
typedef struct {
  lc_node *fn;
  int nr;
  lc_tensor *leaf;
} lc_edge;

/* A backward function gets the gradients of the node's outputs (never NULL:
 * missing ones are zeros) and writes new references into grad_in[i] for the
 * inputs that need them (lc_node_needs_grad); others may stay NULL.
 * Returns 0, or -1 with lc_set_error. It runs with grad mode off. */
typedef int (*lc_backward_fn)(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in);

struct lc_node {
  int refcount;
  const char *name;                 /* "MulBackward" */
  lc_backward_fn backward;
  void (*free_ctx)(lc_node *node);  /* releases ctx; may be NULL */
  void *ctx;                        /* op-specific data */
  bool ctx_saved;                   /* ctx is saved state: freed with the saved tensors */
  bool last_run;                    /* set as backward is called: the graph is not retained,
                                       so backward may overwrite its saved state */
  double scalar[2];                 /* small op parameters, to spare a ctx */
  int64_t ints[2 * LC_MAX_DIMS + 4];
  int n_inputs;
  lc_edge *inputs;
  int n_outputs;
  struct { lc_dtype dtype; int ndim; int64_t sizes[LC_MAX_DIMS]; uint64_t hook_id; } *outputs;
  int n_saved;
  lc_tensor **saved;                /* history-free aliases */
  uint64_t *saved_version;
  bool released;                    /* saved tensors freed by a backward */
  bool ctx_released;                /* ctx freed with them: the node cannot run again */
  /* engine scratch */
  int pending;
  lc_tensor **grad_acc;
};

LC_API bool lc_grad_enabled(void);
LC_API bool lc_set_grad_enabled(bool on);      /* returns the previous setting */
/* true when grad mode is on and any of the n tensors requires grad */
LC_API bool lc_should_record(int n, const lc_tensor *const *inputs);

/* Custom op API: make a node for inputs[0..n) (NULL entries allowed),
 * save tensors, then attach it to the outputs. */
LC_API lc_node *lc_node_new(const char *name, lc_backward_fn backward, int n_inputs,
                     const lc_tensor *const *inputs, int n_outputs);
LC_API int lc_node_save(lc_node *node, const lc_tensor *t);   /* appends to saved[] */
/* Saved tensor i, or NULL with an error if it was modified in place or freed. */
LC_API lc_tensor *lc_node_saved(lc_node *node, int i);
LC_API bool lc_node_needs_grad(const lc_node *node, int input);
/* Sets outputs[k]->grad_fn = node, output_nr = k, requires_grad = true. */
LC_API void lc_node_attach(lc_node *node, lc_tensor *const *outputs, int n);
LC_API void lc_node_release(lc_node *node);
/* Helper for ops, called only when lc_should_record(): creates the node,
 * attaches it to out and returns it (borrowed: out owns it), or NULL with an
 * error if memory ran out. */
LC_API lc_node *lc_record(const char *name, lc_backward_fn backward, lc_tensor *out,
                   int n_inputs, const lc_tensor *const *inputs);

/* Backpropagates from roots (grads: NULL entries mean ones for scalars).
 * Accumulates into leaves' .grad. Frees the graph unless retain_graph. */
LC_API int lc_backward(lc_tensor *const *roots, lc_tensor *const *grads, int n, bool retain_graph);
/* Hooks around every lc_backward (never lc_autograd_grad), for code that acts
 * on gradients as soon as they are final, such as data-parallel training
 * overlapping communication with the rest of the pass. Each returns 0, or -1
 * with lc_set_error: that error becomes the backward's, and the engine stays
 * usable. begin gets the leaves the pass will reach; leaf_ready fires once per
 * leaf when its .grad will not change again in this pass; end fires after
 * begin whatever happened, with the pass's status so far (0 or -1). */
typedef struct {
  int (*begin)(void *ud, lc_tensor *const *leaves, int n);
  int (*leaf_ready)(void *ud, lc_tensor *leaf);
  int (*end)(void *ud, int status);
  void *ud;
} lc_backward_hooks;
LC_API void lc_set_backward_hooks(const lc_backward_hooks *hooks); /* NULL: none; copied */
/* Gradient hooks, as PyTorch's Tensor.register_hook: the embedder keeps the
 * hook functions under an id that the core attaches to a tensor. For a leaf
 * the id lives on the tensor: in a backward the leaf's gradient is summed over
 * the pass, given to apply, and what apply leaves in *grad accumulates into
 * .grad. For a non-leaf it lives on its grad_fn's output, so the hooks outlive
 * the tensor as long as the graph does: apply gets the gradient of that output
 * before the node runs, and the node runs on what apply leaves. apply replaces
 * *grad with a new reference (or leaves it) and returns 0, or -1 with
 * lc_set_error. drop(id) says that the last holder of id was freed; it runs
 * inside lc_release and must not call back into the core. Hooks never run in
 * lc_autograd_grad for the inputs' own gradients (PyTorch 1.13's behaviour:
 * what is captured is the gradient before the input's hooks). */
typedef struct {
  int (*apply)(void *ud, uint64_t id, lc_tensor **grad);
  void (*drop)(void *ud, uint64_t id);
  void *ud;
} lc_grad_hooks;
LC_API void lc_set_grad_hooks(const lc_grad_hooks *hooks); /* copied */
/* t's hook id, made on first use (also after an in-place op gave t a new
 * grad_fn: the hooks registered before stay with the old node, as in PyTorch). */
LC_API uint64_t lc_hook_id(lc_tensor *t);
/* Gradients of roots with respect to inputs, returned in grads_out (new
 * references, NULL for inputs that received none) without touching .grad. */
LC_API int lc_autograd_grad(lc_tensor *const *roots, lc_tensor *const *grads, int n_roots,
                     lc_tensor *const *inputs, int n_inputs, lc_tensor **grads_out,
                     bool retain_graph);

/* ---- further areas, one header each ------------------------------------- */
#include "lc_nn.h"        /* recurrent layers, losses, index ops (rnn.c, loss.c, index.c) */
#include "lc_optim.h"     /* optimizer update kernels (optim.c) */
#include "lc_serialize.h" /* save/load (serialize.c) */
#include "lc_ops.h"       /* sorting, scans, counting, gather/scatter */
#include "lc_mask.h"      /* where, nonzero, index_put, masked ops (mask.c) */
#include "lc_sampling.h"  /* random permutations and draws for samplers (sampling.c) */
#include "lc_codec.h"     /* raw bytes to and from tensors, inflate, CRC-32 (codec.c) */

#endif
