/* test_rnn_step.c: the one-step kernel of the cell modules (rnn_step.c),
 * for every cell descriptor: float64 finite-difference gradients of every
 * input, with and without biases; the same outputs as the layer kernel
 * (rnn.c) over one step, recording or not; an error. The Lua spec
 * (tests/lua/nn/cell_step_spec.lua) compares the gradients as well. */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

enum { I = 3, H = 4, N = 3 };
/* Inputs in lc_rnn_step_args order. */
enum { X, H0, C0, W_IH, W_HH, B_IH, B_HH, PE, N_IN };

static lc_rnn_step_args step_args(const char *cell, lc_tensor *const *in) {
  return (lc_rnn_step_args){.cell = cell, .x = in[X], .h = in[H0], .c = in[C0], .w_ih = in[W_IH],
                            .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH], .extra = in[PE]};
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

static void make_inputs(const lc_rnn_cell *cell, bool bias, lc_tensor **in) {
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
  if (cell->extra) in[PE] = gc_leaf(1, DIMS(cell->extra * H), -0.8, 0.8);
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
      lc_tensor *in[N_IN];
      make_inputs(cell, bias, in);
      char name[64];
      snprintf(name, sizeof name, "step %s%s", cell->name, bias ? "" : " no bias");
      double rtol = strstr(cell->name, "_ln") ? 1e-6 : GC_RTOL; /* as test_rnn.c */
      int bad = gradcheck_tol(name, step_loss, in, N_IN, (void *)cell->name, GC_EPS, rtol, GC_ATOL);
      CHECK(bad == 0);
      release_inputs(in);
    }
  }
}

/* h' and c' equal the layer kernel's h_n and c_n over one step, recording or not. */
static void test_equals_layer(void) {
  for (int i = 0; i < lc_rnn_cell_count(); i++) {
    const lc_rnn_cell *cell = lc_rnn_cell_at(i);
    lc_tensor *in[N_IN];
    make_inputs(cell, cell->biased, in);
    for (int record = 0; record < 2; record++) {
      bool was = lc_set_grad_enabled(record);
      lc_rnn_step_args s = step_args(cell->name, in);
      lc_rnn_args a = {.cell = cell->name, .steps = 1, .x = in[X], .h0 = in[H0], .c0 = in[C0],
                       .w_ih = in[W_IH], .w_hh = in[W_HH], .b_ih = in[B_IH], .b_hh = in[B_HH],
                       .extra = in[PE]};
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
    release_inputs(in);
  }
}

static void test_errors(void) {
  const lc_rnn_cell *lstm = lc_rnn_cell_find("lstm");
  lc_tensor *in[N_IN];
  make_inputs(lstm, true, in);
  lc_rnn_step_args a = step_args("lstm", in);
  a.c = NULL;
  lc_tensor *h, *c;
  CHECK(lc_rnn_cell_step(&a, &h, &c) == -1);
  CHECK(h == NULL && c == NULL);
  CHECK_CONTAINS(lc_error(), "LSTM: c has shape none");
  a = step_args("lstm", in);
  a.w_hh = in[W_IH];
  CHECK(lc_rnn_cell_step(&a, &h, &c) == -1);
  CHECK_CONTAINS(lc_error(), "weight_hh has shape (16, 3)");
  release_inputs(in);
}

int main(void) {
  test_gradcheck_every_cell();
  test_equals_layer();
  test_errors();
  return test_summary();
}
