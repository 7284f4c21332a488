/* lc_mask.h: bool masks and index writes (mask.c); included by lc.h.
 * Positions are 0-based here; the Lua bindings make them 1-based. */
#ifndef LC_MASK_H
#define LC_MASK_H

/* cond ? a : b elementwise; cond is bool, the three broadcast, the result
 * has a's and b's promoted dtype. Differentiable in a and b. */
lc_tensor *lc_where(const lc_tensor *cond, const lc_tensor *a, const lc_tensor *b);
/* Coordinates of t's nonzero (true) elements in row-major order: an int64
 * (n, ndim) tensor. */
lc_tensor *lc_nonzero(const lc_tensor *t);
/* Flat row-major positions of mask's true elements: int64 (n). */
lc_tensor *lc_mask_positions(const lc_tensor *mask);
/* A copy of x whose rows index[k] along dim 0 are values[k]: index is a 1-D
 * int64 tensor (each in [0, x->sizes[0])), values broadcast to
 * (numel(index), x->sizes[1:]) and convert to x's dtype. Differentiable in x
 * (the written rows get no gradient) and in values. */
lc_tensor *lc_index_put(const lc_tensor *x, const lc_tensor *index, const lc_tensor *values);
/* x with value (a 0-dim tensor) where mask (bool, broadcastable to x) is
 * true; x's shape and dtype. Differentiable in x and value. */
lc_tensor *lc_masked_fill(const lc_tensor *x, const lc_tensor *mask, const lc_tensor *value);
/* The elements of x where mask is true (the two broadcast), as a 1-D
 * tensor in row-major order. Differentiable in x. */
lc_tensor *lc_masked_select(const lc_tensor *x, const lc_tensor *mask);
/* x with the elements where mask (broadcastable to x) is true replaced by
 * source's first elements, in row-major order. Differentiable in x and
 * source. */
lc_tensor *lc_masked_scatter(const lc_tensor *x, const lc_tensor *mask, const lc_tensor *source);

#endif
