-- LuaRocks: `luarocks --lua-version=5.4 make` builds lucid with CMake and
-- installs it into a LuaRocks tree (the C module lucid.core, the Lua modules
-- lucid and nn, the `lucid` launcher, the docs for its help), after which a
-- plain lua5.4 with the tree's paths (`luarocks path`) requires lucid.
-- OpenBLAS is an external dependency: point it elsewhere with
-- `luarocks make OPENBLAS_DIR=/opt/openblas` (or OPENBLAS_LIBDIR=...,
-- OPENBLAS_INCDIR=...). docs/packaging.md tells the whole story.
rockspec_format = "3.0"
package = "lucid"
version = "0.1-1"
source = {
  url = "git+file://.",
}
description = {
  summary = "A deep learning framework: C tensor engine, autograd, PyTorch-style nn in Lua 5.4",
  detailed = [[
lucid is a C tensor engine (OpenMP elementwise ops, OpenBLAS matrix products,
reverse-mode autograd, fused RNN/GRU/LSTM kernels) scripted in Lua 5.4 with
PyTorch's module API: nn.Linear, nn.GRU, nn.LSTM, optimizers, save/load.]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  OPENBLAS = { library = "openblas" }, -- cblas.h: found by CMake, or OPENBLAS_INCDIR
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUA_LMOD_DIR = "$(LUADIR)",
    LUA_CMOD_DIR = "$(LIBDIR)",
    LUCID_LIB_DIR = "$(LIBDIR)",
    LUCID_DOC_DIR = "$(LUADIR)/lucid/docs",
    LUCID_BLAS_DIR = "$(OPENBLAS_LIBDIR)",
    LUCID_BLAS_INCDIR = "$(OPENBLAS_INCDIR)",
  },
}
