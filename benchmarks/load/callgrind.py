#!/usr/bin/env python3
"""Instructions per request, a figure machine noise cannot move: each
server runs under `valgrind --tool=callgrind`, gets N1 and then N2 plaintext
requests from a simple client (keep-alive one at a time, or pipelined 16
per write), and the difference of the total instruction counts over
N2 - N1 is the cost of one request (start-up and shutdown cancel out).

usage: callgrind.py BUILD_DIR [--requests 20000]"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive(port, count, depth):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    done = 0
    while done < count:
        batch = min(depth, count - done)
        s.sendall(REQUEST * batch)
        got = 0
        while got < batch:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                buf += s.recv(65536)
                continue
            length = int(re.search(rb"(?i)content-length: *(\d+)", buf[:end]).group(1))
            while len(buf) < end + 4 + length:
                buf += s.recv(65536)
            buf = buf[end + 4 + length:]
            got += 1
        done += batch
    s.close()


def under_callgrind(argv, port, client):
    """Runs `argv` under callgrind until it accepts on `port`, calls
    `client()`, stops it (SIGTERM) and returns its total instructions."""
    out = tempfile.mktemp(prefix="callgrind-")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(proc.communicate())
            time.sleep(0.2)
    client()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    m = re.search(r"Collected : (\d+)", err)
    if not m:
        raise RuntimeError(err)
    os.unlink(out)
    return int(m.group(1))


def instructions(argv, port, count, depth):
    return under_callgrind(argv, port, lambda: drive(port, count, depth))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--requests", type=int, default=20000)
    args = ap.parse_args()
    servers = {
        "bareasio": [os.path.join(args.build, "benchmarks", "bench_server"), "--port", "{port}"],
        "beast": [os.path.join(args.build, "benchmarks", "beast_server"), "{port}"],
        "asio-fixed (no parsing)": [os.path.join(args.build, "benchmarks", "asio_fixed"), "{port}"],
    }
    n1, n2 = 1000, 1000 + args.requests
    print(f"| server | keep-alive, instructions/request | pipelined x16, instructions/request |")
    print(f"|---|---|---|")
    for name, argv in servers.items():
        row = []
        for depth in (1, 16):
            counts = []
            for n in (n1, n2):
                port = free_port()
                counts.append(instructions([a.format(port=port) for a in argv], port, n, depth))
            row.append((counts[1] - counts[0]) / (n2 - n1))
        print(f"| {name} | {row[0]:,.0f} | {row[1]:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
