#!/usr/bin/env python3
"""Every public header compiles on its own: each is included alone in an
otherwise empty translation unit and compiled (at -O0, to an object file
that is thrown away, so that ccache, when the build uses it, remembers the
result: -fsyntax-only is not cached).

usage: check_headers.py INCLUDE_DIR GROUP COMPILER [ARGS...]
       check_headers.py --groups INCLUDE_DIR
GROUP is a folder under include/bareasio (its headers, sub-folders
included), or "top" for the headers directly in include/bareasio. The
suite runs one test per group, so meson spreads them over the cores and
each has a bound of its own; within a test the headers are compiled one
after another."""
import hashlib
import pathlib
import subprocess
import sys
import tempfile

# Where the one-line translation units are written: the same path on every
# run (ccache hashes it), one file per header.
WORK = pathlib.Path(tempfile.gettempdir()) / "bareasio-check-headers"


def check(compiler, include, header):
    # A folder per compiler command, so two builds never share a file.
    work = WORK / hashlib.sha1(" ".join(compiler).encode()).hexdigest()[:12]
    work.mkdir(parents=True, exist_ok=True)
    source = work / (header.replace("/", "_") + ".cpp")
    source.write_text(f"#include <{header}>\n")
    proc = subprocess.run([*compiler, "-std=c++20", "-O0", "-c", "-Wall", "-Wextra",
                           f"-I{include}", str(source), "-o", str(source.with_suffix(".o"))],
                          capture_output=True, text=True)
    source.with_suffix(".o").unlink(missing_ok=True)
    return header, proc.returncode, proc.stderr


def groups(include):
    """The groups, one per line: "top" and each folder with headers."""
    root = include / "bareasio"
    names = ["top"] + sorted(d.name for d in root.iterdir()
                             if d.is_dir() and any(d.rglob("*.hpp")))
    print("\n".join(names))
    return 0


def main():
    if sys.argv[1] == "--groups":
        return groups(pathlib.Path(sys.argv[2]).resolve())
    include = pathlib.Path(sys.argv[1]).resolve()
    group = sys.argv[2]
    compiler = sys.argv[3:]
    root = include / "bareasio"
    found = root.glob("*.hpp") if group == "top" else (root / group).rglob("*.hpp")
    headers = sorted(str(p.relative_to(include)) for p in found)
    if not headers:
        print(f"no headers in group {group}")
        return 1
    failed = 0
    for header in headers:
        header, rc, err = check(compiler, include, header)
        if rc != 0 or err.strip():
            failed += 1
            print(f"FAIL {header}\n{err}")
        else:
            print(f"ok   {header}")
    print(f"{len(headers) - failed} of {len(headers)} headers compile alone")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
