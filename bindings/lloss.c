/* lloss.c: losses and index ops (embedding) for nn. */
#include "lbind.h"

void lcb_open_loss(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
