#!/usr/bin/env python3
"""HTTPS against nginx, in the same run, on the same certificate (an ECDSA
P-256 one made here): keep-alive plaintext requests per server-core-second
(wrk over TLS, 64 connections), and full handshakes per second (`openssl
s_time -new`: a new TCP connection and a full handshake each, no session
reuse, one GET each). Servers on CPU 0, clients on CPU 1, alternating.

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
    port = r.free_port()
    pid = server.start(port)
    try:
        out = subprocess.run(["taskset", "-c", "1", "openssl", "s_time", "-connect",
                              f"127.0.0.1:{port}", "-new", "-www", "/plaintext", "-time",
                              str(seconds)], capture_output=True, text=True,
                             timeout=seconds + 60).stdout
        m = re.search(r"([\d.]+) connections/user sec", out)
        n = re.search(r"(\d+) connections in (\d+) real seconds", out)
        return int(n.group(1)) / int(n.group(2)) if n else float(m.group(1))
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
    results = {name: {"keep-alive": [], "handshakes": []} for name in peers}
    for _ in range(args.reps):
        for name, server in peers.items():
            results[name]["keep-alive"].append(keep_alive(server, args.seconds))
            results[name]["handshakes"].append(handshakes(server, args.seconds))
    print(f"{time.strftime('%Y-%m-%d')}: tls_run.py {args.build} --reps {args.reps} "
          f"--seconds {args.seconds}")
    print("| server | keep-alive requests per server-core-second | full handshakes per second |")
    print("|---|---|---|")
    for name, res in results.items():
        ka, hs = statistics.median(res["keep-alive"]), statistics.median(res["handshakes"])
        print(f"| {name} | {ka:,.0f} | {hs:,.0f} |")
    b, n = results["bareasio"], results["nginx"]
    print(f"bareasio / nginx: keep-alive {statistics.median(b['keep-alive']) / statistics.median(n['keep-alive']):.2f}x, "
          f"handshakes {statistics.median(b['handshakes']) / statistics.median(n['handshakes']):.2f}x")
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
