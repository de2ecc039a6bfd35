#!/usr/bin/env python3
"""The WebSocket echo benchmark: bareasio's websocket_echo, a Boost.Beast
echo server and Node with npm ws, each pinned to core 0, driven in turn by
ws_load (core 1) with 64 connections echoing 32-byte and 4 KiB binary
messages; throughput is messages per server-core-second (messages divided
by the server's CPU time, from /proc). Then memory per idle open socket:
the server's RSS before and after 5,000 sockets are opened and left idle.

usage: ws_run.py BUILD_BENCH_DIR [--seconds 5] [--reps 3] [--idle 5000]
(BUILD_BENCH_DIR: a release build with -Dbenchmarks=true, as run.sh makes;
Boost from libboost-dev for the Beast peer, node and npm for Node's.)
Writes benchmarks/load/ws-last-run.md.
"""
import argparse
import os
import resource
import socket
import statistics
import subprocess
import time

from run import cpu_seconds, wait_listening

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [32, 4096]
CONNECTIONS = 64


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peers(build):
    return [
        ("bareasio", [os.path.join(build, "benchmarks", "bench_ws_server"), "--port", "{port}"], None),
        ("beast", [os.path.join(build, "benchmarks", "beast_ws_server"), "{port}"], None),
        ("node-ws", ["node", "server.js", "{port}"], os.path.join(HERE, "node_ws")),
    ]


def start(argv, cwd):
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", "0", *[a.format(port=port) for a in argv]], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_listening(port, proc)
    return proc, port


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def echo_rate(load, proc, port, size, seconds):
    """Messages per second of wall time and per second of server CPU."""
    cpu0 = cpu_seconds([proc.pid])
    out = subprocess.run(["taskset", "-c", "1", load, str(port), "/echo", str(size),
                          str(CONNECTIONS), str(seconds)], capture_output=True, text=True,
                         timeout=seconds + 30)
    cpu = cpu_seconds([proc.pid]) - cpu0
    fields = out.stdout.split()
    if out.returncode != 0 or not fields:
        raise RuntimeError(f"ws_load failed: {out.stdout} {out.stderr}")
    rate = float(fields[0])
    total = rate * seconds  # approximately the measured messages (the warm-up is excluded)
    return rate, total / cpu if cpu > 0 else 0.0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_memory(argv, cwd, count):
    """KiB of server RSS per idle open WebSocket, over `count` sockets."""
    proc, port = start(argv, cwd)
    try:
        handshake = ("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        # Warm the server with a few sockets first, so one-off allocations do not count.
        warm = [open_socket(port, handshake) for _ in range(100)]
        time.sleep(0.5)
        before = rss_kib(proc.pid)
        sockets = [open_socket(port, handshake) for _ in range(count)]
        time.sleep(1.0)
        after = rss_kib(proc.pid)
        for s in sockets + warm:
            s.close()
        return (after - before) / count
    finally:
        stop(proc)


def open_socket(port, handshake):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(handshake)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("closed during the handshake")
        got += chunk
    if not got.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(got.decode(errors="replace"))
    return s


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--idle", type=int, default=5000)  # under the default connection limit
    args = parser.parse_args()
    # Builds what it runs (release build-bench: benchmarks/load/run.sh sets it
    # up) and the Node peer's npm package.
    subprocess.run(["ninja", "-C", args.build, "benchmarks/bench_ws_server",
                    "benchmarks/beast_ws_server", "benchmarks/ws_load"], check=True)
    if not os.path.isdir(os.path.join(HERE, "node_ws", "node_modules", "ws")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=os.path.join(HERE, "node_ws"), check=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load = os.path.join(args.build, "benchmarks", "ws_load")
    results = {}  # (peer, size) -> [(rate, per_core)]
    for rep in range(args.reps):  # alternate peers within each repetition
        for name, argv, cwd in peers(args.build):
            proc, port = start(argv, cwd)
            try:
                for size in SIZES:
                    results.setdefault((name, size), []).append(
                        echo_rate(load, proc, port, size, args.seconds))
            finally:
                stop(proc)
    lines = [f"WebSocket echo, {CONNECTIONS} connections, binary messages, "
             f"{args.reps} x {args.seconds:g} s per peer and size, server on core 0, client on core 1.", "",
             "| server | size | messages/s | messages per server-core-second | bareasio per core ÷ this |",
             "|---|---|---|---|---|"]
    for size in SIZES:
        ours = statistics.median(r[1] for r in results[("bareasio", size)])
        for name, _, _ in peers(args.build):
            runs = results[(name, size)]
            rate = statistics.median(r[0] for r in runs)
            per_core = statistics.median(r[1] for r in runs)
            lines.append(f"| {name} | {size} B | {rate:,.0f} | {per_core:,.0f} | "
                         f"{ours / per_core:.2f}x |")
    print("\n".join(lines), flush=True)
    lines += ["", f"Memory per idle open socket ({args.idle:,} sockets, RSS growth / sockets):", "",
              "| server | KiB per idle socket |", "|---|---|"]
    for name, argv, cwd in peers(args.build):
        lines.append(f"| {name} | {idle_memory(argv, cwd, args.idle):.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(HERE, "ws-last-run.md"), "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()
