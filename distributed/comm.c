/* comm.c: the communication thread (see comm.h). */
#define _GNU_SOURCE
#include "comm.h"

#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ld_work {
  ld_kind kind;
  ld_reduce op;
  lc_dtype dtype;
  void *send, *recv;
  int64_t count;
  int root;
  int64_t seq;       /* the nth collective of this process, from 1 */
  int status;        /* 0 queued or running, 1 done, -1 failed */
  int phase;         /* 0 not started, 1 debug check running, 2 collective running */
  double started;
  int64_t check[6];  /* the debug check: this call's descriptor ... */
  int64_t *checks;   /* ... and every rank's */
  MPI_Request req;
  char error[512];
  ld_work *next;
};

enum { TAG_STATUS_ASK = 1, TAG_STATUS_ANSWER = 2 };

static struct {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t wake, done; /* work queued; work finished */
  ld_work *head, *tail, *active;
  bool initialized, stopping, finalized;
  int rank, size, init_rc;
  double timeout;
  bool debug;
  int64_t submitted, completed;
  MPI_Comm coll, ctl, dbg; /* collectives; status questions; debug checks */
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

static const char *const kind_names[] = {"all_reduce", "broadcast", "all_gather", "reduce_scatter",
                                         "barrier"};
static const char *const reduce_names[] = {"sum", "avg", "max", "min", "product"};

const char *ld_kind_name(ld_kind k) { return kind_names[k]; }
const char *ld_reduce_name(ld_reduce r) { return reduce_names[r]; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static MPI_Datatype mpi_type(lc_dtype dt) {
  return dt == LC_FLOAT32 ? MPI_FLOAT : dt == LC_FLOAT64 ? MPI_DOUBLE : MPI_INT64_T;
}

static MPI_Op mpi_op(ld_reduce r) {
  return r == LD_MAX ? MPI_MAX : r == LD_MIN ? MPI_MIN : r == LD_PRODUCT ? MPI_PROD : MPI_SUM;
}

/* "all_reduce #3 (sum, float32, 10 elements)" */
static const char *describe(char *buf, size_t n, const int64_t d[6]) {
  ld_kind k = (ld_kind)d[1];
  if (k == LD_BARRIER) snprintf(buf, n, "barrier #%lld", (long long)d[0]);
  else if (k == LD_BROADCAST)
    snprintf(buf, n, "broadcast #%lld (root %lld, %s, %lld elements)", (long long)d[0],
             (long long)d[5], lc_dtype_name((lc_dtype)d[3]), (long long)d[4]);
  else
    snprintf(buf, n, "%s #%lld (%s, %s, %lld elements)", kind_names[k], (long long)d[0],
             reduce_names[d[2]], lc_dtype_name((lc_dtype)d[3]), (long long)d[4]);
  return buf;
}

/* ---- status questions: who has reached what ------------------------------ */

/* Answers every rank that asked where this one is: {last completed
 * collective, the one running or -1}. Runs between polls, idle or not. */
static void answer_questions(void) {
  int flag = 1;
  while (flag) {
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_STATUS_ASK, S.ctl, &flag, &st);
    if (!flag) break;
    int dummy;
    MPI_Recv(&dummy, 1, MPI_INT, st.MPI_SOURCE, TAG_STATUS_ASK, S.ctl, MPI_STATUS_IGNORE);
    int64_t where[2] = {S.completed, S.active ? S.active->seq : -1};
    MPI_Send(where, 2, MPI_INT64_T, st.MPI_SOURCE, TAG_STATUS_ANSWER, S.ctl);
  }
}

/* w outlived the timeout: ask the others where they are, say who never
 * reached w, and end the job (mpirun stops every rank). */
static void timed_out(ld_work *w) {
  int64_t *where = calloc((size_t)S.size * 2, sizeof *where);
  char *answered = calloc((size_t)S.size, 1);
  MPI_Request *asks = calloc((size_t)S.size, sizeof *asks);
  int dummy = 0;
  for (int r = 0; r < S.size; r++) {
    asks[r] = MPI_REQUEST_NULL;
    if (r != S.rank) MPI_Isend(&dummy, 1, MPI_INT, r, TAG_STATUS_ASK, S.ctl, &asks[r]);
  }
  double until = now() + 2.0;
  while (now() < until) {
    answer_questions();
    int flag;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_STATUS_ANSWER, S.ctl, &flag, &st);
    if (flag) {
      MPI_Recv(&where[2 * st.MPI_SOURCE], 2, MPI_INT64_T, st.MPI_SOURCE, TAG_STATUS_ANSWER, S.ctl,
               MPI_STATUS_IGNORE);
      answered[st.MPI_SOURCE] = 1;
    }
    int n = 0;
    for (int r = 0; r < S.size; r++) n += answered[r];
    if (n == S.size - 1) break;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  char what[160], line[4096];
  int len = snprintf(line, sizeof line,
                     "lucid.distributed: rank %d: %s did not complete within %g s (timeout)",
                     S.rank, describe(what, sizeof what, w->check), S.timeout);
  for (int r = 0; r < S.size && len < (int)sizeof line - 200; r++) {
    if (r == S.rank) continue;
    if (!answered[r])
      len += snprintf(line + len, sizeof line - len,
                      "\n  rank %d did not answer: it exited, or is stuck outside lucid", r);
    else if (where[2 * r + 1] != w->seq && where[2 * r] < w->seq)
      len += snprintf(line + len, sizeof line - len,
                      "\n  rank %d has not reached it (last completed collective: #%lld)", r,
                      (long long)where[2 * r]);
  }
  fprintf(stderr, "%s\n  ending the job\n", line);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 3);
  exit(3); /* not reached */
}

/* ---- driving one collective ---------------------------------------------- */

static void start_collective(ld_work *w) {
  MPI_Datatype t = mpi_type(w->dtype);
  int n = (int)w->count;
  switch (w->kind) {
  case LD_ALL_REDUCE:
    MPI_Iallreduce(MPI_IN_PLACE, w->send, n, t, mpi_op(w->op), S.coll, &w->req);
    break;
  case LD_BROADCAST: MPI_Ibcast(w->send, n, t, w->root, S.coll, &w->req); break;
  case LD_ALL_GATHER: MPI_Iallgather(w->send, n, t, w->recv, n, t, S.coll, &w->req); break;
  case LD_REDUCE_SCATTER:
    MPI_Ireduce_scatter_block(w->send, w->recv, n, t, mpi_op(w->op), S.coll, &w->req);
    break;
  case LD_BARRIER: MPI_Ibarrier(S.coll, &w->req); break;
  }
  w->phase = 2;
}

/* The debug check found every rank making the same call? */
static bool check_matches(ld_work *w) {
  for (int r = 0; r < S.size; r++) {
    const int64_t *d = &w->checks[6 * r];
    if (!memcmp(d, w->check, sizeof w->check)) continue;
    char mine[160], theirs[160];
    snprintf(w->error, sizeof w->error,
             "%s: ranks disagree on the collective call (LUCID_DISTRIBUTED_DEBUG): rank %d "
             "called %s, rank %d called %s",
             kind_names[w->kind], S.rank, describe(mine, sizeof mine, w->check), r,
             describe(theirs, sizeof theirs, d));
    return false;
  }
  return true;
}

static void divide(ld_work *w) { /* avg = sum / world size */
  void *p = w->kind == LD_REDUCE_SCATTER ? w->recv : w->send;
  if (w->dtype == LC_FLOAT32)
    for (int64_t i = 0; i < w->count; i++) ((float *)p)[i] /= (float)S.size;
  else
    for (int64_t i = 0; i < w->count; i++) ((double *)p)[i] /= S.size;
}

static void finish(ld_work *w, int status) {
  pthread_mutex_lock(&S.mu);
  w->status = status;
  S.completed = w->seq;
  S.active = NULL;
  pthread_cond_broadcast(&S.done);
  pthread_mutex_unlock(&S.mu);
}

/* One poll of the running collective. */
static void step(ld_work *w) {
  if (w->phase == 0) {
    w->started = now();
    if (S.debug) {
      w->checks = calloc((size_t)S.size * 6, sizeof *w->checks);
      MPI_Iallgather(w->check, 6, MPI_INT64_T, w->checks, 6, MPI_INT64_T, S.dbg, &w->req);
      w->phase = 1;
    } else {
      start_collective(w);
    }
    return;
  }
  int flag;
  MPI_Test(&w->req, &flag, MPI_STATUS_IGNORE);
  if (flag && w->phase == 1) {
    bool same = check_matches(w);
    free(w->checks);
    w->checks = NULL;
    if (same) start_collective(w);
    else finish(w, -1);
  } else if (flag) {
    if (w->op == LD_AVG && w->kind != LD_BARRIER && w->kind != LD_BROADCAST &&
        w->kind != LD_ALL_GATHER)
      divide(w);
    finish(w, 1);
  } else if (now() - w->started > S.timeout) {
    timed_out(w);
  } else if (now() - w->started > 0.002) {
    /* a long wait: poll less often, leaving the cores to the computation */
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
  }
}

static void *comm_main(void *arg) {
  (void)arg;
  int provided;
  int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  if (rc == MPI_SUCCESS) {
    MPI_Comm_rank(MPI_COMM_WORLD, &S.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &S.size);
    MPI_Comm_dup(MPI_COMM_WORLD, &S.coll);
    MPI_Comm_dup(MPI_COMM_WORLD, &S.ctl);
    MPI_Comm_dup(MPI_COMM_WORLD, &S.dbg);
  }
  pthread_mutex_lock(&S.mu);
  S.init_rc = rc == MPI_SUCCESS ? 0 : -1;
  S.initialized = rc == MPI_SUCCESS;
  pthread_cond_broadcast(&S.done);
  pthread_mutex_unlock(&S.mu);
  if (rc != MPI_SUCCESS) return NULL;
  for (;;) {
    pthread_mutex_lock(&S.mu);
    if (!S.active && !S.head && !S.stopping) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 2000000; /* idle: look for status questions every 2 ms */
      if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
      pthread_cond_timedwait(&S.wake, &S.mu, &ts);
    }
    if (!S.active && S.head) {
      S.active = S.head;
      S.head = S.head->next;
      if (!S.head) S.tail = NULL;
    }
    ld_work *w = S.active;
    bool stop = S.stopping && !w && !S.head;
    pthread_mutex_unlock(&S.mu);
    answer_questions();
    if (stop) break;
    if (w) step(w);
  }
  MPI_Comm_free(&S.coll);
  MPI_Comm_free(&S.ctl);
  MPI_Comm_free(&S.dbg);
  MPI_Finalize();
  return NULL;
}

/* ---- the caller's side ---------------------------------------------------- */

int ld_init(double timeout_s, bool debug, int *rank, int *world_size) {
  if (S.finalized) {
    lc_set_error("init_process_group: MPI cannot be started again in a process after "
                 "destroy_process_group");
    return -1;
  }
  if (!S.initialized) {
    S.timeout = timeout_s;
    S.debug = debug;
    S.init_rc = 1; /* pending */
    if (pthread_create(&S.thread, NULL, comm_main, NULL)) {
      lc_set_error("init_process_group: cannot start the communication thread");
      return -1;
    }
    pthread_mutex_lock(&S.mu);
    while (S.init_rc == 1) pthread_cond_wait(&S.done, &S.mu);
    pthread_mutex_unlock(&S.mu);
    if (S.init_rc) {
      pthread_join(S.thread, NULL);
      lc_set_error("init_process_group: MPI_Init failed");
      return -1;
    }
    atexit(ld_finalize);
  }
  *rank = S.rank;
  *world_size = S.size;
  return 0;
}

bool ld_is_initialized(void) { return S.initialized; }

void ld_finalize(void) {
  if (!S.initialized) return;
  pthread_mutex_lock(&S.mu);
  S.stopping = true;
  pthread_cond_signal(&S.wake);
  pthread_mutex_unlock(&S.mu);
  pthread_join(S.thread, NULL);
  S.initialized = false;
  S.finalized = true;
}

ld_work *ld_submit(ld_kind kind, ld_reduce op, lc_dtype dt, void *send, void *recv, int64_t count,
                   int root) {
  if (!S.initialized) {
    lc_set_error("%s: the process group is not initialized (call init_process_group)",
                 kind_names[kind]);
    return NULL;
  }
  if (count > INT_MAX) {
    lc_set_error("%s: at most %d elements per collective, got %lld", kind_names[kind], INT_MAX,
                 (long long)count);
    return NULL;
  }
  ld_work *w = calloc(1, sizeof *w);
  if (!w) {
    lc_set_error("%s: out of memory", kind_names[kind]);
    return NULL;
  }
  *w = (ld_work){.kind = kind, .op = op, .dtype = dt, .send = send, .recv = recv,
                 .count = count, .root = root};
  pthread_mutex_lock(&S.mu);
  w->seq = ++S.submitted;
  int64_t d[6] = {w->seq, kind, kind == LD_ALL_REDUCE || kind == LD_REDUCE_SCATTER ? op : 0,
                  kind == LD_BARRIER ? 0 : dt, kind == LD_BARRIER ? 0 : count,
                  kind == LD_BROADCAST ? root : 0};
  memcpy(w->check, d, sizeof d);
  if (S.tail) S.tail->next = w;
  else S.head = w;
  S.tail = w;
  pthread_cond_signal(&S.wake);
  pthread_mutex_unlock(&S.mu);
  return w;
}

bool ld_done(ld_work *w) {
  pthread_mutex_lock(&S.mu);
  bool done = w->status != 0;
  pthread_mutex_unlock(&S.mu);
  return done;
}

int ld_wait(ld_work *w) {
  pthread_mutex_lock(&S.mu);
  while (w->status == 0) pthread_cond_wait(&S.done, &S.mu);
  pthread_mutex_unlock(&S.mu);
  int rc = w->status < 0 ? -1 : 0;
  if (rc) lc_set_error("%s", w->error);
  free(w);
  return rc;
}
