/* test_pool.c: the caching allocator (pool.c). A freed block comes back for
 * the next request of its size class: small ones from the thread's own
 * cache, big ones (16 MB on) from one store for the process, whatever
 * thread freed them. The store never holds more than its limit; trimming
 * empties it, and an allocation that finds memory short trims and retries.
 * Sanitizer builds (LUCID_NO_POOL) cache nothing. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "lc_internal.h"
#include "test_util.h"

#define MB ((size_t)1 << 20)

#ifndef LUCID_NO_POOL

/* 4000 and 3900 bytes share the class of 4096-byte blocks. */
static void test_small_blocks_come_back(void) {
  lc_pool_trim();
  char *a = lc_pool_alloc(4000);
  memset(a, 1, 4000);
  lc_pool_free(a, 4000);
  CHECK(lc_pool_idle(false) == 4096 && lc_pool_idle(true) == 0);
  char *b = lc_pool_alloc(3900);
  CHECK(b == a && lc_pool_idle(false) == 0);
  lc_pool_free(b, 3900);
  lc_pool_trim();
  CHECK(lc_pool_idle(false) == 0);
}

static void *free_on_this_thread(void *p) {
  lc_pool_free(p, 100 * MB);
  return NULL;
}

/* 100 MB and 97 MB share the class of 112 MB blocks; a block freed by
 * another thread is found by this one. */
static void test_big_blocks_come_back(void) {
  lc_pool_trim();
  char *a = lc_pool_alloc(100 * MB);
  memset(a, 1, MB); /* touched, as a tensor's data would be */
  pthread_t th;
  CHECK(pthread_create(&th, NULL, free_on_this_thread, a) == 0);
  pthread_join(th, NULL);
  CHECK(lc_pool_idle(true) == 112 * MB && lc_pool_idle(false) == 0);
  char *b = lc_pool_alloc(97 * MB);
  CHECK(b == a && lc_pool_idle(true) == 0);
  CHECK(b[MB - 1] == 1); /* handed back as it was left, not a fresh mapping */
  char *c = lc_pool_alloc(150 * MB); /* another class: a fresh block */
  CHECK(c && c != a);
  lc_pool_free(b, 97 * MB);
  lc_pool_free(c, 150 * MB);
  CHECK(lc_pool_idle(true) == (112 + 160) * MB);
  lc_pool_trim();
  CHECK(lc_pool_idle(true) == 0);
}

/* Freeing more big blocks than the limit holds keeps as many as fit and
 * gives the rest back. The blocks are never touched: address space only. */
static void test_big_store_is_bounded(void) {
  lc_pool_trim();
  size_t limit = lc_pool_big_limit();
  CHECK(limit >= 16 * MB && limit <= 1024 * MB);
  enum { MAX = 64 };
  int n = (int)(limit / (128 * MB)) + 2;
  CHECK(n <= MAX);
  void *blocks[MAX];
  for (int k = 0; k < n; k++) blocks[k] = lc_pool_alloc(128 * MB);
  for (int k = 0; k < n; k++) lc_pool_free(blocks[k], 128 * MB);
  size_t idle = lc_pool_idle(true);
  CHECK(idle <= limit && idle + 128 * MB > limit);
  lc_pool_trim();
  CHECK(lc_pool_idle(true) == 0);
}

/* The process's mapped bytes, from /proc/self/statm (pages). */
static size_t mapped_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f) {
    if (fscanf(f, "%lu", &pages) != 1) pages = 0;
    fclose(f);
  }
  return pages * 4096;
}

/* An address-space limit that a 224 MB block fits under only once a cached
 * 256 MB block is given back: the allocation trims and succeeds. */
static void test_short_memory_trims(void) {
  lc_pool_trim();
  void *a = lc_pool_alloc(256 * MB);
  lc_pool_free(a, 256 * MB);
  CHECK(lc_pool_idle(true) == 256 * MB);
  struct rlimit old;
  CHECK(getrlimit(RLIMIT_AS, &old) == 0);
  struct rlimit tight = {mapped_bytes() + 150 * MB, old.rlim_max};
  CHECK(setrlimit(RLIMIT_AS, &tight) == 0);
  void *b = lc_pool_alloc(200 * MB); /* the class of 224 MB blocks */
  CHECK(b != NULL);
  CHECK(lc_pool_idle(true) == 0);
  lc_pool_free(b, 200 * MB);
  lc_pool_trim();
  CHECK(setrlimit(RLIMIT_AS, &old) == 0);
}

#else

static void test_nothing_is_cached(void) {
  void *a = lc_pool_alloc(4000), *b = lc_pool_alloc(100 * MB);
  lc_pool_free(a, 4000);
  lc_pool_free(b, 100 * MB);
  CHECK(lc_pool_idle(false) == 0 && lc_pool_idle(true) == 0);
}

#endif

int main(void) {
#ifndef LUCID_NO_POOL
  test_small_blocks_come_back();
  test_big_blocks_come_back();
  test_big_store_is_bounded();
  test_short_memory_trims();
#else
  test_nothing_is_cached();
#endif
  return test_summary();
}
