#!/bin/sh
# liblucidcore's public C surface is what its headers mark public: every
# symbol the library exports (nm -D --defined-only) is a function declared
# LC_API in one of the headers given (core/lc.h and those it includes, as
# installed), and every function so declared is exported. Internal functions
# (lc_internal.h: lc_pool_alloc, lc_iter_run, ...) and those of the static
# libraries linked in (libxsmm) must not leak out.
#   sh tests/packaging/symbols_test.sh <liblucidcore.so> <header>...
set -eu
lib=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a declaration's name is the identifier just before its first "("
sed -n 's/^LC_API[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\) *(.*/\1/p' "$@" | sort -u >"$tmp/public"
nm -D --defined-only "$lib" | awk '{ print $NF }' | sort -u >"$tmp/exported"
test -s "$tmp/public" || { echo "no LC_API declaration in $*"; exit 1; }
status=0
hidden=$(comm -23 "$tmp/exported" "$tmp/public")
if [ -n "$hidden" ]; then
  echo "exported by $lib but not declared LC_API in a public header:"
  echo "$hidden" | sed 's/^/  /'
  status=1
fi
missing=$(comm -13 "$tmp/exported" "$tmp/public")
if [ -n "$missing" ]; then
  echo "declared LC_API but not exported by $lib:"
  echo "$missing" | sed 's/^/  /'
  status=1
fi
[ $status -eq 0 ] && echo "$(wc -l <"$tmp/exported") exported symbols, all declared LC_API"
exit $status
