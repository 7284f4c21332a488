/* lautograd.c: backward, autograd.grad, grad mode, and Lua-defined
 * autograd functions (a Lua backward closure behind a core node). */
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

/* The state of the binding call that started a backward pass: a Lua
 * backward function runs on it (it may be a coroutine). */
static _Thread_local lua_State *current;

lua_State *lcb_current_state(lua_State *set) {
  lua_State *was = current;
  if (set) current = set;
  return was;
}

/* Runs a core backward pass with `current` pointing at L. */
static int with_state(lua_State *L, int rc_of(void *), void *arg) {
  lua_State *was = current;
  current = L;
  int rc = rc_of(arg);
  current = was;
  return rc;
}

/* Reads a tensor or a list of tensors at idx into a new array (GC-owned). */
static lc_tensor **tensor_list(lua_State *L, int idx, int *n, bool allow_nil, const char *fname,
                               const char *what) {
  if (lcb_test(L, idx)) {
    lc_tensor **a = lua_newuserdatauv(L, sizeof *a, 0);
    a[0] = lcb_test(L, idx);
    *n = 1;
    return a;
  }
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: %s must be a tensor or a list of tensors, got %s", fname, what, luaL_typename(L, idx));
  *n = lcb_len(L, idx, INT_MAX / (int)sizeof(lc_tensor *), fname, what);
  lc_tensor **a = lua_newuserdatauv(L, (*n ? *n : 1) * sizeof *a, 0);
  for (int i = 0; i < *n; i++) {
    lua_geti(L, idx, i + 1);
    a[i] = lcb_test(L, -1);
    if (!a[i] && !(allow_nil && lua_isnil(L, -1)))
      luaL_error(L, "%s: element %d of %s must be a tensor, got %s", fname, i + 1, what, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  return a;
}

/* ---- backward ------------------------------------------------------------ */

typedef struct {
  lc_tensor *const *roots, *const *grads, *const *inputs;
  lc_tensor **out;
  int n_roots, n_inputs;
  bool retain;
} pass;

static int run_backward(void *p) {
  pass *a = p;
  return lc_backward(a->roots, a->grads, a->n_roots, a->retain);
}

static int run_grad(void *p) {
  pass *a = p;
  return lc_autograd_grad(a->roots, a->grads, a->n_roots, a->inputs, a->n_inputs, a->out, a->retain);
}

static const char *const backward_opts[] = {"self", "gradient", "retain_graph"};

/* y:backward([gradient] [, {retain_graph = true}]) */
static int t_backward(lua_State *L) {
  lcb_args(L, 1, 3, backward_opts, "backward");
  lc_tensor *t = lcb_check(L, 1, "backward");
  lc_tensor *g = lcb_opt(L, 2, "backward");
  pass a = {.roots = &t, .grads = &g, .n_roots = 1,
            .retain = lcb_optbool(L, 3, false, "backward", "retain_graph")};
  lcb_ok(L, with_state(L, run_backward, &a));
  return 0;
}

static const char *const grad_opts[] = {"outputs", "inputs", "grad_outputs", "retain_graph", "allow_unused"};

/* lucid.autograd.grad(outputs, inputs [, grad_outputs] [, opts]): a list of
 * gradients (a single tensor when inputs is one tensor). */
static int l_grad(lua_State *L) {
  lcb_args(L, 1, 5, grad_opts, "grad");
  pass a = {.retain = lcb_optbool(L, 4, false, "grad", "retain_graph")};
  bool allow_unused = lcb_optbool(L, 5, false, "grad", "allow_unused");
  bool single = lcb_test(L, 2) != NULL;
  a.roots = tensor_list(L, 1, &a.n_roots, false, "grad", "outputs");
  a.inputs = tensor_list(L, 2, &a.n_inputs, false, "grad", "inputs");
  if (!lua_isnil(L, 3)) {
    int ng;
    a.grads = tensor_list(L, 3, &ng, true, "grad", "grad_outputs");
    if (ng != a.n_roots) luaL_error(L, "grad: got %d grad_outputs for %d outputs", ng, a.n_roots);
  }
  a.out = lua_newuserdatauv(L, (a.n_inputs ? a.n_inputs : 1) * sizeof *a.out, 0);
  lcb_ok(L, with_state(L, run_grad, &a));
  for (int j = 0; j < a.n_inputs; j++) {
    if (a.out[j] || allow_unused) continue;
    for (int k = 0; k < a.n_inputs; k++) lc_release(a.out[k]);
    luaL_error(L, "grad: input %d was not used in the graph (pass allow_unused = true)", j + 1);
  }
  if (!single) lua_createtable(L, a.n_inputs, 0);
  for (int j = 0; j < a.n_inputs; j++) {
    a.out[j] ? lcb_push(L, a.out[j]) : lua_pushnil(L);
    if (!single) lua_rawseti(L, -2, j + 1);
  }
  return 1;
}

/* ---- grad mode ----------------------------------------------------------- */

bool lcb_is_callable(lua_State *L, int idx) {
  if (lua_isfunction(L, idx)) return true;
  if (luaL_getmetafield(L, idx, "__call") == LUA_TNIL) return false;
  lua_pop(L, 1);
  return true;
}

/* mode(fn, ...) runs fn with grad mode set and returns its results. There is
 * no form without a function: a guard object that nobody closes would leave
 * the whole process in the changed mode. */
static int with_grad_mode(lua_State *L, bool on) {
  /* a function, or anything callable (a module: no_grad(model, x)) */
  if (!lcb_is_callable(L, 1))
    return luaL_error(L, "%s: argument 1 must be a function or a callable value (%s(fn, ...)), "
                      "got %s", on ? "enable_grad" : "no_grad", on ? "enable_grad" : "no_grad",
                      luaL_typename(L, 1));
  bool was = lc_set_grad_enabled(on);
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  lc_set_grad_enabled(was);
  if (rc) return lua_error(L);
  return lua_gettop(L);
}

static int l_no_grad(lua_State *L) { return with_grad_mode(L, false); }
static int l_enable_grad(lua_State *L) { return with_grad_mode(L, true); }

static int l_is_grad_enabled(lua_State *L) {
  lua_pushboolean(L, lc_grad_enabled());
  return 1;
}

/* ---- Lua-defined functions ----------------------------------------------- */

typedef struct {
  lua_State *main;
  int ref; /* the backward closure in the registry */
} lua_fn;

static void free_lua_fn(lc_node *n) {
  lua_fn *f = n->ctx;
  luaL_unref(f->main, LUA_REGISTRYINDEX, f->ref);
  free(f);
}

static int lua_backward(lc_node *n, lc_tensor *const *g, lc_tensor **gin) {
  lua_fn *f = n->ctx;
  lua_State *L = current ? current : f->main;
  int top = lua_gettop(L);
  if (!lua_checkstack(L, n->n_outputs + n->n_inputs + 4)) {
    lc_set_error("%s: Lua stack overflow", n->name);
    return -1;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
  for (int k = 0; k < n->n_outputs; k++) lcb_push(L, lc_retain(g[k]));
  if (lua_pcall(L, n->n_outputs, n->n_inputs, 0)) {
    lc_set_error("%s", lua_tostring(L, -1));
    lua_settop(L, top);
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < n->n_inputs && !rc; i++) {
    int idx = top + 1 + i;
    lc_tensor *t = lcb_test(L, idx);
    if (t && lc_node_needs_grad(n, i)) gin[i] = lc_retain(t);
    else if (!t && !lua_isnil(L, idx)) {
      lc_set_error("%s: backward must return tensors or nil, got %s for input %d", n->name,
                   luaL_typename(L, idx), i + 1);
      rc = -1;
    }
  }
  lua_settop(L, top);
  return rc;
}

/* _function_node(name, backward, inputs, n_inputs, outputs): makes outputs
 * (fresh tensors) the results of one node whose backward is a Lua closure. */
static int l_function_node(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 3, LUA_TTABLE);
  int n_in = (int)luaL_checkinteger(L, 4), n_out;
  lc_tensor **outs = tensor_list(L, 5, &n_out, false, name, "forward's results");
  const lc_tensor **ins = lua_newuserdatauv(L, (n_in ? n_in : 1) * sizeof *ins, 0);
  for (int i = 0; i < n_in; i++) {
    lua_geti(L, 3, i + 1);
    ins[i] = lcb_test(L, -1);
    lua_pop(L, 1);
  }
  if (!lc_should_record(n_in, ins)) return 0;
  lua_fn *f = malloc(sizeof *f);
  lc_node *node = f ? lc_node_new(name, lua_backward, n_in, ins, n_out) : NULL;
  if (!node) {
    free(f);
    return luaL_error(L, "%s: out of memory", name);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  f->main = lua_tothread(L, -1);
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  node->ctx = f;
  node->free_ctx = free_lua_fn;
  lc_node_attach(node, outs, n_out);
  lc_node_release(node);
  return 0;
}

/* ---- backward hooks ------------------------------------------------------
 * Lua hooks behind the core's lc_backward_hooks. The registry table HOOKS
 * holds `engine`, a list of {on_start =, on_leaf =, on_finish =} tables, and
 * `tensor`, a map from a leaf's lc_tensor (light userdata) to {tensor = the
 * Lua tensor, fn1, fn2, ...}. A tensor with hooks stays alive until they are
 * removed; the leaves a hook sees are those same Lua values, so hooks can
 * recognise their tensors. The core calls back only while a hook exists. */
static const char *const HOOKS = "lucid.backward_hooks";
static lua_State *hooks_main; /* for a backward started outside a binding call */

static lua_State *hook_state(void) { return current ? current : hooks_main; }

static void push_hooks(lua_State *L, const char *part) {
  lua_getfield(L, LUA_REGISTRYINDEX, HOOKS);
  lua_getfield(L, -1, part);
  lua_remove(L, -2);
}

/* The Lua value of a leaf: the one its hooks were registered on, if any. */
static void push_leaf(lua_State *L, lc_tensor *leaf) {
  push_hooks(L, "tensor");
  lua_rawgetp(L, -1, leaf);
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "tensor");
    lua_replace(L, -3);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 2);
    lcb_push(L, lc_retain(leaf));
  }
}

/* Calls fn (at the top, with nargs arguments above it); a Lua error becomes
 * the core's error for the backward to report. */
static int call_hook(lua_State *L, int nargs) {
  if (lua_pcall(L, nargs, 0, 0) == LUA_OK) return 0;
  lc_set_error("%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "backward hook: error object is not a string");
  lua_pop(L, 1);
  return -1;
}

/* Calls field `name` of every engine hook with the value at `arg` (0: none). */
static int call_engine_hooks(lua_State *L, const char *name, int arg) {
  int top = lua_gettop(L), rc = 0;
  push_hooks(L, "engine");
  int list = lua_gettop(L);
  for (lua_Integer i = 1, n = luaL_len(L, list); i <= n && !rc; i++) {
    lua_geti(L, list, i);
    if (lua_getfield(L, -1, name) == LUA_TFUNCTION) {
      if (arg) lua_pushvalue(L, arg);
      rc = call_hook(L, arg ? 1 : 0);
    }
    lua_settop(L, list);
  }
  lua_settop(L, top);
  return rc;
}

static int hook_begin(void *ud, lc_tensor *const *leaves, int n) {
  lua_State *L = hook_state();
  if (!lua_checkstack(L, 8)) return lc_set_error("backward hook: Lua stack overflow"), -1;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    push_leaf(L, leaves[i]);
    lua_rawseti(L, -2, i + 1);
  }
  int rc = call_engine_hooks(L, "on_start", lua_gettop(L));
  lua_pop(L, 1);
  return rc;
}

static int hook_leaf(void *ud, lc_tensor *leaf) {
  lua_State *L = hook_state();
  if (!lua_checkstack(L, 8)) return lc_set_error("backward hook: Lua stack overflow"), -1;
  int top = lua_gettop(L), rc = 0;
  push_leaf(L, leaf);
  int t = lua_gettop(L);
  push_hooks(L, "tensor");
  if (lua_rawgetp(L, -1, leaf) == LUA_TTABLE) /* post-accumulate hooks first, as PyTorch */
    for (lua_Integer i = 1, n = luaL_len(L, -1); i <= n && !rc; i++) {
      lua_geti(L, -1, i);
      lua_pushvalue(L, t);
      rc = call_hook(L, 1);
    }
  if (!rc) rc = call_engine_hooks(L, "on_leaf", t);
  lua_settop(L, top);
  return rc;
}

static int hook_end(void *ud, int status) {
  lua_State *L = hook_state();
  lua_pushboolean(L, status == 0);
  int rc = call_engine_hooks(L, "on_finish", lua_gettop(L));
  lua_pop(L, 1);
  return rc;
}

/* Installs the core hooks while any Lua hook exists. */
static void sync_core_hooks(lua_State *L) {
  push_hooks(L, "engine");
  bool any = luaL_len(L, -1) > 0;
  push_hooks(L, "tensor");
  lua_pushnil(L);
  if (lua_next(L, -2)) {
    any = true;
    lua_pop(L, 2);
  }
  lua_pop(L, 2);
  static const lc_backward_hooks h = {hook_begin, hook_leaf, hook_end, NULL};
  lc_set_backward_hooks(any ? &h : NULL);
}

/* handle:remove(): upvalue 1 the list (or tensor entry), 2 the hook. */
static int remove_hook(lua_State *L) {
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  for (lua_Integer i = 1, n = luaL_len(L, 1); i <= n; i++) {
    lua_geti(L, 1, i);
    if (lua_rawequal(L, -1, lua_upvalueindex(2))) {
      lua_pop(L, 1);
      for (; i < n; i++) {
        lua_geti(L, 1, i + 1);
        lua_seti(L, 1, i);
      }
      lua_pushnil(L);
      lua_seti(L, 1, n);
      break;
    }
    lua_pop(L, 1);
  }
  if (luaL_len(L, 1) == 0 && lua_getfield(L, 1, "key") == LUA_TLIGHTUSERDATA) {
    push_hooks(L, "tensor"); /* the tensor's last hook: drop its entry */
    lua_pushvalue(L, -2);
    lua_pushnil(L);
    lua_rawset(L, -3);
  }
  sync_core_hooks(L);
  return 0;
}

/* Appends the function at fn to the list at idx; returns a handle {remove}. */
static int add_hook(lua_State *L, int list, int fn) {
  lua_pushvalue(L, fn);
  lua_seti(L, list, luaL_len(L, list) + 1);
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, list);
  lua_pushvalue(L, fn);
  lua_pushcclosure(L, remove_hook, 2);
  lua_setfield(L, -2, "remove");
  sync_core_hooks(L);
  return 1;
}

/* t:register_post_accumulate_grad_hook(fn): fn(t) after a backward has
 * accumulated t's gradient for the last time in that pass (leaves only). */
static int t_register_post_accumulate_grad_hook(lua_State *L) {
  const char *fname = "register_post_accumulate_grad_hook";
  lc_tensor *t = lcb_check(L, 1, fname);
  if (!lcb_is_callable(L, 2))
    luaL_error(L, "%s: argument 2 (hook) must be a function, got %s", fname, luaL_typename(L, 2));
  if (!t->requires_grad || t->grad_fn)
    luaL_error(L, "%s: only a leaf tensor that requires grad has an accumulated gradient", fname);
  push_hooks(L, "tensor");
  if (lua_rawgetp(L, -1, t) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 1, 2);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "tensor");
    lua_pushlightuserdata(L, t);
    lua_setfield(L, -2, "key");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, t);
  }
  return add_hook(L, lua_gettop(L), 2);
}

/* ---- gradient hooks ------------------------------------------------------
 * t:register_hook(fn). The core keys a tensor's hooks by an id (lc_hook_id);
 * HOOKS.grad maps the id to the list of functions, weakly: the list is held
 * by the uservalue of the tensor value the hooks were registered on, so that
 * a hook that refers to its own tensor makes a cycle the collector can see.
 * When that value is collected while the core still holds the id (a non-leaf
 * whose graph lives on, another value of the same tensor), lcb_hooks_orphaned
 * moves the list to HOOKS.keep, which the core's drop empties once the
 * tensor (leaf) or node (non-leaf) that holds the id is freed. drop runs
 * inside lc_release, maybe inside a finalizer, so it only queues the id. */
static uint64_t *dropped;
static size_t n_dropped, cap_dropped;

static void drop_grad_hooks(void *ud, uint64_t id) {
  (void)ud;
  if (n_dropped == cap_dropped) {
    size_t cap = cap_dropped ? 2 * cap_dropped : 64;
    uint64_t *grown = realloc(dropped, cap * sizeof *grown);
    if (!grown) return; /* the list stays in HOOKS.keep: a leak, not a fault */
    dropped = grown;
    cap_dropped = cap;
  }
  dropped[n_dropped++] = id;
}

void lcb_flush_hooks(lua_State *L) {
  if (!n_dropped) return;
  push_hooks(L, "keep");
  while (n_dropped) {
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)dropped[--n_dropped]);
  }
  lua_pop(L, 1);
}

/* Pushes the hook list of id, or nil. */
static int push_grad_hooks(lua_State *L, uint64_t id) {
  push_hooks(L, "grad");
  int type = lua_rawgeti(L, -1, (lua_Integer)id);
  lua_remove(L, -2);
  return type;
}


/* Runs the hooks of id in order, each on the previous one's result. */
static int apply_grad_hooks(void *ud, uint64_t id, lc_tensor **g) {
  (void)ud;
  lua_State *L = hook_state();
  if (!lua_checkstack(L, 8)) return lc_set_error("backward hook: Lua stack overflow"), -1;
  int top = lua_gettop(L), rc = 0;
  if (push_grad_hooks(L, id) != LUA_TTABLE) return lua_settop(L, top), 0;
  for (lua_Integer i = 1; !rc && lua_geti(L, top + 1, i) != LUA_TNIL; i++) {
    lcb_push(L, lc_retain(*g));
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      lc_set_error("%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "register_hook: a hook raised a non-string error");
      rc = -1;
    } else if (!lua_isnil(L, -1)) {
      lc_tensor *r = lcb_test(L, -1);
      char a[128], b[128];
      if (!r) {
        lc_set_error("register_hook: a hook must return a tensor or nil, got %s", luaL_typename(L, -1));
        rc = -1;
      } else if (!lc_same_shape(r, *g) || r->dtype != (*g)->dtype) {
        lc_set_error("register_hook: a hook returned a gradient of shape %s and dtype %s, expected "
                     "shape %s and dtype %s like the gradient it was given",
                     lc_shape_str(a, r->ndim, r->sizes), lc_dtype_name(r->dtype),
                     lc_shape_str(b, (*g)->ndim, (*g)->sizes), lc_dtype_name((*g)->dtype));
        rc = -1;
      } else {
        lc_release(*g);
        *g = lc_retain(r);
      }
    }
    lua_settop(L, top + 1);
  }
  lua_settop(L, top);
  return rc;
}

/* The tensor value at idx is being collected or closed (ltensor.c): if it
 * holds hooks that its tensor's id outlives, HOOKS.keep takes them over. */
void lcb_hooks_orphaned(lua_State *L, int idx, lc_tensor *t) {
  if (lua_getiuservalue(L, idx, 1) != LUA_TTABLE) {
    lua_pop(L, 1);
    return;
  }
  lua_getfield(L, -1, "id");
  lua_Integer id = lua_tointeger(L, -1);
  lua_pop(L, 1);
  /* an id that is no longer t's is an old node's (t was written in place) */
  bool outlived = (uint64_t)id != t->hook_id || t->refcount > 1 ||
                  (t->grad_fn && t->grad_fn->refcount > 1);
  for (int i = 0; outlived && i < 2; i++) { /* the collector took it out of grad already */
    push_hooks(L, i ? "grad" : "keep");
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, id);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* t:register_hook(fn): fn(grad) runs when the gradient with respect to t is
 * computed; a tensor it returns replaces that gradient. */
/* Pushes the hook list of the tensor value at idx (1), made if new. */
static void push_tensor_hooks(lua_State *L, lc_tensor *t) {
  lcb_flush_hooks(L);
  uint64_t id = lc_hook_id(t);
  if (push_grad_hooks(L, id) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushinteger(L, (lua_Integer)id);
    lua_setfield(L, -2, "id");
    push_hooks(L, "grad");
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, (lua_Integer)id);
    lua_pop(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, 1, 1); /* this value keeps the list alive */
}

static int t_register_hook(lua_State *L) {
  const char *fname = "register_hook";
  lc_tensor *t = lcb_check(L, 1, fname);
  if (!lcb_is_callable(L, 2))
    luaL_error(L, "%s: argument 2 (hook) must be a function, got %s", fname, luaL_typename(L, 2));
  if (!t->requires_grad)
    luaL_error(L, "%s: cannot register a hook on a tensor that does not require grad", fname);
  lua_settop(L, 2);
  push_tensor_hooks(L, t);
  return add_hook(L, 3, 2);
}

/* The hook retain_grad registers: upvalue 1 holds the tensor value weakly
 * (a value that is gone has no .grad to fill). */
static int retain_hook(lua_State *L) {
  lua_rawgeti(L, lua_upvalueindex(1), 1);
  lc_tensor *t = lcb_test(L, -1), *g = lcb_check(L, 1, "retain_grad");
  if (t && !t->grad) {
    if (!(t->grad = lc_clone(g))) lcb_fail(L);
  } else if (t) {
    lcb_ok(L, lc_binary_(LC_ADD, t->grad, g));
  }
  return 0;
}

/* t:retain_grad(): a non-leaf keeps its gradient in .grad, accumulating
 * over backwards as a leaf's does. It is a hook, run in registration order
 * among t's others (PyTorch 1.13's order; PyTorch 2 runs it last). A leaf
 * keeps its .grad anyway; a second call changes nothing. */
static int t_retain_grad(lua_State *L) {
  const char *fname = "retain_grad";
  lc_tensor *t = lcb_check(L, 1, fname);
  if (!t->requires_grad)
    luaL_error(L, "%s: cannot retain the gradient of a tensor that does not require grad", fname);
  lua_settop(L, 1);
  if (!t->grad_fn) return 0;
  push_tensor_hooks(L, t);
  if (lua_getfield(L, 2, "retains") == LUA_TBOOLEAN) return 0;
  lua_pushboolean(L, 1);
  lua_setfield(L, 2, "retains");
  lua_createtable(L, 1, 0);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_pushcclosure(L, retain_hook, 1);
  lua_seti(L, 2, luaL_len(L, 2) + 1);
  return 0;
}


static const char *const engine_hook_opts[] = {"on_start", "on_leaf", "on_finish"};

/* lucid.autograd.register_backward_hooks{on_start = fn(leaves), on_leaf =
 * fn(leaf), on_finish = fn(ok)}: hooks around every backward pass. */
static int l_register_backward_hooks(lua_State *L) {
  const char *fname = "register_backward_hooks";
  if (!lua_istable(L, 1))
    luaL_error(L, "%s: argument 1 must be a table of hook functions {on_start =, on_leaf =, on_finish =}, got %s",
               fname, luaL_typename(L, 1));
  lua_settop(L, 1);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    bool known = false;
    for (int i = 0; k && i < 3; i++) known = known || !strcmp(k, engine_hook_opts[i]);
    if (!known) luaL_error(L, "%s: unknown option '%s' (expected on_start, on_leaf, on_finish)", fname, k ? k : luaL_typename(L, -2));
    if (!lua_isfunction(L, -1)) luaL_error(L, "%s: %s must be a function, got %s", fname, k, luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  push_hooks(L, "engine");
  return add_hook(L, 2, 1);
}

static void open_hooks(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  hooks_main = lua_tothread(L, -1);
  lua_pop(L, 1);
  lua_createtable(L, 0, 4);
  lua_newtable(L);
  lua_setfield(L, -2, "engine");
  lua_newtable(L);
  lua_setfield(L, -2, "tensor");
  lua_newtable(L);
  lua_setfield(L, -2, "keep");
  lua_newtable(L); /* grad: id -> hook list, weak values */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "grad");
  lua_setfield(L, LUA_REGISTRYINDEX, HOOKS);
  static const lc_grad_hooks g = {apply_grad_hooks, drop_grad_hooks, NULL};
  lc_set_grad_hooks(&g);
}

void lcb_open_autograd(lua_State *L, int module, int methods) {
  open_hooks(L);
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, (luaL_Reg[]){{"backward", t_backward},
                                {"register_post_accumulate_grad_hook", t_register_post_accumulate_grad_hook},
                                {"register_hook", t_register_hook},
                                {"retain_grad", t_retain_grad},
                                {NULL, NULL}}, 0);
  lua_pop(L, 1);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){{"no_grad", l_no_grad}, {"enable_grad", l_enable_grad},
                                {"is_grad_enabled", l_is_grad_enabled}, {NULL, NULL}}, 0);
  lua_newtable(L);
  luaL_setfuncs(L, (luaL_Reg[]){{"grad", l_grad}, {"backward", t_backward},
                                {"register_backward_hooks", l_register_backward_hooks}, {NULL, NULL}}, 0);
  lua_setfield(L, -2, "autograd");
  lua_pop(L, 1);
  lcb_register_private(L, module, (luaL_Reg[]){{"function_node", l_function_node}, {NULL, NULL}});
}
