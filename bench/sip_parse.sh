#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds bench_sip_parse in a Release tree and runs it. The last line is the figure CI tracks:
#   invite_parse_per_s=<n>   (INVITE + SDP parsed with every header typed, one core)
# Env: SOURCE_DIR (default: repo root), BUILD_DIR (default: <repo>/build-bench).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${SOURCE_DIR:-$(dirname "$here")}"
build="${BUILD_DIR:-$(dirname "$here")/build-bench}"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSB_BENCH=ON >/dev/null
cmake --build "$build" --target bench_sip_parse -j2 >/dev/null
exe="$(find "$build" -type f -name bench_sip_parse -perm -u+x | head -n1)"
json="$(mktemp)"
trap 'rm -f "$json"' EXIT
"$exe" --benchmark_min_time=1 --benchmark_out="$json" --benchmark_out_format=json >&2
python3 - "$json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for b in data["benchmarks"]:
    if b["name"] == "BM_ParseInvite":
        print(f"invite_parse_per_s={int(b['items_per_second'])}")
        break
else:
    sys.exit("BM_ParseInvite missing")
PY
