/*
 * lucid: the command-line launcher.
 *
 * A Lua 5.4 interpreter modelled on lua.c, with three differences: the
 * project's modules are found from the executable's own location (so a build
 * tree runs with no environment variables), `lucid` and `nn` are loaded as
 * globals before anything runs, and the REPL prints tables readably and
 * completes names with readline.
 */

#define _GNU_SOURCE /* strndup, sigaction and readlink prototypes */

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#ifdef LUCID_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#define LUCID_VERSION "0.1"
#define PROGNAME "lucid"
#define HISTORY_FILE ".lucid_history"
#define HISTORY_MAX 1000
#define MAXINPUT 512  /* line length without readline, as lua.c */
#define REPR_DEPTH 3  /* nesting levels shown before "{...}" */
#define REPR_ITEMS 20 /* entries shown per table before "..." */

/* Same globals as lua.c: the state for the SIGINT hook, and the name used to
 * prefix error messages (NULL in the REPL, where the prefix is noise). */
static lua_State *globalL = NULL;
static const char *progname = PROGNAME;

/* ---------------------------------------------------------------- signals */

/* Runs inside the interrupted chunk, so the error unwinds it normally. */
static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/* A signal handler may not touch the state, but setting a hook is allowed:
 * the hook fires at the next instruction and raises the error there. A second
 * Ctrl-C before that kills the process (SIG_DFL), for a stuck C function. */
static void laction(int sig) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(sig, SIG_DFL);
  lua_sethook(globalL, lstop, flag, 1);
}

static void setsignal(int sig, void (*handler)(int)) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* --------------------------------------------------------------- messages */

static void print_usage(const char *badoption) {
  FILE *out = badoption ? stderr : stdout;
  if (badoption) {
    if (badoption[1] == 'e' || badoption[1] == 'l')
      fprintf(out, "%s: '%s' needs argument\n", PROGNAME, badoption);
    else
      fprintf(out, "%s: unrecognized option '%s'\n", PROGNAME, badoption);
  }
  fprintf(out,
          "usage: %s [options] [script [args]]\n"
          "Available options are:\n"
          "  -e stat   execute string 'stat'\n"
          "  -i        enter interactive mode after executing 'script'\n"
          "  -l mod    require library 'mod' into global 'mod'\n"
          "  -l g=mod  require library 'mod' into global 'g'\n"
          "  -v        show version information\n"
          "  -E        ignore environment variables\n"
          "  -W        turn warnings on\n"
          "  -h        show this help\n"
          "  --        stop handling options\n"
          "  -         stop handling options and execute stdin\n",
          PROGNAME);
  fflush(out);
}

static void print_version(void) {
  fputs(PROGNAME " " LUCID_VERSION " (" LUA_VERSION ")\n", stdout);
  fflush(stdout);
}

static void l_message(const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

/* Prints the error on top of the stack, if any, and pops it. */
static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    l_message(progname, msg);
    lua_pop(L, 1);
  }
  return status;
}

/* Message handler: adds a traceback; error objects that are not strings are
 * shown through __tostring when they have one. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Calls the function below `narg` arguments with the traceback handler and the
 * Ctrl-C hook in place. */
static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  int status;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  setsignal(SIGINT, laction);
  status = lua_pcall(L, narg, nres, base);
  setsignal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

/* ------------------------------------------------------------- arguments */

#define has_error 1 /* bad option */
#define has_i 2     /* -i */
#define has_v 4     /* -v */
#define has_e 8     /* -e */
#define has_E 16    /* -E */
#define has_h 32    /* -h */

/* Scans the options before the script. Sets *first to the script's index (0
 * when there is none, or the index of the bad option on error). */
static int collectargs(char **argv, int *first) {
  int args = 0;
  int i;
  for (i = 1; argv[i] != NULL; i++) {
    *first = i;
    if (argv[i][0] != '-') return args; /* the script */
    switch (argv[i][1]) {
    case '-': /* "--": the next argument is the script */
      if (argv[i][2] != '\0') return has_error;
      *first = argv[i + 1] ? i + 1 : 0;
      return args;
    case '\0': /* "-": the script is stdin */
      return args;
    case 'E':
    case 'W':
    case 'h':
      if (argv[i][2] != '\0') return has_error;
      if (argv[i][1] == 'E') args |= has_E;
      if (argv[i][1] == 'h') args |= has_h;
      break;
    case 'i':
      args |= has_i; /* -i implies -v, as in lua */
      /* FALLTHROUGH */
    case 'v':
      if (argv[i][2] != '\0') return has_error;
      args |= has_v;
      break;
    case 'e':
      args |= has_e;
      /* FALLTHROUGH */
    case 'l': /* both take an argument, attached or next */
      if (argv[i][2] == '\0' && argv[++i] == NULL) {
        *first = i - 1;
        return has_error;
      }
      break;
    default:
      return has_error;
    }
  }
  *first = 0;
  return args;
}

/* Builds `arg` as lua.c does: the script at 0, its arguments at 1.., the
 * interpreter and options at negative indices. */
static void createargtable(lua_State *L, char **argv, int argc, int script) {
  int i;
  lua_createtable(L, argc - script - 1 > 0 ? argc - script - 1 : 0, script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int dochunk(lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

static int dostring(lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* `-l mod` or `-l g=mod`: global g (or mod) = require(mod). */
static int dolibrary(lua_State *L, char *spec) {
  char *eq = strchr(spec, '=');
  const char *modname = eq ? eq + 1 : spec;
  int status;
  lua_getglobal(L, "require");
  lua_pushstring(L, modname);
  status = docall(L, 1, 1);
  if (status == LUA_OK) {
    if (eq) *eq = '\0'; /* the global's name ends at '=' */
    lua_setglobal(L, spec);
  }
  return report(L, status);
}

/* Runs -e, -l and -W in command-line order; stops at the first failure. */
static int runargs(lua_State *L, char **argv, int optlim) {
  int i;
  for (i = 1; i < optlim; i++) {
    char option = argv[i][1];
    if (argv[i][0] != '-') continue;
    if (option == 'W') lua_warning(L, "@on", 0);
    if (option == 'e' || option == 'l') {
      char *extra = argv[i][2] ? argv[i] + 2 : argv[++i];
      int status = option == 'e' ? dostring(L, extra, "=(command line)")
                                 : dolibrary(L, extra);
      if (status != LUA_OK) return 0;
    }
  }
  return 1;
}

/* Runs the script (NULL name = stdin) with the script arguments as `...`. */
static int handle_script(lua_State *L, char **argv) {
  const char *fname = argv[0];
  int status, n, i;
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL;
  status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    lua_getglobal(L, "arg");
    if (lua_type(L, -1) != LUA_TTABLE) { /* a chunk in -e replaced it */
      lua_pop(L, 2);
      lua_pushliteral(L, "'arg' is not a table");
      return report(L, LUA_ERRRUN);
    }
    n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -i); /* the arg table */
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

/* ------------------------------------------------------------------ paths */

/* Puts <lua>/?.lua, <lua>/?/init.lua and <c>/?.so first in package.path
 * and package.cpath. */
static void prepend_paths(lua_State *L, const char *lua, const char *c) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", lua, lua, lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  lua_getfield(L, -1, "cpath");
  lua_pushfstring(L, "%s/?.so;%s", c, lua_tostring(L, -1));
  lua_setfield(L, -3, "cpath");
  lua_pop(L, 2);
}

/* In a build tree the executable is <build>/bin/lucid, with the C module in
 * <build>/lib and the sources' lua/ in <build>/.. (or, for a build folder
 * elsewhere, in the source tree it was configured from); both are put first,
 * so `build/bin/lucid` runs without LUA_PATH. An installed launcher,
 * <prefix>/bin/lucid, puts <prefix>'s Lua 5.4 module folders first, so an
 * install anywhere (not only /usr/local) works. */
static void set_paths(lua_State *L) {
  char build[PATH_MAX], root[PATH_MAX], lua[PATH_MAX + 32], c[PATH_MAX + 32];
  char *cut;
  ssize_t n = readlink("/proc/self/exe", build, sizeof build - 1);
  if (n <= 0) return;
  build[n] = '\0';
  /* /proc/self/exe is canonical (no links, no ".."), so cutting path
   * components is exact: twice gives <build> (or <prefix>). */
  for (int i = 0; i < 2; i++) {
    if ((cut = strrchr(build, '/')) == NULL) return;
    *cut = '\0';
  }
  snprintf(c, sizeof c, "%s/lib/lucid/core.so", build);
  if (access(c, R_OK) != 0) { /* installed: <prefix>/bin/lucid */
    snprintf(lua, sizeof lua, "%s/share/lua/5.4/lucid/init.lua", build);
    if (access(lua, R_OK) != 0) return;
    snprintf(lua, sizeof lua, "%s/share/lua/5.4", build);
    snprintf(c, sizeof c, "%s/lib/lua/5.4", build);
    prepend_paths(L, lua, c);
    return;
  }
  snprintf(root, sizeof root, "%s", build);
  if ((cut = strrchr(root, '/')) != NULL) *cut = '\0';
  snprintf(lua, sizeof lua, "%s/lua/lucid/init.lua", root);
#ifdef LUCID_SOURCE_DIR
  if (access(lua, R_OK) != 0) snprintf(root, sizeof root, "%s", LUCID_SOURCE_DIR);
#endif
  snprintf(lua, sizeof lua, "%s/lua", root);
  snprintf(c, sizeof c, "%s/lib", build);
  prepend_paths(L, lua, c);
}

/* global name = require(name); a failure is fatal for the launcher. */
static int require_global(lua_State *L, const char *name) {
  int status;
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  status = docall(L, 1, 1);
  if (status == LUA_OK) lua_setglobal(L, name);
  return report(L, status);
}

/* ------------------------------------------------------ REPL: printing */

static const char *const reserved[] = {
    "and",   "break", "do",     "else", "elseif", "end",   "false", "for",
    "function", "goto", "if",   "in",   "local",  "nil",   "not",   "or",
    "repeat", "return", "then", "true", "until",  "while", NULL};

static int is_reserved(const char *s) {
  int i;
  for (i = 0; reserved[i]; i++)
    if (strcmp(s, reserved[i]) == 0) return 1;
  return 0;
}

/* Whether a key can be written bare, as in `{name = 1}`. */
static int is_identifier(const char *s) {
  const char *p = s;
  if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
    return 0;
  for (p++; *p; p++)
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9')))
      return 0;
  return !is_reserved(s);
}

/* Pushes the string at idx as a quoted Lua literal. */
static void push_quoted(lua_State *L, int idx) {
  size_t len, i;
  const char *s = lua_tolstring(L, idx, &len);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '"');
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') {
      luaL_addchar(&b, '\\');
      luaL_addchar(&b, (char)c);
    } else if (c == '\n') {
      luaL_addstring(&b, "\\n");
    } else if (c == '\t') {
      luaL_addstring(&b, "\\t");
    } else if (c < 32 || c == 127) {
      snprintf(esc, sizeof esc, "\\%d", c);
      luaL_addstring(&b, esc);
    } else {
      luaL_addchar(&b, (char)c);
    }
  }
  luaL_addchar(&b, '"');
  luaL_pushresult(&b);
}

/* Record keys print names first, then numbers, then the rest by type. */
static int key_rank(int type) {
  return type == LUA_TSTRING ? 0 : type == LUA_TNUMBER ? 1 : type + 2;
}

/* Sort order for record keys: by rank, then by value where Lua can compare
 * (numbers, strings); other keys of one type are left as equals. */
static int key_less(lua_State *L) {
  int ta = lua_type(L, 1), tb = lua_type(L, 2);
  if (ta != tb) lua_pushboolean(L, key_rank(ta) < key_rank(tb));
  else if (ta == LUA_TNUMBER || ta == LUA_TSTRING)
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
  else lua_pushboolean(L, 0);
  return 1;
}

/* Pushes a sorted sequence of the keys of table idx that are not in its
 * array part 1..n, so records print in a stable order. */
static void push_sorted_keys(lua_State *L, int idx, lua_Integer n) {
  lua_Integer count = 0;
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_isinteger(L, -1)) {
      lua_Integer k = lua_tointeger(L, -1);
      if (k >= 1 && k <= n) continue;
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, ++count);
  }
  /* table.sort from the loaded modules: the global may be shadowed. */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "table");
  lua_getfield(L, -1, "sort");
  lua_pushvalue(L, -4);
  lua_pushcfunction(L, key_less);
  lua_call(L, 2, 0);
  lua_pop(L, 2);
}

static void push_repr(lua_State *L, int idx, int depth);

/* Appends the string on top to the accumulator at acc (pops it). */
static void append(lua_State *L, int acc) {
  lua_pushvalue(L, acc);
  lua_insert(L, -2);
  lua_concat(L, 2);
  lua_replace(L, acc);
}

/* Appends `sep key = value` for the key at -1 of table idx. */
static void append_field(lua_State *L, int idx, int acc, int depth, int first) {
  int key = lua_absindex(L, -1);
  if (!first) lua_pushliteral(L, ", "), append(L, acc);
  if (lua_type(L, key) == LUA_TSTRING && is_identifier(lua_tostring(L, key))) {
    lua_pushvalue(L, key);
  } else {
    lua_pushliteral(L, "[");
    push_repr(L, key, depth + 1);
    lua_pushliteral(L, "]");
    lua_concat(L, 3);
  }
  append(L, acc);
  lua_pushliteral(L, " = ");
  append(L, acc);
  lua_pushvalue(L, key);
  lua_rawget(L, idx);
  push_repr(L, -1, depth + 1);
  lua_remove(L, -2);
  append(L, acc);
}

/* `{1, 2, 3}` for the array part, then `name = value` for the other keys in
 * sorted order; at most REPR_ITEMS entries, then "...". */
static void push_table_repr(lua_State *L, int idx, int depth) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx), i, nkeys, shown = 0;
  int acc, keys;
  if (depth > REPR_DEPTH) {
    lua_pushliteral(L, "{...}");
    return;
  }
  lua_pushliteral(L, "{");
  acc = lua_gettop(L);
  for (i = 1; i <= n && shown < REPR_ITEMS; i++, shown++) {
    if (shown > 0) lua_pushliteral(L, ", "), append(L, acc);
    lua_rawgeti(L, idx, i);
    push_repr(L, -1, depth + 1);
    lua_remove(L, -2);
    append(L, acc);
  }
  push_sorted_keys(L, idx, n);
  keys = lua_gettop(L);
  nkeys = (lua_Integer)lua_rawlen(L, keys);
  for (i = 1; i <= nkeys && shown < REPR_ITEMS; i++, shown++) {
    lua_rawgeti(L, keys, i);
    append_field(L, idx, acc, depth, shown == 0);
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* keys */
  if (n + nkeys > shown) {
    lua_pushstring(L, shown > 0 ? ", ...}" : "...}");
  } else {
    lua_pushliteral(L, "}");
  }
  append(L, acc);
}

/* Pushes a readable rendering of the value at idx: strings are quoted inside
 * tables (depth > 1), plain tables are expanded, everything else is shown
 * as tostring shows it (so __tostring, e.g. a tensor's, is honoured). */
static void push_repr(lua_State *L, int idx, int depth) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 10, "nesting too deep to print");
  if (lua_type(L, idx) == LUA_TSTRING && depth > 1) {
    push_quoted(L, idx);
  } else if (lua_type(L, idx) == LUA_TTABLE &&
             luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL &&
             luaL_getmetafield(L, idx, "__name") == LUA_TNIL) {
    push_table_repr(L, idx, depth);
  } else {
    if (lua_type(L, idx) == LUA_TTABLE) lua_pop(L, 1); /* the metafield */
    luaL_tolstring(L, idx, NULL);
  }
}

/* Protected body of l_print: renders all values, tab-separated. */
static int format_results(lua_State *L) {
  int n = lua_gettop(L), i;
  for (i = 1; i <= n; i++) {
    if (i > 1) lua_pushliteral(L, "\t");
    push_repr(L, i, 1);
  }
  lua_concat(L, lua_gettop(L) - n);
  return 1;
}

/* Prints the values a REPL line returned, if any. */
static void l_print(lua_State *L) {
  int n = lua_gettop(L);
  if (n == 0) return;
  lua_pushcfunction(L, format_results);
  lua_insert(L, 1);
  if (lua_pcall(L, n, 1, 0) != LUA_OK) {
    l_message(progname, lua_pushfstring(L, "error calling 'print' (%s)",
                                        lua_tostring(L, -1)));
  } else {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    fwrite(s, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
  }
  lua_settop(L, 0);
}

/* ---------------------------------------------------- REPL: completion */

#ifdef LUCID_READLINE

/* Replaces the value on top by the table its methods come from, if any:
 * the metatable's __index when that is a table, or else, when __index is a
 * C closure (as the tensor binding's is: it also serves t[i]), the table in
 * its first upvalue, which is how C bindings commonly keep their methods.
 * Reading an upvalue runs no code; calling __index could. Lua closures are
 * skipped because their first upvalue is often _ENV. */
static int next_index(lua_State *L) {
  int t = luaL_getmetafield(L, -1, "__index"); /* pushes nothing if nil */
  if (t == LUA_TNIL) return 0;
  if (t != LUA_TTABLE) {
    if (!lua_iscfunction(L, -1) || lua_getupvalue(L, -1, 1) == NULL) {
      lua_pop(L, 1);
      return 0;
    }
    lua_remove(L, -2); /* the closure */
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      return 0;
    }
  }
  lua_remove(L, -2);
  return 1;
}

/* Looks up one path segment in the value on top, without running any
 * metamethod (completion must not have side effects): raw fields first,
 * then the chain of __index tables, where the methods of userdata such as
 * tensors live. Replaces the top with the field, or nil. */
static void raw_field(lua_State *L, const char *name) {
  int hops;
  for (hops = 0; hops < 8; hops++) {
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_pushstring(L, name);
      if (lua_rawget(L, -2) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
      }
      lua_pop(L, 1);
    }
    if (!next_index(L)) break;
  }
  lua_pop(L, 1);
  lua_pushnil(L);
}

/* Adds to the set at `out` every identifier key of the value on top (and of
 * its __index tables) that starts with `prefix`, written as path .. key.
 * After ':' only functions are offered. Pops the value. */
static void add_keys(lua_State *L, int out, const char *path, const char *prefix,
                     int methods_only) {
  size_t plen = strlen(prefix);
  int hops;
  for (hops = 0; hops < 8; hops++) {
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING &&
            (!methods_only || lua_type(L, -1) == LUA_TFUNCTION)) {
          const char *k = lua_tostring(L, -2);
          if (strncmp(k, prefix, plen) == 0 && is_identifier(k)) {
            lua_pushfstring(L, "%s%s", path, k);
            lua_pushboolean(L, 1);
            lua_rawset(L, out);
          }
        }
        lua_pop(L, 1);
      }
    }
    if (!next_index(L)) break;
  }
  lua_pop(L, 1);
}

/* Protected: given the word before the cursor, returns a set of full
 * completions. `a.b.c:pre` walks a, b, c from the globals and lists keys of
 * the last value; a bare word lists globals and keywords. */
static int collect_completions(lua_State *L) {
  const char *text = luaL_checkstring(L, 1);
  const char *last = NULL, *p, *seg;
  int out, i;
  lua_newtable(L);
  out = lua_gettop(L);
  for (p = text; *p; p++)
    if (*p == '.' || *p == ':') last = p;
  lua_pushglobaltable(L);
  if (last == NULL) {
    add_keys(L, out, "", text, 0);
    for (i = 0; reserved[i]; i++)
      if (strncmp(reserved[i], text, strlen(text)) == 0) {
        lua_pushboolean(L, 1);
        lua_setfield(L, out, reserved[i]);
      }
    return 1;
  }
  for (seg = text; seg < last;) { /* walk the path before the last separator */
    size_t len = strcspn(seg, ".:");
    if (seg + len != last && seg[len] == ':') return 0; /* a:b.c is no path */
    lua_pushlstring(L, seg, len);
    if (!is_identifier(lua_tostring(L, -1))) return 0;
    lua_insert(L, -2);
    raw_field(L, lua_tostring(L, -2));
    lua_remove(L, -2); /* the segment name */
    seg += len + 1;
  }
  lua_pushlstring(L, text, (size_t)(last - text) + 1);
  lua_insert(L, -2);
  add_keys(L, out, lua_tostring(L, -2), last + 1, *last == ':');
  lua_settop(L, out);
  return 1;
}

/* readline's hook: builds the match array from the Lua set of completions,
 * with matches[0] the longest common prefix, as rl_completion_matches does. */
static char **lucid_completion(const char *text, int start, int end) {
  lua_State *L = globalL;
  char **matches = NULL;
  size_t count = 0, i, common;
  int top = lua_gettop(L);
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* no file names: this is Lua code */
  rl_completion_append_character = '\0';
  lua_pushcfunction(L, collect_completions);
  lua_pushstring(L, text);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
    lua_settop(L, top);
    return NULL;
  }
  lua_pushnil(L);
  while (lua_next(L, -2)) lua_pop(L, 1), count++;
  if (count == 0 || (matches = calloc(count + 2, sizeof *matches)) == NULL) {
    lua_settop(L, top);
    return NULL;
  }
  i = 1;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    matches[i++] = strdup(lua_tostring(L, -1));
  }
  lua_settop(L, top);
  if (count == 1) { /* a single match is returned alone */
    matches[0] = matches[1];
    matches[1] = NULL;
    return matches;
  }
  common = strlen(matches[1]);
  for (i = 2; i <= count; i++) {
    size_t j = 0;
    while (j < common && matches[i][j] == matches[1][j]) j++;
    common = j;
  }
  matches[0] = strndup(matches[1], common);
  return matches;
}

#endif /* LUCID_READLINE */

/* ------------------------------------------------------- REPL: reading */

static const char *get_prompt(lua_State *L, int firstline) {
  if (lua_getglobal(L, firstline ? "_PROMPT" : "_PROMPT2") == LUA_TNIL)
    return firstline ? "> " : ">> ";
  return luaL_tolstring(L, -1, NULL); /* left on the stack with the global */
}

#ifdef LUCID_READLINE

/* Ctrl-C at the prompt drops the line instead of killing the session. With
 * readline's deferred signal handling this runs from readline's own code. */
static void prompt_sigint(int sig) {
  (void)sig;
  fputc('\n', stdout);
  rl_on_new_line();
  rl_replace_line("", 0);
  rl_redisplay();
}

static void init_readline(const char **histfile, char *buf, size_t size) {
  const char *home = getenv("HOME");
  rl_readline_name = PROGNAME;
  rl_attempted_completion_function = lucid_completion;
  /* '.' and ':' are not breaks, so `lucid.ze` reaches the completer whole. */
  rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{}()[],+-*/%^~#";
  *histfile = NULL;
  if (home && *home && (size_t)snprintf(buf, size, "%s/" HISTORY_FILE, home) < size) {
    *histfile = buf;
    if (read_history(buf) != 0) write_history(buf); /* create it */
  }
}

static char *read_line(const char *prompt, char *buf) {
  char *line;
  (void)buf; /* readline allocates the line */
  setsignal(SIGINT, prompt_sigint);
  line = readline(prompt);
  setsignal(SIGINT, SIG_DFL);
  return line;
}

/* Each entry goes to the file at once, so history survives os.exit(). */
static void save_line(const char *line, const char *histfile) {
  if (line[0] == '\0') return;
  add_history(line);
  if (histfile) append_history(1, histfile);
}

static void close_readline(const char *histfile) {
  if (histfile) history_truncate_file(histfile, HISTORY_MAX);
}

#define free_line(line) free(line)

#else /* plain stdio fallback */

static void init_readline(const char **histfile, char *buf, size_t size) {
  (void)buf;
  (void)size;
  *histfile = NULL;
}

static char *read_line(const char *prompt, char *buf) {
  fputs(prompt, stdout);
  fflush(stdout);
  return fgets(buf, MAXINPUT, stdin);
}

#define save_line(line, histfile) ((void)(line), (void)(histfile))
#define close_readline(histfile) ((void)(histfile))
#define free_line(line) ((void)(line))

#endif

/* Reads a line and pushes it (without its newline); 0 at end of input. A
 * leading '=' means "return", as in Lua 5.1's interpreter. */
static int pushline(lua_State *L, int firstline) {
  char buffer[MAXINPUT]; /* used only without readline */
  int top = lua_gettop(L);
  const char *prompt = get_prompt(L, firstline);
  char *b = read_line(prompt, buffer);
  size_t len;
  lua_settop(L, top); /* drop the prompt */
  if (b == NULL) return 0;
  len = strlen(b);
  if (len > 0 && b[len - 1] == '\n') b[--len] = '\0';
  if (firstline && b[0] == '=') lua_pushfstring(L, "return %s", b + 1);
  else lua_pushlstring(L, b, len);
  free_line(b);
  return 1;
}

/* Tries the line as `return <line>`, so expressions show their value. */
static int addreturn(lua_State *L, const char *histfile) {
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2); /* the modified line */
    save_line(line, histfile);
  } else {
    lua_pop(L, 2); /* the error and the modified line */
  }
  return status;
}

/* A syntax error at <eof> means the statement goes on: read another line. */
static int incomplete(lua_State *L, int status) {
  static const char mark[] = "<eof>";
  const size_t marklen = sizeof mark - 1;
  size_t len;
  const char *msg;
  if (status != LUA_ERRSYNTAX) return 0;
  msg = lua_tolstring(L, -1, &len);
  if (len >= marklen && strcmp(msg + len - marklen, mark) == 0) {
    lua_pop(L, 1);
    return 1;
  }
  return 0;
}

/* Reads lines until they form a complete statement (or a real error). */
static int multiline(lua_State *L, const char *histfile) {
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbuffer(L, line, len, "=stdin");
    if (!incomplete(L, status) || !pushline(L, 0)) {
      save_line(line, histfile);
      return status;
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

/* Leaves a compiled chunk (or an error) on the stack; -1 at end of input. */
static int loadline(lua_State *L, const char *histfile) {
  int status;
  lua_settop(L, 0);
  if (!pushline(L, 1)) return -1;
  if ((status = addreturn(L, histfile)) != LUA_OK)
    status = multiline(L, histfile);
  lua_remove(L, 1); /* the line */
  return status;
}

static void doREPL(lua_State *L) {
  int status;
  const char *histfile;
  char histbuf[PATH_MAX];
  const char *oldprogname = progname;
  progname = NULL; /* errors at the prompt need no "lucid:" prefix */
  init_readline(&histfile, histbuf, sizeof histbuf);
  while ((status = loadline(L, histfile)) != -1) {
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) l_print(L);
    else report(L, status);
  }
  close_readline(histfile);
  lua_settop(L, 0);
  fputc('\n', stdout);
  fflush(stdout);
  progname = oldprogname;
}

/* ------------------------------------------------------------------ main */

/* Everything runs here, under lua_pcall, so memory errors are reported. */
static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script = 0;
  int args = collectargs(argv, &script);
  int optlim = script > 0 ? script : argc;
  luaL_checkversion(L);
  if (args == has_error) {
    print_usage(argv[script]);
    return 0;
  }
  if (args & has_h) {
    print_usage(NULL);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (args & has_v) print_version();
  if (args & has_E) { /* ask the package library to ignore LUA_PATH etc. */
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  createargtable(L, argv, argc, script);
  lua_gc(L, LUA_GCRESTART);
  set_paths(L);
  if (require_global(L, "lucid") != LUA_OK || require_global(L, "nn") != LUA_OK)
    return 0;
  if (!runargs(L, argv, optlim)) return 0;
  if (script > 0 && handle_script(L, argv + script) != LUA_OK) return 0;
  if (args & has_i) {
    doREPL(L);
  } else if (script == 0 && !(args & (has_e | has_v))) {
    if (isatty(STDIN_FILENO)) {
      print_version();
      doREPL(L);
    } else if (dochunk(L, luaL_loadfile(L, NULL)) != LUA_OK) {
      return 0;
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

int main(int argc, char **argv) {
  int status, result;
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    l_message(PROGNAME, "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  globalL = L; /* the completer needs it before any docall */
  lua_gc(L, LUA_GCSTOP); /* no collections while the libraries load */
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 0);
  result = lua_toboolean(L, -1);
  report(L, status);
  lua_close(L);
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
