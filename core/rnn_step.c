/* rnn_step.c: one step of a recurrent cell as one autograd node, for the
 * cell modules (RNNCell, GRUCell, LSTMCell) that user code calls in tight
 * loops. rnn.c runs whole sequences; through it a single step paid for the
 * sequence machinery (step tables, a copy of the input state per row, an
 * output sequence beside the state, a backward through time). Here a step
 * is two GEMMs and one pass of the cell's row functions (rnn_cells.c), and
 * its backward the row functions' backward and five GEMMs:
 *
 *   forward   xw (N, G) = x W_ih^T,  hw (N, G) = h W_hh^T,  G = gates * H
 *             h', c', ws (N, work*H) = cell rows (xw, hw, b_ih, b_hh, p, h, c)
 *   backward  gi, gh (N, G), dprev (N, H), dc, gp = cell rows backward
 *             dx = gi W_ih (N, I)      dW_ih = gi^T x (G, I)   db_ih = sum_rows gi
 *             dh = gh W_hh + dprev     dW_hh = gh^T h (G, H)   db_hh = sum_rows gh
 *             dp = sum_rows gp
 *
 * gh is gi unless the cell splits its recurrent gradient (GRU); dprev is
 * there only for cells whose new state depends on h directly (GRU's z h).
 *
 * Weight dropout runs the step on W_hh' = W_hh * mask (rnn_dropconnect.c,
 * made here once per call); dh uses W_hh' and dW_hh = (gh^T h) * mask.
 * The cell's own parameter p comes in parts (a module's peephole weights,
 * its layer norms' gains and biases as registered), joined here into one
 * vector for the rows; dp is split back into one gradient per part. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_blas.h"
#include "lc_internal.h"

/* Node inputs (I_P: the first of LC_RNN_STEP_PARTS parts) and saved
 * tensors (S_W_HH: the weight the step ran on, W_hh' under weight dropout;
 * S_P: the joined parameter). */
enum { I_X, I_H, I_C, I_W_IH, I_W_HH, I_B_IH, I_B_HH, I_P, N_INPUTS = I_P + LC_RNN_STEP_PARTS };
enum { S_X, S_H, S_W_IH, S_W_HH, S_OUT, S_P, N_SAVED };

typedef struct {
  const lc_rnn_cell *cell;
  lc_tensor *ws;    /* (N, work*H), NULL when work is 0; owned by the node */
  lc_tensor *noise; /* weight dropout's draws (G, H), contiguous, or NULL; and its p */
  double drop;
  int64_t part_len[LC_RNN_STEP_PARTS]; /* elements of each part of p (-1: absent) */
} step_ctx;

static void free_step_ctx(lc_node *n) {
  step_ctx *s = n->ctx;
  lc_release(s->ws);
  lc_release(s->noise);
  free(s);
}

/* The buffers of the rows of one step, and which pass runs on them. */
typedef struct {
  const lc_rnn_cell *cell;
  lc_dtype dt;
  bool back;
  int64_t H, G, W, X;
  const char *xw, *hw, *b_ih, *b_hh, *p, *h;
  char *c, *ws, *out, *dout, *dc, *gi, *gh, *dprev, *gp;
} step_rows;

static void *row(const char *base, int64_t r, int64_t width, size_t es) {
  return base ? (void *)(base + r * width * (int64_t)es) : NULL;
}

static void run_row(const step_rows *s, int64_t r) {
  size_t es = lc_dtype_size(s->dt);
  lc_rnn_row w = {.H = s->H, .xw = row(s->xw, r, s->G, es), .hw = row(s->hw, r, s->G, es),
                  .b_ih = s->b_ih, .b_hh = s->b_hh, .p = s->p, .hprev = row(s->h, r, s->H, es),
                  .c = row(s->c, r, s->H, es), .ws = row(s->ws, r, s->W, es),
                  .out = row(s->out, r, s->H, es), .dout = row(s->dout, r, s->H, es),
                  .dc = row(s->dc, r, s->H, es), .gi = row(s->gi, r, s->G, es),
                  .gh = row(s->gh, r, s->G, es), .dprev = row(s->dprev, r, s->H, es),
                  .gp = row(s->gp, r, s->X, es)};
  (s->back ? s->cell->backward : s->cell->forward)(s->dt, &w);
}

/* Every row, on the threads only above the grain: a cell loop's steps are
 * far below it, and even an inactive parallel region costs a team start. */
static void run_rows(const step_rows *s, int64_t rows) {
  if (rows * s->G < LC_PARALLEL_GRAIN || omp_in_parallel()) {
    for (int64_t r = 0; r < rows; r++) run_row(s, r);
    return;
  }
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) run_row(s, r);
}

static char *data(const lc_tensor *t) { return t ? lc_data(t) : NULL; }

/* ---- backward ------------------------------------------------------------ */

/* A new (rows, cols) product op(A) op(B) of row-major contiguous operands
 * in *out, or -1. */
static int product(lc_dtype dt, bool ta, int64_t rows, int64_t cols, int64_t k, const void *a,
                   int64_t lda, const void *b, lc_tensor **out) {
  int64_t s[2] = {rows, cols};
  if (!(*out = lc_empty(dt, 2, s))) return -1;
  lc_blas_gemm(dt, false, ta, false, rows, cols, k, 1, a, lda, b, cols, 0, lc_data(*out), cols);
  return 0;
}

/* The (cols) sums of the rows of a (rows, cols) tensor: a bias gradient. */
static int row_sums(lc_tensor *t, lc_tensor **out) { return (*out = lc_sum(t, 0, false)) ? 0 : -1; }

/* dp (X) = the row sums of gp (N, X), split into the gradients of the
 * parts of p that need one. */
static int part_grads(lc_node *n, const step_ctx *ctx, lc_tensor *gp, lc_tensor **gin) {
  bool any = false;
  for (int k = 0; k < LC_RNN_STEP_PARTS; k++)
    any = any || (ctx->part_len[k] >= 0 && lc_node_needs_grad(n, I_P + k));
  lc_tensor *dp = NULL;
  if (!any) return 0;
  if (row_sums(gp, &dp)) return -1;
  size_t es = lc_dtype_size(dp->dtype);
  int64_t at = 0;
  int rc = 0;
  for (int k = 0; k < LC_RNN_STEP_PARTS && !rc; k++) {
    int64_t len = ctx->part_len[k];
    if (len >= 0 && lc_node_needs_grad(n, I_P + k)) {
      if (len == dp->sizes[0]) gin[I_P + k] = lc_retain(dp); /* the only part */
      else if (!(gin[I_P + k] = lc_empty(dp->dtype, 1, &len))) rc = -1;
      else if (len > 0) /* an empty part may have no data pointer */
        memcpy(lc_data(gin[I_P + k]), (char *)lc_data(dp) + at * (int64_t)es, (size_t)len * es);
    }
    if (len > 0) at += len;
  }
  lc_release(dp);
  return rc;
}

static int step_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  step_ctx *ctx = n->ctx;
  const lc_rnn_cell *cell = ctx->cell;
  lc_tensor *x = lc_node_saved(n, S_X), *h = lc_node_saved(n, S_H), *w_ih = lc_node_saved(n, S_W_IH);
  lc_tensor *w_hh = lc_node_saved(n, S_W_HH), *out = lc_node_saved(n, S_OUT);
  lc_tensor *p = cell->extra ? lc_node_saved(n, S_P) : NULL;
  if (!x || !h || !w_ih || !w_hh || !out || (cell->extra && !p)) return -1;
  lc_dtype dt = x->dtype;
  int64_t N = x->sizes[0], I = x->sizes[1], H = h->sizes[1], G = cell->gates * H, X = cell->extra * H;
  int64_t gs[2] = {N, G}, ps[2] = {N, X};
  /* dh starts as dL/dh' (the row functions read it as dout) and ends as
   * dL/dh; dc likewise (in place in the row functions) */
  lc_tensor *dh = lc_clone(g[0]), *dc = cell->has_cell ? lc_clone(g[1]) : NULL;
  lc_tensor *gi = lc_empty(dt, 2, gs);
  lc_tensor *gh = cell->split_recurrent ? lc_empty(dt, 2, gs) : lc_retain(gi);
  lc_tensor *gp = cell->extra ? lc_zeros(dt, 2, ps) : NULL; /* the rows add their part */
  int rc = !dh || (cell->has_cell && !dc) || !gi || !gh || (cell->extra && !gp) ? -1 : 0;
  if (!rc) {
    step_rows s = {.cell = cell, .dt = dt, .back = true, .H = H, .G = G, .W = cell->work * H,
                   .X = X, .p = data(p), .h = data(h), .ws = data(ctx->ws), .out = data(out),
                   .dout = data(dh), .dc = data(dc), .gi = data(gi),
                   .gh = cell->split_recurrent ? data(gh) : NULL,
                   .dprev = cell->direct_state ? data(dh) : NULL, .gp = data(gp)};
    run_rows(&s, N);
  }
  if (!rc && lc_node_needs_grad(n, I_X)) rc = product(dt, false, N, I, G, data(gi), G, data(w_ih), &gin[I_X]);
  if (!rc && lc_node_needs_grad(n, I_H)) {
    /* the part through W_hh, added to the direct part the rows left in dh */
    lc_blas_gemm(dt, false, false, false, N, H, G, 1, data(gh), G, data(w_hh), H,
                 cell->direct_state ? 1 : 0, data(dh), H);
    gin[I_H] = lc_retain(dh);
  }
  if (!rc && dc && lc_node_needs_grad(n, I_C)) gin[I_C] = lc_retain(dc);
  if (!rc && lc_node_needs_grad(n, I_W_IH)) rc = product(dt, true, G, I, N, data(gi), G, data(x), &gin[I_W_IH]);
  if (!rc && lc_node_needs_grad(n, I_W_HH)) {
    rc = product(dt, true, G, H, N, data(gh), G, data(h), &gin[I_W_HH]);
    if (!rc && ctx->noise) /* through the mask to the raw weight */
      lc_rnn_dropconnect(dt, G * H, data(gin[I_W_HH]), data(ctx->noise), ctx->drop, data(gin[I_W_HH]));
  }
  if (!rc && lc_node_needs_grad(n, I_B_IH)) rc = row_sums(gi, &gin[I_B_IH]);
  if (!rc && lc_node_needs_grad(n, I_B_HH)) rc = row_sums(gh, &gin[I_B_HH]);
  if (!rc && gp) rc = part_grads(n, ctx, gp, gin);
  lc_release(dh), lc_release(dc), lc_release(gi), lc_release(gh), lc_release(gp);
  return rc;
}

/* ---- forward ------------------------------------------------------------- */

/* The parts of the cell's parameter: each 1-D of dtype dt, X elements in
 * all (none for a cell without a parameter); their lengths in len. */
static int check_parts(const lc_rnn_cell *cell, const lc_rnn_step_args *a, int64_t X, lc_dtype dt,
                       int64_t *len) {
  const char *op = cell->op;
  int64_t total = 0;
  for (int k = 0; k < LC_RNN_STEP_PARTS; k++) {
    const lc_tensor *t = a->extra[k];
    len[k] = -1;
    if (!t) continue;
    if (!cell->extra) {
      lc_fail(LC_ERR_ARG, op, "the cell %s takes no parameter of its own", cell->name);
      return -1;
    }
    if (t->ndim != 1 || t->dtype != dt) {
      char got[128];
      lc_fail(LC_ERR_SHAPE, op, "part %d of the cell's parameter has shape %s and dtype %s, expected 1-D %s",
              k + 1, lc_shape_str(got, t->ndim, t->sizes), lc_dtype_name(t->dtype), lc_dtype_name(dt));
      return -1;
    }
    total += len[k] = t->sizes[0];
  }
  if (total != X) {
    lc_fail(LC_ERR_SHAPE, op, "the cell's parameter has %lld elements (its parts together), expected %lld",
            (long long)total, (long long)X);
    return -1;
  }
  return 0;
}

static int check(const lc_rnn_cell *cell, const lc_rnn_step_args *a, int64_t *part_len) {
  const char *op = cell->op;
  if (!a->x || !a->h || !a->w_ih || !a->w_hh) {
    lc_fail(LC_ERR_ARG, op, "a cell step needs x, h, w_ih and w_hh");
    return -1;
  }
  lc_dtype dt = a->x->dtype;
  if (!lc_dtype_is_float(dt) || a->x->ndim != 2 || a->h->ndim != 2) {
    lc_fail(LC_ERR_SHAPE, op, "a cell step takes a 2-D (N, I) float input and a 2-D (N, H) state");
    return -1;
  }
  int64_t N = a->x->sizes[0], I = a->x->sizes[1], H = a->h->sizes[1], G = cell->gates * H;
  if (!lc_rnn_fits(op, "h", a->h, false, 2, N, H, dt) || !lc_rnn_fits(op, "weight_ih", a->w_ih, false, 2, G, I, dt) ||
      !lc_rnn_fits(op, "weight_hh", a->w_hh, false, 2, G, H, dt) ||
      !lc_rnn_fits(op, "c", a->c, !cell->has_cell, 2, N, H, dt) ||
      !lc_rnn_fits(op, "bias_ih", a->b_ih, true, 1, G, 0, dt) || !lc_rnn_fits(op, "bias_hh", a->b_hh, true, 1, G, 0, dt) ||
      !lc_rnn_dropconnect_fits(op, a->w_hh_noise, a->w_hh_dropout, G, H, dt))
    return -1;
  if (a->c && !cell->has_cell) {
    lc_fail(LC_ERR_ARG, op, "c given, but this cell (%s) has no cell state", cell->name);
    return -1;
  }
  if (!a->b_ih != !a->b_hh || (a->b_ih && !cell->biased)) {
    lc_fail(LC_ERR_ARG, op, cell->biased ? "give both biases or neither"
                                         : "the cell %s takes no biases (its layer norms have their own)",
            cell->name);
    return -1;
  }
  return check_parts(cell, a, cell->extra * H, dt, part_len);
}

/* The parts of p joined into one contiguous (X) vector; a single part as
 * it is (contiguous). */
static lc_tensor *join_parts(const lc_rnn_step_args *a, lc_dtype dt, int64_t X) {
  const lc_tensor *only = NULL;
  int n = 0;
  for (int k = 0; k < LC_RNN_STEP_PARTS; k++)
    if (a->extra[k]) only = a->extra[k], n++;
  if (n == 1) return lc_contiguous(only);
  lc_tensor *p = lc_empty(dt, 1, &X);
  size_t es = lc_dtype_size(dt);
  int64_t at = 0;
  for (int k = 0; p && k < LC_RNN_STEP_PARTS; k++) {
    if (!a->extra[k]) continue;
    lc_tensor *part = lc_contiguous(a->extra[k]);
    if (!part) {
      lc_release(p);
      return NULL;
    }
    if (part->sizes[0] > 0) /* an empty part may have no data pointer */
      memcpy((char *)lc_data(p) + at * (int64_t)es, lc_data(part), (size_t)part->sizes[0] * es);
    at += part->sizes[0];
    lc_release(part);
  }
  return p;
}

/* The weight the step runs on: w_hh itself (contiguous), or under weight
 * dropout a new W_hh' and the contiguous draws in *noise. */
static lc_tensor *step_weight(const lc_rnn_step_args *a, lc_tensor **noise) {
  lc_tensor *raw = lc_contiguous(a->w_hh);
  *noise = NULL;
  if (!a->w_hh_noise || !raw) return raw;
  lc_tensor *w = NULL;
  if ((*noise = lc_contiguous(a->w_hh_noise)) && (w = lc_empty(raw->dtype, 2, raw->sizes)))
    lc_rnn_dropconnect(raw->dtype, lc_numel(raw), lc_data(raw), lc_data(*noise), a->w_hh_dropout, lc_data(w));
  lc_release(raw);
  return w;
}

int lc_rnn_cell_step(const lc_rnn_step_args *a, lc_tensor **h_out, lc_tensor **c_out) {
  *h_out = NULL;
  if (c_out) *c_out = NULL;
  const lc_rnn_cell *cell = lc_rnn_cell_find(a->cell);
  int64_t part_len[LC_RNN_STEP_PARTS];
  if (!cell || check(cell, a, part_len)) return -1;
  lc_dtype dt = a->x->dtype;
  int64_t N = a->x->sizes[0], I = a->x->sizes[1], H = a->h->sizes[1];
  int64_t G = cell->gates * H, X = cell->extra * H;
  int64_t gs[2] = {N, G}, hs[2] = {N, H}, ws_sizes[2] = {N, cell->work * H};
  const lc_tensor *ins[N_INPUTS] = {a->x, a->h, a->c, a->w_ih, a->w_hh, a->b_ih, a->b_hh};
  for (int k = 0; k < LC_RNN_STEP_PARTS; k++) ins[I_P + k] = a->extra[k];
  bool record = lc_should_record(N_INPUTS, ins);
  lc_tensor *noise, *w_hh = step_weight(a, &noise);
  lc_tensor *x = lc_contiguous(a->x), *h = lc_contiguous(a->h), *w_ih = lc_contiguous(a->w_ih);
  lc_tensor *b_ih = a->b_ih ? lc_contiguous(a->b_ih) : NULL, *b_hh = a->b_hh ? lc_contiguous(a->b_hh) : NULL;
  lc_tensor *p = X ? join_parts(a, dt, X) : NULL;
  lc_tensor *xw = lc_empty(dt, 2, gs), *hw = lc_empty(dt, 2, gs), *out = lc_empty(dt, 2, hs);
  lc_tensor *cs = cell->has_cell ? lc_clone(a->c) : NULL; /* c' overwrites it row by row */
  lc_tensor *ws = cell->work ? lc_empty(dt, 2, ws_sizes) : NULL;
  step_ctx *ctx = record ? lc_calloc(1, sizeof *ctx, cell->op) : NULL;
  int rc = !x || !h || !w_ih || !w_hh || (a->b_ih && (!b_ih || !b_hh)) || (X && !p) || !xw || !hw || !out ||
                   (cell->has_cell && !cs) || (cell->work && !ws) || (record && !ctx)
               ? -1
               : 0;
  if (!rc) {
    lc_blas_gemm(dt, false, false, true, N, G, I, 1, data(x), I, data(w_ih), I, 0, data(xw), G);
    lc_blas_gemm(dt, false, false, true, N, G, H, 1, data(h), H, data(w_hh), H, 0, data(hw), G);
    step_rows s = {.cell = cell, .dt = dt, .H = H, .G = G, .W = cell->work * H, .X = X,
                   .xw = data(xw), .hw = data(hw), .b_ih = data(b_ih), .b_hh = data(b_hh),
                   .p = data(p), .h = data(h), .c = data(cs), .ws = data(ws), .out = data(out)};
    run_rows(&s, N);
  }
  if (!rc && record) {
    lc_node *node = lc_node_new(cell->node, step_backward, N_INPUTS, ins, cell->has_cell ? 2 : 1);
    /* an absent p is saved as w_hh, to keep the positions */
    bool ok = node && !lc_node_save(node, x) && !lc_node_save(node, h) && !lc_node_save(node, w_ih) &&
              !lc_node_save(node, w_hh) && !lc_node_save(node, out) && !lc_node_save(node, p ? p : w_hh);
    if (ok) {
      ctx->cell = cell, ctx->ws = ws, ws = NULL;
      ctx->noise = noise, noise = NULL, ctx->drop = a->w_hh_dropout;
      memcpy(ctx->part_len, part_len, sizeof part_len);
      node->ctx = ctx, node->free_ctx = free_step_ctx, node->ctx_saved = true, ctx = NULL;
      lc_tensor *outs[2] = {out, cs};
      lc_node_attach(node, outs, cell->has_cell ? 2 : 1);
    } else {
      rc = -1;
    }
    lc_node_release(node);
  }
  free(ctx);
  lc_release(x), lc_release(h), lc_release(w_ih), lc_release(w_hh), lc_release(b_ih), lc_release(noise);
  lc_release(b_hh), lc_release(p), lc_release(xw), lc_release(hw), lc_release(ws);
  if (rc) {
    lc_release(out), lc_release(cs);
    return -1;
  }
  *h_out = out;
  if (c_out) *c_out = cs;
  else lc_release(cs);
  return 0;
}
