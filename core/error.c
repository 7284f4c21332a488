/* error.c: the last error message, dtype facts, and checked allocation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lc_internal.h"

/* Thread-local so OpenMP workers and embedding hosts never see each other's. */
static _Thread_local char last_error[512];

const char *lc_error(void) { return last_error[0] ? last_error : "unknown error"; }

void lc_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
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
  if (!p) lc_set_error("%s: out of memory allocating %zu bytes", what, n);
  return p;
}

void *lc_calloc(size_t count, size_t size, const char *what) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) lc_set_error("%s: out of memory allocating %zu bytes", what, count * size);
  return p;
}

int64_t lc_checked_numel(const char *op, int ndim, const int64_t *sizes) {
  if (ndim < 0 || ndim > LC_MAX_DIMS) {
    lc_set_error("%s: at most %d dimensions are supported, got %d", op, LC_MAX_DIMS, ndim);
    return -1;
  }
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (sizes[i] < 0) {
      lc_set_error("%s: size %lld of dimension %d is negative", op, (long long)sizes[i], i + 1);
      return -1;
    }
    if (sizes[i] && n > INT64_MAX / 8 / sizes[i]) {
      lc_set_error("%s: too many elements (size overflows)", op);
      return -1;
    }
    n *= sizes[i];
  }
  return n;
}
