/* lc_rows.h: what the sorting, scan and counting kernels share (rows.c). */
#ifndef LC_ROWS_H
#define LC_ROWS_H

#include "lc_internal.h"

/* A tensor seen as `rows` contiguous rows of `n` elements along one dim: the
 * dim swapped with the last and the result made contiguous (a 0-dim tensor is
 * one row of one). No autograd: the ops record their own nodes. */
typedef struct {
  lc_tensor *x; /* contiguous, dim last */
  int dim;
  int64_t rows, n;
} lc_rows;

/* Checks dim (LC_ALL_DIMS: t flattened) and fills r; -1 with an error. */
int lc_rows_open(lc_rows *r, const char *op, const lc_tensor *t, int dim);
void lc_rows_free(lc_rows *r);
/* An uninitialised rows x n result laid out as r->x with its last size n. */
lc_tensor *lc_rows_new(const lc_rows *r, lc_dtype dt, int64_t n);
/* A rows result back in the input's dim order, contiguous (takes out). With
 * a last size of 1 (a reduction), keepdim false drops the dim. */
lc_tensor *lc_rows_close(const lc_rows *r, lc_tensor *out, bool keepdim);

/* Rows run on several threads when rows * n reaches grain (LC_PARALLEL_GRAIN,
 * or LC_PARALLEL_GRAIN_MEMORY for a linear pass over each row). */
static inline bool lc_rows_parallel(const lc_rows *r, int64_t grain) {
  return r->rows > 1 && r->rows * r->n >= grain;
}

/* Records the node of an op whose values were picked from t at indices along
 * dim (sort, topk, kthvalue, median, mode, cummax): the gradient is added
 * back at those positions. indices has the values' shape; keepdim says
 * whether that shape still has dim. 0, or -1 with an error. */
int lc_record_picked(const char *name, lc_tensor *values, const lc_tensor *t, int dim,
                     bool keepdim, const lc_tensor *indices, int64_t base);

#endif
