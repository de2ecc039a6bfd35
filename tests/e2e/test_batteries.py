#!/usr/bin/env python3
"""The batteries example as a real process, driven by curl: static files
(traversal attempts sent with --path-as-is so curl does not tidy them),
ranges, revalidation, compression, CORS and cookies.

usage: test_batteries.py BATTERIES_BINARY
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

from e2e_support import check, free_port, summary


def curl(port, path, *args):
    """Returns (status, headers dict with lower-case names, body bytes)."""
    with tempfile.NamedTemporaryFile() as head:
        out = subprocess.run(["curl", "-s", "--max-time", "10", "-D", head.name, *args,
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=20)
        lines = open(head.name, "rb").read().decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers, out.stdout


def main():
    binary = sys.argv[1]
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--access-log"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        index = open(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "public",
                                  "index.html"), "rb").read()

        status, headers, body = curl(port, "/static/")
        check(status == 200 and body == index, "static: /static/ serves index.html")
        check(headers.get("content-type") == "text/html; charset=utf-8", "static: html type")
        etag = headers.get("etag", "")
        check(etag.startswith('"'), "static: a strong ETag without compression")

        status, headers, body = curl(port, "/static/", "--compressed")
        check(headers.get("content-encoding") == "gzip" and body == index,
              "compression: curl --compressed gets gzip and inflates it to the file")
        check(headers.get("vary") == "Accept-Encoding", "compression: Vary: Accept-Encoding")

        status, headers, body = curl(port, "/static/", "-H", "Accept-Encoding: deflate")
        check(headers.get("content-encoding") == "deflate" and zlib.decompress(body) == index,
              "compression: deflate")

        status, _, _ = curl(port, "/static/", "-H", f"If-None-Match: {etag}")
        check(status == 304, "static: If-None-Match gives 304")

        status, headers, body = curl(port, "/static/index.html", "-r", "0-14")
        check(status == 206 and body == index[:15] and
              headers.get("content-range") == f"bytes 0-14/{len(index)}", "static: curl -r 0-14 gives 206")
        status, headers, _ = curl(port, "/static/index.html", "-r", f"{len(index)}-")
        check(status == 416 and headers.get("content-range") == f"bytes */{len(index)}",
              "static: a range past the end gives 416")

        status, headers, _ = curl(port, "/static/docs")
        check(status == 301 and headers.get("location") == "/static/docs/", "static: directory redirect")
        status, _, body = curl(port, "/static/docs/")
        check(status == 200 and b"<h1>docs</h1>" in body, "static: a directory's index file")

        for attack in ["/static/../batteries.cpp", "/static/%2e%2e/batteries.cpp",
                       "/static/docs/../../batteries.cpp", "/static/%2e%2e%2f%2e%2e%2fmeson.build",
                       "/static/..%2f..%2fmeson.build", "/static//etc/passwd",
                       "/static/%2fetc%2fpasswd", "/static/index.html%00.txt"]:
            status, _, body = curl(port, attack, "--path-as-is")
            check(status in (400, 404) and b"#include" not in body and b"root:" not in body,
                  f"static: {attack} stays inside the root (got {status})")

        status, headers, _ = curl(port, "/api/items", "-X", "OPTIONS",
                                  "-H", "Origin: http://localhost:3000",
                                  "-H", "Access-Control-Request-Method: GET",
                                  "-H", "Access-Control-Request-Headers: content-type")
        check(status == 204 and headers.get("access-control-allow-origin") == "http://localhost:3000",
              "cors: the preflight from the allowed origin is granted")
        status, headers, body = curl(port, "/api/items", "-H", "Origin: http://localhost:3000")
        check(status == 200 and headers.get("access-control-allow-origin") == "http://localhost:3000"
              and body.startswith(b"[{"), "cors: the actual request carries the grant")
        status, headers, _ = curl(port, "/api/items", "-X", "OPTIONS", "-H", "Origin: http://evil.test",
                                  "-H", "Access-Control-Request-Method: GET")
        check(status == 400 and "access-control-allow-origin" not in headers,
              "cors: another origin's preflight is refused")

        with tempfile.TemporaryDirectory() as jar_dir:
            jar = os.path.join(jar_dir, "jar")
            _, headers, body = curl(port, "/visits", "-c", jar, "-b", jar)
            check(body == b"visit 1\n", "cookies: first visit")
            cookie = headers.get("set-cookie", "")
            check(cookie.startswith("visits=1; Max-Age=86400;") and "HttpOnly" in cookie and
                  "SameSite=Lax" in cookie and "Path=/" in cookie, f"cookies: Set-Cookie attributes ({cookie})")
            _, _, body = curl(port, "/visits", "-c", jar, "-b", jar)
            check(body == b"visit 2\n", "cookies: curl's jar sends it back")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    check(proc.returncode == 0, f"exits 0 on SIGTERM ({proc.returncode})")
    log = [line for line in err.splitlines() if line.startswith("127.0.0.1 - - [")]
    check(len(log) >= 20, f"the access log has a line per request ({len(log)})")
    check(any('"GET /static/index.html HTTP/1.1" 206 15 ' in line for line in log),
          "the access log records the 206 and its 15 bytes")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
