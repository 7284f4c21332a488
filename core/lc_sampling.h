/* lc_sampling.h: random indices (sampling.c) for lucid.randperm, lucid.multinomial
 * and the data samplers: permutations,
 * uniform draws and weighted draws, from the global generator or from a
 * private stream with its own seed, so a DataLoader's order is reproducible
 * without reseeding (and disturbing) the global generator. */
#ifndef LC_SAMPLING_H
#define LC_SAMPLING_H

#include "lc.h"

/* A source of random words: the global Philox generator (own == false), or
 * the Philox stream keyed by seed, read from block `offset` on (advanced by
 * every draw, so successive draws differ and a saved offset replays them). */
typedef struct {
  bool own;
  uint64_t seed, offset;
} lc_stream;

/* A random permutation of base .. base + n - 1 (int64, shape (n)). */
LC_API lc_tensor *lc_randperm(int64_t n, int64_t base, lc_stream *s);

/* count indices drawn uniformly with replacement from base .. base + n - 1. */
LC_API lc_tensor *lc_randindex(int64_t n, int64_t count, int64_t base, lc_stream *s);

/* count indices base .. base + n - 1 per row of weights (n weights, 1-D or
 * 2-D rows; float, non-negative, finite, positive sum), drawn with
 * probability proportional to the weights, with or without replacement
 * (then count <= the row's number of positive weights). Shape (count) or
 * (rows, count). */
LC_API lc_tensor *lc_multinomial(const lc_tensor *weights, int64_t count, bool replacement,
                          int64_t base, lc_stream *s);

#endif
