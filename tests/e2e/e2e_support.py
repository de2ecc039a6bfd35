"""What the Python end-to-end tests share: a tally of checks, a free
loopback port, an example or redis-server started on one, and a test
certificate."""
import signal
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


class RedisPair:
    """Two instances of an example sharing a redis-server started on a free
    port (`--redis URL`): `a`, `b` (processes), `port_a`, `port_b`, and
    restart_redis() (stopped and started again, empty, on the same port).
    As a context manager it stops both with SIGTERM, then Redis; `exits`
    holds each instance's (return code, stderr)."""

    def __init__(self, binary):
        self.redis, self.redis_port = start_redis()
        url = f"redis://127.0.0.1:{self.redis_port}"
        self.a, self.port_a = start_example(binary, "--redis", url)
        self.b, self.port_b = start_example(binary, "--redis", url)
        self.exits = []

    def restart_redis(self):
        self.redis.terminate()
        self.redis.wait()
        self.redis, _ = start_redis(self.redis_port)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        for proc in (self.a, self.b):
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
            self.exits.append((proc.returncode, err))
        self.redis.terminate()
        self.redis.wait()
        return False


class Postgres:
    """A throw-away PostgreSQL cluster (Debian's postgresql-15): initdb in a
    temporary folder, as the postgres user when the tests run as root
    (initdb refuses root), password authentication over TCP on a free
    loopback port. stop() and start() keep the data; remove() ends it all."""
    BIN = "/usr/lib/postgresql/15/bin"
    USER, PASSWORD = "bareasio", "test-secret"

    def __init__(self):
        import os
        import pwd
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="bareasio-pg-")
        self.port = free_port()
        self.proc = None
        self.demote = None
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)

            def demote():
                os.setgid(pg.pw_gid)
                os.setuid(pg.pw_uid)
            self.demote = demote
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.PASSWORD + "\n")
        if self.demote:
            os.chown(pwfile, pg.pw_uid, pg.pw_gid)
        subprocess.run([f"{self.BIN}/initdb", "-D", f"{self.dir}/data", "-U", self.USER,
                        "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True, preexec_fn=self.demote)
        self.start()

    @property
    def url(self):
        return f"postgresql://{self.USER}:{self.PASSWORD}@127.0.0.1:{self.port}/postgres"

    def start(self):
        self.proc = subprocess.Popen(
            [f"{self.BIN}/postgres", "-D", f"{self.dir}/data", "-p", str(self.port),
             "-k", self.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "max_connections=300"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=self.demote)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.psql("SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("postgres did not start (Debian: apt-get install postgresql-15)")

    def psql(self, sql=None, file=None, check=True):
        args = ["psql", self.url, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t"]
        args += ["-f", file] if file else ["-c", sql]
        return subprocess.run(args, capture_output=True, text=True, check=check)

    def stop(self):
        if self.proc:
            self.proc.send_signal(2)  # SIGINT: fast shutdown
            self.proc.wait(timeout=30)
            self.proc = None

    def remove(self):
        import shutil
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
