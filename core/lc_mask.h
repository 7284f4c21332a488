/* lc_mask.h: ops with bool results (logical.c), bool masks and index
 * writes (mask.c); included by lc.h.
 * Positions are 0-based here, except where a base is taken (as lc_ops.h). */
#ifndef LC_MASK_H
#define LC_MASK_H

/* ---- bool results (logical.c) -------------------------------------------- */
typedef enum { LC_ISNAN, LC_ISINF, LC_ISFINITE, LC_LOGICAL_NOT } lc_predicate_op;
typedef enum { LC_LOGICAL_AND, LC_LOGICAL_OR, LC_LOGICAL_XOR, LC_ISCLOSE } lc_logical_op;
/* A bool tensor of a's shape; any dtype (nonzero is true). */
LC_API lc_tensor *lc_predicate(lc_predicate_op op, const lc_tensor *a);
/* a op b broadcast, any dtypes (nonzero is true); not LC_ISCLOSE. */
LC_API lc_tensor *lc_logical(lc_logical_op op, const lc_tensor *a, const lc_tensor *b);
/* |a - b| <= atol + rtol |b| broadcast (equal infinities are close; NaNs
 * only with equal_nan), as torch.isclose. */
LC_API lc_tensor *lc_isclose(const lc_tensor *a, const lc_tensor *b, double rtol, double atol,
                      bool equal_nan);

/* ---- masks and index writes (mask.c) --------------------------------------- */
/* cond ? a : b elementwise; cond is bool, the three broadcast, the result
 * has a's and b's promoted dtype. Differentiable in a and b. */
LC_API lc_tensor *lc_where(const lc_tensor *cond, const lc_tensor *a, const lc_tensor *b);
/* Coordinates of t's nonzero (true) elements in row-major order, counted
 * from base: an int64 (n, ndim) tensor. */
LC_API lc_tensor *lc_nonzero(const lc_tensor *t, int64_t base);
/* Flat row-major positions of mask's true elements: int64 (n). */
LC_API lc_tensor *lc_mask_positions(const lc_tensor *mask);
/* x[index] = values as a copy of x: the rows along dim 0 at the int64
 * positions of index (any shape; counted as lc_index does: from base,
 * negative from the end) get values, broadcast to (index..., x->sizes[1:])
 * and converted to x's dtype. Differentiable in x (the written rows get no
 * gradient) and in values. */
LC_API lc_tensor *lc_index_put(const lc_tensor *x, const lc_tensor *index, const lc_tensor *values,
                               int64_t base);
/* x with value (a 0-dim tensor) where mask (bool, broadcastable to x) is
 * true; x's shape and dtype. Differentiable in x and value. */
LC_API lc_tensor *lc_masked_fill(const lc_tensor *x, const lc_tensor *mask, const lc_tensor *value);
/* The elements of x where mask is true (the two broadcast), as a 1-D
 * tensor in row-major order. Differentiable in x. */
LC_API lc_tensor *lc_masked_select(const lc_tensor *x, const lc_tensor *mask);
/* x with the elements where mask (broadcastable to x) is true replaced by
 * source's first elements, in row-major order. Differentiable in x and
 * source. */
LC_API lc_tensor *lc_masked_scatter(const lc_tensor *x, const lc_tensor *mask, const lc_tensor *source);

#endif
