#!/bin/sh
# Install the Debian packages named as arguments that are not installed yet.
# As root this runs apt-get; otherwise it names what is missing and fails.
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $missing > /dev/null || exit 1
else
  echo "lucid needs these Debian packages:$missing"
  echo "install them with: sudo apt-get install$missing"
  exit 1
fi
