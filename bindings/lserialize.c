/* lserialize.c: lucid.save / lucid.load. */
#include "lbind.h"

void lcb_open_serialize(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
