/*
 * embed.c: the embedding API of lucid.h (liblucid.so).
 *
 * liblucid contains the binding objects themselves, and lucid_open registers
 * its own luaopen_lucid_core in package.preload: require("lucid.core") then
 * never loads core.so, so the process has one copy of the binding code and
 * one tensor metatable, and host tensors cross as plain lc_tensor references
 * (lcb_push / lcb_test).
 *
 * Every Lua call runs in a C function under lua_pcall (protect()). The panic
 * handler is a second line of defence for an error outside any pcall: it
 * jumps back to protect()'s frame, never into the host's.
 */
#define _GNU_SOURCE /* dladdr, realpath */

#include <dlfcn.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lbind.h"
#include "lc_internal.h" /* lc_checked_numel, lc_checked_extent */
#include "lucid.h"
#include "modpath.h"

int luaopen_lucid_core(lua_State *L);

struct lucid_state {
  lua_State *L;
  char *error;        /* malloc'd message of the last failure, or NULL */
  int error_lost;     /* a failure whose message could not be copied */
  jmp_buf panic_jmp;  /* where the panic handler returns to */
  int armed;          /* panic_jmp is valid */
};

/* Messages for failures without a state (lucid_open, NULL arguments). */
static _Thread_local char stateless_error[4096];

static void set_stateless(const char *prefix, const char *msg) {
  snprintf(stateless_error, sizeof stateless_error, "%s%s", prefix, msg);
}

static const char out_of_memory[] = "lucid: out of memory";

/* ------------------------------------------------------------------ errors */

static void clear_error(lucid_state *S) {
  free(S->error);
  S->error = NULL;
  S->error_lost = 0;
}

static void set_error(lucid_state *S, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!S) {
    set_stateless("", buf);
    return;
  }
  free(S->error);
  S->error = strdup(buf);
  S->error_lost = S->error == NULL;
}

/* Long messages (tracebacks) are copied whole, unlike set_error's. */
static void set_error_str(lucid_state *S, const char *msg) {
  free(S->error);
  S->error = strdup(msg);
  S->error_lost = S->error == NULL;
}

const char *lucid_last_error(const lucid_state *S) {
  if (!S) return stateless_error;
  if (S->error_lost) return out_of_memory;
  return S->error ? S->error : "";
}

/* -------------------------------------------------------------- protection */

/* What a protected function gets: its arguments, and a code it may set
 * before raising to say which kind of failure it was. */
typedef struct {
  int code;
  const void *in;
  void *out;
} job;

static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static lucid_state *state_of(lua_State *L) { return *(lucid_state **)lua_getextraspace(L); }

/* Lua calls this for an error outside every pcall, and aborts if it returns. */
static int panic(lua_State *L) {
  lucid_state *S = state_of(L);
  const char *msg = lua_tostring(L, -1);
  if (S && S->armed) {
    set_error(S, "lucid: unprotected Lua error: %s", msg ? msg : "?");
    S->armed = 0;
    longjmp(S->panic_jmp, 1);
  }
  fprintf(stderr, "lucid: unprotected Lua error: %s\n", msg ? msg : "?");
  return 0;
}

static int from_lua_status(int status) {
  return status == LUA_ERRMEM ? LUCID_ERR_MEM : status == LUA_ERRFILE ? LUCID_ERR_FILE
                                                                      : LUCID_ERR_LUA;
}

/* Runs fn(job) under lua_pcall with a traceback; returns a lucid_status and
 * leaves the stack as it found it. */
static int protect(lucid_state *S, lua_CFunction fn, job *j) {
  lua_State *L = S->L;
  int top = lua_gettop(L);
  clear_error(S);
  if (setjmp(S->panic_jmp)) {
    lua_settop(L, top);
    return LUCID_ERR_LUA;
  }
  S->armed = 1;
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, j);
  int status = lua_pcall(L, 1, 0, top + 1);
  S->armed = 0;
  if (status == LUA_OK) {
    lua_settop(L, top);
    return LUCID_OK;
  }
  const char *msg = lua_tostring(L, -1);
  set_error_str(S, msg ? msg : "(error object is not a string)");
  lua_settop(L, top);
  if (!S->error) return LUCID_ERR_MEM;
  return j->code ? j->code : from_lua_status(status);
}

static job *job_arg(lua_State *L) { return lua_touserdata(L, 1); }

/* Raises msg with a lucid_status the caller will return. */
static int fail(lua_State *L, int code, const char *fmt, ...) {
  va_list ap;
  job_arg(L)->code = code;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return lua_error(L);
}

/* ------------------------------------------------------------------ paths */

/* The Lua modules are found from this library's own location (modpath.c);
 * the C module needs no path: it is linked in (see the top of the file). */
static void set_paths(lua_State *L) {
  Dl_info info;
  char lib[PATH_MAX];
  if (dladdr((void *)set_paths, &info) && info.dli_fname && realpath(info.dli_fname, lib))
    lcb_add_module_paths(L, lib, LCB_PATH_LUA);
}

/* global name = require(name) */
static void require_global(lua_State *L, const char *name) {
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_setglobal(L, name);
}

static int p_open(lua_State *L) {
  luaL_openlibs(L);
  set_paths(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_lucid_core);
  lua_setfield(L, -2, "lucid.core");
  lua_pop(L, 1);
  require_global(L, "lucid");
  require_global(L, "nn");
  return 0;
}

/* ----------------------------------------------------------------- states */

lucid_state *lucid_open(void) {
  lucid_state *S = calloc(1, sizeof *S);
  if (!S) {
    set_error(NULL, "%s", out_of_memory);
    return NULL;
  }
  S->L = luaL_newstate();
  if (!S->L) {
    free(S);
    set_error(NULL, "%s", out_of_memory);
    return NULL;
  }
  *(lucid_state **)lua_getextraspace(S->L) = S;
  lua_atpanic(S->L, panic);
  job j = {0};
  if (protect(S, p_open, &j) != LUCID_OK) {
    set_stateless("lucid_open: ", S->error ? S->error : out_of_memory);
    lucid_close(S);
    return NULL;
  }
  stateless_error[0] = '\0';
  return S;
}

void lucid_close(lucid_state *S) {
  if (!S) return;
  lua_close(S->L);
  free(S->error);
  free(S);
}

struct lua_State *lucid_lua(lucid_state *S) { return S ? S->L : NULL; }

/* ----------------------------------------------------------- running code */

static int p_run(lua_State *L) {
  job *j = job_arg(L);
  const char *const *in = j->in; /* {code or NULL, path or NULL} */
  int status = in[0] ? luaL_loadbuffer(L, in[0], strlen(in[0]), "=lucid_dostring")
                     : luaL_loadfile(L, in[1]);
  if (status != LUA_OK) {
    j->code = from_lua_status(status);
    return lua_error(L);
  }
  lua_call(L, 0, 0);
  return 0;
}

int lucid_dostring(lucid_state *S, const char *code) {
  if (!S) return set_error(NULL, "lucid_dostring: state is NULL"), LUCID_ERR_ARG;
  if (!code) return set_error(S, "lucid_dostring: code is NULL"), LUCID_ERR_ARG;
  const char *in[2] = {code, NULL};
  job j = {.in = in};
  return protect(S, p_run, &j);
}

int lucid_dofile(lucid_state *S, const char *path) {
  if (!S) return set_error(NULL, "lucid_dofile: state is NULL"), LUCID_ERR_ARG;
  if (!path) return set_error(S, "lucid_dofile: path is NULL"), LUCID_ERR_ARG;
  const char *in[2] = {NULL, path};
  job j = {.in = in};
  return protect(S, p_run, &j);
}

/* ------------------------------------------------------------ os.exit */

/* os.exit while trapped: an error instead of the end of the host. */
static int trapped_exit(lua_State *L) {
  int code = lua_isboolean(L, 1) ? !lua_toboolean(L, 1) : (int)luaL_optinteger(L, 1, 0);
  return luaL_error(L, "os.exit(%d) was called; this host turns exits into errors "
                    "(lucid_trap_exit)", code);
}

/* The original os.exit is kept in the registry under this address. */
static const char original_exit_key = 0;

static int p_trap_exit(lua_State *L) {
  bool on = *(const int *)job_arg(L)->in;
  if (lua_getglobal(L, "os") != LUA_TTABLE) return 0; /* no os library: nothing exits */
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &original_exit_key) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_getfield(L, -1, "exit");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &original_exit_key);
  }
  if (on) lua_pushcfunction(L, trapped_exit);
  else lua_pushvalue(L, -1);
  lua_setfield(L, -3, "exit");
  return 0;
}

int lucid_trap_exit(lucid_state *S, int on) {
  if (!S) return set_error(NULL, "lucid_trap_exit: state is NULL"), LUCID_ERR_ARG;
  job j = {.in = &on};
  return protect(S, p_trap_exit, &j);
}

typedef struct {
  const char *name;
  int nargs, nresults;
  lucid_tensor *const *args;
  lucid_tensor **results;
} call_args;

/* Pushes the value at a dotted path "a.b.c" (its first len bytes) from the
 * globals; a nil on the way is a type error naming the part that was nil. */
static void push_path(lua_State *L, const char *name, size_t len) {
  const char *p = name, *end = name + len;
  lua_pushglobaltable(L);
  for (;;) {
    const char *dot = memchr(p, '.', (size_t)(end - p));
    if (!dot) dot = end;
    lua_pushlstring(L, p, (size_t)(dot - p));
    lua_gettable(L, -2);
    lua_remove(L, -2);
    if (dot == end) return;
    if (lua_isnil(L, -1))
      fail(L, LUCID_ERR_TYPE, "lucid_call: '%s' is nil", lua_pushlstring(L, name, (size_t)(dot - name)));
    p = dot + 1;
  }
}

static int callable(lua_State *L, int idx) {
  if (lua_isfunction(L, idx)) return 1;
  if (luaL_getmetafield(L, idx, "__call") == LUA_TNIL) return 0;
  lua_pop(L, 1);
  return 1;
}

static int p_call(lua_State *L) {
  const call_args *a = job_arg(L)->in;
  const char *colon = strchr(a->name, ':');
  size_t len = colon ? (size_t)(colon - a->name) : strlen(a->name);
  int self = colon != NULL;
  luaL_checkstack(L, a->nargs + a->nresults + 8, "lucid_call: too many arguments");
  push_path(L, a->name, len);
  if (self) {
    if (lua_isnil(L, -1))
      return fail(L, LUCID_ERR_TYPE, "lucid_call: '%s' is nil", lua_pushlstring(L, a->name, len));
    lua_pushstring(L, colon + 1);
    lua_gettable(L, -2);
    lua_insert(L, -2); /* method, object */
  }
  if (!callable(L, -1 - self))
    return fail(L, LUCID_ERR_TYPE, "lucid_call: '%s' is a %s, expected a function", a->name,
                luaL_typename(L, -1 - self));
  int base = lua_gettop(L) - self; /* the function's index */
  for (int i = 0; i < a->nargs; i++) lcb_push(L, lc_retain((lc_tensor *)a->args[i]));
  lua_call(L, a->nargs + self, a->nresults);
  for (int i = 0; i < a->nresults; i++)
    if (!lcb_test(L, base + i))
      return fail(L, LUCID_ERR_TYPE, "lucid_call: result %d of '%s' is a %s, expected a tensor",
                  i + 1, a->name, luaL_typename(L, base + i));
  for (int i = 0; i < a->nresults; i++)
    a->results[i] = (lucid_tensor *)lc_retain(lcb_test(L, base + i));
  return 0;
}

int lucid_call(lucid_state *S, const char *name, int nargs, lucid_tensor *const *args,
               int nresults, lucid_tensor **results) {
  if (!S) return set_error(NULL, "lucid_call: state is NULL"), LUCID_ERR_ARG;
  if (results && nresults > 0)
    for (int i = 0; i < nresults; i++) results[i] = NULL;
  if (!name || !*name) return set_error(S, "lucid_call: name is NULL or empty"), LUCID_ERR_ARG;
  if (nargs < 0 || nresults < 0)
    return set_error(S, "lucid_call: nargs (%d) and nresults (%d) must be >= 0", nargs, nresults),
           LUCID_ERR_ARG;
  if (nargs > 0 && !args) return set_error(S, "lucid_call: args is NULL"), LUCID_ERR_ARG;
  if (nresults > 0 && !results) return set_error(S, "lucid_call: results is NULL"), LUCID_ERR_ARG;
  for (int i = 0; i < nargs; i++)
    if (!args[i]) return set_error(S, "lucid_call: argument %d is NULL", i + 1), LUCID_ERR_ARG;
  call_args a = {name, nargs, nresults, args, results};
  job j = {.in = &a};
  return protect(S, p_call, &j);
}

/* ---------------------------------------------------------------- tensors */

static const lc_dtype to_lc[] = {LC_FLOAT32, LC_FLOAT64, LC_INT64, LC_BOOL};

/* Released storages of failed wraps must not hand the memory back. */
static void keep(void *data, void *ud) {
  (void)data;
  (void)ud;
}

lucid_tensor *lucid_wrap(lucid_state *S, void *data, lucid_dtype dtype, int ndim,
                         const int64_t *sizes, const int64_t *strides,
                         void (*release)(void *data, void *ud), void *ud) {
  int64_t st[LC_MAX_DIMS];
  if (!S) return set_error(NULL, "lucid_wrap: state is NULL"), NULL;
  clear_error(S);
  if ((int)dtype < 0 || (int)dtype > LUCID_BOOL)
    return set_error(S, "lucid_wrap: dtype %d is not LUCID_FLOAT32, LUCID_FLOAT64, LUCID_INT64 "
                     "or LUCID_BOOL",
                     (int)dtype), NULL;
  if (ndim < 0 || ndim > LUCID_MAX_DIMS)
    return set_error(S, "lucid_wrap: ndim must be in [0, %d], got %d", LUCID_MAX_DIMS, ndim), NULL;
  if (ndim > 0 && !sizes) return set_error(S, "lucid_wrap: sizes is NULL"), NULL;
  if (lc_checked_numel("lucid_wrap", ndim, sizes) < 0) return set_error(S, "%s", lc_error()), NULL;
  if (strides)
    memcpy(st, strides, ndim * sizeof *st);
  else
    lc_contiguous_strides(ndim, sizes, st);
  /* The storage spans the farthest element reached by the strides. */
  int64_t extent = lc_checked_extent("lucid_wrap", ndim, sizes, st, 0);
  if (extent < 0) return set_error(S, "%s", lc_error()), NULL;
  size_t elsize = lc_dtype_size(to_lc[dtype]);
  if (!data && extent > 0) return set_error(S, "lucid_wrap: data is NULL"), NULL;

  lc_storage *s = lc_storage_wrap(data, (size_t)extent * elsize, release, ud);
  if (!s) return set_error(S, "lucid_wrap: %s", lc_error_body()), NULL;
  lc_tensor *t = lc_tensor_from_storage(s, to_lc[dtype], ndim, sizes, st, 0);
  if (!t) s->free_fn = keep; /* the host keeps its memory when wrapping fails */
  lc_storage_release(s);     /* t holds the storage now */
  if (!t) return set_error(S, "lucid_wrap: %s", lc_error_body()), NULL;
  return (lucid_tensor *)t;
}

static const lc_tensor *lc_of(const lucid_tensor *t) { return (const lc_tensor *)t; }

lucid_dtype lucid_tensor_dtype(const lucid_tensor *t) {
  switch (lc_of(t)->dtype) {
  case LC_FLOAT64: return LUCID_FLOAT64;
  case LC_INT64: return LUCID_INT64;
  case LC_BOOL: return LUCID_BOOL;
  default: return LUCID_FLOAT32;
  }
}

int lucid_tensor_ndim(const lucid_tensor *t) { return lc_of(t)->ndim; }
const int64_t *lucid_tensor_sizes(const lucid_tensor *t) { return lc_of(t)->sizes; }
const int64_t *lucid_tensor_strides(const lucid_tensor *t) { return lc_of(t)->strides; }
int64_t lucid_tensor_numel(const lucid_tensor *t) { return lc_numel(lc_of(t)); }
void *lucid_tensor_data(const lucid_tensor *t) { return lc_data(lc_of(t)); }

lucid_tensor *lucid_tensor_retain(lucid_tensor *t) {
  return t ? (lucid_tensor *)lc_retain((lc_tensor *)t) : NULL;
}

void lucid_tensor_release(lucid_tensor *t) { lc_release((lc_tensor *)t); }
