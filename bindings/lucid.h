/*
 * lucid.h: embedding lucid in a C program.
 *
 * A host opens a lucid state (Lua 5.4 with lucid and nn loaded), runs Lua
 * code, hands its own memory to Lua as tensors without copying, and calls Lua
 * functions on them. Build with
 *
 *     cc host.c $(pkg-config --cflags --libs lucid)
 *
 * Conventions:
 *  - Functions returning int return LUCID_OK (0) or an error code; functions
 *    returning a pointer return NULL on failure. Either way the message is in
 *    lucid_last_error(). Nothing longjmps or aborts through the host's frames:
 *    every Lua call runs under lua_pcall.
 *  - A lucid_tensor is the host's reference to a tensor. It stays valid until
 *    lucid_tensor_release, also after lucid_close; Lua holds its own
 *    references to the tensors it is given.
 *  - A state is used by one thread at a time.
 *
 * docs/embedding.md describes every function with an example.
 */
#ifndef LUCID_H
#define LUCID_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LUCID_MAX_DIMS 8

typedef struct lucid_state lucid_state;
typedef struct lucid_tensor lucid_tensor;
struct lua_State;

/* LUCID_BOOL elements are one byte each, 0 or 1 (a C bool). */
typedef enum { LUCID_FLOAT32, LUCID_FLOAT64, LUCID_INT64, LUCID_BOOL } lucid_dtype;

typedef enum {
  LUCID_OK = 0,
  LUCID_ERR_ARG,  /* a bad argument from the host: NULL, bad dtype, ndim, size, stride */
  LUCID_ERR_LUA,  /* Lua code raised an error (or did not compile) */
  LUCID_ERR_MEM,  /* out of memory */
  LUCID_ERR_TYPE, /* a value had the wrong type: no such function, a non-tensor result */
  LUCID_ERR_FILE  /* lucid_dofile could not read the file */
} lucid_status;

/* ---- states -------------------------------------------------------------- */

/* A new state with Lua's standard libraries, and `lucid` and `nn` as globals.
 * Modules are found next to the library (build tree or install prefix), then
 * on LUA_PATH. NULL on failure, with the reason in lucid_last_error(NULL). */
lucid_state *lucid_open(void);
/* Closes the state (NULL is fine). Tensors Lua held are released. */
void lucid_close(lucid_state *S);
/* Message of the last failed call on S, "" after a successful one. With
 * S == NULL: why the last lucid_open (or a call given a NULL state) failed. */
const char *lucid_last_error(const lucid_state *S);
/* The underlying lua_State, for hosts that use the Lua C API directly. */
struct lua_State *lucid_lua(lucid_state *S);

/* ---- running Lua ---------------------------------------------------------- */

/* Runs a chunk of Lua code. LUCID_ERR_LUA on a syntax or runtime error. */
int lucid_dostring(lucid_state *S, const char *code);
/* Runs a Lua file. LUCID_ERR_FILE when it cannot be read. */
int lucid_dofile(lucid_state *S, const char *path);

/* Calls the function `name` with nargs tensors and stores nresults tensors in
 * results (new references: release them). `name` is a global or a dotted
 * path ("lucid.tanh"), optionally ending in ":method" ("model:forward") to
 * pass the object as self; tables with a __call metamethod (nn modules) are
 * callable too. On failure every results[i] is NULL. Errors: LUCID_ERR_ARG
 * (NULL name, args or results, a NULL tensor), LUCID_ERR_TYPE (name is not
 * callable, a result is not a tensor), LUCID_ERR_LUA (the function raised). */
int lucid_call(lucid_state *S, const char *name, int nargs, lucid_tensor *const *args,
               int nresults, lucid_tensor **results);

/* ---- tensors -------------------------------------------------------------- */

/* A tensor over the host's memory, without copying. sizes has ndim entries
 * (0 <= ndim <= LUCID_MAX_DIMS); strides (in elements, >= 0) NULL means
 * contiguous row-major. Lua sees the same memory: in-place ops write to it.
 * release(data, ud), when not NULL, is called exactly once, when the last
 * reference (the host's or Lua's) goes; with NULL the host keeps ownership
 * and must keep the memory alive as long as the tensor lives. On failure
 * returns NULL and does not call release. release may run inside any lucid
 * call (Lua's garbage collector) and must not call lucid itself. */
lucid_tensor *lucid_wrap(lucid_state *S, void *data, lucid_dtype dtype, int ndim,
                         const int64_t *sizes, const int64_t *strides,
                         void (*release)(void *data, void *ud), void *ud);

lucid_dtype lucid_tensor_dtype(const lucid_tensor *t);
int lucid_tensor_ndim(const lucid_tensor *t);
const int64_t *lucid_tensor_sizes(const lucid_tensor *t);   /* ndim entries */
const int64_t *lucid_tensor_strides(const lucid_tensor *t); /* in elements */
int64_t lucid_tensor_numel(const lucid_tensor *t);
/* Address of the first element; element (i, j) of a 2-D float32 tensor is
 * ((float *)data)[i * strides[0] + j * strides[1]]. */
void *lucid_tensor_data(const lucid_tensor *t);
/* Another reference to t (returns t). */
lucid_tensor *lucid_tensor_retain(lucid_tensor *t);
/* Drops the host's reference (NULL is fine). */
void lucid_tensor_release(lucid_tensor *t);

#ifdef __cplusplus
}
#endif

#endif
