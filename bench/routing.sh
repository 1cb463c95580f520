#!/usr/bin/env bash
# Builds bench_routing in Release (build-bench) and runs it. The last line printed is
#   decisions_per_s=<n> p99_us=<x> bytes_per_waiting=<n>
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSB_BENCH=ON -DSB_MODULES= >/dev/null
cmake --build build-bench -j2 --target bench_routing >/dev/null
out=$(./build-bench/bench/bench_routing --benchmark_min_time=2 2>&1)
printf '%s\n' "$out" | grep -v '^decisions_per_s=' || true
printf '%s\n' "$out" | grep '^decisions_per_s=' | tail -n 1
