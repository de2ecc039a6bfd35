#!/usr/bin/env python3
"""HTTP/2 against nghttpd and nginx (http2) in the same run, with h2load:
GET /plaintext ("Hello, World!"), over TLS (ALPN h2, the same ECDSA P-256
certificate for all) and in cleartext (prior knowledge), multiplexed (16
connections x 16 streams) and not (16 x 1). Requests per server-core-second
(requests / the server's CPU time, from /proc): servers on CPU 0, h2load on
CPU 1, the servers alternating in each repetition.

usage: h2_run.py BUILD_DIR [--reps 3] [--requests 200000]
(BUILD_DIR: a release build with -Dbenchmarks=true; needs Debian's
nghttp2-client (h2load), nghttp2-server (nghttpd) and nginx-light)
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
from tls_run import make_cert

NGINX_H2_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log crit;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    http2_max_concurrent_streams 128;
    server {{
        listen 127.0.0.1:{port}{tls} http2 reuseport;{tls_settings}
        location = /plaintext {{ default_type text/plain; return 200 "Hello, World!"; }}
    }}
}}
"""


def servers(build, cert, key, tls):
    docroot = tempfile.mkdtemp(prefix="bench-nghttpd-")
    with open(os.path.join(docroot, "plaintext"), "w") as f:
        f.write("Hello, World!")

    def nginx_setup(port, argv):
        d = tempfile.mkdtemp(prefix="bench-nginx-h2-")
        settings = f"\n        ssl_certificate {cert};\n        ssl_certificate_key {key};" \
            if tls else ""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(NGINX_H2_CONF.format(dir=d, port=port, tls=" ssl" if tls else "",
                                         tls_settings=settings))
        return [argv[0], "-e", os.path.join(d, "error.log"), "-p", d, "-c",
                os.path.join(d, "nginx.conf")]

    bareasio = [os.path.join(build, "benchmarks", "bench_h2_server"), "--port", "{port}"]
    nghttpd = ["nghttpd", "-d", docroot, "{port}"]
    if tls:
        bareasio += ["--tls-cert", cert, "--tls-key", key]
        nghttpd += [key, cert]
    else:
        nghttpd.insert(1, "--no-tls")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [r.Server("bareasio", bareasio), r.Server("nghttpd", nghttpd),
            r.Server("nginx", [nginx], setup=nginx_setup)]


def measure(server, tls, clients, streams, requests):
    port = r.free_port()
    pid = server.start(port)
    try:
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/plaintext"
        base = ["taskset", "-c", "1", "h2load", "-c", str(clients), "-m", str(streams), url]
        subprocess.run(base + ["-n", str(requests // 10)], capture_output=True, timeout=120)
        pids = r.descendants(pid)
        cpu0 = r.cpu_seconds(pids)
        out = subprocess.run(base + ["-n", str(requests)], capture_output=True, text=True,
                             timeout=300).stdout
        cpu = r.cpu_seconds(pids) - cpu0
        done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out)
        codes = re.search(r"status codes: (\d+) 2xx", out)
        if not done or not codes or int(codes.group(1)) != requests:
            print(f"h2load against {server.name}: not every request was 2xx:\n{out}",
                  file=sys.stderr)
        return int(done.group(1)) / cpu if done and cpu else 0.0
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="bench-h2-")
    cert, key = make_cert(d)
    print(f"{time.strftime('%Y-%m-%d')}: h2_run.py {args.build} --reps {args.reps} "
          f"--requests {args.requests}")
    print("| transport | connections x streams | bareasio | nghttpd | nginx | "
          "bareasio / nghttpd | bareasio / nginx |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for tls in (False, True):
        for clients, streams in ((16, 16), (16, 1)):
            peers = servers(args.build, cert, key, tls)
            results = {s.name: [] for s in peers}
            for _ in range(args.reps):
                for s in peers:
                    results[s.name].append(measure(s, tls, clients, streams, args.requests))
            m = {name: statistics.median(v) for name, v in results.items()}
            print(f"| {'TLS' if tls else 'cleartext'} | {clients} x {streams} | "
                  f"{m['bareasio']:,.0f} | {m['nghttpd']:,.0f} | {m['nginx']:,.0f} | "
                  f"{m['bareasio'] / m['nghttpd']:.2f}x | {m['bareasio'] / m['nginx']:.2f}x |",
                  flush=True)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
