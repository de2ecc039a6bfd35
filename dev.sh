#!/usr/bin/env bash
# One entry point for people and CI. Each command installs the Debian
# packages it needs (only those missing), builds, and runs:
#   ./dev.sh example [--port N]   the seed's event page on http://127.0.0.1:9009
#   ./dev.sh test                 the whole test suite (meson test)
#   ./dev.sh test-asan            the unit and cross-thread suites under -fsanitize=address,undefined
#   ./dev.sh test-tsan            the cross-thread suites under -fsanitize=thread
#   ./dev.sh test-clang           the unit and cross-thread suites built with clang (Debian's clang 14)
#   ./dev.sh browser              the seed's page and its live WebSocket page clicked through
#                                 in headless Chromium; the npm ws client against websocket_echo
#   ./dev.sh bench-micro          the primitives' micro-benchmarks (release build)
#   ./dev.sh fuzz [SECONDS]       the connection's libFuzzer target (clang), 60 s by default
#   ./dev.sh format [--fix]       checks (or fixes) the tree against .clang-format (clang-format 14)
set -euo pipefail
cd "$(dirname "$0")"

# libhiredis-dev, libssl-dev: the seed's example shares its event through
# Redis (--redis) and serves HTTPS (--tls-cert, --tls-key); libpq-dev: the
# PostgreSQL module (pg::pool) and the TechEmpower example; libnghttp2-dev:
# HTTP/2 (h2::serve, which the seed's page uses).
packages=(meson ninja-build g++ pkg-config python3 libasio-dev node-llhttp nlohmann-json3-dev doctest-dev
          zlib1g-dev libhiredis-dev libssl-dev libpq-dev libnghttp2-dev ccache)
# The tests also drive the examples with curl, behind Debian's nginx, with
# the WebSocket clients of python3-websockets and python3-wsproto, and
# against a real redis-server each test starts on a free port; HTTPS with
# certificates made by openssl, checked by testssl.sh; PostgreSQL clusters
# the tests make and remove (postgresql-15); a CMake project built against
# the installed bareasio (cmake).
test_packages=(nginx-light curl python3-websockets python3-wsproto redis-server openssl testssl.sh
               postgresql-15 cmake nghttp2-client python3-h2)

install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# ccache (meson uses it when installed): objects are found again from any
# clone of the repository (CI builds a fresh one in another folder), as
# paths below it are hashed relative to it and the build folder is not.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

# meson adds ccache to the compilers it finds, not to one named in CC/CXX:
# clang is named, so it is named with ccache in front.
clang_setup() { # clang_setup DIR [meson options...]
    local cache=""
    command -v ccache >/dev/null && cache="ccache "
    CC="${cache}clang" CXX="${cache}clang++" meson setup "$@"
}

# The executables of the tests in the given suites (the headers check is
# a script), so a build for some suites compiles only what they run.
suite_targets() { # suite_targets DIR SUITE... -> the targets to build
    local dir=$1
    shift
    meson introspect "$dir" --tests | python3 -c '
import json, os, sys
wanted, build = set(sys.argv[2:]), os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin):
    suites = {s.split(":")[-1] for s in t["suite"]}
    if wanted & suites and "headers" not in suites and t["cmd"][0].startswith(build + "/"):
        print(os.path.relpath(t["cmd"][0], build))' "$dir" "$@"
}

test_suites() { # test_suites DIR SUITE...: builds and runs those suites but the headers check
    local dir=$1 suite args=()
    shift
    mapfile -t targets < <(suite_targets "$dir" "$@")
    ninja -C "$dir" "${targets[@]}"
    for suite in "$@"; do args+=(--suite "$suite"); done
    meson test -C "$dir" --no-rebuild --print-errorlogs "${args[@]}" --no-suite headers
}

setup() { # setup DIR [meson options...]
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@"
    fi
}

command=${1:-help}
[ $# -gt 0 ] && shift
case "$command" in
example)
    install_missing "${packages[@]}"
    setup build
    ninja -C build examples/event_toggle
    exec build/examples/event_toggle "$@"
    ;;
test)
    install_missing "${packages[@]}" "${test_packages[@]}"
    setup build
    meson test -C build --print-errorlogs "$@"
    ;;
test-asan)
    install_missing "${packages[@]}" "${test_packages[@]}"
    # The end-to-end suite runs once, in ./dev.sh test; the examples are
    # not built here.
    setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=false --buildtype=debug
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    if [ $# -gt 0 ]; then # ./dev.sh test-asan TEST...: those tests only
        meson test -C build-asan --print-errorlogs "$@"
    else
        test_suites build-asan unit threads
    fi
    ;;
test-tsan)
    install_missing "${packages[@]}" redis-server postgresql-15
    setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dexamples=false --buildtype=debug
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    if [ $# -gt 0 ]; then # ./dev.sh test-tsan TEST...: those tests only
        meson test -C build-tsan --print-errorlogs "$@"
    else
        test_suites build-tsan threads
    fi
    ;;
test-clang)
    # The examples are compiled by clang too; the headers are checked alone
    # with clang; the end-to-end suite runs once, in ./dev.sh test.
    install_missing "${packages[@]}" "${test_packages[@]}" clang
    if [ ! -f build-clang/build.ninja ]; then
        clang_setup build-clang
    fi
    meson test -C build-clang --print-errorlogs --suite unit --suite threads "$@"
    ;;
fuzz)
    # ./dev.sh fuzz [SECONDS]: the connection's libFuzzer target, from the
    # seed corpus in tests/fuzz/corpus (new inputs go to build-fuzz/corpus).
    install_missing "${packages[@]}" clang libclang-rt-14-dev
    if [ ! -f build-fuzz/build.ninja ]; then
        clang_setup build-fuzz -Dfuzz=true -Dtests=false -Dexamples=false
    fi
    ninja -C build-fuzz tests/fuzz/fuzz_connection
    mkdir -p build-fuzz/corpus build-fuzz/artifacts
    build-fuzz/tests/fuzz/fuzz_connection -max_total_time="${1:-60}" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ \
        build-fuzz/corpus tests/fuzz/corpus
    ;;
browser)
    install_missing "${packages[@]}" redis-server
    setup build
    ninja -C build examples/event_toggle examples/websocket_live examples/websocket_echo
    exec tests/browser/run.sh build/examples/event_toggle build/examples/websocket_live \
        build/examples/websocket_echo
    ;;
bench-micro)
    install_missing "${packages[@]}" libbenchmark-dev
    setup build-bench --buildtype=release -Dbenchmarks=true -Dtests=false -Dexamples=false
    ninja -C build-bench benchmarks/bench_async benchmarks/bench_http benchmarks/memory_async
    taskset -c 0 build-bench/benchmarks/bench_async "$@"
    taskset -c 0 build-bench/benchmarks/bench_http "$@"
    for what in event timer timeouts; do taskset -c 0 build-bench/benchmarks/memory_async $what; done
    ;;
format)
    # The tree must be formatted: CI fails on any difference, --fix rewrites.
    install_missing clang-format
    mapfile -t sources < <(git ls-files --cached --others --exclude-standard '*.hpp' '*.cpp' '*.ipp')
    if [ "${1:-}" = --fix ]; then
        clang-format --style=file -i "${sources[@]}"
    else
        clang-format --style=file --dry-run -Werror "${sources[@]}"
    fi
    ;;
*)
    sed -n '2,13p' "$0"
    [ "$command" = help ] || exit 2
    ;;
esac
