/* sampling.c: random indices for data samplers (lc_sampling.h).
 *
 * Every draw takes its 64-bit words from consecutive Philox blocks of one
 * stream (two words a block), so the result depends only on the stream's
 * seed and position, never on the thread count. */
#include <math.h>
#include <stdlib.h>

#include "lc_internal.h"
#include "lc_sampling.h"

/* Reserves nblocks blocks of s (the global stream when s is NULL or not
 * own); returns the first and sets *seed. */
static uint64_t take(lc_stream *s, uint64_t nblocks, uint64_t *seed) {
  if (!s || !s->own) return lc_random_reserve(nblocks, seed);
  *seed = s->seed;
  uint64_t first = s->offset;
  s->offset += nblocks;
  return first;
}

/* The k-th 64-bit word from block `first` on. */
static inline uint64_t word(uint64_t first, uint64_t seed, int64_t k) {
  uint32_t w[4];
  lc_random_block(first + (uint64_t)k / 2, seed, w);
  int h = (int)(k & 1) * 2;
  return ((uint64_t)w[h] << 32) | w[h + 1];
}

/* Uniform in [0, 1) from 53 bits, and in (0, 1) for logarithms. */
static inline double unit(uint64_t r) { return (double)(r >> 11) * 0x1p-53; }
static inline double unit_open(uint64_t r) { return ((double)(r >> 11) + 0.5) * 0x1p-53; }

/* The (n) int64 result of op, n checked (`name` in the message). */
static lc_tensor *index_tensor(const char *op, const char *name, int64_t n) {
  if (n < 0) {
    lc_fail(LC_ERR_ARG, op, "%s must be at least 0, got %lld", name, (long long)n);
    return NULL;
  }
  return lc_empty(LC_INT64, 1, &n);
}

/* Fills w[0..n) with the words of blocks first.., in parallel. */
static void words(uint64_t *w, int64_t n, uint64_t first, uint64_t seed) {
  int64_t nblocks = (n + 1) / 2;
#pragma omp parallel for schedule(static) if (n >= LC_PARALLEL_GRAIN)
  for (int64_t b = 0; b < nblocks; b++) {
    uint32_t x[4];
    lc_random_block(first + (uint64_t)b, seed, x);
    w[2 * b] = ((uint64_t)x[0] << 32) | x[1];
    if (2 * b + 1 < n) w[2 * b + 1] = ((uint64_t)x[2] << 32) | x[3];
  }
}

/* Fisher-Yates over a[0..n), from the end: element i swaps with j <= i
 * drawn from w[n - 1 - i] (the modulo bias is at most n / 2^64). */
static void shuffle(int64_t *a, int64_t n, const uint64_t *w) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(w[n - 1 - i] % (uint64_t)(i + 1)), tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
}

/* Large permutations are one Rao-Sandelius round: every element goes to
 * one of BUCKETS buckets uniformly at random, then each bucket (small enough
 * for the cache) is shuffled; the concatenation is a uniform permutation,
 * and no pass jumps at random over the whole array. */
#define BUCKETS 256
#define BUCKET_FROM 65536

lc_tensor *lc_randperm(int64_t n, int64_t base, lc_stream *s) {
  lc_tensor *t = index_tensor("randperm", "n", n);
  if (!t) return NULL;
  int64_t *out = LC_PTR(int64_t, t);
  if (n < 2) {
    if (n == 1) out[0] = base;
    return t;
  }
  bool bucketed = n >= BUCKET_FROM;
  /* words 0..n: the shuffles; words n..2n: bucket choices (bucketed only) */
  int64_t nwords = bucketed ? 2 * n : n;
  uint64_t *w = lc_malloc((size_t)nwords * sizeof(uint64_t), "randperm");
  if (!w) {
    lc_release(t);
    return NULL;
  }
  uint64_t seed, first = take(s, (uint64_t)(nwords + 1) / 2, &seed);
  words(w, nwords, first, seed);
  if (!bucketed) {
    for (int64_t i = 0; i < n; i++) out[i] = base + i;
    shuffle(out, n, w);
    free(w);
    return t;
  }
  const uint64_t *pick = w + n;
  int64_t start[BUCKETS + 1] = {0}, fill[BUCKETS];
  for (int64_t i = 0; i < n; i++) start[(pick[i] >> 56) + 1]++;
  for (int b = 0; b < BUCKETS; b++) start[b + 1] += start[b];
  for (int b = 0; b < BUCKETS; b++) fill[b] = start[b];
  for (int64_t i = 0; i < n; i++) out[fill[pick[i] >> 56]++] = base + i;
  for (int b = 0; b < BUCKETS; b++)
    shuffle(out + start[b], start[b + 1] - start[b], w + start[b]);
  free(w);
  return t;
}

lc_tensor *lc_randindex(int64_t n, int64_t count, int64_t base, lc_stream *s) {
  if (n < 1 && count > 0) {
    lc_fail(LC_ERR_ARG, "randindex", "cannot draw from an empty range (n = %lld)", (long long)n);
    return NULL;
  }
  lc_tensor *t = index_tensor("randindex", "count", count);
  if (!t || count == 0) return t;
  int64_t *out = LC_PTR(int64_t, t);
  uint64_t seed, first = take(s, (uint64_t)(count + 1) / 2, &seed);
  for (int64_t i = 0; i < count; i++) out[i] = base + (int64_t)(word(first, seed, i) % (uint64_t)n);
  return t;
}

/* The weights as a contiguous float64 copy (rows x n), checked row by row;
 * NULL with an error. */
static lc_tensor *read_weights(const lc_tensor *w, int64_t count, bool replacement) {
  const char *op = "multinomial";
  if (!w) { /* a C caller's NULL: lc_multinomial is public */
    lc_fail(LC_ERR_ARG, op, "weights are required");
    return NULL;
  }
  if (!lc_dtype_is_float(w->dtype) || w->ndim < 1 || w->ndim > 2) {
    lc_fail(lc_dtype_is_float(w->dtype) ? LC_ERR_SHAPE : LC_ERR_DTYPE, op,
            "weights must be a 1- or 2-D floating point tensor, got a %d-D %s tensor", w->ndim,
            lc_dtype_name(w->dtype));
    return NULL;
  }
  /* a copy without history: the draws overwrite it */
  lc_tensor *c = lc_empty(LC_FLOAT64, w->ndim, w->sizes);
  bool was = lc_set_grad_enabled(false);
  int rc = c ? lc_copy_(c, w) : 1;
  lc_set_grad_enabled(was);
  if (rc) {
    lc_release(c);
    return NULL;
  }
  int64_t rows = w->ndim == 2 ? w->sizes[0] : 1, n = w->sizes[w->ndim - 1];
  const double *v = lc_data(c);
  for (int64_t r = 0; r < rows; r++) {
    double total = 0;
    int64_t positive = 0;
    for (int64_t i = 0; i < n; i++) {
      double x = v[r * n + i];
      if (!(x >= 0) || !isfinite(x)) {
        if (w->ndim == 1)
          lc_fail(LC_ERR_ARG, op, "weights must be finite and non-negative, got %g at index %lld", x,
                  (long long)(i + 1));
        else
          lc_fail(LC_ERR_ARG, op, "weights must be finite and non-negative, got %g at index (%lld, %lld)",
                  x, (long long)(r + 1), (long long)(i + 1));
        lc_release(c);
        return NULL;
      }
      total += x;
      positive += x > 0;
    }
    const char *where = w->ndim == 1 ? "" : " in a row";
    if (!(total > 0)) {
      lc_fail(LC_ERR_ARG, op, "the weights%s sum to zero", where);
      lc_release(c);
      return NULL;
    }
    if (!replacement && count > positive) {
      lc_fail(LC_ERR_ARG, op, "cannot draw %lld samples without replacement from %lld categories "
              "of positive weight%s", (long long)count, (long long)positive, where);
      lc_release(c);
      return NULL;
    }
  }
  return c;
}

/* With replacement, inverse CDF: the first index whose running sum exceeds
 * u * total (a zero weight's running sum equals its left neighbour's, so it
 * is never picked; rounding at the top steps back to the last positive one).
 * Without, Efraimidis-Spirakis: the count largest keys log(u) / w_i are a
 * weighted sample without replacement, in the order drawn. Each row reads
 * its own run of blocks, so the result does not depend on the thread count. */
lc_tensor *lc_multinomial(const lc_tensor *weights, int64_t count, bool replacement,
                          int64_t base, lc_stream *s) {
  if (count < 0) {
    lc_fail(LC_ERR_ARG, "multinomial", "count must be at least 0, got %lld", (long long)count);
    return NULL;
  }
  lc_tensor *c = read_weights(weights, count, replacement);
  if (!c) return NULL;
  int nd = weights->ndim;
  int64_t rows = nd == 2 ? weights->sizes[0] : 1, n = weights->sizes[nd - 1];
  int64_t sizes[2] = {rows, count};
  lc_tensor *out = lc_empty(LC_INT64, nd, nd == 2 ? sizes : &count);
  if (!out || count == 0) {
    lc_release(c);
    return out;
  }
  double *w = lc_data(c);
  int64_t per_row = replacement ? count : n; /* words a row reads */
  uint64_t row_blocks = (uint64_t)(per_row + 1) / 2;
  uint64_t seed, first = take(s, (uint64_t)rows * row_blocks, &seed);
  if (replacement) {
    int64_t *o = LC_PTR(int64_t, out);
    for (int64_t r = 0; r < rows; r++) {
      double *cum = w + r * n;
      for (int64_t i = 1; i < n; i++) cum[i] += cum[i - 1];
      uint64_t at = first + (uint64_t)r * row_blocks;
      for (int64_t k = 0; k < count; k++) {
        double u = unit(word(at, seed, k)) * cum[n - 1];
        int64_t lo = 0, hi = n - 1;
        while (lo < hi) {
          int64_t mid = lo + (hi - lo) / 2;
          if (cum[mid] > u) hi = mid; else lo = mid + 1;
        }
        while (lo > 0 && cum[lo] == cum[lo - 1]) lo--;
        o[r * count + k] = base + lo;
      }
    }
    lc_release(c);
    return out;
  }
  /* the keys overwrite the weights in place */
  for (int64_t r = 0; r < rows; r++) {
    uint64_t at = first + (uint64_t)r * row_blocks;
    for (int64_t i = 0; i < n; i++) {
      double *x = w + r * n + i;
      *x = *x > 0 ? log(unit_open(word(at, seed, i))) / *x : -INFINITY;
    }
  }
  lc_release(out);
  out = NULL;
  if (lc_topk(c, count, nd - 1, true, base, NULL, &out)) out = NULL;
  lc_release(c);
  return out;
}
