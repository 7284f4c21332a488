/* codec.c: see lc_codec.h. */
#include "lc_codec.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

#include "lc_internal.h"

static const struct {
  const char *name;
  size_t size;
  lc_dtype dtype;
} kinds[] = {
    [LC_RAW_F32] = {"float32", 4, LC_FLOAT32}, [LC_RAW_F64] = {"float64", 8, LC_FLOAT64},
    [LC_RAW_I64] = {"int64", 8, LC_INT64},     [LC_RAW_F16] = {"float16", 2, LC_FLOAT32},
    [LC_RAW_BF16] = {"bfloat16", 2, LC_FLOAT32}, [LC_RAW_I32] = {"int32", 4, LC_INT64},
    [LC_RAW_I16] = {"int16", 2, LC_INT64},     [LC_RAW_I8] = {"int8", 1, LC_INT64},
    [LC_RAW_U8] = {"uint8", 1, LC_INT64},      [LC_RAW_BOOL] = {"bool", 1, LC_BOOL},
};
_Static_assert(sizeof kinds / sizeof *kinds == LC_RAW_COUNT, "one row per raw kind");

size_t lc_raw_size(lc_raw_kind k) { return kinds[k].size; }
const char *lc_raw_name(lc_raw_kind k) { return kinds[k].name; }
lc_dtype lc_raw_dtype(lc_raw_kind k) { return kinds[k].dtype; }

/* IEEE half: sign, 5-bit exponent, 10-bit fraction. */
static float half_to_float(uint16_t h) {
  int e = (h >> 10) & 31, f = h & 1023;
  float v = e == 0 ? ldexpf((float)f, -24) : e == 31 ? (f ? NAN : INFINITY)
                                                    : ldexpf((float)(f | 1024), e - 25);
  return h & 0x8000 ? -v : v;
}

static float bf16_to_float(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float v;
  memcpy(&v, &u, 4);
  return v;
}

/* Element i of the raw bytes, in native order. */
static void element(const unsigned char *p, size_t size, bool swap, unsigned char *out) {
  for (size_t k = 0; k < size; k++) out[k] = p[swap ? size - 1 - k : k];
}

lc_tensor *lc_from_raw(const void *bytes, size_t nbytes, lc_raw_kind kind, bool swap,
                       int64_t count) {
  size_t es = kinds[kind].size;
  if (count < 0 || (uint64_t)count > nbytes / es) {
    lc_fail(LC_ERR_IO, "from_raw", "%lld elements of %s need %llu bytes, got %zu", (long long)count,
                 kinds[kind].name, (unsigned long long)count * es, nbytes);
    return NULL;
  }
  lc_tensor *t = lc_empty(kinds[kind].dtype, 1, &count);
  if (!t) return NULL;
  const unsigned char *p = bytes;
  void *d = t->storage->data;
  if (!swap && es == lc_dtype_size(t->dtype) && kind != LC_RAW_BOOL) { /* as stored */
    if (count) memcpy(d, p, (size_t)count * es); /* d and p may be NULL when empty */
    return t;
  }
  unsigned char e[8];
  for (int64_t i = 0; i < count; i++) {
    element(p + i * es, es, swap, e);
    uint16_t u16;
    int32_t i32;
    int16_t i16;
    switch (kind) {
    case LC_RAW_F32: memcpy((float *)d + i, e, 4); break;
    case LC_RAW_F64: memcpy((double *)d + i, e, 8); break;
    case LC_RAW_I64: memcpy((int64_t *)d + i, e, 8); break;
    case LC_RAW_F16: memcpy(&u16, e, 2); ((float *)d)[i] = half_to_float(u16); break;
    case LC_RAW_BF16: memcpy(&u16, e, 2); ((float *)d)[i] = bf16_to_float(u16); break;
    case LC_RAW_I32: memcpy(&i32, e, 4); ((int64_t *)d)[i] = i32; break;
    case LC_RAW_I16: memcpy(&i16, e, 2); ((int64_t *)d)[i] = i16; break;
    case LC_RAW_I8: ((int64_t *)d)[i] = (int8_t)e[0]; break;
    case LC_RAW_U8: ((int64_t *)d)[i] = e[0]; break;
    case LC_RAW_BOOL: ((bool *)d)[i] = e[0] != 0; break;
    default: break;
    }
  }
  return t;
}

void lc_to_raw(const lc_tensor *t, void *out) {
  lc_tensor *c = lc_contiguous(t);
  if (c && lc_nbytes(c)) /* an empty tensor may have no data pointer */
    memcpy(out, (char *)c->storage->data + c->offset * lc_dtype_size(c->dtype), lc_nbytes(c));
  lc_release(c);
}

lc_tensor *lc_strided_view(const lc_tensor *base, int ndim, const int64_t *sizes,
                           const int64_t *strides, int64_t offset) {
  int64_t elems = (int64_t)(base->storage->nbytes / lc_dtype_size(base->dtype));
  if (ndim < 0 || ndim > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "strided_view", "at most %d dims, got %d", LC_MAX_DIMS, ndim);
    return NULL;
  }
  int64_t last = offset; /* the farthest element, which must be in the storage */
  bool empty = false;
  for (int i = 0; i < ndim; i++) {
    if (sizes[i] < 0 || strides[i] < 0) {
      lc_fail(LC_ERR_SHAPE, "strided_view", "negative size or stride in dim %d", i + 1);
      return NULL;
    }
    empty = empty || sizes[i] == 0;
    int64_t reach;
    if (sizes[i] > 0 && (__builtin_mul_overflow(sizes[i] - 1, strides[i], &reach) ||
                         __builtin_add_overflow(last, reach, &last))) {
      lc_fail(LC_ERR_MEMORY, "strided_view", "the extent of dim %d overflows", i + 1);
      return NULL;
    }
  }
  if (offset < 0 || (!empty && last >= elems) || offset > elems) {
    lc_fail(LC_ERR_ARG, "strided_view", "elements up to %lld past a storage of %lld elements",
                 (long long)last, (long long)elems);
    return NULL;
  }
  if (lc_checked_numel("strided_view", ndim, sizes) < 0) return NULL;
  return lc_tensor_new_view(base, ndim, sizes, strides, offset);
}

int lc_inflate(const void *src, size_t n, void *dst, size_t dst_n) {
  z_stream z = {0};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
    lc_fail(LC_ERR_MEMORY, "inflate", "cannot start zlib");
    return -1;
  }
  int rc = Z_OK;
  const unsigned char *in = src;
  unsigned char *out = dst;
  size_t done_in = 0, done_out = 0;
  /* zlib counts in uInt: feed and drain in chunks below 4 GiB */
  while (rc == Z_OK) {
    z.next_in = (unsigned char *)in + done_in;
    z.avail_in = (uInt)(n - done_in > 1u << 30 ? 1u << 30 : n - done_in);
    z.next_out = out + done_out;
    z.avail_out = (uInt)(dst_n - done_out > 1u << 30 ? 1u << 30 : dst_n - done_out);
    uInt had_in = z.avail_in, had_out = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    done_in += had_in - z.avail_in;
    done_out += had_out - z.avail_out;
    if (rc == Z_OK && had_in == z.avail_in && had_out == z.avail_out) rc = Z_BUF_ERROR;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END || done_out != dst_n) {
    lc_fail(LC_ERR_IO, "inflate", "corrupt compressed data (%s)", rc == Z_STREAM_END
                 ? "wrong length" : z.msg ? z.msg : "truncated");
    return -1;
  }
  return 0;
}

uint32_t lc_crc32(uint32_t crc, const void *p, size_t n) {
  const unsigned char *b = p;
  while (n > 0) {
    uInt chunk = n > 1u << 30 ? 1u << 30 : (uInt)n;
    crc = (uint32_t)crc32(crc, b, chunk);
    b += chunk;
    n -= chunk;
  }
  return crc;
}
