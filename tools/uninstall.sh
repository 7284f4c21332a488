#!/bin/sh
# Removes the files `make install` installed, listed in CMake's install
# manifest, then the folders they were in when that leaves them empty (lucid's
# own: include/lucid, share/lua/5.4/lucid, ...; never bin, lib, share, ...).
#   sh tools/uninstall.sh build/install_manifest.txt
set -e
manifest=$1
if [ ! -f "$manifest" ]; then
  echo "uninstall: $manifest not found: nothing was installed from this build" >&2
  exit 1
fi
while IFS= read -r file || [ -n "$file" ]; do # the last line has no newline
  [ -n "$file" ] || continue
  rm -f "$file"
  dir=$(dirname "$file")
  while [ -d "$dir" ]; do
    case $(basename "$dir") in
      bin|lib|include|share|pkgconfig|lua|5.4|doc|/) break ;;
    esac
    rmdir "$dir" 2>/dev/null || break
    dir=$(dirname "$dir")
  done
done < "$manifest"
echo "uninstall: removed the files listed in $manifest"
