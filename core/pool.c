/* pool.c: a caching allocator for tensor structs and buffers.
 *
 * A training loop makes and drops the same tensors every step, and a Lua loop
 * over tiny tensors spends most of its time in malloc/free (and, for buffers
 * of a few hundred KB, in the page faults of fresh mmaps). Freed blocks are
 * kept here and handed out again for the same rounded size:
 *
 *   small blocks (<= SMALL_MAX bytes): one free list per 64-byte class;
 *   large blocks: up to LARGE_SLOTS cached, matched by exact rounded size,
 *   holding at most LARGE_BYTES in all, the oldest given back first.
 *
 * Every block is 64-byte aligned (SIMD loads, BLAS panels on cache lines).
 * Each thread has its own cache, so no locks: a block freed on another
 * thread than it was made on simply joins that thread's cache, and a
 * thread's cache is given back when the thread ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

#define ALIGN 64
#define SMALL_MAX 1024
#define SMALL_CLASSES (SMALL_MAX / ALIGN)
#define SMALL_KEEP_BYTES ((size_t)1 << 20) /* per small class: a GC sweep frees thousands */
#define LARGE_SLOTS 32
#define LARGE_BYTES ((size_t)64 << 20)

typedef struct free_block {
  struct free_block *next;
} free_block;

typedef struct {
  bool registered; /* with the thread-exit destructor */
  free_block *small[SMALL_CLASSES];
  int small_count[SMALL_CLASSES];
  struct {
    void *p;
    size_t size;
  } large[LARGE_SLOTS];
  int large_count;
  size_t large_bytes;
} cache;

static _Thread_local cache pool;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void trim(cache *c) {
  for (int k = 0; k < SMALL_CLASSES; k++) {
    while (c->small[k]) {
      free_block *b = c->small[k];
      c->small[k] = b->next;
      free(b);
    }
    c->small_count[k] = 0;
  }
  for (int i = 0; i < c->large_count; i++) free(c->large[i].p);
  c->large_count = 0;
  c->large_bytes = 0;
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

static size_t rounded(size_t n) { return n ? (n + ALIGN - 1) & ~(size_t)(ALIGN - 1) : ALIGN; }

void *lc_pool_alloc(size_t n) {
  size_t size = rounded(n);
  void *p = NULL;
  if (size <= SMALL_MAX) {
    int c = (int)(size / ALIGN) - 1;
    free_block *b = pool.small[c];
    if (b) {
      pool.small[c] = b->next;
      pool.small_count[c]--;
      p = b;
    }
  } else {
    for (int i = pool.large_count - 1; i >= 0; i--) {
      if (pool.large[i].size != size) continue;
      p = pool.large[i].p;
      pool.large_bytes -= size;
      memmove(&pool.large[i], &pool.large[i + 1], (size_t)(pool.large_count - i - 1) * sizeof pool.large[0]);
      pool.large_count--;
      break;
    }
  }
  return p ? p : aligned_alloc(ALIGN, size);
}

void lc_pool_free(void *p, size_t n) {
  if (!p) return;
  size_t size = rounded(n);
  if (!ready()) {
    free(p);
    return;
  }
  if (size <= SMALL_MAX) {
    int c = (int)(size / ALIGN) - 1;
    if ((size_t)pool.small_count[c] * size < SMALL_KEEP_BYTES) {
      free_block *b = p;
      b->next = pool.small[c];
      pool.small[c] = b;
      pool.small_count[c]++;
      p = NULL;
    }
  } else if (size <= LARGE_BYTES) {
    /* make room: the oldest cached blocks go back to the system */
    while (pool.large_count == LARGE_SLOTS || pool.large_bytes + size > LARGE_BYTES) {
      free(pool.large[0].p);
      pool.large_bytes -= pool.large[0].size;
      memmove(&pool.large[0], &pool.large[1], (size_t)(pool.large_count - 1) * sizeof pool.large[0]);
      pool.large_count--;
    }
    pool.large[pool.large_count].p = p;
    pool.large[pool.large_count].size = size;
    pool.large_count++;
    pool.large_bytes += size;
    p = NULL;
  }
  free(p);
}

void lc_pool_trim(void) { trim(&pool); }
