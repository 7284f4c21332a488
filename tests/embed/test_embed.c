/* test_embed.c: the embedding API (bindings/lucid.h) as a host uses it. */
#include <stdbool.h>
#include <stdlib.h>

#include "lucid.h"
#include "test_util.h"

static int released;
static void *released_data;

static void count_release(void *data, void *ud) {
  released++;
  released_data = data;
  if (ud) (*(int *)ud)++;
}

static void test_open_and_errors(lucid_state *S) {
  CHECK(S != NULL);
  CHECK(lucid_lua(S) != NULL);
  CHECK(strcmp(lucid_last_error(S), "") == 0);
  CHECK(lucid_dostring(S, "assert(type(lucid) == 'table' and type(nn) == 'table')") == LUCID_OK);

  /* a syntax error and a runtime error come back as codes with messages */
  CHECK(lucid_dostring(S, "x = = 1") == LUCID_ERR_LUA);
  CHECK_CONTAINS(lucid_last_error(S), "lucid_dostring:1:");
  CHECK(lucid_dostring(S, "error('the model exploded')") == LUCID_ERR_LUA);
  CHECK_CONTAINS(lucid_last_error(S), "the model exploded");
  CHECK_CONTAINS(lucid_last_error(S), "stack traceback");
  /* an error raised by the core reaches the host the same way */
  CHECK(lucid_dostring(S, "lucid.zeros(2, 3):matmul(lucid.zeros(4, 5))") == LUCID_ERR_LUA);
  CHECK_CONTAINS(lucid_last_error(S), "matmul");
  /* the state stays usable, and success clears the message */
  CHECK(lucid_dostring(S, "answer = 42") == LUCID_OK);
  CHECK(strcmp(lucid_last_error(S), "") == 0);

  CHECK(lucid_dofile(S, "/nonexistent/model.lua") == LUCID_ERR_FILE);
  CHECK_CONTAINS(lucid_last_error(S), "cannot open /nonexistent/model.lua");
  CHECK(lucid_dofile(S, "examples/embed/model.lua") == LUCID_OK);

  CHECK(lucid_dostring(S, NULL) == LUCID_ERR_ARG);
  CHECK_CONTAINS(lucid_last_error(S), "lucid_dostring: code is NULL");
  CHECK(lucid_dofile(S, NULL) == LUCID_ERR_ARG);
  CHECK(lucid_dostring(NULL, "x = 1") == LUCID_ERR_ARG);
  CHECK_CONTAINS(lucid_last_error(NULL), "lucid_dostring: state is NULL");
}

static void test_wrap_accessors(lucid_state *S) {
  double buf[6] = {1, 2, 3, 4, 5, 6};
  int64_t sizes[2] = {2, 3};
  lucid_tensor *t = lucid_wrap(S, buf, LUCID_FLOAT64, 2, sizes, NULL, NULL, NULL);
  CHECK(t != NULL);
  CHECK(lucid_tensor_dtype(t) == LUCID_FLOAT64);
  CHECK(lucid_tensor_ndim(t) == 2);
  CHECK(lucid_tensor_sizes(t)[0] == 2 && lucid_tensor_sizes(t)[1] == 3);
  CHECK(lucid_tensor_strides(t)[0] == 3 && lucid_tensor_strides(t)[1] == 1);
  CHECK(lucid_tensor_numel(t) == 6);
  CHECK(lucid_tensor_data(t) == buf);
  CHECK(lucid_tensor_retain(t) == t);
  lucid_tensor_release(t);
  lucid_tensor_release(t);
  lucid_tensor_release(NULL);

  /* a 0-dim tensor and an empty one (no data needed) */
  int64_t one = 7;
  t = lucid_wrap(S, &one, LUCID_INT64, 0, NULL, NULL, NULL, NULL);
  CHECK(t && lucid_tensor_ndim(t) == 0 && lucid_tensor_numel(t) == 1);
  lucid_tensor_release(t);
  /* bool: one byte per element */
  bool flags[3] = {true, false, true};
  int64_t three = 3;
  t = lucid_wrap(S, flags, LUCID_BOOL, 1, &three, NULL, NULL, NULL);
  CHECK(t && lucid_tensor_dtype(t) == LUCID_BOOL && lucid_tensor_numel(t) == 3);
  CHECK(lucid_tensor_data(t) == flags);
  lucid_tensor_release(t);
  int64_t empty[2] = {0, 3};
  t = lucid_wrap(S, NULL, LUCID_FLOAT32, 2, empty, NULL, NULL, NULL);
  CHECK(t && lucid_tensor_numel(t) == 0);
  lucid_tensor_release(t);
}

static void test_wrap_errors(lucid_state *S) {
  float buf[4] = {0};
  int64_t sizes[2] = {2, 2}, neg[2] = {2, -1}, negst[2] = {-1, 1};
  int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  int calls = 0;
  CHECK(lucid_wrap(S, buf, (lucid_dtype)7, 2, sizes, NULL, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(S), "lucid_wrap: dtype 7");
  CHECK(lucid_wrap(S, buf, LUCID_FLOAT32, 9, nine, NULL, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(S), "ndim must be in [0, 8], got 9");
  CHECK(lucid_wrap(S, buf, LUCID_FLOAT32, 2, neg, NULL, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(S), "size 2 is negative (-1)");
  CHECK(lucid_wrap(S, buf, LUCID_FLOAT32, 2, sizes, negst, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(S), "stride 1 is negative");
  CHECK(lucid_wrap(S, NULL, LUCID_FLOAT32, 2, sizes, NULL, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(S), "data is NULL");
  CHECK(lucid_wrap(S, buf, LUCID_FLOAT32, 2, NULL, NULL, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(S), "sizes is NULL");
  CHECK(lucid_wrap(NULL, buf, LUCID_FLOAT32, 2, sizes, NULL, count_release, &calls) == NULL);
  CHECK_CONTAINS(lucid_last_error(NULL), "lucid_wrap: state is NULL");
  CHECK(calls == 0); /* a failed wrap leaves the memory to the host */
}

/* Lua reads and writes the host's memory, and what it returns can be read
 * through sizes and strides. */
static void test_call(lucid_state *S) {
  float buf[6] = {1, 2, 3, 4, 5, 6}; /* a 3x2 matrix, seen transposed as 2x3 */
  int64_t sizes[2] = {2, 3}, strides[2] = {1, 2};
  lucid_tensor *x = lucid_wrap(S, buf, LUCID_FLOAT32, 2, sizes, strides, NULL, NULL);
  lucid_tensor *y = NULL, *r[2];
  CHECK(x != NULL);
  CHECK(lucid_dostring(S,
                       "function double(x) return x * 2 end\n"
                       "function scale_(x) x:mul_(10) return x end\n"
                       "function rowsums(x) return x:sum(2) end\n"
                       "function two(a, b) return b, a end\n"
                       "function number() return 42 end\n"
                       "function raise(x) error('bad input ' .. tostring(x.shape)) end\n"
                       "obj = {k = 3}\n"
                       "function obj:scale(x) return x * self.k end\n"
                       "net = nn.Linear(3, 4)\n") == LUCID_OK);

  /* element (i, j) of the transposed view is buf[i + 2 j] */
  CHECK(lucid_call(S, "rowsums", 1, &x, 1, &y) == LUCID_OK);
  CHECK(y && lucid_tensor_ndim(y) == 1 && lucid_tensor_sizes(y)[0] == 2);
  if (y) {
    const float *v = lucid_tensor_data(y);
    int64_t s = lucid_tensor_strides(y)[0];
    CHECK_NEAR(v[0], 1 + 3 + 5, 0);
    CHECK_NEAR(v[s], 2 + 4 + 6, 0);
  }
  lucid_tensor_release(y);

  CHECK(lucid_call(S, "double", 1, &x, 1, &y) == LUCID_OK);
  if (y) {
    const float *v = lucid_tensor_data(y);
    const int64_t *st = lucid_tensor_strides(y);
    CHECK(lucid_tensor_dtype(y) == LUCID_FLOAT32);
    CHECK_NEAR(v[1 * st[0] + 2 * st[1]], 2 * buf[1 + 2 * 2], 0);
  }
  lucid_tensor_release(y);

  /* zero copy both ways: Lua's in-place op writes the host's buffer, and the
   * returned tensor is the same memory */
  CHECK(lucid_call(S, "scale_", 1, &x, 1, &y) == LUCID_OK);
  CHECK_NEAR(buf[5], 60, 0);
  CHECK(y && lucid_tensor_data(y) == buf);
  lucid_tensor_release(y);

  /* several arguments and results, a method, an nn module */
  lucid_tensor *args[2] = {x, NULL};
  CHECK(lucid_call(S, "double", 1, &x, 1, &args[1]) == LUCID_OK);
  CHECK(lucid_call(S, "two", 2, args, 2, r) == LUCID_OK);
  CHECK(r[0] == args[1] && r[1] == x); /* the same core tensors came back */
  lucid_tensor_release(r[0]);
  lucid_tensor_release(r[1]);
  lucid_tensor_release(args[1]);
  CHECK(lucid_call(S, "obj:scale", 1, &x, 1, &y) == LUCID_OK);
  CHECK(y && ((float *)lucid_tensor_data(y))[0] == 30);
  lucid_tensor_release(y);
  CHECK(lucid_call(S, "net", 1, &x, 1, &y) == LUCID_OK);
  CHECK(y && lucid_tensor_sizes(y)[0] == 2 && lucid_tensor_sizes(y)[1] == 4);
  lucid_tensor_release(y);
  CHECK(lucid_call(S, "lucid.tanh", 1, &x, 1, &y) == LUCID_OK);
  CHECK(y && ((float *)lucid_tensor_data(y))[0] == tanhf(10));
  lucid_tensor_release(y);

  /* failures: codes, messages, results left NULL */
  y = x;
  CHECK(lucid_call(S, "nosuch", 1, &x, 1, &y) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "'nosuch' is a nil, expected a function");
  CHECK(y == NULL);
  CHECK(lucid_call(S, "nosuch.fn", 1, &x, 1, &y) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "'nosuch' is nil");
  CHECK(lucid_call(S, "nosuch:method", 1, &x, 1, &y) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "'nosuch' is nil");
  CHECK(lucid_call(S, "obj:nomethod", 1, &x, 1, &y) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "'obj:nomethod' is a nil, expected a function");
  CHECK(lucid_call(S, "answer", 0, NULL, 0, NULL) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "'answer' is a number, expected a function");
  CHECK(lucid_call(S, "number", 0, NULL, 1, &y) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "result 1 of 'number' is a number, expected a tensor");
  CHECK(lucid_call(S, "double", 1, &x, 2, r) == LUCID_ERR_TYPE);
  CHECK_CONTAINS(lucid_last_error(S), "result 2 of 'double' is a nil");
  CHECK(r[0] == NULL && r[1] == NULL); /* result 1 was not leaked into r */
  CHECK(lucid_call(S, "raise", 1, &x, 0, NULL) == LUCID_ERR_LUA);
  CHECK_CONTAINS(lucid_last_error(S), "bad input (2, 3)");
  CHECK(lucid_call(S, "net", 1, &y, 1, &y) == LUCID_ERR_ARG); /* y is NULL */
  CHECK_CONTAINS(lucid_last_error(S), "argument 1 is NULL");
  CHECK(lucid_call(S, NULL, 0, NULL, 0, NULL) == LUCID_ERR_ARG);
  CHECK(lucid_call(S, "double", 1, NULL, 0, NULL) == LUCID_ERR_ARG);
  CHECK(lucid_call(S, "double", 1, &x, 1, NULL) == LUCID_ERR_ARG);
  CHECK(lucid_call(S, "double", -1, &x, 0, NULL) == LUCID_ERR_ARG);
  /* an nn module's argument check */
  int64_t bad[2] = {2, 5};
  float fives[10] = {0};
  lucid_tensor *z = lucid_wrap(S, fives, LUCID_FLOAT32, 2, bad, NULL, NULL, NULL);
  CHECK(lucid_call(S, "net", 1, &z, 1, &y) == LUCID_ERR_LUA);
  CHECK_CONTAINS(lucid_last_error(S), "Linear: input has 5 features, expected in_features 3");
  lucid_tensor_release(z);
  lucid_tensor_release(x);
}

/* The release callback runs exactly once, when the last of the host's and
 * Lua's references goes, whichever is last. */
static void test_release(void) {
  lucid_state *S = lucid_open();
  double *a = malloc(4 * sizeof *a), *b = malloc(4 * sizeof *b);
  int64_t n = 4;
  int calls_a = 0, calls_b = 0;
  for (int i = 0; i < 4; i++) a[i] = b[i] = i;
  lucid_tensor *ta = lucid_wrap(S, a, LUCID_FLOAT64, 1, &n, NULL, count_release, &calls_a);
  lucid_tensor *tb = lucid_wrap(S, b, LUCID_FLOAT64, 1, &n, NULL, count_release, &calls_b);
  lucid_tensor *view = NULL;
  CHECK(lucid_dostring(S, "function keep(x) kept = x; return x:narrow(1, 2, 2) end") == LUCID_OK);
  CHECK(lucid_call(S, "keep", 1, &ta, 1, &view) == LUCID_OK);
  CHECK(view && lucid_tensor_data(view) == a + 1);
  lucid_tensor_release(ta);
  CHECK(calls_a == 0); /* Lua's global and the view still hold it */
  CHECK(lucid_dostring(S, "kept = nil; collectgarbage(); collectgarbage()") == LUCID_OK);
  CHECK(calls_a == 0); /* the host's view */
  lucid_tensor_release(view);
  CHECK(calls_a == 1);
  CHECK(released_data == a);
  free(a);

  CHECK(lucid_call(S, "keep", 1, &tb, 0, NULL) == LUCID_OK);
  lucid_tensor_release(tb);
  CHECK(calls_b == 0);
  lucid_close(S); /* Lua's last reference goes with the state */
  CHECK(calls_b == 1);
  free(b);

  /* a host tensor outlives the state */
  S = lucid_open();
  float c[2] = {1, 2};
  int64_t two = 2;
  int calls_c = 0;
  lucid_tensor *tc = lucid_wrap(S, c, LUCID_FLOAT32, 1, &two, NULL, count_release, &calls_c);
  lucid_close(S);
  CHECK(calls_c == 0);
  CHECK(((float *)lucid_tensor_data(tc))[1] == 2);
  lucid_tensor_release(tc);
  CHECK(calls_c == 1);
}

int main(void) {
  lucid_state *S = lucid_open();
  if (!S) {
    fprintf(stderr, "lucid_open: %s\n", lucid_last_error(NULL));
    return 1;
  }
  test_open_and_errors(S);
  test_wrap_accessors(S);
  test_wrap_errors(S);
  test_call(S);
  lucid_close(S);
  lucid_close(NULL);
  test_release();
  CHECK(released == 3); /* a, b and c */
  return test_summary();
}
