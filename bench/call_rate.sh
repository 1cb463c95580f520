#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Call throughput, CPU and memory per call: switchboard (trunk -> queue -> agent B2BUA) vs Kamailio
# (stateful t_relay + record_route), both between the same SIPp pair on loopback UDP:
#   SIPp UAC (bench/call_rate/uac_rr.xml, 0 s calls) -> server -> SIPp UAS (bench/call_rate/uas_rr.xml).
# For switchboard the UAS is AGENTS registered agents (one tenant, one leastrecent queue, wrap-up 0),
# all with the UAS port as contact; the UAC is the trunk source.
#   1. Rate sweep, STEP_SECS per step: the highest rate whose run ends with every call successful
#      (0 failed) and that SIPp sustained (achieved CallRate(C) >= 95 % of the target: an
#      overloaded server otherwise makes SIPp stretch the run and hit its concurrent-call limit
#      rather than fail calls). Server and UAS are restarted (and agents re-registered) before
#      every step.
#   2. Fixed rate (FIXED_RATE for FIXED_SECS): server CPU µs per completed call from /proc/PID/stat
#      utime+stime (all threads; Kamailio: all its processes).
#   3. Switchboard only: HOLD_CALLS calls at HOLD_RATE held for HOLD_MS ms: (VmHWM while held -
#      VmRSS before) / established calls = KiB per call.
# Last line: switchboard_cps=<n> kamailio_cps=<n> ratio=<r> switchboard_us_per_call=<x>
#            kamailio_us_per_call=<y> kib_per_call=<n>
# Every process started here is stopped by PID (trap); every loop and run is bounded; 127.0.0.1 only.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/call_rate
BUILD=${BUILD:-$ROOT/build-bench}
RATES=${RATES:-"500 1000 2000 3000 3500 4000 5000 6000 7000 8000 9000 10000"}
STEP_SECS=${STEP_SECS:-20}
AGENTS=${AGENTS:-1200}          # >= HOLD_CALLS: one agent per concurrent call
FIXED_RATE=${FIXED_RATE:-1000}
FIXED_SECS=${FIXED_SECS:-20}
HOLD_CALLS=${HOLD_CALLS:-1000}
HOLD_RATE=${HOLD_RATE:-200}
HOLD_MS=${HOLD_MS:-20000}
SB_PORT=${SB_PORT:-26060}
KAM_PORT=${KAM_PORT:-26070}
UAS_PORT=${UAS_PORT:-26080}
UAC_PORT=${UAC_PORT:-26090}
DOMAIN=bench.switchboard.test
SERVICE=+15550100
WORK=$(mktemp -d /tmp/sb-bench-calls.XXXXXX)
KEEP_WORK=${KEEP_WORK:-0}
PIDS=()
SRV_PID=
UAS_PID=

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  [ "$KEEP_WORK" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() {  # forget PID: drop it from the cleanup list
  local keep=() p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && [ "$p" != "$1" ] && keep+=("$p"); done
  PIDS=("${keep[@]:-}")
}

# -Wno-restrict: GCC 12 reports false -Wrestrict positives in std::string at -O3.
# SKIP_BUILD=1 reuses the binary already in $BUILD.
[ "${SKIP_BUILD:-0}" = 1 ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSB_MODULES= \
  -DCMAKE_CXX_FLAGS=-Wno-restrict >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
[ "${SKIP_BUILD:-0}" = 1 ] || cmake --build "$BUILD" -j2 --target switchboard >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
SB=$BUILD/src/app/switchboard

# ---- switchboard config: one tenant, one queue, AGENTS agents ---------------------------------
{
  cat <<YAML
demo: true            # plain-text agent passwords below
log_level: ${SB_LOG_LEVEL:-warn}
data_dir: $WORK/var
sip:
  workers: 1
  digest_algorithms: [md5]
  max_expires: 7200
  listen:
    - {transport: udp, address: 127.0.0.1, port: $SB_PORT}
http: {address: 127.0.0.1, port: 0}
trunks:
  - {id: carrier, tenants: [bench], transport: udp, sources: [{address: 127.0.0.1, port: $UAC_PORT}],
     outbound_address: 127.0.0.1, outbound_port: $UAC_PORT}
tenants:
  - id: bench
    name: Bench
    domain: $DOMAIN
    outbound_trunk: carrier
    queues:
      - {id: q, name: Q, strategy: leastrecent, wrap_up_s: 0, reservation_timeout_s: 10,
         max_wait_s: 60, max_size: 1000000}
    numbers:
      - {number: "$SERVICE", queue: q}
    users:
YAML
  for k in $(seq "$AGENTS"); do
    echo "      - {id: agent$k, extension: \"$((10000 + k))\", sip_password: pw-agent$k, capacity: {voice: 1}, queues: [q]}"
  done
} >"$WORK/sb.yaml"

# ---- Kamailio config: the tooling anchor (stateful t_relay + record_route), ports substituted --
cat >"$WORK/kam.cfg" <<KAM
#!KAMAILIO
# Stateful relay anchor: UAC(SIPp :$UAC_PORT) -> Kamailio 127.0.0.1:$KAM_PORT -> UAS(SIPp :$UAS_PORT)
debug=1
log_stderror=yes
fork=yes
children=2
listen=udp:127.0.0.1:$KAM_PORT
auto_aliases=no
alias="127.0.0.1:$KAM_PORT"
maxbuffer=4194304
disable_tcp=yes
dns=no
rev_dns=no
use_dns_cache=no
mhomed=0
server_signature=no

mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "ctl.so"
loadmodule "kex.so"

modparam("tm", "fr_timer", 5000)
modparam("tm", "fr_inv_timer", 30000)
modparam("tm", "wt_timer", 2000)
modparam("rr", "enable_full_lr", 0)
modparam("rr", "append_fromtag", 0)
modparam("ctl", "binrpc", "unix:$WORK/kamailio_ctl")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}
	if (has_totag()) {
		if (loose_route()) {
			if (is_method("ACK") && !t_check_trans()) {
				t_relay();
				exit;
			}
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) { t_relay(); exit; }
		}
		t_relay_to_udp("127.0.0.1", "$UAS_PORT");
		exit;
	}
	if (is_method("INVITE")) {
		record_route();
	}
	if (!t_relay_to_udp("127.0.0.1", "$UAS_PORT")) {
		sl_reply_error();
	}
	exit;
}

reply_route {
	return;
}
KAM

ticks() {  # utime+stime of the given PIDs (all threads) still alive
  local s=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14+$15}' "/proc/$p/stat")))
  done
  echo $s
}

start_uas() {  # start_uas DIR
  mkdir -p "$1"
  (cd "$1" && exec timeout 900 sipp -sf "$HERE/uas_rr.xml" -i 127.0.0.1 -p "$UAS_PORT" -nostdin \
     -buff_size 4194304 -trace_err >uas.out 2>uas.err) &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  sleep 0.5
}

stop_uas() {
  [ -n "$UAS_PID" ] || return
  kill "$UAS_PID" 2>/dev/null; wait "$UAS_PID" 2>/dev/null; forget "$UAS_PID"; UAS_PID=
}

start_switchboard() {  # start_switchboard DIR -> 0 when listening with every agent registered
  mkdir -p "$1"
  rm -rf "$WORK/var"  # a fresh store (CDRs, bindings) for every start
  "$SB" serve --config "$WORK/sb.yaml" >"$1/sb.out" 2>"$1/sb.log" &
  SRV_PID=$!; PIDS+=("$SRV_PID"); SRV_ALL=("$SRV_PID")
  local i
  for i in $(seq 100); do grep -qs "SIP listening" "$1/sb.out" && break; sleep 0.1; done
  grep -q "SIP listening" "$1/sb.out" || { echo "switchboard did not start:"; tail -5 "$1/sb.log"; return 1; }
  timeout 120 python3 "$HERE/register_agents.py" "$SB_PORT" "$DOMAIN" "$AGENTS" "$UAS_PORT" 3600 \
    >"$1/register.out" 2>&1 || { cat "$1/register.out"; return 1; }
}

start_kamailio() {  # start_kamailio DIR
  mkdir -p "$1"
  kamailio -f "$WORK/kam.cfg" -DD -E -m 512 -M 16 -x tlsf -X tlsf -P "$WORK/kam.pid" >"$1/kam.log" 2>&1 &
  SRV_PID=$!; PIDS+=("$SRV_PID")
  sleep 1.5
  SRV_ALL=("$SRV_PID" $(ps --ppid "$SRV_PID" -o pid= | tr -d ' '))
  kill -0 "$SRV_PID" 2>/dev/null || { echo "kamailio did not start:"; tail -5 "$1/kam.log"; return 1; }
}

stop_server() {  # SIGTERM, then SIGKILL after STOP_SECS (switchboard drains its CDR queue on exit)
  [ -n "$SRV_PID" ] || return
  kill "$SRV_PID" 2>/dev/null
  local i
  for i in $(seq $((${STOP_SECS:-20} * 10))); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SRV_PID" 2>/dev/null; then
    echo "  (server $SRV_PID still running ${STOP_SECS:-20}s after SIGTERM: SIGKILL)"
    kill -9 "$SRV_PID" 2>/dev/null
  fi
  wait "$SRV_PID" 2>/dev/null; forget "$SRV_PID"; SRV_PID=
}

cdrs() { sqlite3 -readonly "$WORK/var/switchboard.db" "select count(*) from interactions" 2>/dev/null || echo 0; }

# run_uac PORT RATE CALLS DIR [extra sipp args] -> prints "ok failed retrans achieved_cps"
run_uac() {
  local port=$1 rate=$2 calls=$3 dir=$4; shift 4
  mkdir -p "$dir"
  (cd "$dir" && timeout $((calls / rate + 90)) sipp -sf "$HERE/uac_rr.xml" -s "$SERVICE" "127.0.0.1:$port" \
     -i 127.0.0.1 -p "$UAC_PORT" -r "$rate" -m "$calls" -nostdin -trace_stat -trace_err -fd 1 \
     -timeout 60s -buff_size 4194304 -default_behaviors all,-abortunexp "$@" >uac.out 2>uac.err)
  local csv; csv=$(ls "$dir"/*_.csv 2>/dev/null | head -1)
  if [ -z "$csv" ]; then echo "0 $calls 0 0"; return; fi
  python3 - "$csv" <<'PY'
import sys
rows = [l.rstrip('\n').split(';') for l in open(sys.argv[1]) if l.strip()]
h, last = rows[0], rows[-1]
g = lambda n: last[h.index(n)]
print(g('SuccessfulCall(C)'), g('FailedCall(C)'), g('Retransmissions(C)'), g('CallRate(C)'))
PY
}

start_pair() {  # start_pair NAME DIR
  start_uas "$2/uas" || return 1
  "start_$1" "$2/server"
}

stop_pair() { stop_server; stop_uas; }

sweep() {  # sweep NAME PORT -> sets BEST
  local name=$1 port=$2 r dir
  BEST=0
  for r in $RATES; do
    dir=$WORK/${name}_sweep_$r
    if ! start_pair "$name" "$dir"; then stop_pair; break; fi
    read -r ok failed retr cps < <(run_uac "$port" "$r" $((r * STEP_SECS)) "$dir/uac")
    local c=; [ "$name" = switchboard ] && c=" cdrs_written_at_end=$(cdrs)"
    stop_pair
    printf '%-12s rate=%-6s calls=%-7s ok=%-7s failed=%-6s retrans=%-7s achieved_cps=%s%s\n' \
      "$name" "$r" $((r * STEP_SECS)) "$ok" "$failed" "$retr" "$cps" "$c"
    if [ "$failed" = 0 ] && [ "$ok" = $((r * STEP_SECS)) ] &&
       python3 -c "import sys; sys.exit(0 if float('$cps') >= 0.95 * $r else 1)"; then BEST=$r; else
      sed -n '1,5p' "$dir"/uac/*_errors.log 2>/dev/null | sed "s/^/  $name uac err: /"
      break
    fi
    sleep 1
  done
}

fixed() {  # fixed NAME PORT -> sets US
  local name=$1 port=$2 calls=$((FIXED_RATE * FIXED_SECS)) dir=$WORK/${1}_fixed
  US=nan
  start_pair "$name" "$dir" || { stop_pair; return; }
  local t0; t0=$(ticks "${SRV_ALL[@]}")
  read -r ok failed retr cps < <(run_uac "$port" "$FIXED_RATE" "$calls" "$dir/uac")
  # Switchboard writes each call's record on a store thread: count its CPU too, so wait (at most
  # 90 s) until every record is in the database.
  local i n=
  if [ "$name" = switchboard ]; then
    for i in $(seq 90); do n=$(cdrs); [ "$n" -ge "$ok" ] && break; sleep 1; done
    n=" cdrs=$n after ${i}s"
  fi
  local t1; t1=$(ticks "${SRV_ALL[@]}")
  stop_pair
  local hz; hz=$(getconf CLK_TCK)
  US=$(python3 -c "print(round(($t1-$t0)/$hz*1e6/max(1,$ok),1))")
  printf '%-12s fixed %s/s x %ss: ok=%s failed=%s retrans=%s%s server_cpu=%ss -> %s us/call\n' "$name" \
    "$FIXED_RATE" "$FIXED_SECS" "$ok" "$failed" "$retr" "$n" "$(python3 -c "print(round(($t1-$t0)/$hz,2))")" "$US"
}

vm() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }

memory() {  # switchboard only -> sets KIB
  local dir=$WORK/switchboard_hold
  KIB=nan
  start_pair switchboard "$dir" || { stop_pair; return; }
  sleep 1
  local rss0; rss0=$(vm "$SRV_PID" VmRSS)
  local hwm0; hwm0=$(vm "$SRV_PID" VmHWM)
  run_uac "$SB_PORT" "$HOLD_RATE" "$HOLD_CALLS" "$dir/uac" -d "$HOLD_MS" >"$dir/result" &
  local uac=$!; PIDS+=("$uac")
  # Sample while the calls are set up and held, up to the middle of the window in which all
  # HOLD_CALLS are up (from the last call's start, ramp s, to the first call's end, HOLD_MS).
  local ramp=$((HOLD_CALLS / HOLD_RATE)) hold=$((HOLD_MS / 1000))
  local peak=$rss0 i r est t_end=$((SECONDS + ramp + (hold - ramp) / 2 + 1))
  for i in $(seq $(( (ramp + hold) * 4 ))); do
    [ $SECONDS -ge $t_end ] && break
    r=$(vm "$SRV_PID" VmRSS); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.25
  done
  local hwm1; hwm1=$(vm "$SRV_PID" VmHWM)
  est=$(ls "$dir"/uac/*_.csv 2>/dev/null | head -1 | xargs -r python3 -c '
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
h, last = rows[0], rows[-1]
print(last[h.index("CurrentCall")])' 2>/dev/null)
  wait "$uac"; forget "$uac"
  read -r ok failed retr cps <"$dir/result"
  stop_pair
  [ "$hwm1" -gt "$peak" ] 2>/dev/null && peak=$hwm1
  KIB=$(python3 -c "print(round(($peak-$rss0)/max(1,$ok),1))")
  printf 'switchboard  hold %s calls at %s/s for %sms: ok=%s failed=%s concurrent_at_sample=%s VmRSS before=%s KiB, peak=%s KiB (VmHWM %s->%s) -> %s KiB/call\n' \
    "$HOLD_CALLS" "$HOLD_RATE" "$HOLD_MS" "$ok" "$failed" "${est:-?}" "$rss0" "$peak" "$hwm0" "$hwm1" "$KIB"
}

sweep switchboard "$SB_PORT"; SB_CPS=$BEST
sweep kamailio "$KAM_PORT"; KAM_CPS=$BEST
fixed switchboard "$SB_PORT"; SB_US=$US
fixed kamailio "$KAM_PORT"; KAM_US=$US
memory
RATIO=$(python3 -c "print(round($SB_CPS/max(1,$KAM_CPS),2))")
echo "switchboard_cps=$SB_CPS kamailio_cps=$KAM_CPS ratio=$RATIO switchboard_us_per_call=$SB_US kamailio_us_per_call=$KAM_US kib_per_call=$KIB"
