/* ctc.c: connectionist temporal classification loss (Graves et al. 2006),
 * forward and backward over log-space alpha and beta, in double.
 *
 * log_probs (T, N, C); sample b has input_lengths[b] frames and the target
 * sequence y of target_lengths[b] labels, read from row b of a padded
 * (N, S) targets tensor or from consecutive stretches of a 1-D one. The
 * extended label sequence l' puts a blank around every label (length
 * 2S + 1); a path may stay on a label, step to the next, or skip a blank
 * between two different labels.
 *
 *   alpha[t][s] = lp[t][l'_s] + lse(alpha[t-1][s], alpha[t-1][s-1], alpha[t-1][s-2] if skip)
 *   beta[t][s]  = lp[t][l'_s] + lse(beta[t+1][s], beta[t+1][s+1], beta[t+1][s+2] if skip)
 *   nll = -lse(alpha[T-1][L'-1], alpha[T-1][L'-2])
 *   d nll / d lp[t][c] = -exp(lse_{s: l'_s = c}(alpha[t][s] + beta[t][s]) + nll - lp[t][c])
 *
 * The gradient is the true one with respect to log_probs. (PyTorch's CPU
 * kernel adds exp(lp[t][c]), which cancels once log_probs come from a
 * log_softmax, so gradients of the logits agree.) Targets and blank are
 * read in base index_base (1 from Lua). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

static double lse2(double a, double b) {
  if (a == -INFINITY) return b;
  if (b == -INFINITY) return a;
  double m = a > b ? a : b;
  return m + log(exp(a - m) + exp(b - m));
}

typedef struct {
  int64_t T, N, C, S; /* S: padded target width (2-D targets), 0 for 1-D */
  int64_t blank, base;
  const int64_t *targets, *in_len, *tg_len, *offset; /* offset: each sample's first label */
} ctc_geom;

/* The label l'_s of sample b (0-based class). */
static inline int64_t label(const ctc_geom *g, int64_t b, int64_t s) {
  return s % 2 == 0 ? g->blank : g->targets[g->offset[b] + s / 2] - g->base;
}

static inline bool can_skip(const ctc_geom *g, int64_t b, int64_t s) {
  return s >= 2 && s % 2 == 1 && label(g, b, s) != label(g, b, s - 2);
}

/* alpha (Tb x L') of sample b into a; returns nll. lp: element (t, b, c) at lp[(t*N + b)*C + c]. */
#define ALPHA(T_, g, b, lp, a)                                                                 \
  do {                                                                                         \
    int64_t Tb = (g)->in_len[b], Lp = 2 * (g)->tg_len[b] + 1;                                  \
    for (int64_t s = 0; s < Lp; s++) (a)[s] = -INFINITY;                                       \
    if (Tb > 0) {                                                                              \
      (a)[0] = (double)(lp)[((b)) * (g)->C + (g)->blank];                                      \
      if (Lp > 1) (a)[1] = (double)(lp)[(b) * (g)->C + label(g, b, 1)];                        \
    }                                                                                          \
    for (int64_t t = 1; t < Tb; t++) {                                                         \
      const double *prev = (a) + (t - 1) * Lp;                                                 \
      double *cur = (a) + t * Lp;                                                              \
      const T_ *row = (lp) + (t * (g)->N + (b)) * (g)->C;                                      \
      for (int64_t s = 0; s < Lp; s++) {                                                       \
        double v = prev[s];                                                                    \
        if (s >= 1) v = lse2(v, prev[s - 1]);                                                  \
        if (can_skip(g, b, s)) v = lse2(v, prev[s - 2]);                                       \
        cur[s] = v == -INFINITY ? -INFINITY : v + (double)row[label(g, b, s)];                 \
      }                                                                                        \
    }                                                                                          \
  } while (0)

static double nll_of(const double *a, int64_t Tb, int64_t Lp) {
  if (Tb == 0) return Lp == 1 ? 0 : INFINITY; /* no frames: only the empty target fits */
  const double *last = a + (Tb - 1) * Lp;
  return -lse2(last[Lp - 1], Lp > 1 ? last[Lp - 2] : -INFINITY);
}

/* Saved: 0 log_probs, 1 targets, 2 input_lengths, 3 target_lengths, 4
 * offsets, 5 nll (float64, N) (all contiguous). ints: T, N, C, S, blank,
 * base, reduction, zero_infinity. */
static int ctc_backward(lc_node *node, lc_tensor *const *grad_out, lc_tensor **grad_in) {
  lc_tensor *lpt = lc_node_saved(node, 0), *tg = lc_node_saved(node, 1), *il = lc_node_saved(node, 2),
            *tl = lc_node_saved(node, 3), *off = lc_node_saved(node, 4), *nllt = lc_node_saved(node, 5);
  if (!lpt || !tg || !il || !tl || !off || !nllt) return -1;
  const int64_t *in = node->ints;
  ctc_geom g = {in[0], in[1], in[2], in[3], in[4], in[5], lc_data(tg), lc_data(il), lc_data(tl), lc_data(off)};
  lc_reduction red = (lc_reduction)in[6];
  bool zero_inf = in[7] != 0;
  lc_tensor *go = lc_contiguous(grad_out[0]);
  lc_tensor *gx = go ? lc_zeros(lpt->dtype, lpt->ndim, lpt->sizes) : NULL;
  if (!gx) {
    lc_release(go);
    return -1;
  }
  const double *nll = lc_data(nllt);
  int64_t maxL = 1;
  for (int64_t b = 0; b < g.N; b++) maxL = g.tg_len[b] * 2 + 1 > maxL ? g.tg_len[b] * 2 + 1 : maxL;
  int failed = 0;
  LC_DISPATCH(lpt->dtype, T, {
    const T *lp = lc_data(lpt);
    const T *gop = lc_data(go);
    T *gp = lc_data(gx);
    _Pragma("omp parallel for schedule(dynamic) if (g.N * g.T * maxL >= LC_PARALLEL_GRAIN)")
    for (int64_t b = 0; b < g.N; b++) {
      int64_t Tb = g.in_len[b], Lp = 2 * g.tg_len[b] + 1;
      double scale = red == LC_REDUCTION_NONE ? (double)gop[b] : (double)gop[0];
      if (red == LC_REDUCTION_MEAN) scale /= (double)g.N * (double)(g.tg_len[b] > 0 ? g.tg_len[b] : 1);
      if (Tb == 0 || isinf(nll[b])) continue; /* no path (zero_infinity) or no frames: no gradient */
      double *a = malloc(sizeof(double) * (size_t)(2 * Tb * Lp + g.C));
      if (!a) {
        _Pragma("omp atomic write")
        failed = 1;
        continue;
      }
      double *be = a + Tb * Lp, *acc = be + Tb * Lp;
      ALPHA(T, &g, b, lp, a);
      /* beta, from the end */
      for (int64_t s = 0; s < Lp; s++) be[(Tb - 1) * Lp + s] = -INFINITY;
      const T *lrow = lp + ((Tb - 1) * g.N + b) * g.C;
      be[(Tb - 1) * Lp + Lp - 1] = (double)lrow[label(&g, b, Lp - 1)];
      if (Lp > 1) be[(Tb - 1) * Lp + Lp - 2] = (double)lrow[label(&g, b, Lp - 2)];
      for (int64_t t = Tb - 2; t >= 0; t--) {
        const double *next = be + (t + 1) * Lp;
        double *cur = be + t * Lp;
        const T *row = lp + (t * g.N + b) * g.C;
        for (int64_t s = 0; s < Lp; s++) {
          double v = next[s];
          if (s + 1 < Lp) v = lse2(v, next[s + 1]);
          if (s + 2 < Lp && can_skip(&g, b, s + 2)) v = lse2(v, next[s + 2]);
          cur[s] = v == -INFINITY ? -INFINITY : v + (double)row[label(&g, b, s)];
        }
      }
      for (int64_t t = 0; t < Tb; t++) {
        const T *row = lp + (t * g.N + b) * g.C;
        T *grow = gp + (t * g.N + b) * g.C;
        for (int64_t c = 0; c < g.C; c++) acc[c] = -INFINITY;
        for (int64_t s = 0; s < Lp; s++) {
          int64_t c = label(&g, b, s);
          acc[c] = lse2(acc[c], a[t * Lp + s] + be[t * Lp + s]);
        }
        for (int64_t c = 0; c < g.C; c++)
          if (acc[c] != -INFINITY) grow[c] = (T)(-scale * exp(acc[c] + nll[b] - (double)row[c]));
      }
      free(a);
    }
  });
  (void)zero_inf;
  lc_release(go);
  if (failed) {
    lc_release(gx);
    lc_fail(LC_ERR_MEMORY, "ctc_loss", "out of memory in the backward");
    return -1;
  }
  grad_in[0] = gx;
  return 0;
}

static lc_tensor *as_int64(const char *op, const char *name, const lc_tensor *t) {
  if (t->dtype != LC_INT64) {
    lc_fail(LC_ERR_DTYPE, op, "%s must be an int64 tensor, got %s", name, lc_dtype_name(t->dtype));
    return NULL;
  }
  return lc_contiguous(t);
}

lc_tensor *lc_ctc_loss(const lc_ctc_args *a) {
  const char *op = a->op ? a->op : "ctc_loss";
  char b1[128];
  const lc_tensor *x = a->log_probs;
  if (!x || !a->targets || !a->input_lengths || !a->target_lengths) {
    lc_fail(LC_ERR_SHAPE, op, "log_probs, targets and both lengths must not be NULL");
    return NULL;
  }
  if (!lc_dtype_is_float(x->dtype) || x->ndim != 3) {
    lc_fail(LC_ERR_ARG, op, "log_probs must be a float (T, N, C) tensor, got %s %s", lc_dtype_name(x->dtype),
                 lc_shape_str(b1, x->ndim, x->sizes));
    return NULL;
  }
  int64_t T = x->sizes[0], N = x->sizes[1], C = x->sizes[2];
  if (a->blank < a->index_base || a->blank >= C + a->index_base) {
    lc_fail(LC_ERR_INDEX, op, "blank %lld is out of range for %lld classes", (long long)a->blank, (long long)C);
    return NULL;
  }
  const lc_tensor *lens[2] = {a->input_lengths, a->target_lengths};
  static const char *const lname[2] = {"input_lengths", "target_lengths"};
  for (int i = 0; i < 2; i++)
    if (lens[i]->ndim != 1 || lens[i]->sizes[0] != N) {
      lc_fail(LC_ERR_SHAPE, op, "%s must have one length per sample (%lld), got shape %s", lname[i], (long long)N,
                   lc_shape_str(b1, lens[i]->ndim, lens[i]->sizes));
      return NULL;
    }
  if (a->targets->ndim != 1 && !(a->targets->ndim == 2 && a->targets->sizes[0] == N)) {
    lc_fail(LC_ERR_SHAPE, op, "targets must be (N, S) padded or 1-D concatenated, got shape %s",
                 lc_shape_str(b1, a->targets->ndim, a->targets->sizes));
    return NULL;
  }
  lc_reduction red = a->reduction;
  lc_tensor *lp = NULL, *tg = NULL, *il = NULL, *tl = NULL, *off = NULL, *nllt = NULL, *out = NULL;
  if (!(tg = as_int64(op, "targets", a->targets)) || !(il = as_int64(op, "input_lengths", a->input_lengths)) ||
      !(tl = as_int64(op, "target_lengths", a->target_lengths)) || !(lp = lc_contiguous(x)) ||
      !(off = lc_empty(LC_INT64, 1, &N)) || !(nllt = lc_empty(LC_FLOAT64, 1, &N)))
    goto done;
  int64_t S = tg->ndim == 2 ? tg->sizes[1] : 0, total = 0, ntg = lc_numel(tg);
  int64_t *offp = lc_data(off);
  const int64_t *ilp = lc_data(il), *tlp = lc_data(tl), *tp = lc_data(tg);
  for (int64_t b = 0; b < N; b++) {
    if (ilp[b] < 0 || ilp[b] > T) {
      lc_fail(LC_ERR_SHAPE, op, "input_lengths[%lld] = %lld must be in [0, %lld]", (long long)b + 1, (long long)ilp[b],
                   (long long)T);
      goto done;
    }
    bool fits = tlp[b] >= 0 && (S ? tlp[b] <= S : total + tlp[b] <= ntg);
    if (!fits) {
      lc_fail(LC_ERR_SHAPE, op, "target_lengths[%lld] = %lld does not fit the targets %s", (long long)b + 1,
                   (long long)tlp[b], lc_shape_str(b1, tg->ndim, tg->sizes));
      goto done;
    }
    offp[b] = S ? b * S : total;
    total += tlp[b];
    for (int64_t j = 0; j < tlp[b]; j++) {
      int64_t v = tp[offp[b] + j];
      if (v < a->index_base || v >= C + a->index_base || v == a->blank) {
        lc_fail(LC_ERR_INDEX, op, "target %lld of sample %lld is %lld, expected a class in [%lld, %lld] other than blank %lld", (long long)j + 1, (long long)b + 1, (long long)v, (long long)a->index_base,
                     (long long)(C - 1 + a->index_base), (long long)a->blank);
        goto done;
      }
    }
  }
  ctc_geom g = {T, N, C, S, a->blank - a->index_base, a->index_base, tp, ilp, tlp, offp};
  double *nll = lc_data(nllt);
  int failed = 0;
  LC_DISPATCH(x->dtype, TT, {
    const TT *p = lc_data(lp);
    _Pragma("omp parallel for schedule(dynamic) if (N * T * C >= LC_PARALLEL_GRAIN)")
    for (int64_t b = 0; b < N; b++) {
      int64_t Tb = ilp[b], Lp = 2 * tlp[b] + 1;
      double *al = malloc(sizeof(double) * (size_t)((Tb ? Tb : 1) * Lp));
      if (!al) {
        _Pragma("omp atomic write")
        failed = 1;
        continue;
      }
      ALPHA(TT, &g, b, p, al);
      nll[b] = nll_of(al, Tb, Lp);
      free(al);
    }
  });
  if (failed) {
    lc_fail(LC_ERR_MEMORY, op, "out of memory");
    goto done;
  }
  /* the per-sample losses as returned (zero_infinity: inf -> 0) and reduced */
  double sum = 0;
  lc_tensor *per = lc_empty(LC_FLOAT64, 1, &N);
  if (!per) goto done;
  double *pp = lc_data(per);
  for (int64_t b = 0; b < N; b++) {
    pp[b] = a->zero_infinity && isinf(nll[b]) ? 0 : nll[b];
    sum += red == LC_REDUCTION_MEAN ? pp[b] / (double)(tlp[b] > 0 ? tlp[b] : 1) : pp[b];
  }
  if (red == LC_REDUCTION_NONE) out = lc_to(per, x->dtype);
  else out = lc_scalar(x->dtype, red == LC_REDUCTION_MEAN ? sum / (double)(N > 0 ? N : 1) : sum);
  lc_release(per);
  if (out && lc_should_record(1, &x)) {
    lc_node *node = lc_record("CtcLossBackward", ctc_backward, out, 1, &x);
    /* zero_infinity: infinite samples give no gradient (their nll stays inf) */
    if (!node || lc_node_save(node, lp) || lc_node_save(node, tg) || lc_node_save(node, il) ||
        lc_node_save(node, tl) || lc_node_save(node, off) || lc_node_save(node, nllt)) {
      lc_release(out);
      out = NULL;
      goto done;
    }
    int64_t ints[8] = {T, N, C, S, g.blank, a->index_base, red, a->zero_infinity};
    memcpy(node->ints, ints, sizeof ints);
  }
done:
  lc_release(lp);
  lc_release(tg);
  lc_release(il);
  lc_release(tl);
  lc_release(off);
  lc_release(nllt);
  return out;
}
