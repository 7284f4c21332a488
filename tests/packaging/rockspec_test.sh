#!/bin/sh
# The rockspec: `luarocks --lua-version=5.4 make` builds lucid and installs it
# into a temporary LuaRocks tree, with OpenBLAS taken from the folder given as
# OPENBLAS_LIBDIR; then plain lua5.4, with only the tree's paths
# (`luarocks path`), requires lucid and nn and trains a step, and the tree's
# launcher runs. (Debian's luarocks targets Lua 5.1 unless told 5.4.)
#   sh tests/packaging/rockspec_test.sh <build dir> <source dir>
set -e
build=$1
src=$2
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4
# "elsewhere": a folder of our own holding OpenBLAS (the OpenMP build when
# Debian has it), at a stable path so the rock's CMake cache stays valid
blas=$build/rock-openblas
mkdir -p "$blas"
lib=/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0
[ -e "$lib" ] || lib=$(find /usr/lib /usr/lib64 /usr/local/lib -name 'libopenblas.so*' 2>/dev/null | head -1)
ln -sf "$lib" "$blas/libopenblas.so"
ln -sf "$lib" "$blas/libopenblas.so.0"

cd "$src"
if ! luarocks --lua-version=5.4 --tree="$tree" make lucid-0.1-1.rockspec OPENBLAS_LIBDIR="$blas" \
    >"$tree/make.log" 2>&1; then
  cat "$tree/make.log"
  exit 1
fi
# the installed core links the OpenBLAS it was pointed at
core=$(find "$tree/lib/lua/5.4" -name 'liblucidcore.so*' | head -1)
ldd "$core" | grep -q "libopenblas.so.0 => $blas/libopenblas.so.0"

eval "$(luarocks --lua-version=5.4 --tree="$tree" path)"
out=$(cd / && TREE="$tree" lua5.4 -e '
  local lucid, nn = require("lucid"), require("nn")
  assert(package.searchpath("lucid", package.path):find(os.getenv("TREE"), 1, true) == 1)
  lucid.manual_seed(0)
  local m = nn.Linear(3, 1)
  local opt = lucid.optim.SGD(m:parameters(), {lr = 0.1})
  local x, y = lucid.randn(8, 3), lucid.randn(8, 1)
  local before = nn.functional.mse_loss(m(x), y)
  before:backward(); opt:step()
  print(nn.functional.mse_loss(m(x), y):item() < before:item())' 2>&1)
test "$out" = "true" || { echo "lua5.4 with the tree: $out"; exit 1; }
out=$("$tree/bin/lucid" -e 'print(package.searchpath("lucid", package.path))')
test "$out" = "$tree/share/lua/5.4/lucid/init.lua" || { echo "launcher: $out"; exit 1; }
echo "luarocks make into $tree: ok"
