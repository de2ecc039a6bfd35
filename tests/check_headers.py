#!/usr/bin/env python3
"""Every public header compiles on its own: each is included alone in an
otherwise empty translation unit and compiled with -fsyntax-only.

usage: check_headers.py INCLUDE_DIR COMPILER [ARGS...]"""
import concurrent.futures
import os
import pathlib
import subprocess
import sys


def check(compiler, include, header):
    source = f"#include <{header}>\n"
    proc = subprocess.run([*compiler, "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra",
                           f"-I{include}", "-x", "c++", "-"],
                          input=source, capture_output=True, text=True)
    return header, proc.returncode, proc.stderr


def main():
    include = pathlib.Path(sys.argv[1]).resolve()
    compiler = sys.argv[2:]
    headers = sorted(str(p.relative_to(include)) for p in include.rglob("*.hpp"))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for header, rc, err in pool.map(lambda h: check(compiler, include, h), headers):
            if rc != 0 or err.strip():
                failed += 1
                print(f"FAIL {header}\n{err}")
            else:
                print(f"ok   {header}")
    print(f"{len(headers) - failed} of {len(headers)} headers compile alone")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
