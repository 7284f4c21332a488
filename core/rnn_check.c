/* rnn_check.c: the checks of a recurrent module's whole call (lc_rnn_check,
 * lc_nn.h): its input, the parameters' dtype and its initial states, as the
 * user gave them. The layer kernels (rnn.c, minrnn.c) see one layer's
 * (N, H) slices and check only that those fit their weights; this is the
 * one place that knows num_layers * directions, batch_first, unbatched
 * inputs, packed sequences and the names the user wrote (hx, h0, c0, h, c),
 * so the modules' messages are made here, in PyTorch's words. */
#include <stdio.h>

#include "lc_internal.h"

/* What the input says about the call. */
typedef struct {
  bool batched;
  int64_t N; /* the batch: sequences in a call, rows of a cell step */
} geometry;

static bool has_shape(const lc_tensor *t, int ndim, const int64_t *sizes) {
  if (t->ndim != ndim) return false;
  for (int d = 0; d < ndim; d++)
    if (t->sizes[d] != sizes[d]) return false;
  return true;
}

static int fail_dtype(const lc_rnn_call *c, const lc_rnn_state *s, const char *fmt) {
  lc_fail(LC_ERR_DTYPE, c->op, fmt, s->name, lc_dtype_name(s->t->dtype), lc_dtype_name(c->input->dtype));
  return -1;
}

/* nn.RNN/GRU/LSTM: (layers, N, width); (layers, width) for an unbatched
 * input; lucid's rule: a 2D (N, width) is the first layer's state. */
static int sequence_state(const lc_rnn_call *c, const lc_rnn_state *s, const geometry *g) {
  const lc_tensor *t = s->t;
  const char *what = s->size_name ? s->size_name : s->name;
  char want[128], first[128], got[128];
  if (t->dtype != c->input->dtype) return fail_dtype(c, s, "%s has dtype %s but the input has dtype %s");
  lc_shape_str(got, t->ndim, t->sizes);
  int64_t flat[2] = {c->layers, s->width}, row[2] = {g->N, s->width},
          full[3] = {c->layers, g->N, s->width};
  if (!g->batched) {
    if (has_shape(t, 2, flat)) return 0;
    lc_fail(LC_ERR_SHAPE, c->op, "Expected %s size %s for unbatched input, got %s", what,
            lc_shape_str(want, 2, flat), got);
    return -1;
  }
  if (t->ndim == 2) {
    if (has_shape(t, 2, row)) return 0;
    lc_fail(LC_ERR_SHAPE, c->op, "Expected %s size %s (first layer) or %s, got %s", what,
            lc_shape_str(first, 2, row), lc_shape_str(want, 3, full), got);
    return -1;
  }
  if (has_shape(t, 3, full)) return 0;
  char why[96] = "";
  if (t->ndim == 3 && t->sizes[1] != g->N)
    snprintf(why, sizeof why, " (%s has batch %lld, the input %lld)", s->name, (long long)t->sizes[1],
             (long long)g->N);
  lc_fail(LC_ERR_SHAPE, c->op, "Expected %s size %s, got %s%s", what, lc_shape_str(want, 3, full), got, why);
  return -1;
}

/* nn.RNNCell/GRUCell/LSTMCell: (N, H), or (H) for an unbatched input. */
static int step_state(const lc_rnn_call *c, const lc_rnn_state *s, const geometry *g) {
  const lc_tensor *t = s->t;
  long long N = g->N, W = s->width;
  char got[128];
  lc_shape_str(got, t->ndim, t->sizes);
  if (g->batched && (t->ndim != 2 || t->sizes[1] != W)) {
    lc_fail(LC_ERR_SHAPE, c->op, "%s has shape %s, expected (%lld, %lld)", s->name, got, N, W);
    return -1;
  }
  if (g->batched && t->sizes[0] != N) {
    lc_fail(LC_ERR_SHAPE, c->op,
            "%s has batch size %lld but the input has batch size %lld (%s has shape %s, expected (%lld, %lld))",
            s->name, (long long)t->sizes[0], N, s->name, got, N, W);
    return -1;
  }
  if (!g->batched && (t->ndim != 1 || t->sizes[0] != W)) {
    lc_fail(LC_ERR_SHAPE, c->op, "%s has shape %s, expected (%lld) for an unbatched input", s->name, got, W);
    return -1;
  }
  if (t->dtype != c->input->dtype) return fail_dtype(c, s, "%s has dtype %s, but the input is %s");
  return 0;
}

/* nn.MinGRU/MinLSTM: (layers, N, H), or (layers, H) for an unbatched input. */
static int minimal_state(const lc_rnn_call *c, const lc_rnn_state *s, const geometry *g) {
  const lc_tensor *t = s->t;
  if (t->dtype != c->input->dtype) return fail_dtype(c, s, "%s has dtype %s but the input has dtype %s");
  int64_t want[3] = {c->layers, g->N, s->width};
  int nd = 3;
  if (!g->batched) want[1] = s->width, nd = 2;
  if (has_shape(t, nd, want)) return 0;
  char a[128], b[128];
  lc_fail(LC_ERR_SHAPE, c->op, "Expected %s of size %s, got %s", s->name, lc_shape_str(a, nd, want),
          lc_shape_str(b, t->ndim, t->sizes));
  return -1;
}

/* Each form's wording and state rule. */
static const struct {
  int low, high;         /* the input's ranks: unbatched, batched */
  bool sequence;         /* the input is a sequence of steps, never empty */
  const char *dtype_fmt; /* the input's dtype against the parameters' */
  int (*state)(const lc_rnn_call *c, const lc_rnn_state *s, const geometry *g);
} forms[LC_RNN_FORM_COUNT] = {
  [LC_RNN_SEQUENCE] = {2, 3, true, "input has dtype %s but the parameters have dtype %s", sequence_state},
  [LC_RNN_STEP] = {1, 2, false, "input has dtype %s, but the parameters are %s", step_state},
  [LC_RNN_MINIMAL] = {2, 3, true, "input has dtype %s but the parameters have dtype %s", minimal_state},
};

static int check_features(const lc_rnn_call *c, int64_t features) {
  if (features == c->input_size) return 0;
  lc_fail(LC_ERR_SHAPE, c->op, "input has %lld features, expected input_size %lld", (long long)features,
          (long long)c->input_size);
  return -1;
}

/* A packed sequence: data (T, I), batch_sizes non-empty, the batch its
 * first entry. */
static int packed_input(const lc_rnn_call *c, geometry *g) {
  const lc_tensor *x = c->input, *bs = c->batch_sizes;
  char buf[128];
  if (c->form == LC_RNN_MINIMAL && (x->ndim != 2 || x->sizes[1] != c->input_size)) {
    lc_fail(LC_ERR_SHAPE, c->op, "a packed input's data must be a 2D tensor (T, %lld), got %s",
            (long long)c->input_size, lc_shape_str(buf, x->ndim, x->sizes));
    return -1;
  }
  if (x->ndim != 2) {
    lc_fail(LC_ERR_SHAPE, c->op, "a packed input's data must be a 2D tensor (T, input_size), got %dD tensor",
            x->ndim);
    return -1;
  }
  if (check_features(c, x->sizes[1])) return -1;
  if (bs->dtype != LC_INT64 || bs->ndim != 1) {
    lc_fail(LC_ERR_ARG, c->op, "a packed input's batch_sizes must be a 1-D int64 tensor, got %s of shape %s",
            lc_dtype_name(bs->dtype), lc_shape_str(buf, bs->ndim, bs->sizes));
    return -1;
  }
  int64_t L = bs->sizes[0];
  g->batched = true;
  g->N = L > 0 ? *(const int64_t *)lc_data(bs) : 0;
  if (L == 0 || g->N == 0) {
    lc_fail(LC_ERR_SHAPE, c->op, "Expected a non-empty sequence, got a packed sequence of %lld steps",
            (long long)L);
    return -1;
  }
  const lc_tensor *s = c->sorted_indices;
  if (s && lc_numel(s) != g->N) {
    lc_fail(LC_ERR_SHAPE, c->op, "the packed input has %lld sequences but %lld sorted_indices",
            (long long)g->N, (long long)lc_numel(s));
    return -1;
  }
  return 0;
}

/* A tensor input of the form's ranks; a sequence's steps and batch are
 * never empty. */
static int tensor_input(const lc_rnn_call *c, geometry *g) {
  const lc_tensor *x = c->input;
  int low = forms[c->form].low, high = forms[c->form].high;
  if (x->ndim != low && x->ndim != high) {
    lc_fail(LC_ERR_SHAPE, c->op, "Expected input to be %dD or %dD, got %dD tensor", low, high, x->ndim);
    return -1;
  }
  if (check_features(c, x->sizes[x->ndim - 1])) return -1;
  g->batched = x->ndim == high;
  bool seq = forms[c->form].sequence;
  /* a batched sequence is (L, N, I), or (N, L, I) with batch_first; a
   * batched step is (N, I) */
  g->N = !g->batched ? 1 : seq ? x->sizes[c->batch_first ? 0 : 1] : x->sizes[0];
  if (seq && (x->sizes[0] == 0 || (g->batched && x->sizes[1] == 0))) {
    char buf[128];
    lc_fail(LC_ERR_SHAPE, c->op, "Expected a non-empty sequence and batch, got input of shape %s",
            lc_shape_str(buf, x->ndim, x->sizes));
    return -1;
  }
  return 0;
}

int lc_rnn_check(const lc_rnn_call *c) {
  if (!c || !c->op || !c->input || (unsigned)c->form >= LC_RNN_FORM_COUNT || c->layers < 1) {
    lc_fail(LC_ERR_ARG, "rnn_check", "a call with an op, a form, an input and at least one layer is required");
    return -1;
  }
  geometry g;
  if (c->batch_sizes ? packed_input(c, &g) : tensor_input(c, &g)) return -1;
  if (c->input->dtype != c->dtype) {
    lc_fail(LC_ERR_DTYPE, c->op, forms[c->form].dtype_fmt, lc_dtype_name(c->input->dtype),
            lc_dtype_name(c->dtype));
    return -1;
  }
  for (int i = 0; i < 2; i++) {
    const lc_rnn_state *s = &c->states[i];
    if (s->name && s->t && forms[c->form].state(c, s, &g)) return -1;
  }
  return 0;
}

/* t (NULL allowed when optional) has the sizes (d0[, d1]) and dtype dt. */
bool lc_rnn_fits(const char *op, const char *what, const lc_tensor *t, bool optional, int ndim,
                 int64_t d0, int64_t d1, lc_dtype dt) {
  if (!t && optional) return true;
  if (t && t->ndim == ndim && t->sizes[0] == d0 && (ndim == 1 || t->sizes[1] == d1) && t->dtype == dt)
    return true;
  char got[128] = "none", want[64];
  if (t) lc_shape_str(got, t->ndim, t->sizes);
  if (ndim == 1) snprintf(want, sizeof want, "(%lld)", (long long)d0);
  else snprintf(want, sizeof want, "(%lld, %lld)", (long long)d0, (long long)d1);
  lc_fail(LC_ERR_SHAPE, op, "%s has shape %s and dtype %s, expected %s and %s", what, got,
          t ? lc_dtype_name(t->dtype) : "none", want, lc_dtype_name(dt));
  return false;
}
