/* autograd.c: graph nodes and the reverse-mode engine.
 *
 * Ownership: a tensor owns its grad_fn; a node owns the nodes of its inputs
 * (edges), the leaf tensors it feeds, and history-free aliases of the tensors
 * it saved. Nothing points back up the graph, so there are no cycles and
 * reference counts free a graph as soon as its last output is dropped. */
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

static _Thread_local bool grad_mode = true;

bool lc_grad_enabled(void) { return grad_mode; }

bool lc_set_grad_enabled(bool on) {
  bool was = grad_mode;
  grad_mode = on;
  return was;
}

bool lc_should_record(int n, const lc_tensor *const *inputs) {
  if (!grad_mode) return false;
  for (int i = 0; i < n; i++)
    if (inputs[i] && inputs[i]->requires_grad) return true;
  return false;
}

/* ---- gradient hooks (the ids; the engine applies them below) ------------- */

static lc_grad_hooks grad_hooks;
static uint64_t last_hook_id;

void lc_set_grad_hooks(const lc_grad_hooks *h) { grad_hooks = *h; }

static void drop_hooks(uint64_t id) {
  if (grad_hooks.drop) grad_hooks.drop(grad_hooks.ud, id);
}

/* A leaf holds its id itself; a non-leaf's id is held by its grad_fn's
 * output (lc_node_attach keeps it that way when an in-place op moves the
 * tensor to a new node). */
uint64_t lc_hook_id(lc_tensor *t) {
  if (!t->hook_id) {
    t->hook_id = ++last_hook_id;
    if (t->grad_fn) t->grad_fn->outputs[t->output_nr].hook_id = t->hook_id;
  }
  return t->hook_id;
}

void lc_tensor_hooks_freed(const lc_tensor *t) {
  if (!t->grad_fn) drop_hooks(t->hook_id);
}

/* Runs the hooks of id on *g (a reference the caller owns). */
static int apply_hooks(uint64_t id, lc_tensor **g) {
  return id && grad_hooks.apply ? grad_hooks.apply(grad_hooks.ud, id, g) : 0;
}

/* ---- nodes --------------------------------------------------------------- */

lc_node *lc_node_new(const char *name, lc_backward_fn backward, int n_inputs,
                     const lc_tensor *const *inputs, int n_outputs) {
  lc_node *n = lc_calloc(1, sizeof *n, name);
  if (!n) return NULL;
  n->refcount = 1;
  n->name = name;
  n->backward = backward;
  n->n_inputs = n_inputs;
  n->n_outputs = n_outputs;
  n->inputs = lc_calloc(n_inputs, sizeof *n->inputs, name);
  n->outputs = lc_calloc(n_outputs, sizeof *n->outputs, name);
  if (!n->inputs || !n->outputs) {
    lc_node_release(n);
    return NULL;
  }
  for (int i = 0; i < n_inputs; i++) {
    lc_tensor *in = (lc_tensor *)inputs[i];
    if (!in || !in->requires_grad) continue;
    if (in->grad_fn) {
      n->inputs[i].fn = in->grad_fn;
      in->grad_fn->refcount++;
      n->inputs[i].nr = in->output_nr;
    } else {
      n->inputs[i].leaf = lc_retain(in);
    }
  }
  return n;
}

int lc_node_save(lc_node *n, const lc_tensor *t) {
  lc_tensor **saved = realloc(n->saved, (n->n_saved + 1) * sizeof *saved);
  if (saved) n->saved = saved;
  uint64_t *ver = realloc(n->saved_version, (n->n_saved + 1) * sizeof *ver);
  if (ver) n->saved_version = ver;
  lc_tensor *alias = saved && ver ? lc_detach(t) : NULL; /* no cycle through t's base */
  if (!alias) {
    lc_fail(LC_ERR_MEMORY, n->name, "out of memory saving a tensor for backward");
    return -1;
  }
  n->saved[n->n_saved] = alias;
  n->saved_version[n->n_saved] = t->storage->version;
  n->n_saved++;
  return 0;
}

static void fail_released(const lc_node *n) {
  lc_fail(LC_ERR_STATE, "backward", "trying to backward through the graph a second time (%s has freed "
          "its saved tensors); pass retain_graph = true the first time", n->name);
}

lc_tensor *lc_node_saved(lc_node *n, int i) {
  if (n->released) {
    fail_released(n);
    return NULL;
  }
  if (n->saved[i]->storage->version != n->saved_version[i]) {
    lc_fail(LC_ERR_STATE, "backward", "a tensor saved by %s for the gradient was modified by an in-place "
                 "operation (version %llu, expected %llu)",
                 n->name, (unsigned long long)n->saved[i]->storage->version,
                 (unsigned long long)n->saved_version[i]);
    return NULL;
  }
  return n->saved[i];
}

bool lc_node_needs_grad(const lc_node *n, int i) {
  return n->inputs[i].fn != NULL || n->inputs[i].leaf != NULL;
}

void lc_node_attach(lc_node *n, lc_tensor *const *outputs, int count) {
  for (int k = 0; k < count; k++) {
    lc_tensor *t = outputs[k];
    if (!t) continue;
    if (t->hook_id) { /* hooks registered before stay with the old node, as PyTorch's */
      if (!t->grad_fn) drop_hooks(t->hook_id);
      t->hook_id = 0;
    }
    lc_node_release(t->grad_fn);
    t->grad_fn = n;
    n->refcount++;
    t->output_nr = k;
    t->requires_grad = true;
    n->outputs[k].dtype = t->dtype;
    n->outputs[k].ndim = t->ndim;
    memcpy(n->outputs[k].sizes, t->sizes, sizeof t->sizes);
  }
}

lc_node *lc_record(const char *name, lc_backward_fn backward, lc_tensor *out, int n_inputs,
                   const lc_tensor *const *inputs) {
  lc_node *n = lc_node_new(name, backward, n_inputs, inputs, 1);
  if (!n) return NULL;
  lc_node_attach(n, &out, 1);
  lc_node_release(n); /* out holds it now */
  return n;
}

static void free_saved(lc_node *n) {
  for (int i = 0; i < n->n_saved; i++) lc_release(n->saved[i]);
  free(n->saved);
  free(n->saved_version);
  n->saved = NULL;
  n->saved_version = NULL;
  n->n_saved = 0;
}

/* Iterative, because an unrolled loop of 100k steps is a chain that deep and
 * recursion would overflow the C stack. */
void lc_node_release(lc_node *n) {
  if (!n || --n->refcount > 0) return;
  lc_node **stack = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    for (int i = 0; i < n->n_inputs; i++) {
      lc_node *next = n->inputs[i].fn;
      lc_release(n->inputs[i].leaf);
      if (next && --next->refcount == 0) {
        if (len == cap) {
          cap = cap ? 2 * cap : 64;
          lc_node **grown = realloc(stack, cap * sizeof *stack);
          if (!grown) abort(); /* cannot free memory without memory: nothing to report to */
          stack = grown;
        }
        stack[len++] = next;
      }
    }
    free_saved(n);
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k].hook_id) drop_hooks(n->outputs[k].hook_id);
    if (n->free_ctx) n->free_ctx(n);
    if (n->grad_acc) {
      for (int k = 0; k < n->n_outputs; k++) lc_release(n->grad_acc[k]);
      free(n->grad_acc);
    }
    free(n->inputs);
    free(n->outputs);
    free(n);
    if (!len) break;
    n = stack[--len];
  }
  free(stack);
}

/* ---- the engine ---------------------------------------------------------- */

typedef struct {
  lc_node **items;
  size_t len, cap;
} node_list;

static int push(node_list *l, lc_node *n) {
  if (l->len == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    lc_node **grown = realloc(l->items, cap * sizeof *grown);
    if (!grown) {
      lc_fail(LC_ERR_MEMORY, "backward", "out of memory");
      return -1;
    }
    l->items = grown;
    l->cap = cap;
  }
  l->items[l->len++] = n;
  return 0;
}

/* What autograd.grad asks for: gradients of these tensors, not accumulated
 * into .grad. NULL for a plain backward. */
typedef struct {
  int n;
  lc_tensor *const *inputs;
  lc_tensor **grads;
} capture;

/* *slot += g, out of place: g may be shared with other slots. */
static int add_into(lc_tensor **slot, lc_tensor *g) {
  if (!*slot) {
    *slot = lc_retain(g);
    return 0;
  }
  lc_tensor *sum = lc_binary(LC_ADD, *slot, g);
  if (!sum) return -1;
  lc_release(*slot);
  *slot = sum;
  return 0;
}

static int accumulate_leaf(lc_tensor *leaf, lc_tensor *g) {
  if (!leaf->grad) {
    /* Keep our own copy unless nobody else can see this gradient's memory. */
    bool own = g->refcount == 1 && g->storage->refcount == 1 && lc_is_contiguous(g) &&
               g->offset == 0 && lc_nbytes(g) == g->storage->nbytes;
    leaf->grad = own ? lc_retain(g) : lc_clone(g);
    return leaf->grad ? 0 : -1;
  }
  return lc_binary_(LC_ADD, leaf->grad, g);
}

/* ---- leaves tracked through a pass -----------------------------------------
 * A pass with hooks tracks, for each leaf it reaches, how many edges have yet
 * to deliver to it: at zero the leaf's gradient is final. A leaf with
 * gradient hooks sums its gradient until then (PyTorch's hooks see the
 * whole), gives the sum to its hooks and accumulates what they return; then
 * the engine hooks' leaf_ready fires. */
static lc_backward_hooks hooks;
static bool hooked;

void lc_set_backward_hooks(const lc_backward_hooks *h) {
  hooked = h != NULL;
  if (h) hooks = *h;
}

typedef struct {
  lc_tensor **leaves;
  int *pending;     /* edges still to deliver, per leaf */
  lc_tensor **sum;  /* the gradient so far of a leaf with hooks */
  int n, cap;
} leaf_set;

/* The leaf's index in s, added with no pending edges if new. pass_slot is
 * scratch that may hold anything, so it is trusted only when it points back. */
static int leaf_slot(leaf_set *s, lc_tensor *leaf) {
  int k = leaf->pass_slot - 1;
  if (k >= 0 && k < s->n && s->leaves[k] == leaf) return k;
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 32;
    lc_tensor **l = realloc(s->leaves, cap * sizeof *l);
    if (l) s->leaves = l;
    lc_tensor **g = l ? realloc(s->sum, cap * sizeof *g) : NULL;
    if (g) s->sum = g;
    int *p = g ? realloc(s->pending, cap * sizeof *p) : NULL;
    if (!p) {
      lc_fail(LC_ERR_MEMORY, "backward", "out of memory");
      return -1;
    }
    s->pending = p;
    s->cap = cap;
  }
  s->leaves[s->n] = leaf;
  s->pending[s->n] = 0;
  s->sum[s->n] = NULL;
  leaf->pass_slot = ++s->n;
  return s->n - 1;
}

static void free_leaf_set(leaf_set *s) {
  for (int k = 0; k < s->n; k++) lc_release(s->sum[k]);
  free(s->leaves);
  free(s->pending);
  free(s->sum);
}

static int expect_edge(leaf_set *s, lc_tensor *leaf) {
  int k = s ? leaf_slot(s, leaf) : 0;
  if (k < 0) return -1;
  if (s) s->pending[k]++;
  return 0;
}

/* A gradient for a leaf in a plain backward: summed for its hooks, or
 * accumulated into .grad at once. */
static int to_leaf(leaf_set *s, lc_tensor *leaf, lc_tensor *g) {
  if (!s || !leaf->hook_id) return accumulate_leaf(leaf, g);
  int k = leaf_slot(s, leaf);
  return k < 0 ? -1 : add_into(&s->sum[k], g);
}

/* One edge into leaf has delivered (or had nothing to deliver). */
static int edge_done(leaf_set *s, lc_tensor *leaf) {
  if (!s) return 0;
  int k = leaf_slot(s, leaf);
  if (k < 0) return -1;
  if (--s->pending[k] > 0) return 0;
  int rc = 0;
  if (s->sum[k]) {
    rc = apply_hooks(leaf->hook_id, &s->sum[k]);
    if (!rc) rc = accumulate_leaf(leaf, s->sum[k]);
    lc_release(s->sum[k]);
    s->sum[k] = NULL;
  }
  return !rc && hooked ? hooks.leaf_ready(hooks.ud, leaf) : rc;
}

static int deliver(lc_edge *e, lc_tensor *g, const capture *cap, leaf_set *leaves) {
  if (cap) {
    for (int j = 0; j < cap->n; j++) {
      lc_tensor *in = cap->inputs[j];
      bool hit = e->leaf ? e->leaf == in : (in->grad_fn == e->fn && in->output_nr == e->nr);
      if (hit && add_into(&cap->grads[j], g)) return -1;
    }
    if (e->leaf) return 0;
  } else if (e->leaf) {
    return to_leaf(leaves, e->leaf, g);
  }
  if (!e->fn->grad_acc) {
    e->fn->grad_acc = lc_calloc(e->fn->n_outputs, sizeof(lc_tensor *), "backward");
    if (!e->fn->grad_acc) return -1;
  }
  return add_into(&e->fn->grad_acc[e->nr], g);
}

/* Counts, for every node reachable from the roots, how many edges lead to it:
 * a node runs once all of them have delivered their gradient. With leaves,
 * also counts the edges into each leaf. */
static int collect(node_list *all, lc_tensor *const *roots, int n, leaf_set *leaves) {
  node_list stack = {0};
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    lc_node *fn = roots[i]->grad_fn;
    if (!fn) rc = expect_edge(leaves, roots[i]); /* a leaf as its own root */
    if (fn && !fn->grad_acc) { /* a grad_acc array marks a node as visited */
      fn->grad_acc = lc_calloc(fn->n_outputs, sizeof(lc_tensor *), "backward");
      if (!fn->grad_acc || push(&stack, fn) || push(all, fn)) rc = -1;
      fn->pending = 0;
    }
  }
  while (!rc && stack.len) {
    lc_node *nd = stack.items[--stack.len];
    for (int i = 0; i < nd->n_inputs && !rc; i++) {
      lc_node *next = nd->inputs[i].fn;
      if (nd->inputs[i].leaf) rc = expect_edge(leaves, nd->inputs[i].leaf);
      if (!next) continue;
      if (!next->grad_acc) {
        next->grad_acc = lc_calloc(next->n_outputs, sizeof(lc_tensor *), "backward");
        next->pending = 0;
        if (!next->grad_acc || push(&stack, next) || push(all, next)) rc = -1;
      }
      next->pending++;
    }
  }
  free(stack.items);
  return rc;
}

static int run_node(lc_node *nd, const capture *cap, bool retain_graph, leaf_set *leaves) {
  int no = nd->n_outputs, ni = nd->n_inputs, rc = 0;
  if (nd->ctx_released) {
    fail_released(nd);
    return -1;
  }
  lc_tensor **gout = lc_calloc(no + ni, sizeof *gout, "backward");
  if (!gout) return -1;
  lc_tensor **gin = gout + no;
  for (int k = 0; k < no && !rc; k++) {
    gout[k] = nd->grad_acc[k] ? lc_retain(nd->grad_acc[k])
                              : lc_zeros(nd->outputs[k].dtype, nd->outputs[k].ndim,
                                         nd->outputs[k].sizes);
    if (!gout[k]) rc = -1;
    else if (nd->grad_acc[k]) rc = apply_hooks(nd->outputs[k].hook_id, &gout[k]); /* a tensor's hooks */
  }
  nd->last_run = !retain_graph;
  if (!rc) rc = nd->backward(nd, gout, gin);
  for (int i = 0; i < ni && !rc; i++) {
    lc_edge *e = &nd->inputs[i];
    if (!e->fn && !e->leaf) continue;
    if (!gin[i]) {
      if (e->leaf) rc = edge_done(leaves, e->leaf);
      continue;
    }
    const lc_tensor *want = e->leaf;
    int ndim = want ? want->ndim : e->fn->outputs[e->nr].ndim;
    const int64_t *sizes = want ? want->sizes : e->fn->outputs[e->nr].sizes;
    if (gin[i]->ndim != ndim || memcmp(gin[i]->sizes, sizes, ndim * sizeof *sizes)) {
      char got[128], exp[128];
      lc_fail(LC_ERR_SHAPE, "backward", "%s returned a gradient of shape %s for input %d, expected %s",
                   nd->name, lc_shape_str(got, gin[i]->ndim, gin[i]->sizes), i + 1,
                   lc_shape_str(exp, ndim, sizes));
      rc = -1;
    } else {
      rc = deliver(e, gin[i], cap, leaves);
      if (!rc && e->leaf) rc = edge_done(leaves, e->leaf);
    }
  }
  for (int k = 0; k < no + ni; k++) lc_release(gout[k]);
  free(gout);
  if (!retain_graph) {
    /* as PyTorch frees saved variables: a ctx the op marked as saved state
     * (an RNN layer's workspace, the largest buffer of a training step) goes
     * too, not when the collector gets to the outputs. Other ctx (cat's
     * sizes) stays, so such nodes can run again. */
    free_saved(nd);
    nd->released = true;
    if (nd->ctx_saved && nd->free_ctx) {
      nd->free_ctx(nd);
      nd->free_ctx = NULL;
      nd->ctx = NULL;
      nd->ctx_released = true;
    }
  }
  return rc;
}

static int engine(lc_tensor *const *roots, lc_tensor *const *grads, int n, const capture *cap,
                  bool retain_graph) {
  bool was = lc_set_grad_enabled(false);
  node_list all = {0}, ready = {0};
  leaf_set tracked = {0}, *leaves = (hooked || last_hook_id) && !cap ? &tracked : NULL;
  bool begun = false;
  lc_tensor **seeds = lc_calloc(n, sizeof *seeds, "backward");
  int rc = seeds ? 0 : -1;

  for (int i = 0; i < n && !rc; i++) {
    lc_tensor *r = roots[i];
    if (!r->requires_grad) {
      lc_fail(LC_ERR_ARG, "backward", "tensor %d does not require grad and has no grad_fn", i + 1);
      rc = -1;
    } else if (grads && grads[i]) {
      if (!lc_same_shape(grads[i], r)) {
        char a[128], b[128];
        lc_fail(LC_ERR_SHAPE, "backward", "grad has shape %s, expected %s like the tensor",
                     lc_shape_str(a, grads[i]->ndim, grads[i]->sizes),
                     lc_shape_str(b, r->ndim, r->sizes));
        rc = -1;
      } else {
        seeds[i] = lc_to(grads[i], r->dtype);
        if (!seeds[i]) rc = -1;
      }
    } else if (lc_numel(r) != 1) {
      char a[128];
      lc_fail(LC_ERR_SHAPE, "backward", "grad can be implicitly created only for scalar outputs, "
                   "got shape %s", lc_shape_str(a, r->ndim, r->sizes));
      rc = -1;
    } else {
      seeds[i] = lc_full(r->dtype, r->ndim, r->sizes, 1.0);
      if (!seeds[i]) rc = -1;
    }
  }
  if (!rc) rc = collect(&all, roots, n, leaves);
  if (!rc && leaves && hooked) {
    begun = true;
    rc = hooks.begin(hooks.ud, tracked.leaves, tracked.n);
  }
  for (int i = 0; i < n && !rc; i++) {
    lc_edge e = {roots[i]->grad_fn, roots[i]->output_nr, roots[i]->grad_fn ? NULL : roots[i]};
    rc = deliver(&e, seeds[i], cap, leaves);
    if (!rc && e.leaf) rc = edge_done(leaves, e.leaf);
  }
  for (int i = 0; i < n && !rc; i++) {
    lc_node *fn = roots[i]->grad_fn;
    if (fn && fn->pending == 0) {
      fn->pending = -1; /* queued */
      rc = push(&ready, fn);
    }
  }
  while (!rc && ready.len) {
    lc_node *nd = ready.items[--ready.len];
    rc = run_node(nd, cap, retain_graph, leaves);
    for (int k = 0; k < nd->n_outputs; k++) lc_release(nd->grad_acc[k]);
    free(nd->grad_acc);
    nd->grad_acc = NULL;
    for (int i = 0; i < nd->n_inputs && !rc; i++) {
      lc_node *next = nd->inputs[i].fn;
      if (next && --next->pending == 0) {
        next->pending = -1;
        rc = push(&ready, next);
      }
    }
  }
  /* Whatever did not run (after an error) drops its partial gradients. */
  for (size_t j = 0; j < all.len; j++) {
    lc_node *nd = all.items[j];
    if (nd->grad_acc) {
      for (int k = 0; k < nd->n_outputs; k++) lc_release(nd->grad_acc[k]);
      free(nd->grad_acc);
      nd->grad_acc = NULL;
    }
    nd->pending = 0;
  }
  if (begun) {
    int end_rc = hooks.end(hooks.ud, rc);
    rc = rc ? rc : end_rc;
  }
  free_leaf_set(&tracked);
  for (int i = 0; seeds && i < n; i++) lc_release(seeds[i]);
  free(seeds);
  free(all.items);
  free(ready.items);
  lc_set_grad_enabled(was);
  return rc;
}

int lc_backward(lc_tensor *const *roots, lc_tensor *const *grads, int n, bool retain_graph) {
  return engine(roots, grads, n, NULL, retain_graph);
}

int lc_autograd_grad(lc_tensor *const *roots, lc_tensor *const *grads, int n_roots,
                     lc_tensor *const *inputs, int n_inputs, lc_tensor **grads_out,
                     bool retain_graph) {
  for (int j = 0; j < n_inputs; j++) {
    grads_out[j] = NULL;
    if (!inputs[j]->requires_grad) {
      lc_fail(LC_ERR_ARG, "grad", "input %d does not require grad", j + 1);
      return -1;
    }
  }
  capture cap = {n_inputs, inputs, grads_out};
  int rc = engine(roots, grads, n_roots, &cap, retain_graph);
  if (rc)
    for (int j = 0; j < n_inputs; j++) {
      lc_release(grads_out[j]);
      grads_out[j] = NULL;
    }
  return rc;
}
