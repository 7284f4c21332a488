/* modpath.c: the one module-path resolver (see modpath.h).
 *
 *   build tree  <build>/bin/lucid, <build>/lib/liblucid.so, and the C module
 *               <build>/lib/lucid/core.so; the Lua modules are the sources'
 *               lua/ (<build>/../lua, or the tree it was configured from)
 *   installed   <prefix>/bin/lucid, <prefix>/lib/liblucid.so; the modules in
 *               <prefix>/LUCID_LMOD_DIR and <prefix>/LUCID_CMOD_DIR (absolute
 *               values are used as they are)
 */
#define _GNU_SOURCE
#include "modpath.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LUCID_LMOD_DIR
#define LUCID_LMOD_DIR "share/lua/5.4"
#endif
#ifndef LUCID_CMOD_DIR
#define LUCID_CMOD_DIR "lib/lua/5.4"
#endif

#define PATH_BUF (PATH_MAX + 64)

/* out = dir/sub, or sub alone when it is absolute. 0 when it does not fit. */
static int join(char *out, const char *dir, const char *sub) {
  int n = sub[0] == '/' ? snprintf(out, PATH_BUF, "%s", sub)
                        : snprintf(out, PATH_BUF, "%s/%s", dir, sub);
  return n > 0 && n < PATH_BUF;
}

static int readable(const char *dir, const char *file) {
  char probe[PATH_BUF];
  return join(probe, dir, file) && access(probe, R_OK) == 0;
}

/* Cuts the last path component off s; 0 when there is none. */
static int cut(char *s) {
  char *slash = strrchr(s, '/');
  if (!slash) return 0;
  *slash = '\0';
  return 1;
}

static void prepend(lua_State *L, const char *field, const char *templates) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, field);
  lua_pushfstring(L, "%s;%s", templates, lua_tostring(L, -1));
  lua_setfield(L, -3, field);
  lua_pop(L, 2);
}

int lcb_add_module_paths(lua_State *L, const char *self, int what) {
  char top[PATH_BUF], lua[PATH_BUF], c[PATH_BUF];
  if (snprintf(top, sizeof top, "%s", self) >= (int)sizeof top) return 0;
  /* self is canonical (no links, no ".."), so cutting components is exact */
  if (!cut(top) || !cut(top)) return 0;
  if (readable(top, "lib/lucid/core.so")) { /* a build tree */
    if (!join(c, top, "lib") || !join(lua, top, "../lua")) return 0;
#ifdef LUCID_SOURCE_DIR
    if (!readable(lua, "lucid/init.lua")) snprintf(lua, sizeof lua, "%s/lua", LUCID_SOURCE_DIR);
#endif
  } else if (!join(lua, top, LUCID_LMOD_DIR) || !join(c, top, LUCID_CMOD_DIR)) {
    return 0;
  }
  if (!readable(lua, "lucid/init.lua")) return 0;
  char canon[PATH_MAX]; /* <build>/../lua reads better as <root>/lua */
  if (realpath(lua, canon)) snprintf(lua, sizeof lua, "%s", canon);
  if (what & LCB_PATH_C) prepend(L, "cpath", lua_pushfstring(L, "%s/?.so", c));
  if (what & LCB_PATH_LUA) prepend(L, "path", lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", lua, lua));
  lua_pop(L, (what & LCB_PATH_C ? 1 : 0) + (what & LCB_PATH_LUA ? 1 : 0));
  return 1;
}
