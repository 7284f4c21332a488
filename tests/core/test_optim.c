/* test_optim.c: the fused optimizer kernels (lc_sgd_step, lc_adam_step)
 * against a straightforward per-element reference of PyTorch 1.13's update
 * rules, in float64 and float32, plus the errors of every kernel, version
 * bumps and the equality of the serial and OpenMP paths. (The Lua specs
 * compare every kernel with PyTorch's own numbers.) */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lc.h"
#include "test_util.h"

static lc_tensor *vec(lc_dtype dt, int64_t n, const double *vals) {
  lc_tensor *t = lc_empty(dt, 1, &n);
  for (int64_t i = 0; i < n; i++) {
    if (dt == LC_FLOAT32) ((float *)lc_data(t))[i] = (float)vals[i];
    else ((double *)lc_data(t))[i] = vals[i];
  }
  return t;
}

static void check_values(const lc_tensor *t, const double *want, int64_t n, double rtol) {
  for (int64_t i = 0; i < n; i++) CHECK_NEAR(lc_get(t, i), want[i], rtol * (fabs(want[i]) + 1e-3));
}

#define N 6
static const double P0[N] = {0.5, -1.25, 2.0, 0.0, -0.75, 3.5};
static const double G[3][N] = {
    {0.1, -0.2, 0.3, -0.4, 0.5, -0.6},
    {-0.3, 0.25, 0.05, 0.7, -0.1, 0.2},
    {0.02, 0.4, -0.35, 0.1, 0.6, -0.05},
};

/* ---- SGD ------------------------------------------------------------------ */

typedef struct {
  double lr, momentum, dampening, wd;
  bool nesterov, maximize;
} sgd_opts;

static void sgd_reference(const sgd_opts *o, int steps, double *p) {
  double buf[N] = {0};
  for (int s = 0; s < steps; s++)
    for (int i = 0; i < N; i++) {
      double d = o->maximize ? -G[s][i] : G[s][i];
      d += o->wd * p[i];
      if (o->momentum != 0) {
        buf[i] = s == 0 ? d : o->momentum * buf[i] + (1 - o->dampening) * d;
        d = o->nesterov ? d + o->momentum * buf[i] : buf[i];
      }
      p[i] -= o->lr * d;
    }
}

static void test_sgd(lc_dtype dt, const sgd_opts *o) {
  double want[N];
  memcpy(want, P0, sizeof want);
  sgd_reference(o, 3, want);
  lc_tensor *p = vec(dt, N, P0);
  lc_tensor *buf = lc_zeros_like(p);
  for (int s = 0; s < 3; s++) {
    lc_tensor *g = vec(dt, N, G[s]);
    uint64_t v = p->storage->version;
    CHECK(lc_sgd_step(p, g, o->momentum != 0 ? buf : NULL, o->lr, o->momentum, o->dampening, o->wd,
                      o->nesterov, o->maximize, s == 0) == 0);
    CHECK(p->storage->version > v);
    lc_release(g);
  }
  check_values(p, want, N, dt == LC_FLOAT64 ? 1e-13 : 1e-5);
  CHECK(p->grad_fn == NULL);
  lc_release(buf);
  lc_release(p);
}

/* ---- Adam / AdamW --------------------------------------------------------- */

typedef struct {
  double lr, beta1, beta2, eps, wd;
  bool decoupled, amsgrad, maximize;
} adam_opts;

static void adam_reference(const adam_opts *o, int steps, double *p, double *m_out, double *vmax_out) {
  double m[N] = {0}, v[N] = {0}, vmax[N] = {0};
  for (int s = 0; s < steps; s++) {
    double bc1 = 1 - pow(o->beta1, s + 1), bc2 = 1 - pow(o->beta2, s + 1);
    for (int i = 0; i < N; i++) {
      double g = o->maximize ? -G[s][i] : G[s][i];
      if (o->decoupled) p[i] *= 1 - o->lr * o->wd;
      else g += o->wd * p[i];
      m[i] = o->beta1 * m[i] + (1 - o->beta1) * g;
      v[i] = o->beta2 * v[i] + (1 - o->beta2) * g * g;
      vmax[i] = fmax(vmax[i], v[i]);
      double vh = o->amsgrad ? vmax[i] : v[i];
      p[i] -= o->lr / bc1 * m[i] / (sqrt(vh) / sqrt(bc2) + o->eps);
    }
  }
  memcpy(m_out, m, sizeof m);
  memcpy(vmax_out, vmax, sizeof vmax);
}

static void test_adam(lc_dtype dt, const adam_opts *o) {
  double want[N], want_m[N], want_vmax[N];
  memcpy(want, P0, sizeof want);
  adam_reference(o, 3, want, want_m, want_vmax);
  lc_tensor *p = vec(dt, N, P0);
  lc_tensor *m = lc_zeros_like(p), *v = lc_zeros_like(p), *vmax = lc_zeros_like(p);
  for (int s = 0; s < 3; s++) {
    lc_tensor *g = vec(dt, N, G[s]);
    uint64_t versions[4] = {p->storage->version, m->storage->version, v->storage->version,
                            vmax->storage->version};
    CHECK(lc_adam_step(p, g, m, v, o->amsgrad ? vmax : NULL, s + 1, o->lr, o->beta1, o->beta2,
                       o->eps, o->wd, o->decoupled, o->amsgrad, o->maximize) == 0);
    CHECK(p->storage->version > versions[0]);
    CHECK(m->storage->version > versions[1]);
    CHECK(v->storage->version > versions[2]);
    CHECK((vmax->storage->version > versions[3]) == o->amsgrad);
    lc_release(g);
  }
  double tol = dt == LC_FLOAT64 ? 1e-12 : 1e-5;
  check_values(p, want, N, tol);
  check_values(m, want_m, N, tol);
  if (o->amsgrad) check_values(vmax, want_vmax, N, tol);
  lc_release(p);
  lc_release(m);
  lc_release(v);
  lc_release(vmax);
}

/* ---- errors ---------------------------------------------------------------- */

static void expect_error(int rc, const char *sub) {
  CHECK(rc == -1);
  CHECK_CONTAINS(lc_error(), sub);
}

static void test_errors(void) {
  int64_t n3 = 3, n4 = 4, s23[2] = {2, 3};
  lc_tensor *p = lc_zeros(LC_FLOAT64, 1, &n3), *g = lc_full(LC_FLOAT64, 1, &n3, 1.0);
  lc_tensor *m = lc_zeros_like(p), *v = lc_zeros_like(p);
  lc_tensor *g32 = lc_zeros(LC_FLOAT32, 1, &n3), *g4 = lc_zeros(LC_FLOAT64, 1, &n4);
  lc_tensor *ip = lc_zeros(LC_INT64, 1, &n3), *ig = lc_zeros(LC_INT64, 1, &n3);
  lc_tensor *mat = lc_zeros(LC_FLOAT64, 2, s23), *matt = lc_transpose(mat, 0, 1);
  lc_tensor *gt = lc_zeros(LC_FLOAT64, 2, (int64_t[]){3, 2});
  uint64_t version = p->storage->version;

  expect_error(lc_sgd_step(p, g32, NULL, 0.1, 0, 0, 0, false, false, false),
               "sgd_step: grad has dtype float32 but param has dtype float64");
  expect_error(lc_sgd_step(p, g4, NULL, 0.1, 0, 0, 0, false, false, false),
               "sgd_step: grad has shape (4) but param has shape (3)");
  expect_error(lc_sgd_step(ip, ig, NULL, 0.1, 0, 0, 0, false, false, false),
               "sgd_step: param must be float32 or float64, got int64");
  expect_error(lc_sgd_step(matt, gt, NULL, 0.1, 0, 0, 0, false, false, false),
               "sgd_step: param must be contiguous");
  expect_error(lc_sgd_step(gt, matt, NULL, 0.1, 0, 0, 0, false, false, false),
               "sgd_step: grad must be contiguous");
  expect_error(lc_sgd_step(p, g, NULL, 0.1, 0.9, 0, 0, false, false, true),
               "sgd_step: momentum_buf is missing");
  expect_error(lc_sgd_step(p, g, g32, 0.1, 0.9, 0, 0, false, false, true),
               "sgd_step: momentum_buf has dtype float32");
  expect_error(lc_sgd_step(p, g, p, 0.1, 0.9, 0, 0, false, false, true),
               "sgd_step: param and momentum_buf share memory");
  expect_error(lc_sgd_step(NULL, g, NULL, 0.1, 0, 0, 0, false, false, false),
               "sgd_step: param and grad are required");

  expect_error(lc_adam_step(p, g, m, v, NULL, 1, 1e-3, 0.9, 0.999, 1e-8, 0, false, true, false),
               "adam_step: max_exp_avg_sq is missing");
  expect_error(lc_adam_step(p, g, m, v, NULL, 0, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false),
               "adam_step: step must be at least 1, got 0");
  expect_error(lc_adam_step(p, g, g4, v, NULL, 1, 1e-3, 0.9, 0.999, 1e-8, 0, true, false, false),
               "adamw_step: exp_avg has shape (4) but param has shape (3)");
  expect_error(lc_adam_step(p, g, m, m, NULL, 1, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false),
               "adam_step: exp_avg and exp_avg_sq share memory");
  expect_error(lc_adam_step(p, g, m, g32, NULL, 1, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false),
               "adam_step: exp_avg_sq has dtype float32 but param has dtype float64");
  expect_error(lc_adam_step(p, g, NULL, v, NULL, 1, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false),
               "adam_step: exp_avg is missing");

  /* the kernels of RMSprop, Adagrad, Adadelta, Adamax, NAdam and RAdam share
   * the operand checks: each error once */
  double mu = 1.0;
  expect_error(lc_rmsprop_step(p, g, v, NULL, NULL, 0.01, 0.99, 1e-8, 0, 0, true, false),
               "rmsprop_step: grad_avg is missing");
  expect_error(lc_rmsprop_step(p, g, v, m, NULL, 0.01, 0.99, 1e-8, 0, 0.9, true, false),
               "rmsprop_step: momentum_buf is missing");
  expect_error(lc_adagrad_step(p, g, m, 0, 0.01, 0, 0, 1e-10, false),
               "adagrad_step: step must be at least 1, got 0");
  expect_error(lc_adagrad_step(p, g, g4, 1, 0.01, 0, 0, 1e-10, false),
               "adagrad_step: state_sum has shape (4) but param has shape (3)");
  expect_error(lc_adadelta_step(p, g, m, m, 1.0, 0.9, 1e-6, 0, false),
               "adadelta_step: square_avg and acc_delta share memory");
  expect_error(lc_adamax_step(p, g, m, g32, 1, 2e-3, 0.9, 0.999, 1e-8, 0, false),
               "adamax_step: exp_inf has dtype float32 but param has dtype float64");
  expect_error(lc_nadam_step(p, g, m, v, 1, NULL, 2e-3, 0.9, 0.999, 0, 4e-3, 1e-8),
               "nadam_step: mu_product is required");
  expect_error(lc_nadam_step(p, g, NULL, v, 1, &mu, 2e-3, 0.9, 0.999, 0, 4e-3, 1e-8),
               "nadam_step: exp_avg is missing");
  expect_error(lc_radam_step(p, NULL, m, v, 1, 1e-3, 0.9, 0.999, 0, 1e-8),
               "radam_step: param and grad are required");
  expect_error(lc_radam_step(ip, ig, m, v, 1, 1e-3, 0.9, 0.999, 0, 1e-8),
               "radam_step: param must be float32 or float64, got int64");
  CHECK(mu == 1.0);

  /* nothing was written */
  CHECK(p->storage->version == version);
  for (int i = 0; i < 3; i++) CHECK(lc_get(p, i) == 0 && lc_get(m, i) == 0 && lc_get(v, i) == 0);

  /* a 0-element tensor is a valid no-op */
  int64_t zero = 0;
  lc_tensor *e = lc_zeros(LC_FLOAT32, 1, &zero), *eg = lc_zeros(LC_FLOAT32, 1, &zero);
  CHECK(lc_sgd_step(e, eg, NULL, 0.1, 0, 0, 0, false, false, false) == 0);
  lc_release(e);
  lc_release(eg);

  lc_tensor *all[] = {p, g, m, v, g32, g4, ip, ig, mat, matt, gt};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) lc_release(all[i]);
}

/* Above LC_PARALLEL_GRAIN the loops run on several threads; each element is
 * independent, so the result must not depend on the thread count. */
static void test_threads(void) {
  int64_t n = 100003;
  lc_manual_seed(5);
  lc_tensor *p0 = lc_randn(LC_FLOAT32, 1, &n), *g = lc_randn(LC_FLOAT32, 1, &n);
  lc_tensor *out[2][2];
  int before = lc_get_num_threads();
  for (int k = 0; k < 2; k++) {
    lc_set_num_threads(k + 1);
    lc_tensor *a = lc_clone(p0), *b = lc_clone(p0);
    lc_tensor *buf = lc_zeros_like(p0), *m = lc_zeros_like(p0), *v = lc_zeros_like(p0),
              *vm = lc_zeros_like(p0);
    double mu = 1.0;
    for (int s = 1; s <= 3; s++) {
      CHECK(lc_sgd_step(a, g, buf, 0.1, 0.9, 0, 0.01, true, false, s == 1) == 0);
      CHECK(lc_adam_step(b, g, m, v, vm, s, 0.01, 0.9, 0.999, 1e-8, 0.1, true, true, false) == 0);
      /* the other kernels run on the same state tensors: only the thread
       * count differs between the two passes */
      CHECK(lc_rmsprop_step(a, g, m, v, buf, 0.01, 0.9, 1e-8, 0.1, 0.5, true, false) == 0);
      CHECK(lc_adagrad_step(b, g, vm, s, 0.01, 0.01, 0.1, 1e-10, false) == 0);
      CHECK(lc_adadelta_step(a, g, m, v, 1.0, 0.9, 1e-6, 0, true) == 0);
      CHECK(lc_adamax_step(b, g, m, v, s, 2e-3, 0.9, 0.999, 1e-8, 0.1, false) == 0);
      CHECK(lc_nadam_step(a, g, m, v, s, &mu, 2e-3, 0.9, 0.999, 0.1, 4e-3, 1e-8) == 0);
      CHECK(lc_radam_step(b, g, m, v, s, 1e-3, 0.9, 0.999, 0.1, 1e-8) == 0);
    }
    out[k][0] = a;
    out[k][1] = b;
    lc_release(buf);
    lc_release(m);
    lc_release(v);
    lc_release(vm);
  }
  lc_set_num_threads(before);
  for (int j = 0; j < 2; j++) {
    CHECK(memcmp(lc_data(out[0][j]), lc_data(out[1][j]), (size_t)n * sizeof(float)) == 0);
    CHECK(lc_get(out[0][j], n - 1) != lc_get(p0, n - 1));
    lc_release(out[0][j]);
    lc_release(out[1][j]);
  }
  lc_release(p0);
  lc_release(g);
}

int main(void) {
  lc_dtype dts[2] = {LC_FLOAT64, LC_FLOAT32};
  for (int d = 0; d < 2; d++) {
    sgd_opts sgds[] = {
        {0.1, 0, 0, 0, false, false},    {0.05, 0.9, 0, 0, false, false},
        {0.05, 0.8, 0.3, 0, false, false}, {0.05, 0.9, 0, 0, true, false},
        {0.1, 0, 0, 0.01, false, false}, {0.03, 0.5, 0, 0.1, false, true},
    };
    for (size_t i = 0; i < sizeof sgds / sizeof *sgds; i++) test_sgd(dts[d], &sgds[i]);
    adam_opts adams[] = {
        {1e-3, 0.9, 0.999, 1e-8, 0, false, false, false},
        {0.01, 0.8, 0.99, 1e-6, 0.1, false, false, false},
        {0.01, 0.9, 0.999, 1e-8, 0, false, true, false},
        {0.02, 0.9, 0.999, 1e-8, 0.05, false, true, true},
        {0.01, 0.9, 0.999, 1e-8, 0.1, true, false, false},
        {0.01, 0.85, 0.995, 1e-8, 0.05, true, true, true},
    };
    for (size_t i = 0; i < sizeof adams / sizeof *adams; i++) test_adam(dts[d], &adams[i]);
  }
  test_errors();
  test_threads();
  return test_summary();
}
