#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets with clang (ASan+UBSan) in their own build dir and runs each for
# FUZZ_SECONDS (default 60) seeded with the SIP torture messages (SDP target: their SDP bodies).
# Env: FUZZ_SECONDS, BUILD_DIR (default <repo>/build-fuzz), SOURCE_DIR (default repo root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
src="${SOURCE_DIR:-$repo}"
build="${BUILD_DIR:-$repo/build-fuzz}"
secs="${FUZZ_SECONDS:-60}"
torture="$repo/../shared/testdata/sip/torture"

CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSB_FUZZ=ON -DSB_BENCH=OFF >/dev/null
targets=()
for f in "$here"/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
cmake --build "$build" -j2 --target "${targets[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sip" "$work/uri" "$work/sdp"
for f in "$torture"/*.dat; do
  cp "$f" "$work/sip/"
  # Request-URIs as URI seeds.
  head -n1 "$f" | awk '{print $2}' | tr -d '\r\n' > "$work/uri/$(basename "$f" .dat)"
  # Bodies after the first empty line as SDP seeds (CRLF or bare LF files).
  python3 - "$f" "$work/sdp/$(basename "$f" .dat)" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
for sep in (b'\r\n\r\n', b'\n\n'):
    i = d.find(sep)
    if i >= 0:
        body = d[i + len(sep):]
        if body.startswith(b'v=0'):
            open(sys.argv[2], 'wb').write(body)
        break
PY
done

status=0
for t in "${targets[@]}"; do
  exe="$(find "$build" -type f -name "$t" -perm -u+x | head -n1)"
  case "$t" in
    sip_message_fuzz) corpus="$work/sip" ;;
    sip_uri_fuzz) corpus="$work/uri" ;;
    sdp_fuzz) corpus="$work/sdp" ;;
    *) corpus="$work/sip" ;;
  esac
  mkdir -p "$work/out-$t"
  echo "== $t (${secs}s)"
  if ! (cd "$work" && "$exe" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 \
        -artifact_prefix="$build/$t-" "$work/out-$t" "$corpus" 2>&1 | tail -n 15); then
    echo "$t FAILED (artifacts: $build/$t-*)"
    status=1
  fi
done
exit $status
