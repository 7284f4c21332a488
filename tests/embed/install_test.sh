#!/bin/sh
# Installs the build into a temporary prefix, builds examples/embed/host.c
# against it the way a user would (pkg-config) and runs it with no Lua path
# in the environment: the installed library must find its modules itself.
#   sh tests/embed/install_test.sh <build dir> <source dir>
set -e
build=$1
src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
cc -Wall -Wextra -Werror "$src/examples/embed/host.c" $(pkg-config --cflags --libs lucid) -o "$prefix/host"
env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 \
  "$prefix/host" "$src/examples/embed/model.lua" >"$prefix/out"
cat "$prefix/out"
grep -q '^output (2, 3):$' "$prefix/out"
grep -q '^input released 1 time(s)$' "$prefix/out"
