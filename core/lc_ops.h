/* lc_ops.h: sorting, scans, counting and gather/scatter; included by lc.h.
 *
 * Positions follow the caller's index base: `base` is added to every index
 * an op returns and subtracted from every index it takes (0 for C, 1 for the
 * Lua API), so no shifted copies are made. Ops returning several tensors fill
 * out-pointers (NULL ones are skipped) and return 0, or -1 with lc_error(). */
#ifndef LC_OPS_H
#define LC_OPS_H

/* ---- sorting (sort.c) ----------------------------------------------------- */
/* Stable sort along dim; NaN sorts above +inf (first when descending).
 * values is differentiable (the gradient goes back through indices). */
LC_API int lc_sort(const lc_tensor *t, int dim, bool descending, int64_t base, lc_tensor **values,
            lc_tensor **indices);
/* The k largest (or smallest) along dim, in sorted order. */
LC_API int lc_topk(const lc_tensor *t, int64_t k, int dim, bool largest, int64_t base,
            lc_tensor **values, lc_tensor **indices);
/* The k-th smallest along dim (k counts from 1). */
LC_API int lc_kthvalue(const lc_tensor *t, int64_t k, int dim, bool keepdim, int64_t base,
                lc_tensor **values, lc_tensor **indices);
/* The lower median along dim (LC_ALL_DIMS: over all elements, values only,
 * 0-dim). A NaN in a row makes it NaN unless ignore_nan (nanmedian), which
 * takes the median of the other values. */
LC_API int lc_median(const lc_tensor *t, int dim, bool keepdim, bool ignore_nan, int64_t base,
              lc_tensor **values, lc_tensor **indices);
/* The most frequent value along dim (the smallest among equally frequent
 * ones) and the last position it occurs at. */
LC_API int lc_mode(const lc_tensor *t, int dim, bool keepdim, int64_t base, lc_tensor **values,
            lc_tensor **indices);
/* The distinct values of t (flattened) in ascending order, or, when
 * consecutive, each run of equal neighbours once in input order; inverse
 * (t's shape) maps every element to its value's position, counts (as values)
 * how often each occurs. Not differentiable. */
LC_API int lc_unique(const lc_tensor *t, bool consecutive, int64_t base, lc_tensor **values,
              lc_tensor **inverse, lc_tensor **counts);
/* The same over the slices of t along dim (torch.unique(dim=)): values keeps
 * t's dims with dim cut to the distinct slices, sorted lexicographically
 * (each slice read in row-major order), or each run of equal neighbouring
 * slices once when consecutive; inverse (dim's length) and counts are 1-D. */
LC_API int lc_unique_dim(const lc_tensor *t, int dim, bool consecutive, int64_t base,
                  lc_tensor **values, lc_tensor **inverse, lc_tensor **counts);

/* ---- scans (scan.c) ------------------------------------------------------- */
/* Cumulative sum, product and log-sum-exp along dim, differentiable. Integer
 * inputs give int64 (logcumsumexp takes floats only). */
LC_API lc_tensor *lc_cumsum(const lc_tensor *t, int dim);
LC_API lc_tensor *lc_cumprod(const lc_tensor *t, int dim);
LC_API lc_tensor *lc_logcumsumexp(const lc_tensor *t, int dim);
/* Running maximum (minimum) along dim and where it was last reached; a NaN
 * stays the maximum from where it occurs. values are differentiable. */
LC_API int lc_cummax(const lc_tensor *t, int dim, int64_t base, lc_tensor **values, lc_tensor **indices);
LC_API int lc_cummin(const lc_tensor *t, int dim, int64_t base, lc_tensor **values, lc_tensor **indices);

/* ---- counting (count.c) --------------------------------------------------- */
/* Occurrences of each value of a 1-D int64 tensor: value base + k counted at
 * position k; at least minlength positions. weights (same length, float)
 * sums weights instead of counting; NULL counts (int64). */
LC_API lc_tensor *lc_bincount(const lc_tensor *t, const lc_tensor *weights, int64_t minlength,
                       int64_t base);
/* Histogram of a float tensor in `bins` equal bins over [lo, hi] (the data's
 * range when lo == hi); values outside are ignored. */
LC_API lc_tensor *lc_histc(const lc_tensor *t, int64_t bins, double lo, double hi);

/* ---- gather and scatter (scatter.c) -------------------------------------- */
/* out[i][j][k] = t[index[i][j][k] - base][j][k] (for dim 0): out has index's
 * shape; index may be smaller than t in every dim but dim. Differentiable in t. */
LC_API lc_tensor *lc_gather(const lc_tensor *t, int dim, const lc_tensor *index, int64_t base);
typedef enum { LC_SCATTER_SET, LC_SCATTER_ADD, LC_SCATTER_PROD, LC_SCATTER_AMAX,
               LC_SCATTER_AMIN, LC_SCATTER_MEAN } lc_scatter_mode;
/* In place, no autograd: t[index[i][j][k] - base][j][k] op= src[i][j][k]
 * (src NULL: the number value) over index's shape (src at least as large).
 * MEAN is not an in-place mode (it needs the counts): lc_scatter does it. */
LC_API int lc_scatter_(lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                double value, lc_scatter_mode mode, int64_t base);
/* Out of place and differentiable in t and src: a copy of t with src (or
 * value) scattered into it by mode. Unless include_self (or mode SET), the
 * positions index names start from the mode's identity, not from t; MEAN
 * divides each position by the number of values it received (t's counted
 * when included), rounding down for integers. */
LC_API lc_tensor *lc_scatter(const lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                      double value, lc_scatter_mode mode, bool include_self, int64_t base);
/* Slices of src along dim added (times alpha) to, or copied into, t's
 * slices at a 0- or 1-D index; index_fill fills them with value. src has t's
 * shape but the index's length along dim. Out of place, differentiable. */
LC_API lc_tensor *lc_index_add(const lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                        double alpha, int64_t base);
LC_API lc_tensor *lc_index_copy(const lc_tensor *t, int dim, const lc_tensor *index, const lc_tensor *src,
                         int64_t base);
LC_API lc_tensor *lc_index_fill(const lc_tensor *t, int dim, const lc_tensor *index, double value,
                         int64_t base);
/* t with values put at the positions that k int64 index tensors (broadcast
 * together) give for its first k dims; added when accumulate. */
LC_API lc_tensor *lc_index_put_nd(const lc_tensor *t, int k, lc_tensor *const *indices,
                        const lc_tensor *values, bool accumulate, int64_t base);
/* t read as 1-D at index (any shape; the result has its shape). */
LC_API lc_tensor *lc_take(const lc_tensor *t, const lc_tensor *index, int64_t base);
/* gather after broadcasting t and index outside dim; LC_ALL_DIMS: both
 * flattened. */
LC_API lc_tensor *lc_take_along_dim(const lc_tensor *t, const lc_tensor *index, int dim, int64_t base);

/* ---- shape functions (shape.c) -------------------------------------------- */
/* Copies, differentiable: t reversed along dims; rolled by shifts[i] along
 * dims[i] (n = 0: over the flattened tensor); repeated reps[i] times along
 * each dim (PyTorch's Tensor.repeat; more reps than dims add leading dims);
 * each slice along dim repeated (repeats: int64, one entry or one per
 * slice; LC_ALL_DIMS flattens); k quarter turns in the plane (d0, d1). */
LC_API lc_tensor *lc_flip(const lc_tensor *t, int n, const int *dims);
LC_API lc_tensor *lc_roll(const lc_tensor *t, int n, const int64_t *shifts, const int *dims);
LC_API lc_tensor *lc_tile(const lc_tensor *t, int n, const int64_t *reps);
LC_API lc_tensor *lc_repeat_interleave(const lc_tensor *t, const lc_tensor *repeats, int dim);
LC_API lc_tensor *lc_rot90(const lc_tensor *t, int64_t k, int d0, int d1);
/* Views where the layout allows (as reshape): dims start..end merged into
 * one; dim split into sizes (one -1 allowed); dims src[i] moved to dst[i]. */
LC_API lc_tensor *lc_flatten(const lc_tensor *t, int start, int end);
LC_API lc_tensor *lc_unflatten(const lc_tensor *t, int dim, int n, const int64_t *sizes);
LC_API lc_tensor *lc_movedim(const lc_tensor *t, int n, const int *src, const int *dst);
/* n + 1 views of t along dim, piece i starting at starts[i - 1] (0-based,
 * clamped to the size); a malloc'd array of new references in *count. */
LC_API lc_tensor **lc_tensor_split(const lc_tensor *t, int n, const int64_t *starts, int dim, int *count);
/* t viewed with at least nd (1 to 3) dims, as torch.atleast_Nd. */
LC_API lc_tensor *lc_atleast(const lc_tensor *t, int nd);

/* ---- creation (create.c) ----------------------------------------------------- */
/* steps values from start to end (both included); logspace: base^them. */
LC_API lc_tensor *lc_linspace(double start, double end, int64_t steps, lc_dtype dt);
LC_API lc_tensor *lc_logspace(double start, double end, int64_t steps, double base, lc_dtype dt);
/* The lower (upper) triangle of the last two dims from diagonal k on,
 * the rest zeroed; differentiable. */
LC_API lc_tensor *lc_tril(const lc_tensor *t, int64_t k);
LC_API lc_tensor *lc_triu(const lc_tensor *t, int64_t k);
/* A view of the offset diagonal of dims d1, d2 as a last dim. */
LC_API lc_tensor *lc_diagonal(const lc_tensor *t, int64_t offset, int d1, int d2);
/* t's last dim put on the offset diagonal of new dims d1, d2 (counted in
 * the result) of zeros. */
LC_API lc_tensor *lc_diag_embed(const lc_tensor *t, int64_t offset, int d1, int d2);
/* Expanded views of n 0- or 1-D tensors over their grid ('ij' indexing, or
 * 'xy' when xy); a malloc'd array of n new references. */
LC_API lc_tensor **lc_meshgrid(lc_tensor *const *ts, int n, bool xy);

/* ---- random (random.c, beside lc.h's rand/randn) ---------------------------------- */
/* Fills t with Exp(lambd) samples (floats). */
LC_API int lc_exponential_(lc_tensor *t, double lambd);
/* The generator's state: its seed and the next unused counter block. */
LC_API void lc_get_rng_state(uint64_t *seed, uint64_t *offset);
LC_API void lc_set_rng_state(uint64_t seed, uint64_t offset);
/* Seeds from the system's entropy and returns the seed. */
LC_API uint64_t lc_seed(void);
/* 0/1 draws with probabilities p_t (or the number p, shaped like `like`). */
LC_API lc_tensor *lc_bernoulli(const lc_tensor *like, const lc_tensor *p_t, double p);
/* Poisson draws with the given rates, in their dtype. */
LC_API lc_tensor *lc_poisson(const lc_tensor *rates);
/* Normal draws with mean (tensor or m) and std (tensor or s): the broadcast
 * shape and dtype of the tensors given, else dt and sizes. */
LC_API lc_tensor *lc_normal(const lc_tensor *mean, double m, const lc_tensor *std, double s, lc_dtype dt,
                     int ndim, const int64_t *sizes);

/* ---- products (products.c), einsum (einsum.c), LAPACK (lapack.c) ---------------- */
typedef enum { LC_MM, LC_BMM, LC_MV, LC_DOT, LC_BATCH_SUM } lc_product_kind;
/* mm (2-D x 2-D), bmm (3-D x 3-D), mv (2-D x 1-D), dot (1-D x 1-D) and the
 * batch sum of bmm (addbmm), checked under op's name; lc_matmul underneath. */
LC_API lc_tensor *lc_product(const char *op, lc_product_kind kind, const lc_tensor *a, const lc_tensor *b);
/* beta * input + alpha * product (addmm, addmv, baddbmm, addbmm). */
LC_API lc_tensor *lc_addproduct(const char *op, lc_product_kind kind, const lc_tensor *input,
                         const lc_tensor *a, const lc_tensor *b, double beta, double alpha);
LC_API lc_tensor *lc_outer(const lc_tensor *a, const lc_tensor *b);
LC_API lc_tensor *lc_trace(const lc_tensor *t);
/* Cross product along dim (LC_ALL_DIMS: the first of size 3), broadcast. */
LC_API lc_tensor *lc_cross(const lc_tensor *a, const lc_tensor *b, int dim);
LC_API lc_tensor *lc_matrix_power(const lc_tensor *t, int64_t n);
/* Einstein summation over n operands ("ij,jk->ik", implicit output,
 * "..." for broadcast dims), through permute, reshape and batched GEMM. */
LC_API lc_tensor *lc_einsum(const char *equation, lc_tensor *const *ops, int n);
/* LAPACK on float32/float64 (batched over leading dims), differentiable:
 * the solution X of A X = B (B a matrix or, when 1-D, a vector), the
 * inverse, the determinant, the lower Cholesky factor, and Q, R of the
 * reduced QR decomposition. */
LC_API lc_tensor *lc_solve(const lc_tensor *a, const lc_tensor *b);
LC_API lc_tensor *lc_inv(const lc_tensor *a);
LC_API lc_tensor *lc_det(const lc_tensor *a);
LC_API lc_tensor *lc_cholesky(const lc_tensor *a);
LC_API int lc_qr(const lc_tensor *a, lc_tensor **q, lc_tensor **r);
/* The singular value decomposition A = U diag(S) Vh (svd.c): S descending;
 * U (m, k) and Vh (k, n), k = min(m, n), or with full_matrices (m, m) and
 * (n, n). Differentiable (PyTorch's svd_backward: singular values should be
 * distinct; with full_matrices the extra vectors take no gradient). */
LC_API int lc_svd(const lc_tensor *a, bool full_matrices, lc_tensor **u, lc_tensor **s, lc_tensor **vh);
LC_API lc_tensor *lc_svdvals(const lc_tensor *a);

#endif
