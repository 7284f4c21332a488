/* storage.c: reference-counted buffers, and the byte count the Lua side
 * reports to its garbage collector. */
#include <stdatomic.h>
#include <stdlib.h>

#include "lc_internal.h"

static atomic_size_t live_bytes;

size_t lc_live_bytes(void) { return atomic_load(&live_bytes); }

/* Structs count too: a loop of tiny tensors holds little data but many
 * structs, and the collector must hear of them to keep up. */
void lc_track_bytes(size_t n, bool add) {
  if (add)
    atomic_fetch_add(&live_bytes, n);
  else
    atomic_fetch_sub(&live_bytes, n);
}

/* Buffers come from the caching pool (pool.c), 64-byte aligned. */
lc_storage *lc_storage_new(size_t nbytes) {
  lc_storage *s = lc_pool_alloc(sizeof *s);
  void *data = nbytes ? lc_pool_alloc(nbytes) : NULL;
  if (!s || (nbytes && !data)) {
    lc_pool_free(s, sizeof *s);
    lc_pool_free(data, nbytes);
    lc_fail(LC_ERR_MEMORY, NULL, "out of memory allocating a tensor of %zu bytes", nbytes);
    return NULL;
  }
  *s = (lc_storage){.refcount = 1, .nbytes = nbytes, .data = data};
  lc_track_bytes(sizeof *s + nbytes, true);
  return s;
}

/* Wrapped memory without a release callback belongs to the caller. */
static void keep_caller_memory(void *data, void *ud) { (void)data; (void)ud; }

lc_storage *lc_storage_wrap(void *data, size_t nbytes, void (*free_fn)(void *, void *), void *ud) {
  lc_storage *s = lc_pool_alloc(sizeof *s);
  if (!s) {
    lc_fail(LC_ERR_MEMORY, NULL, "out of memory wrapping %zu bytes", nbytes);
    return NULL;
  }
  *s = (lc_storage){.refcount = 1, .nbytes = nbytes, .data = data,
                    .free_fn = free_fn ? free_fn : keep_caller_memory, .free_ud = ud};
  lc_track_bytes(sizeof *s, true);
  return s;
}

void lc_storage_release(lc_storage *s) {
  if (!s || --s->refcount > 0) return;
  if (s->free_fn) {
    s->free_fn(s->data, s->free_ud);
    lc_track_bytes(sizeof *s, false);
  } else {
    lc_pool_free(s->data, s->nbytes);
    lc_track_bytes(sizeof *s + s->nbytes, false);
  }
  lc_pool_free(s, sizeof *s);
}
