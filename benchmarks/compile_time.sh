#!/usr/bin/env bash
# Compile time of the seed example (one TU, -O2) against a bare Asio
# coroutine echo server on the same machine. Median of N runs each, with
# /usr/bin/time. Target: ratio <= 1.3.
#   benchmarks/compile_time.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cxx=${CXX:-g++}
flags=(-std=c++20 -O2 -DASIO_NO_DEPRECATED -Iinclude -I/usr/share/include/llhttp)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # measure FILE -> median seconds of compile-only runs
    local file=$1 times=()
    for _ in $(seq "$runs"); do
        /usr/bin/time -f %e -o "$out/t" "$cxx" "${flags[@]}" -c "$file" -o "$out/o.o"
        times+=("$(cat "$out/t")")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

base=$(measure benchmarks/compile/asio_echo.cpp)
seed=$(measure examples/event_toggle.cpp)
ratio=$(awk -v a="$seed" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
echo "compiler: $("$cxx" --version | head -n1)"
echo "asio echo server:  ${base} s"
echo "seed example:      ${seed} s"
echo "ratio:             ${ratio} (target <= 1.30)"
