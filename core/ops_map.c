/* ops_map.c: the one loop every table op runs through (lc_map).
 *
 * lc_iter hands over 1-D runs of the broadcast shape. When every operand of a
 * run has unit stride the kernel reads and writes the tensors directly;
 * otherwise each strided operand is gathered into a BLOCK-element buffer, a
 * broadcast (stride 0) one is spread into a buffer once, and a strided output
 * is scattered back, so kernels are always plain contiguous loops. */
#include <stdio.h>
#include <string.h>

#include "lc_internal.h"

#define BLOCK 256

/* Elements are moved as raw 1, 4 or 8 byte words: the values are not read,
 * so one copy loop serves every dtype of that size. */
#define MOVE_LOOP(W, dst, dstride, src, sstride, n)                         \
  do {                                                                      \
    W *d_ = (W *)(dst);                                                     \
    const W *s_ = (const W *)(src);                                         \
    for (int64_t i = 0; i < (n); i++) d_[i * (dstride)] = s_[i * (sstride)]; \
  } while (0)

static void move(void *dst, int64_t dstride, const void *src, int64_t sstride, int64_t n, size_t es) {
  switch (es) {
  case 1: MOVE_LOOP(uint8_t, dst, dstride, src, sstride, n); break;
  case 4: MOVE_LOOP(uint32_t, dst, dstride, src, sstride, n); break;
  default: MOVE_LOOP(uint64_t, dst, dstride, src, sstride, n); break;
  }
}

typedef struct {
  const lc_kctx *c;
  lc_kernel_fn k;
  int n_in;
} map_ctx;

static void map_loop(void *ctx, int64_t n, char **d, const int64_t *s) {
  const map_ctx *m = ctx;
  size_t ei = lc_dtype_size(m->c->dt), eo = lc_dtype_size(m->c->out_dt);
  const void *in[3];
  bool unit = s[0] == 1;
  for (int k = 0; k < m->n_in; k++) unit = unit && s[k + 1] == 1;
  if (unit) {
    for (int k = 0; k < m->n_in; k++) in[k] = d[k + 1];
    m->k(m->c, n, d[0], in);
    return;
  }
  _Alignas(64) uint64_t bo[BLOCK], bi[3][BLOCK];
  bool spread[3] = {false, false, false};
  for (int64_t base = 0; base < n; base += BLOCK) {
    int64_t len = n - base < BLOCK ? n - base : BLOCK;
    for (int k = 0; k < m->n_in; k++) {
      const char *p = d[k + 1] + base * s[k + 1] * (int64_t)ei;
      if (s[k + 1] == 1) {
        in[k] = p;
      } else if (s[k + 1] == 0) { /* the same value all along: spread once */
        if (!spread[k]) move(bi[k], 1, d[k + 1], 0, BLOCK, ei);
        spread[k] = true;
        in[k] = bi[k];
      } else {
        move(bi[k], 1, p, s[k + 1], len, ei);
        in[k] = bi[k];
      }
    }
    char *o = d[0] + base * s[0] * (int64_t)eo;
    m->k(m->c, len, s[0] == 1 ? (void *)o : (void *)bo, in);
    if (s[0] != 1) move(o, s[0], bo, 1, len, eo);
  }
}

void lc_map(const lc_kctx *c, lc_kernel_fn k, lc_tensor *out, int n_in, lc_tensor *const *in) {
  lc_tensor *ops[4] = {out, n_in > 0 ? in[0] : NULL, n_in > 1 ? in[1] : NULL,
                       n_in > 2 ? in[2] : NULL};
  lc_iter it;
  lc_iter_init(&it, out->ndim, out->sizes, 1 + n_in, ops);
  if (c->grain) it.grain = c->grain;
  map_ctx m = {c, k, n_in};
  lc_iter_run(&it, map_loop, &m);
}

/* PyTorch's kinds: bool < integer < floating point. */
static int kind(lc_dtype dt) { return lc_dtype_is_float(dt) ? 2 : dt == LC_INT64 ? 1 : 0; }

lc_dtype lc_result_type(const lc_tensor *a, const lc_tensor *b) {
  if ((a->ndim == 0) != (b->ndim == 0)) {
    const lc_tensor *dimmed = a->ndim ? a : b, *zero = a->ndim ? b : a;
    return kind(zero->dtype) > kind(dimmed->dtype) ? zero->dtype : dimmed->dtype;
  }
  return lc_promote(a->dtype, b->dtype);
}

void lc_camel_name(char *buf, size_t size, const char *name, const char *suffix) {
  size_t k = 0;
  for (bool up = true; *name && k + 1 < size; name++) {
    if (*name == '_') {
      up = true;
      continue;
    }
    buf[k++] = up && *name >= 'a' && *name <= 'z' ? (char)(*name - 'a' + 'A') : *name;
    up = false;
  }
  buf[k] = 0;
  snprintf(buf + k, size - k, "%s", suffix);
}

lc_dtype lc_compare_dtype(lc_dtype promoted) { return LC_BOOL; }

lc_dtype lc_rule_dtype(lc_dtype_rule rule, lc_dtype promoted) {
  switch (rule) {
  case LC_RULE_FLOAT: return lc_dtype_is_float(promoted) ? promoted : LC_FLOAT32;
  case LC_RULE_COMPARE: return lc_compare_dtype(promoted);
  default: return promoted;
  }
}
