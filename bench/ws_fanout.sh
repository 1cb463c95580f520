#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# WebSocket fan-out: CLIENTS (default 10,000) event-stream subscribers on loopback, one agent
# state change over the HTTP API, time until each subscriber has the agent.state event
# (bench/ws_fanout_client.cpp; one client process, one thread). Target: p99 < 50 ms.
# Last line: clients=<n> p99_ms=<x>
# SB_BINARY / CLIENT_BINARY skip the Release build. Every process started here is stopped by
# PID (trap); the run is bounded by `timeout`.
set -u
# Free loopback ports unless given (another server may hold any fixed port).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
CLIENTS=${CLIENTS:-10000}
SB_HTTP=${SB_HTTP:-$(free_port)}
SB_SIP=${SB_SIP:-$(free_port)}
WORK=$(mktemp -d /tmp/sb-bench-ws.XXXXXX)
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

# Both the server and the client hold one descriptor per connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((CLIENTS + 1000)) ] || { echo "ulimit -n $(ulimit -n) is too low"; exit 1; }

if [ -z "${SB_BINARY:-}" ] || [ -z "${CLIENT_BINARY:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-Wno-restrict \
    >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
  cmake --build "$BUILD" -j2 --target switchboard ws_fanout_client >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log"; exit 1; }
  SB_BINARY=$BUILD/src/app/switchboard
  CLIENT_BINARY=$BUILD/bench/ws_fanout_client
fi

sed -e "s#data_dir: ./var/demo#data_dir: $WORK/var#" -e "s/port: 5060/port: $SB_SIP/" \
  -e "s/  port: 8080/  port: $SB_HTTP/" -e "s/log_level: info/log_level: warn/" \
  "$ROOT/examples/demo.yaml" >"$WORK/demo.yaml"
"$SB_BINARY" serve --config "$WORK/demo.yaml" >"$WORK/sb.log" 2>&1 &
SB_PID=$!; PIDS+=("$SB_PID")
for _ in $(seq 100); do grep -q "HTTP listening" "$WORK/sb.log" && break; sleep 0.1; done
grep -q "HTTP listening" "$WORK/sb.log" || { cat "$WORK/sb.log"; exit 1; }

SERVER_PID=$SB_PID timeout 300 "$CLIENT_BINARY" 127.0.0.1 "$SB_HTTP" sb_demo_admin_key "$CLIENTS" demo bob \
  >"$WORK/client.out" 2>&1 &
CL_PID=$!; PIDS+=("$CL_PID")
wait "$CL_PID"; rc=$?
grep -v '^clients=' "$WORK/client.out"
echo "server RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$SB_PID/status 2>/dev/null)"
[ $rc -eq 0 ] || echo "client exited with $rc (see $WORK)"
grep '^clients=' "$WORK/client.out" || echo "clients=0 p99_ms=nan"
