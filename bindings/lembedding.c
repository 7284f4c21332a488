/* lembedding.c: Embedding's max_norm kernel (core/embedding.c). */
#include "lbind.h"

/* _embedding_renorm_(weight, indices, max_norm, norm_type): indices 1-based. */
static int l_embedding_renorm_(lua_State *L) {
  lc_tensor *w = lcb_check(L, 1, "embedding"), *idx = lcb_check(L, 2, "embedding");
  lcb_ok(L, lc_embedding_renorm_(w, idx, 1, luaL_checknumber(L, 3), luaL_optnumber(L, 4, 2)));
  return 0;
}

void lcb_open_embedding(lua_State *L, int module, int methods) {
  (void)methods;
  lcb_register_private(L, module, (luaL_Reg[]){{"embedding_renorm_", l_embedding_renorm_}, {NULL, NULL}});
}
