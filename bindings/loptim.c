/* loptim.c: optimizer update kernels. */
#include "lbind.h"

void lcb_open_optim(lua_State *L, int module, int methods) {
  (void)L;
  (void)module;
  (void)methods;
}
