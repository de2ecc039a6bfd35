#!/usr/bin/env python3
"""Instructions per full TLS handshake, a figure machine noise cannot move:
bench_tls_server runs under `valgrind --tool=callgrind` on an ECDSA P-256
certificate made here, Python's ssl makes N1 and then N2 connections (a
full TLS 1.3 handshake, one GET and the close each), and the difference of
the totals over N2 - N1 is the cost of one (start-up cancels out).

usage: tls_callgrind.py BUILD_DIR [--handshakes 100]"""
import argparse
import os
import shutil
import socket
import ssl
import tempfile

import tls_run
from callgrind import free_port, under_callgrind


def handshakes(port, count):
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                while s.recv(65536):
                    pass


def instructions(binary, cert, key, count):
    port = free_port()
    argv = [binary, "--port", str(port), "--tls-cert", cert, "--tls-key", key]
    return under_callgrind(argv, port, lambda: handshakes(port, count))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--handshakes", type=int, default=100)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="bench-tls-")
    try:
        cert, key = tls_run.make_cert(d)
        binary = os.path.join(args.build, "benchmarks", "bench_tls_server")
        n1, n2 = 20, 20 + args.handshakes
        a, b = (instructions(binary, cert, key, n) for n in (n1, n2))
        print(f"{(b - a) / (n2 - n1):,.0f} instructions per full handshake")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
