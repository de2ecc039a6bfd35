#!/usr/bin/python3
"""How long a chat message takes from a member on one instance to a member
on another, through Redis (redis::broadcaster): two `websocket_chat
--redis` processes and one redis-server, each pinned to a core of its own
when there are enough; the clients (Debian's python3-websockets) send a
timestamped message every 2 ms and the other side records its arrival.
Then Redis is restarted, and the time until messages cross again is
measured. Prints p50, p99 and the maximum, and the recovery time.

usage: benchmarks/redis/chat_latency.py BUILD_DIR [MESSAGES]
"""
import asyncio
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e"))
import websockets  # noqa: E402
from e2e_support import RedisPair  # noqa: E402


async def warm_up(a, b):
    """Until the subscriptions are in place, messages do not cross."""
    for _ in range(200):
        await a.send("warm-up")
        try:
            await asyncio.wait_for(b.recv(), 0.05)
            return
        except asyncio.TimeoutError:
            pass


async def measure(port_a, port_b, count):
    async with websockets.connect(f"ws://127.0.0.1:{port_a}/chat/bench") as a, \
            websockets.connect(f"ws://127.0.0.1:{port_b}/chat/bench") as b:
        await warm_up(a, b)
        while True:  # what the warm-up left
            try:
                await asyncio.wait_for(b.recv(), 0.2)
            except asyncio.TimeoutError:
                break
        latencies = []

        async def receive():
            while len(latencies) < count:
                text = await b.recv()
                if text.startswith("t "):
                    latencies.append(time.perf_counter() - float(text[2:]))

        receiver = asyncio.create_task(receive())
        for _ in range(count):
            await a.send(f"t {time.perf_counter()!r}")
            await asyncio.sleep(0.002)
        await asyncio.wait_for(receiver, 30)
        return latencies


async def recovery(port_a, port_b, restart):
    async with websockets.connect(f"ws://127.0.0.1:{port_a}/chat/again") as a, \
            websockets.connect(f"ws://127.0.0.1:{port_b}/chat/again") as b:
        await warm_up(a, b)
        restart()
        started = time.perf_counter()
        while time.perf_counter() - started < 30:
            await a.send("after")
            try:
                while (await asyncio.wait_for(b.recv(), 0.01)) != "after":
                    pass
                return time.perf_counter() - started
            except asyncio.TimeoutError:
                pass
        return None


def main():
    build = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    chat = os.path.join(build, "examples", "websocket_chat")
    with RedisPair(chat) as pair:
        if os.cpu_count() and os.cpu_count() >= 2:
            subprocess.run(["taskset", "-pc", "0", str(pair.a.pid)], capture_output=True)
            subprocess.run(["taskset", "-pc", "1", str(pair.b.pid)], capture_output=True)
        lat = sorted(asyncio.run(measure(pair.port_a, pair.port_b, count)))
        ms = [x * 1000 for x in lat]
        p99 = ms[int(len(ms) * 0.99) - 1]
        print(f"{len(ms)} messages, one instance to the other through Redis: "
              f"p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, max {ms[-1]:.2f} ms")
        back = asyncio.run(recovery(pair.port_a, pair.port_b, pair.restart_redis))
        print(f"after a Redis restart, messages cross again after "
              f"{'never (30 s)' if back is None else f'{back:.2f} s'}")


if __name__ == "__main__":
    main()
