/* lbind.h: shared glue between the Lua C API and the core. */
#ifndef LBIND_H
#define LBIND_H

#include <lauxlib.h>
#include <lua.h>

#include "lc.h"

#define LCB_TENSOR "lucid.Tensor"

/* Pushes t as a Lua tensor, taking over the reference. Raises the core's
 * error when t is NULL, so `lcb_push(L, lc_op(...))` is the usual pattern. */
void lcb_push(lua_State *L, lc_tensor *t);
/* The tensor at idx, or an error "fname: argument N must be a tensor, got X". */
lc_tensor *lcb_check(lua_State *L, int idx, const char *fname);
lc_tensor *lcb_test(lua_State *L, int idx); /* NULL if not a live tensor */
/* NULL for nil or none, else as lcb_check. */
lc_tensor *lcb_opt(lua_State *L, int idx, const char *fname);
/* Raises lc_error() unless rc == 0. */
void lcb_ok(lua_State *L, int rc);
/* Raises the core's last error ("op: body"). */
int lcb_fail(lua_State *L);
/* Raises it under fname, the public name the caller used: "fname: body"
 * (the core's op name and its error code stay out of the text). */
int lcb_fail_as(lua_State *L, const char *fname);
/* Raises it at the user's line, through lucid.args.raise (the one owner of
 * which frames are lucid's own), for private entries the modules call
 * directly with no pcall to re-raise; as lcb_fail without lucid.args. */
int lcb_fail_at_user(lua_State *L);

/* ---- argument readers (largs.c) ---------------------------------------------- */

/* Keyword arguments, the C half of lucid.args (lua/lucid/args.lua), with its
 * rule for what is an options table (docs/conventions.md): the value at idx
 * is one when it is a table without a metatable that has a string key, or
 * that is empty and stands at position `plain` or later, the first position
 * after every parameter that can take a table. LCB_PLAIN is that position
 * for lcb_args: a C function takes a table (sizes, data) first at most, or
 * checks lcb_is_options with its own plain before calling lcb_args. */
#define LCB_PLAIN 2
bool lcb_is_options(lua_State *L, int idx, int plain);
/* When the last argument is an options table, its fields are moved to their
 * positions among names[0..n), counted from `first`. Unknown names, a name
 * given both ways and too many arguments are errors. After the call the
 * stack holds exactly first + n - 1 values. */
void lcb_args(lua_State *L, int first, int n, const char *const *names, const char *fname);
/* Arguments with errors naming fname and the argument: a boolean, an integer
 * (integral floats too), a number; the opt forms give dflt for nil. */
bool lcb_optbool(lua_State *L, int idx, bool dflt, const char *fname, const char *name);
lua_Integer lcb_optint(lua_State *L, int idx, lua_Integer dflt, const char *fname, const char *name);
lua_Integer lcb_checkint(lua_State *L, int idx, const char *fname, const char *name);
double lcb_optnum(lua_State *L, int idx, double dflt, const char *fname, const char *name);
double lcb_checknum(lua_State *L, int idx, const char *fname, const char *name);
/* A 1-based Lua dim (negative from the end) to a 0-based one, with an error
 * naming fname when out of range. `extra` allows one past the end. */
int lcb_dim(lua_State *L, int idx, int ndim, bool extra, const char *fname);
int lcb_optdim(lua_State *L, int idx, const lc_tensor *t, int dflt, const char *fname);
/* One dim or a table of dims at idx, 0-based into dims; returns the count. */
int lcb_dims(lua_State *L, int idx, int ndim, int *dims, const char *fname);

/* Sizes given as varargs from idx (3, 4) or as one table ({3, 4} or x.shape).
 * Returns ndim. */
int lcb_sizes(lua_State *L, int idx, int64_t *sizes, const char *fname);
/* The length of the list at idx (its __len may say anything), checked to be
 * in [0, max]; the error names fname and what the list is. */
/* The Lua number at idx as a 0-dim tensor to combine with a tensor of dtype
 * `like`, typed as PyTorch types a Python scalar: a Lua integer stays exact
 * (never through a double) with an int64 tensor, a Lua float with an int64
 * tensor is float32, and otherwise the scalar takes `like`. */
lc_tensor *lcb_scalar(lua_State *L, int idx, lc_dtype like);
/* t:fill_(number at idx), exact for Lua integers into int64: 0 or -1. */
int lcb_fill(lua_State *L, lc_tensor *t, int idx);
int lcb_len(lua_State *L, int idx, lua_Integer max, const char *fname, const char *what);
/* dtype from a dtype object or its name; dflt when nil. */
lc_dtype lcb_dtype(lua_State *L, int idx, lc_dtype dflt, const char *fname);
void lcb_push_dtype(lua_State *L, lc_dtype dt);


/* The steps argument of the recurrent layer kernels (lrnn.c): a table of
 * batch sizes (returned, in a scratch userdata pushed on the stack) or a
 * number of padded steps (returns NULL). */
const int64_t *lcb_batch_sizes(lua_State *L, int idx, int64_t *steps, const char *fname);
/* x[key] (pushes the result, returns 1) and x[key] = value (lindex.c). */
int lcb_index_get(lua_State *L, lc_tensor *t, int key);
void lcb_index_set(lua_State *L, lc_tensor *t, int key, int val);

/* Registration of each file's functions. */
void lcb_open_tensor(lua_State *L, int module, int methods);
void lcb_open_view(lua_State *L, int module, int methods);
void lcb_open_ops(lua_State *L, int module, int methods);
void lcb_open_join(lua_State *L, int module, int methods);
void lcb_open_autograd(lua_State *L, int module, int methods);
void lcb_open_serialize(lua_State *L, int module, int methods);
void lcb_open_optim(lua_State *L, int module, int methods);
void lcb_open_rnn(lua_State *L, int module, int methods);
void lcb_open_loss(lua_State *L, int module, int methods);
void lcb_open_sampling(lua_State *L, int module, int methods);
void lcb_open_minrnn(lua_State *L, int module, int methods);
void lcb_open_sort(lua_State *L, int module, int methods);
void lcb_open_scan(lua_State *L, int module, int methods);
void lcb_open_count(lua_State *L, int module, int methods);
void lcb_open_scatter(lua_State *L, int module, int methods);
void lcb_open_shape(lua_State *L, int module, int methods);
void lcb_open_create(lua_State *L, int module, int methods);
void lcb_open_random(lua_State *L, int module, int methods);
void lcb_open_products(lua_State *L, int module, int methods);
void lcb_open_einsum(lua_State *L, int module, int methods);
void lcb_open_lapack(lua_State *L, int module, int methods);
void lcb_open_svd(lua_State *L, int module, int methods);
/* Pushes lucid.core.linalg, creating it on first use (llapack.c). */
void lcb_push_linalg(lua_State *L, int module);

/* Pushes an array table of parts[0..n) (taking the references) and frees
 * parts; raises the core's error when parts is NULL (ljoin.c). */
int lcb_push_list(lua_State *L, lc_tensor **parts, int n);
/* lucid._C, the one table of private entry points (the kernels that
 * lua/ wraps, the tables the specs iterate): pushes it (creating it on first
 * use), or registers fns in it (lcore.c). Nothing in it is API. */
void lcb_push_private(lua_State *L, int module);
void lcb_register_private(lua_State *L, int module, const luaL_Reg *fns);
/* Registers fns both as tensor methods and as module functions (lcore.c). */
void lcb_register(lua_State *L, int module, int methods, const luaL_Reg *fns);
void lcb_open_codec(lua_State *L, int module, int methods);
void lcb_open_mask(lua_State *L, int module, int methods);
void lcb_open_logical(lua_State *L, int module, int methods);
/* The tensor at idx, or a number (or boolean) there as a 0-dim tensor of the
 * dtype it takes beside `other` (PyTorch's scalar rules; NULL other: int64,
 * float32 or bool by the value's own type), pushed (lmask.c). */
lc_tensor *lcb_operand(lua_State *L, int idx, const lc_tensor *other, const char *fname, const char *arg);
void lcb_open_norm(lua_State *L, int module, int methods);
void lcb_open_conv(lua_State *L, int module, int methods);
void lcb_open_pooling(lua_State *L, int module, int methods);
void lcb_open_ctc(lua_State *L, int module, int methods);
void lcb_open_embedding(lua_State *L, int module, int methods);
void lcb_open_index(lua_State *L, int module, int methods);

/* A function, or a value with a __call metamethod (lautograd.c). */
bool lcb_is_callable(lua_State *L, int idx);
/* Gradient hooks (lautograd.c): forgets the hooks of freed tensors and
 * nodes; and, as the tensor value at idx is collected or closed, hands its
 * hooks to whatever still holds them. */
void lcb_flush_hooks(lua_State *L);
void lcb_hooks_orphaned(lua_State *L, int idx, lc_tensor *t);

/* The state the running binding call was made on: custom Lua backward
 * functions run on it. */
lua_State *lcb_current_state(lua_State *set);

/* What a separately built C module (lucid._distributed) borrows from this
 * one, found as a light userdata at registry[LCB_CAPI]: a second copy of
 * these would not know this module's tensors. */
#define LCB_CAPI "lucid.capi"
typedef struct {
  lc_tensor *(*check)(lua_State *L, int idx, const char *fname);
  lc_tensor *(*test)(lua_State *L, int idx);
  void (*push)(lua_State *L, lc_tensor *t);
} lcb_capi;

/* Tells Lua's collector about tensor memory it cannot see. */
void lcb_account(lua_State *L);

#endif
