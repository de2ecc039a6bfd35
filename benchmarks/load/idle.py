#!/usr/bin/env python3
"""Memory per idle keep-alive connection: each server gets N connections
that each complete one request and then sit idle; the server's RSS growth
over N is the cost of one idle connection. Measured right after the last
connection is open (bareasio and Node close idle connections after 5 s).

usage: idle.py BUILD_DIR [--connections 10000]"""
import argparse
import os
import resource
import selectors
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the same server table and helpers)


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def open_idle(port, n):
    socks = []
    request = b"GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n"
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        socks.append(s)
    for s in socks:  # every one answered: each is now an idle keep-alive connection
        data = b""
        while b"Hello, World!" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError("closed before answering")
            data += chunk
    return socks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--connections", type=int, default=10000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    table = run.servers(args.build)
    print("| server | RSS before | RSS with idle connections | per connection |")
    print("|---|---|---|---|")
    for name in ("bareasio", "nginx", "beast", "node", "uvicorn"):
        server = table[name]
        port = run.free_port()
        pid = server.start(port)
        try:
            open_idle(port, 10)[0].close()  # warm up
            time.sleep(0.2)
            pids = run.descendants(pid)
            before = rss_kib(pids)
            socks = open_idle(port, args.connections)
            after = rss_kib(pids)
            for s in socks:
                s.close()
        finally:
            server.stop()
        per = (after - before) * 1024 / args.connections
        print(f"| {name} | {before:,} KiB | {after:,} KiB | {per:,.0f} B |", flush=True)


if __name__ == "__main__":
    main()
