/* test_rnn.c: the fused recurrent layer (rnn.c) and every cell descriptor
 * of its table (rnn_cells.c): float64 finite-difference gradients of each
 * kind, padded and packed, forward and reverse, with and without biases,
 * projection, a recurrent dropout mask, zoneout and weight dropout; the table's invariants; the state a finished sequence keeps;
 * the same outputs with and without recording; the errors. Values against
 * PyTorch are the Lua specs' (tests/lua/nn/rnn_spec.lua, cells_spec.lua). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

enum { I = 3, H = 4, N = 3, P = 2 }; /* input, hidden, batch, projection */

/* One layer's configuration, the ctx of the loss. */
typedef struct {
  const char *cell;
  bool reverse;
  int64_t steps;
  const int64_t *batch_sizes;
  const lc_tensor *h_mask; /* recurrent dropout, or NULL */
  const lc_tensor *zh, *zc; /* zoneout, or NULL */
  const lc_tensor *noise;   /* weight dropout's draws, or NULL */
  double p;                 /* and its probability */
} layer_cfg;

/* Inputs in lc_rnn_args order. */
enum { X, H0, C0, W_IH, W_HH, B_IH, B_HH, W_HR, PE, N_IN };

static lc_tensor *add_into(lc_tensor *acc, lc_tensor *t) {
  if (!acc || !t) {
    lc_release(acc), lc_release(t);
    return NULL;
  }
  lc_tensor *s = lc_binary(LC_ADD, acc, t);
  lc_release(acc), lc_release(t);
  return s;
}

/* sum(w1 y) + sum(w2 h_n) (+ sum(w3 c_n)): every output reaches the loss. */
static lc_tensor *layer_loss(lc_tensor *const *in, void *ctx) {
  const layer_cfg *cfg = ctx;
  lc_rnn_args a = {.cell = cfg->cell, .reverse = cfg->reverse, .steps = cfg->steps,
                   .batch_sizes = cfg->batch_sizes, .x = in[X], .h0 = in[H0], .c0 = in[C0],
                   .w_ih = in[W_IH], .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH],
                   .w_hr = in[W_HR], .extra = in[PE], .h_mask = cfg->h_mask,
                   .zoneout_h = cfg->zh, .zoneout_c = cfg->zc, .w_hh_noise = cfg->noise,
                   .w_hh_dropout = cfg->p};
  lc_tensor *y, *h, *c;
  if (lc_rnn_layer(&a, &y, &h, &c)) return NULL;
  lc_tensor *loss = add_into(gc_weighted_sum(y), gc_weighted_sum(h));
  if (c) loss = add_into(loss, gc_weighted_sum(c));
  lc_release(y), lc_release(h), lc_release(c);
  return loss;
}

/* Leaves for one layer of kind cell over T rows; absent inputs are NULL. */
static void make_inputs(const lc_rnn_cell *cell, int64_t T, bool bias, bool proj, lc_tensor **in) {
  int64_t G = cell->gates * H, Ho = proj ? P : H;
  memset(in, 0, N_IN * sizeof *in);
  in[X] = gc_leaf(2, DIMS(T, I), -1, 1);
  in[H0] = gc_leaf(2, DIMS(N, Ho), -0.5, 0.5);
  if (cell->has_cell) in[C0] = gc_leaf(2, DIMS(N, H), -0.5, 0.5);
  in[W_IH] = gc_leaf(2, DIMS(G, I), -0.6, 0.6);
  in[W_HH] = gc_leaf(2, DIMS(G, Ho), -0.6, 0.6);
  if (bias) {
    in[B_IH] = gc_leaf(1, DIMS(G), -0.3, 0.3);
    in[B_HH] = gc_leaf(1, DIMS(G), -0.3, 0.3);
  }
  if (proj) in[W_HR] = gc_leaf(2, DIMS(P, H), -0.6, 0.6);
  if (cell->extra) in[PE] = gc_leaf(1, DIMS(cell->extra * H), -0.8, 0.8);
}

static void release_inputs(lc_tensor **in) {
  for (int k = 0; k < N_IN; k++) lc_release(in[k]);
}

/* A recurrent dropout mask (N, width): zeros and 1 / keep, as the modules draw it. */
static lc_tensor *make_mask(int64_t width) {
  lc_tensor *m = lc_empty(LC_FLOAT64, 2, DIMS(N, width));
  for (int64_t i = 0; i < N * width; i++) set(m, i, i % 3 == 1 ? 0.0 : 1.5);
  return m;
}

/* Zoneout weights (T, width): 0, 1 (training's draws) and 0.3 (eval's p). */
static lc_tensor *make_zoneout(int64_t T, int64_t width, int shift) {
  lc_tensor *z = lc_empty(LC_FLOAT64, 2, DIMS(T, width));
  static const double v[] = {0.0, 1.0, 0.3, 1.0, 0.0};
  for (int64_t i = 0; i < T * width; i++) set(z, i, v[(i + shift) % 5]);
  return z;
}

/* Every descriptor, every layout: the gradients of all inputs. */
static void test_gradcheck_every_cell(void) {
  static const int64_t packed[] = {3, 3, 2, 1}; /* 9 rows, sequences of 4, 3 and 2 steps */
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    for (int variant = 0; variant < 4; variant++) {
      bool is_packed = variant & 1, reverse = variant & 2;
      /* plain, no bias, projected, masked, masked and projected, zoneout, all */
      for (int opt = 0; opt < 7; opt++) {
        bool bias = opt != 1, proj = opt == 2 || opt == 4 || opt == 6;
        bool masked = opt == 3 || opt == 4 || opt == 6, zone = opt >= 5;
        if ((proj && !cell->projectable) || (opt == 1 && !cell->biased)) continue;
        bias = bias && cell->biased;
        int64_t T = is_packed ? 9 : 4 * N;
        lc_tensor *mask = masked ? make_mask(proj ? P : H) : NULL;
        lc_tensor *zh = zone ? make_zoneout(T, proj ? P : H, 0) : NULL;
        lc_tensor *zc = zone && cell->has_cell ? make_zoneout(T, H, 2) : NULL;
        layer_cfg cfg = {cell->name, reverse, 4, is_packed ? packed : NULL, mask, zh, zc, NULL, 0};
        lc_tensor *in[N_IN];
        make_inputs(cell, T, bias, proj, in);
        char name[128];
        snprintf(name, sizeof name, "%s %s%s%s%s%s%s", cell->name, is_packed ? "packed" : "padded",
                 reverse ? " reverse" : "", bias ? "" : " no bias", proj ? " projected" : "",
                 masked ? " recurrent dropout" : "", zone ? " zoneout" : "");
        /* the layer norms' curvature leaves a central-difference truncation
         * error of a few 1e-7 relative at eps = 1e-6 (it grows with eps and
         * rounding takes over below): their rtol is 1e-6 */
        double rtol = strstr(cell->name, "_ln") ? 1e-6 : GC_RTOL;
        int bad = gradcheck_tol(name, layer_loss, in, N_IN, &cfg, GC_EPS, rtol, GC_ATOL);
        CHECK(bad == 0);
        if (bad) fprintf(stderr, "  in: %s\n", name);
        release_inputs(in);
        lc_release(mask), lc_release(zh), lc_release(zc);
      }
    }
  }
}

/* The table: names unique and found by name, widths and flags consistent. */
static void test_table(void) {
  CHECK(lc_rnn_cell_count() >= 4);
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *c = lc_rnn_cell_at(i);
    CHECK(lc_rnn_cell_find(c->name) == c);
    CHECK(c->gates >= 1 && c->work >= 0 && c->extra >= 0 && c->forward && c->backward && c->op && c->node);
    CHECK(!(c->projectable && c->direct_state)); /* the direct part would skip W_hr */
  }
  CHECK(lc_rnn_cell_at(-1) == NULL && lc_rnn_cell_at(lc_rnn_cell_count()) == NULL);
  CHECK(lc_rnn_cell_find("lstm")->gates == 4 && lc_rnn_cell_find("gru")->gates == 3);
  CHECK(lc_rnn_cell_find("lstm")->has_cell && !lc_rnn_cell_find("gru")->has_cell);
  CHECK(lc_rnn_cell_find("nope") == NULL);
  CHECK_CONTAINS(lc_error(), "unknown cell kind 'nope'");
  CHECK_CONTAINS(lc_error(), "rnn_tanh, rnn_relu, gru, lstm, lstm_peephole, lstm_ln, gru_ln");
}

/* One tanh step worked out by hand: h' = tanh(w x + b + u h + c). */
static void test_tanh_step_value(void) {
  lc_tensor *x = from(LC_FLOAT64, 2, DIMS(1, 1), VALS(0.5));
  lc_tensor *h0 = from(LC_FLOAT64, 2, DIMS(1, 1), VALS(-0.25));
  lc_tensor *w = from(LC_FLOAT64, 2, DIMS(1, 1), VALS(0.8));
  lc_tensor *u = from(LC_FLOAT64, 2, DIMS(1, 1), VALS(1.5));
  lc_tensor *b = from(LC_FLOAT64, 1, DIMS(1), VALS(0.1));
  lc_tensor *c = from(LC_FLOAT64, 1, DIMS(1), VALS(-0.2));
  lc_rnn_args a = {.cell = "rnn_tanh", .steps = 1, .x = x, .h0 = h0, .w_ih = w, .w_hh = u,
                   .b_ih = b, .b_hh = c};
  lc_tensor *y, *h, *cn;
  CHECK(lc_rnn_layer(&a, &y, &h, &cn) == 0 && cn == NULL);
  double want = tanh(0.8 * 0.5 + 0.1 + 1.5 * -0.25 - 0.2);
  check_tensor(y, 2, DIMS(1, 1), VALS(want), 1e-15);
  check_tensor(h, 2, DIMS(1, 1), VALS(want), 1e-15);
  lc_release(x), lc_release(h0), lc_release(w), lc_release(u), lc_release(b), lc_release(c);
  lc_release(y), lc_release(h);
}

/* A packed batch: each sequence's h_n is its output at its own last step,
 * and the outputs agree with and without recording (the workspace then
 * holds one step's rows instead of all of them). */
static void test_packed_state_and_no_grad(void) {
  static const int64_t packed[] = {3, 3, 2, 1}; /* lengths 4, 3, 2 */
  static const int64_t last_row[N] = {8, 7, 5};  /* each sequence's row at its last step */
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    lc_tensor *in[N_IN];
    make_inputs(cell, 9, cell->biased, false, in);
    lc_rnn_args a = {.cell = cell->name, .steps = 4, .batch_sizes = packed, .x = in[X],
                     .h0 = in[H0], .c0 = in[C0], .w_ih = in[W_IH], .w_hh = in[W_HH],
                     .b_ih = in[B_IH], .b_hh = in[B_HH], .extra = in[PE]};
    lc_tensor *y, *h, *c, *y2, *h2, *c2;
    CHECK(lc_rnn_layer(&a, &y, &h, &c) == 0);
    CHECK(y->grad_fn != NULL);
    for (int b = 0; b < N; b++)
      for (int j = 0; j < H; j++) CHECK(lc_get(h, b * H + j) == lc_get(y, last_row[b] * H + j));
    bool was = lc_set_grad_enabled(false);
    CHECK(lc_rnn_layer(&a, &y2, &h2, &c2) == 0);
    lc_set_grad_enabled(was);
    CHECK(y2->grad_fn == NULL);
    for (int64_t k = 0; k < lc_numel(y); k++) CHECK(lc_get(y, k) == lc_get(y2, k));
    for (int64_t k = 0; k < lc_numel(h); k++) CHECK(lc_get(h, k) == lc_get(h2, k));
    CHECK(!c == !cell->has_cell && !c2 == !cell->has_cell);
    for (int64_t k = 0; c && k < lc_numel(c); k++) CHECK(lc_get(c, k) == lc_get(c2, k));
    lc_release(y), lc_release(h), lc_release(c), lc_release(y2), lc_release(h2), lc_release(c2);
    release_inputs(in);
  }
}

static void expect_error(const lc_rnn_args *a, const char *sub) {
  lc_tensor *y = NULL, *h = NULL, *c = NULL;
  CHECK(lc_rnn_layer(a, &y, &h, &c) == -1);
  CHECK(y == NULL && h == NULL && c == NULL);
  CHECK_CONTAINS(lc_error(), sub);
}

static void test_errors(void) {
  lc_tensor *in[N_IN], *gin[N_IN];
  make_inputs(lc_rnn_cell_find("lstm"), 4 * N, true, true, in);
  make_inputs(lc_rnn_cell_find("gru"), 4 * N, true, false, gin);
  lc_rnn_args a = {.cell = "lstm", .steps = 4, .x = in[X], .h0 = in[H0], .c0 = in[C0],
                   .w_ih = in[W_IH], .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH],
                   .w_hr = in[W_HR]};
  lc_rnn_args b = a;
  b.cell = "lstmm";
  expect_error(&b, "unknown cell kind 'lstmm'");
  b = a, b.c0 = NULL;
  expect_error(&b, "LSTM: c0");
  b = a, b.b_hh = NULL;
  expect_error(&b, "give both biases or neither");
  b = a, b.extra = in[B_IH];
  expect_error(&b, "the cell lstm takes no parameter of its own");
  b = a, b.cell = "lstm_peephole";
  expect_error(&b, "the cell lstm_peephole needs its own parameter");
  b = a, b.steps = 5;
  expect_error(&b, "batch sizes add up to 15");
  b = a, b.w_hh = in[W_IH];
  expect_error(&b, "LSTM: weight_hh has shape (16, 3)");
  lc_rnn_args g = {.cell = "gru", .steps = 4, .x = gin[X], .h0 = gin[H0], .w_ih = gin[W_IH],
                   .w_hh = gin[W_HH], .w_hr = in[W_HR]};
  expect_error(&g, "GRU: proj_size is not supported");
  release_inputs(in);
  release_inputs(gin);
}

/* ---- both directions of a layer at once (lc_rnn_layers) ----------------- */

/* Inputs: x, then each direction's H0..PE (the N_IN - 1 after X). */
enum { N_BI = 1 + 2 * (N_IN - 1) };

static void bi_args(const layer_cfg *cfg, lc_tensor *const *in, lc_rnn_args *a) {
  for (int d = 0; d < 2; d++) {
    lc_tensor *const *p = in + d * (N_IN - 1); /* p[H0] is direction d's h0 */
    a[d] = (lc_rnn_args){.cell = cfg->cell, .reverse = d == 1, .steps = cfg->steps,
                         .batch_sizes = cfg->batch_sizes, .x = in[X], .h0 = p[H0], .c0 = p[C0],
                         .w_ih = p[W_IH], .w_hh = p[W_HH], .b_ih = p[B_IH], .b_hh = p[B_HH],
                         .w_hr = p[W_HR], .extra = p[PE], .h_mask = cfg->h_mask,
                         .zoneout_h = cfg->zh, .zoneout_c = cfg->zc};
  }
}

static lc_tensor *bi_loss(lc_tensor *const *in, void *ctx) {
  lc_rnn_args a[2];
  bi_args(ctx, in, a);
  lc_tensor *y[2], *h[2], *c[2];
  if (lc_rnn_layers(a, 2, y, h, c)) return NULL;
  lc_tensor *loss = gc_weighted_sum(y[0]);
  for (int d = 0; d < 2; d++) {
    if (d) loss = add_into(loss, gc_weighted_sum(y[d]));
    loss = add_into(loss, gc_weighted_sum(h[d]));
    if (c[d]) loss = add_into(loss, gc_weighted_sum(c[d]));
    lc_release(y[d]), lc_release(h[d]), lc_release(c[d]);
  }
  return loss;
}

/* max |a - b| over two contiguous float64 tensors of the same shape. */
static double max_diff(const lc_tensor *a, const lc_tensor *b) {
  const double *p = lc_data(a), *q = lc_data(b);
  double m = 0;
  for (int64_t i = 0; i < lc_numel(a); i++) m = fmax(m, fabs(p[i] - q[i]));
  return m;
}

/* Every cell kind, padded and packed, plain, projected and with dropout and
 * zoneout: the float64 gradients of both directions through the one node,
 * and outputs equal to two one-direction calls. */
static void test_bidirectional(void) {
  static const int64_t packed[] = {3, 3, 2, 1};
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    for (int variant = 0; variant < 6; variant++) {
      bool is_packed = variant & 1, proj = variant / 2 == 1, extras = variant / 2 == 2;
      if (proj && !cell->projectable) continue;
      int64_t T = is_packed ? 9 : 4 * N, Ho = proj ? P : H;
      lc_tensor *mask = extras ? make_mask(Ho) : NULL;
      lc_tensor *zh = extras ? make_zoneout(T, Ho, 1) : NULL;
      lc_tensor *zc = extras && cell->has_cell ? make_zoneout(T, H, 3) : NULL;
      layer_cfg cfg = {cell->name, false, 4, is_packed ? packed : NULL, mask, zh, zc, NULL, 0};
      lc_tensor *in[N_BI], *dir[2][N_IN];
      for (int d = 0; d < 2; d++) {
        make_inputs(cell, T, cell->biased, proj, dir[d]);
        for (int k = H0; k < N_IN; k++) in[d * (N_IN - 1) + k] = dir[d][k];
      }
      in[X] = dir[0][X];
      char name[128];
      snprintf(name, sizeof name, "%s bidirectional %s%s%s", cell->name,
               is_packed ? "packed" : "padded", proj ? " projected" : "",
               extras ? " recurrent dropout zoneout" : "");
      double rtol = strstr(cell->name, "_ln") ? 1e-6 : GC_RTOL;
      int bad = gradcheck_tol(name, bi_loss, in, N_BI, &cfg, GC_EPS, rtol, GC_ATOL);
      CHECK(bad == 0);
      if (bad) fprintf(stderr, "  in: %s\n", name);
      /* the same outputs as one direction at a time */
      lc_rnn_args a[2];
      bi_args(&cfg, in, a);
      lc_tensor *y[2], *h[2], *c[2];
      CHECK(lc_rnn_layers(a, 2, y, h, c) == 0);
      for (int d = 0; d < 2; d++) {
        lc_tensor *y1, *h1, *c1;
        CHECK(lc_rnn_layer(&a[d], &y1, &h1, &c1) == 0);
        CHECK(max_diff(y[d], y1) < 1e-12 && max_diff(h[d], h1) < 1e-12);
        CHECK(!c1 == !c[d] && (!c1 || max_diff(c[d], c1) < 1e-12));
        lc_release(y1), lc_release(h1), lc_release(c1);
        lc_release(y[d]), lc_release(h[d]), lc_release(c[d]);
      }
      lc_release(dir[1][X]);
      release_inputs(dir[0]);
      for (int k = H0; k < N_IN; k++) lc_release(dir[1][k]);
      lc_release(mask), lc_release(zh), lc_release(zc);
    }
  }
  /* a layer big enough for the directions to run on their own threads:
   * outputs and every gradient as one direction at a time gives them */
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    enum { BI = 8, BH = 64, BN = 4, BL = 80 }; /* T G Hout >= 2^20 for every cell */
    int64_t G = cell->gates * BH;
    lc_tensor *in[N_BI] = {gc_leaf(2, DIMS(BL * BN, BI), -1, 1)};
    for (int d = 0; d < 2; d++) {
      lc_tensor **p = in + d * (N_IN - 1);
      p[H0] = gc_leaf(2, DIMS(BN, BH), -0.5, 0.5);
      p[C0] = cell->has_cell ? gc_leaf(2, DIMS(BN, BH), -0.5, 0.5) : NULL;
      p[W_IH] = gc_leaf(2, DIMS(G, BI), -0.2, 0.2);
      p[W_HH] = gc_leaf(2, DIMS(G, BH), -0.2, 0.2);
      p[B_IH] = cell->biased ? gc_leaf(1, DIMS(G), -0.1, 0.1) : NULL;
      p[B_HH] = cell->biased ? gc_leaf(1, DIMS(G), -0.1, 0.1) : NULL;
      p[W_HR] = NULL;
      p[PE] = cell->extra ? gc_leaf(1, DIMS(cell->extra * BH), -0.8, 0.8) : NULL;
    }
    layer_cfg cfg = {cell->name, false, BL, NULL, NULL, NULL, NULL, NULL, 0};
    lc_tensor *loss = bi_loss(in, &cfg);
    CHECK(loss && lc_backward(&loss, NULL, 1, false) == 0);
    lc_release(loss);
    lc_tensor *want[N_BI] = {NULL}, *got[N_BI];
    for (int k = 0; k < N_BI; k++) {
      got[k] = in[k] ? in[k]->grad : NULL;
      if (in[k]) in[k]->grad = NULL;
    }
    lc_rnn_args a[2];
    bi_args(&cfg, in, a);
    for (int d = 0; d < 2; d++) { /* the same loss, one direction at a time */
      lc_tensor *y, *h, *c;
      CHECK(lc_rnn_layer(&a[d], &y, &h, &c) == 0);
      lc_tensor *l1 = add_into(gc_weighted_sum(y), gc_weighted_sum(h));
      if (c) l1 = add_into(l1, gc_weighted_sum(c));
      CHECK(l1 && lc_backward(&l1, NULL, 1, false) == 0);
      lc_release(l1), lc_release(y), lc_release(h), lc_release(c);
    }
    for (int k = 0; k < N_BI; k++) {
      if (!in[k]) continue;
      want[k] = in[k]->grad;
      CHECK(got[k] && want[k] && max_diff(got[k], want[k]) < 1e-12 * (1 + lc_numel(want[k])));
      if (!got[k] || !want[k]) fprintf(stderr, "  %s large bidirectional: input %d\n", cell->name, k);
      lc_release(got[k]);
      lc_release(in[k]);
    }
  }

  /* directions that do not match */
  lc_tensor *d0[N_IN], *d1[N_IN];
  make_inputs(lc_rnn_cell_find("gru"), 4 * N, true, false, d0);
  make_inputs(lc_rnn_cell_find("gru"), 4 * N, true, false, d1);
  lc_rnn_args a[2] = {
    {.cell = "gru", .steps = 4, .x = d0[X], .h0 = d0[H0], .w_ih = d0[W_IH], .w_hh = d0[W_HH],
     .b_ih = d0[B_IH], .b_hh = d0[B_HH]},
    {.cell = "gru", .reverse = true, .steps = 4, .x = d1[X], .h0 = d1[H0], .w_ih = d1[W_IH],
     .w_hh = d1[W_HH], .b_ih = d1[B_IH], .b_hh = d1[B_HH]}};
  lc_tensor *y[2], *h[2], *c[2];
  CHECK(lc_rnn_layers(a, 2, y, h, c) == -1);
  CHECK_CONTAINS(lc_error(), "GRU: the two directions of a layer must share the input");
  CHECK(y[0] == NULL && h[1] == NULL);
  CHECK(lc_rnn_layers(a, 3, y, h, c) == -1);
  CHECK_CONTAINS(lc_error(), "1 or 2 directions, got 3");
  release_inputs(d0);
  release_inputs(d1);
}

/* Weight dropout (DropConnect) on w_hh, for every cell kind, alone and with
 * a recurrent dropout mask: the outputs equal the layer run on w_hh * [u <
 * 1 - p] / (1 - p) made by hand, and the float64 gradients of every input
 * (the raw w_hh's through the mask) pass the gradcheck. */
static void test_weight_dropout(void) {
  const double p = 0.4;
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    for (int masked = 0; masked < 2; masked++) {
      lc_tensor *in[N_IN];
      make_inputs(cell, 4 * N, cell->biased, false, in);
      int64_t G = cell->gates * H;
      lc_tensor *u = lc_empty(LC_FLOAT64, 2, DIMS(G, H)), *w = lc_empty(LC_FLOAT64, 2, DIMS(G, H));
      for (int64_t k = 0; k < G * H; k++) { /* draws on both sides of 1 - p, kept weights scaled */
        set(u, k, (double)((k * 7) % 10) / 10);
        set(w, k, lc_get(u, k) < 1 - p ? lc_get(in[W_HH], k) / (1 - p) : 0);
      }
      lc_tensor *mask = masked ? make_mask(H) : NULL;
      layer_cfg cfg = {cell->name, false, 4, NULL, mask, NULL, NULL, u, p};
      char name[96];
      snprintf(name, sizeof name, "%s weight dropout%s", cell->name, masked ? " recurrent dropout" : "");
      double rtol = strstr(cell->name, "_ln") ? 1e-6 : GC_RTOL;
      int bad = gradcheck_tol(name, layer_loss, in, N_IN, &cfg, GC_EPS, rtol, GC_ATOL);
      CHECK(bad == 0);
      lc_rnn_args a = {.cell = cell->name, .steps = 4, .x = in[X], .h0 = in[H0], .c0 = in[C0],
                       .w_ih = in[W_IH], .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH],
                       .extra = in[PE], .h_mask = mask, .w_hh_noise = u, .w_hh_dropout = p};
      lc_rnn_args b = a;
      b.w_hh = w, b.w_hh_noise = NULL;
      lc_tensor *y1, *h1, *c1, *y2, *h2, *c2;
      CHECK(lc_rnn_layer(&a, &y1, &h1, &c1) == 0 && lc_rnn_layer(&b, &y2, &h2, &c2) == 0);
      CHECK(max_diff(y1, y2) < 1e-14 && max_diff(h1, h2) < 1e-14);
      lc_release(y1), lc_release(h1), lc_release(c1), lc_release(y2), lc_release(h2), lc_release(c2);
      if (!masked) { /* the errors: draws of the wrong shape, p outside [0, 1) */
        b = a, b.w_hh_noise = in[W_IH];
        expect_error(&b, "the weight dropout draws has shape");
        b = a, b.w_hh_dropout = 1;
        expect_error(&b, "weight dropout must be in [0, 1), got 1");
      }
      lc_release(u), lc_release(w), lc_release(mask);
      release_inputs(in);
    }
  }
}

int main(void) {
  test_table();
  test_tanh_step_value();
  test_packed_state_and_no_grad();
  test_errors();
  test_gradcheck_every_cell();
  test_bidirectional();
  test_weight_dropout();
  return test_summary();
}
