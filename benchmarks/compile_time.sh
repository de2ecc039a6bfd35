#!/usr/bin/env bash
# Compile time of the seed example (one TU, -O2) against a bare Asio
# coroutine echo server on the same machine. Median of N runs each, with
# /usr/bin/time. Target: ratio <= 1.3. Measured twice: header-only, and
# against the separately compiled library (BAREASIO_SEPARATE_COMPILATION).
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
# The same file against the separately compiled library (meson's
# bareasio_separate_dep): the server's code and Asio's are in the library,
# built once (timed below), not in the program's translation unit.
flags+=(-DASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=4 -DBAREASIO_SEPARATE_COMPILATION -DASIO_SEPARATE_COMPILATION)
separate=$(measure examples/event_toggle.cpp)
library=$(measure src/bareasio.cpp)
# For fairness, the echo server in Asio's own separate-compilation mode too.
base_separate=$(measure benchmarks/compile/asio_echo.cpp)
ratio=$(awk -v a="$seed" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
ratio_separate=$(awk -v a="$separate" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
echo "compiler: $("$cxx" --version | head -n1)"
echo "asio echo server:                  ${base} s"
echo "seed example, header-only:         ${seed} s   ratio ${ratio} (target <= 1.30)"
echo "seed example, separate compilation: ${separate} s   ratio ${ratio_separate} (target <= 1.30)"
echo "the library, once (src/bareasio.cpp): ${library} s"
echo "asio echo server, ASIO_SEPARATE_COMPILATION: ${base_separate} s   seed separate / this: $(awk -v a="$separate" -v b="$base_separate" 'BEGIN { printf "%.2f", a / b }')"
