/* lcodec.c: lucid._C's byte-level helpers for the file format readers and
 * writers written in Lua (lua/lucid/formats/). Private: their callers check
 * the formats; these check every length against the bytes they are given. */
#include <string.h>

#include "lbind.h"
#include "lc_codec.h"

static lc_raw_kind check_kind(lua_State *L, int idx) {
  const char *name = luaL_checkstring(L, idx);
  for (int k = 0; k < LC_RAW_COUNT; k++)
    if (!strcmp(name, lc_raw_name((lc_raw_kind)k))) return (lc_raw_kind)k;
  luaL_error(L, "from_raw: unknown element kind '%s'", name);
  return LC_RAW_F32;
}

/* A byte range [offset, offset + n) of the string at idx, checked. */
static const char *range(lua_State *L, int idx, lua_Integer offset, lua_Integer n) {
  size_t len;
  const char *s = luaL_checklstring(L, idx, &len);
  if (offset < 0 || n < 0 || (lua_Unsigned)offset > len || (lua_Unsigned)n > len - (size_t)offset)
    luaL_error(L, "bytes %I..%I are outside the %I bytes given", offset, offset + n, (lua_Integer)len);
  return s + offset;
}

/* from_raw(bytes, kind, swap, count [, byte_offset]) -> 1-D tensor */
static int l_from_raw(lua_State *L) {
  lc_raw_kind kind = check_kind(L, 2);
  bool swap = lua_toboolean(L, 3);
  lua_Integer count = luaL_checkinteger(L, 4), offset = luaL_optinteger(L, 5, 0);
  size_t len;
  luaL_checklstring(L, 1, &len);
  if (count < 0 || (lua_Unsigned)count > len / lc_raw_size(kind))
    return luaL_error(L, "from_raw: %I elements of %s do not fit in %I bytes", count,
                      lc_raw_name(kind), (lua_Integer)len);
  const char *p = range(L, 1, offset, count * (lua_Integer)lc_raw_size(kind));
  lcb_push(L, lc_from_raw(p, (size_t)count * lc_raw_size(kind), kind, swap, count));
  return 1;
}

/* to_raw(t) -> the elements' bytes, row-major, little-endian */
static int l_to_raw(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "to_raw");
  luaL_Buffer b;
  size_t n = lc_nbytes(t);
  char *p = luaL_buffinitsize(L, &b, n);
  lc_to_raw(t, p);
  luaL_pushresultsize(&b, n);
  return 1;
}

/* strided_view(base, sizes, strides, offset) -> a view of base's storage */
static int l_strided_view(lua_State *L) {
  lc_tensor *base = lcb_check(L, 1, "strided_view");
  int64_t sizes[LC_MAX_DIMS], strides[LC_MAX_DIMS];
  int nd = lcb_sizes(L, 2, sizes, "strided_view");
  if (lcb_sizes(L, 3, strides, "strided_view") != nd)
    return luaL_error(L, "strided_view: %d sizes but a different number of strides", nd);
  lcb_push(L, lc_strided_view(base, nd, sizes, strides, luaL_checkinteger(L, 4)));
  return 1;
}

/* storage_of(t) -> key, offset, storage elements: the identity of t's memory,
 * so that writers store a storage shared by several tensors once */
static int l_storage_of(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "storage_of");
  lua_pushlightuserdata(L, t->storage);
  lua_pushinteger(L, t->offset);
  lua_pushinteger(L, (lua_Integer)(t->storage->nbytes / lc_dtype_size(t->dtype)));
  return 3;
}

/* storage_tensor(t) -> a 1-D tensor over all of t's storage */
static int l_storage_tensor(lua_State *L) {
  lc_tensor *t = lcb_check(L, 1, "storage_tensor");
  int64_t n = (int64_t)(t->storage->nbytes / lc_dtype_size(t->dtype)), one = 1;
  lcb_push(L, lc_strided_view(t, 1, &n, &one, 0));
  return 1;
}

/* inflate(bytes, offset, n, out_n) -> the out_n bytes that n compressed
 * bytes from offset expand to */
static int l_inflate(lua_State *L) {
  lua_Integer offset = luaL_checkinteger(L, 2), n = luaL_checkinteger(L, 3);
  lua_Integer out_n = luaL_checkinteger(L, 4);
  const char *p = range(L, 1, offset, n);
  if (out_n < 0 || out_n > (lua_Integer)1 << 40)
    return luaL_error(L, "inflate: implausible uncompressed size %I", out_n);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, (size_t)out_n);
  if (lc_inflate(p, (size_t)n, out, (size_t)out_n)) return lcb_fail(L);
  luaL_pushresultsize(&b, (size_t)out_n);
  return 1;
}

/* crc32(bytes [, crc]) -> CRC-32 as zip stores it */
static int l_crc32(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_pushinteger(L, lc_crc32((uint32_t)luaL_optinteger(L, 2, 0), s, n));
  return 1;
}

void lcb_open_codec(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){{"from_raw", l_from_raw}, {"to_raw", l_to_raw},
                                                {"strided_view", l_strided_view}, {"storage_of", l_storage_of},
                                                {"storage_tensor", l_storage_tensor}, {"inflate", l_inflate},
                                                {"crc32", l_crc32}, {NULL, NULL}});
}
