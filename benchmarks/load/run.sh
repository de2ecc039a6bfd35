#!/usr/bin/env bash
# One command for the load benchmarks: installs the peers from Debian,
# builds bareasio's bench_server and the C++ peers (release), runs every
# scenario against every peer, alternating, and writes
# benchmarks/load/last-run.md (+ .json) and benchmarks/load/chart.svg.
#     benchmarks/load/run.sh [--reps 3] [--seconds 5] [--scenarios plaintext,json]
set -euo pipefail
cd "$(dirname "$0")/../.."
need=(wrk nginx-light nodejs python3-uvicorn python3-httptools libboost-dev gnuplot-nox libbenchmark-dev)
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release -Dbenchmarks=true -Dtests=false -Dexamples=false
ninja -C build-bench benchmarks/bench_server benchmarks/beast_server benchmarks/asio_fixed
ulimit -n "$(ulimit -Hn)" || true
python3 benchmarks/load/run.py build-bench "$@"
python3 benchmarks/load/chart.py benchmarks/load/last-run.json benchmarks/load/chart.svg
