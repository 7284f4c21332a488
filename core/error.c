/* error.c: the last error message, dtype facts, and checked allocation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lc_internal.h"

/* The last error, thread-local so OpenMP workers and embedding hosts never
 * see each other's: its code, the op that raised it and the message body,
 * kept apart so a binding can raise it under the name its caller used; and
 * the two joined ("op: body"), which lc_error() returns. */
static _Thread_local struct {
  lc_errcode code;
  char op[64];
  char body[512];
  char full[64 + 2 + 512];
} last;

const char *lc_error(void) { return last.full[0] ? last.full : "unknown error"; }
lc_errcode lc_error_code(void) { return last.code; }
const char *lc_error_op(void) { return last.op; }
const char *lc_error_body(void) { return last.body[0] ? last.body : "unknown error"; }

static void store(lc_errcode code, const char *op, const char *fmt, va_list ap) {
  last.code = code;
  snprintf(last.op, sizeof last.op, "%s", op ? op : "");
  vsnprintf(last.body, sizeof last.body, fmt, ap);
  snprintf(last.full, sizeof last.full, "%s%s%s", last.op, last.op[0] ? ": " : "", last.body);
}

void lc_fail(lc_errcode code, const char *op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  store(code, op, fmt, ap);
  va_end(ap);
}

void lc_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  store(LC_ERR_OTHER, NULL, fmt, ap);
  va_end(ap);
}

void lc_error_rename(const char *op) {
  snprintf(last.op, sizeof last.op, "%s", op ? op : "");
  snprintf(last.full, sizeof last.full, "%s%s%s", last.op, last.op[0] ? ": " : "", last.body);
}

const char *lc_shape_str(char *buf, int ndim, const int64_t *sizes) {
  int n = snprintf(buf, 128, "(");
  for (int i = 0; i < ndim && n < 100; i++)
    n += snprintf(buf + n, 128 - n, i ? ", %lld" : "%lld", (long long)sizes[i]);
  snprintf(buf + n, 128 - n, ")"); /* (3) as tostring(x.shape) */
  return buf;
}

/* Per dtype, indexed by its code: size, name, and rank in promotion. */
static const struct {
  size_t size;
  const char *name;
  int rank;
} dtypes[LC_DTYPE_COUNT] = {
  [LC_FLOAT32] = {4, "float32", 2},
  [LC_FLOAT64] = {8, "float64", 3},
  [LC_INT64] = {8, "int64", 1},
  [LC_BOOL] = {1, "bool", 0},
};

size_t lc_dtype_size(lc_dtype dt) { return dtypes[dt].size; }

const char *lc_dtype_name(lc_dtype dt) {
  return (unsigned)dt < LC_DTYPE_COUNT ? dtypes[dt].name : "?";
}

bool lc_dtype_is_float(lc_dtype dt) { return dt == LC_FLOAT32 || dt == LC_FLOAT64; }

lc_dtype lc_promote(lc_dtype a, lc_dtype b) { return dtypes[a].rank >= dtypes[b].rank ? a : b; }

lc_dtype lc_scalar_dtype(lc_dtype t, bool is_float) {
  if (is_float) return lc_dtype_is_float(t) ? t : LC_FLOAT32;
  return t == LC_BOOL ? LC_INT64 : t;
}

bool lc_can_cast(lc_dtype from, lc_dtype to) {
  if (lc_dtype_is_float(from) && !lc_dtype_is_float(to)) return false;
  return to != LC_BOOL || from == LC_BOOL;
}

void *lc_malloc(size_t n, const char *what) {
  void *p = malloc(n ? n : 1);
  if (!p) lc_fail(LC_ERR_MEMORY, what, "out of memory allocating %zu bytes", n);
  return p;
}

void *lc_calloc(size_t count, size_t size, const char *what) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) lc_fail(LC_ERR_MEMORY, what, "out of memory allocating %zu bytes", count * size);
  return p;
}

int64_t lc_checked_numel(const char *op, int ndim, const int64_t *sizes) {
  if (ndim < 0 || ndim > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, op, "at most %d dimensions are supported, got %d", LC_MAX_DIMS, ndim);
    return -1;
  }
  /* The product of the nonzero sizes is bounded too: contiguous strides
   * multiply them even when another size is 0. */
  int64_t n = 1, nonzero = 1;
  for (int i = 0; i < ndim; i++) {
    if (sizes[i] < 0) {
      lc_fail(LC_ERR_ARG, op, "size %lld of dimension %d is negative", (long long)sizes[i], i + 1);
      return -1;
    }
    if (sizes[i] && nonzero > INT64_MAX / 8 / sizes[i]) {
      lc_fail(LC_ERR_MEMORY, op, "too many elements (size overflows)");
      return -1;
    }
    n *= sizes[i];
    nonzero *= sizes[i] ? sizes[i] : 1;
  }
  return n;
}

const char *lc_base_note(int64_t index, int64_t base) {
  static _Thread_local char note[80];
  if (base == 0 || index != (int64_t)((uint64_t)base - 1)) return "";
  snprintf(note, sizeof note, " (indices are %lld-based: the first is %lld)", (long long)base,
           (long long)base);
  return note;
}
