#!/usr/bin/env python3
"""The README's in-process test example is tests/app/readme_testing.cpp,
which the suite compiles and runs, and its chat room is
examples/websocket_chat.cpp, which the examples test drives: neither may
drift from the README.

usage: check_readme.py SOURCE_ROOT"""
import os
import sys

root = sys.argv[1]
readme = open(os.path.join(root, "README.md")).read()
failed = False
for path in (("tests", "app", "readme_testing.cpp"), ("examples", "websocket_chat.cpp")):
    example = open(os.path.join(root, *path)).read()
    name = "/".join(path)
    if "```cpp\n" + example + "```" not in readme:
        print(f"README.md no longer shows {name} as it is")
        failed = True
    else:
        print(f"README.md shows {name} as it is")
sys.exit(1 if failed else 0)
