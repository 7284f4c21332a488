/* pool.c: a caching allocator for tensor structs and buffers.
 *
 * A training loop makes and drops the same tensors every step, and a Lua loop
 * over small tensors spends most of its time in malloc/free (and, for buffers
 * of a few hundred KB, in the page faults of fresh mmaps). Freed blocks are
 * kept here by size class and handed out again:
 *
 *   up to 1 KB:      classes 64 bytes apart;
 *   1 KB to 1 TB:    four classes per power of two (at most 25% slack);
 *   larger:          not cached.
 *
 * Blocks under BIG_FROM (16 MB) are kept per thread, so no locks: a block
 * freed on another thread than it was made on simply joins that thread's
 * cache, and a thread's cache is given back when the thread ends. A small
 * class keeps at most SMALL_KEEP bytes (a GC sweep frees thousands of tensor
 * structs at once); a thread's classes together at most CACHE_BYTES.
 *
 * Blocks from 16 MB on (a long sequence's projections, activations and their
 * gradients: the same few sizes every training step) go to one store for
 * the process, behind a lock that costs nothing next to filling 16 MB. A
 * fresh block that size is mapped anew and the kernel zeroes every page of
 * it: at L = 8192 that was 13% of a MinLSTM training step, each step. The
 * store keeps at most big_limit() idle bytes: 1 GB, or less where memory is
 * smaller (a 16th of physical memory, a quarter of an address-space limit,
 * ulimit -v); a block that does not fit goes back to the C library.
 *
 * Idle blocks never make an allocation fail: when a fresh block cannot be
 * had, this thread's cache and the big store are emptied (lc_pool_trim) and
 * it is tried once more. The collector hears of live tensor bytes only
 * (storage.c), never of idle ones.
 *
 * Every block is 64-byte aligned (SIMD loads, BLAS panels on cache lines). */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lc_internal.h"

#define ALIGN 64
#define SMALL_MAX 1024
#define SMALL_CLASSES (SMALL_MAX / ALIGN)
#define CLASS_MAX_LOG2 40                                    /* 1 TB */
#define CLASSES (SMALL_CLASSES + 4 * (CLASS_MAX_LOG2 - 10)) /* 1 KB .. 1 TB */
#define SMALL_KEEP ((size_t)1 << 20)
#define CACHE_BYTES ((size_t)128 << 20)
#define BIG_FROM ((size_t)16 << 20)
#define BIG_KEEP ((size_t)1 << 30)

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

/* the blocks from BIG_FROM on, every thread's */
static cache big;
static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t big_keep;
static pthread_once_t big_once = PTHREAD_ONCE_INIT;

/* The class of an n-byte request (n > 0) and the block size it gets; -1 for
 * requests too large to cache. */
static int class_of(size_t n, size_t *size) {
  if (n <= SMALL_MAX) {
    int c = (int)((n + ALIGN - 1) / ALIGN) - 1;
    *size = (size_t)(c + 1) * ALIGN;
    return c;
  }
  if (n > (size_t)1 << CLASS_MAX_LOG2) {
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

static void trim_big(void) {
  pthread_mutex_lock(&big_lock);
  trim(&big);
  pthread_mutex_unlock(&big_lock);
}

void lc_pool_trim(void) {
  trim(&pool);
  trim_big();
}

static void thread_exit(void *c) { trim(c); }
/* exit() runs no key destructors: the exiting thread's cache and the big
 * store go here, so leak checkers see everything given back. */
static void process_exit(void) { lc_pool_trim(); }

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

static void find_big_keep(void) {
  size_t keep = BIG_KEEP;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0 && (size_t)pages / 16 * (size_t)page < keep) keep = (size_t)pages / 16 * (size_t)page;
  struct rlimit r;
  if (getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY && r.rlim_cur / 4 < keep) keep = r.rlim_cur / 4;
  big_keep = keep;
  pthread_once(&exit_once, make_exit_key); /* process_exit empties the store */
}

static size_t big_limit(void) {
  pthread_once(&big_once, find_big_keep);
  return big_keep;
}

size_t lc_pool_idle(bool big_store) {
  if (!big_store) return pool.total;
  pthread_mutex_lock(&big_lock);
  size_t n = big.total;
  pthread_mutex_unlock(&big_lock);
  return n;
}

size_t lc_pool_big_limit(void) { return big_limit(); }

/* Takes a block of class c (size bytes) from cache k, or NULL. */
static void *take(cache *k, int c, size_t size) {
  free_block *b = k->list[c];
  if (b) {
    k->list[c] = b->next;
    k->bytes[c] -= size;
    k->total -= size;
  }
  return b;
}

static void put(cache *k, int c, size_t size, void *p) {
  free_block *b = p;
  b->next = k->list[c];
  k->list[c] = b;
  k->bytes[c] += size;
  k->total += size;
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
  if (!bypass && c >= 0) {
    void *b;
    if (size < BIG_FROM) {
      b = take(&pool, c, size);
    } else {
      pthread_mutex_lock(&big_lock);
      b = take(&big, c, size);
      pthread_mutex_unlock(&big_lock);
    }
    if (b) return b;
  }
  void *p = fresh_block(size);
  if (!p && !bypass) { /* memory is short: what sits idle goes first */
    lc_pool_trim();
    p = fresh_block(size);
  }
  return p;
}

void lc_pool_free(void *p, size_t n) {
  if (!p) return;
  size_t size;
  int c = class_of(n ? n : 1, &size);
  bool keep = false;
  if (bypass || c < 0) {
    keep = false;
  } else if (size < BIG_FROM) {
    keep = pool.total + size <= CACHE_BYTES &&
           (c >= SMALL_CLASSES || pool.bytes[c] + size <= SMALL_KEEP) && ready();
    if (keep) put(&pool, c, size, p);
  } else {
    size_t limit = big_limit();
    pthread_mutex_lock(&big_lock);
    keep = big.total + size <= limit;
    if (keep) put(&big, c, size, p);
    pthread_mutex_unlock(&big_lock);
  }
  if (!keep) free(p);
}
