#!/usr/bin/env python3
"""HTTPS: examples/event_toggle with --tls-cert/--tls-key, certificates made
here with Debian's openssl. Python's ssl and curl get the page; TLS 1.2 and
1.3 are accepted and older versions refused; ALPN picks h2, else http/1.1
(and tls::serve's examples only http/1.1); one session ticket per TLS 1.3
handshake, and openssl s_client resumes from it (1.2 and 1.3); plain
HTTP, garbage and stalled handshakes are dropped without delaying anyone;
SIGHUP reloads the certificate (open connections go on; a broken key keeps
the old one); missing or mismatched files exit 2 naming the file. Every
other EXAMPLE takes the flags and answers over HTTPS.

A wss:// echo with WEBSOCKET_ECHO through Debian's python3-websockets
(run by Debian's Python, which has it).

usage: test_tls.py EVENT_TOGGLE WEBSOCKET_ECHO [EXAMPLE...]
"""
import asyncio
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

from e2e_support import check, free_port, make_certificate, summary, wait_accepting

warnings.filterwarnings("ignore", category=DeprecationWarning)  # TLS 1.0/1.1, offered on purpose


class Server:
    def __init__(self, binary, workdir, cert, key):
        self.port = free_port()
        self.log_path = os.path.join(workdir, "server.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--tls-cert", cert,
                                      "--tls-key", key], stdout=subprocess.DEVNULL,
                                     stderr=self.log_file)
        if not wait_accepting(self.port, self.proc):
            raise RuntimeError("the TLS server did not start: " + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log_file.close()
        return self.proc.returncode


def client_context(cafile, **versions):
    ctx = ssl.create_default_context(cafile=cafile)
    for name, value in versions.items():
        setattr(ctx, name, value)
    return ctx


def get(port, ctx, conn=None):
    conn = conn or http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    conn.request("GET", "/")
    res = conn.getresponse()
    return conn, res.status, res.read().decode()


def tls_socket(port, ctx, alpn=None):
    if alpn:
        ctx.set_alpn_protocols(alpn)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def basics(server, cert):
    conn, status, page = get(server.port, client_context(cert))
    check(status == 200 and ">Set</button>" in page, f"GET / over HTTPS ({status})")
    conn.request("POST", "/change_event", body="True")
    res = conn.getresponse()
    res.read()
    check(res.status == 204, f"POST on the same connection ({res.status})")
    _, status, page = get(server.port, client_context(cert), conn)
    check(">Clear</button>" in page, "the page follows the event over HTTPS")
    conn.close()
    check(f"listening on https://" in server.log(), "the banner says https://")
    curl = subprocess.run(["curl", "-sS", "--cacert", cert, f"https://127.0.0.1:{server.port}/"],
                          capture_output=True, text=True)
    check(curl.returncode == 0 and "<button" in curl.stdout, f"curl gets the page ({curl.stderr})")


def versions_and_alpn(server, cert):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = client_context(cert, minimum_version=version, maximum_version=version)
        with tls_socket(server.port, ctx) as s:
            check(s.version() == version.name.replace("v", "v").replace("_", "."),
                  f"{version.name} accepted ({s.version()})")
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        ctx = client_context(cert, minimum_version=version, maximum_version=version)
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            tls_socket(server.port, ctx).close()
            check(False, f"{version.name} refused")
        except (ssl.SSLError, OSError):
            check(True, f"{version.name} refused")
    # The seed's page serves HTTP/2 (h2::serve): ALPN prefers h2.
    with tls_socket(server.port, client_context(cert), ["h2", "http/1.1"]) as s:
        check(s.selected_alpn_protocol() == "h2", f"ALPN picks h2 first ({s.selected_alpn_protocol()})")
    with tls_socket(server.port, client_context(cert), ["http/1.1"]) as s:
        check(s.selected_alpn_protocol() == "http/1.1", f"ALPN picks http/1.1 ({s.selected_alpn_protocol()})")
    with tls_socket(server.port, client_context(cert), ["spdy/3"]) as s:
        check(s.selected_alpn_protocol() is None, "ALPN with nothing of ours: none agreed, still served")


def s_client(port, *flags):
    """openssl s_client's -msg output for one request, read until the server
    closes (-ign_eof), so the tickets sent after the handshake are in it."""
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-msg",
                           "-ign_eof", *flags],
                          input="GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                          capture_output=True, text=True, timeout=30).stdout


def resumption(server, workdir):
    for version in ("-tls1_3", "-tls1_2"):
        session = os.path.join(workdir, f"session{version}.pem")
        first = s_client(server.port, version, "-sess_out", session)
        if version == "-tls1_3":
            tickets = first.count("NewSessionTicket")
            check(tickets == 1, f"TLS 1.3: one session ticket per handshake ({tickets})")
        again = s_client(server.port, version, "-sess_in", session)
        check("\nReused, TLSv1." in again, f"{version[1:]}: the session is resumed from its ticket")


def bad_clients(server, cert):
    stalled = []
    for _ in range(5):  # TCP open, nothing sent: they wait out the handshake timeout
        stalled.append(socket.create_connection(("127.0.0.1", server.port)))
    half = socket.create_connection(("127.0.0.1", server.port))
    half.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00]) + b"\x01\x00")  # a ClientHello cut short
    stalled.append(half)
    started = time.monotonic()
    _, status, _ = get(server.port, client_context(cert))
    check(status == 200, "a client is served while six handshakes stall")
    check(time.monotonic() - started < 5, "stalled handshakes do not delay it")
    for payload in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(300)):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(payload)
        try:
            data = s.recv(4096)
            ended = data == b"" or data[:1] == b"\x15"  # closed, or a TLS alert
        except ConnectionResetError:
            ended = True
        check(ended, f"plain HTTP or garbage on the TLS port is dropped ({payload[:10]!r})")
        s.close()
    for s in stalled:
        s.settimeout(20)
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
        check(closed, "a stalled handshake is closed at the handshake timeout")
        s.close()
    _, status, _ = get(server.port, client_context(cert))
    check(status == 200, "still serving after the bad clients")


def reload(server, workdir, cert, key):
    old_ctx = client_context(cert)
    conn, status, _ = get(server.port, old_ctx)
    with tls_socket(server.port, client_context(cert)) as s:
        before = s.getpeercert(binary_form=True)
    cert2, key2 = make_certificate(workdir, "second", "second")
    shutil.copy(cert2, cert)
    shutil.copy(key2, key)
    server.proc.send_signal(signal.SIGHUP)
    check(wait_for_log(server, "reloaded the TLS certificate"), "SIGHUP reloads the certificate")
    with tls_socket(server.port, client_context(cert)) as s:
        check(s.getpeercert(binary_form=True) != before, "new handshakes get the new certificate")
    _, status, _ = get(server.port, old_ctx, conn)
    check(status == 200, "a connection opened before the reload goes on")
    conn.close()
    with open(key, "w") as f:
        f.write("not a key\n")
    server.proc.send_signal(signal.SIGHUP)
    check(wait_for_log(server, "the old certificate stays"), "a broken key is logged on SIGHUP")
    _, status, _ = get(server.port, client_context(cert))
    check(status == 200, "and the previous certificate goes on serving")
    # A FIFO in place of the certificate: the reload refuses it without
    # waiting for a writer, and serving never stops.
    shutil.copy(cert, cert + ".saved")
    os.remove(cert)
    os.mkfifo(cert)
    try:
        server.proc.send_signal(signal.SIGHUP)
        check(wait_for_log(server, "not a regular file"), "a FIFO on SIGHUP is refused and logged")
        _, status, _ = get(server.port, client_context(cert + ".saved"))
        check(status == 200, "serving goes on with a FIFO in place of the certificate")
    finally:
        os.remove(cert)
        shutil.move(cert + ".saved", cert)


def wss_echo(binary, workdir, cert, key):
    import websockets  # Debian's python3-websockets
    server = Server(binary, workdir, cert, key)
    try:
        async def echo():
            ctx = client_context(cert)
            async with websockets.connect(f"wss://127.0.0.1:{server.port}/echo", ssl=ctx) as ws:
                await ws.send("over TLS")
                text = await ws.recv()
                await ws.send(b"\x00\x01" * 40000)
                data = await ws.recv()
                return text, data
        text, data = asyncio.run(echo())
        check(text == "over TLS" and data == b"\x00\x01" * 40000,
              "wss:// echoes text and an 80 KB binary message")
    finally:
        check(server.stop() == 0, "the wss:// server stops cleanly")


def reload_under_load(binary, workdir):
    """64 clients (half keep-alive, half a new handshake per request) while
    SIGHUP swaps between two certificates ten times: no request may fail."""
    import threading
    pairs = [make_certificate(workdir, f"rotate{i}", f"rotate{i}") for i in range(2)]
    bundle = os.path.join(workdir, "both.pem")
    with open(bundle, "w") as f:
        f.write(open(pairs[0][0]).read() + open(pairs[1][0]).read())
    cert, key = os.path.join(workdir, "live.pem"), os.path.join(workdir, "live.key")

    def install(pair):  # each file replaced whole, never seen half written
        for src, dst in zip(pair, (cert, key)):
            shutil.copy(src, dst + ".new")
            os.replace(dst + ".new", dst)

    install(pairs[0])
    server = Server(binary, workdir, cert, key)
    stop, lock = threading.Event(), threading.Lock()
    counts = {"ok": 0, "failed": 0}
    failures = []

    def client(keep_alive):
        ctx = client_context(bundle)
        conn = None
        while not stop.is_set():
            try:
                conn, status, _ = get(server.port, ctx, conn if keep_alive else None)
                ok = status == 200
                if not keep_alive:
                    conn.close()
            except (OSError, http.client.HTTPException, ssl.SSLError) as e:
                ok, conn = False, None
                failures.append(repr(e))
            with lock:
                counts["ok" if ok else "failed"] += 1

    threads = [threading.Thread(target=client, args=(n % 2 == 0,)) for n in range(64)]
    try:
        for t in threads:
            t.start()
        for i in range(10):
            time.sleep(0.3)
            install(pairs[(i + 1) % 2])
            server.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
        code = server.stop()
    reloads = server.log().count("reloaded the TLS certificate")
    print(f"reload under load: {counts['ok']} requests, {counts['failed']} failed, {reloads} reloads")
    check(counts["failed"] == 0, f"no request fails while the certificate is reloaded ({failures[:3]})")
    check(reloads >= 1, f"the reloads are logged ({reloads} of 10 signals)")
    check(counts["ok"] > 100, f"load went through ({counts['ok']} requests)")
    check(code == 0, "the server stops cleanly after the reloads")


def every_example(binaries, workdir, cert, key):
    """Each example takes --tls-cert/--tls-key and answers over HTTPS (a page,
    a redirect to it, or a 404 where / is not a page)."""
    for binary in binaries:
        name = os.path.basename(binary)
        server = Server(binary, workdir, cert, key)
        try:
            _, status, _ = get(server.port, client_context(cert))
            check(status in (200, 302, 404) and "listening on https://" in server.log(),
                  f"{name} answers over HTTPS ({status})")
            # tls::serve without HTTP/2: ALPN never agrees on h2.
            with tls_socket(server.port, client_context(cert), ["h2", "http/1.1"]) as s:
                check(s.selected_alpn_protocol() == "http/1.1",
                      f"{name}: ALPN picks http/1.1 ({s.selected_alpn_protocol()})")
        finally:
            check(server.stop() == 0, f"{name} stops cleanly")


def wait_for_log(server, text, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in server.log():
            return True
        time.sleep(0.05)
    return False


def startup_failures(binary, workdir, cert, key):
    def run(*args):
        return subprocess.run([binary, "--port", str(free_port()), *args], capture_output=True,
                              text=True, timeout=30)
    missing = os.path.join(workdir, "missing.pem")
    r = run("--tls-cert", missing, "--tls-key", key)
    check(r.returncode == 2 and missing in r.stderr, f"a missing certificate: exit 2 naming it ({r.stderr!r})")
    other_cert, _ = make_certificate(workdir, "other", "other")
    r = run("--tls-cert", other_cert, "--tls-key", key)
    check(r.returncode == 2 and key in r.stderr and "mismatch" in r.stderr,
          f"a key for another certificate: exit 2 naming it ({r.stderr!r})")
    r = run("--tls-cert", cert)
    check(r.returncode == 2 and "go together" in r.stderr, f"--tls-cert alone: exit 2 ({r.stderr!r})")
    fifo = os.path.join(workdir, "fifo.pem")
    os.mkfifo(fifo)
    r = run("--tls-cert", fifo, "--tls-key", key)
    check(r.returncode == 2 and fifo in r.stderr and "not a regular file" in r.stderr,
          f"a FIFO as the certificate: exit 2 naming it, without waiting ({r.stderr!r})")


def main():
    binary, echo_binary, *others = sys.argv[1:]
    workdir = tempfile.mkdtemp(prefix="bareasio-tls-")
    try:
        cert, key = make_certificate(workdir, "server", "first")
        server = Server(binary, workdir, cert, key)
        try:
            basics(server, cert)
            versions_and_alpn(server, cert)
            resumption(server, workdir)
            bad_clients(server, cert)
            reload(server, workdir, cert, key)
        finally:
            code = server.stop()
            check(code == 0, f"SIGTERM: exit 0 ({code})")
            print("--- server log:\n" + server.log())
        reload_under_load(binary, workdir)
        cert, key = make_certificate(workdir, "fresh", "fresh")
        startup_failures(binary, workdir, cert, key)
        wss_echo(echo_binary, workdir, cert, key)
        every_example(others, workdir, cert, key)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
