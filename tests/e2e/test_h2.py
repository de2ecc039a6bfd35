#!/usr/bin/env python3
"""HTTP/2 end to end: the test server (tests/h2/h2_test_server.cpp) on
h2::serve, driven by curl, nghttp (nghttp2-client) and raw frames
(tests/conformance/h2_conformance.py's Connection): what a handler sees,
431 past the header limits, flow control both ways, cancellation by RST_STREAM, the access log,
SIGTERM with streams in flight, and the floods of issue 28 (rapid reset,
CONTINUATION, PING and SETTINGS with their answers unread) while another
client is served.

    test_h2.py build/tests/h2_test_server
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
from e2e_support import check, free_port, make_certificate, summary, wait_accepting  # noqa: E402
import h2_conformance as h  # noqa: E402

SERVER = sys.argv[1]


def start(*args):
    port = free_port()
    proc = subprocess.Popen([SERVER, "--port", str(port), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if not wait_accepting(port, proc):
        proc.kill()
        raise RuntimeError("the test server did not start: " + proc.communicate()[1])
    return proc, port


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, err


def curl(*args):
    r = subprocess.run(["curl", "-s", "-S", "--max-time", "10", *args], capture_output=True,
                       text=True)
    return r.stdout, r.returncode


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_clients(port, tls_port):
    out, rc = curl("--http2-prior-knowledge", "-w", " %{http_version}",
                   f"http://127.0.0.1:{port}/hello")
    check(rc == 0 and out == "hello 2", f"curl --http2-prior-knowledge: {out!r} rc {rc}")
    out, rc = curl("-w", " %{http_version}", f"http://127.0.0.1:{port}/hello")
    check(out == "hello 1.1", f"HTTP/1.1 on the same port: {out!r}")
    out, rc = curl("-k", "--http2", "-w", " %{http_version}", f"https://127.0.0.1:{tls_port}/hello")
    check(out == "hello 2", f"curl --http2 over TLS (ALPN h2): {out!r}")
    out, rc = curl("-k", "--http1.1", "-w", " %{http_version}",
                   f"https://127.0.0.1:{tls_port}/hello")
    check(out == "hello 1.1", f"curl --http1.1 over TLS (ALPN http/1.1): {out!r}")
    if shutil.which("nghttp"):
        r = subprocess.run(["nghttp", "-n", "-s", f"http://127.0.0.1:{port}/hello",
                            f"http://127.0.0.1:{port}/big?bytes=300000"],
                           capture_output=True, text=True, timeout=20)
        check(r.returncode == 0 and r.stdout.count("200") >= 0,
              f"nghttp, two streams: rc {r.returncode} {r.stderr[-300:]}")
        r = subprocess.run(["nghttp", "-nv", f"https://127.0.0.1:{tls_port}/hello"],
                           capture_output=True, text=True, timeout=20)
        check(r.returncode == 0 and ":status: 200" in r.stdout,
              f"nghttp over TLS: rc {r.returncode}")
    # Many streams at once on each connection (curl 7.88's multiplexing
    # cannot reuse a prior-knowledge connection, against nghttpd too).
    if shutil.which("h2load"):
        r = subprocess.run(["h2load", "-n", "400", "-c", "4", "-m", "20",
                            f"http://127.0.0.1:{port}/stream?n=50"], capture_output=True,
                           text=True, timeout=60)
        check("400 succeeded" in r.stdout and "400 2xx" in r.stdout,
              f"h2load, 4 connections x 20 streams of streaming responses: {r.stdout[-600:]}")


def test_request(port):
    c = h.Connection(h.Target(port, False))
    c.headers("/info?a=1", extra=[("cookie", "a=1"), ("cookie", "b=2"), ("x-test", "yes")])
    r = c.response(1)
    check(r is not None and r[0] == 200, "GET /info answered")
    if r:
        info = json.loads(r[2])
        check(info["version"] == 20, f"req.version() is 20: {info['version']}")
        check(info["cookie"] == "a=1; b=2", f"cookies joined (RFC 9113 §8.2.3): {info['cookie']}")
        check(info["host"] == "localhost", f":authority is the Host: {info['host']}")
        check(info["query"] == "a=1" and info["path"] == "/info", f"path and query: {info}")
        check(info["client"] == "127.0.0.1" and info["scheme"] == "http", f"client: {info}")
        names = [n for n, _ in r[1]]
        check("x-mixed-case" in names and all(n == n.lower() for n in names),
              f"response header names lower-cased: {names}")
        check("content-length" in names and "date" in names, f"content-length, date: {names}")
    c.headers("/hello", method="HEAD", stream=3)
    r = c.response(3)
    check(r is not None and r[0] == 200 and r[2] == b"", "HEAD: no body")
    c.headers("/fail", stream=5)
    r = c.response(5)
    check(r is not None and r[0] == 500, "a handler that throws: 500")
    c.headers("/nowhere", stream=7)
    r = c.response(7)
    check(r is not None and r[0] == 404, "no route: 404")
    c.close()


def test_header_limits(port):
    """Past max_header_count (100) or max_header_bytes (16 KiB, decoded, 32 more per
    field) the stream is answered 431, as over HTTP/1.1, and the connection goes on."""
    c = h.Connection(h.Target(port, False))
    c.headers("/hello", extra=[(f"x-field-{i}", "v") for i in range(120)])
    r = c.response(1)
    check(r is not None and r[0] == 431, f"120 header fields: 431 ({r and r[0]})")
    # The same big field 20 times: HPACK sends it once, then by index.
    c.headers("/hello", extra=[("x-big", "x" * 1000)] * 20, stream=3)
    r = c.response(3)
    check(r is not None and r[0] == 431, f"20 KB of header fields: 431 ({r and r[0]})")
    c.headers("/hello", stream=5)
    r = c.response(5)
    check(r is not None and r[0] == 200, "the connection goes on after a 431")
    c.close()


def upload_rest(c, stream, fill, sent, window, total, per_read=None, seconds=None):
    """Sends `fill` bytes on `stream` up to `total` as the server's
    WINDOW_UPDATEs for it open the window, then END_STREAM. It stops early
    when no frame comes within `per_read` seconds, or after `seconds`."""
    deadline = time.monotonic() + seconds if seconds is not None else float("inf")
    while sent < total and time.monotonic() < deadline:
        f = c.read(min(per_read or float("inf"), deadline - time.monotonic()))
        if f is None:
            break
        if f[0] == h.WINDOW_UPDATE and f[2] == stream:
            window += struct.unpack(">I", f[3])[0]
        while sent < min(window, total):
            n = min(16384, min(window, total) - sent)
            c.send(h.frame(h.DATA, 0, stream, fill * n))
            sent += n
    c.send(h.frame(h.DATA, h.END_STREAM, stream, b""))


def test_upload_flow_control(port):
    """The stream's window opens only as the handler reads."""
    c = h.Connection(h.Target(port, False))
    c.headers("/count?ms=200", "POST", end_stream=False)
    sent = 0
    window = 65535
    while sent < window:
        n = min(16384, window - sent)
        c.send(h.frame(h.DATA, 0, 1, b"u" * n))
        sent += n
    # The handler has read at most a piece: the window is not all given back yet.
    updates = 0
    deadline = time.monotonic() + 0.1
    while time.monotonic() < deadline:
        f = c.read(deadline - time.monotonic())
        if f and f[0] == h.WINDOW_UPDATE and f[2] == 1:
            updates += struct.unpack(">I", f[3])[0]
    check(updates < window, f"the window is given back as the handler reads, not at once: {updates}")
    total = 300000
    upload_rest(c, 1, b"u", sent, window, total, per_read=5)
    r = c.response(1, timeout=20)
    check(r is not None and r[2] == str(total).encode(), f"a 300 KB upload read: {r and r[2]}")
    # A body past max_body_bytes (1 MiB) for a buffered reader: 413.
    big = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                          "%{http_code}", "--data-binary", "@-", f"http://127.0.0.1:{port}/echo"],
                         input=b"e" * (2 * 1024 * 1024), capture_output=True)
    check(big.stdout == b"413", f"2 MiB to a buffered reader: {big.stdout!r}")


def test_reset_cancels(port):
    before = curl("--http2-prior-knowledge", f"http://127.0.0.1:{port}/cancelled")[0]
    c = h.Connection(h.Target(port, False))
    c.headers("/slow?ms=5000")
    time.sleep(0.2)
    c.send(h.frame(h.RST_STREAM, 0, 1, struct.pack(">I", h.CANCEL)))
    deadline = time.monotonic() + 3
    after = before
    while time.monotonic() < deadline and after == before:
        time.sleep(0.05)
        after = curl("--http2-prior-knowledge", f"http://127.0.0.1:{port}/cancelled")[0]
    check(int(after) == int(before) + 1, f"RST_STREAM cancels the handler: {before} -> {after}")
    check(c.alive(), "the connection goes on after a reset")
    c.close()


def test_access_log():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "access.log")
        proc, port = start(f"--access-log={log}")
        curl("--http2-prior-knowledge", f"http://127.0.0.1:{port}/hello")
        stop(proc)
        with open(log) as f:
            text = f.read()
        check('"GET /hello HTTP/2.0" 200 5' in text, f"access log line: {text!r}")


def test_sigterm_with_streams():
    proc, port = start()
    c = h.Connection(h.Target(port, False))
    for i in range(50):
        c.headers("/slow?ms=800", stream=1 + 2 * i)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    answered, goaway = set(), False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(answered) < 50:
        f = c.read(deadline - time.monotonic())
        if f is None:
            break
        if f[0] == h.GOAWAY:
            goaway = True
        if f[0] == h.HEADERS:
            status = dict(c.decoder.decode(f[3])).get(":status")
            if status in ("200", "503"):
                answered.add(f[2])
    check(goaway, "SIGTERM: GOAWAY sent")
    check(len(answered) == 50, f"SIGTERM: all 50 streams answered: {len(answered)}")
    try:
        rc = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    check(rc == 0, f"SIGTERM: exit 0 (got {rc})")
    c.close()


class Prober:
    """Another client, one request at a time on its own connection, timing each."""

    def __init__(self, port):
        self.port, self.times, self.failures = port, [], 0
        self.stopping = False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        c = h.Connection(h.Target(self.port, False))
        stream = 1
        while not self.stopping:
            t0 = time.monotonic()
            c.headers("/hello", stream=stream)
            r = c.response(stream)
            if r is None or r[0] != 200:
                self.failures += 1
            self.times.append(time.monotonic() - t0)
            stream += 2
            time.sleep(0.01)
        c.close()

    def finish(self, samples=10):
        # A short flood can end before the prober's first answer: it goes on
        # until it has a few (an answer that never comes fails on its own).
        deadline = time.monotonic() + 10
        while len(self.times) < samples and time.monotonic() < deadline:
            time.sleep(0.01)
        self.stopping = True
        self.thread.join()
        times = sorted(self.times)
        return times[int(len(times) * 0.99)] if times else None


def flood(port, pid, name, attack, expect_closed):
    prober = Prober(port)
    rss_before = rss_kib(pid)
    c = h.Connection(h.Target(port, False))
    attack(c)
    closed = c.closed() if expect_closed else False
    p99 = prober.finish()
    grew = (rss_kib(pid) - rss_before) / 1024
    if expect_closed:
        check(closed, f"{name}: the attacker's connection is closed")
    check(prober.failures == 0 and p99 is not None and p99 < 0.2,
          f"{name}: another client's p99 {p99 and round(p99 * 1000)} ms, {prober.failures} failed")
    check(grew < 64, f"{name}: RSS grew {grew:.1f} MB")
    c.close()


def rapid_reset(c):
    for i in range(5000):
        c.send(h.frame(h.HEADERS, h.END_HEADERS | h.END_STREAM, 1 + 2 * i,
                       c.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                         (":path", "/slow?ms=1000"), (":authority", "x")])) +
               h.frame(h.RST_STREAM, 0, 1 + 2 * i, struct.pack(">I", h.CANCEL)))


def continuation_flood(c):
    c.send(h.frame(h.HEADERS, h.END_STREAM, 1, c.encoder.encode(
        [(":method", "GET"), (":scheme", "http"), (":path", "/hello")])))
    for _ in range(20000):
        c.send(h.frame(h.CONTINUATION, 0, 1, c.encoder.encode([("x-flood", "x" * 50)])))


def ping_flood(c):
    """PINGs whose answers are never read: back-pressure, bounded memory."""
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.sock.settimeout(0.2)
    payload = h.frame(h.PING, 0, 0, b"12345678") * 1000
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            c.sock.send(payload)
        except socket.timeout:
            continue  # the server stopped reading: held
        except OSError:
            return


def settings_flood(c):
    c.sock.settimeout(0.2)
    payload = h.settings((h.S_ENABLE_PUSH, 0)) * 1000
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            c.sock.send(payload)
        except socket.timeout:
            continue
        except OSError:
            return


def test_floods():
    proc, port = start()
    try:
        flood(port, proc.pid, "rapid reset", rapid_reset, True)
        flood(port, proc.pid, "CONTINUATION flood", continuation_flood, True)
        flood(port, proc.pid, "PING flood", ping_flood, False)
        flood(port, proc.pid, "SETTINGS flood", settings_flood, False)
    finally:
        rc, err = stop(proc)
    check(rc == 0, f"the server survived the floods and stopped cleanly: {rc} {err[-500:]}")


def test_responses_refused(port):
    """What HTTP/2 cannot carry becomes a 500, as HTTP/1.1's serializer does."""
    c = h.Connection(h.Target(port, False))
    for stream, query in ((1, "code=103"), (3, "code=101"), (5, "code=200&bad=1"), (7, "code=204")):
        c.headers(f"/status?{query}", stream=stream)
        r = c.response(stream)
        want = 204 if query == "code=204" else 500
        check(r is not None and r[0] == want, f"/status?{query}: {r and r[0]} (want {want})")
    c.close()


def test_windows(port):
    """A stream whose handler has not read its body does not hold the
    connection's window: another stream's upload goes through. A response
    sent while its request stays open ends the stream (RST_STREAM NO_ERROR)."""
    c = h.Connection(h.Target(port, False))
    c.headers("/count?ms=5000", "POST", end_stream=False)
    c.send(h.frame(h.DATA, 0, 1, b"a" * 16384) * 3 + h.frame(h.DATA, 0, 1, b"a" * 16383))
    time.sleep(0.2)
    c.headers("/count", "POST", end_stream=False, stream=3)
    sent, window = 0, 65535
    while sent < window:
        n = min(16384, window - sent)
        c.send(h.frame(h.DATA, 0, 3, b"b" * n))
        sent += n
    total = 200000
    upload_rest(c, 3, b"b", sent, window, total, seconds=3)
    r = c.response(3, timeout=3)
    check(r is not None and r[2] == str(total).encode(),
          f"another stream's 200 KB upload while stream 1 holds 64 KiB unread: {r and r[2]}")
    c.close()
    c = h.Connection(h.Target(port, False))
    c.headers("/hello", "POST", end_stream=False)  # 405, its body never sent
    reset, status = None, None
    deadline = time.monotonic() + 5
    while reset is None and time.monotonic() < deadline:
        f = c.read(deadline - time.monotonic())
        if f is None:
            break
        if f[0] == h.HEADERS and f[2] == 1:
            status = dict(c.decoder.decode(f[3])).get(":status")
        if f[0] == h.RST_STREAM and f[2] == 1:
            reset = struct.unpack(">I", f[3])[0]
    check(status == "405" and reset == h.NO_ERROR,
          f"answered with the request still open: {status}, then RST_STREAM {reset}")
    c.close()


def test_min_rates():
    """Trickles: a body of a byte every 0.4 s (each read well within
    body_timeout) gets a 408 under min_request_body_rate; a client that
    opens its window a byte at a time has the stream reset under
    min_response_rate."""
    proc, port = start("--min-rate", "100")
    try:
        c = h.Connection(h.Target(port, False))
        c.headers("/echo", "POST", end_stream=False)
        status, deadline = None, time.monotonic() + 8
        while status is None and time.monotonic() < deadline:
            c.send(h.frame(h.DATA, 0, 1, b"x"))
            tick = time.monotonic() + 0.4  # a byte every 0.4 s, no faster
            while status is None and time.monotonic() < tick:
                f = c.read(tick - time.monotonic())
                if f and f[0] == h.HEADERS and f[2] == 1:
                    status = dict(c.decoder.decode(f[3])).get(":status")
        check(status == "408", f"a trickled body: 408 under the minimum rate (got {status})")
        c.close()
        c = h.Connection(h.Target(port, False), local_settings=[(h.S_INITIAL_WINDOW_SIZE, 1)])
        c.headers("/big?bytes=100000")
        reset, deadline = None, time.monotonic() + 8
        while reset is None and time.monotonic() < deadline:
            tick = time.monotonic() + 0.4  # a byte of window every 0.4 s, no faster
            while reset is None and time.monotonic() < tick:
                f = c.read(tick - time.monotonic())
                if f and f[0] == h.RST_STREAM and f[2] == 1:
                    reset = struct.unpack(">I", f[3])[0]
                elif f and f[0] == h.HEADERS:
                    c.decoder.decode(f[3])
            c.send(h.frame(h.WINDOW_UPDATE, 0, 1, struct.pack(">I", 1)))
        check(reset == h.CANCEL, f"a window opened a byte at a time: reset (got {reset})")
        c.close()
    finally:
        rc, err = stop(proc)
        check(rc == 0, f"stopped cleanly: {rc} {err[-300:]}")


def test_header_timeout():
    """A header block that never ends holds the whole connection: cut off."""
    proc, port = start("--header-timeout-ms", "300")
    try:
        c = h.Connection(h.Target(port, False))
        c.headers(flags=h.END_STREAM)  # no END_HEADERS, and no CONTINUATION
        check(c.verdict(connection_error=h.ENHANCE_YOUR_CALM, timeout=5),
              "an unfinished header block: GOAWAY ENHANCE_YOUR_CALM after header_timeout")
        c.close()
    finally:
        rc, err = stop(proc)
        check(rc == 0, f"stopped cleanly: {rc} {err[-300:]}")


def test_trusted_proxy():
    """X-Forwarded-For is believed from a trusted proxy only, as over HTTP/1.1."""
    for trusted, expected in ((True, "203.0.113.7"), (False, "127.0.0.1")):
        proc, port = start(*(["--trusted-proxy", "127.0.0.1"] if trusted else []))
        try:
            c = h.Connection(h.Target(port, False))
            c.headers("/info", extra=[("x-forwarded-for", "203.0.113.7"),
                                      ("x-forwarded-proto", "https")])
            r = c.response(1)
            info = json.loads(r[2]) if r else {}
            check(info.get("client") == expected,
                  f"trusted proxy {trusted}: the client is {info.get('client')}")
            if trusted:
                check(info.get("scheme") == "https", f"forwarded scheme: {info.get('scheme')}")
            c.close()
        finally:
            stop(proc)


def test_stalled_streams():
    """A body that does not come: 408 after body_timeout. A client that
    never opens its window: the stream is reset after write_timeout, and
    the connection and its other streams go on."""
    proc, port = start("--body-timeout-ms", "300", "--write-timeout-ms", "300")
    try:
        c = h.Connection(h.Target(port, False), local_settings=[(h.S_INITIAL_WINDOW_SIZE, 0)])
        c.headers("/echo", "POST", end_stream=False)
        reset = False
        status = None
        c.headers("/big?bytes=100000", stream=3)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (status is None or not reset):
            f = c.read(deadline - time.monotonic())
            if f is None:
                break
            if f[0] == h.HEADERS and f[2] == 1:
                status = dict(c.decoder.decode(f[3])).get(":status")
            elif f[0] == h.HEADERS:
                c.decoder.decode(f[3])
            if f[0] == h.RST_STREAM and f[2] == 3:
                reset = struct.unpack(">I", f[3])[0] == h.CANCEL
        check(status == "408", f"a body that never comes: 408 (got {status})")
        check(reset, "a stream whose window stays shut is reset (CANCEL) after write_timeout")
        c.send(h.settings((h.S_INITIAL_WINDOW_SIZE, 65535)))
        c.headers("/hello", stream=5)
        r = c.response(5)
        check(r is not None and r[2] == b"hello", "the connection goes on after both")
        c.close()
    finally:
        rc, err = stop(proc)
        check(rc == 0, f"stopped cleanly: {rc} {err[-300:]}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_certificate(tmp)
        proc, port = start()
        tls_proc, tls_port = start("--tls-cert", cert, "--tls-key", key)
        try:
            test_clients(port, tls_port)
            test_request(port)
            test_header_limits(port)
            test_upload_flow_control(port)
            test_reset_cancels(port)
            test_responses_refused(port)
            test_windows(port)
        finally:
            for p in (proc, tls_proc):
                rc, err = stop(p)
                check(rc == 0, f"stopped cleanly: {rc} {err[-300:]}")
    test_access_log()
    test_trusted_proxy()
    test_header_timeout()
    test_min_rates()
    test_stalled_streams()
    test_sigterm_with_streams()
    test_floods()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
