/* test_rnn_check.c: a recurrent module's whole-call checks (rnn_check.c):
 * each check's error code, op and message body, in the three forms
 * (nn.RNN/GRU/LSTM, the cells, MinGRU/MinLSTM), and the calls that pass.
 * The Lua specs (tests/lua/nn/rnn_errors_spec.lua, cells_errors_spec.lua,
 * minrnn_spec.lua) check the same messages reach the user at their line. */
#include <string.h>

#include "lc.h"
#include "test_util.h"

static lc_tensor *z(lc_dtype dt, int ndim, const int64_t *sizes) { return lc_zeros(dt, ndim, sizes); }

/* An nn.GRU(8, 16, num_layers = 2) call (layers 2) on x, states h (c none). */
static lc_rnn_call gru_call(const lc_tensor *x, const lc_tensor *h) {
  return (lc_rnn_call){.op = "GRU", .form = LC_RNN_SEQUENCE, .input = x, .input_size = 8,
                       .dtype = LC_FLOAT32, .layers = 2,
                       .states = {{.name = "hx", .size_name = "hidden", .t = h, .width = 16}}};
}

/* call fails with code, op and exactly body; every temporary released. */
static void expect(lc_rnn_call c, lc_errcode code, const char *body) {
  CHECK(lc_rnn_check(&c) == -1);
  CHECK(lc_error_code() == code);
  CHECK(strcmp(lc_error_op(), c.op) == 0);
  if (strcmp(lc_error_body(), body)) {
    CHECK(!"body");
    fprintf(stderr, "  got:      %s\n  expected: %s\n", lc_error_body(), body);
  }
}

/* A failing call of a test's table: input and state by their shapes. */
typedef struct {
  lc_dtype dt;
  int ndim;
  int64_t sizes[4];
  int h_ndim;        /* 0: no state */
  int64_t h_sizes[3];
  lc_errcode code;
  const char *body;
} bad_call;

/* Each row, as make(x, h) builds the call, fails as it says. */
static void expect_table(const bad_call *rows, int n, lc_rnn_call (*make)(const lc_tensor *, const lc_tensor *)) {
  for (int i = 0; i < n; i++) {
    const bad_call *r = &rows[i];
    lc_tensor *x = z(r->dt, r->ndim, r->sizes), *h = r->h_ndim ? z(LC_FLOAT32, r->h_ndim, r->h_sizes) : NULL;
    expect(make(x, h), r->code, r->body);
    lc_release(x), lc_release(h);
  }
}

static void test_sequence_input(void) {
  static const bad_call rows[] = {
    {LC_FLOAT32, 4, {2, 3, 4, 8}, 0, {0}, LC_ERR_SHAPE, "Expected input to be 2D or 3D, got 4D tensor"},
    {LC_FLOAT32, 3, {5, 3, 7}, 0, {0}, LC_ERR_SHAPE, "input has 7 features, expected input_size 8"},
    {LC_FLOAT32, 3, {0, 3, 8}, 0, {0}, LC_ERR_SHAPE,
     "Expected a non-empty sequence and batch, got input of shape (0, 3, 8)"},
    {LC_FLOAT32, 3, {4, 0, 8}, 0, {0}, LC_ERR_SHAPE,
     "Expected a non-empty sequence and batch, got input of shape (4, 0, 8)"},
    {LC_FLOAT64, 3, {5, 3, 8}, 0, {0}, LC_ERR_DTYPE, "input has dtype float64 but the parameters have dtype float32"},
    {LC_INT64, 3, {5, 3, 8}, 0, {0}, LC_ERR_DTYPE, "input has dtype int64 but the parameters have dtype float32"},
  };
  expect_table(rows, sizeof rows / sizeof *rows, gru_call);
}

static void test_sequence_states(void) {
  lc_tensor *x = z(LC_FLOAT32, 3, DIMS(5, 3, 8)), *xu = z(LC_FLOAT32, 2, DIMS(5, 8));
  lc_tensor *ok3 = z(LC_FLOAT32, 3, DIMS(2, 3, 16)), *ok2 = z(LC_FLOAT32, 2, DIMS(3, 16));
  lc_tensor *few = z(LC_FLOAT32, 3, DIMS(1, 3, 16)), *batch = z(LC_FLOAT32, 3, DIMS(2, 4, 16));
  lc_tensor *row = z(LC_FLOAT32, 2, DIMS(4, 16)), *unb = z(LC_FLOAT32, 3, DIMS(2, 1, 16));
  lc_tensor *dbl = z(LC_FLOAT64, 3, DIMS(2, 3, 16)), *oku = z(LC_FLOAT32, 2, DIMS(2, 16));
  lc_rnn_call c = gru_call(x, ok3);
  CHECK(lc_rnn_check(&c) == 0);
  c = gru_call(x, ok2); /* the first layer's state */
  CHECK(lc_rnn_check(&c) == 0);
  c = gru_call(xu, oku);
  CHECK(lc_rnn_check(&c) == 0);
  expect(gru_call(x, few), LC_ERR_SHAPE, "Expected hidden size (2, 3, 16), got (1, 3, 16)");
  expect(gru_call(x, batch), LC_ERR_SHAPE,
         "Expected hidden size (2, 3, 16), got (2, 4, 16) (hx has batch 4, the input 3)");
  expect(gru_call(x, row), LC_ERR_SHAPE, "Expected hidden size (3, 16) (first layer) or (2, 3, 16), got (4, 16)");
  expect(gru_call(xu, unb), LC_ERR_SHAPE, "Expected hidden size (2, 16) for unbatched input, got (2, 1, 16)");
  expect(gru_call(x, dbl), LC_ERR_DTYPE, "hx has dtype float64 but the input has dtype float32");
  /* batch_first: the batch is the first size of the input, never of the state */
  lc_tensor *xb = z(LC_FLOAT32, 3, DIMS(3, 5, 8)), *sb = z(LC_FLOAT32, 3, DIMS(2, 5, 16));
  c = gru_call(xb, sb), c.batch_first = true;
  expect(c, LC_ERR_SHAPE, "Expected hidden size (2, 3, 16), got (2, 5, 16) (hx has batch 5, the input 3)");
  /* an LSTM's c0 is checked after h0, against hidden_size (h0 has proj_size) */
  lc_tensor *h4 = z(LC_FLOAT32, 3, DIMS(1, 3, 4)), *c4 = z(LC_FLOAT32, 3, DIMS(1, 3, 4));
  lc_tensor *c16 = z(LC_FLOAT32, 3, DIMS(1, 3, 16));
  lc_rnn_call l = {.op = "LSTM", .form = LC_RNN_SEQUENCE, .input = x, .input_size = 8, .dtype = LC_FLOAT32,
                   .layers = 1, .states = {{.name = "h0", .size_name = "h0", .t = c16, .width = 4},
                                           {.name = "c0", .t = c16, .width = 16}}};
  expect(l, LC_ERR_SHAPE, "Expected h0 size (1, 3, 4), got (1, 3, 16)");
  l.states[0].t = h4, l.states[1].t = c4;
  expect(l, LC_ERR_SHAPE, "Expected c0 size (1, 3, 16), got (1, 3, 4)");
  l.states[1].t = c16;
  CHECK(lc_rnn_check(&l) == 0);
  lc_release(x), lc_release(xu), lc_release(ok3), lc_release(ok2), lc_release(few), lc_release(batch);
  lc_release(row), lc_release(unb), lc_release(dbl), lc_release(oku), lc_release(xb), lc_release(sb);
  lc_release(h4), lc_release(c4), lc_release(c16);
}

static void test_packed(void) {
  lc_tensor *data = z(LC_FLOAT32, 2, DIMS(9, 8)), *d3 = z(LC_FLOAT32, 3, DIMS(9, 8, 1));
  lc_tensor *d6 = z(LC_FLOAT32, 2, DIMS(9, 6));
  lc_tensor *bs = from(LC_INT64, 1, DIMS(4), VALS(3, 3, 2, 1)), *none = z(LC_INT64, 1, DIMS(0));
  lc_tensor *fbs = z(LC_FLOAT32, 1, DIMS(4)), *sorted = from(LC_INT64, 1, DIMS(2), VALS(1, 2));
  lc_rnn_call c = gru_call(data, NULL);
  c.batch_sizes = bs;
  CHECK(lc_rnn_check(&c) == 0);
  lc_rnn_call d = c;
  d.input = d3;
  expect(d, LC_ERR_SHAPE, "a packed input's data must be a 2D tensor (T, input_size), got 3D tensor");
  d = c, d.input = d6;
  expect(d, LC_ERR_SHAPE, "input has 6 features, expected input_size 8");
  d = c, d.batch_sizes = none;
  expect(d, LC_ERR_SHAPE, "Expected a non-empty sequence, got a packed sequence of 0 steps");
  d = c, d.batch_sizes = fbs;
  expect(d, LC_ERR_ARG, "a packed input's batch_sizes must be a 1-D int64 tensor, got float32 of shape (4)");
  d = c, d.sorted_indices = sorted;
  expect(d, LC_ERR_SHAPE, "the packed input has 3 sequences but 2 sorted_indices");
  /* the batch of a packed input is its first batch size */
  lc_tensor *h = z(LC_FLOAT32, 3, DIMS(2, 4, 16));
  d = c, d.states[0].t = h;
  expect(d, LC_ERR_SHAPE, "Expected hidden size (2, 3, 16), got (2, 4, 16) (hx has batch 4, the input 3)");
  /* MinGRU words the data check its own way */
  d = c, d.op = "MinGRU", d.form = LC_RNN_MINIMAL, d.input = d6;
  expect(d, LC_ERR_SHAPE, "a packed input's data must be a 2D tensor (T, 8), got (9, 6)");
  lc_release(data), lc_release(d3), lc_release(d6), lc_release(bs), lc_release(none), lc_release(fbs);
  lc_release(sorted), lc_release(h);
}

/* nn.GRUCell(8, 16) on x with state hx. */
static lc_rnn_call cell_call(const lc_tensor *x, const lc_tensor *h) {
  return (lc_rnn_call){.op = "GRUCell", .form = LC_RNN_STEP, .input = x, .input_size = 8, .dtype = LC_FLOAT32,
                       .layers = 1, .states = {{.name = "hx", .t = h, .width = 16}}};
}

static void test_step(void) {
  lc_tensor *x = z(LC_FLOAT32, 2, DIMS(3, 8)), *xu = z(LC_FLOAT32, 1, DIMS(8));
  lc_tensor *h = z(LC_FLOAT32, 2, DIMS(3, 16)), *hu = z(LC_FLOAT32, 1, DIMS(16));
  lc_tensor *h15 = z(LC_FLOAT32, 2, DIMS(3, 15)), *hd = z(LC_FLOAT64, 2, DIMS(3, 16));
  lc_tensor *empty = z(LC_FLOAT32, 2, DIMS(0, 8)), *hempty = z(LC_FLOAT32, 2, DIMS(0, 16));
  lc_rnn_call c = cell_call(x, h);
  CHECK(lc_rnn_check(&c) == 0);
  c = cell_call(xu, hu);
  CHECK(lc_rnn_check(&c) == 0);
  c = cell_call(empty, hempty); /* an empty batch is a cell's no-op, as in PyTorch */
  CHECK(lc_rnn_check(&c) == 0);
  static const bad_call rows[] = {
    {LC_FLOAT32, 3, {5, 3, 8}, 0, {0}, LC_ERR_SHAPE, "Expected input to be 1D or 2D, got 3D tensor"},
    {LC_FLOAT32, 0, {0}, 0, {0}, LC_ERR_SHAPE, "Expected input to be 1D or 2D, got 0D tensor"},
    {LC_FLOAT32, 1, {9}, 0, {0}, LC_ERR_SHAPE, "input has 9 features, expected input_size 8"},
    {LC_FLOAT64, 2, {3, 8}, 0, {0}, LC_ERR_DTYPE, "input has dtype float64, but the parameters are float32"},
    {LC_FLOAT32, 2, {3, 8}, 2, {3, 15}, LC_ERR_SHAPE, "hx has shape (3, 15), expected (3, 16)"},
    {LC_FLOAT32, 2, {3, 8}, 1, {16}, LC_ERR_SHAPE, "hx has shape (16), expected (3, 16)"},
    {LC_FLOAT32, 2, {3, 8}, 2, {4, 16}, LC_ERR_SHAPE,
     "hx has batch size 4 but the input has batch size 3 (hx has shape (4, 16), expected (3, 16))"},
    {LC_FLOAT32, 1, {8}, 2, {1, 16}, LC_ERR_SHAPE, "hx has shape (1, 16), expected (16) for an unbatched input"},
  };
  expect_table(rows, sizeof rows / sizeof *rows, cell_call);
  expect(cell_call(x, hd), LC_ERR_DTYPE, "hx has dtype float64, but the input is float32");
  /* LSTMCell: c after h */
  c = cell_call(x, h), c.op = "LSTMCell", c.states[0].name = "h";
  c.states[1] = (lc_rnn_state){.name = "c", .t = h15, .width = 16};
  expect(c, LC_ERR_SHAPE, "c has shape (3, 15), expected (3, 16)");
  lc_release(x), lc_release(xu), lc_release(h), lc_release(hu), lc_release(h15), lc_release(hd);
  lc_release(empty), lc_release(hempty);
}

static void test_minimal(void) {
  lc_tensor *x = z(LC_FLOAT64, 3, DIMS(5, 2, 4)), *xu = z(LC_FLOAT64, 2, DIMS(5, 4));
  lc_tensor *h = z(LC_FLOAT64, 3, DIMS(2, 2, 3)), *bad = z(LC_FLOAT64, 3, DIMS(1, 2, 3));
  lc_tensor *hf = z(LC_FLOAT32, 3, DIMS(2, 2, 3)), *hu = z(LC_FLOAT64, 2, DIMS(2, 3));
  lc_rnn_call c = {.op = "MinLSTM", .form = LC_RNN_MINIMAL, .input = x, .input_size = 4, .dtype = LC_FLOAT64,
                   .layers = 2, .states = {{.name = "h0", .t = h, .width = 3}}};
  CHECK(lc_rnn_check(&c) == 0);
  lc_rnn_call d = c;
  d.input = xu, d.states[0].t = hu;
  CHECK(lc_rnn_check(&d) == 0);
  d = c, d.states[0].t = bad;
  expect(d, LC_ERR_SHAPE, "Expected h0 of size (2, 2, 3), got (1, 2, 3)");
  d = c, d.input = xu;
  expect(d, LC_ERR_SHAPE, "Expected h0 of size (2, 3), got (2, 2, 3)");
  d = c, d.states[0].t = hf;
  expect(d, LC_ERR_DTYPE, "h0 has dtype float32 but the input has dtype float64");
  d = c, d.dtype = LC_FLOAT32;
  expect(d, LC_ERR_DTYPE, "input has dtype float64 but the parameters have dtype float32");
  lc_release(x), lc_release(xu), lc_release(h), lc_release(bad), lc_release(hf), lc_release(hu);
}

static void test_bad_call(void) {
  CHECK(lc_rnn_check(NULL) == -1);
  CHECK(lc_error_code() == LC_ERR_ARG);
  lc_rnn_call c = gru_call(NULL, NULL);
  CHECK(lc_rnn_check(&c) == -1);
  CHECK(lc_error_code() == LC_ERR_ARG);
  CHECK_CONTAINS(lc_error(), "rnn_check: ");
}

int main(void) {
  test_sequence_input();
  test_sequence_states();
  test_packed();
  test_step();
  test_minimal();
  test_bad_call();
  return test_summary();
}
