/* lserialize.c: lucid.save / lucid.load, and lucid._serialize /
 * lucid._deserialize (the same format in a Lua string). The core writes and
 * reads the records (core/serialize.c, docs/save_load.md); this file walks
 * Lua values: table keys in a fixed order, cycle detection, and error
 * messages that name the path to the offending value. */
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

#define WRITER_BOX "lucid.save.writer"
#define READER_BOX "lucid.load.reader"

typedef struct { lc_writer *w; } writer_box;
typedef struct { lc_reader *r; } reader_box;

/* The boxes are to-be-closed slots, so any error raised mid-walk closes the
 * writer (removing its temporary file) or the reader. */
static int writer_box_close(lua_State *L) {
  writer_box *b = luaL_checkudata(L, 1, WRITER_BOX);
  lc_writer_close(b->w);
  b->w = NULL;
  return 0;
}

static int reader_box_close(lua_State *L) {
  reader_box *b = luaL_checkudata(L, 1, READER_BOX);
  lc_reader_close(b->r);
  b->r = NULL;
  return 0;
}

/* ---- saving --------------------------------------------------------------- */

typedef struct {
  bool is_str;
  lua_Integer i;
  const char *s; /* anchored by the table being walked */
  size_t len;
} key;

typedef struct {
  const char *fname;
  lc_writer *w;
  int visiting;                          /* stack index: table -> depth */
  int depth;                             /* keys[0..depth) lead to the current value */
  key keys[LC_SAVE_MAX_DEPTH + 1];
} walk;

static bool is_identifier(const char *s, size_t len) {
  if (len == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return false;
  for (size_t i = 1; i < len; i++)
    if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9')))
      return false;
  return true;
}

/* "obj.layers[2].fn" for the first depth keys; pushed on the stack. */
static const char *push_path(lua_State *L, const walk *st, int depth) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "obj");
  for (int d = 0; d < depth; d++) {
    const key *k = &st->keys[d];
    char tmp[48];
    if (!k->is_str) {
      snprintf(tmp, sizeof tmp, "[%lld]", (long long)k->i);
      luaL_addstring(&b, tmp);
    } else if (is_identifier(k->s, k->len)) {
      luaL_addchar(&b, '.');
      luaL_addlstring(&b, k->s, k->len);
    } else {
      luaL_addstring(&b, "[\"");
      for (size_t i = 0; i < k->len && i < 40; i++) {
        unsigned char c = (unsigned char)k->s[i];
        if (c == '"' || c == '\\') {
          luaL_addchar(&b, '\\');
          luaL_addchar(&b, (char)c);
        } else if (c < 32 || c > 126) {
          snprintf(tmp, sizeof tmp, "\\%d", c);
          luaL_addstring(&b, tmp);
        } else {
          luaL_addchar(&b, (char)c);
        }
      }
      if (k->len > 40) luaL_addstring(&b, "...");
      luaL_addstring(&b, "\"]");
    }
  }
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

static const char *ONLY =
    "only tensors, tables, numbers, strings and booleans can be saved";

static void wcheck(lua_State *L, const walk *st, int rc) {
  if (rc) lcb_fail_as(L, st->fname);
}

/* Integer keys first, ascending, then strings in byte order: the same value
 * always gives the same bytes. */
static int key_cmp(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  if (a->is_str != b->is_str) return a->is_str ? 1 : -1;
  if (!a->is_str) return a->i < b->i ? -1 : a->i > b->i;
  int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
  return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void save_value(lua_State *L, walk *st, int idx);

static void save_table(lua_State *L, walk *st, int idx) {
  if (st->depth >= LC_SAVE_MAX_DEPTH) {
    push_path(L, st, st->depth);
    luaL_error(L, "%s: table at %s is nested deeper than %d tables", st->fname,
               lua_tostring(L, -1), LC_SAVE_MAX_DEPTH);
  }
  lua_pushvalue(L, idx);
  if (lua_rawget(L, st->visiting) != LUA_TNIL) {
    int d = (int)lua_tointeger(L, -1);
    push_path(L, st, st->depth);
    push_path(L, st, d);
    luaL_error(L, "%s: table at %s refers back to %s (a cycle); tables with cycles cannot be saved",
               st->fname, lua_tostring(L, -2), lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  /* A module (its registered members live in the raw field _modules) would
   * save its internals and load as a plain table: say what to save instead. */
  lua_pushliteral(L, "_modules");
  if (lua_rawget(L, idx) == LUA_TTABLE && lua_getmetatable(L, idx)) {
    lua_getfield(L, -1, "__name");
    const char *cls = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "Module";
    push_path(L, st, st->depth);
    luaL_error(L, "%s: value at %s is an nn.Module (%s): save its model:state_dict() instead, "
               "and restore it with model:load_state_dict(lucid.load(path))", st->fname,
               lua_tostring(L, -1), cls);
  }
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushinteger(L, st->depth);
  lua_rawset(L, st->visiting);

  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    n++;
  }
  /* a userdata, so the array is freed even when an error unwinds */
  key *keys = lua_newuserdatauv(L, n ? n * sizeof *keys : 1, 0);
  int keys_idx = lua_gettop(L);
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    key *k = &keys[i++];
    if (lua_type(L, -1) == LUA_TSTRING) {
      k->is_str = true;
      k->s = lua_tolstring(L, -1, &k->len);
    } else if (lua_isinteger(L, -1)) {
      k->is_str = false;
      k->i = lua_tointeger(L, -1);
    } else {
      const char *kind = lua_type(L, -1) == LUA_TNUMBER ? "float" : luaL_typename(L, -1);
      const char *shown = luaL_tolstring(L, -1, NULL);
      push_path(L, st, st->depth);
      luaL_error(L, "%s: table at %s has a %s key (%s); only string and integer keys can be saved",
                 st->fname, lua_tostring(L, -1), kind, shown);
    }
  }
  qsort(keys, n, sizeof *keys, key_cmp);
  wcheck(L, st, lc_write_table(st->w, n));
  luaL_checkstack(L, 6, "lucid.save: nesting");
  for (i = 0; i < n; i++) {
    key *k = &keys[i];
    if (k->is_str) {
      lua_pushlstring(L, k->s, k->len);
      wcheck(L, st, lc_write_string(st->w, k->s, k->len));
    } else {
      lua_pushinteger(L, k->i);
      wcheck(L, st, lc_write_int(st->w, k->i));
    }
    lua_rawget(L, idx);
    st->keys[st->depth++] = *k;
    save_value(L, st, lua_gettop(L));
    st->depth--;
    lua_pop(L, 1);
  }
  lua_settop(L, keys_idx - 1);
  lua_pushvalue(L, idx);
  lua_pushnil(L);
  lua_rawset(L, st->visiting);
}

static void save_value(lua_State *L, walk *st, int idx) {
  switch (lua_type(L, idx)) {
  case LUA_TBOOLEAN:
    wcheck(L, st, lc_write_bool(st->w, lua_toboolean(L, idx)));
    return;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) wcheck(L, st, lc_write_int(st->w, lua_tointeger(L, idx)));
    else wcheck(L, st, lc_write_float(st->w, lua_tonumber(L, idx)));
    return;
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    wcheck(L, st, lc_write_string(st->w, s, len));
    return;
  }
  case LUA_TTABLE:
    save_table(L, st, idx);
    return;
  case LUA_TUSERDATA: {
    lc_tensor *t = lcb_test(L, idx);
    if (t) {
      wcheck(L, st, lc_write_tensor(st->w, t));
      return;
    }
    push_path(L, st, st->depth);
    if (luaL_testudata(L, idx, LCB_TENSOR))
      luaL_error(L, "%s: value at %s is a closed tensor", st->fname, lua_tostring(L, -1));
    luaL_error(L, "%s: value at %s is a userdata that is not a tensor; %s", st->fname,
               lua_tostring(L, -1), ONLY);
    return;
  }
  default:
    push_path(L, st, st->depth);
    luaL_error(L, "%s: value at %s is %s%s; %s", st->fname, lua_tostring(L, -1),
               lua_type(L, idx) == LUA_TNIL ? "" : "a ", luaL_typename(L, idx), ONLY);
  }
}

/* Walks the value at index 1 into w (in a to-be-closed box at the top). */
static void save_into(lua_State *L, const char *fname, lc_writer *w) {
  walk *st = lua_newuserdatauv(L, sizeof *st, 0); /* too big for the C stack's comfort */
  st->fname = fname;
  st->w = w;
  st->depth = 0;
  lua_newtable(L);
  st->visiting = lua_gettop(L);
  save_value(L, st, 1);
  wcheck(L, st, lc_writer_finish(w));
  lua_pop(L, 2);
}

static writer_box *new_writer_box(lua_State *L) {
  writer_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->w = NULL;
  luaL_setmetatable(L, WRITER_BOX);
  lua_toclose(L, -1);
  return b;
}

static const char *check_path(lua_State *L, int idx, const char *fname) {
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "%s: argument %d (path) must be a string, got %s", fname, idx,
               luaL_typename(L, idx));
  const char *path = lua_tostring(L, idx);
  if (!*path) luaL_error(L, "%s: argument %d (path) is an empty string", fname, idx);
  return path;
}

/* lucid.save(obj, path) */
static int l_save(lua_State *L) {
  const char *path = check_path(L, 2, "lucid.save");
  lua_settop(L, 2);
  writer_box *b = new_writer_box(L);
  b->w = lc_writer_open_file(path);
  if (!b->w) lcb_fail_as(L, "lucid.save");
  save_into(L, "lucid.save", b->w);
  return 0; /* returning closes the box, freeing the finished writer */
}

/* lucid._serialize(obj) -> string */
static int l_serialize(lua_State *L) {
  lua_settop(L, 1);
  writer_box *b = new_writer_box(L);
  b->w = lc_writer_open_buffer();
  if (!b->w) lcb_fail_as(L, "lucid._serialize");
  save_into(L, "lucid._serialize", b->w);
  size_t len;
  const char *data = lc_writer_buffer(b->w, &len);
  lua_pushlstring(L, data, len);
  return 1;
}

/* ---- loading -------------------------------------------------------------- */

/* where: "lucid.load: 'path'" for messages of this file; the core's own
 * messages name the path already. */
static void load_value(lua_State *L, lc_reader *r, const char *fname, const char *where) {
  luaL_checkstack(L, 6, "lucid.load: nesting");
  lc_item it;
  if (lc_read(r, &it)) lcb_fail_as(L, fname);
  switch (it.type) {
  case LC_REC_FALSE: case LC_REC_TRUE: lua_pushboolean(L, it.b); break;
  case LC_REC_INT: lua_pushinteger(L, (lua_Integer)it.i); break;
  case LC_REC_FLOAT: lua_pushnumber(L, it.f); break;
  case LC_REC_STRING: lua_pushlstring(L, it.str, it.len); break;
  case LC_REC_TENSOR: lcb_push(L, it.tensor); break;
  case LC_REC_TABLE: {
    lua_createtable(L, 0, it.count < 4096 ? (int)it.count : 4096);
    for (uint64_t i = 0; i < it.count; i++) {
      load_value(L, r, fname, where); /* the reader accepts only integer and string keys here */
      lua_pushvalue(L, -1);
      if (lua_rawget(L, -3) != LUA_TNIL)
        luaL_error(L, "%s: corrupt file: key %s appears twice in a table", where,
                   luaL_tolstring(L, -2, NULL));
      lua_pop(L, 1);
      load_value(L, r, fname, where);
      lua_rawset(L, -3);
    }
    break;
  }
  }
}

static reader_box *new_reader_box(lua_State *L) {
  reader_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->r = NULL;
  luaL_setmetatable(L, READER_BOX);
  lua_toclose(L, -1);
  return b;
}

static int load_from(lua_State *L, reader_box *b, const char *fname, const char *where) {
  if (!b->r) lcb_fail_as(L, fname);
  load_value(L, b->r, fname, where);
  if (lc_reader_finish(b->r)) lcb_fail_as(L, fname);
  return 1;
}

/* lucid.load(path) */
static int l_load(lua_State *L) {
  const char *path = check_path(L, 1, "lucid.load");
  lua_settop(L, 1);
  const char *where = lua_pushfstring(L, "lucid.load: '%s'", path);
  reader_box *b = new_reader_box(L);
  b->r = lc_reader_open_file(path);
  return load_from(L, b, "lucid.load", where);
}

/* lucid._deserialize(str) */
static int l_deserialize(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    luaL_error(L, "lucid._deserialize: argument 1 must be a string, got %s", luaL_typename(L, 1));
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  lua_settop(L, 1);
  reader_box *b = new_reader_box(L);
  b->r = lc_reader_open_buffer(s, len);
  return load_from(L, b, "lucid._deserialize", "lucid._deserialize");
}

void lcb_open_serialize(lua_State *L, int module, int methods) {
  (void)methods;
  luaL_newmetatable(L, WRITER_BOX);
  lua_pushcfunction(L, writer_box_close);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, writer_box_close);
  lua_setfield(L, -2, "__gc");
  luaL_newmetatable(L, READER_BOX);
  lua_pushcfunction(L, reader_box_close);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, reader_box_close);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 2);
  lua_pushvalue(L, module);
  luaL_setfuncs(L, (luaL_Reg[]){
    {"save", l_save}, {"load", l_load},
    {"_serialize", l_serialize}, {"_deserialize", l_deserialize},
    {NULL, NULL}}, 0);
  lua_pop(L, 1);
}
