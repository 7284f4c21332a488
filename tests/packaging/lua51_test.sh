#!/bin/sh
# `make test` does not depend on what `lua` is: installing Debian's luarocks
# pulls in lua5.1 and can make it the `lua` alternative, and busted starts
# with `#!/usr/bin/env lua`. With a `lua` that is 5.1 first on PATH (or, where
# lua5.1 is absent, a `lua` that always fails), bare busted breaks, and
# `make specs` (the busted half of `make test`) still passes.
#   sh tests/packaging/lua51_test.sh <source dir>
set -e
src=$1
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
if command -v lua5.1 >/dev/null; then
  ln -s "$(command -v lua5.1)" "$shim/lua"
else
  printf '#!/bin/sh\necho "bare lua called" >&2\nexit 1\n' >"$shim/lua"
  chmod +x "$shim/lua"
fi
PATH="$shim:$PATH"
export PATH
cd "$src"
specs="tests/lua/lucid/options_spec.lua tests/launcher/launcher_spec.lua tests/lua/examples/examples_spec.lua"
# the trap is real: busted run through `lua` fails here
if busted $specs >/dev/null 2>&1; then
  echo "busted passed under the $(lua -v 2>&1 | head -1) shim: the shim is not in effect"
  exit 1
fi
make -s specs SPECS="$specs"
