#!/bin/sh
# Runs new_api_stress.lua in child processes; after a crash reports the call and restarts past it.
# usage: tests/fuzz/run.sh [lucid-binary] [seed] [first-call]
bin=${1:-build/bin/lucid}; seed=${2:-7}; start=${3:-1}; log=$(mktemp)
while :; do
  timeout 120 "$bin" tests/fuzz/new_api_stress.lua "$start" "$seed" 2>"$log" >/dev/null; rc=$?
  last=$(grep '^CALL' "$log" | tail -1)
  if grep -q '^DONE' "$log"; then break; fi
  echo "CRASH rc=$rc at: $last"; grep -v '^CALL' "$log" | tail -5
  n=$(echo "$last" | awk '{print $2}'); [ -z "$n" ] && break; start=$((n + 1))
done
rm -f "$log"
