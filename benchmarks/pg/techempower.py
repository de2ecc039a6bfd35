#!/usr/bin/env python3
"""The TechEmpower database tests, bareasio (examples/techempower, one loop)
against uvicorn with asyncpg (benchmarks/pg/asyncpg_app.py), each pinned to
core 0 with its pool of 8 connections, PostgreSQL and wrk on core 1, driven
in turn: /db, /queries?queries=20, /fortunes, /updates?queries=20 with 64
connections (--connections; TechEmpower's rounds go up to 512), each
repetition running both servers, one after the other. Throughput is
requests per server-core-second (requests divided by the server's CPU
time, from /proc), beside plain requests per second; the database's CPU
is shared, so the ratio is the figure.

usage: techempower.py BUILD_DIR [--seconds 5] [--reps 3] [--tests /db,/fortunes]
                      [--connections 64]
(BUILD_DIR: a release build with the examples, e.g. meson setup build-pg
--buildtype=release -Dtests=false -Dexamples=true; needs postgresql-15,
wrk, python3-uvicorn, python3-uvloop, python3-httptools and python3-asyncpg)"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "load"))

from e2e_support import Postgres  # noqa: E402
from run import Server, cpu_seconds, descendants, free_port  # noqa: E402

TESTS = ["/db", "/queries?queries=20", "/fortunes", "/updates?queries=20"]


def wrk(port, target, seconds, connections):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t", "1", "-c", str(connections), "-d",
                          f"{seconds}s", f"http://127.0.0.1:{port}{target}"],
                         capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, int(errors.group(1)) if errors else 0


def measure(server, port, target, seconds, connections):
    pid = server.start(port)
    try:
        wrk(port, target, 1, connections)  # warm: statements prepared, pools full
        pids = descendants(pid)
        before = cpu_seconds(pids)
        requests, errors = wrk(port, target, seconds, connections)
        cpu = cpu_seconds(pids) - before
    finally:
        server.stop()
    return requests / seconds, requests / cpu if cpu else 0.0, errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tests", default=",".join(TESTS))
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    check = subprocess.run(["/usr/bin/python3", "-c", "import uvloop, httptools"],
                           capture_output=True)
    if check.returncode != 0:  # uvicorn would fall back to asyncio and h11, a slower peer
        sys.exit("techempower.py: the peer needs python3-uvloop and python3-httptools")
    pg = Postgres()
    try:
        pg.psql(file=os.path.join(ROOT, "examples", "techempower.sql"))
        subprocess.run(["taskset", "-a", "-p", "-c", "1", str(pg.proc.pid)], check=True,
                       capture_output=True)
        servers = [
            Server("bareasio", [os.path.join(args.build, "examples", "techempower"), "--port",
                                "{port}", "--threads", "1", "--pg", pg.url]),
            Server("uvicorn+asyncpg", ["env", f"PG_URL={pg.url}", "/usr/bin/python3", "-m",
                                       "uvicorn", "asyncpg_app:app", "--port", "{port}",
                                       "--log-level", "warning"], cwd=HERE),
        ]
        print(f"| test | server | requests/s | per server-core-s | non-2xx |")
        print("|---|---|---:|---:|---:|")
        for target in args.tests.split(","):
            runs = {server.name: [] for server in servers}
            for _ in range(args.reps):  # in turn, so a drift of the machine hits both
                for server in servers:
                    runs[server.name].append(measure(server, free_port(), target, args.seconds,
                                                     args.connections))
            per_core = {}
            for server in servers:
                rps = statistics.median(r[0] for r in runs[server.name])
                core = statistics.median(r[1] for r in runs[server.name])
                errors = sum(r[2] for r in runs[server.name])
                per_core[server.name] = core
                print(f"| {target} | {server.name} | {rps:,.0f} | {core:,.0f} | {errors} |",
                      flush=True)
            ratio = per_core["bareasio"] / per_core["uvicorn+asyncpg"]
            print(f"| {target} | ratio | | {ratio:.2f}x | |", flush=True)
    finally:
        pg.remove()


if __name__ == "__main__":
    main()
