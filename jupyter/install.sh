#!/bin/sh
# Registers the lucid kernel with Jupyter (make jupyter-install):
#   jupyter/install.sh <lucid binary> [kernels folder]
# Without a folder, for the current user (jupyter kernelspec install --user).
set -eu
lucid=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
spec=$(mktemp -d)/lucid
mkdir -p "$spec"
cat > "$spec/kernel.json" <<JSON
{
  "argv": ["/usr/bin/python3", "$here/lucid_kernel.py", "-f", "{connection_file}"],
  "display_name": "lucid (Lua)",
  "language": "lua",
  "env": {"LUCID_BIN": "$lucid", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
}
JSON
if [ $# -ge 2 ]; then
  mkdir -p "$2"
  rm -rf "$2/lucid"
  cp -r "$spec" "$2/lucid"
  echo "lucid kernel: $2/lucid"
else
  jupyter kernelspec install --user --name lucid "$spec"
fi
rm -rf "$(dirname "$spec")"
