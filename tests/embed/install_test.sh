#!/bin/sh
# `make install PREFIX=<tmp>` and `make uninstall`, checked the way a user
# would use the install:
#  - examples/embed/host.c (lucid.h) and tests/embed/installed_core.c
#    (<lucid/lc.h>) built with nothing but `pkg-config lucid`, and run with
#    no Lua path in the environment: the installed library finds its modules;
#  - liblucidcore exports exactly what the installed headers declare LC_API;
#  - the installed launcher runs lucid and finds the installed docs for help;
#  - plain lua5.4 requires lucid from the installed module folders;
#  - `make uninstall` removes every installed file and lucid's folders.
#   sh tests/embed/install_test.sh <build dir> <source dir>
set -e
build=$1
src=$2
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
make -s -C "$src" install BUILD="$build" PREFIX="$prefix" >/dev/null
PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 LUA_INIT LUA_INIT_5_4

# the embedding API
cc -Wall -Wextra -Werror "$src/examples/embed/host.c" $(pkg-config --cflags --libs lucid) -o "$work/host"
"$work/host" "$src/examples/embed/model.lua" >"$work/out"
cat "$work/out"
grep -q '^output (2, 3):$' "$work/out"
grep -q '^input released 1 time(s)$' "$work/out"

# the installed core exports what the installed headers declare LC_API, no more
sh "$src/tests/packaging/symbols_test.sh" "$prefix/lib/liblucidcore.so" "$prefix"/include/lucid/*.h

# the C core through <lucid/lc.h>: every header lc.h includes is installed
cc -Wall -Wextra -Werror "$src/tests/embed/installed_core.c" $(pkg-config --cflags --libs lucid) -o "$work/core"
"$work/core" >"$work/core.out"
cat "$work/core.out"
printf 'y 6.75\ngrad 3 3 3\n' | cmp - "$work/core.out"

# the launcher, its modules and the docs its help reads
out=$("$prefix/bin/lucid" -e 'print(package.searchpath("lucid", package.path))')
test "$out" = "$prefix/share/lua/5.4/lucid/init.lua"
"$prefix/bin/lucid" -e 'require("lucid.repl").help("lucid.zeros")' >"$work/help"
grep -q '^docs/tensors.md$' "$work/help"
grep -qF '`lucid.zeros(sizes' "$work/help"

# the LuaLS annotations
grep -q '^---@meta lucid$' "$prefix/share/lucid/types/lucid.lua"
grep -q '^---@meta nn$' "$prefix/share/lucid/types/nn.lua"

# plain lua5.4, given the install's module folders
out=$(LUA_PATH="$prefix/share/lua/5.4/?.lua;$prefix/share/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$prefix/lib/lua/5.4/?.so;;" \
  lua5.4 -e 'local lucid = require("lucid"); local nn = require("nn")
    print(lucid.ones(2, 3):sum():item(), tostring(nn.Linear(2, 3)))')
test "$out" = "6.0	Linear(in_features=2, out_features=3, bias=True)"

# uninstall leaves no file and none of lucid's folders
make -s -C "$src" uninstall BUILD="$build" >/dev/null
left=$(find "$prefix" -type f)
test -z "$left" || { echo "left after uninstall: $left"; exit 1; }
for dir in include/lucid share/lua/5.4/lucid share/lua/5.4/nn lib/lua/5.4/lucid share/doc/lucid share/lucid; do
  test ! -e "$prefix/$dir" || { echo "left after uninstall: $prefix/$dir"; exit 1; }
done
echo "install, use and uninstall: ok"
