/* comm.h: collectives over MPI, run by one communication thread of their own.
 *
 * The caller queues a collective on raw contiguous buffers and waits for it
 * (or not: every call is asynchronous underneath). The thread is the only
 * one that calls MPI (MPI_THREAD_FUNNELED). It drives each collective with
 * non-blocking calls and polling, because Open MPI has no asynchronous
 * progress thread: polling is what moves the data, and it lets the thread
 * watch the clock and answer other ranks' status questions while it waits.
 * A collective that outlives the timeout ends the job with a message naming
 * it and the ranks that never reached it: a hang is the worst outcome. */
#ifndef LD_COMM_H
#define LD_COMM_H

#include <stdbool.h>
#include <stdint.h>

#include "lc.h"

typedef enum { LD_ALL_REDUCE, LD_BROADCAST, LD_ALL_GATHER, LD_REDUCE_SCATTER, LD_BARRIER } ld_kind;
typedef enum { LD_SUM, LD_AVG, LD_MAX, LD_MIN, LD_PRODUCT } ld_reduce;

typedef struct ld_work ld_work;

/* Starts MPI on the communication thread (a world of 1 without mpirun).
 * debug: before each collective, check that every rank makes the same call. */
int ld_init(double timeout_s, bool debug, int *rank, int *world_size);
bool ld_is_initialized(void);
/* Drains the queue, finalizes MPI and joins the thread. Also runs at exit. */
void ld_finalize(void);

/* Queues a collective. count: elements per rank. all_reduce and broadcast
 * work in place on send (recv unused); all_gather writes world_size * count
 * elements to recv; reduce_scatter reads world_size * count from send and
 * writes count to recv. The buffers must stay valid until ld_wait returns. */
ld_work *ld_submit(ld_kind kind, ld_reduce op, lc_dtype dt, void *send, void *recv, int64_t count,
                   int root);
bool ld_done(ld_work *w);
/* Waits for w and frees it: 0, or -1 with lc_set_error (a mismatch found by
 * the debug check). */
int ld_wait(ld_work *w);

const char *ld_kind_name(ld_kind k);
const char *ld_reduce_name(ld_reduce r);

#endif
