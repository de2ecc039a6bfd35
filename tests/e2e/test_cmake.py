#!/usr/bin/env python3
"""bareasio for CMake users: `meson install` into a staging folder, then a
CMake project (tests/cmake) finds it with find_package(bareasio), builds the
seed's page against bareasio::redis_separate and bareasio::tls_separate and
a file of handlers against bareasio::bareasio, and both run.

usage: test_cmake.py SOURCE_ROOT BUILD_ROOT"""
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from e2e_support import check, start_example, summary


def install(build, stage):
    """meson install into `stage`; the folder holding bareasioConfig.cmake."""
    run = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                          "--destdir", stage], capture_output=True, text=True)
    check(run.returncode == 0, f"meson install --destdir ({run.stdout[-1500:]}{run.stderr[-1500:]})")
    for folder, _, files in os.walk(stage):
        if "bareasioConfig.cmake" in files:
            return folder
    check(False, "meson install writes bareasioConfig.cmake")
    return None


def cmake_build(source, config_dir, work):
    """Configures and builds tests/cmake; True when both programs link."""
    out = os.path.join(work, "cmake-build")
    configure = ["cmake", "-S", os.path.join(source, "tests", "cmake"), "-B", out,
                 "-DCMAKE_BUILD_TYPE=Release", f"-Dbareasio_DIR={config_dir}",
                 f"-DSEED_SOURCE={os.path.join(source, 'examples', 'event_toggle.cpp')}"]
    if shutil.which("ccache"):
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    run = subprocess.run(configure, capture_output=True, text=True)
    check(run.returncode == 0, f"cmake finds bareasio ({run.stdout[-1500:]}{run.stderr[-1500:]})")
    if run.returncode != 0:
        return None
    run = subprocess.run(["cmake", "--build", out, "-j", "2"], capture_output=True, text=True)
    check(run.returncode == 0, f"the CMake project builds ({run.stdout[-3000:]}{run.stderr[-1500:]})")
    return out if run.returncode == 0 else None


def run_seed(binary):
    """The seed's page serves GET / and stops cleanly on SIGTERM."""
    proc, port = start_example(binary)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        res = conn.getresponse()
        body = res.read().decode()
        check(res.status == 200 and "<html" in body.lower(),
              f"the seed built with CMake serves its page ({res.status})")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    check(proc.returncode == 0, f"the seed built with CMake exits 0 on SIGTERM ({proc.returncode})")


def main():
    source, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as work:
        config_dir = install(build, os.path.join(work, "stage"))
        out = cmake_build(source, config_dir, work) if config_dir else None
        if out:
            run_seed(os.path.join(out, "seed"))
            handlers = subprocess.run([os.path.join(out, "handlers")], capture_output=True,
                                      text=True, timeout=60)
            check(handlers.returncode == 0,
                  f"header-only through bareasio::bareasio runs ({handlers.stdout}{handlers.stderr})")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
