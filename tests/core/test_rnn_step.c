/* test_rnn_step.c: the one-step kernel of the cell modules (rnn_step.c),
 * for every cell descriptor: float64 finite-difference gradients of every
 * input, with and without biases, with the cell's parameter in one part and
 * in several, and under weight dropout; the same outputs as the layer kernel
 * (rnn.c) over one step, recording or not, with and without weight dropout;
 * errors. The Lua spec (tests/lua/nn/cell_step_spec.lua) compares the
 * gradients as well. */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

enum { I = 3, H = 4, N = 3 };
/* Inputs in lc_rnn_step_args order, the parameter's parts last. */
enum { X, H0, C0, W_IH, W_HH, B_IH, B_HH, PE, N_IN = PE + LC_RNN_STEP_PARTS };

/* A step's configuration, the ctx of the loss. */
typedef struct {
  const char *cell;
  const lc_tensor *noise; /* weight dropout's draws, or NULL */
  double p;               /* and its probability */
} step_cfg;

static lc_rnn_step_args step_args(const step_cfg *cfg, lc_tensor *const *in) {
  lc_rnn_step_args a = {.cell = cfg->cell, .x = in[X], .h = in[H0], .c = in[C0], .w_ih = in[W_IH],
                        .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH],
                        .w_hh_noise = cfg->noise, .w_hh_dropout = cfg->p};
  for (int k = 0; k < LC_RNN_STEP_PARTS; k++) a.extra[k] = in[PE + k];
  return a;
}

/* sum(w1 h') (+ sum(w2 c')) */
static lc_tensor *step_loss(lc_tensor *const *in, void *ctx) {
  lc_rnn_step_args a = step_args(ctx, in);
  lc_tensor *h, *c;
  if (lc_rnn_cell_step(&a, &h, &c)) return NULL;
  lc_tensor *loss = gc_weighted_sum(h);
  if (c) {
    lc_tensor *lc = gc_weighted_sum(c), *s = loss && lc ? lc_binary(LC_ADD, loss, lc) : NULL;
    lc_release(loss), lc_release(lc);
    loss = s;
  }
  lc_release(h), lc_release(c);
  return loss;
}

/* Leaves for one step of cell; the cell's parameter (extra*H) in `parts`
 * parts (the first ones H each, the last the rest). */
static void make_inputs(const lc_rnn_cell *cell, bool bias, int parts, lc_tensor **in) {
  int64_t G = cell->gates * H;
  memset(in, 0, N_IN * sizeof *in);
  in[X] = gc_leaf(2, DIMS(N, I), -1, 1);
  in[H0] = gc_leaf(2, DIMS(N, H), -0.5, 0.5);
  if (cell->has_cell) in[C0] = gc_leaf(2, DIMS(N, H), -0.5, 0.5);
  in[W_IH] = gc_leaf(2, DIMS(G, I), -0.6, 0.6);
  in[W_HH] = gc_leaf(2, DIMS(G, H), -0.6, 0.6);
  if (bias) {
    in[B_IH] = gc_leaf(1, DIMS(G), -0.3, 0.3);
    in[B_HH] = gc_leaf(1, DIMS(G), -0.3, 0.3);
  }
  for (int k = 0; cell->extra && k < parts; k++)
    in[PE + k] = gc_leaf(1, DIMS(k < parts - 1 ? H : (cell->extra - parts + 1) * H), -0.8, 0.8);
}

/* As many parts as the cell's parameter has blocks of H, at most the kernel's. */
static int most_parts(const lc_rnn_cell *cell) {
  return cell->extra < LC_RNN_STEP_PARTS ? cell->extra : LC_RNN_STEP_PARTS;
}

/* Weight dropout's draws for a (G, H) W_hh, on both sides of 1 - p. */
static lc_tensor *make_noise(const lc_rnn_cell *cell) {
  int64_t G = cell->gates * H;
  lc_tensor *u = lc_empty(LC_FLOAT64, 2, DIMS(G, H));
  for (int64_t k = 0; k < G * H; k++) set(u, k, (double)((k * 7) % 10) / 10);
  return u;
}

static void release_inputs(lc_tensor **in) {
  for (int k = 0; k < N_IN; k++) lc_release(in[k]);
}

static double max_diff(const lc_tensor *a, const lc_tensor *b) {
  double m = 0;
  for (int64_t i = 0; i < lc_numel(a); i++) m = fmax(m, fabs(lc_get(a, i) - lc_get(b, i)));
  return m;
}

static void test_gradcheck_every_cell(void) {
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    for (int bias = 0; bias < 2; bias++) {
      if (bias && !cell->biased) continue;
      int counts[2] = {1, most_parts(cell)}; /* the parameter whole, and in as many parts as it can be */
      for (int v = 0; v < (counts[1] > 1 ? 2 : 1); v++) {
        int parts = counts[v];
        lc_tensor *in[N_IN];
        make_inputs(cell, bias, parts, in);
        char name[64];
        snprintf(name, sizeof name, "step %s%s, %d part(s)", cell->name, bias ? "" : " no bias", parts);
        double rtol = strstr(cell->name, "_ln") ? 1e-6 : GC_RTOL; /* as test_rnn.c */
        step_cfg cfg = {cell->name, NULL, 0};
        int bad = gradcheck_tol(name, step_loss, in, N_IN, &cfg, GC_EPS, rtol, GC_ATOL);
        CHECK(bad == 0);
        release_inputs(in);
      }
    }
  }
}

/* Weight dropout, every cell kind: the outputs equal the step run on
 * w_hh * [u < 1 - p] / (1 - p) made by hand, and the float64 gradients of
 * every input (the raw w_hh's through the mask) pass the gradcheck. */
static void test_weight_dropout(void) {
  const double p = 0.4;
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    lc_tensor *in[N_IN];
    make_inputs(cell, cell->biased, most_parts(cell), in);
    int64_t G = cell->gates * H;
    lc_tensor *u = make_noise(cell), *w = lc_empty(LC_FLOAT64, 2, DIMS(G, H));
    for (int64_t k = 0; k < G * H; k++) set(w, k, lc_get(u, k) < 1 - p ? lc_get(in[W_HH], k) / (1 - p) : 0);
    step_cfg cfg = {cell->name, u, p};
    char name[96];
    snprintf(name, sizeof name, "step %s weight dropout", cell->name);
    double rtol = strstr(cell->name, "_ln") ? 1e-6 : GC_RTOL;
    CHECK(gradcheck_tol(name, step_loss, in, N_IN, &cfg, GC_EPS, rtol, GC_ATOL) == 0);
    /* a kept weight's gradient is the dropped one's / (1 - p), a dropped one's 0 */
    lc_tensor *dw = in[W_HH]->grad;
    CHECK(dw != NULL);
    bool zeros_where_dropped = true;
    for (int64_t k = 0; dw && k < G * H; k++)
      if (lc_get(u, k) >= 1 - p) zeros_where_dropped = zeros_where_dropped && lc_get(dw, k) == 0;
    CHECK(zeros_where_dropped);
    lc_rnn_step_args a = step_args(&cfg, in), b = a;
    b.w_hh = w, b.w_hh_noise = NULL;
    lc_tensor *h1, *c1, *h2, *c2;
    CHECK(lc_rnn_cell_step(&a, &h1, &c1) == 0 && lc_rnn_cell_step(&b, &h2, &c2) == 0);
    CHECK(max_diff(h1, h2) < 1e-14);
    if (c1) CHECK(max_diff(c1, c2) < 1e-14);
    lc_release(h1), lc_release(c1), lc_release(h2), lc_release(c2);
    lc_release(u), lc_release(w);
    release_inputs(in);
  }
}

/* h' and c' equal the layer kernel's h_n and c_n over one step, recording
 * or not, with and without weight dropout (the same draws). */
static void test_equals_layer(void) {
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    lc_tensor *in[N_IN];
    make_inputs(cell, cell->biased, 1, in);
    lc_tensor *u = make_noise(cell);
    for (int record = 0; record < 2; record++) {
      for (int drop = 0; drop < 2; drop++) {
        bool was = lc_set_grad_enabled(record);
        step_cfg cfg = {cell->name, drop ? u : NULL, 0.3};
        lc_rnn_step_args s = step_args(&cfg, in);
        lc_rnn_args a = {.cell = cell->name, .steps = 1, .x = in[X], .h0 = in[H0], .c0 = in[C0],
                         .w_ih = in[W_IH], .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH],
                         .extra = in[PE], .w_hh_noise = cfg.noise, .w_hh_dropout = cfg.p};
        lc_tensor *h1, *c1, *y, *h2, *c2;
        CHECK(lc_rnn_cell_step(&s, &h1, &c1) == 0);
        CHECK(lc_rnn_layer(&a, &y, &h2, &c2) == 0);
        CHECK(max_diff(h1, h2) < 1e-14);
        CHECK(!c1 == !c2);
        if (c1) CHECK(max_diff(c1, c2) < 1e-14);
        CHECK((h1->grad_fn != NULL) == record);
        lc_release(h1), lc_release(c1), lc_release(y), lc_release(h2), lc_release(c2);
        lc_set_grad_enabled(was);
      }
    }
    lc_release(u);
    release_inputs(in);
  }
}

static void expect_error(const lc_rnn_step_args *a, const char *sub) {
  lc_tensor *h = NULL, *c = NULL;
  CHECK(lc_rnn_cell_step(a, &h, &c) == -1);
  CHECK(h == NULL && c == NULL);
  CHECK_CONTAINS(lc_error(), sub);
}

static void test_errors(void) {
  const lc_rnn_cell *lstm = lc_rnn_cell_find("lstm"), *peep = lc_rnn_cell_find("lstm_peephole");
  lc_tensor *in[N_IN];
  make_inputs(lstm, true, 1, in);
  step_cfg cfg = {"lstm", NULL, 0};
  lc_rnn_step_args a = step_args(&cfg, in), b = a;
  b.c = NULL;
  expect_error(&b, "LSTM: c has shape none");
  b = a, b.w_hh = in[W_IH];
  expect_error(&b, "weight_hh has shape (16, 3)");
  b = a, b.w_hh_noise = in[W_IH], b.w_hh_dropout = 0.5;
  expect_error(&b, "LSTM: the weight dropout draws has shape (16, 3)");
  b = a, b.w_hh_noise = in[W_HH], b.w_hh_dropout = 1;
  expect_error(&b, "LSTM: weight dropout must be in [0, 1), got 1");
  b = a, b.extra[0] = in[B_IH];
  expect_error(&b, "LSTM: the cell lstm takes no parameter of its own");
  release_inputs(in);
  make_inputs(peep, true, 2, in);
  cfg.cell = "lstm_peephole";
  a = step_args(&cfg, in), b = a;
  b.extra[1] = NULL;
  expect_error(&b, "the cell's parameter has 4 elements (its parts together), expected 12");
  b = a, b.extra[2] = in[W_IH];
  expect_error(&b, "part 3 of the cell's parameter has shape (16, 3) and dtype float64, "
                   "expected 1-D float64");
  release_inputs(in);
}

/* A part of no elements beside the whole parameter: the step runs, and
 * the backward gives each part a gradient of its own size. */
static void test_empty_part(void) {
  const lc_rnn_cell *peep = lc_rnn_cell_find("lstm_peephole");
  lc_tensor *in[N_IN];
  make_inputs(peep, true, 1, in);
  in[PE + 1] = gc_leaf(1, DIMS(0), 0, 0);
  step_cfg cfg = {"lstm_peephole", NULL, 0};
  lc_tensor *loss = step_loss(in, &cfg);
  CHECK(loss != NULL);
  CHECK(loss && lc_backward(&loss, NULL, 1, false) == 0);
  CHECK(in[PE]->grad && lc_numel(in[PE]->grad) == 3 * H);
  CHECK(in[PE + 1]->grad && lc_numel(in[PE + 1]->grad) == 0);
  lc_release(loss);
  release_inputs(in);
}

int main(void) {
  test_gradcheck_every_cell();
  test_weight_dropout();
  test_equals_layer();
  test_errors();
  test_empty_part();
  return test_summary();
}
