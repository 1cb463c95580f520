#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# HTTP API throughput and tail latency: switchboard's GET queue statistics (authenticated with
# the demo API key, answered on the voice shard) vs nginx (Debian package, one worker) serving
# the same JSON body from a file, both on loopback, both driven by
# `wrk -t2 -c1000 -d${SECS}s --latency` in the same run (see
# ../shared/reference/anchors_measured_here.md P4: nginx 1 worker ≈ 58k req/s, p99 ≈ 25 ms).
# Last line: switchboard_rps=<n> nginx_rps=<n> ratio=<r> p99_ms=<x> nginx_p99_ms=<y>
# SB_BINARY=/path/to/switchboard skips the Release build. Every process started here is
# stopped by PID (trap); every run is bounded by `timeout`.
set -u
# Free loopback ports unless given (another server may hold any fixed port).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
SECS=${SECS:-10}
CONNS=${CONNS:-1000}
SB_HTTP=${SB_HTTP:-$(free_port)}
SB_SIP=${SB_SIP:-$(free_port)}
NGINX_PORT=${NGINX_PORT:-$(free_port)}
WORK=$(mktemp -d /tmp/sb-bench-api.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as nobody/www-data and must read www/
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -z "${SB_BINARY:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-Wno-restrict \
    >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
  cmake --build "$BUILD" -j2 --target switchboard >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log"; exit 1; }
  SB_BINARY=$BUILD/src/app/switchboard
fi

# The demo configuration on our own ports and a temp data dir.
sed -e "s#data_dir: ./var/demo#data_dir: $WORK/var#" -e "s/port: 5060/port: $SB_SIP/" \
  -e "s/  port: 8080/  port: $SB_HTTP/" -e "s/log_level: info/log_level: warn/" \
  "$ROOT/examples/demo.yaml" >"$WORK/demo.yaml"
"$SB_BINARY" serve --config "$WORK/demo.yaml" >"$WORK/sb.log" 2>&1 &
SB_PID=$!; PIDS+=("$SB_PID")
for _ in $(seq 100); do grep -q "HTTP listening" "$WORK/sb.log" && break; sleep 0.1; done
grep -q "HTTP listening" "$WORK/sb.log" || { cat "$WORK/sb.log"; exit 1; }

PATH_Q=/api/v1/tenants/demo/queues/support/stats
AUTH="Authorization: Bearer sb_demo_admin_key"
mkdir -p "$WORK/www/api/v1/tenants/demo/queues/support" "$WORK/tmp" "$WORK/logs"
curl -sf -H "$AUTH" "http://127.0.0.1:$SB_HTTP$PATH_Q" >"$WORK/www$PATH_Q" ||
  { echo "switchboard did not answer $PATH_Q"; exit 1; }
echo "body: $(wc -c <"$WORK/www$PATH_Q") bytes: $(cat "$WORK/www$PATH_Q")"

cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; use epoll; }
http {
  default_type application/json;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    root $WORK/www;
    location / { }
  }
}
NGINX
nginx -p "$WORK" -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
NG_PID=$!; PIDS+=("$NG_PID")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGINX_PORT$PATH_Q" >/dev/null && break; sleep 0.1; done

ticks() { [ -r /proc/$1/stat ] && awk '{print $14+$15}' /proc/$1/stat || echo 0; }

BAD=()  # why a figure is not a clean measurement
run_wrk() {  # name url extra-header-args...; prints "rps p99_ms"
  local name=$1 url=$2; shift 2
  timeout $((SECS + 30)) wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$@" "$url" >"$WORK/wrk.$name" 2>&1
  cat "$WORK/wrk.$name" >&2
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.$name")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' "$WORK/wrk.$name")
  echo "${rps:-0} ${p99:-0}"
}
# wrk leaves requests slower than its 2 s timeout out of the latency histogram, and counts
# error answers as requests: either makes rps/p99 flattering, so the run is flagged.
check_wrk() {  # name
  local f="$WORK/wrk.$1" n
  n=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
  [ -n "$n" ] && BAD+=("$1: $n non-2xx responses")
  n=$(awk '/Socket errors:/ {gsub(",",""); print $4+$6+$8+$10}' "$f")
  [ -n "$n" ] && [ "$n" -gt 0 ] && BAD+=("$1: socket errors/timeouts: $(grep 'Socket errors' "$f")")
  grep -q '^Requests/sec:' "$f" || BAD+=("$1: wrk did not finish")
}

echo "== switchboard $PATH_Q" >&2
t0=$(ticks "$SB_PID")
read -r SB_RPS SB_P99 < <(run_wrk sb "http://127.0.0.1:$SB_HTTP$PATH_Q" -H "$AUTH")
t1=$(ticks "$SB_PID")
echo "== nginx (1 worker) same body" >&2
read -r NG_RPS NG_P99 < <(run_wrk nginx "http://127.0.0.1:$NGINX_PORT$PATH_Q")
check_wrk sb
check_wrk nginx
HZ=$(getconf CLK_TCK)
echo "switchboard CPU: $(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}') s over ${SECS} s"
RATIO=$(awk -v a="$SB_RPS" -v b="$NG_RPS" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print 0 }')
for b in "${BAD[@]:-}"; do [ -n "$b" ] && echo "NOT CLEAN: $b"; done
printf 'switchboard_rps=%.0f nginx_rps=%.0f ratio=%s p99_ms=%s nginx_p99_ms=%s\n' \
  "$SB_RPS" "$NG_RPS" "$RATIO" "$SB_P99" "$NG_P99"
[ ${#BAD[@]} -eq 0 ]
