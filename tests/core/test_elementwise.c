/* test_elementwise.c: unary and binary ops, broadcasting, scalars, dtype
 * promotion, comparisons, clamp, the in-place ops (values, broadcasting,
 * version counter, leaf check), sum_to; and gradcheck.h float64
 * finite-difference checks of every elementwise op and every view op, on
 * contiguous and non-contiguous inputs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "gradcheck.h"
#include "lc.h"
#include "test_util.h"

#define S(...) ((const int64_t[]){__VA_ARGS__})
#define V(...) ((const double[]){__VA_ARGS__})

/* ---- values --------------------------------------------------------------------- */

/* Every row of the op tables is complete: a name, its arity, a test domain,
 * named parameters (a choice parameter lists its strings). */
static void check_row(const lc_op_info *in, int arity) {
  int failed = test_failed;
  CHECK(in && in->name && in->name[0]);
  if (!in || !in->name) return;
  CHECK(in->arity == arity);
  CHECK(in->lo < in->hi);
  CHECK(in->rule == LC_RULE_SAME || in->rule == LC_RULE_FLOAT || in->rule == LC_RULE_COMPARE);
  CHECK(in->n_params >= 0 && in->n_params <= LC_OP_MAX_PARAMS);
  for (int k = 0; k < in->n_params; k++) CHECK(in->params[k] && in->params[k][0]);
  CHECK(!(in->flags & LC_OP_SAVES_INPUT && in->flags & LC_OP_SAVES_OUTPUT) || arity == 1);
  if (test_failed != failed) fprintf(stderr, "  in the table row of %s\n", in->name);
}

static void test_tables_complete(void) {
  for (int op = 0; op < LC_UNARY_COUNT; op++) {
    check_row(lc_unary_info((lc_unary_op)op), 1);
    CHECK(!strcmp(lc_unary_name((lc_unary_op)op), lc_unary_info((lc_unary_op)op)->name));
  }
  for (int op = 0; op < LC_BINARY_COUNT; op++) check_row(lc_binary_info((lc_binary_op)op), 2);
  CHECK(lc_unary_info(LC_UNARY_COUNT) == NULL && lc_binary_info(LC_BINARY_COUNT) == NULL);
  CHECK(!strcmp(lc_unary_name(LC_TANH), "tanh"));
  CHECK(!strcmp(lc_binary_name(LC_ADD), "add"));
  /* names are unique across both tables (they are Lua method names) */
  for (int i = 0; i < LC_UNARY_COUNT + LC_BINARY_COUNT; i++)
    for (int j = i + 1; j < LC_UNARY_COUNT + LC_BINARY_COUNT; j++) {
      const char *a = i < LC_UNARY_COUNT ? lc_unary_name(i) : lc_binary_name(i - LC_UNARY_COUNT);
      const char *b = j < LC_UNARY_COUNT ? lc_unary_name(j) : lc_binary_name(j - LC_UNARY_COUNT);
      CHECK(strcmp(a, b) != 0);
    }
}

/* The parameter sets a test tries: the defaults, then the sample values. */
static const double *params_of(const lc_op_info *in, int set) {
  return set == 0 ? in->defaults : in->sample;
}

/* Values of every unary row, without hand-written expectations (those come
 * from PyTorch, tests/lua/lucid/fixtures_spec.lua): float32 agrees with
 * float64, a transposed input gives the transposed result, the in-place form
 * equals the out-of-place one, the dtype rule holds for int64. */
static void test_unary_table_values(void) {
  for (int op = 0; op < LC_UNARY_COUNT; op++) {
    const lc_op_info *in = lc_unary_info((lc_unary_op)op);
    int failed = test_failed;
    double xs[12];
    for (int i = 0; i < 12; i++) xs[i] = in->lo + (in->hi - in->lo) * (i * 0.61803398875 - (int)(i * 0.61803398875));
    for (int set = 0; set < (in->n_params ? 2 : 1); set++) {
      const double *p = params_of(in, set);
      lc_tensor *x64 = from(LC_FLOAT64, 2, S(3, 4), xs), *x32 = from(LC_FLOAT32, 2, S(3, 4), xs);
      lc_tensor *r64 = lc_unary_p((lc_unary_op)op, x64, p), *r32 = lc_unary_p((lc_unary_op)op, x32, p);
      CHECK(r64 && r64->dtype == LC_FLOAT64 && r32 && r32->dtype == LC_FLOAT32);
      double want[12], wt[12];
      for (int i = 0; r64 && i < 12; i++) want[i] = lc_get(r64, i);
      if (r32) check_tensor(r32, 2, S(3, 4), want, 2e-6);
      /* transposed view: same values, transposed */
      lc_tensor *t = lc_transpose(x64, 0, 1), *rt = lc_unary_p((lc_unary_op)op, t, p);
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) wt[i * 3 + j] = want[j * 4 + i];
      check_tensor(rt, 2, S(4, 3), wt, 0);
      /* in place, also through the transposed view */
      if (in->flags & LC_OP_INPLACE) {
        lc_tensor *c = lc_clone(x64), *ct = lc_transpose(c, 0, 1);
        CHECK(lc_unary_(op, ct, p) == 0);
        check_tensor(c, 2, S(3, 4), want, 0);
        lc_release(ct), lc_release(c);
      }
      lc_release(rt), lc_release(t), lc_release(r32), lc_release(r64), lc_release(x32), lc_release(x64);
    }
    /* int64 in: float32 out for float-only ops, int64 otherwise */
    lc_tensor *i = from(LC_INT64, 1, S(2), V(1, 2));
    lc_tensor *r = lc_unary((lc_unary_op)op, i);
    CHECK(r && r->dtype == (in->rule == LC_RULE_FLOAT ? LC_FLOAT32 : LC_INT64));
    if (in->flags & LC_OP_INPLACE && in->rule == LC_RULE_FLOAT) {
      CHECK(lc_unary_(op, i, NULL) == -1);
      CHECK_CONTAINS(lc_error(), "can't be cast to the desired output type int64");
    }
    lc_release(r), lc_release(i);
    if (test_failed != failed) fprintf(stderr, "  in the values of %s\n", in->name);
  }
  /* a few values by hand, for the reader */
  lc_tensor *i = from(LC_INT64, 1, S(2), V(-3, 4));
  lc_tensor *r = lc_unary(LC_ABS, i);
  CHECK(r && r->dtype == LC_INT64 && lc_get_int(r, 0) == 3);
  lc_release(r);
  r = lc_unary(LC_NEG, i);
  CHECK(r && lc_get_int(r, 1) == -4);
  lc_release(r), lc_release(i);
  lc_tensor *x = from(LC_FLOAT64, 1, S(3), V(-1, 0, 2));
  r = lc_unary(LC_EXP, x), check_tensor(r, 1, S(3), V(exp(-1), 1, exp(2)), 1e-15), lc_release(r);
  r = lc_unary(LC_RELU, x), check_tensor(r, 1, S(3), V(0, 0, 2), 0), lc_release(r);
  lc_release(x);
}

/* Values of every binary row, as for the unary ones: float32 agrees with
 * float64, transposed and broadcast operands give the same values, the
 * in-place form equals the out-of-place one, int64 follows the dtype rule. */
static void test_binary_table_values(void) {
  for (int op = 0; op < LC_BINARY_COUNT; op++) {
    const lc_op_info *in = lc_binary_info((lc_binary_op)op);
    int failed = test_failed;
    double xs[12], ys[4];
    for (int i = 0; i < 12; i++) xs[i] = in->lo + (in->hi - in->lo) * (i * 0.61803398875 - (int)(i * 0.61803398875));
    for (int i = 0; i < 4; i++) ys[i] = in->lo + (in->hi - in->lo) * (i * 0.3819660113 + 0.1 - (int)(i * 0.3819660113 + 0.1));
    lc_tensor *a64 = from(LC_FLOAT64, 2, S(3, 4), xs), *b64 = from(LC_FLOAT64, 1, S(4), ys);
    lc_tensor *a32 = from(LC_FLOAT32, 2, S(3, 4), xs), *b32 = from(LC_FLOAT32, 1, S(4), ys);
    lc_tensor *r64 = lc_binary((lc_binary_op)op, a64, b64), *r32 = lc_binary((lc_binary_op)op, a32, b32);
    double want[12], wt[12];
    for (int i = 0; r64 && i < 12; i++) want[i] = lc_get(r64, i);
    CHECK(r64 && r32 && r32->dtype == (in->rule == LC_RULE_COMPARE ? lc_compare_dtype(LC_FLOAT32) : LC_FLOAT32));
    if (r32) check_tensor(r32, 2, S(3, 4), want, 2e-6);
    /* a transposed, b broadcast along the other dim */
    lc_tensor *at = lc_transpose(a64, 0, 1), *bc = lc_view(b64, 2, S(4, 1));
    lc_tensor *rt = at && bc ? lc_binary((lc_binary_op)op, at, bc) : NULL;
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 3; j++) wt[i * 3 + j] = want[j * 4 + i];
    check_tensor(rt, 2, S(4, 3), wt, 0);
    if (in->flags & LC_OP_INPLACE && in->rule != LC_RULE_COMPARE) {
      lc_tensor *c = lc_clone(a64);
      CHECK(lc_binary_(op, c, b64) == 0);
      check_tensor(c, 2, S(3, 4), want, 0);
      lc_release(c);
    }
    lc_tensor *i1 = from(LC_INT64, 1, S(2), V(3, 2)), *i2 = from(LC_INT64, 1, S(2), V(2, 1));
    lc_tensor *ri = lc_binary((lc_binary_op)op, i1, i2);
    CHECK(ri && ri->dtype == (in->rule == LC_RULE_FLOAT ? LC_FLOAT32
                              : in->rule == LC_RULE_COMPARE ? lc_compare_dtype(LC_INT64) : LC_INT64));
    lc_release(ri), lc_release(i1), lc_release(i2);
    lc_release(rt), lc_release(at), lc_release(bc), lc_release(r32), lc_release(r64);
    lc_release(a64), lc_release(b64), lc_release(a32), lc_release(b32);
    if (test_failed != failed) fprintf(stderr, "  in the values of %s\n", in->name);
  }
  /* by hand: the signs of fmod, remainder and floor division, int64 and float */
  lc_tensor *a = from(LC_INT64, 1, S(4), V(7, -7, 7, -7)), *b = from(LC_INT64, 1, S(4), V(2, 2, -2, -2));
  lc_tensor *r;
  r = lc_binary(LC_FMOD, a, b), check_tensor(r, 1, S(4), V(1, -1, 1, -1), 0), lc_release(r);
  r = lc_binary(LC_REMAINDER, a, b), check_tensor(r, 1, S(4), V(1, 1, -1, -1), 0), lc_release(r);
  r = lc_binary(LC_FLOOR_DIVIDE, a, b), check_tensor(r, 1, S(4), V(3, -4, -4, 3), 0), lc_release(r);
  lc_tensor *af = lc_to(a, LC_FLOAT64), *bf = lc_to(b, LC_FLOAT64);
  r = lc_binary(LC_REMAINDER, af, bf), check_tensor(r, 1, S(4), V(1, 1, -1, -1), 0), lc_release(r);
  r = lc_binary(LC_FLOOR_DIVIDE, af, bf), check_tensor(r, 1, S(4), V(3, -4, -4, 3), 0), lc_release(r);
  /* an integer 0 divisor is an error, never a trap; INT64_MIN / -1 wraps */
  lc_tensor *z = from(LC_INT64, 1, S(4), V(1, 0, 1, 1));
  CHECK(lc_binary(LC_FMOD, a, z) == NULL);
  CHECK_CONTAINS(lc_error(), "fmod: integer division by zero");
  CHECK(lc_binary_(LC_REMAINDER, a, z) == -1);
  CHECK_CONTAINS(lc_error(), "remainder_: integer division by zero");
  ((int64_t *)lc_data(a))[0] = INT64_MIN;
  lc_tensor *m1 = lc_full(LC_INT64, 1, S(1), -1);
  lc_tensor *first = lc_narrow(a, 0, 0, 1);
  r = lc_binary(LC_FLOOR_DIVIDE, first, m1);
  CHECK(r && lc_get_int(r, 0) == INT64_MIN);
  lc_release(r);
  r = lc_binary(LC_FMOD, first, m1);
  CHECK(r && lc_get_int(r, 0) == 0);
  lc_release(r), lc_release(first), lc_release(m1), lc_release(z), lc_release(af), lc_release(bf);
  lc_release(a), lc_release(b);
}

static void test_binary_values(void) {
  lc_tensor *a = from(LC_FLOAT64, 2, S(2, 3), V(1, -2, 3, 0.5, 4, -6));
  lc_tensor *b = from(LC_FLOAT64, 1, S(3), V(2, 4, -1));
  lc_tensor *c = from(LC_FLOAT64, 2, S(2, 1), V(10, 20));
  lc_tensor *r;
  r = lc_binary(LC_ADD, a, b), check_tensor(r, 2, S(2, 3), V(3, 2, 2, 2.5, 8, -7), 0), lc_release(r);
  r = lc_binary(LC_SUB, b, a), check_tensor(r, 2, S(2, 3), V(1, 6, -4, 1.5, 0, 5), 0), lc_release(r);
  r = lc_binary(LC_MUL, a, c), check_tensor(r, 2, S(2, 3), V(10, -20, 30, 10, 80, -120), 0), lc_release(r);
  r = lc_binary(LC_DIV, a, b), check_tensor(r, 2, S(2, 3), V(0.5, -0.5, -3, 0.25, 1, 6), 0), lc_release(r);
  r = lc_binary(LC_POW, c, b), check_tensor(r, 2, S(2, 3), V(100, 1e4, 0.1, 400, 160000, 0.05), 1e-15), lc_release(r);
  r = lc_binary(LC_ADD, b, c), check_tensor(r, 2, S(2, 3), V(12, 14, 9, 22, 24, 19), 0), lc_release(r);
  /* comparisons give 1/0 in the promoted dtype */
  r = lc_binary(LC_GT, a, b), check_tensor(r, 2, S(2, 3), V(0, 0, 1, 0, 0, 0), 0), lc_release(r);
  r = lc_binary(LC_LE, a, b), check_tensor(r, 2, S(2, 3), V(1, 1, 0, 1, 1, 1), 0), lc_release(r);
  r = lc_binary(LC_EQ, b, b), check_tensor(r, 1, S(3), V(1, 1, 1), 0), lc_release(r);
  r = lc_binary(LC_NE, a, a), check_tensor(r, 2, S(2, 3), V(0, 0, 0, 0, 0, 0), 0), lc_release(r);
  r = lc_binary(LC_LT, b, c), check_tensor(r, 2, S(2, 3), V(1, 1, 1, 1, 1, 1), 0), lc_release(r);
  r = lc_binary(LC_GE, c, a), check_tensor(r, 2, S(2, 3), V(1, 1, 1, 1, 1, 1), 0), lc_release(r);
  /* scalars on either side */
  r = lc_binary_scalar(LC_SUB, b, 1, false), check_tensor(r, 1, S(3), V(1, 3, -2), 0), lc_release(r);
  r = lc_binary_scalar(LC_SUB, b, 1, true), check_tensor(r, 1, S(3), V(-1, -3, 2), 0), lc_release(r);
  r = lc_binary_scalar(LC_DIV, b, 8, true), check_tensor(r, 1, S(3), V(4, 2, -8), 0), lc_release(r);
  r = lc_binary_scalar(LC_POW, b, 2, true), check_tensor(r, 1, S(3), V(4, 16, 0.5), 0), lc_release(r);
  /* broadcast (2, 1, 3) with (4, 1) -> (2, 4, 3) */
  lc_tensor *p = from(LC_FLOAT64, 3, S(2, 1, 3), V(1, 2, 3, 4, 5, 6));
  lc_tensor *q = from(LC_FLOAT64, 2, S(4, 1), V(0, 10, 20, 30));
  r = lc_binary(LC_ADD, p, q);
  CHECK(r && r->ndim == 3 && r->sizes[0] == 2 && r->sizes[1] == 4 && r->sizes[2] == 3);
  for (int i = 0; r && i < 2; i++)
    for (int j = 0; j < 4; j++)
      for (int k = 0; k < 3; k++) CHECK(lc_get(r, (i * 4 + j) * 3 + k) == 3 * i + k + 1 + 10 * j);
  lc_release(r);
  int64_t shape[LC_MAX_DIMS];
  CHECK(lc_broadcast_shape("add", p, q, shape) == 3 && shape[0] == 2 && shape[1] == 4 && shape[2] == 3);
  lc_release(p), lc_release(q);
  /* broadcasting error */
  lc_tensor *bad = lc_zeros(LC_FLOAT64, 1, S(2));
  CHECK(lc_binary(LC_MUL, a, bad) == NULL);
  CHECK_CONTAINS(lc_error(), "mul: shapes (2, 3) and (2) cannot be broadcast");
  CHECK(lc_broadcast_shape("sub", a, bad, shape) == -1);
  CHECK_CONTAINS(lc_error(), "sub:");
  lc_release(bad);
  lc_release(a), lc_release(b), lc_release(c);
}

static void test_promotion(void) {
  lc_tensor *i = from(LC_INT64, 1, S(3), V(7, -7, 6));
  lc_tensor *f = from(LC_FLOAT32, 1, S(3), V(0.5, 0.5, 0.5));
  lc_tensor *d = from(LC_FLOAT64, 1, S(3), V(1, 1, 1));
  lc_tensor *r;
  r = lc_binary(LC_ADD, i, f);
  CHECK(r && r->dtype == LC_FLOAT32);
  check_tensor(r, 1, S(3), V(7.5, -6.5, 6.5), 0);
  lc_release(r);
  r = lc_binary(LC_ADD, f, d);
  CHECK(r && r->dtype == LC_FLOAT64);
  lc_release(r);
  r = lc_binary_scalar(LC_MUL, i, 3, false);
  CHECK(r && r->dtype == LC_INT64 && lc_get_int(r, 1) == -21);
  lc_release(r);
  /* a non-integral scalar with an int64 tensor gives float32 */
  r = lc_binary_scalar(LC_ADD, i, 0.5, false);
  CHECK(r && r->dtype == LC_FLOAT32);
  check_tensor(r, 1, S(3), V(7.5, -6.5, 6.5), 0);
  lc_release(r);
  /* a 0-dim operand decides only when of a higher kind (PyTorch's rule) */
  lc_tensor *d0 = lc_scalar(LC_FLOAT64, 1.5), *i0 = lc_scalar(LC_INT64, 2);
  r = lc_binary(LC_ADD, f, d0);
  CHECK(r && r->dtype == LC_FLOAT32);
  lc_release(r);
  r = lc_binary(LC_ADD, i, d0);
  CHECK(r && r->dtype == LC_FLOAT64);
  lc_release(r);
  r = lc_binary(LC_MUL, i0, f);
  CHECK(r && r->dtype == LC_FLOAT32);
  lc_release(r);
  lc_release(d0), lc_release(i0);
  /* int64 clamped with a fractional bound computes in float32 */
  r = lc_clamp(i, 1.5, 2.5);
  CHECK(r && r->dtype == LC_FLOAT32);
  check_tensor(r, 1, S(3), V(2.5, 1.5, 2.5), 0);
  lc_release(r);
  r = lc_clamp(i, 0, 6);
  CHECK(r && r->dtype == LC_INT64 && lc_get_int(r, 0) == 6);
  lc_release(r);
  /* int64 arithmetic is exact beyond 2^53 */
  lc_tensor *big = lc_full(LC_INT64, 1, S(1), 0);
  ((int64_t *)lc_data(big))[0] = (INT64_C(1) << 60) + 1;
  r = lc_binary_scalar(LC_ADD, big, 2, false);
  CHECK(r && lc_get_int(r, 0) == (INT64_C(1) << 60) + 3);
  lc_release(r), lc_release(big);
  lc_release(i), lc_release(f), lc_release(d);
}

static void test_clamp(void) {
  lc_tensor *x = from(LC_FLOAT64, 1, S(5), V(-2, -0.5, 0, 0.5, 2));
  lc_tensor *r;
  r = lc_clamp(x, -1, 1), check_tensor(r, 1, S(5), V(-1, -0.5, 0, 0.5, 1), 0), lc_release(r);
  r = lc_clamp(x, 0, INFINITY), check_tensor(r, 1, S(5), V(0, 0, 0, 0.5, 2), 0), lc_release(r);
  r = lc_clamp(x, -INFINITY, -1), check_tensor(r, 1, S(5), V(-2, -1, -1, -1, -1), 0), lc_release(r);
  CHECK(lc_clamp(x, NAN, 1) == NULL);
  CHECK_CONTAINS(lc_error(), "clamp: bounds must not be NaN");
  lc_release(x);
}

static void test_inplace(void) {
  lc_tensor *a = from(LC_FLOAT64, 2, S(2, 3), V(1, 2, 3, 4, 5, 6));
  uint64_t v0 = a->storage->version;
  lc_tensor *row = from(LC_FLOAT64, 1, S(3), V(10, 20, 30));
  CHECK(lc_binary_(LC_ADD, a, row) == 0);
  check_tensor(a, 2, S(2, 3), V(11, 22, 33, 14, 25, 36), 0);
  CHECK(a->storage->version > v0);
  uint64_t v1 = a->storage->version;
  CHECK(lc_binary_scalar_(LC_MUL, a, 2) == 0);
  check_tensor(a, 2, S(2, 3), V(22, 44, 66, 28, 50, 72), 0);
  CHECK(a->storage->version > v1);
  /* in place through a transposed view */
  lc_tensor *t = lc_transpose(a, 0, 1);
  lc_tensor *col = from(LC_FLOAT64, 1, S(2), V(1, 2));
  CHECK(lc_binary_(LC_SUB, t, col) == 0);
  check_tensor(a, 2, S(2, 3), V(21, 43, 65, 26, 48, 70), 0);
  /* the operand must broadcast to the destination, not the other way */
  lc_tensor *big = lc_zeros(LC_FLOAT64, 2, S(3, 3));
  CHECK(lc_binary_(LC_ADD, row, big) == -1);
  CHECK_CONTAINS(lc_error(), "add");
  CHECK_CONTAINS(lc_error(), "(3, 3)");
  /* fill_, copy_ (converting dtype and broadcasting) */
  uint64_t v2 = a->storage->version;
  CHECK(lc_fill_(t, 1.5) == 0);
  check_tensor(a, 2, S(2, 3), V(1.5, 1.5, 1.5, 1.5, 1.5, 1.5), 0);
  CHECK(a->storage->version > v2);
  lc_tensor *src = from(LC_INT64, 1, S(3), V(7, 8, 9));
  uint64_t v3 = a->storage->version;
  CHECK(lc_copy_(a, src) == 0);
  check_tensor(a, 2, S(2, 3), V(7, 8, 9, 7, 8, 9), 0);
  CHECK(a->storage->version > v3);
  CHECK(lc_copy_(src, a) == -1);
  CHECK_CONTAINS(lc_error(), "copy_:");
  /* a leaf that requires grad refuses in-place writes while grad mode is on */
  lc_tensor *w = from(LC_FLOAT64, 1, S(3), V(1, 2, 3));
  w->requires_grad = true;
  CHECK(lc_binary_scalar_(LC_ADD, w, 1) == -1);
  CHECK_CONTAINS(lc_error(), "a leaf tensor that requires grad is used in an in-place operation");
  CHECK(lc_fill_(w, 0) == -1);
  CHECK_CONTAINS(lc_error(), "fill_");
  CHECK(lc_copy_(w, row) == -1);
  CHECK_CONTAINS(lc_error(), "copy_");
  bool was = lc_set_grad_enabled(false);
  CHECK(lc_binary_scalar_(LC_ADD, w, 1) == 0);
  lc_set_grad_enabled(was);
  check_tensor(w, 1, S(3), V(2, 3, 4), 0);
  lc_release(w), lc_release(src), lc_release(big), lc_release(col), lc_release(t), lc_release(row),
      lc_release(a);
}

static void test_sum_to(void) {
  lc_tensor *g = from(LC_FLOAT64, 3, S(2, 2, 3), V(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
  lc_tensor *r;
  r = lc_sum_to(g, 1, S(3)), check_tensor(r, 1, S(3), V(22, 26, 30), 0), lc_release(r);
  r = lc_sum_to(g, 3, S(2, 1, 1)), check_tensor(r, 3, S(2, 1, 1), V(21, 57), 0), lc_release(r);
  r = lc_sum_to(g, 2, S(2, 1)), check_tensor(r, 2, S(2, 1), V(1 + 2 + 3 + 7 + 8 + 9, 4 + 5 + 6 + 10 + 11 + 12), 0), lc_release(r);
  r = lc_sum_to(g, 0, NULL), check_tensor(r, 0, NULL, V(78), 0), lc_release(r);
  lc_release(g);
}

/* ---- gradcheck ----------------------------------------------------------------- */

/* How the loss sees its first input before the op: as it is, or through a
 * non-contiguous view of the same elements. */
typedef enum { AS_IS, TRANSPOSED, STRIDED } layout;

/* leaf shapes: TRANSPOSED takes the last two dims swapped, STRIDED an extra
 * last dim of 2 (the view selects index 1 of it) */
static lc_tensor *make_leaf(layout l, int ndim, const int64_t *sizes, double lo, double hi) {
  int64_t s[LC_MAX_DIMS];
  memcpy(s, sizes, ndim * sizeof *s);
  if (l == TRANSPOSED && ndim >= 2) {
    int64_t tmp = s[ndim - 1];
    s[ndim - 1] = s[ndim - 2], s[ndim - 2] = tmp;
  }
  if (l == STRIDED) s[ndim++] = 2;
  return gc_leaf(ndim, s, lo, hi);
}

static lc_tensor *see(layout l, const lc_tensor *leaf) {
  if (l == TRANSPOSED && leaf->ndim >= 2) return lc_transpose(leaf, leaf->ndim - 2, leaf->ndim - 1);
  if (l == STRIDED) return lc_select(leaf, leaf->ndim - 1, 1);
  return lc_retain((lc_tensor *)leaf);
}

typedef struct {
  layout lay[2];
  int op;
  double s;
  bool scalar_first;
} op_ctx;

static lc_tensor *unary_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *x = see(c->lay[0], in[0]);
  const lc_op_info *info = lc_unary_info((lc_unary_op)c->op);
  lc_tensor *y = x ? lc_unary_p((lc_unary_op)c->op, x, params_of(info, (int)c->s)) : NULL;
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(x);
  return l;
}

static lc_tensor *binary_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *a = see(c->lay[0], in[0]), *b = see(c->lay[1], in[1]);
  lc_tensor *y = a && b ? lc_binary((lc_binary_op)c->op, a, b) : NULL;
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(a), lc_release(b);
  return l;
}

static lc_tensor *scalar_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *a = see(c->lay[0], in[0]);
  lc_tensor *y = a ? lc_binary_scalar((lc_binary_op)c->op, a, c->s, c->scalar_first) : NULL;
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(a);
  return l;
}

static lc_tensor *clamp_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *a = see(c->lay[0], in[0]);
  double lo = c->op & 1 ? -0.4 : -INFINITY, hi = c->op & 2 ? 0.6 : INFINITY;
  lc_tensor *y = a ? lc_clamp(a, lo, hi) : NULL;
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(a);
  return l;
}

static const layout layouts[3] = {AS_IS, TRANSPOSED, STRIDED};
static const char *const layout_names[3] = {"contiguous", "transposed", "strided"};

static void run_check(const char *what, gc_loss_fn f, lc_tensor **in, int n, op_ctx *c) {
  char name[160];
  snprintf(name, sizeof name, "%s (%s, %s)", what, layout_names[c->lay[0]],
           layout_names[c->lay[1]]);
  int bad = gradcheck(name, f, in, n, c);
  CHECK(bad == 0);
  if (bad) fprintf(stderr, "  in %s\n", name);
}

/* Every differentiable row, on its test domain, with its default and sample
 * parameters, on contiguous, transposed and strided inputs. */
static void test_gradcheck_unary(void) {
  for (int op = 0; op < LC_UNARY_COUNT; op++) {
    const lc_op_info *in = lc_unary_info((lc_unary_op)op);
    if (!in->differentiable) continue;
    for (int set = 0; set < (in->n_params ? 2 : 1); set++)
      for (int k = 0; k < 3; k++) {
        op_ctx c = {{layouts[k], AS_IS}, op, set, false};
        lc_tensor *x = make_leaf(layouts[k], 2, S(3, 4), in->lo, in->hi);
        char name[64];
        snprintf(name, sizeof name, "%s%s", in->name, set ? " (sample parameters)" : "");
        run_check(name, unary_loss, &x, 1, &c);
        lc_release(x);
      }
  }
}

static void test_gradcheck_binary(void) {
  /* (a shape, b shape) pairs: same shape, row, column, both broadcast, 0-dim */
  static const struct {
    int na, nb;
    int64_t sa[3], sb[3];
  } shapes[] = {
      {2, 2, {3, 4}, {3, 4}}, {2, 1, {3, 4}, {4}},       {2, 2, {3, 1}, {1, 4}},
      {3, 2, {2, 1, 3}, {4, 3}}, {1, 2, {4}, {3, 4}},    {2, 0, {3, 4}, {0}},
  };
  for (int op = 0; op < LC_BINARY_COUNT; op++) {
    const lc_op_info *info = lc_binary_info((lc_binary_op)op);
    if (!info->differentiable) continue;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      for (int k = 0; k < 3; k++) {
        for (int m = 0; m < 3; m += 2) { /* b as is or strided */
          op_ctx c = {{layouts[k], layouts[m]}, op, 0, false};
          lc_tensor *in[2] = {
              make_leaf(layouts[k], shapes[s].na, shapes[s].sa, info->lo, info->hi),
              make_leaf(layouts[m], shapes[s].nb, shapes[s].sb, info->lo, info->hi)};
          char name[64];
          snprintf(name, sizeof name, "%s shapes #%zu", lc_binary_name((lc_binary_op)op), s);
          run_check(name, binary_loss, in, 2, &c);
          lc_release(in[0]), lc_release(in[1]);
        }
      }
    }
    /* a scalar on either side */
    for (int first = 0; first < 2; first++) {
      for (int k = 0; k < 3; k++) {
        op_ctx c = {{layouts[k], AS_IS}, op, 1.7, first};
        lc_tensor *x = make_leaf(layouts[k], 2, S(3, 4), info->lo, info->hi);
        char name[64];
        snprintf(name, sizeof name, "%s with a scalar %s", lc_binary_name((lc_binary_op)op),
                 first ? "first" : "second");
        run_check(name, scalar_loss, &x, 1, &c);
        lc_release(x);
      }
    }
  }
  /* the same tensor on both sides: gradients add up */
  op_ctx c = {{AS_IS, AS_IS}, LC_MUL, 0, false};
  lc_tensor *x = gc_leaf(2, S(3, 4), -1, 1);
  lc_tensor *in[2] = {x, x};
  run_check("x * x", binary_loss, in, 2, &c);
  lc_release(x);
}

static void test_gradcheck_clamp(void) {
  for (int which = 1; which <= 3; which++)
    for (int k = 0; k < 3; k++) {
      op_ctx c = {{layouts[k], AS_IS}, which, 0, false};
      lc_tensor *x = make_leaf(layouts[k], 2, S(4, 5), -1.5, 1.5);
      run_check(which == 1 ? "clamp min" : which == 2 ? "clamp max" : "clamp both", clamp_loss, &x, 1, &c);
      lc_release(x);
    }
}

/* The ternary table (lerp with a tensor weight, clamp with tensor bounds):
 * three float64 operands that broadcast, (4, 5), (5) and (4, 1), the first
 * in each layout, so the backward runs lc_map over four inputs of different
 * strides. ctx->op: the lc_ternary_op; clamp's bounds sit apart from x's
 * values, away from the kinks. */
static lc_tensor *ternary_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *a = see(c->lay[0], in[0]);
  lc_tensor *y = a ? lc_ternary((lc_ternary_op)c->op, a, in[1], in[2]) : NULL;
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(a);
  return l;
}

static void test_gradcheck_ternary(void) {
  for (int op = 0; op < LC_TERNARY_COUNT; op++)
    for (int k = 0; k < 3; k++) {
      op_ctx c = {{layouts[k], AS_IS}, op, 0, false};
      bool lerp = op == LC_TER_LERP;
      lc_tensor *in[3] = {make_leaf(layouts[k], 2, S(4, 5), -1.5, 1.5),
                          make_leaf(AS_IS, 1, S(5), lerp ? -1.5 : -1.2, lerp ? 1.5 : -0.6),
                          make_leaf(AS_IS, 2, S(4, 1), lerp ? -1 : 0.5, lerp ? 2 : 1.2)};
      run_check(lc_ternary_name((lc_ternary_op)op), ternary_loss, in, 3, &c);
      for (int i = 0; i < 3; i++) lc_release(in[i]);
    }
}

/* view ops: each maps a (3, 4, 5) input to some view */
typedef lc_tensor *(*view_fn)(const lc_tensor *);
static lc_tensor *v_narrow(const lc_tensor *x) { return lc_narrow(x, 2, 1, 3); }
static lc_tensor *v_select(const lc_tensor *x) { return lc_select(x, 1, -1); }
static lc_tensor *v_view(const lc_tensor *x) {
  lc_tensor *c = lc_contiguous(x);
  lc_tensor *v = c ? lc_view(c, 2, S(-1, 6)) : NULL;
  lc_release(c);
  return v;
}
static lc_tensor *v_reshape(const lc_tensor *x) { return lc_reshape(x, 2, S(6, 10)); }
static lc_tensor *v_transpose(const lc_tensor *x) { return lc_transpose(x, 0, 2); }
static lc_tensor *v_permute(const lc_tensor *x) { return lc_permute(x, (const int[]){1, 2, 0}); }
static lc_tensor *v_expand(const lc_tensor *x) {
  lc_tensor *n = lc_narrow(x, 1, 2, 1); /* (3, 1, 5) */
  lc_tensor *e = n ? lc_expand(n, 4, S(2, 3, 4, 5)) : NULL;
  lc_release(n);
  return e;
}
static lc_tensor *v_squeeze(const lc_tensor *x) {
  lc_tensor *n = lc_narrow(x, 1, 0, 1);
  lc_tensor *s = n ? lc_squeeze(n, 1) : NULL;
  lc_release(n);
  return s;
}
static lc_tensor *v_squeeze_all(const lc_tensor *x) {
  lc_tensor *n = lc_narrow(x, 0, 1, 1);
  lc_tensor *s = n ? lc_squeeze(n, LC_ALL_DIMS) : NULL;
  lc_release(n);
  return s;
}
static lc_tensor *v_unsqueeze(const lc_tensor *x) { return lc_unsqueeze(x, 1); }
static lc_tensor *v_contiguous(const lc_tensor *x) { return lc_contiguous(x); }
static lc_tensor *v_clone(const lc_tensor *x) { return lc_clone(x); }
static lc_tensor *v_alias_chain(const lc_tensor *x) {
  lc_tensor *t = lc_transpose(x, 0, 1);
  lc_tensor *n = t ? lc_narrow(t, 2, 1, 3) : NULL;
  lc_tensor *r = n ? lc_reshape(n, 1, S(36)) : NULL;
  lc_release(t), lc_release(n);
  return r;
}

static const struct {
  const char *name;
  view_fn f;
} views[] = {
    {"narrow", v_narrow},       {"select", v_select},       {"view", v_view},
    {"reshape", v_reshape},     {"transpose", v_transpose}, {"permute", v_permute},
    {"expand", v_expand},       {"squeeze", v_squeeze},     {"squeeze all", v_squeeze_all},
    {"unsqueeze", v_unsqueeze}, {"contiguous", v_contiguous}, {"clone", v_clone},
    {"transpose+narrow+reshape", v_alias_chain},
};

static lc_tensor *view_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *x = see(c->lay[0], in[0]);
  lc_tensor *y = x ? views[c->op].f(x) : NULL;
  lc_tensor *l = gc_weighted_sum(y);
  lc_release(y), lc_release(x);
  return l;
}

static void test_gradcheck_views(void) {
  for (int v = 0; v < (int)(sizeof views / sizeof views[0]); v++)
    for (int k = 0; k < 3; k++) {
      op_ctx c = {{layouts[k], AS_IS}, v, 0, false};
      lc_tensor *x = make_leaf(layouts[k], 3, S(3, 4, 5), -1, 1);
      run_check(views[v].name, view_loss, &x, 1, &c);
      lc_release(x);
    }
}

/* in place on a non-leaf: y = x * 1; y op= b; loss(y) */
static lc_tensor *inplace_loss(lc_tensor *const *in, void *ctx) {
  op_ctx *c = ctx;
  lc_tensor *y = lc_binary_scalar(LC_MUL, in[0], 1, false);
  int rc = y ? lc_binary_((lc_binary_op)c->op, y, in[1]) : -1;
  lc_tensor *l = rc ? NULL : gc_weighted_sum(y);
  lc_release(y);
  return l;
}

static lc_tensor *copy_loss(lc_tensor *const *in, void *ctx) {
  (void)ctx;
  lc_tensor *y = lc_binary(LC_MUL, in[0], in[0]);
  int rc = y ? lc_copy_(y, in[1]) : -1; /* y now depends on in[1] only */
  lc_tensor *z = rc ? NULL : lc_binary(LC_MUL, y, in[0]);
  lc_tensor *l = gc_weighted_sum(z);
  lc_release(z), lc_release(y);
  return l;
}

static void test_gradcheck_inplace(void) {
  for (int op = LC_ADD; op <= LC_DIV; op++) {
    op_ctx c = {{AS_IS, AS_IS}, op, 0, false};
    lc_tensor *in[2] = {gc_leaf(2, S(3, 4), 0.5, 2), gc_leaf(1, S(4), 0.5, 2)};
    char name[64];
    snprintf(name, sizeof name, "in-place %s_ on a non-leaf", lc_binary_name((lc_binary_op)op));
    run_check(name, inplace_loss, in, 2, &c);
    lc_release(in[0]), lc_release(in[1]);
  }
  op_ctx c = {{AS_IS, AS_IS}, 0, 0, false};
  lc_tensor *in[2] = {gc_leaf(2, S(3, 4), -1, 1), gc_leaf(1, S(4), -1, 1)};
  run_check("copy_ into a non-leaf", copy_loss, in, 2, &c);
  lc_release(in[0]), lc_release(in[1]);
}

int main(void) {
  test_tables_complete();
  test_unary_table_values();
  test_binary_table_values();
  test_binary_values();
  test_promotion();
  test_clamp();
  test_inplace();
  test_sum_to();
  test_gradcheck_unary();
  test_gradcheck_binary();
  test_gradcheck_clamp();
  test_gradcheck_ternary();
  test_gradcheck_views();
  test_gradcheck_inplace();
  return test_summary();
}
