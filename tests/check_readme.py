#!/usr/bin/env python3
"""The README's in-process test example is tests/app/readme_testing.cpp,
which the suite compiles and runs: the two must not drift apart.

usage: check_readme.py SOURCE_ROOT"""
import os
import sys

root = sys.argv[1]
readme = open(os.path.join(root, "README.md")).read()
example = open(os.path.join(root, "tests", "app", "readme_testing.cpp")).read()
if "```cpp\n" + example + "```" not in readme:
    print("README.md no longer shows tests/app/readme_testing.cpp as it is")
    sys.exit(1)
print("README.md shows tests/app/readme_testing.cpp as it is")
