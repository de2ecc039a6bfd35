#!/usr/bin/env bash
# Compile time of bareasio user code against a bare Asio coroutine echo
# server (benchmarks/compile/asio_echo.cpp, header-only Asio), one
# translation unit each, -O2, compile only, median of N runs, same machine,
# same run. Measured:
#   a file of handlers only (benchmarks/compile/handlers.cpp, <bareasio/app.hpp>)
#   the seed example (examples/event_toggle.cpp, <bareasio/bareasio.hpp>, calls serve(),
#   with its Redis event and tls::serve: their code is in libbareasio_redis
#   and libbareasio_tls)
# each header-only and against the separately compiled library
# (BAREASIO_SEPARATE_COMPILATION, meson's bareasio-separate), plus the
# library itself (built once) and the preprocessed size of the umbrellas.
# Targets (issue 14): handlers <= 1.0x, seed header-only <= 2.0x, seed as
# the README recommends building it (separate) <= 1.0x.
#   benchmarks/compile_time.sh [runs]      (CXX=clang++ for clang)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cxx=${CXX:-g++}
flags=(-std=c++20 -O2 -DASIO_NO_DEPRECATED -DASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=4 -Iinclude)
separate=(-DBAREASIO_SEPARATE_COMPILATION -DASIO_SEPARATE_COMPILATION)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # measure FILE [extra flags...] -> median seconds of compile-only runs
    local file=$1 times=()
    shift
    for _ in $(seq "$runs"); do
        /usr/bin/time -f %e -o "$out/t" "$cxx" "${flags[@]}" "$@" -c "$file" -o "$out/o.o"
        times+=("$(cat "$out/t")")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
lines() { echo "#include <$1>" | "$cxx" "${flags[@]}" -E -x c++ - | wc -l; }

base=$(measure benchmarks/compile/asio_echo.cpp)
handlers=$(measure benchmarks/compile/handlers.cpp)
handlers_separate=$(measure benchmarks/compile/handlers.cpp "${separate[@]}")
seed=$(measure examples/event_toggle.cpp)
seed_separate=$(measure examples/event_toggle.cpp "${separate[@]}")
library=$(measure src/bareasio.cpp "${separate[@]}")
redis_library=$(measure src/redis.cpp "${separate[@]}")
tls_library=$(measure src/tls.cpp "${separate[@]}")
echo "compiler: $("$cxx" --version | head -n1), $runs runs each, median"
printf '%-48s %6s s\n' "asio echo server (the baseline)" "$base"
printf '%-48s %6s s  %sx (target <= 1.0)\n' "handlers file, header-only" "$handlers" "$(ratio "$handlers" "$base")"
printf '%-48s %6s s  %sx (target <= 1.0)\n' "handlers file, separate compilation" "$handlers_separate" "$(ratio "$handlers_separate" "$base")"
printf '%-48s %6s s  %sx (target <= 2.0)\n' "seed example, header-only" "$seed" "$(ratio "$seed" "$base")"
printf '%-48s %6s s  %sx (target <= 1.0)\n' "seed example, separate compilation (README)" "$seed_separate" "$(ratio "$seed_separate" "$base")"
printf '%-48s %6s s  (once per build)\n' "the library (src/bareasio.cpp)" "$library"
printf '%-48s %6s s  (once per build, per mode)\n' "the Redis library (src/redis.cpp)" "$redis_library"
printf '%-48s %6s s  (once per build, per mode)\n' "the TLS library (src/tls.cpp)" "$tls_library"
echo "preprocessed lines (-E | wc -l): <asio.hpp> $(lines asio.hpp), <bareasio/async.hpp> $(lines bareasio/async.hpp), <bareasio/app.hpp> $(lines bareasio/app.hpp), <bareasio/bareasio.hpp> $(lines bareasio/bareasio.hpp)"
