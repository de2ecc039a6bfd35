#!/usr/bin/env python3
"""End-to-end tests of the examples as real processes, driven by Python's
http.client (a client bareasio's authors did not write) and real signals.

usage: test_examples.py EVENT_TOGGLE EVENT_TOGGLE_GLOBAL BACKGROUND_SERVICE [SERVER_SENT_EVENTS
                        [EVENT_TOGGLE_SEPARATE]]
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from e2e_support import check, free_port, start_example as start, summary


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.monotonic()
    conn.request(method, path, body=body)
    res = conn.getresponse()
    data = res.read().decode()
    conn.close()
    return res.status, dict(res.getheaders()), data, time.monotonic() - started


def seed_flow(binary, name, *args):
    proc, port = start(binary, *args)
    try:
        status, headers, page, elapsed = request(port, "GET", "/")
        check(status == 200, f"{name}: GET / is 200")
        check(headers.get("content-type") == "text/html", f"{name}: GET / is text/html")
        check(">Set</button>" in page and "changeEvent('True')" in page, f"{name}: page offers Set")
        check(elapsed >= 0.1, f"{name}: GET with the event clear waits its 100 ms")
        check("fetch('/change_event', { method: 'POST', body: state })" in page,
              f"{name}: the button POSTs to /change_event")
        status, _, _, _ = request(port, "POST", "/change_event", "True")
        check(status == 204, f"{name}: POST True is 204")
        status, _, page, _ = request(port, "GET", "/")
        check(">Clear</button>" in page and "changeEvent('False')" in page, f"{name}: page offers Clear")
        status, _, _, _ = request(port, "POST", "/change_event", "False")
        check(status == 204, f"{name}: POST False is 204")
        _, _, page, _ = request(port, "GET", "/")
        check(">Set</button>" in page, f"{name}: page offers Set again")
        status, _, _, _ = request(port, "GET", "/missing")
        check(status == 404, f"{name}: unknown path is 404")
        status, headers, _, _ = request(port, "PUT", "/")
        check(status == 405 and headers.get("allow") == "GET, HEAD", f"{name}: PUT / is 405 with Allow")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    check(proc.returncode == 0, f"{name}: exits 0 on SIGTERM (got {proc.returncode}; stderr {err!r})")


def port_from_environment(binary):
    port = free_port()
    env = dict(os.environ, PORT=str(port))
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for _ in range(200):
            try:
                status, _, _, _ = request(port, "GET", "/missing")
                check(status == 404, "PORT environment variable chooses the port")
                return
            except OSError:
                time.sleep(0.05)
        check(False, "PORT environment variable chooses the port")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
        check(proc.returncode == 0, "exits 0 on SIGINT")


def background_service(binary):
    proc, port = start(binary)
    time.sleep(1.3)  # at least one tick
    status, _, page, _ = request(port, "GET", "/")
    check(status == 200 and "ticked" in page, "background_service: GET / shows the tick count")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    check(proc.returncode == 0, f"background_service: exits 0 on SIGTERM (got {proc.returncode}; {err!r})")
    lines = [line for line in out.splitlines() if line]
    check(lines[:1] == ["Service started"], f"background_service: starts first ({lines[:2]})")
    check("Service did something" in lines, "background_service: did something")
    check(lines[-2:] == ["Stopping service", "Service stopped"],
          f"background_service: stops last, in order ({lines[-3:]})")


def service_options(binary):
    """An application's own option: listed by --help with its default,
    refused with exit 2 when its value does not parse, and used."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    check(out.returncode == 0 and "--port PORT" in out.stdout and
          "--every MS" in out.stdout and "(default 1000)" in out.stdout,
          f"service_options: --help lists the shared flags and --every ({out.stdout!r})")
    bad = subprocess.run([binary, "--every", "soon"], capture_output=True, text=True, timeout=10)
    check(bad.returncode == 2 and "--every needs MS, not 'soon'" in bad.stderr,
          f"service_options: a bad value exits 2 ({bad.returncode}, {bad.stderr!r})")
    unknown = subprocess.run([binary, "--evry", "5"], capture_output=True, text=True, timeout=10)
    check(unknown.returncode == 2 and "unknown or incomplete option '--evry'" in unknown.stderr,
          f"service_options: an unknown flag still exits 2 ({unknown.stderr!r})")
    proc, port = start(binary, "--every=50")
    time.sleep(1.3)  # about 26 ticks at 50 ms; 1 at the default period
    _, _, page, _ = request(port, "GET", "/")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    ticks = int(page.split("ticked ")[1].split(" ")[0])
    check(ticks >= 3, f"service_options: --every 50 ticks faster than the default ({ticks})")


def second_signal(binary):
    """A second signal during a graceful stop exits at once, 128 + its number."""
    proc, port = start(binary)
    # A request whose head never completes keeps the drain busy (until the
    # 10 s header timeout), so the process is still stopping when the second
    # signal arrives.
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=5)
    slow.close()
    check(proc.returncode == 128 + signal.SIGINT,
          f"second signal: exits at once with 130 (got {proc.returncode}; {err!r})")
    check("second signal, exiting now" in err, "second signal: says so")


def server_sent_events(binary):
    """The event's state is pushed at once and on every change."""
    proc, port = start(binary)
    stream = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    stream.request("GET", "/events")
    res = stream.getresponse()
    check(res.status == 200 and res.getheader("content-type") == "text/event-stream",
          "server_sent_events: GET /events is an event stream")

    def next_event():
        while True:
            line = res.readline().decode()
            if line.startswith("data: "):
                return line[len("data: "):].strip()

    check(next_event() == "clear", "server_sent_events: the state is sent at once")
    for body, expected in (("True", "set"), ("False", "clear"), ("True", "set")):
        status, _, _, _ = request(port, "POST", "/change_event", body)
        check(status == 204 and next_event() == expected,
              f"server_sent_events: POST {body} pushes {expected}")
    stream.close()
    time.sleep(0.6)  # the server notices the hang-up and ends the stream
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=8)
    check(proc.returncode == 0, f"server_sent_events: exits 0 (got {proc.returncode}; {err!r})")
    check("drain deadline" not in err, f"server_sent_events: no stream left to cancel ({err!r})")


def sse_shutdown(binary):
    """SIGTERM with streams open on two loops: each stream watches
    req.stopping() and ends itself at once, cleanly (the last chunk arrives),
    so the drain does not wait for its deadline nor cut a stream."""
    proc, port = start(binary, "--threads", "2")
    streams = []
    for _ in range(4):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/events")
        res = conn.getresponse()
        check(res.readline().decode() == "data: clear\n", "sse_shutdown: a stream is open")
        streams.append((conn, res))
    proc.send_signal(signal.SIGTERM)
    for conn, res in streams:
        try:
            rest = res.read().decode()  # to the last chunk; IncompleteRead if cut
            check(rest == "\n", f"sse_shutdown: the stream ends cleanly ({rest!r})")
        except http.client.IncompleteRead as e:
            check(False, f"sse_shutdown: the stream was cut ({e!r})")
        conn.close()
    out, err = proc.communicate(timeout=30)
    check(proc.returncode == 0, f"sse_shutdown: exits 0 (got {proc.returncode}; {err!r})")
    check("drain deadline" not in err, f"sse_shutdown: no stream left to cancel ({err!r})")


def command_line(binary):
    """--help lists the shared flags; --access-log writes one line per request
    to stderr, with uvicorn's kind of startup and shutdown lines around them."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    check(out.returncode == 0, "--help exits 0")
    for flag in ("--host", "--port", "--threads", "--access-log", "--trusted-proxy"):
        check(flag in out.stdout, f"--help mentions {flag}")
    bad = subprocess.run([binary, "--bogus"], capture_output=True, text=True, timeout=10)
    check(bad.returncode == 2 and "--bogus" in bad.stderr, "an unknown flag exits 2 and names it")

    proc, port = start(binary, "--host", "127.0.0.1", "--threads", "1", "--access-log")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/change_event", body="True", headers={"User-Agent": "examples-test"})
        check(conn.getresponse().status == 204, "access log run: POST is 204")
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    lines = err.splitlines()
    check(proc.returncode == 0, "access log run: exits 0")
    check(any(line == f"bareasio: listening on http://127.0.0.1:{port} (1 thread)" for line in lines),
          f"startup line names the address and threads ({lines[:2]})")
    logged = [line for line in lines if '"POST /change_event HTTP/1.1" 204 - "-" "examples-test"' in line]
    check(len(logged) == 1 and logged[0].startswith("127.0.0.1 - - ["),
          f"one access log line for the request ({lines})")
    check(lines[-1:] == ["bareasio: stopped"], f"the last line says stopped ({lines[-2:]})")


def status_of(port, method, path, body=None):
    """The response's status, or None when the server is gone."""
    try:
        return request(port, method, path, body)[0]
    except OSError:
        return None


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, err


def thread_bound(binary):
    """A --threads past the bound is a usage error, not an abort."""
    for value in ("100000", "4294967295"):
        out = subprocess.run([binary, "--threads", value], capture_output=True, text=True, timeout=10)
        check(out.returncode == 2 and "--threads" in out.stderr,
              f"--threads {value} exits 2 with a message (got {out.returncode}: {out.stderr!r})")


def second_instance(binary):
    """A second server on a port a --threads 2 server holds fails as it would
    with one thread, instead of taking half of the connections."""
    first, port = start(binary, "--threads", "2")
    try:
        try:
            second = subprocess.run([binary, "--port", str(port), "--threads", "2"],
                                    capture_output=True, text=True, timeout=10)
            code, err = second.returncode, second.stderr
        except subprocess.TimeoutExpired:
            code, err = None, "it started and served"
        check(code == 2 and "Address already in use" in err,
              f"a second --threads 2 instance exits 2 (got {code}: {err!r})")
        status = status_of(port, "GET", "/")
        check(status == 200, "the first instance still serves")
    finally:
        code, _ = stop(first)
        check(code == 0, "the first instance exits 0")


def ipv6_banner(binary):
    """The startup line puts an IPv6 address in brackets, as URLs need."""
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        print("skip: no IPv6 loopback")
        return
    port = free_port()
    proc = subprocess.Popen([binary, "--host", "::1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    code, err = stop(proc)
    check(f"bareasio: listening on http://[::1]:{port} (1 thread)" in err,
          f"IPv6 banner has brackets ({err!r})")


def access_log_signals(binary, workdir):
    """SIGHUP reopens the access log file (logrotate moves it first) and
    never stops the server; a log that cannot be written (a pipe whose
    reader left) is reported once, and the server goes on (no SIGPIPE)."""
    log = os.path.join(workdir, "access.log")
    proc, port = start(binary, f"--access-log={log}")
    try:
        request(port, "POST", "/change_event", "True")
        os.rename(log, log + ".1")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        check(status_of(port, "POST", "/change_event", "False") == 204, "SIGHUP: the server goes on")
    finally:
        code, err = stop(proc)
    check(code == 0, f"SIGHUP run: exits 0 ({err!r})")
    check("received SIGHUP, reopening the access log" in err, "SIGHUP is logged")
    with open(log + ".1") as rotated:
        check(rotated.read().count('"POST /change_event HTTP/1.1" 204') == 1,
              "before SIGHUP the line went to the file logrotate moved")
    with open(log) as fresh:
        check(fresh.read().count('"POST /change_event HTTP/1.1" 204') == 1,
              "after SIGHUP the line goes to the new file")

    fifo = os.path.join(workdir, "access.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    proc, port = start(binary, f"--access-log={fifo}")
    try:
        os.close(reader)  # the log's reader leaves
        statuses = [status_of(port, "POST", "/change_event", "True") for _ in range(3)]
        check(statuses == [204, 204, 204], f"a broken log pipe does not stop the server ({statuses})")
    finally:
        code, err = stop(proc)
    check(code == 0, f"broken log pipe: exits 0, no SIGPIPE (got {code})")
    check(err.count("cannot write the access log") == 1,
          f"the broken log is reported once ({err!r})")


def main():
    event_toggle, event_toggle_global, service = sys.argv[1:4]
    sse = sys.argv[4] if len(sys.argv) > 4 else None
    separate = sys.argv[5] if len(sys.argv) > 5 else None
    seed_flow(event_toggle, "event_toggle")
    seed_flow(event_toggle_global, "event_toggle_global")
    seed_flow(event_toggle, "event_toggle --threads 2", "--threads", "2")
    if separate:
        seed_flow(separate, "event_toggle (separate compilation)")
    port_from_environment(event_toggle)
    command_line(event_toggle)
    background_service(service)
    service_options(service)
    second_signal(event_toggle)
    thread_bound(event_toggle)
    second_instance(event_toggle)
    ipv6_banner(event_toggle)
    with tempfile.TemporaryDirectory() as workdir:
        access_log_signals(event_toggle, workdir)
    if sse:
        server_sent_events(sse)
        sse_shutdown(sse)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
