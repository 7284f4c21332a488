/* modpath.h: where lucid's modules are, found from one of lucid's own files.
 * The launcher (launcher/lucid.c) and the embedding API (bindings/embed.c)
 * both compile modpath.c, so a build tree and an install prefix are told
 * apart in one place. */
#ifndef LUCID_MODPATH_H
#define LUCID_MODPATH_H

#include <lua.h>

enum { LCB_PATH_LUA = 1, LCB_PATH_C = 2 };

/* self is the canonical path of the launcher (<top>/bin/lucid) or of
 * liblucid.so (<top>/lib/liblucid.so). Puts lucid's Lua module folder first
 * in package.path (what & LCB_PATH_LUA) and its C module folder first in
 * package.cpath (what & LCB_PATH_C). Returns 1 when lucid was found there,
 * 0 when it was not (the paths are then left alone). */
int lcb_add_module_paths(lua_State *L, const char *self, int what);

#endif
