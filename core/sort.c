/* sort.c: sort, topk, kthvalue, median, mode and unique (sort, mode and
 * unique take bool tensors too, as PyTorch's: false before true).
 *
 * Every op sorts rows (lc_rows: the dim made last and contiguous). Values
 * become order-preserving unsigned keys (floats by their bits, NaN above
 * +inf, -0 as +0; integers with the sign bit flipped; descending: the keys
 * inverted), so one stable sort of (key, position) pairs serves every dtype
 * and direction: insertion sort for short rows, an LSD radix sort otherwise.
 * Independent rows run on several threads above LC_PARALLEL_GRAIN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_rows.h"

typedef struct {
  uint64_t key;
  int64_t pos;
} pair;

static inline uint64_t float_key(double v) {
  if (v != v) return UINT64_MAX;
  if (v == 0) v = 0.0; /* -0 sorts as +0 */
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return u >> 63 ? ~u : u | (1ULL << 63);
}

/* float32 keys from the float's own 32 bits, in the key's high half: the low
 * four bytes are 0 in every key, so the radix sort skips them (and the
 * double conversion). NaN's key is all ones there (NAN_KEY32). */
static inline uint64_t float32_key(float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  /* branch-free, so the loop vectorises: -0 as +0, every NaN as all ones */
  u = u == 0x80000000u ? 0 : u;
  uint32_t k = u ^ ((uint32_t)((int32_t)u >> 31) | 0x80000000u);
  k = (u & 0x7FFFFFFFu) > 0x7F800000u ? 0xFFFFFFFFu : k;
  return (uint64_t)k << 32;
}

/* The key NaN gets (ascending), and the first key byte that can differ. */
static uint64_t nan_key(lc_dtype dt) { return dt == LC_FLOAT32 ? 0xFFFFFFFFull << 32 : UINT64_MAX; }
static int first_key_byte(lc_dtype dt) { return dt == LC_FLOAT32 ? 4 : 0; }

static void make_keys(lc_dtype dt, const void *row, int64_t n, bool desc, pair *a) {
  uint64_t flip = desc ? UINT64_MAX << (8 * first_key_byte(dt)) : 0;
  if (dt == LC_FLOAT32) {
    const float *x = row;
    for (int64_t i = 0; i < n; i++) a[i] = (pair){float32_key(x[i]) ^ flip, i};
    return;
  }
  LC_DISPATCH_ALL(dt, T, {
    const T *x = row;
    for (int64_t i = 0; i < n; i++) {
      uint64_t k = dt == LC_BOOL    ? (uint64_t)(x[i] != 0)
                 : dt == LC_INT64   ? (uint64_t)(int64_t)x[i] ^ (1ULL << 63)
                                    : float_key((double)x[i]);
      a[i].key = k ^ flip;
      a[i].pos = i;
    }
  });
}

/* Sorts a[0..n) by key, stably; tmp has room for n pairs; the key bytes
 * below `lo` are the same in every key. Returns where the result is (a or
 * tmp). */
static pair *sort_pairs(pair *a, pair *tmp, int64_t n, int lo) {
  if (n <= 32) {
    for (int64_t i = 1; i < n; i++) {
      pair p = a[i];
      int64_t j = i;
      for (; j > 0 && a[j - 1].key > p.key; j--) a[j] = a[j - 1];
      a[j] = p;
    }
    return a;
  }
  /* counts of the bytes lo..7 only: zeroing all eight histograms cost as
   * much as a pass on rows of 1000 */
  int64_t count[8][256];
  memset(count[lo], 0, (size_t)(8 - lo) * sizeof count[0]);
  for (int64_t i = 0; i < n; i++)
    for (int b = lo; b < 8; b++) count[b][(a[i].key >> (8 * b)) & 255]++;
  pair *src = a, *dst = tmp;
  for (int b = lo; b < 8; b++) {
    int64_t *c = count[b];
    if (c[(src[0].key >> (8 * b)) & 255] == n) continue; /* one bucket: nothing moves */
    int64_t sum = 0;
    for (int v = 0; v < 256; v++) {
      int64_t k = c[v];
      c[v] = sum;
      sum += k;
    }
    for (int64_t i = 0; i < n; i++) dst[c[(src[i].key >> (8 * b)) & 255]++] = src[i];
    pair *s = src;
    src = dst;
    dst = s;
  }
  return src;
}

/* (key, position) order: the order a stable sort gives. Bitwise, not
 * short-circuit: the heap's comparisons are unpredictable, and branches on
 * them mispredicted. */
static inline bool before(pair x, pair y) {
  return (x.key < y.key) | ((x.key == y.key) & (x.pos < y.pos));
}

/* Moves a[i] down the max-heap a[0..n) to its place: the larger child
 * rises into the hole until a[i]'s value is not before it. */
static void sift_down(pair *a, int64_t n, int64_t i) {
  pair p = a[i];
  for (int64_t c; (c = 2 * i + 1) < n; i = c) {
    c += c + 1 < n && before(a[c], a[c + 1]);
    if (!before(p, a[c])) break;
    a[i] = a[c];
  }
  a[i] = p;
}

/* Offers row[i] to the heap a of the best k (its top, a[0], the worst of
 * them): a later position enters only with a smaller key, so among equal
 * keys the first stay, as in a stable sort. */
static inline void offer(pair *a, int64_t k, uint64_t key, int64_t i) {
  if (key < a[0].key) {
    a[0] = (pair){key, i};
    sift_down(a, k, 0);
  }
}

/* The candidates after the first k: each is first tested against the
 * heap's worst value w (two compares, a branch that a random row fails for
 * most elements once the heap holds good candidates), and one that passes
 * gets its key and the exact test. The value test passes every element
 * whose key could be smaller: smallest first, v < w, or anything when w is
 * NaN (NaN's key is the largest); largest first, v > w or v NaN. -0 and +0
 * fail it both ways, and their keys are equal. (A vector test of blocks of
 * 16 was tried, with GCC vector types: it ran slower on this AMD EPYC.) */
#define SCAN_ROW(T, KEY)                                                                     \
  static void scan_##T(const T *x, int64_t n, int64_t k, bool desc, uint64_t flip, pair *a) { \
    T w = x[a[0].pos];                                                                       \
    if (desc) {                                                                              \
      for (int64_t i = k; i < n; i++)                                                        \
        if (x[i] > w || x[i] != x[i]) {                                                      \
          offer(a, k, (KEY(x[i])) ^ flip, i);                                                \
          w = x[a[0].pos];                                                                   \
        }                                                                                    \
    } else {                                                                                 \
      for (int64_t i = k; i < n; i++)                                                        \
        if (x[i] < w || w != w) {                                                            \
          offer(a, k, (KEY(x[i])) ^ flip, i);                                                \
          w = x[a[0].pos];                                                                   \
        }                                                                                    \
    }                                                                                        \
  }
#define KEY_F64(v) float_key(v)
#define KEY_I64(v) ((uint64_t)(v) ^ (1ULL << 63))
SCAN_ROW(float, float32_key)
SCAN_ROW(double, KEY_F64)
SCAN_ROW(int64_t, KEY_I64)
#undef KEY_F64
#undef KEY_I64
#undef SCAN_ROW

/* The k first pairs of the stable order of row (n values of dt, not bool),
 * in order, into a[0..k): a max-heap of the best k seen (O(n log k), for
 * topk with k much smaller than the row), then heap-sorted. Keys are made
 * only for possible entrants: making the whole row's pairs first (16
 * bytes each) and reading them back took twice PyTorch's time. */
static pair *select_first(lc_dtype dt, const void *row, int64_t n, int64_t k, bool desc, pair *a) {
  if (k == 0) return a;
  uint64_t flip = desc ? UINT64_MAX << (8 * first_key_byte(dt)) : 0;
  make_keys(dt, row, k, desc, a);
  for (int64_t i = k / 2 - 1; i >= 0; i--) sift_down(a, k, i);
  if (dt == LC_FLOAT32) scan_float(row, n, k, desc, flip, a);
  else if (dt == LC_FLOAT64) scan_double(row, n, k, desc, flip, a);
  else scan_int64_t(row, n, k, desc, flip, a);
  for (int64_t end = k - 1; end > 0; end--) {
    pair t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, end, 0);
  }
  return a;
}

/* ---- the row driver ------------------------------------------------------- */

/* One op's per-row work on the sorted pairs of a row: x is the row, n its
 * length, s its pairs in order; writes into row r of the outputs. */
typedef struct plan plan;
struct plan {
  lc_dtype dtype;
  bool desc;
  int64_t k;                /* topk's count, kthvalue's rank */
  int64_t base;
  int64_t nout;             /* outputs per row */
  void *values;             /* rows x nout */
  int64_t *indices;         /* rows x nout */
  void (*pick)(const plan *p, const void *x, int64_t n, const pair *s, int64_t r);
};

static void copy_value(lc_dtype dt, const void *x, int64_t from, void *out, int64_t to) {
  size_t es = lc_dtype_size(dt);
  memcpy((char *)out + to * es, (const char *)x + from * es, es);
}

static void put(const plan *p, const void *x, int64_t r, int64_t j, int64_t pos) {
  copy_value(p->dtype, x, pos, p->values, r * p->nout + j);
  p->indices[r * p->nout + j] = pos + p->base;
}

/* sort and topk: the first nout pairs, moved as words of the value's size
 * (put's memcpy per element was a tenth of a sort). */
#define PICK_WORDS(W)                                                      \
  do {                                                                     \
    const W *xs = x;                                                       \
    W *v = (W *)p->values + r * p->nout;                                   \
    for (int64_t j = 0; j < p->nout; j++) v[j] = xs[s[j].pos];             \
  } while (0)
static void pick_first(const plan *p, const void *x, int64_t n, const pair *s, int64_t r) {
  int64_t *ix = p->indices + r * p->nout;
  for (int64_t j = 0; j < p->nout; j++) ix[j] = s[j].pos + p->base;
  switch (lc_dtype_size(p->dtype)) {
  case 1: PICK_WORDS(uint8_t); break; /* bool */
  case 4: PICK_WORDS(uint32_t); break;
  default: PICK_WORDS(uint64_t);
  }
}

static void pick_kth(const plan *p, const void *x, int64_t n, const pair *s, int64_t r) {
  put(p, x, r, 0, s[p->k - 1].pos);
}

/* The lower median; NaNs sort last, so a row with one is NaN at its first
 * NaN (median), or the median of what precedes them (nanmedian; all NaN:
 * the first NaN). */
static void pick_median(const plan *p, const void *x, int64_t n, const pair *s, int64_t r) {
  int64_t valid = n;
  while (valid > 0 && s[valid - 1].key == nan_key(p->dtype)) valid--;
  int64_t at;
  if (valid == 0) at = 0;
  else if (p->k /* ignore NaN */ || valid == n) at = (valid - 1) / 2;
  else at = valid;
  put(p, x, r, 0, s[at].pos);
}

/* The longest run of equal keys, the first (smallest) of equal length; its
 * last position. */
static void pick_mode(const plan *p, const void *x, int64_t n, const pair *s, int64_t r) {
  int64_t best = 0, best_len = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j + 1 < n && s[j + 1].key == s[i].key) j++;
    if (j - i + 1 > best_len) best_len = j - i + 1, best = j;
    i = j + 1;
  }
  put(p, x, r, 0, s[best].pos);
}

static int run_rows(const lc_rows *rows, plan *p) {
  int64_t n = rows->n;
  size_t es = lc_dtype_size(p->dtype);
  const char *x = lc_data(rows->x);
  int failed = 0;
  /* a few of many (topk): select them instead of sorting the row. That is
   * one pass, but not memory-bound (a few ns per element of compares and
   * heap moves), so rows take the default grain, as PyTorch's */
  bool few = p->pick == pick_first && p->nout * 16 < n;
  bool par = lc_rows_parallel(rows, LC_PARALLEL_GRAIN);
#pragma omp parallel if (par)
  {
    pair *a = lc_malloc(2 * (size_t)(n ? n : 1) * sizeof *a, "sort buffer");
    if (!a) {
#pragma omp atomic write
      failed = 1;
    } else {
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows->rows; r++) {
        const char *row = x + r * n * es;
        if (few) {
          p->pick(p, row, n, select_first(p->dtype, row, n, p->nout, p->desc, a), r);
        } else {
          make_keys(p->dtype, row, n, p->desc, a);
          p->pick(p, row, n, sort_pairs(a, a + n, n, first_key_byte(p->dtype)), r);
        }
      }
    }
    free(a);
  }
  return failed ? -1 : 0;
}

/* Sorts t's rows along dim and keeps nout values per row (their indices
 * too), recording the picked-values node. */
static int sorted_op(const char *op, const char *node, const lc_tensor *t, int dim, bool keepdim,
                     plan *p, lc_tensor **values, lc_tensor **indices) {
  if (values) *values = NULL;
  if (indices) *indices = NULL;
  lc_rows rows;
  if (lc_rows_open(&rows, op, t, dim)) return -1;
  p->dtype = t->dtype;
  lc_tensor *v = lc_rows_new(&rows, t->dtype, p->nout), *i = lc_rows_new(&rows, LC_INT64, p->nout);
  int rc = -1;
  if (v && i) {
    p->values = lc_data(v);
    p->indices = lc_data(i);
    rc = rows.n ? run_rows(&rows, p) : 0;
  }
  bool keep = keepdim || p->pick == pick_first;
  v = rc ? (lc_release(v), NULL) : lc_rows_close(&rows, v, keep);
  i = rc ? (lc_release(i), NULL) : lc_rows_close(&rows, i, keep);
  if (v && i && !lc_record_picked(node, v, t, rows.dim, keep, i, p->base)) {
    if (values) *values = lc_retain(v);
    if (indices) *indices = lc_retain(i);
    rc = 0;
  } else {
    rc = -1;
  }
  lc_release(v);
  lc_release(i);
  lc_rows_free(&rows);
  return rc;
}

static int64_t dim_size(const lc_tensor *t, int dim) {
  int d = lc_check_dim("", t, dim, false);
  return t->ndim && d >= 0 ? t->sizes[d] : 1;
}

/* k within lo..the size of dim (a valid dim). */
static int check_k(const char *op, const lc_tensor *t, int dim, int64_t k, int64_t lo) {
  int d = lc_check_dim(op, t, dim, false);
  if (d < 0) return -1;
  int64_t n = dim_size(t, dim);
  if (k >= lo && k <= n) return 0;
  lc_fail(LC_ERR_SHAPE, op, "k must be in %lld..%lld (the size of dim %d), got %lld", (long long)lo,
               (long long)n, d + 1, (long long)k);
  return -1;
}

int lc_sort(const lc_tensor *t, int dim, bool descending, int64_t base, lc_tensor **values,
            lc_tensor **indices) {
  plan p = {.desc = descending, .base = base, .nout = dim_size(t, dim), .pick = pick_first};
  return sorted_op("sort", "SortBackward", t, dim, true, &p, values, indices);
}

int lc_topk(const lc_tensor *t, int64_t k, int dim, bool largest, int64_t base,
            lc_tensor **values, lc_tensor **indices) {
  if (lc_rows_no_bool("topk", t) || check_k("topk", t, dim, k, 0)) return -1;
  plan p = {.desc = largest, .base = base, .nout = k, .pick = pick_first};
  return sorted_op("topk", "TopkBackward", t, dim, true, &p, values, indices);
}

int lc_kthvalue(const lc_tensor *t, int64_t k, int dim, bool keepdim, int64_t base,
                lc_tensor **values, lc_tensor **indices) {
  if (lc_rows_no_bool("kthvalue", t) || check_k("kthvalue", t, dim, k, 1)) return -1;
  plan p = {.k = k, .base = base, .nout = 1, .pick = pick_kth};
  return sorted_op("kthvalue", "KthvalueBackward", t, dim, keepdim, &p, values, indices);
}

/* A reduction over a dim that must not be empty. */
static int need_elements(const char *op, const lc_tensor *t, int dim) {
  int d = lc_check_dim(op, t, dim, false);
  if (d < 0) return -1;
  if (t->ndim && t->sizes[d] == 0) {
    lc_fail(LC_ERR_SHAPE, op, "dim %d is empty: the reduction has no value", d + 1);
    return -1;
  }
  return 0;
}

int lc_median(const lc_tensor *t, int dim, bool keepdim, bool ignore_nan, int64_t base,
              lc_tensor **values, lc_tensor **indices) {
  const char *op = ignore_nan ? "nanmedian" : "median";
  if (lc_rows_no_bool(op, t)) return -1;
  if (dim == LC_ALL_DIMS) {
    /* over the flattened tensor, whose reshape carries the gradient back */
    if (lc_numel(t) == 0) {
      if (values) *values = lc_full(t->dtype, 0, NULL, NAN);
      if (indices) *indices = NULL;
      return values && !*values ? -1 : 0;
    }
    int64_t all = -1;
    lc_tensor *flat = lc_reshape(t, 1, &all);
    int rc = flat ? lc_median(flat, 0, false, ignore_nan, base, values, indices) : -1;
    lc_release(flat);
    return rc;
  }
  if (need_elements(op, t, dim)) return -1;
  plan p = {.k = ignore_nan, .base = base, .nout = 1, .pick = pick_median};
  return sorted_op(op, ignore_nan ? "NanmedianBackward" : "MedianBackward", t, dim, keepdim, &p,
                   values, indices);
}

int lc_mode(const lc_tensor *t, int dim, bool keepdim, int64_t base, lc_tensor **values,
            lc_tensor **indices) {
  if (need_elements("mode", t, dim)) return -1;
  plan p = {.base = base, .nout = 1, .pick = pick_mode};
  return sorted_op("mode", "ModeBackward", t, dim, keepdim, &p, values, indices);
}

/* ---- unique ----------------------------------------------------------------- */

int lc_unique(const lc_tensor *t, bool consecutive, int64_t base, lc_tensor **values,
              lc_tensor **inverse, lc_tensor **counts) {
  const char *op = consecutive ? "unique_consecutive" : "unique";
  lc_tensor *outs[3] = {NULL, NULL, NULL};
  lc_rows rows;
  if (lc_rows_open(&rows, op, t, LC_ALL_DIMS)) return -1;
  int64_t n = lc_numel(t);
  pair *a = lc_malloc(2 * (size_t)(n ? n : 1) * sizeof *a, op);
  lc_tensor *inv = lc_empty(LC_INT64, t->ndim, t->sizes);
  lc_tensor *val = lc_empty(t->dtype, 1, &n), *cnt = lc_empty(LC_INT64, 1, &n);
  int rc = -1;
  if (a && inv && val && cnt) {
    const void *x = lc_data(rows.x);
    make_keys(t->dtype, x, n, false, a);
    pair *s = consecutive ? a : sort_pairs(a, a + n, n, first_key_byte(t->dtype));
    int64_t *iv = lc_data(inv), *c = lc_data(cnt), u = 0;
    for (int64_t i = 0; i < n; i++) {
      if (i == 0 || s[i].key != s[i - 1].key) {
        copy_value(t->dtype, x, s[i].pos, lc_data(val), u);
        c[u++] = 0;
      }
      c[u - 1]++;
      iv[s[i].pos] = u - 1 + base;
    }
    outs[0] = lc_narrow(val, 0, 0, u);
    outs[2] = lc_narrow(cnt, 0, 0, u);
    outs[1] = lc_retain(inv);
    rc = outs[0] && outs[2] ? 0 : -1;
  }
  free(a);
  lc_release(inv);
  lc_release(val);
  lc_release(cnt);
  lc_rows_free(&rows);
  lc_tensor **dst[3] = {values, inverse, counts};
  for (int k = 0; k < 3; k++) {
    if (rc == 0 && dst[k]) {
      *dst[k] = lc_contiguous(outs[k]);
      if (!*dst[k]) rc = -1;
    } else if (dst[k]) {
      *dst[k] = NULL;
    }
    lc_release(outs[k]);
  }
  return rc;
}

/* ---- unique over slices ----------------------------------------------------- */

/* Slices as rows of L keys (the dim moved first); rows compare key by key. */
typedef struct {
  const uint64_t *keys;
  int64_t L;
} slice_keys;

static int compare_rows(const slice_keys *k, int64_t a, int64_t b) {
  const uint64_t *x = k->keys + a * k->L, *y = k->keys + b * k->L;
  for (int64_t j = 0; j < k->L; j++)
    if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
  return 0;
}

/* Stable merge sort of the row numbers in idx[0..n) (tmp: room for n). */
static void sort_rows(const slice_keys *k, int64_t *idx, int64_t *tmp, int64_t n) {
  for (int64_t width = 1; width < n; width *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * width) {
      int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      int64_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) tmp[o++] = compare_rows(k, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
      while (i < mid) tmp[o++] = idx[i++];
      while (j < hi) tmp[o++] = idx[j++];
    }
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
  }
}

int lc_unique_dim(const lc_tensor *t, int dim, bool consecutive, int64_t base,
                  lc_tensor **values, lc_tensor **inverse, lc_tensor **counts) {
  const char *op = consecutive ? "unique_consecutive" : "unique";
  *values = *inverse = *counts = NULL;
  int d = lc_check_dim(op, t, dim, false);
  if (d < 0) return -1;
  if (t->ndim == 0) {
    lc_fail(LC_ERR_INDEX, op, "dim must be nil for a 0-dim tensor, got dim %d", dim + 1);
    return -1;
  }
  int64_t n = t->sizes[d], L = n ? lc_numel(t) / n : 0;
  if (n > 0 && L == 0) { /* as PyTorch: empty slices cannot be told apart */
    lc_fail(LC_ERR_SHAPE, op, "there are 0-sized dims other than dim %d, so unique cannot be applied", d + 1);
    return -1;
  }
  bool was = lc_set_grad_enabled(false);
  int perm[LC_MAX_DIMS]; /* dim first, then the others in order: slices are rows */
  perm[0] = d;
  for (int i = 0, k = 1; i < t->ndim; i++)
    if (i != d) perm[k++] = i;
  lc_tensor *moved = lc_permute(t, perm), *rows = moved ? lc_contiguous(moved) : NULL;
  uint64_t *keys = rows ? lc_malloc((size_t)(n * L + 1) * sizeof *keys, op) : NULL;
  int64_t *idx = keys ? lc_malloc((size_t)(2 * n + 1) * sizeof *idx, op) : NULL;
  lc_tensor *inv = idx ? lc_empty(LC_INT64, 1, &n) : NULL, *cnt = inv ? lc_empty(LC_INT64, 1, &n) : NULL;
  int64_t vs[LC_MAX_DIMS];
  memcpy(vs, rows ? rows->sizes : t->sizes, t->ndim * sizeof *vs);
  lc_tensor *val = cnt ? lc_empty(t->dtype, t->ndim, vs) : NULL;
  int rc = val ? 0 : -1;
  int64_t u = 0;
  if (!rc && n) {
    pair *scratch = lc_malloc((size_t)L * sizeof *scratch, op);
    if (!scratch) rc = -1;
    size_t es = lc_dtype_size(t->dtype);
    const char *x = lc_data(rows);
    for (int64_t r = 0; r < n && !rc; r++) { /* each slice's keys: the order sort uses */
      make_keys(t->dtype, x + r * L * es, L, false, scratch);
      for (int64_t j = 0; j < L; j++) keys[r * L + j] = scratch[j].key;
    }
    free(scratch);
    slice_keys k = {keys, L};
    for (int64_t r = 0; r < n; r++) idx[r] = r;
    if (!rc && !consecutive) sort_rows(&k, idx, idx + n, n);
    int64_t *iv = lc_data(inv), *c = lc_data(cnt);
    for (int64_t i = 0; i < n && !rc; i++) {
      if (i == 0 || compare_rows(&k, idx[i], idx[i - 1])) {
        memcpy((char *)lc_data(val) + u * L * es, x + idx[i] * L * es, (size_t)L * es);
        c[u++] = 0;
      }
      c[u - 1]++;
      iv[idx[i]] = u - 1 + base;
    }
  }
  free(keys);
  free(idx);
  lc_tensor *cut = rc ? NULL : lc_narrow(val, 0, 0, u);
  int inv_perm[LC_MAX_DIMS]; /* back to t's dim order */
  for (int i = 0; i < t->ndim; i++) inv_perm[perm[i]] = i;
  lc_tensor *back = cut ? lc_permute(cut, inv_perm) : NULL;
  *values = back ? lc_contiguous(back) : NULL;
  lc_tensor *cc = *values ? lc_narrow(cnt, 0, 0, u) : NULL;
  *counts = cc ? lc_contiguous(cc) : NULL;
  *inverse = *counts ? lc_retain(inv) : NULL;
  lc_tensor *tmp[] = {moved, rows, inv, cnt, val, cut, back, cc};
  for (int i = 0; i < 8; i++) lc_release(tmp[i]);
  lc_set_grad_enabled(was);
  if (*inverse) return 0;
  lc_release(*values), lc_release(*counts);
  *values = *counts = NULL;
  return -1;
}
