/* einsum.c: Einstein summation for any subscripts, through views, sums and
 * batched GEMM, so autograd comes from those ops.
 *
 * Labels: a-z are 0-25, A-Z 26-51, and the dims of "..." (right-aligned
 * across operands, broadcast) 52 on. Each operand first loses repeated
 * labels (a diagonal) and labels no one else needs (a sum); then operands
 * are contracted left to right: shared labels still needed later become a
 * batch dim, shared labels not needed are the GEMM's inner dim, the rest its
 * rows and columns. The result is permuted to the output's order. */
#include <ctype.h>
#include <string.h>

#include "lc_internal.h"

#define MAX_LABELS (52 + LC_MAX_DIMS)

typedef struct {
  lc_tensor *t;
  int n;
  int label[LC_MAX_DIMS];
} term;

static int label_of(char c) { return islower((unsigned char)c) ? c - 'a' : c - 'A' + 26; }

/* Parses one side's subscripts into labels; ellipsis dims from 52 on,
 * right-aligned to `erank`. Returns the count or -1. */
static int parse_subscripts(const char *s, size_t len, int ndim, int erank, int *labels, bool is_output) {
  int n = 0, letters = 0;
  bool ellipsis = false;
  for (size_t i = 0; i < len; i++) {
    if (isalpha((unsigned char)s[i])) letters++;
    else if (s[i] == '.' && i + 2 < len + 0 + 1 && !strncmp(s + i, "...", 3) && !ellipsis) ellipsis = true, i += 2;
    else {
      lc_fail(LC_ERR_ARG, "einsum", "unexpected '%c' in the subscripts '%.*s'", s[i], (int)len, s);
      return -1;
    }
  }
  int edims = is_output ? erank : ndim - letters;
  if (!is_output && (ellipsis ? edims < 0 : letters != ndim)) {
    lc_fail(LC_ERR_SHAPE, "einsum", "subscripts '%.*s' name %d dims for an operand of %d", (int)len, s, letters, ndim);
    return -1;
  }
  if (letters + (ellipsis ? edims : 0) > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "einsum", "at most %d dims per operand", LC_MAX_DIMS);
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') {
      for (int j = 0; j < edims; j++) labels[n++] = 52 + (erank - edims) + j;
      i += 2;
    } else {
      labels[n++] = label_of(s[i]);
    }
  }
  return n;
}

static void drop(term *x) {
  lc_release(x->t);
  x->t = NULL;
}

/* Replaces x's tensor (taking r) and labels; false when r is NULL. */
static bool update(term *x, lc_tensor *r, const int *labels, int n) {
  lc_release(x->t);
  x->t = r;
  memmove(x->label, labels, n * sizeof *labels);
  x->n = n;
  return r != NULL;
}

/* Repeated labels become one (the diagonal). */
static bool diagonals(term *x) {
  for (int i = 0; i < x->n; i++)
    for (int j = i + 1; j < x->n; j++) {
      if (x->label[i] != x->label[j]) continue;
      if (x->t->sizes[i] != x->t->sizes[j]) {
        lc_fail(LC_ERR_SHAPE, "einsum", "a repeated subscript spans dims of sizes %lld and %lld",
                     (long long)x->t->sizes[i], (long long)x->t->sizes[j]);
        return false;
      }
      int labels[LC_MAX_DIMS], k = 0, l = x->label[i];
      for (int d = 0; d < x->n; d++)
        if (d != i && d != j) labels[k++] = x->label[d];
      labels[k++] = l;
      if (!update(x, lc_diagonal(x->t, 0, i, j), labels, k)) return false;
      return diagonals(x);
    }
  return true;
}

/* Sums the dims whose labels `needed` does not list. */
static bool sum_unneeded(term *x, const bool *needed) {
  for (int d = x->n - 1; d >= 0; d--) {
    if (needed[x->label[d]]) continue;
    int labels[LC_MAX_DIMS], k = 0;
    for (int e = 0; e < x->n; e++)
      if (e != d) labels[k++] = x->label[e];
    if (!update(x, lc_sum(x->t, d, false), labels, k)) return false;
  }
  return true;
}

/* Labels needed after operand `from` on: the output's and those of the
 * operands from index `from`. */
static void needed_after(bool *needed, const int *out, int nout, const term *terms, int from, int n) {
  memset(needed, 0, MAX_LABELS * sizeof *needed);
  for (int i = 0; i < nout; i++) needed[out[i]] = true;
  for (int k = from; k < n; k++)
    for (int i = 0; i < terms[k].n; i++) needed[terms[k].label[i]] = true;
}

static int find(const term *x, int label) {
  for (int i = 0; i < x->n; i++)
    if (x->label[i] == label) return i;
  return -1;
}

/* A (batch, rows, inner) and B (batch, inner, cols) as one bmm; needed:
 * the labels used after this pair. */
static bool contract(term *a, term *b, const bool *needed) {
  int batch[LC_MAX_DIMS], rows[LC_MAX_DIMS], cols[LC_MAX_DIMS], inner[LC_MAX_DIMS];
  int nb = 0, nr = 0, nc = 0, ni = 0;
  for (int i = 0; i < a->n; i++) {
    int l = a->label[i];
    if (find(b, l) < 0) rows[nr++] = l;
    else if (needed[l]) batch[nb++] = l;
    else inner[ni++] = l;
  }
  for (int i = 0; i < b->n; i++)
    if (find(a, b->label[i]) < 0) cols[nc++] = b->label[i];
  if (nb + nr + nc > LC_MAX_DIMS) {
    lc_fail(LC_ERR_SHAPE, "einsum", "an intermediate result would have more than %d dims", LC_MAX_DIMS);
    return false;
  }
  /* sizes per label, shared ones broadcast */
  int64_t size[MAX_LABELS];
  for (int i = 0; i < a->n; i++) size[a->label[i]] = a->t->sizes[i];
  for (int i = 0; i < b->n; i++) {
    int l = b->label[i], j = find(a, l);
    int64_t s = b->t->sizes[i];
    if (j >= 0 && size[l] != s && size[l] != 1 && s != 1) {
      lc_fail(LC_ERR_SHAPE, "einsum", "subscript '%c' has sizes %lld and %lld", l < 26 ? 'a' + l : l < 52 ? 'A' + l - 26 : '.',
                   (long long)size[l], (long long)s);
      return false;
    }
    if (j < 0 || size[l] == 1) size[l] = s;
  }
  int pa[LC_MAX_DIMS], pb[LC_MAX_DIMS], k = 0;
  int64_t ea[LC_MAX_DIMS], eb[LC_MAX_DIMS];
  int64_t B = 1, M = 1, N = 1, K = 1;
  for (int i = 0; i < nb; i++) pa[k] = find(a, batch[i]), ea[k++] = size[batch[i]], B *= size[batch[i]];
  for (int i = 0; i < nr; i++) pa[k] = find(a, rows[i]), ea[k++] = size[rows[i]], M *= size[rows[i]];
  for (int i = 0; i < ni; i++) pa[k] = find(a, inner[i]), ea[k++] = size[inner[i]], K *= size[inner[i]];
  k = 0;
  for (int i = 0; i < nb; i++) pb[k] = find(b, batch[i]), eb[k++] = size[batch[i]];
  for (int i = 0; i < ni; i++) pb[k] = find(b, inner[i]), eb[k++] = size[inner[i]];
  for (int i = 0; i < nc; i++) pb[k] = find(b, cols[i]), eb[k++] = size[cols[i]], N *= size[cols[i]];
  lc_tensor *at = a->n ? lc_permute(a->t, pa) : lc_retain(a->t), *bt = b->n ? lc_permute(b->t, pb) : lc_retain(b->t);
  lc_tensor *ax = at ? lc_expand(at, a->n, ea) : NULL, *bx = bt ? lc_expand(bt, b->n, eb) : NULL;
  /* no batch dim: plain 2-D GEMM */
  lc_tensor *am = ax ? (nb ? lc_reshape(ax, 3, (int64_t[]){B, M, K}) : lc_reshape(ax, 2, (int64_t[]){M, K})) : NULL;
  lc_tensor *bm = bx ? (nb ? lc_reshape(bx, 3, (int64_t[]){B, K, N}) : lc_reshape(bx, 2, (int64_t[]){K, N})) : NULL;
  lc_tensor *p = am && bm ? lc_matmul(am, bm) : NULL;
  int labels[LC_MAX_DIMS], n = 0;
  int64_t shape[LC_MAX_DIMS];
  for (int i = 0; i < nb; i++) labels[n] = batch[i], shape[n++] = size[batch[i]];
  for (int i = 0; i < nr; i++) labels[n] = rows[i], shape[n++] = size[rows[i]];
  for (int i = 0; i < nc; i++) labels[n] = cols[i], shape[n++] = size[cols[i]];
  lc_tensor *r = p ? lc_reshape(p, n, shape) : NULL;
  lc_tensor *tmp[] = {at, bt, ax, bx, am, bm, p};
  for (int i = 0; i < 7; i++) lc_release(tmp[i]);
  drop(b);
  return update(a, r, labels, n);
}

lc_tensor *lc_einsum(const char *equation, lc_tensor *const *ops, int n) {
  char eq[512];
  size_t len = 0;
  for (const char *c = equation; *c && len < sizeof eq - 1; c++)
    if (!isspace((unsigned char)*c)) eq[len++] = *c;
  eq[len] = 0;
  const char *arrow = strstr(eq, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - eq) : len;
  /* operands' subscripts */
  const char *starts[64];
  size_t lens[64];
  int count = 0;
  for (size_t i = 0, s = 0; i <= lhs_len; i++)
    if (i == lhs_len || eq[i] == ',') {
      if (count == 64) break;
      starts[count] = eq + s, lens[count++] = i - s, s = i + 1;
    }
  if (count != n) {
    lc_fail(LC_ERR_ARG, "einsum", "the equation has subscripts for %d operands, got %d", count, n);
    return NULL;
  }
  int erank = 0;
  for (int k = 0; k < n; k++) {
    int letters = 0;
    for (size_t i = 0; i < lens[k]; i++) letters += isalpha((unsigned char)starts[k][i]) != 0;
    if (memchr(starts[k], '.', lens[k]) && ops[k]->ndim - letters > erank) erank = ops[k]->ndim - letters;
  }
  term terms[64];
  memset(terms, 0, sizeof terms);
  int counts[MAX_LABELS] = {0};
  bool ok = true;
  for (int k = 0; k < n && ok; k++) {
    terms[k].n = parse_subscripts(starts[k], lens[k], ops[k]->ndim, erank, terms[k].label, false);
    ok = terms[k].n >= 0;
    if (ok) {
      terms[k].t = lc_expand(ops[k], ops[k]->ndim, ops[k]->sizes); /* a view with history */
      ok = terms[k].t != NULL;
      for (int i = 0; i < terms[k].n; i++) counts[terms[k].label[i]]++;
    }
  }
  int out[LC_MAX_DIMS], nout = 0;
  if (ok && arrow) {
    nout = parse_subscripts(arrow + 2, strlen(arrow + 2), 0, erank, out, true);
    ok = nout >= 0;
    for (int i = 0; ok && i < nout; i++) {
      for (int j = 0; j < i; j++)
        if (out[j] == out[i]) {
          lc_fail(LC_ERR_ARG, "einsum", "output subscript '%c' appears twice", arrow[2 + i]);
          ok = false;
        }
      if (ok && !counts[out[i]]) {
        lc_fail(LC_ERR_ARG, "einsum", "output subscript %d does not appear in any operand", i + 1);
        ok = false;
      }
    }
  } else if (ok) { /* implicit: "..." then the labels used once, in order */
    for (int l = 52; l < 52 + erank; l++) out[nout++] = l;
    for (int l = 0; l < 52 && nout < LC_MAX_DIMS; l++)
      if (counts[l] == 1) out[nout++] = l;
  }
  bool needed[MAX_LABELS];
  for (int k = 0; k < n && ok; k++) ok = diagonals(&terms[k]);
  /* the first operand's own labels no one needs go first */
  if (ok) {
    needed_after(needed, out, nout, terms, 1, n);
    ok = sum_unneeded(&terms[0], needed);
  }
  for (int k = 1; k < n && ok; k++) {
    needed_after(needed, out, nout, terms, k + 1, n);
    bool keep_b[MAX_LABELS], keep_a[MAX_LABELS];
    memcpy(keep_b, needed, sizeof needed);
    memcpy(keep_a, needed, sizeof needed);
    for (int i = 0; i < terms[0].n; i++) keep_b[terms[0].label[i]] = true;
    for (int i = 0; i < terms[k].n; i++) keep_a[terms[k].label[i]] = true;
    ok = sum_unneeded(&terms[k], keep_b) && sum_unneeded(&terms[0], keep_a) &&
         contract(&terms[0], &terms[k], needed);
  }
  lc_tensor *result = NULL;
  if (ok) {
    needed_after(needed, out, nout, terms, n, n);
    ok = sum_unneeded(&terms[0], needed);
  }
  if (ok) {
    int perm[LC_MAX_DIMS], m = 0;
    for (int i = 0; i < nout; i++) {
      int d = find(&terms[0], out[i]);
      if (d >= 0) perm[m++] = d;
    }
    result = m ? lc_permute(terms[0].t, perm) : lc_expand(terms[0].t, 0, NULL);
  }
  for (int k = 0; k < n; k++) drop(&terms[k]);
  return result;
}
