/* lc_codec.h: raw bytes to and from tensors, for files that other programs
 * write (PyTorch's zip files, NumPy's .npy, safetensors): element kinds
 * lucid does not hold (float16, bfloat16, narrow integers), byte order, and
 * zlib's inflate and CRC-32 for zip containers. Every length is checked
 * against the bytes given: a corrupt file is an error, never a read past
 * the end. */
#ifndef LC_CODEC_H
#define LC_CODEC_H

#include "lc.h"

typedef enum {
  LC_RAW_F32, LC_RAW_F64, LC_RAW_I64, LC_RAW_F16, LC_RAW_BF16,
  LC_RAW_I32, LC_RAW_I16, LC_RAW_I8, LC_RAW_U8, LC_RAW_BOOL,
  LC_RAW_COUNT
} lc_raw_kind;

LC_API size_t lc_raw_size(lc_raw_kind k);
/* "float16", ...: the kind's name, and the lucid dtype it is read into
 * (float16 and bfloat16 as float32, narrower integers as int64). */
LC_API const char *lc_raw_name(lc_raw_kind k);
LC_API lc_dtype lc_raw_dtype(lc_raw_kind k);

/* A 1-D tensor of count elements read from bytes[0..nbytes), converted to
 * lc_raw_dtype(kind); swap: the bytes are in the other byte order. */
LC_API lc_tensor *lc_from_raw(const void *bytes, size_t nbytes, lc_raw_kind kind, bool swap,
                       int64_t count);
/* t's elements, in row-major order, as little-endian bytes of t's dtype
 * (written into out, which holds lc_numel(t) * dtype size bytes). */
LC_API void lc_to_raw(const lc_tensor *t, void *out);

/* A view of base's storage with the given geometry, every element of which
 * must lie inside the storage; no autograd history (for loading files). */
LC_API lc_tensor *lc_strided_view(const lc_tensor *base, int ndim, const int64_t *sizes,
                           const int64_t *strides, int64_t offset);

/* Raw deflate (zip's method 8) of src into exactly dst_n bytes. */
LC_API int lc_inflate(const void *src, size_t n, void *dst, size_t dst_n);
LC_API uint32_t lc_crc32(uint32_t crc, const void *p, size_t n);

#endif
