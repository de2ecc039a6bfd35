#!/usr/bin/env python3
"""The documentation's C++ programs compile, and the ones that are files of
the repository are shown as they are.

README.md, CONTRIBUTING.md and docs/ show two programs that are files the
suite builds and runs (tests/app/readme_testing.cpp and
examples/websocket_chat.cpp): each must appear, whole and unchanged, in
some page. Every other block that is a whole program (it defines main) is
compiled alone with the build's compiler and flags (-fsyntax-only).
Fragments (a few lines of a handler or of main) are not compiled.

usage: check_docs.py SOURCE_ROOT COMPILER [ARGS...]"""
import glob
import os
import re
import subprocess
import sys
import tempfile

SHOWN_FILES = (("tests", "app", "readme_testing.cpp"), ("examples", "websocket_chat.cpp"))


def pages(root):
    paths = [os.path.join(root, "README.md"), os.path.join(root, "CONTRIBUTING.md")]
    paths += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    return {os.path.relpath(p, root): open(p).read() for p in paths if os.path.exists(p)}


def cpp_blocks(text):
    return re.findall(r"^```cpp\n(.*?)^```", text, flags=re.S | re.M)


def main():
    root, compiler = sys.argv[1], sys.argv[2:]
    docs = pages(root)
    failed = False
    shown = set()
    for path in SHOWN_FILES:
        name = "/".join(path)
        example = open(os.path.join(root, *path)).read()
        where = [page for page, text in docs.items() if example in cpp_blocks(text)]
        shown.add(example)
        if where:
            print(f"{where[0]} shows {name} as it is")
        else:
            print(f"no page shows {name} as it is any more")
            failed = True
    programs = [(page, block) for page, text in docs.items() for block in cpp_blocks(text)
                if re.search(r"^int main\(", block, re.M) and block not in shown]
    with tempfile.TemporaryDirectory() as work:
        for n, (page, block) in enumerate(programs):
            source = os.path.join(work, f"program{n}.cpp")
            with open(source, "w") as f:
                f.write(block)
            run = subprocess.run(compiler + ["-fsyntax-only", source], capture_output=True, text=True)
            first = block.splitlines()[0]
            if run.returncode == 0:
                print(f"{page}: the program beginning `{first}` compiles")
            else:
                print(f"{page}: the program beginning `{first}` does not compile:\n{run.stderr[-3000:]}")
                failed = True
    if not programs:
        print("no whole program found in the documentation")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
