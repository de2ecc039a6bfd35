#!/usr/bin/env python3
"""Minimum data rates under a trickle attack: N clients each declare a
100 KB body and send one byte a second, while M normal clients upload
100 KB at full speed, all at once, against the seed's example
(POST /change_event reads the whole body). Reports whether the normal
uploads were answered (and how fast), and when each trickler was dropped,
counted from its first byte.

usage: min_rate.py SERVER_BINARY [--tricklers 2000] [--uploads 50]"""
import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import free_port  # noqa: E402

BODY = 100_000


def head(length):
    return (f"POST /change_event HTTP/1.1\r\nHost: bench\r\nContent-Length: {length}\r\n\r\n"
            .encode())


async def trickler(port, dropped):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head(BODY) + b"x")
    started = time.monotonic()
    answer = b""
    try:
        for _ in range(60):
            try:
                answer = await asyncio.wait_for(reader.read(64), 1.0)
                break  # an answer, or the end of the connection
            except asyncio.TimeoutError:
                writer.write(b"x")  # one more byte, a second later
                await writer.drain()
    except (ConnectionError, OSError):
        answer = b"reset"
    dropped.append((time.monotonic() - started, answer[:12].decode(errors="replace")))
    writer.close()


async def upload(port, latencies):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(head(BODY) + b"x" * BODY)
    await writer.drain()
    status = (await asyncio.wait_for(reader.readline(), 30)).decode().split(" ")[1]
    latencies.append((status, time.monotonic() - started))
    writer.close()


async def attack(port, tricklers, uploads):
    dropped, latencies = [], []
    tasks = []
    for i in range(tricklers):
        tasks.append(asyncio.create_task(trickler(port, dropped)))
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # let the accept queue drain
    await asyncio.sleep(1.0)  # every trickler is in the middle of its body
    opened = time.monotonic()
    await asyncio.gather(*(upload(port, latencies) for _ in range(uploads)))
    uploads_done = time.monotonic() - opened
    await asyncio.gather(*tasks)
    return dropped, latencies, uploads_done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--tricklers", type=int, default=2000)
    ap.add_argument("--uploads", type=int, default=50)
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it
    port = free_port()
    server = subprocess.Popen(["taskset", "-c", "0", args.binary, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        dropped, latencies, uploads_done = asyncio.run(attack(port, args.tricklers, args.uploads))
    finally:
        server.terminate()
        server.wait(timeout=30)
    times = sorted(t for t, _ in dropped)
    answers = {}
    for _, a in dropped:
        key = a.split("\r")[0] or "closed"
        answers[key] = answers.get(key, 0) + 1
    ok = sum(1 for s, _ in latencies if s == "204")
    lat = sorted(t for _, t in latencies)
    print(f"normal uploads: {ok}/{len(latencies)} answered 204; latency median "
          f"{statistics.median(lat) * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms; "
          f"all {len(lat)} done in {uploads_done:.2f} s")
    print(f"tricklers: {len(times)} dropped ({answers}); after their first byte: "
          f"min {times[0]:.1f} s, median {statistics.median(times):.1f} s, max {times[-1]:.1f} s")


if __name__ == "__main__":
    main()
