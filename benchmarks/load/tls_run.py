#!/usr/bin/env python3
"""HTTPS against nginx, in the same run, on the same certificate (an ECDSA
P-256 one made here): keep-alive plaintext requests per server-core-second
(wrk over TLS, 64 connections), and full handshakes per second and per
server-core-second (`openssl s_time -new`: a new TCP connection and a full
handshake each, no session reuse, one GET each; one at a time, so the rate
also carries the client's time, which the second figure leaves out). Servers on CPU 0, clients on CPU 1, alternating.

usage: tls_run.py BUILD_DIR [--reps 3] [--seconds 5]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import run as r


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "30", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


def servers(build, cert, key):
    def nginx_setup(port, argv):
        return r.nginx_setup(port, argv, cert, key)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return {
        "bareasio": r.Server("bareasio", [os.path.join(build, "benchmarks", "bench_tls_server"),
                                          "--port", "{port}", "--tls-cert", cert, "--tls-key", key]),
        "nginx": r.Server("nginx", [nginx], setup=nginx_setup),
    }


def keep_alive(server, seconds):
    port = r.free_port()
    pid = server.start(port)
    try:
        url = f"https://127.0.0.1:{port}/plaintext"
        subprocess.run(["taskset", "-c", "1", "wrk", "-t", "1", "-c", "64", "-d", "1s", url],
                       capture_output=True, timeout=60)
        pids = r.descendants(pid)
        cpu0 = r.cpu_seconds(pids)
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t", "1", "-c", "64", "-d",
                              f"{seconds}s", url], capture_output=True, text=True,
                             timeout=seconds + 60).stdout
        cpu = r.cpu_seconds(pids) - cpu0
        total = int(re.search(r"(\d+) requests in", out).group(1))
        if re.search(r"Non-2xx|Socket errors", out):
            print(f"wrk reported errors against {server.name}:\n{out}", file=sys.stderr)
        return total / cpu
    finally:
        server.stop()


def handshakes(server, seconds):
    """(handshakes per second, per server-core-second)"""
    port = r.free_port()
    pid = server.start(port)
    try:
        pids = r.descendants(pid)
        cpu0 = r.cpu_seconds(pids)
        out = subprocess.run(["taskset", "-c", "1", "openssl", "s_time", "-connect",
                              f"127.0.0.1:{port}", "-new", "-www", "/plaintext", "-time",
                              str(seconds)], capture_output=True, text=True,
                             timeout=seconds + 60).stdout
        cpu = r.cpu_seconds(pids) - cpu0
        n = re.search(r"(\d+) connections in (\d+) real seconds", out)
        count, real = int(n.group(1)), int(n.group(2))
        return count / real, count / cpu
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="bench-tls-")
    cert, key = make_cert(d)
    peers = servers(args.build, cert, key)
    figures = ("keep-alive", "handshakes", "handshakes per core-s")
    results = {name: {f: [] for f in figures} for name in peers}
    for _ in range(args.reps):
        for name, server in peers.items():
            results[name]["keep-alive"].append(keep_alive(server, args.seconds))
            rate, per_core = handshakes(server, args.seconds)
            results[name]["handshakes"].append(rate)
            results[name]["handshakes per core-s"].append(per_core)
    print(f"{time.strftime('%Y-%m-%d')}: tls_run.py {args.build} --reps {args.reps} "
          f"--seconds {args.seconds}")
    print("| server | keep-alive requests per server-core-second | full handshakes per second "
          "| full handshakes per server-core-second |")
    print("|---|---|---|---|")
    median = {name: {f: statistics.median(res[f]) for f in figures} for name, res in results.items()}
    for name, m in median.items():
        print(f"| {name} | {m['keep-alive']:,.0f} | {m['handshakes']:,.0f} "
              f"| {m['handshakes per core-s']:,.0f} |")
    b, n = median["bareasio"], median["nginx"]
    print("bareasio / nginx: " + ", ".join(f"{f} {b[f] / n[f]:.2f}x" for f in figures))
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
