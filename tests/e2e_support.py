"""What the Python end-to-end tests share: a tally of checks and a free
loopback port."""
import socket
import sys

FAILURES = []
PASSED = 0


def check(condition, what):
    """Counts a check; a failed one is printed at once and remembered."""
    global PASSED
    if condition:
        PASSED += 1
    else:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)


def summary():
    """Prints the tally and returns the exit code."""
    print(f"{PASSED} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
