/* random.c: the global random generator, Philox4x32-10.
 *
 * Philox is counter based: a 128-bit counter and a 64-bit key (the seed)
 * map to four random 32-bit words with no hidden state. Each call reserves a
 * range of counters (blocks) from a global offset, and element i of the call
 * always comes from block offset + i / per_block, so the numbers depend only
 * on the seed and the sequence of calls, never on the thread count. */
#include <math.h>

#include "lc_internal.h"
#include "lc_sampling.h"

#define DEFAULT_SEED 0x5eedULL

/* Read and reserved together under one lock so a reseed cannot interleave
 * with a draw and hand out counters from the wrong stream. */
static uint64_t rng_seed = DEFAULT_SEED;
static uint64_t rng_offset; /* next unused block */

/* ---- Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011; constants from Random123) ----------------------------- */

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

static inline void philox(uint64_t block, uint64_t seed, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; r++) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void lc_manual_seed(uint64_t seed) {
#pragma omp critical(lc_random)
  {
    rng_seed = seed;
    rng_offset = 0;
  }
}

uint64_t lc_initial_seed(void) {
  uint64_t s;
#pragma omp critical(lc_random)
  s = rng_seed;
  return s;
}

/* Takes nblocks counters for one call; returns the first. */
static uint64_t reserve(uint64_t nblocks, uint64_t *seed) {
  uint64_t base;
#pragma omp critical(lc_random)
  {
    *seed = rng_seed;
    base = rng_offset;
    rng_offset += nblocks;
  }
  return base;
}

/* Exported to sampling.c (lc_sampling.h): the same generator, one block or
 * one reservation at a time. */
uint64_t lc_random_reserve(uint64_t nblocks, uint64_t *seed) { return reserve(nblocks, seed); }
void lc_random_block(uint64_t block, uint64_t seed, uint32_t out[4]) { philox(block, seed, out); }

/* ---- words to numbers ---------------------------------------------------- */

static inline double u24(uint32_t w) { return (double)(w >> 8) * 0x1p-24; }
static inline double u53(uint32_t a, uint32_t b) {
  return (double)((((uint64_t)a << 32) | b) >> 11) * 0x1p-53;
}
/* Box-Muller takes log(u1): half an ulp keeps u1 strictly inside (0, 1). */
static inline double u32_open(uint32_t w) { return ((double)w + 0.5) * 0x1p-32; }
static inline double u53_open(uint32_t a, uint32_t b) {
  return ((double)((((uint64_t)a << 32) | b) >> 11) + 0.5) * 0x1p-53;
}

static inline void box_muller(double u1, double u2, double *z0, double *z1) {
  double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586477 * u2; /* 2 pi */
  *z0 = r * cos(th);
  *z1 = r * sin(th);
}

typedef enum { DIST_UNIFORM, DIST_NORMAL, DIST_INT } dist_kind;

typedef struct {
  dist_kind kind;
  double a, b;          /* uniform: [a, b); normal: mean a, std b */
  uint64_t low, range;  /* int: low + [0, range) */
} dist;

/* a + (b - a) * u can round up to b; the interval is half open, so pull such
 * values back by one ulp. */
static inline float scale_f32(const dist *d, double u) {
  float v = (float)(d->a + (d->b - d->a) * u);
  if (v >= (float)d->b && d->b > d->a) v = nextafterf((float)d->b, (float)d->a);
  return v;
}
static inline double scale_f64(const dist *d, double u) {
  double v = d->a + (d->b - d->a) * u;
  if (v >= d->b && d->b > d->a) v = nextafter(d->b, d->a);
  return v;
}

/* One block gives 4 float32 values or 2 of an 8-byte type. */
static inline void block_f32(const dist *d, const uint32_t w[4], float out[4]) {
  if (d->kind == DIST_UNIFORM) {
    for (int k = 0; k < 4; k++) out[k] = scale_f32(d, u24(w[k]));
    return;
  }
  double z[4];
  box_muller(u32_open(w[0]), (double)w[1] * 0x1p-32, &z[0], &z[1]);
  box_muller(u32_open(w[2]), (double)w[3] * 0x1p-32, &z[2], &z[3]);
  for (int k = 0; k < 4; k++) out[k] = (float)(d->a + d->b * z[k]);
}

static inline void block_f64(const dist *d, const uint32_t w[4], double out[2]) {
  if (d->kind == DIST_UNIFORM) {
    out[0] = scale_f64(d, u53(w[0], w[1]));
    out[1] = scale_f64(d, u53(w[2], w[3]));
    return;
  }
  double z0, z1;
  box_muller(u53_open(w[0], w[1]), u53(w[2], w[3]), &z0, &z1);
  out[0] = d->a + d->b * z0;
  out[1] = d->a + d->b * z1;
}

/* Modulo bias is at most range / 2^64: invisible for any practical range. */
static inline void block_i64(const dist *d, const uint32_t w[4], int64_t out[2]) {
  for (int k = 0; k < 2; k++) {
    uint64_t r = ((uint64_t)w[2 * k] << 32) | w[2 * k + 1];
    out[k] = (int64_t)(d->low + r % d->range); /* wraps mod 2^64 into [low, high) */
  }
}

/* ---- filling a tensor ---------------------------------------------------- */

/* Storage index of row-major element i: views are filled in logical order,
 * so a view gets the same numbers a contiguous tensor of its shape would. */
static inline int64_t element_index(const lc_tensor *t, bool contig, int64_t i) {
  if (contig) return t->offset + i;
  int64_t off = t->offset;
  for (int k = t->ndim - 1; k >= 0; k--) {
    off += (i % t->sizes[k]) * t->strides[k];
    i /= t->sizes[k];
  }
  return off;
}

#define SCATTER(T, vals)                                                     \
  do {                                                                       \
    T *p = (T *)t->storage->data;                                            \
    for (int k = 0; k < m; k++) p[element_index(t, contig, i0 + k)] = (vals)[k]; \
  } while (0)

static void generate(lc_tensor *t, const dist *d) {
  int64_t n = lc_numel(t);
  if (n == 0) return;
  int per = t->dtype == LC_FLOAT32 ? 4 : 2;
  int64_t nblocks = (n + per - 1) / per;
  uint64_t seed, base = reserve((uint64_t)nblocks, &seed);
  bool contig = lc_is_contiguous(t);
#pragma omp parallel for if (n >= LC_PARALLEL_GRAIN) schedule(static)
  for (int64_t blk = 0; blk < nblocks; blk++) {
    uint32_t w[4];
    philox(base + (uint64_t)blk, seed, w);
    int64_t i0 = blk * per;
    int m = n - i0 < per ? (int)(n - i0) : per;
    switch (t->dtype) {
    case LC_FLOAT32: { float v[4]; block_f32(d, w, v); SCATTER(float, v); } break;
    case LC_FLOAT64: { double v[2]; block_f64(d, w, v); SCATTER(double, v); } break;
    case LC_INT64: { int64_t v[2]; block_i64(d, w, v); SCATTER(int64_t, v); } break;
    default: break; /* callers accept numeric dtypes only */
    }
  }
}

/* A new tensor of random values, with errors named after op. */
static lc_tensor *fresh(const char *op, lc_dtype dt, int ndim, const int64_t *sizes,
                        const dist *d) {
  if (d->kind != DIST_INT && !lc_dtype_is_float(dt)) {
    lc_set_error("%s: expected a floating point dtype, got %s", op, lc_dtype_name(dt));
    return NULL;
  }
  if (lc_checked_numel(op, ndim, sizes) < 0) return NULL;
  lc_tensor *t = lc_empty(dt, ndim, sizes);
  if (t) generate(t, d);
  return t;
}

lc_tensor *lc_rand(lc_dtype dt, int ndim, const int64_t *sizes) {
  dist d = {DIST_UNIFORM, 0.0, 1.0, 0, 0};
  return fresh("rand", dt, ndim, sizes, &d);
}

lc_tensor *lc_randn(lc_dtype dt, int ndim, const int64_t *sizes) {
  dist d = {DIST_NORMAL, 0.0, 1.0, 0, 0};
  return fresh("randn", dt, ndim, sizes, &d);
}

lc_tensor *lc_randint(int64_t low, int64_t high, int ndim, const int64_t *sizes) {
  if (high <= low) {
    lc_set_error("randint: high (%lld) must be greater than low (%lld)", (long long)high,
                 (long long)low);
    return NULL;
  }
  /* Unsigned arithmetic: high - low can exceed INT64_MAX. */
  dist d = {DIST_INT, 0, 0, (uint64_t)low, (uint64_t)high - (uint64_t)low};
  return fresh("randint", LC_INT64, ndim, sizes, &d);
}

/* The checks every in-place fill shares; the autograd ones match
 * elementwise.c's in-place ops. */
static int check_fill(const char *op, const lc_tensor *t) {
  if (!lc_dtype_is_float(t->dtype)) {
    lc_set_error("%s: expected a floating point tensor, got %s", op, lc_dtype_name(t->dtype));
    return -1;
  }
  return lc_check_inplace(op, t, NULL);
}

static int fill(lc_tensor *t, const dist *d) {
  generate(t, d);
  lc_bump_version(t);
  /* The old values are gone, and with them any history that produced them. */
  if (lc_grad_enabled() && t->grad_fn) {
    lc_node_release(t->grad_fn);
    t->grad_fn = NULL;
    t->requires_grad = false;
  }
  return 0;
}

int lc_uniform_(lc_tensor *t, double a, double b) {
  if (check_fill("uniform_", t)) return -1;
  if (!(a <= b)) {
    lc_set_error("uniform_: expected from <= to, got from=%g and to=%g", a, b);
    return -1;
  }
  if (!isfinite(b - a)) {
    lc_set_error("uniform_: the range [%g, %g) is not finite", a, b);
    return -1;
  }
  dist d = {DIST_UNIFORM, a, b, 0, 0};
  return fill(t, &d);
}

int lc_normal_(lc_tensor *t, double mean, double std) {
  if (check_fill("normal_", t)) return -1;
  if (!(std >= 0)) {
    lc_set_error("normal_: expected std >= 0, got %g", std);
    return -1;
  }
  dist d = {DIST_NORMAL, mean, std, 0, 0};
  return fill(t, &d);
}
