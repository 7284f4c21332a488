/* test_minrnn.c: the MinGRU/MinLSTM layer kernel (minrnn.c): float64
 * finite-difference gradients of every input on both paths, padded and
 * packed; a retained graph runs again; the scan and step-by-step paths
 * agree; float32 does not drift from float64 over long sequences nor break
 * down at far pre-activations; bad input is an error. */
#include "lc.h"

#include "gradcheck.h"
#include "test_util.h"

typedef struct {
  lc_minrnn_mode mode;
  lc_minrnn_path path;
  int64_t steps;
  const int64_t *batch_sizes;
  bool with_h0;
} layer_case;

/* inputs: x, h0, w, b -> weighted sums of y and h_n */
static lc_tensor *layer_loss(lc_tensor *const *in, void *ctx_) {
  const layer_case *lc = ctx_;
  lc_minrnn_args a = {.mode = lc->mode, .path = lc->path, .steps = lc->steps,
                      .batch_sizes = lc->batch_sizes, .x = in[0],
                      .h0 = lc->with_h0 ? in[1] : NULL, .w = in[2], .b = in[3]};
  lc_tensor *y, *h;
  if (lc_minrnn_layer(&a, &y, &h)) return NULL;
  lc_tensor *sy = gc_weighted_sum(y), *sh = gc_weighted_sum(h);
  lc_tensor *loss = sy && sh ? lc_binary(LC_ADD, sy, sh) : NULL;
  lc_release(y), lc_release(h), lc_release(sy), lc_release(sh);
  return loss;
}

static void test_gradcheck(void) {
  static const int64_t packed[] = {3, 3, 2, 1}; /* lengths 4, 3, 2 */
  const char *names[2][2] = {{"MinGRU scan", "MinGRU sequential"},
                             {"MinLSTM scan", "MinLSTM sequential"}};
  for (int mode = 0; mode < 2; mode++) {
    int64_t G = mode == LC_MINGRU ? 2 : 3, H = 3, I = 2, N = 3;
    for (int path = 0; path < 2; path++) {
      for (int variant = 0; variant < 3; variant++) { /* padded + h0, packed + h0, padded no h0 */
        layer_case c = {.mode = mode, .path = path, .steps = 4,
                        .batch_sizes = variant == 1 ? packed : NULL, .with_h0 = variant != 2};
        int64_t T = variant == 1 ? 9 : 4 * N;
        lc_tensor *in[4] = {gc_leaf(2, DIMS(T, I), -2, 2), gc_leaf(2, DIMS(N, H), 0.2, 1.5),
                            gc_leaf(2, DIMS(G * H, I), -1, 1), gc_leaf(1, DIMS(G * H), -1, 1)};
        /* the loss adds ~50 outputs, each a scan over up to 4 steps:
         * rounding of 1e-15 over a step of 1e-6 needs atol 1e-8 */
        CHECK(gradcheck_tol(names[mode][path], layer_loss, in, 4, &c, GC_EPS, 1e-6, 1e-8) == 0);
        for (int k = 0; k < 4; k++) lc_release(in[k]);
      }
    }
  }
}

/* The last backward writes the projection's gradient over the saved gates;
 * a retained graph keeps them: backward twice accumulates exactly twice the
 * gradients of the first, on both paths. */
static void test_retained_graph(void) {
  for (int mode = 0; mode < 2; mode++) {
    for (int path = 0; path < 2; path++) {
      int64_t G = mode == LC_MINGRU ? 2 : 3, H = 70, I = 3, N = 2, L = 5;
      lc_tensor *in[4] = {gc_leaf(2, DIMS(L * N, I), -2, 2), gc_leaf(2, DIMS(N, H), 0.2, 1.5),
                          gc_leaf(2, DIMS(G * H, I), -1, 1), gc_leaf(1, DIMS(G * H), -1, 1)};
      layer_case c = {.mode = mode, .path = path, .steps = L, .with_h0 = true};
      lc_tensor *loss = layer_loss(in, &c), *first[4];
      CHECK(loss && lc_backward(&loss, NULL, 1, true) == 0);
      for (int k = 0; k < 4; k++) first[k] = lc_clone(in[k]->grad);
      CHECK(lc_backward(&loss, NULL, 1, false) == 0);
      for (int k = 0; k < 4; k++) {
        int64_t bad = 0;
        for (int64_t i = 0; i < lc_numel(first[k]); i++) bad += lc_get(in[k]->grad, i) != 2 * lc_get(first[k], i);
        CHECK(bad == 0);
        lc_release(first[k]), lc_release(in[k]);
      }
      lc_release(loss);
    }
  }
}

/* A long float32 sequence: the scan (whole-sequence GEMM, column jobs) and
 * the step-by-step path agree. */
static void test_paths_agree(void) {
  for (int mode = 0; mode < 2; mode++) {
    int64_t G = mode == LC_MINGRU ? 2 : 3, H = 70, I = 16, N = 4, L = 500;
    lc_tensor *x = lc_randn(LC_FLOAT32, 2, DIMS(L * N, I)), *w = lc_randn(LC_FLOAT32, 2, DIMS(G * H, I));
    lc_tensor *b = lc_randn(LC_FLOAT32, 1, DIMS(G * H)), *h0 = lc_rand(LC_FLOAT32, 2, DIMS(N, H));
    lc_binary_scalar_(LC_ADD, h0, 0.01);
    lc_tensor *y[2], *h[2];
    for (int path = 0; path < 2; path++) {
      lc_minrnn_args a = {.mode = mode, .path = path, .steps = L, .x = x, .h0 = h0, .w = w, .b = b};
      CHECK(lc_minrnn_layer(&a, &y[path], &h[path]) == 0);
    }
    double worst = 0;
    for (int64_t i = 0; i < lc_numel(y[0]); i++) {
      double u = lc_get(y[0], i), v = lc_get(y[1], i), d = fabs(u - v) / (1e-6 + fabs(v));
      worst = d > worst ? d : worst;
    }
    CHECK(worst < 1e-4);
    for (int64_t i = 0; i < N * H; i++) CHECK_NEAR(lc_get(h[0], i), lc_get(h[1], i), 1e-4);
    lc_release(x), lc_release(w), lc_release(b), lc_release(h0);
    for (int p = 0; p < 2; p++) lc_release(y[p]), lc_release(h[p]);
  }
}

/* Largest relative difference of a float32 result from its float64 twin. */
static double worst_rel(const lc_tensor *f32, const lc_tensor *f64) {
  double worst = 0;
  for (int64_t i = 0; i < lc_numel(f64); i++) {
    double u = lc_get(f32, i), v = lc_get(f64, i), d = fabs(u - v) / fabs(v);
    worst = d > worst || !(d == d) ? d : worst; /* a NaN is the worst */
  }
  return worst;
}

/* The linear-space scan does not drift: over 4000 steps (band widths 64
 * and 6) float32 stays within 1e-5 of the same inputs run in float64, for
 * states that decay slowly (a near 1) as for ones that are replaced. */
static void test_long_float32(void) {
  for (int mode = 0; mode < 2; mode++) {
    int64_t G = mode == LC_MINGRU ? 2 : 3, H = 70, I = 8, N = 2, L = 4000;
    lc_tensor *x = lc_randn(LC_FLOAT32, 2, DIMS(L * N, I)), *w = lc_randn(LC_FLOAT32, 2, DIMS(G * H, I));
    lc_tensor *b = lc_randn(LC_FLOAT32, 1, DIMS(G * H));
    for (int64_t j = 0; j < H; j++) { /* units 1..35 keep their state (a near 1) */
      double forget = j < H / 2 ? 6 : 0;
      if (mode == LC_MINGRU) set(b, j, -forget); /* z small */
      else set(b, j, forget), set(b, H + j, -forget);
    }
    lc_tensor *y[2], *h[2], *in[2][3] = {{x, w, b}};
    for (int k = 0; k < 3; k++) in[1][k] = lc_to(in[0][k], LC_FLOAT64);
    for (int d = 0; d < 2; d++) {
      lc_minrnn_args a = {.mode = mode, .steps = L, .x = in[d][0], .w = in[d][1], .b = in[d][2]};
      CHECK(lc_minrnn_layer(&a, &y[d], &h[d]) == 0);
    }
    CHECK(worst_rel(y[0], y[1]) < 1e-5);
    CHECK(worst_rel(h[0], h[1]) < 1e-5);
    for (int d = 0; d < 2; d++) {
      for (int k = 0; k < 3; k++) lc_release(in[d][k]);
      lc_release(y[d]), lc_release(h[d]);
    }
  }
}

/* Pre-activations far out: MinLSTM's f and i both underflow in float32
 * (p_f, p_i near -150 and -140), yet f/(f+i) is a plain number; p_h near
 * -150 makes g underflow; p_z, p_f near +150 make 1 - sigmoid underflow.
 * The float32 outputs are finite and match float64's (where nothing
 * underflows), on both paths. */
static void test_far_preactivations(void) {
  for (int mode = 0; mode < 2; mode++) {
    int64_t G = mode == LC_MINGRU ? 2 : 3, H = 4, N = 2, L = 3;
    /* one input feature of 1: the bias alone sets the pre-activations */
    lc_tensor *x = lc_full(LC_FLOAT32, 2, DIMS(L * N, 1), 1), *w = lc_zeros(LC_FLOAT32, 2, DIMS(G * H, 1));
    lc_tensor *b = lc_zeros(LC_FLOAT32, 1, DIMS(G * H));
    static const double far[3][4] = {{-150, 150, -150, 2}, {-140, -150, 0.5, -3}, {1, 2, 3, -150}};
    for (int64_t k = 0; k < G; k++)
      for (int64_t j = 0; j < H; j++) set(b, k * H + j, far[mode == LC_MINGRU && k == 1 ? 2 : k][j]);
    lc_tensor *h0 = lc_full(LC_FLOAT32, 2, DIMS(N, H), 0.7);
    for (int path = 0; path < 2; path++) {
      lc_tensor *y[2], *h[2], *in[2][4] = {{x, w, b, h0}};
      for (int k = 0; k < 4; k++) in[1][k] = lc_to(in[0][k], LC_FLOAT64);
      for (int d = 0; d < 2; d++) {
        lc_minrnn_args a = {.mode = mode, .path = path, .steps = L, .x = in[d][0], .w = in[d][1],
                            .b = in[d][2], .h0 = in[d][3]};
        CHECK(lc_minrnn_layer(&a, &y[d], &h[d]) == 0);
      }
      for (int64_t i = 0; i < lc_numel(y[1]); i++) {
        double u = lc_get(y[0], i), v = lc_get(y[1], i);
        CHECK(isfinite(u) && fabs(u - v) <= 1e-6 * fabs(v) + 1e-30);
      }
      for (int k = 0; k < 4; k++) lc_release(in[1][k]);
      for (int d = 0; d < 2; d++) lc_release(y[d]), lc_release(h[d]);
    }
    lc_release(x), lc_release(w), lc_release(b), lc_release(h0);
  }
}

static void test_errors(void) {
  lc_tensor *x = lc_randn(LC_FLOAT64, 2, DIMS(6, 2)), *w = lc_randn(LC_FLOAT64, 2, DIMS(6, 2));
  lc_tensor *h0 = lc_full(LC_FLOAT64, 2, DIMS(2, 3), 0.5), *y = NULL, *h = NULL;
  lc_minrnn_args a = {.mode = LC_MINGRU, .steps = 3, .x = x, .h0 = h0, .w = w};
  CHECK(lc_minrnn_layer(&a, &y, &h) == 0);
  lc_release(y), lc_release(h);
  ((double *)lc_data(h0))[4] = -1;
  CHECK(lc_minrnn_layer(&a, &y, &h) == -1 && !y && !h);
  CHECK_CONTAINS(lc_error(), "MinGRU: h0 must be positive");
  CHECK_CONTAINS(lc_error(), "got -1 at [2, 2]");
  a.h0 = NULL;
  a.mode = LC_MINLSTM, a.h0 = h0; /* h0 (2, 3) but 6 rows of w make H = 2 */
  ((double *)lc_data(h0))[4] = 0.5;
  CHECK(lc_minrnn_layer(&a, &y, &h) == -1);
  CHECK_CONTAINS(lc_error(), "MinLSTM: h0 must have shape (2, 2) and dtype float64, got (2, 3)");
  a.mode = LC_MINGRU, a.h0 = NULL;
  a.steps = 4; /* 6 rows do not split into 4 steps */
  CHECK(lc_minrnn_layer(&a, &y, &h) == -1);
  CHECK_CONTAINS(lc_error(), "do not split into 4 steps");
  static const int64_t growing[] = {1, 2, 3};
  a.steps = 3, a.batch_sizes = growing;
  CHECK(lc_minrnn_layer(&a, &y, &h) == -1);
  CHECK_CONTAINS(lc_error(), "non-increasing");
  lc_release(x), lc_release(w), lc_release(h0);
}

int main(void) {
  lc_manual_seed(0);
  test_gradcheck();
  test_retained_graph();
  test_paths_agree();
  test_long_float32();
  test_far_preactivations();
  test_errors();
  return test_summary();
}
