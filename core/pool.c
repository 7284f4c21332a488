/* pool.c: a caching allocator for tensor structs and buffers.
 *
 * A training loop makes and drops the same tensors every step, and a Lua loop
 * over small tensors spends most of its time in malloc/free (and, for buffers
 * of a few hundred KB, in the page faults of fresh mmaps). Freed blocks are
 * kept here by size class and handed out again:
 *
 *   up to 1 KB:      classes 64 bytes apart;
 *   1 KB to 64 MB:   four classes per power of two (at most 25% slack);
 *   larger:          not cached.
 *
 * A small class keeps at most SMALL_KEEP bytes (a GC sweep frees thousands
 * of tensor structs at once); all classes together keep at most CACHE_BYTES,
 * so the cache never holds more than a bounded amount of idle memory.
 *
 * Every block is 64-byte aligned (SIMD loads, BLAS panels on cache lines).
 * Each thread has its own cache, so no locks: a block freed on another
 * thread than it was made on simply joins that thread's cache, and a
 * thread's cache is given back when the thread ends. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lc_internal.h"

#define ALIGN 64
#define SMALL_MAX 1024
#define SMALL_CLASSES (SMALL_MAX / ALIGN)
#define LARGE_MAX ((size_t)64 << 20)
#define CLASSES (SMALL_CLASSES + 4 * 16) /* 1 KB .. 64 MB: 16 powers of two */
#define SMALL_KEEP ((size_t)1 << 20)
#define CACHE_BYTES ((size_t)128 << 20)

typedef struct free_block {
  struct free_block *next;
} free_block;

typedef struct {
  bool registered; /* with the thread-exit destructor */
  free_block *list[CLASSES];
  size_t bytes[CLASSES];
  size_t total;
} cache;

static _Thread_local cache pool;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

/* The class of an n-byte request (n > 0) and the block size it gets; -1 for
 * requests too large to cache. */
static int class_of(size_t n, size_t *size) {
  if (n <= SMALL_MAX) {
    int c = (int)((n + ALIGN - 1) / ALIGN) - 1;
    *size = (size_t)(c + 1) * ALIGN;
    return c;
  }
  if (n > LARGE_MAX) {
    *size = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return -1;
  }
  size_t s = n - 1;
  int b = 63 - __builtin_clzll(s); /* s in [2^b, 2^(b+1)), b >= 10 */
  size_t quarter = (size_t)1 << (b - 2);
  int j = (int)((s - ((size_t)1 << b)) / quarter);
  *size = ((size_t)1 << b) + (size_t)(j + 1) * quarter;
  return SMALL_CLASSES + 4 * (b - 10) + j;
}

static void trim(cache *c) {
  for (int k = 0; k < CLASSES; k++) {
    while (c->list[k]) {
      free_block *b = c->list[k];
      c->list[k] = b->next;
      free(b);
    }
    c->bytes[k] = 0;
  }
  c->total = 0;
}

static void thread_exit(void *c) { trim(c); }
/* exit() runs no key destructors: the exiting thread's cache goes here, so
 * leak checkers see everything given back. */
static void process_exit(void) { trim(&pool); }

static void make_exit_key(void) {
  pthread_key_create(&exit_key, thread_exit);
  atexit(process_exit);
}

/* Blocks are only cached by threads whose exit will give them back. */
static bool ready(void) {
  if (!pool.registered) {
    pthread_once(&exit_once, make_exit_key);
    pool.registered = pthread_setspecific(exit_key, &pool) == 0;
  }
  return pool.registered;
}

/* Sanitizer builds (cmake -DLUCID_SANITIZE=ON) cache nothing: every block
 * goes straight back to the C library, so a use after free is reported. */
#ifdef LUCID_NO_POOL
static const bool bypass = true;
#else
static const bool bypass = false;
#endif

/* Big buffers sit on 2 MB pages where the kernel has them (transparent huge
 * pages on request): a gather of random rows from a big tensor, as a
 * DataLoader's batch, otherwise misses the TLB on nearly every row. Block
 * sizes (class_of) are whole multiples of 4 MB from 16 MB on, so the padding
 * to whole huge pages costs nothing there. */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_FROM ((size_t)16 << 20)

static void *fresh_block(size_t size) {
#ifdef MADV_HUGEPAGE
  if (size >= HUGE_FROM) {
    size_t whole = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, whole);
    if (p) madvise(p, whole, MADV_HUGEPAGE); /* a hint: failure changes nothing */
    return p;
  }
#endif
  return aligned_alloc(ALIGN, size);
}

void *lc_pool_alloc(size_t n) {
  size_t size;
  int c = class_of(n ? n : 1, &size);
  if (!bypass && c >= 0 && pool.list[c]) {
    free_block *b = pool.list[c];
    pool.list[c] = b->next;
    pool.bytes[c] -= size;
    pool.total -= size;
    return b;
  }
  return fresh_block(size);
}

void lc_pool_free(void *p, size_t n) {
  if (!p) return;
  size_t size;
  int c = class_of(n ? n : 1, &size);
  bool keep = !bypass && c >= 0 && pool.total + size <= CACHE_BYTES &&
              (c >= SMALL_CLASSES || pool.bytes[c] + size <= SMALL_KEEP) && ready();
  if (!keep) {
    free(p);
    return;
  }
  free_block *b = p;
  b->next = pool.list[c];
  pool.list[c] = b;
  pool.bytes[c] += size;
  pool.total += size;
}
