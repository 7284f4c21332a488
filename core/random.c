/* random.c: the global random generator, Philox4x32-10.
 *
 * Philox is counter based: a 128-bit counter and a 64-bit key (the seed)
 * map to four random 32-bit words with no hidden state. Each call reserves a
 * range of counters (blocks) from a global offset, and element i of the call
 * always comes from block offset + i / per_block, so the numbers depend only
 * on the seed and the sequence of calls, never on the thread count. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lc_internal.h"
#include "lc_sampling.h"

#define DEFAULT_SEED 0x5eedULL

/* Read and reserved together under one lock so a reseed cannot interleave
 * with a draw and hand out counters from the wrong stream. */
static uint64_t rng_seed = DEFAULT_SEED;
static uint64_t rng_offset; /* next unused block */
/* Guards both: a mutex, not a named OpenMP critical section, whose lock
 * would be a symbol liblucidcore exports. */
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011; constants from Random123) ----------------------------- */

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi) {
  uint64_t p = (uint64_t)a * b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

/* The counter's upper half (sub) is 0 for every fixed-size draw; the
 * samplers that need a varying number of words per element (poisson) walk
 * it, which leaves the other streams unchanged. */
static inline void philox_sub(uint64_t block, uint32_t sub, uint64_t seed, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32), c2 = sub, c3 = 0;
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

static inline void philox(uint64_t block, uint64_t seed, uint32_t out[4]) {
  philox_sub(block, 0, seed, out);
}

void lc_manual_seed(uint64_t seed) {
  pthread_mutex_lock(&rng_lock);
  rng_seed = seed;
  rng_offset = 0;
  pthread_mutex_unlock(&rng_lock);
}

uint64_t lc_initial_seed(void) {
  uint64_t s;
  pthread_mutex_lock(&rng_lock);
  s = rng_seed;
  pthread_mutex_unlock(&rng_lock);
  return s;
}

/* Takes nblocks counters for one call; returns the first. */
static uint64_t reserve(uint64_t nblocks, uint64_t *seed) {
  uint64_t base;
  pthread_mutex_lock(&rng_lock);
  *seed = rng_seed;
  base = rng_offset;
  rng_offset += nblocks;
  pthread_mutex_unlock(&rng_lock);
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

typedef enum { DIST_UNIFORM, DIST_NORMAL, DIST_INT, DIST_EXP } dist_kind;

typedef struct {
  dist_kind kind;
  double a, b;          /* uniform: [a, b); normal: mean a, std b; exponential: rate a */
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
  if (d->kind == DIST_EXP) {
    for (int k = 0; k < 4; k++) out[k] = (float)(-log1p(-u24(w[k])) / d->a);
    return;
  }
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
  if (d->kind == DIST_EXP) {
    out[0] = -log1p(-u53(w[0], w[1])) / d->a;
    out[1] = -log1p(-u53(w[2], w[3])) / d->a;
    return;
  }
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
    lc_fail(LC_ERR_DTYPE, op, "expected a floating point dtype, got %s", lc_dtype_name(dt));
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
    lc_fail(LC_ERR_ARG, "randint", "high (%lld) must be greater than low (%lld)", (long long)high,
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
    lc_fail(LC_ERR_DTYPE, op, "expected a floating point tensor, got %s", lc_dtype_name(t->dtype));
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
    lc_fail(LC_ERR_ARG, "uniform_", "expected from <= to, got from=%g and to=%g", a, b);
    return -1;
  }
  if (!isfinite(b - a)) {
    lc_fail(LC_ERR_ARG, "uniform_", "the range [%g, %g) is not finite", a, b);
    return -1;
  }
  dist d = {DIST_UNIFORM, a, b, 0, 0};
  return fill(t, &d);
}

int lc_normal_(lc_tensor *t, double mean, double std) {
  if (check_fill("normal_", t)) return -1;
  if (!(std >= 0)) {
    lc_fail(LC_ERR_ARG, "normal_", "expected std >= 0, got %g", std);
    return -1;
  }
  dist d = {DIST_NORMAL, mean, std, 0, 0};
  return fill(t, &d);
}

int lc_exponential_(lc_tensor *t, double lambd) {
  if (check_fill("exponential_", t)) return -1;
  if (!(lambd > 0) || !isfinite(lambd)) {
    lc_fail(LC_ERR_ARG, "exponential_", "expected a positive, finite lambd, got %g", lambd);
    return -1;
  }
  dist d = {DIST_EXP, lambd, 0, 0, 0};
  return fill(t, &d);
}

/* ---- the generator's state, and a fresh seed --------------------------------------- */

void lc_get_rng_state(uint64_t *seed, uint64_t *offset) {
  pthread_mutex_lock(&rng_lock);
  *seed = rng_seed;
  *offset = rng_offset;
  pthread_mutex_unlock(&rng_lock);
}

void lc_set_rng_state(uint64_t seed, uint64_t offset) {
  pthread_mutex_lock(&rng_lock);
  rng_seed = seed;
  rng_offset = offset;
  pthread_mutex_unlock(&rng_lock);
}

/* A seed from the system's entropy (the clock if that fails), set and returned. */
uint64_t lc_seed(void) {
  uint64_t s = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f || fread(&s, sizeof s, 1, f) != 1) s = (uint64_t)(lc_clock() * 1e9) ^ (uint64_t)(uintptr_t)&s;
  if (f) fclose(f);
  s &= INT64_MAX; /* representable as a Lua integer */
  lc_manual_seed(s);
  return s;
}

/* ---- per-element streams: element i draws from block base + i, walking sub ------------- */

typedef struct {
  uint64_t block, seed;
  uint32_t sub;
  uint32_t w[4];
  int used; /* words of w consumed */
} stream;

static double stream_u53(stream *s) { /* in [0, 1) */
  if (s->used > 2) {
    philox_sub(s->block, s->sub++, s->seed, s->w);
    s->used = 0;
  }
  double u = u53(s->w[s->used], s->w[s->used + 1]);
  s->used += 2;
  return u;
}

static stream stream_at(uint64_t block, uint64_t seed) {
  stream s = {.block = block, .seed = seed, .used = 4};
  return s;
}

/* ---- bernoulli, poisson ---------------------------------------------------------------- */

/* 1 with probability p (a tensor of them, or the number p when p_t is
 * NULL, in the shape and dtype of like). */
lc_tensor *lc_bernoulli(const lc_tensor *like, const lc_tensor *p_t, double p) {
  const lc_tensor *shape = p_t ? p_t : like;
  if (!lc_dtype_is_float(shape->dtype)) {
    lc_fail(LC_ERR_DTYPE, "bernoulli", "expected a floating point tensor, got %s", lc_dtype_name(shape->dtype));
    return NULL;
  }
  if (!p_t && !(p >= 0 && p <= 1)) {
    lc_fail(LC_ERR_ARG, "bernoulli", "p must be in [0, 1], got %g", p);
    return NULL;
  }
  lc_tensor *u = lc_rand(LC_FLOAT64, shape->ndim, shape->sizes);
  lc_tensor *pc = p_t ? lc_to(p_t, LC_FLOAT64) : NULL, *pcc = pc ? lc_contiguous(pc) : NULL;
  lc_release(pc);
  lc_tensor *out = u && (!p_t || pcc) ? lc_empty(shape->dtype, shape->ndim, shape->sizes) : NULL;
  if (out) {
    const double *uu = lc_data(u), *pp = pcc ? lc_data(pcc) : NULL;
    int64_t n = lc_numel(out);
    for (int64_t i = 0; i < n && pp; i++)
      if (!(pp[i] >= 0 && pp[i] <= 1)) {
        lc_fail(LC_ERR_ARG, "bernoulli", "probabilities must be in [0, 1], got %g", pp[i]);
        lc_release(out);
        out = NULL;
        break;
      }
    if (out)
      LC_DISPATCH(out->dtype, T, {
        T *o = lc_data(out);
        for (int64_t i = 0; i < n; i++) o[i] = uu[i] < (pp ? pp[i] : p);
      });
  }
  lc_release(u);
  lc_release(pcc);
  return out;
}

/* ---- poisson ------------------------------------------------------------------------- */

/* Knuth's product of uniforms for small rates; Hormann's PTRS
 * (transformed rejection, as NumPy) above 10. */
static double poisson_draw(stream *s, double lam) {
  if (lam == 0) return 0;
  if (lam < 10) {
    double limit = exp(-lam), prod = stream_u53(s);
    int64_t k = 0;
    while (prod > limit) prod *= stream_u53(s), k++;
    return (double)k;
  }
  double slam = sqrt(lam), loglam = log(lam), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    double U = stream_u53(s) - 0.5, V = stream_u53(s), us = 0.5 - fabs(U);
    double k = floor((2 * a / us + b) * U + lam + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (log(V) + log(invalpha) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1)) return k;
  }
}

lc_tensor *lc_poisson(const lc_tensor *rates) {
  if (!lc_dtype_is_float(rates->dtype)) {
    lc_fail(LC_ERR_DTYPE, "poisson", "expected a floating point tensor of rates, got %s", lc_dtype_name(rates->dtype));
    return NULL;
  }
  lc_tensor *rc = lc_to(rates, LC_FLOAT64), *r = rc ? lc_contiguous(rc) : NULL;
  lc_release(rc);
  if (!r) return NULL;
  int64_t n = lc_numel(r);
  const double *lam = lc_data(r);
  for (int64_t i = 0; i < n; i++)
    if (!(lam[i] >= 0) || !isfinite(lam[i])) {
      lc_fail(LC_ERR_ARG, "poisson", "rates must be finite and non-negative, got %g", lam[i]);
      lc_release(r);
      return NULL;
    }
  lc_tensor *out = lc_empty(rates->dtype, rates->ndim, rates->sizes);
  if (out) {
    uint64_t seed, first = reserve((uint64_t)n, &seed);
    LC_DISPATCH(out->dtype, T, {
      T *o = lc_data(out);
      _Pragma("omp parallel for if (n >= LC_PARALLEL_GRAIN) schedule(static)")
      for (int64_t i = 0; i < n; i++) {
        stream s = stream_at(first + (uint64_t)i, seed);
        o[i] = (T)poisson_draw(&s, lam[i]);
      }
    });
  }
  lc_release(r);
  return out;
}

/* ---- normal with tensor parameters -------------------------------------------------------- */

lc_tensor *lc_normal(const lc_tensor *mean, double m, const lc_tensor *std, double s, lc_dtype dt,
                     int ndim, const int64_t *sizes) {
  int64_t shape[LC_MAX_DIMS];
  int nd = ndim;
  if (mean && std) {
    if ((nd = lc_broadcast_shape("normal", mean, std, shape)) < 0) return NULL;
  } else if (mean || std) {
    const lc_tensor *t = mean ? mean : std;
    nd = t->ndim;
    memcpy(shape, t->sizes, nd * sizeof *shape);
  } else {
    memcpy(shape, sizes, nd * sizeof *shape);
  }
  if (mean || std) dt = mean ? mean->dtype : std->dtype;
  if (!std && !(s >= 0)) {
    lc_fail(LC_ERR_ARG, "normal", "std must be at least 0, got %g", s);
    return NULL;
  }
  if (std) {
    lc_tensor *lo = lc_min(std, LC_ALL_DIMS, false, 0, NULL);
    double least = lo && lc_numel(std) ? lc_get(lo, 0) : 0;
    lc_release(lo);
    if (!(least >= 0)) {
      lc_fail(LC_ERR_ARG, "normal", "std must be at least 0, got %g", least);
      return NULL;
    }
  }
  lc_tensor *z = lc_randn(dt, nd, shape);
  lc_tensor *scaled = !z ? NULL : std ? lc_binary(LC_MUL, z, std) : lc_binary_scalar(LC_MUL, z, s, false);
  lc_tensor *out = !scaled ? NULL : mean ? lc_binary(LC_ADD, scaled, mean)
                                         : lc_binary_scalar(LC_ADD, scaled, m, false);
  lc_release(z);
  lc_release(scaled);
  return out;
}
