#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# OPTIONS throughput and CPU cost: switchboard vs Kamailio (stateless sl_send_reply), both on
# loopback UDP, driven by SIPp (tests/integration/sip/uac-options.xml).
#   1. Rate sweep, 5 s per step: the highest rate with 0 failed calls and 0 retransmissions.
#   2. Fixed rate (FIXED_RATE for FIXED_SECS): server CPU µs per answered OPTIONS, from
#      /proc/PID/stat utime+stime (all threads/children) before and after.
# Last line: switchboard_rps=<n> kamailio_rps=<n> ratio=<r> switchboard_us_per_req=<x> kamailio_us_per_req=<y>
# Every process started here is stopped by PID (trap); every loop and run is bounded.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
RATES=${RATES:-"5000 10000 20000 30000 40000 50000 60000"}
STEP_SECS=${STEP_SECS:-5}
FIXED_RATE=${FIXED_RATE:-20000}
FIXED_SECS=${FIXED_SECS:-10}
SB_PORT=${SB_PORT:-25060}
KAM_PORT=${KAM_PORT:-25070}
WORK=$(mktemp -d /tmp/sb-bench-options.XXXXXX)
# The integration scenario minus its header checks (Kamailio's bare 200 has no Allow/Server).
SCEN=$WORK/uac-options-plain.xml
sed -e '/<action>/,/<\/action>/d' -e '/<Reference/d' -e 's#<recv response="200" rtd="true">#<recv response="200" rtd="true"/>#' \
  -e '/<\/recv>/d' "$ROOT/tests/integration/sip/uac-options.xml" >"$SCEN"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

# BENCH_MODULES (e.g. "common;sip;sip/transaction;sip/transport;app") limits the configure.
# -Wno-restrict: GCC 12 reports false -Wrestrict positives in std::string at -O3 (seen in sdp/).
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DSB_MODULES=${BENCH_MODULES:-}" \
  -DCMAKE_CXX_FLAGS=-Wno-restrict >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
cmake --build "$BUILD" -j2 --target switchboard >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
SB=$BUILD/src/app/switchboard

ticks() {  # utime+stime of the given PIDs and all their threads/children still alive
  local s=0 p
  for p in "$@"; do
    [ -r /proc/$p/stat ] && s=$((s + $(awk '{print $14+$15}' /proc/$p/stat)))
  done
  echo $s
}

start_switchboard() {
  cat >"$WORK/sb.yaml" <<YAML
log_level: warn
sip:
  workers: 1
  listen:
    - {transport: udp, address: 127.0.0.1, port: $SB_PORT}
YAML
  "$SB" serve --config "$WORK/sb.yaml" >"$WORK/sb.log" 2>&1 &
  SRV_PID=$!; PIDS+=("$SRV_PID"); SRV_ALL=("$SRV_PID")
  for _ in $(seq 50); do grep -q "SIP listening" "$WORK/sb.log" && break; sleep 0.1; done
}

start_kamailio() {
  sed "s#__PORT__#$KAM_PORT#g; s#__CTL__#$WORK/kamailio_ctl#g" "$ROOT/bench/kamailio-options.cfg" >"$WORK/kam.cfg"
  kamailio -f "$WORK/kam.cfg" -DD -E -m 512 -M 16 -x tlsf -X tlsf -P "$WORK/kam.pid" >"$WORK/kam.log" 2>&1 &
  SRV_PID=$!; PIDS+=("$SRV_PID")
  sleep 1.5
  SRV_ALL=("$SRV_PID" $(ps --ppid "$SRV_PID" -o pid= | tr -d ' '))
}

stop_server() {
  kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  local keep=() p; for p in "${PIDS[@]}"; do [ "$p" != "$SRV_PID" ] && keep+=("$p"); done; PIDS=("${keep[@]:-}")
}

# run_sipp PORT RATE CALLS TAG -> prints "ok failed retrans rate"
run_sipp() {
  local port=$1 rate=$2 calls=$3 tag=$4 dir="$WORK/$4"
  mkdir -p "$dir"
  (cd "$dir" && timeout $((calls / rate + 40)) sipp -sf "$SCEN" "127.0.0.1:$port" -i 127.0.0.1 -p $((port + 1)) \
     -r "$rate" -m "$calls" -nostdin -trace_stat -fd 1 -timeout 30s -buff_size 4194304 \
     -default_behaviors all,-abortunexp >sipp.out 2>sipp.err)
  local csv; csv=$(ls "$dir"/*_.csv 2>/dev/null | head -1)
  if [ -z "$csv" ]; then echo "0 $calls 0 0"; return; fi
  python3 - "$csv" <<'PY'
import sys
rows = [l.rstrip('\n').split(';') for l in open(sys.argv[1])]
h, last = rows[0], rows[-1]
g = lambda n: last[h.index(n)]
print(g('SuccessfulCall(C)'), g('FailedCall(C)'), g('Retransmissions(C)'), g('CallRate(C)'))
PY
}

sweep() {  # sweep NAME START_FN PORT -> sets BEST
  local name=$1 start=$2 port=$3 r
  BEST=0
  for r in $RATES; do
    $start
    read -r ok failed retr cps < <(run_sipp "$port" "$r" $((r * STEP_SECS)) "${name}_sweep_$r")
    stop_server
    printf '%-12s rate=%-6s ok=%-7s failed=%-5s retrans=%-6s achieved=%s\n' "$name" "$r" "$ok" "$failed" "$retr" "$cps"
    if [ "$failed" = 0 ] && [ "$retr" = 0 ] && [ "$ok" = $((r * STEP_SECS)) ]; then BEST=$r; else break; fi
    sleep 1
  done
}

fixed() {  # fixed NAME START_FN PORT -> sets US
  local name=$1 start=$2 port=$3 calls=$((FIXED_RATE * FIXED_SECS))
  $start
  local t0; t0=$(ticks "${SRV_ALL[@]}")
  read -r ok failed retr cps < <(run_sipp "$port" "$FIXED_RATE" "$calls" "${name}_fixed")
  local t1; t1=$(ticks "${SRV_ALL[@]}")
  stop_server
  local hz; hz=$(getconf CLK_TCK)
  US=$(python3 -c "print(round(($t1-$t0)/$hz*1e6/max(1,$ok),2))")
  printf '%-12s fixed %s/s x %ss: ok=%s failed=%s retrans=%s cpu=%.2fs -> %s us/OPTIONS\n' "$name" "$FIXED_RATE" \
    "$FIXED_SECS" "$ok" "$failed" "$retr" "$(python3 -c "print(($t1-$t0)/$hz)")" "$US"
}

sweep switchboard start_switchboard "$SB_PORT"; SB_RPS=$BEST
sweep kamailio start_kamailio "$KAM_PORT"; KAM_RPS=$BEST
fixed switchboard start_switchboard "$SB_PORT"; SB_US=$US
fixed kamailio start_kamailio "$KAM_PORT"; KAM_US=$US
RATIO=$(python3 -c "print(round($SB_RPS/max(1,$KAM_RPS),2))")
rm -rf "$WORK"
echo "switchboard_rps=$SB_RPS kamailio_rps=$KAM_RPS ratio=$RATIO switchboard_us_per_req=$SB_US kamailio_us_per_req=$KAM_US"
