#!/usr/bin/env bash
# Streaming memory: 1 GiB uploaded through a streaming reader, and 1 GiB
# downloaded by a slow reader (50 MB/s), through bench_server; reports the
# server's peak RSS (VmHWM) after each. Builds what it needs.
#     benchmarks/streaming.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
[ -f build-bench/build.ninja ] || ./dev.sh bench-micro --benchmark_filter=none >/dev/null
ninja -C build-bench benchmarks/bench_server >/dev/null
port=18081
taskset -c 0 build-bench/benchmarks/bench_server --port $port 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/plaintext" && break; sleep 0.05; done
hwm() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
echo "server peak RSS at start: $(hwm) KiB"
start=$(date +%s.%N)
got=$(head -c 1073741824 /dev/zero | taskset -c 1 curl -s -T - -H 'Content-Type: application/octet-stream' \
      -X POST "http://127.0.0.1:$port/upload")
end=$(date +%s.%N)
echo "upload: server counted $got bytes in $(awk "BEGIN {printf \"%.1f\", $end - $start}") s; peak RSS $(hwm) KiB"
start=$(date +%s.%N)
size=$(taskset -c 1 curl -s --limit-rate 50M -o /dev/null -w '%{size_download}' \
       "http://127.0.0.1:$port/download?bytes=1073741824")
end=$(date +%s.%N)
echo "slow download: client got $size bytes in $(awk "BEGIN {printf \"%.1f\", $end - $start}") s; peak RSS $(hwm) KiB"
