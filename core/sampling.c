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

static lc_tensor *index_tensor(const char *op, int64_t n) {
  if (n < 0) {
    lc_fail(LC_ERR_ARG, op, "the number of indices must be non-negative, got %lld", (long long)n);
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
  lc_tensor *t = index_tensor("randperm", n);
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
  lc_tensor *t = index_tensor("randindex", count);
  if (!t || count == 0) return t;
  int64_t *out = LC_PTR(int64_t, t);
  uint64_t seed, first = take(s, (uint64_t)(count + 1) / 2, &seed);
  for (int64_t i = 0; i < count; i++) out[i] = base + (int64_t)(word(first, seed, i) % (uint64_t)n);
  return t;
}

typedef struct {
  double key;
  int64_t index;
} keyed;

static int by_key(const void *a, const void *b) {
  double x = ((const keyed *)a)->key, y = ((const keyed *)b)->key;
  if (x < y) return -1;
  if (x > y) return 1;
  int64_t i = ((const keyed *)a)->index, j = ((const keyed *)b)->index;
  return (i > j) - (i < j);
}

/* The weights as doubles (contiguous copy), checked; NULL with an error. */
static double *read_weights(const lc_tensor *w, int64_t *n, int64_t *positive) {
  const char *op = "multinomial";
  if (!w) {
    lc_fail(LC_ERR_ARG, op, "weights are required");
    return NULL;
  }
  if (w->ndim != 1 || !lc_dtype_is_float(w->dtype)) {
    lc_fail(LC_ERR_SHAPE, op, "weights must be a 1-D float tensor, got %d-D %s", w->ndim,
                 lc_dtype_name(w->dtype));
    return NULL;
  }
  *n = w->sizes[0];
  double *out = lc_malloc((size_t)(*n > 0 ? *n : 1) * sizeof(double), "multinomial weights");
  if (!out) return NULL;
  double total = 0;
  *positive = 0;
  for (int64_t i = 0; i < *n; i++) {
    int64_t at = w->offset + i * w->strides[0];
    double v = w->dtype == LC_FLOAT32 ? ((const float *)w->storage->data)[at]
                                      : ((const double *)w->storage->data)[at];
    if (!(v >= 0) || !isfinite(v)) {
      lc_fail(LC_ERR_ARG, op, "weights must be finite and non-negative, got %g at index %lld", v,
                   (long long)(i + 1));
      free(out);
      return NULL;
    }
    out[i] = v;
    total += v;
    *positive += v > 0;
  }
  if (!(total > 0)) {
    lc_fail(LC_ERR_ARG, op, "the weights sum to zero");
    free(out);
    return NULL;
  }
  return out;
}

lc_tensor *lc_multinomial(const lc_tensor *weights, int64_t count, bool replacement,
                          int64_t base, lc_stream *s) {
  int64_t n, positive;
  double *w = read_weights(weights, &n, &positive);
  if (!w) return NULL;
  if (!replacement && count > positive) {
    lc_fail(LC_ERR_ARG, "multinomial", "cannot draw %lld samples without replacement from %lld "
                 "categories of positive weight", (long long)count, (long long)positive);
    free(w);
    return NULL;
  }
  lc_tensor *t = index_tensor("multinomial", count);
  if (!t || count == 0) {
    free(w);
    return t;
  }
  int64_t *out = LC_PTR(int64_t, t);
  if (replacement) {
    /* Inverse CDF: the first index whose running sum exceeds u * total
     * (never a zero-weight index, whose running sum equals its left one). */
    for (int64_t i = 1; i < n; i++) w[i] += w[i - 1];
    double total = w[n - 1];
    uint64_t seed, first = take(s, (uint64_t)(count + 1) / 2, &seed);
    for (int64_t k = 0; k < count; k++) {
      double u = unit(word(first, seed, k)) * total;
      int64_t lo = 0, hi = n - 1;
      while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (w[mid] > u) hi = mid; else lo = mid + 1;
      }
      out[k] = base + lo;
    }
  } else {
    /* Efraimidis-Spirakis: the count smallest keys E_i / w_i (E_i standard
     * exponential) are a weighted sample without replacement. */
    keyed *keys = lc_malloc((size_t)n * sizeof(keyed), "multinomial keys");
    if (!keys) {
      free(w);
      lc_release(t);
      return NULL;
    }
    uint64_t seed, first = take(s, (uint64_t)(n + 1) / 2, &seed);
    for (int64_t i = 0; i < n; i++) {
      keys[i].index = i;
      keys[i].key = w[i] > 0 ? -log(unit_open(word(first, seed, i))) / w[i] : INFINITY;
    }
    qsort(keys, (size_t)n, sizeof(keyed), by_key);
    for (int64_t k = 0; k < count; k++) out[k] = base + keys[k].index;
    free(keys);
  }
  free(w);
  return t;
}
