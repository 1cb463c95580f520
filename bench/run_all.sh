#!/usr/bin/env bash
# Runs every benchmark script in bench/ in turn; each ends with one key=value line.
set -u
cd "$(dirname "$0")/.."
for s in bench/*.sh; do
  [ "$s" = "bench/run_all.sh" ] && continue
  echo "== $s"
  "$s" || echo "$s failed with $?"
done
