"""What the Python end-to-end tests share: a tally of checks, a free
loopback port, an example or redis-server started on one, and a test
certificate."""
import socket
import subprocess
import time
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


def wait_accepting(port, proc, seconds=20):
    """Waits until `port` accepts connections; False if `proc` exited first
    or the time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None:
                return False
            time.sleep(0.02)
    return False


def start_example(binary, *args, env=None):
    """Starts an example on a free port (--port) and waits until it accepts."""
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    if wait_accepting(port, proc):
        return proc, port
    proc.kill()
    out, err = proc.communicate()
    raise RuntimeError(f"{binary} did not start: {out}\n{err}")


def make_certificate(workdir, name="server", cn="localhost", days=2):
    """A self-signed ECDSA certificate for localhost and 127.0.0.1, made
    with Debian's openssl: returns the paths of NAME.pem and NAME.key."""
    cert, key = f"{workdir}/{name}.pem", f"{workdir}/{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", str(days), "-subj", f"/CN={cn}", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def start_redis(port=None):
    """Starts Debian's redis-server on a free loopback port (or `port`) with
    no persistence, so a restart comes back empty; returns (process, port)."""
    port = port or free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--loglevel", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if wait_accepting(port, proc, 10):
        return proc, port
    proc.kill()
    raise RuntimeError("redis-server did not start (Debian: apt-get install redis-server)")
