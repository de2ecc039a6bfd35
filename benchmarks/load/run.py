#!/usr/bin/env python3
"""Load benchmarks: bareasio against peers measured in the same run.

Each server runs pinned to CPU 0, wrk to CPU 1. For every repetition the
peers run one after another (A B C A B C ...), so slow drift of a shared
machine hits them all alike. Per cell: requests/s, p50/p99 latency, server
CPU%, requests per server-core-second (the fair figure when wrk saturates
its own core) and peak RSS; the median over repetitions and the spread.

usage: run.py BUILD_DIR [--reps N] [--seconds S] [--scenarios a,b] [--out FILE.md]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log crit;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port}{tls} reuseport;{tls_settings}
        location = /plaintext {{ default_type text/plain; return 200 "Hello, World!"; }}
        location = /json {{ default_type application/json; return 200 '{{"message":"Hello, World!"}}'; }}
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    kids = {pid}
    changed = True
    while changed:
        changed = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid in kids and int(entry) not in kids:
                kids.add(int(entry))
                changed = True
    return kids


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / TICKS


def peak_rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def wait_listening(port, proc, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.communicate()}")
            time.sleep(0.05)
    raise RuntimeError("server did not listen")


class Server:
    def __init__(self, name, argv, cwd=None, setup=None):
        self.name, self.argv, self.cwd, self.setup = name, argv, cwd, setup

    def start(self, port):
        argv = [a.format(port=port) for a in self.argv]
        if self.setup:
            argv = self.setup(port, argv)
        self.proc = subprocess.Popen(["taskset", "-c", "0", *argv], cwd=self.cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(port, self.proc)
        return self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT if self.name == "nginx" else signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# With a certificate (tls_run.py): TLS 1.2 and 1.3, and no session cache or
# tickets, so that every new connection is a full handshake.
NGINX_TLS_SETTINGS = """
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache off;
        ssl_session_tickets off;"""


def nginx_setup(port, argv, cert=None, key=None):
    d = tempfile.mkdtemp(prefix="bench-nginx-")
    tls = NGINX_TLS_SETTINGS.format(cert=cert, key=key) if cert else ""
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(dir=d, port=port, tls=" ssl" if cert else "", tls_settings=tls))
    return [argv[0], "-e", os.path.join(d, "error.log"), "-p", d, "-c", os.path.join(d, "nginx.conf")]


def servers(build):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return {
        "bareasio": Server("bareasio", [os.path.join(build, "benchmarks", "bench_server"), "--port", "{port}"]),
        "nginx": Server("nginx", [nginx], setup=nginx_setup),
        "beast": Server("beast", [os.path.join(build, "benchmarks", "beast_server"), "{port}"]),
        "node": Server("node", ["node", os.path.join(HERE, "node_server.js"), "{port}"]),
        "uvicorn": Server("uvicorn", ["/usr/bin/python3", "-m", "uvicorn", "asgi_app:app", "--port", "{port}",
                                      "--log-level", "warning", "--no-access-log"], cwd=HERE),
        "asio-fixed": Server("asio-fixed", [os.path.join(build, "benchmarks", "asio_fixed"), "{port}"]),
    }


SCENARIOS = {
    # name: (path, connections, wrk extra args, peers)
    "plaintext": ("/plaintext", 64, [], ["bareasio", "nginx", "beast", "node", "uvicorn"]),
    "pipelined": ("/plaintext", 64, ["-s", os.path.join(HERE, "pipeline.lua")],
                  ["bareasio", "nginx", "beast", "node", "asio-fixed"]),
    "json": ("/json", 64, [], ["bareasio", "nginx", "beast", "node", "uvicorn"]),
    # asio-fixed answers at once: the most this client drives at 10,000
    # connections, which bounds the seed route's ideal (connections / 100 ms).
    "seed-10k": ("/", 10000, [], ["bareasio", "asio-fixed"]),
}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        print(f"unreadable latency from wrk: {text!r}", file=sys.stderr)
        return float("nan")
    value, unit = m.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port, path, connections, extra, seconds):
    threads = "1"
    argv = ["taskset", "-c", "1", "wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds}s",
            "--latency", "--timeout", "5s", *extra, f"http://127.0.0.1:{port}{path}"]
    if extra:
        argv += ["--", path]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    out = run.stdout
    if "requests in" not in out or "99%" not in out:
        raise RuntimeError(f"wrk failed: {' '.join(argv)}\n{out}\n{run.stderr}")
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = to_ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return total, p50, p99, int(errors.group(1)) if errors else 0, socket_errors.group(1) if socket_errors else ""


def measure(server, scenario, seconds):
    path, connections, extra, _ = SCENARIOS[scenario]
    port = free_port()
    pid = server.start(port)
    try:
        run_wrk(port, path, min(connections, 64), extra, 1)  # warm up
        pids = descendants(pid)
        cpu0, t0 = cpu_seconds(pids), time.monotonic()
        total, p50, p99, non2xx, sock = run_wrk(port, path, connections, extra, seconds)
        cpu = cpu_seconds(pids) - cpu0
        wall = time.monotonic() - t0
        rss = peak_rss_kib(pids)
    finally:
        server.stop()
    return {"rps": total / seconds, "p50": p50, "p99": p99, "cpu_pct": 100 * cpu / wall,
            "per_core_s": total / cpu if cpu > 0 else 0.0, "rss_kib": rss,
            "non2xx": non2xx, "socket_errors": sock}


def summarise(samples, key):
    values = [s[key] for s in samples]
    return statistics.median(values), min(values), max(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--scenarios", default="plaintext,pipelined,json,seed-10k")
    ap.add_argument("--out", default=os.path.join(HERE, "last-run.md"))
    args = ap.parse_args()
    table = servers(args.build)
    scenarios = args.scenarios.split(",")
    results = {}
    for rep in range(args.reps):
        for scenario in scenarios:
            for peer in SCENARIOS[scenario][3]:
                sample = measure(table[peer], scenario, args.seconds)
                results.setdefault(scenario, {}).setdefault(peer, []).append(sample)
                print(f"rep {rep + 1} {scenario:10} {peer:10} {sample['rps']:10.0f} req/s "
                      f"{sample['per_core_s']:10.0f} req/core-s  cpu {sample['cpu_pct']:5.1f}%  "
                      f"p99 {sample['p99']:.2f} ms", file=sys.stderr, flush=True)
    lines = [f"Command: `benchmarks/load/run.sh --reps {args.reps} --seconds {args.seconds}`, "
             f"{time.strftime('%Y-%m-%d')}; server on CPU 0, wrk (1 thread) on CPU 1; "
             f"medians of {args.reps} alternating repetitions, spread min–max.", ""]
    for scenario in scenarios:
        path, connections, _, peers = SCENARIOS[scenario]
        lines.append(f"### {scenario} (`{path}`, {connections} connections"
                     f"{', 16 requests per write' if scenario == 'pipelined' else ''})")
        lines.append("")
        lines.append("| server | requests/s | req per server-core-s | spread | p50 ms | p99 ms | server CPU | peak RSS |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for peer in peers:
            s = results[scenario][peer]
            rps, _, _ = summarise(s, "rps")
            pcs, lo, hi = summarise(s, "per_core_s")
            p50, _, _ = summarise(s, "p50")
            p99, _, _ = summarise(s, "p99")
            cpu, _, _ = summarise(s, "cpu_pct")
            rss, _, _ = summarise(s, "rss_kib")
            bad = sum(x["non2xx"] for x in s)
            note = f" ({bad} non-2xx)" if bad else ""
            lines.append(f"| {peer}{note} | {rps:,.0f} | {pcs:,.0f} | {lo:,.0f}–{hi:,.0f} | {p50:.2f} | "
                         f"{p99:.2f} | {cpu:.0f}% | {rss:,} KiB |")
        lines.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(results, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
