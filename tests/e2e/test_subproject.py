#!/usr/bin/env python3
"""bareasio as a meson subproject of a user's project: both dependencies
build and link (the seed example with its Redis event and HTTP/2,
header-only and separate), none of
bareasio's tests, examples or benchmarks are built or registered, and no
library the user's project does not link is built.

usage: test_subproject.py SOURCE_ROOT"""
import json
import os
import subprocess
import sys
import tempfile

from e2e_support import check, summary

# The seed example shares its event through Redis and serves HTTPS and
# HTTP/2, so it takes the Redis and HTTP/2 dependencies (bareasio's,
# hiredis, libnghttp2, and through HTTP/2's the TLS module and OpenSSL).
USER_PROJECT = """project('user_app', 'cpp', default_options: ['cpp_std=c++20'])
header_only = [dependency('bareasio-redis', fallback: 'bareasio'),
               dependency('bareasio-h2', fallback: 'bareasio')]
separate = [dependency('bareasio-redis-separate', fallback: 'bareasio'),
            dependency('bareasio-h2-separate', fallback: 'bareasio')]
executable('app', 'app.cpp', dependencies: header_only)
executable('app_separate', 'app.cpp', dependencies: separate)
"""


def main():
    source = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "subprojects"))
        os.symlink(source, os.path.join(work, "subprojects", "bareasio"))
        with open(os.path.join(work, "meson.build"), "w") as f:
            f.write(USER_PROJECT)
        with open(os.path.join(source, "examples", "event_toggle.cpp")) as src, \
                open(os.path.join(work, "app.cpp"), "w") as dst:
            dst.write(src.read())
        build = os.path.join(work, "build")
        setup = subprocess.run(["meson", "setup", build, "--wrap-mode=nodownload"], cwd=work,
                               capture_output=True, text=True)
        check(setup.returncode == 0, f"meson setup of a project using bareasio ({setup.stderr[-2000:]})")
        if setup.returncode != 0:
            return summary()
        tests = json.loads(subprocess.run(["meson", "introspect", build, "--tests"],
                                          capture_output=True, text=True).stdout)
        check(tests == [], f"no bareasio tests registered in the user's project ({[t['name'] for t in tests]})")
        targets = json.loads(subprocess.run(["meson", "introspect", build, "--targets"],
                                            capture_output=True, text=True).stdout)
        names = sorted(t["name"] for t in targets)
        check(not any(n.startswith(("test_", "bench", "event_toggle")) for n in names),
              f"no bareasio examples, tests or benchmarks are built ({names})")
        built = subprocess.run(["ninja", "-C", build], capture_output=True, text=True)
        check(built.returncode == 0, f"both dependencies build and link ({built.stdout[-2000:]})")
        # Only what the parent links is built: not the PostgreSQL module it never names.
        archives = sorted(name for _, _, files in os.walk(build) for name in files
                          if name.startswith("libbareasio") and name.endswith(".a"))
        check(archives and not any("_pg" in name for name in archives),
              f"only the libraries the user's project links are built ({archives})")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
