/*
 * lucid: the command-line launcher.
 *
 * A Lua 5.4 interpreter modelled on lua.c (same options, LUA_INIT, exit
 * statuses), with three differences: the project's modules are found from
 * the executable's own location (bindings/modpath.c, shared with liblucid),
 * `lucid` and `nn` are loaded as globals before anything runs, and the REPL
 * prints values readably, completes names and shows help from docs/ (the
 * Lua side of that is lua/lucid/repl.lua), with a history file that keeps
 * multi-line entries whole.
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
#include "modpath.h"

#ifdef LUCID_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#define LUCID_VERSION "0.1"
#define PROGNAME "lucid"
#define HISTORY_FILE ".lucid_history"
#define HISTORY_MAX 1000
#define MAXINPUT 512  /* line length without readline, as lua.c */

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
          "  -v        show version information (also --version)\n"
          "  -E        ignore environment variables\n"
          "  -W        turn warnings on\n"
          "  -h        show this help (also --help)\n"
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
      if (strcmp(argv[i], "--help") == 0) {
        args |= has_h;
        break;
      }
      if (strcmp(argv[i], "--version") == 0) {
        args |= has_v;
        break;
      }
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

/* The project's modules are found from the executable's own location, so
 * `build/bin/lucid` runs without LUA_PATH and an install anywhere works
 * (bindings/modpath.c, shared with the embedding API). */
static void set_paths(lua_State *L) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  lcb_add_module_paths(L, exe, LCB_PATH_LUA | LCB_PATH_C);
}

/* LUA_INIT_5_4, or else LUA_INIT: code to run, or @file, as lua5.4 does. */
static int handle_luainit(lua_State *L) {
  const char *name = "=LUA_INIT_5_4";
  const char *init = getenv(name + 1);
  if (init == NULL) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (init == NULL) return LUA_OK;
  if (init[0] == '@') return dochunk(L, luaL_loadfile(L, init + 1));
  return dostring(L, init, name);
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

/* ------------------------------------------------------ REPL: the Lua side */

/* Printing, completion and help are Lua (lua/lucid/repl.lua); the module is
 * kept in the registry while the REPL runs. */
#define REPL_KEY "lucid.launcher.repl"

/* Loads lucid.repl and defines the global `help`; without it the REPL still
 * runs, printing with `print` and completing nothing. */
static void load_repl(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lucid.repl");
  if (report(L, docall(L, 1, 1)) != LUA_OK) return;
  lua_getfield(L, -1, "help");
  lua_setglobal(L, "help");
  lua_setfield(L, LUA_REGISTRYINDEX, REPL_KEY);
}

/* Pushes the function repl[name]; 0 (and nothing pushed) when absent. */
static int push_repl(lua_State *L, const char *name) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, REPL_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
  if (lua_isfunction(L, -1)) return 1;
  lua_pop(L, 1);
  return 0;
}

/* Prints the values a REPL line returned, if any (repl.format). */
static void l_print(lua_State *L) {
  int n = lua_gettop(L);
  if (n == 0) return;
  if (!push_repl(L, "format")) lua_getglobal(L, "print");
  lua_insert(L, 1);
  if (lua_pcall(L, n, 1, 0) != LUA_OK) {
    l_message(progname, lua_pushfstring(L, "error calling 'print' (%s)",
                                        lua_tostring(L, -1)));
  } else if (lua_type(L, -1) == LUA_TSTRING) {
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

/* readline's hook: the matches are repl.complete(text), with matches[0] the
 * longest common prefix, as rl_completion_matches builds them. */
static char **lucid_completion(const char *text, int start, int end) {
  lua_State *L = globalL;
  char **matches = NULL;
  size_t count, i, common;
  int top = lua_gettop(L);
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* no file names: this is Lua code */
  rl_completion_append_character = '\0';
  if (!push_repl(L, "complete")) return NULL;
  lua_pushstring(L, text);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
    lua_settop(L, top);
    return NULL;
  }
  count = (size_t)lua_rawlen(L, -1);
  if (count == 0 || (matches = calloc(count + 2, sizeof *matches)) == NULL) {
    lua_settop(L, top);
    return NULL;
  }
  for (i = 1; i <= count; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i);
    matches[i] = strdup(lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
    lua_pop(L, 1);
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

/* The history file holds one entry per line, so a multi-line statement comes
 * back whole: its newlines are written as \n and backslashes as \\. */
static void load_history(const char *path) {
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  if (!f) {
    if ((f = fopen(path, "a")) != NULL) fclose(f); /* create it */
    return;
  }
  while ((len = getline(&line, &cap, f)) != -1) {
    char *r = line, *w = line;
    if (len > 0 && line[len - 1] == '\n') line[len - 1] = '\0';
    for (; *r; r++, w++) {
      if (*r == '\\' && (r[1] == 'n' || r[1] == '\\')) *w = *++r == 'n' ? '\n' : '\\';
      else *w = *r;
    }
    *w = '\0';
    if (*line) add_history(line);
  }
  free(line);
  fclose(f);
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
    load_history(buf);
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
  FILE *f;
  if (line[0] == '\0') return;
  add_history(line);
  if (!histfile || (f = fopen(histfile, "a")) == NULL) return;
  for (; *line; line++) {
    if (*line == '\n') fputs("\\n", f);
    else if (*line == '\\') fputs("\\\\", f);
    else fputc(*line, f);
  }
  fputc('\n', f);
  fclose(f);
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
  else if (firstline && b[0] == '?') lua_pushfstring(L, "help([==[%s]==])", b + 1);
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
  load_repl(L);
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
  if (!(args & has_E) && handle_luainit(L) != LUA_OK) return 0;
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
