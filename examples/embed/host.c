/*
 * A C host that runs a lucid model: examples/embed/model.lua builds it (and,
 * run as a script, saves its weights); this program loads it, hands Lua a C
 * array as the input without copying, and prints the outputs.
 *
 *     cc host.c $(pkg-config --cflags --libs lucid) -o host
 *     lucid model.lua weights.lucid      # optional: saved weights
 *     ./host model.lua [weights.lucid]
 */
#include <stdio.h>

#include <lucid.h>

static int released; /* how many times lucid called release_input */

static void release_input(void *data, void *ud) {
  (void)data;
  (void)ud;
  released++;
}

/* Prints lucid's message for a failed call and returns 1. */
static int failed(lucid_state *S, const char *what) {
  fprintf(stderr, "host: %s: %s\n", what, lucid_last_error(S));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s model.lua [weights.lucid]\n", argv[0]);
    return 2;
  }
  lucid_state *S = lucid_open();
  if (!S) return failed(NULL, "lucid_open");

  /* Build the model, load the saved weights if given, and define predict(x). */
  char setup[4096];
  snprintf(setup, sizeof setup,
           "model = dofile([==[%s]==])()\n"
           "local weights = [==[%s]==]\n"
           "if weights ~= '' then model:load_state_dict(lucid.load(weights)) end\n"
           "model:eval()\n"
           "function predict(x) return lucid.no_grad(function() return model(x) end) end\n",
           argv[1], argc > 2 ? argv[2] : "");
  if (lucid_dostring(S, setup) != LUCID_OK) {
    int rc = failed(S, "loading the model");
    lucid_close(S);
    return rc;
  }

  /* A batch of two rows of 4 features, in the host's own memory. */
  float input[2][4] = {{0.5f, -1.0f, 2.0f, 0.25f}, {-0.75f, 0.0f, 1.5f, -2.0f}};
  int64_t sizes[2] = {2, 4};
  lucid_tensor *x = lucid_wrap(S, input, LUCID_FLOAT32, 2, sizes, NULL, release_input, NULL);
  if (!x) {
    int rc = failed(S, "lucid_wrap");
    lucid_close(S);
    return rc;
  }

  lucid_tensor *y;
  int rc = lucid_call(S, "predict", 1, &x, 1, &y);
  lucid_tensor_release(x); /* Lua may still hold it until lucid_close */
  if (rc != LUCID_OK) {
    failed(S, "predict");
    lucid_close(S);
    return 1;
  }

  if (lucid_tensor_dtype(y) != LUCID_FLOAT32 || lucid_tensor_ndim(y) != 2) {
    fprintf(stderr, "host: predict returned an unexpected tensor\n");
    lucid_tensor_release(y);
    lucid_close(S);
    return 1;
  }
  /* Read the result through its strides: it need not be contiguous. */
  const int64_t *n = lucid_tensor_sizes(y), *st = lucid_tensor_strides(y);
  const float *v = lucid_tensor_data(y);
  printf("output (%lld, %lld):\n", (long long)n[0], (long long)n[1]);
  for (int64_t i = 0; i < n[0]; i++) {
    for (int64_t j = 0; j < n[1]; j++) printf(" %.9g", v[i * st[0] + j * st[1]]);
    printf("\n");
  }
  lucid_tensor_release(y);
  lucid_close(S);
  printf("input released %d time(s)\n", released);
  return released == 1 ? 0 : 1;
}
