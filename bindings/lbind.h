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

/* A 1-based Lua dim (negative from the end) to a 0-based one, with an error
 * naming fname when out of range. `extra` allows one past the end. */
int lcb_dim(lua_State *L, int idx, int ndim, bool extra, const char *fname);
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

/* Keyword arguments: when the last argument is an options table (a table
 * with string keys), its fields are moved to their positions among
 * names[0..n), counted from `first`. Unknown names are errors. After the call
 * the stack holds exactly first + n - 1 values. */
void lcb_args(lua_State *L, int first, int n, const char *const *names, const char *fname);
bool lcb_is_options(lua_State *L, int idx);
bool lcb_optbool(lua_State *L, int idx, bool dflt, const char *fname, const char *name);

/* The steps argument of the recurrent layer kernels (lnn.c): a table of
 * batch sizes (returned, in a scratch userdata pushed on the stack) or a
 * number of padded steps (returns NULL). */
const int64_t *lcb_batch_sizes(lua_State *L, int idx, int64_t *steps, const char *fname);
/* x[key] (pushes the result, returns 1) and x[key] = value (lindex.c). */
int lcb_index_get(lua_State *L, lc_tensor *t, int key);
void lcb_index_set(lua_State *L, lc_tensor *t, int key, int val);

/* Registration of each file's functions. */
void lcb_open_tensor(lua_State *L, int module, int methods);
void lcb_open_ops(lua_State *L, int module, int methods);
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
void lcb_open_linalg(lua_State *L, int module, int methods);

/* Pushes an array table of parts[0..n) (taking the references) and frees
 * parts; raises the core's error when parts is NULL (lops.c). */
int lcb_push_list(lua_State *L, lc_tensor **parts, int n);
/* Registers fns both as tensor methods and as module functions (lsort.c). */
void lcb_register(lua_State *L, int module, int methods, const luaL_Reg *fns);
/* Optional arguments, with errors naming fname and the argument (lsort.c):
 * an integer (integral floats too), a number, a dim (1-based) or dflt. */
lua_Integer lcb_optint(lua_State *L, int idx, lua_Integer dflt, const char *fname, const char *name);
lua_Integer lcb_checkint(lua_State *L, int idx, const char *fname, const char *name);
double lcb_optnum(lua_State *L, int idx, double dflt, const char *fname, const char *name);
int lcb_optdim(lua_State *L, int idx, const lc_tensor *t, int dflt, const char *fname);
/* One dim or a table of dims at idx, 0-based into dims; returns the count
 * (lshape.c). */
int lcb_dims(lua_State *L, int idx, int ndim, int *dims, const char *fname);
void lcb_open_codec(lua_State *L, int module, int methods);
void lcb_open_mask(lua_State *L, int module, int methods);
void lcb_open_norm(lua_State *L, int module, int methods);
void lcb_open_conv(lua_State *L, int module, int methods);
void lcb_open_pooling(lua_State *L, int module, int methods);
void lcb_open_ctc(lua_State *L, int module, int methods);
void lcb_open_embedding(lua_State *L, int module, int methods);
void lcb_open_index(lua_State *L, int module, int methods);

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
