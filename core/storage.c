/* storage.c: reference-counted buffers, and the byte count the Lua side
 * reports to its garbage collector. */
#include <stdatomic.h>
#include <stdlib.h>

#include "lc_internal.h"

static atomic_size_t live_bytes;

size_t lc_live_bytes(void) { return atomic_load(&live_bytes); }

/* 64-byte alignment keeps SIMD loads and BLAS panels on cache lines. */
lc_storage *lc_storage_new(size_t nbytes) {
  lc_storage *s = lc_malloc(sizeof *s, "tensor");
  if (!s) return NULL;
  size_t rounded = (nbytes + 63) & ~(size_t)63;
  s->data = rounded ? aligned_alloc(64, rounded) : NULL;
  if (rounded && !s->data) {
    free(s);
    lc_set_error("out of memory allocating a tensor of %zu bytes", nbytes);
    return NULL;
  }
  s->refcount = 1;
  s->nbytes = nbytes;
  s->version = 0;
  s->free_fn = NULL;
  s->free_ud = NULL;
  atomic_fetch_add(&live_bytes, nbytes);
  return s;
}

/* Wrapped memory without a release callback belongs to the caller. */
static void keep_caller_memory(void *data, void *ud) { (void)data; (void)ud; }

lc_storage *lc_storage_wrap(void *data, size_t nbytes, void (*free_fn)(void *, void *), void *ud) {
  lc_storage *s = lc_malloc(sizeof *s, "tensor");
  if (!s) return NULL;
  s->refcount = 1;
  s->nbytes = nbytes;
  s->data = data;
  s->version = 0;
  s->free_fn = free_fn ? free_fn : keep_caller_memory;
  s->free_ud = ud;
  return s;
}

void lc_storage_release(lc_storage *s) {
  if (!s || --s->refcount > 0) return;
  if (s->free_fn) {
    s->free_fn(s->data, s->free_ud);
  } else {
    free(s->data);
    atomic_fetch_sub(&live_bytes, s->nbytes);
  }
  free(s);
}
