#!/usr/bin/env python3
"""The seed's page scaled out: two instances of examples/event_toggle with
--redis behind Debian's nginx and a real redis-server started here on a
free port. A click on one instance changes the page on the other, through
nginx too; Redis stopped while serving (both keep serving, a change made
meanwhile reaches the other once Redis is back, empty); a burst of clicks on
both converges; Redis down at startup exits 3 naming the address.

usage: test_redis_e2e.py EVENT_TOGGLE
"""
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from e2e_support import check, free_port, start_redis, summary
from test_behind_nginx import NGINX, NGINX_CONF, wait_listening


class Instance:
    """An event_toggle process; its log goes to a file read by log()."""

    def __init__(self, binary, workdir, name, redis_url):
        self.port = free_port()
        self.log_path = os.path.join(workdir, name + ".log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--redis", redis_url],
                                     stdout=subprocess.DEVNULL, stderr=self.log_file)
        wait_listening(self.port, self.proc)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log_file.close()
        return self.proc.returncode


def request(port, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, "/" if method == "GET" else "/change_event", body=body)
        res = conn.getresponse()
        return res.status, res.read().decode()
    finally:
        conn.close()


def shows_set(port):
    """The page of a set event offers to clear it."""
    status, page = request(port)
    return status == 200 and ">Clear</button>" in page


def click(port, set_it):
    status, _ = request(port, "POST", "True" if set_it else "False")
    return status == 204


def eventually(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def across_nginx(a, b, front):
    check(click(a.port, True), "POST True on instance A")
    check(eventually(lambda: shows_set(b.port)), "B's page shows A's set")
    check(all(shows_set(front) for _ in range(6)), "every page through nginx shows it set")
    check(click(front, False), "POST False through nginx")
    check(eventually(lambda: not shows_set(a.port) and not shows_set(b.port)),
          "both instances show the clear made through nginx")


def redis_outage(a, b, redis_proc, redis_port):
    check(click(b.port, True), "POST True on B")
    check(eventually(lambda: shows_set(a.port)), "A shows B's set")
    redis_proc.send_signal(signal.SIGTERM)
    redis_proc.wait(timeout=10)
    check(eventually(lambda: "connection lost" in a.log() and "connection lost" in b.log()),
          "both instances log the lost connection")
    check(shows_set(a.port) and shows_set(b.port), "both keep serving their state without Redis")
    check(click(a.port, False), "POST False on A while Redis is down")
    check(not shows_set(a.port) and shows_set(b.port), "the change is local while Redis is down")
    time.sleep(3)  # long enough for the reconnect delays to reach their maximum
    redis_proc, _ = start_redis(redis_port)  # back, and empty
    started = time.monotonic()
    check(eventually(lambda: not shows_set(b.port)), "A's offline change reaches B once Redis is back")
    print(f"offline change reached B {time.monotonic() - started:.2f} s after Redis came back")
    check("writing the change made while Redis was unreachable: clear" in a.log(),
          "A logs the change it writes on reconnect")
    check(eventually(lambda: "reconnected after" in b.log()), "B logs its reconnection")
    return redis_proc


def burst(a, b):
    def clicker(port, seed):
        rng = random.Random(seed)
        for _ in range(40):
            click(port, rng.random() < 0.5)

    threads = [threading.Thread(target=clicker, args=(p, n))
               for n, p in enumerate([a.port, b.port, a.port, b.port])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    quiet = time.monotonic()
    check(eventually(lambda: shows_set(a.port) == shows_set(b.port)),
          "after a burst of clicks on both, both show the same state")
    print(f"converged {time.monotonic() - quiet:.3f} s after the burst")


def down_at_startup(binary):
    port = free_port()
    started = time.monotonic()
    proc = subprocess.run([binary, "--port", str(free_port()), "--redis",
                           f"redis://127.0.0.1:{port}"], capture_output=True, text=True, timeout=30)
    took = time.monotonic() - started
    check(proc.returncode == 3, f"Redis down at startup: exit 3 (got {proc.returncode})")
    check(f"127.0.0.1:{port}" in proc.stderr, f"the message names the address ({proc.stderr!r})")
    check(took < 10, f"it gives up within 10 s ({took:.1f} s)")


def main():
    binary = sys.argv[1]
    workdir = tempfile.mkdtemp(prefix="bareasio-redis-")
    redis_proc, redis_port = start_redis()
    url = f"redis://127.0.0.1:{redis_port}"
    a = Instance(binary, workdir, "a", url)
    b = Instance(binary, workdir, "b", url)
    front = free_port()
    with open(os.path.join(workdir, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(dir=workdir, a=a.port, b=b.port, port=front))
    nginx = subprocess.Popen([NGINX, "-e", os.path.join(workdir, "error.log"), "-p", workdir,
                              "-c", os.path.join(workdir, "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(front, nginx)
        across_nginx(a, b, front)
        redis_proc = redis_outage(a, b, redis_proc, redis_port)
        burst(a, b)
        down_at_startup(binary)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        codes = [a.stop(), b.stop()]
        check(codes == [0, 0], f"both instances stop cleanly on SIGTERM ({codes})")
        print("--- instance A's log:\n" + a.log() + "--- instance B's log:\n" + b.log())
        redis_proc.send_signal(signal.SIGTERM)
        redis_proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
