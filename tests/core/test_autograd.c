/* test_autograd.c: the reverse-mode engine from C: gradients of a small
 * graph, accumulation into .grad over several backward passes, retain_graph
 * and the freed-graph error, the version-counter error for saved tensors
 * modified in place, lc_autograd_grad, grad mode, detach, errors of bad
 * roots and seeds, the custom-op API (lc_node_new / lc_node_save /
 * lc_node_saved / lc_node_attach / lc_record) checked with gradcheck.h,
 * and that graphs are freed (deep chains included). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

#define S(...) ((const int64_t[]){__VA_ARGS__})
#define V(...) ((const double[]){__VA_ARGS__})

static lc_tensor *leaf(int ndim, const int64_t *sizes, const double *vals) {
  lc_tensor *t = lc_empty(LC_FLOAT64, ndim, sizes);
  for (int64_t i = 0; i < lc_numel(t); i++) ((double *)lc_data(t))[i] = vals[i];
  t->requires_grad = true;
  return t;
}

static void check_grad(const lc_tensor *x, const double *want, double tol) {
  CHECK(x->grad != NULL);
  if (!x->grad) return;
  CHECK(lc_same_shape(x->grad, x) && x->grad->dtype == x->dtype);
  for (int64_t i = 0; i < lc_numel(x); i++) CHECK_NEAR(lc_get(x->grad, i), want[i], tol);
}

/* y = sum(x * x * w) + sum(w): dy/dx = 2 x w, dy/dw = x^2 + 1 */
static lc_tensor *small_graph(lc_tensor *x, lc_tensor *w) {
  lc_tensor *xx = lc_binary(LC_MUL, x, x);
  lc_tensor *p = lc_binary(LC_MUL, xx, w);
  lc_tensor *s1 = lc_sum(p, LC_ALL_DIMS, false), *s2 = lc_sum(w, LC_ALL_DIMS, false);
  lc_tensor *y = lc_binary(LC_ADD, s1, s2);
  lc_release(xx), lc_release(p), lc_release(s1), lc_release(s2);
  return y;
}

static void test_backward_and_accumulation(void) {
  lc_tensor *x = leaf(1, S(3), V(1, 2, 3)), *w = leaf(1, S(3), V(0.5, -1, 2));
  lc_tensor *y = small_graph(x, w);
  CHECK(y && y->requires_grad && y->grad_fn != NULL && y->ndim == 0);
  CHECK(!x->grad_fn && !x->grad);
  CHECK_NEAR(lc_get(y, 0), 0.5 - 4 + 18 + 1.5, 1e-12);
  CHECK(lc_backward(&y, NULL, 1, false) == 0);
  check_grad(x, V(1, -4, 12), 1e-12);
  check_grad(w, V(2, 5, 10), 1e-12);
  lc_release(y);
  /* a second graph: gradients add up in .grad */
  y = small_graph(x, w);
  CHECK(lc_backward(&y, NULL, 1, false) == 0);
  check_grad(x, V(2, -8, 24), 1e-12);
  check_grad(w, V(4, 10, 20), 1e-12);
  lc_release(y);
  /* an explicit seed scales everything */
  lc_release(x->grad), x->grad = NULL;
  lc_release(w->grad), w->grad = NULL;
  y = small_graph(x, w);
  lc_tensor *seed = lc_scalar(LC_FLOAT64, 3);
  CHECK(lc_backward(&y, &seed, 1, false) == 0);
  check_grad(x, V(3, -12, 36), 1e-12);
  lc_release(seed), lc_release(y);
  lc_release(x), lc_release(w);
}

static void test_non_scalar_root(void) {
  lc_tensor *x = leaf(2, S(2, 2), V(1, 2, 3, 4));
  lc_tensor *y = lc_unary(LC_EXP, x);
  CHECK(lc_backward(&y, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "grad can be implicitly created only for scalar outputs");
  lc_tensor *bad = lc_zeros(LC_FLOAT64, 1, S(4));
  CHECK(lc_backward(&y, &bad, 1, true) == -1);
  CHECK_CONTAINS(lc_error(), "backward: grad has shape (4), expected (2, 2)");
  lc_tensor *g = lc_full(LC_FLOAT32, 2, S(2, 2), 2); /* converted to y's dtype */
  CHECK(lc_backward(&y, &g, 1, false) == 0);
  double want[4];
  for (int i = 0; i < 4; i++) want[i] = 2 * exp(i + 1);
  check_grad(x, want, 1e-12);
  lc_release(g), lc_release(bad), lc_release(y);
  /* a root that does not require grad */
  lc_tensor *c = lc_zeros(LC_FLOAT64, 0, NULL);
  CHECK(lc_backward(&c, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "does not require grad");
  lc_release(c), lc_release(x);
}

static void test_retain_graph(void) {
  lc_tensor *x = leaf(1, S(2), V(0.5, -1));
  lc_tensor *t = lc_unary(LC_TANH, x); /* saves its output */
  lc_tensor *y = lc_sum(t, LC_ALL_DIMS, false);
  CHECK(lc_backward(&y, NULL, 1, true) == 0);
  double g0[2] = {1 - tanh(0.5) * tanh(0.5), 1 - tanh(-1) * tanh(-1)};
  check_grad(x, g0, 1e-12);
  CHECK(lc_backward(&y, NULL, 1, false) == 0); /* retained: runs again, then frees */
  double g1[2] = {2 * g0[0], 2 * g0[1]};
  check_grad(x, g1, 1e-12);
  CHECK(lc_backward(&y, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "backward through the graph a second time");
  CHECK_CONTAINS(lc_error(), "retain_graph");
  check_grad(x, g1, 1e-12); /* a failed pass leaves .grad alone */
  lc_release(y), lc_release(t), lc_release(x);
}

static void test_version_counter(void) {
  lc_tensor *x = leaf(1, S(3), V(0.1, 0.2, 0.3));
  lc_tensor *e = lc_unary(LC_EXP, x); /* ExpBackward saves e */
  lc_tensor *y = lc_sum(e, LC_ALL_DIMS, false);
  uint64_t v = e->storage->version;
  CHECK(lc_binary_scalar_(LC_MUL, e, 2) == 0); /* allowed: e is not a leaf */
  CHECK(e->storage->version > v);
  lc_tensor *y2 = lc_sum(e, LC_ALL_DIMS, false);
  CHECK(lc_backward(&y2, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "modified by an in-place operation");
  CHECK(x->grad == NULL);
  lc_release(y2), lc_release(y), lc_release(e);

  /* an op that saves nothing it needs is unaffected: y = x * 3, then y += 1 */
  lc_tensor *m = lc_binary_scalar(LC_MUL, x, 3, false);
  CHECK(lc_binary_scalar_(LC_ADD, m, 1) == 0);
  lc_tensor *s = lc_sum(m, LC_ALL_DIMS, false);
  CHECK(lc_backward(&s, NULL, 1, false) == 0);
  check_grad(x, V(3, 3, 3), 1e-12);
  lc_release(s), lc_release(m), lc_release(x);
}

static void test_autograd_grad(void) {
  lc_tensor *x = leaf(1, S(3), V(1, 2, 3)), *w = leaf(1, S(3), V(0.5, -1, 2));
  lc_tensor *unused = leaf(1, S(2), V(0, 0));
  lc_tensor *y = small_graph(x, w);
  lc_tensor *ins[3] = {x, w, unused}, *out[3];
  CHECK(lc_autograd_grad(&y, NULL, 1, ins, 3, out, true) == 0);
  CHECK(x->grad == NULL && w->grad == NULL); /* .grad untouched */
  CHECK(out[0] && out[1] && out[2] == NULL);
  const double gx[3] = {1, -4, 12}, gw[3] = {2, 5, 10};
  for (int i = 0; i < 3 && out[0]; i++) CHECK_NEAR(lc_get(out[0], i), gx[i], 1e-12);
  for (int i = 0; i < 3 && out[1]; i++) CHECK_NEAR(lc_get(out[1], i), gw[i], 1e-12);
  lc_release(out[0]), lc_release(out[1]);
  /* retained: a plain backward still works */
  CHECK(lc_backward(&y, NULL, 1, false) == 0);
  check_grad(x, V(1, -4, 12), 1e-12);
  /* gradients with respect to an intermediate (non-leaf) tensor */
  lc_tensor *h = lc_binary_scalar(LC_MUL, x, 2, false);
  lc_tensor *hh = lc_binary(LC_MUL, h, h);
  lc_tensor *z = lc_sum(hh, LC_ALL_DIMS, false);
  lc_tensor *hz = NULL;
  CHECK(lc_autograd_grad(&z, NULL, 1, &h, 1, &hz, false) == 0);
  CHECK(hz != NULL);
  for (int i = 0; hz && i < 3; i++) CHECK_NEAR(lc_get(hz, i), 2 * lc_get(h, i), 1e-12);
  lc_release(hz), lc_release(z), lc_release(hh), lc_release(h);
  /* an input that does not require grad */
  lc_tensor *c = lc_zeros(LC_FLOAT64, 1, S(3));
  lc_tensor *y2 = small_graph(x, w);
  lc_tensor *o;
  CHECK(lc_autograd_grad(&y2, NULL, 1, &c, 1, &o, false) == -1);
  CHECK_CONTAINS(lc_error(), "grad: input 1 does not require grad");
  lc_release(y2), lc_release(c);
  lc_release(y), lc_release(unused), lc_release(x), lc_release(w);
}

static void test_grad_mode_and_detach(void) {
  lc_tensor *x = leaf(1, S(2), V(1, 2));
  CHECK(lc_grad_enabled());
  bool was = lc_set_grad_enabled(false);
  CHECK(was && !lc_grad_enabled());
  lc_tensor *y = lc_unary(LC_EXP, x);
  CHECK(!y->requires_grad && !y->grad_fn);
  CHECK(!lc_should_record(1, (const lc_tensor *[]){x}));
  lc_set_grad_enabled(true);
  CHECK(lc_should_record(1, (const lc_tensor *[]){x}));
  CHECK(!lc_should_record(1, (const lc_tensor *[]){y}));
  lc_release(y);
  lc_tensor *e = lc_unary(LC_EXP, x);
  lc_tensor *d = lc_detach(e);
  CHECK(d->storage == e->storage && !d->requires_grad && !d->grad_fn);
  /* the detached branch contributes no gradient */
  lc_tensor *p = lc_binary(LC_MUL, e, d);
  lc_tensor *s = lc_sum(p, LC_ALL_DIMS, false);
  CHECK(lc_backward(&s, NULL, 1, false) == 0);
  check_grad(x, V(exp(1) * exp(1), exp(2) * exp(2)), 1e-9);
  lc_release(s), lc_release(p), lc_release(d), lc_release(e), lc_release(x);
}

static void test_diamond(void) {
  /* x feeds two branches that meet again: gradients from both add up */
  lc_tensor *x = leaf(1, S(2), V(0.3, -0.7));
  lc_tensor *a = lc_unary(LC_SIGMOID, x), *b = lc_unary(LC_TANH, x);
  lc_tensor *c = lc_binary(LC_MUL, a, b);
  lc_tensor *s = lc_sum(c, LC_ALL_DIMS, false);
  CHECK(lc_backward(&s, NULL, 1, false) == 0);
  double want[2];
  for (int i = 0; i < 2; i++) {
    double v = i ? -0.7 : 0.3, sg = 1 / (1 + exp(-v)), th = tanh(v);
    want[i] = sg * (1 - sg) * th + sg * (1 - th * th);
  }
  check_grad(x, want, 1e-12);
  lc_release(s), lc_release(c), lc_release(a), lc_release(b), lc_release(x);
}

/* ---- the custom-op API -------------------------------------------------------- */

/* cube(x) = x^3 as a custom op: saves x, backward g * 3 x^2 */
static int cube_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *x = lc_node_saved(n, 0);
  if (!x) return -1;
  if (!lc_node_needs_grad(n, 0)) return 0;
  lc_tensor *x2 = lc_binary(LC_MUL, x, x);
  lc_tensor *t = x2 ? lc_binary_scalar(LC_MUL, x2, 3, false) : NULL;
  gin[0] = t ? lc_binary(LC_MUL, g[0], t) : NULL;
  lc_release(x2), lc_release(t);
  return gin[0] ? 0 : -1;
}

static int cube_calls;

static lc_tensor *cube(const lc_tensor *x) {
  bool was = lc_set_grad_enabled(false); /* the forward itself records nothing */
  lc_tensor *x2 = lc_binary(LC_MUL, x, x);
  lc_tensor *y = lc_binary(LC_MUL, x2, x);
  lc_set_grad_enabled(was);
  lc_release(x2);
  if (!y || !lc_should_record(1, &x)) return y;
  lc_node *n = lc_node_new("CubeBackward", cube_backward, 1, &x, 1);
  if (!n || lc_node_save(n, x)) {
    lc_node_release(n);
    lc_release(y);
    return NULL;
  }
  lc_node_attach(n, &y, 1);
  lc_node_release(n);
  cube_calls++;
  return y;
}

/* split2(a, b) = (a + b, a * b): a node with two inputs and two outputs */
static int split2_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lc_tensor *a = lc_node_saved(n, 0), *b = lc_node_saved(n, 1);
  if (!a || !b) return -1;
  /* d(sum)/da = 1, d(prod)/da = b */
  lc_tensor *gb = lc_binary(LC_MUL, g[1], b), *ga = lc_binary(LC_MUL, g[1], a);
  if (lc_node_needs_grad(n, 0)) gin[0] = lc_binary(LC_ADD, g[0], gb);
  if (lc_node_needs_grad(n, 1)) gin[1] = lc_binary(LC_ADD, g[0], ga);
  lc_release(gb), lc_release(ga);
  return 0;
}

static int split2(const lc_tensor *a, const lc_tensor *b, lc_tensor **sum, lc_tensor **prod) {
  bool was = lc_set_grad_enabled(false);
  *sum = lc_binary(LC_ADD, a, b);
  *prod = lc_binary(LC_MUL, a, b);
  lc_set_grad_enabled(was);
  const lc_tensor *ins[2] = {a, b};
  if (!lc_should_record(2, ins)) return 0;
  lc_node *n = lc_node_new("Split2Backward", split2_backward, 2, ins, 2);
  if (!n || lc_node_save(n, a) || lc_node_save(n, b)) return -1;
  lc_tensor *outs[2] = {*sum, *prod};
  lc_node_attach(n, outs, 2);
  lc_node_release(n);
  return 0;
}

/* a backward that returns a gradient of the wrong shape */
static int wrong_shape_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  (void)n, (void)g;
  gin[0] = lc_zeros(LC_FLOAT64, 1, S(7));
  return 0;
}

static lc_tensor *cube_loss(lc_tensor *const *in, void *ctx) {
  (void)ctx;
  lc_tensor *t = lc_transpose(in[0], 0, 1); /* and through a non-contiguous view */
  lc_tensor *y = cube(t);
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(t);
  return l;
}

static lc_tensor *split2_loss(lc_tensor *const *in, void *ctx) {
  int which = *(int *)ctx; /* 0: both outputs used, 1: only prod, 2: only sum */
  lc_tensor *s = NULL, *p = NULL;
  if (split2(in[0], in[1], &s, &p)) return NULL;
  lc_tensor *l;
  if (which == 1) l = gc_weighted_sum(p);
  else if (which == 2) l = gc_weighted_sum(s);
  else {
    lc_tensor *e = lc_unary(LC_EXP, p);
    lc_tensor *q = lc_binary(LC_MUL, s, e);
    l = gc_weighted_sum(q);
    lc_release(e), lc_release(q);
  }
  lc_release(s), lc_release(p);
  return l;
}

static void test_custom_ops(void) {
  lc_tensor *x = gc_leaf(2, S(3, 4), -1, 1);
  CHECK(gradcheck("custom cube", cube_loss, &x, 1, NULL) == 0);
  CHECK(cube_calls > 0);
  lc_tensor *y = cube(x);
  CHECK(y && y->grad_fn && !strcmp(y->grad_fn->name, "CubeBackward"));
  CHECK(y->grad_fn->n_inputs == 1 && y->grad_fn->n_saved == 1 && y->output_nr == 0);
  CHECK(y->grad_fn->inputs[0].leaf == x && y->grad_fn->inputs[0].fn == NULL);
  lc_tensor *y2 = cube(y); /* an edge to another node, not a leaf */
  CHECK(y2->grad_fn->inputs[0].fn == y->grad_fn && y2->grad_fn->inputs[0].leaf == NULL);
  lc_release(y2), lc_release(y), lc_release(x);

  for (int which = 0; which < 3; which++) {
    lc_tensor *in[2] = {gc_leaf(1, S(5), -1, 1), gc_leaf(1, S(5), -1, 1)};
    char name[64];
    snprintf(name, sizeof name, "custom two-output node (case %d)", which);
    CHECK(gradcheck(name, split2_loss, in, 2, &which) == 0);
    lc_release(in[0]), lc_release(in[1]);
  }
  /* only one input requiring grad: needs_grad says which */
  lc_tensor *a = gc_leaf(1, S(3), -1, 1), *b = lc_full(LC_FLOAT64, 1, S(3), 2);
  lc_tensor *s, *p;
  CHECK(split2(a, b, &s, &p) == 0);
  CHECK(s->grad_fn == p->grad_fn && s->output_nr == 0 && p->output_nr == 1);
  CHECK(lc_node_needs_grad(s->grad_fn, 0) && !lc_node_needs_grad(s->grad_fn, 1));
  lc_tensor *sp = lc_sum(p, LC_ALL_DIMS, false);
  CHECK(lc_backward(&sp, NULL, 1, false) == 0);
  check_grad(a, V(2, 2, 2), 1e-12);
  CHECK(b->grad == NULL);
  lc_release(sp), lc_release(s), lc_release(p), lc_release(a), lc_release(b);

  /* a node whose saved tensor is modified in place reports it */
  lc_tensor *x3 = gc_leaf(1, S(3), -1, 1);
  lc_tensor *m = lc_binary_scalar(LC_MUL, x3, 1, false);
  lc_tensor *c = cube(m);
  CHECK(lc_binary_scalar_(LC_ADD, m, 1) == 0);
  lc_tensor *cs = lc_sum(c, LC_ALL_DIMS, false);
  CHECK(lc_backward(&cs, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "CubeBackward");
  CHECK_CONTAINS(lc_error(), "modified by an in-place operation");
  lc_release(cs), lc_release(c), lc_release(m), lc_release(x3);

  /* lc_record, and a wrong-shaped gradient is an error naming the node */
  lc_tensor *x4 = gc_leaf(1, S(3), -1, 1);
  bool was = lc_set_grad_enabled(false);
  lc_tensor *o = lc_clone(x4); /* a fresh output without history */
  lc_set_grad_enabled(was);
  lc_node *n = lc_record("WrongBackward", wrong_shape_backward, o, 1, (const lc_tensor *[]){x4});
  CHECK(n && o->grad_fn == n && o->requires_grad);
  lc_tensor *os = lc_sum(o, LC_ALL_DIMS, false);
  CHECK(lc_backward(&os, NULL, 1, false) == -1);
  CHECK_CONTAINS(lc_error(), "WrongBackward returned a gradient of shape (7) for input 1, expected (3)");
  lc_release(os), lc_release(o), lc_release(x4);
}

/* ---- freeing graphs ------------------------------------------------------------- */

static void test_graphs_are_freed(void) {
  lc_tensor *w = gc_leaf(2, S(16, 16), -0.3, 0.3);
  size_t base = lc_live_bytes();
  lc_tensor *h = lc_full(LC_FLOAT64, 2, S(4, 16), 0.5);
  for (int i = 0; i < 200; i++) {
    lc_tensor *m = lc_matmul(h, w);
    lc_tensor *t = lc_unary(LC_TANH, m);
    lc_release(m), lc_release(h);
    h = t;
  }
  CHECK(lc_live_bytes() > base + 200 * 4 * 16 * 8);
  lc_tensor *s = lc_sum(h, LC_ALL_DIMS, false);
  lc_release(h);
  CHECK(lc_backward(&s, NULL, 1, false) == 0);
  lc_release(s);
  /* only w's new gradient remains */
  CHECK(w->grad != NULL);
  CHECK(lc_live_bytes() <= base + lc_nbytes(w) + 1024);
  lc_release(w);

  /* a chain of 100000 nodes is freed without recursion */
  lc_tensor *x = gc_leaf(1, S(1), 1, 1);
  lc_tensor *y = lc_retain(x);
  for (int i = 0; i < 100000; i++) {
    lc_tensor *z = lc_binary_scalar(LC_ADD, y, 1e-6, false);
    lc_release(y);
    y = z;
  }
  lc_release(y); /* dropping the graph without backward */
  y = lc_retain(x);
  for (int i = 0; i < 100000; i++) {
    lc_tensor *z = lc_binary_scalar(LC_MUL, y, 1.00001, false);
    lc_release(y);
    y = z;
  }
  CHECK(lc_backward(&y, NULL, 1, false) == 0);
  CHECK_NEAR(lc_get(x->grad, 0), pow(1.00001, 100000), 1e-9 * pow(1.00001, 100000));
  lc_release(y), lc_release(x);
}

int main(void) {
  test_backward_and_accumulation();
  test_non_scalar_root();
  test_retain_graph();
  test_version_counter();
  test_autograd_grad();
  test_grad_mode_and_detach();
  test_diamond();
  test_custom_ops();
  test_graphs_are_freed();
  return test_summary();
}
