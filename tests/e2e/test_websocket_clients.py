#!/usr/bin/python3
"""The WebSocket examples driven by clients bareasio's authors did not write:
Debian's python3-websockets (asyncio) and python3-wsproto (sans-I/O, over a
plain socket), and a real SIGTERM.

usage: test_websocket_clients.py WEBSOCKET_ECHO WEBSOCKET_LIVE WEBSOCKET_CHAT
"""
import asyncio
import http.client
import os
import signal
import socket
import sys
import time

import websockets
from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Ping, Pong, Request,
                            TextMessage)

from e2e_support import RedisPair, check, start_example, summary


async def echo_with_websockets(port):
    url = f"ws://127.0.0.1:{port}/echo"
    async with websockets.connect(url, max_size=2**25) as ws:
        names = [type(e).__name__ for e in ws.extensions]
        check(names == ["PerMessageDeflate"], f"websockets: permessage-deflate negotiated ({names})")
        await ws.send("héllo, wörld")
        check(await ws.recv() == "héllo, wörld", "websockets: text comes back as text")
        await ws.send(b"\x00\xff\x10")
        check(await ws.recv() == b"\x00\xff\x10", "websockets: binary comes back as binary")
        big = bytes(range(256)) * (16 * 1024 * 1024 // 256)
        await ws.send(big)
        check(await ws.recv() == big, "websockets: a 16 MiB message comes back whole")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        check(True, "websockets: a ping is answered")
        # Several messages in flight at once come back in order.
        for i in range(100):
            await ws.send(f"message {i}")
        got = [await ws.recv() for _ in range(100)]
        check(got == [f"message {i}" for i in range(100)], "websockets: 100 pipelined messages in order")
    check(ws.close_code == 1000, f"websockets: closed with 1000 (got {ws.close_code})")
    # The same without compression (the client does not offer it).
    async with websockets.connect(url, max_size=2**25, compression=None) as ws:
        check(ws.extensions == [], "websockets: no extension when none is offered")
        big = bytes(range(256)) * (4 * 1024 * 1024 // 256)
        await ws.send(big)
        check(await ws.recv() == big, "websockets: 4 MiB uncompressed comes back whole")
    # A message over 16 MiB is refused with 1009.
    async with websockets.connect(url, max_size=2**25) as ws:
        try: # refused from the frame's head: the send itself may see the close
            await ws.send(b"x" * (16 * 1024 * 1024 + 1))
            await ws.recv()
            check(False, "websockets: a message over 16 MiB is refused")
        except websockets.ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 1009,
                  f"websockets: over 16 MiB closes with 1009 (got {closed.rcvd})")


def echo_with_wsproto(port):
    """Fragments, an interleaved ping and the close handshake, byte by byte
    as wsproto frames them."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    ws = WSConnection(ConnectionType.CLIENT)
    sock.sendall(ws.send(Request(host=f"127.0.0.1:{port}", target="/echo")))
    events = []

    def pump(until):
        while not any(isinstance(e, until) for e in events):
            data = sock.recv(65536)
            if not data:
                ws.receive_data(None)
                return
            ws.receive_data(data)
            events.extend(ws.events())

    pump(AcceptConnection)
    check(any(isinstance(e, AcceptConnection) for e in events), "wsproto: handshake accepted")
    events.clear()
    sock.sendall(ws.send(TextMessage(data="frag", message_finished=False)) +
                 ws.send(Ping(payload=b"p")) +
                 ws.send(TextMessage(data="mented", message_finished=True)))
    pump(TextMessage)
    pongs = [e for e in events if isinstance(e, Pong)]
    texts = [e for e in events if isinstance(e, TextMessage)]
    check(pongs and pongs[0].payload == b"p", "wsproto: the ping between fragments is answered")
    check(texts and texts[0].data == "fragmented" and texts[0].message_finished,
          "wsproto: the fragmented message comes back whole")
    events.clear()
    sock.sendall(ws.send(BytesMessage(data=b"\x01\x02")))
    pump(BytesMessage)
    check(any(isinstance(e, BytesMessage) and e.data == b"\x01\x02" for e in events),
          "wsproto: binary echo")
    events.clear()
    sock.sendall(ws.send(CloseConnection(code=1000, reason="bye")))
    pump(CloseConnection)
    closes = [e for e in events if isinstance(e, CloseConnection)]
    check(closes and closes[0].code == 1000, "wsproto: the close is answered with 1000")
    check(sock.recv(10) == b"", "wsproto: the server then closes the TCP connection")
    sock.close()


def handshake_refusals(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/echo", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                          "Sec-WebSocket-Version": "8"})
    res = conn.getresponse()
    res.read()
    check(res.status == 426 and res.getheader("sec-websocket-version") == "13",
          f"version 8: 426 with Sec-WebSocket-Version: 13 (got {res.status})")
    # A plain GET on the socket's path says what it takes.
    conn.request("GET", "/echo")
    res = conn.getresponse()
    res.read()
    check(res.status == 426 and res.getheader("upgrade") == "websocket",
          f"a plain GET on /echo: 426 with Upgrade: websocket (got {res.status})")
    # Repeated handshake fields (RFC 6455 section 11.3.1): 400.
    conn.putrequest("GET", "/echo")
    for name, value in [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                        ("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA=="),
                        ("Sec-WebSocket-Version", "13")]:
        conn.putheader(name, value)
    conn.endheaders()
    res = conn.getresponse()
    res.read()
    check(res.status == 400, f"two Sec-WebSocket-Key fields: 400 (got {res.status})")
    conn.close()


async def live_pages(port):
    url = f"ws://127.0.0.1:{port}/live"
    async with websockets.connect(url) as a, websockets.connect(url) as b:
        check(await a.recv() == "clear" and await b.recv() == "clear", "live: both pages start clear")
        await a.send("True")
        got = await asyncio.wait_for(asyncio.gather(a.recv(), b.recv()), 5)
        check(got == ["set", "set"], f"live: a click on one sets both (got {got})")
        await b.send("False")
        got = await asyncio.wait_for(asyncio.gather(a.recv(), b.recv()), 5)
        check(got == ["clear", "clear"], f"live: a click on the other clears both (got {got})")
    # Cross-site WebSocket hijacking: a page on another site is refused; the
    # page's own origin is not.
    try:
        async with websockets.connect(url, origin="http://evil.example"):
            check(False, "live: a foreign Origin is refused")
    except websockets.exceptions.InvalidStatusCode as refused:
        check(refused.status_code == 403, f"live: a foreign Origin gets 403 ({refused.status_code})")
    async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as own:
        check(await own.recv() in ("set", "clear"), "live: the page's own origin is accepted")


async def chat_rooms(port):
    base = f"ws://127.0.0.1:{port}/chat"
    async with websockets.connect(f"{base}/a") as a1, websockets.connect(f"{base}/a") as a2, \
            websockets.connect(f"{base}/b") as b1:
        await a1.send("hello room a")
        got = await asyncio.wait_for(asyncio.gather(a1.recv(), a2.recv()), 5)
        check(got == ["hello room a"] * 2, f"chat: both members of room a get it (got {got})")
        await b1.send("hello room b")
        check(await asyncio.wait_for(b1.recv(), 5) == "hello room b", "chat: room b gets its own")
        await a2.send("again")
        got = await asyncio.wait_for(asyncio.gather(a1.recv(), a2.recv()), 5)
        check(got == ["again"] * 2, "chat: room a never saw room b's message")


# Under ./dev.sh test-asan the examples use ASan's allocator, which holds
# freed memory in a quarantine: what is given back cannot be measured there.
SANITIZED = "ASAN_OPTIONS" in os.environ


def memory(pid, field="VmRSS"):
    """The process's resident memory (or its peak, VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    raise RuntimeError(f"no {field} for {pid}")


def raw_socket(port, path, small_buffer=True):
    """A WebSocket opened by hand that will never read again after its 101,
    with a small receive buffer (so the server holds what it sends) unless
    told otherwise."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if small_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    check(head.startswith(b"HTTP/1.1 101"), f"raw socket on {path}: 101 ({head[:40]!r})")
    return sock


def ping_flood(proc, port, seconds=2.0):
    """The attacker's flood: 125-byte pings as fast as the socket takes them,
    none of the pongs read. The server answers only the latest ping. (The
    client's receive buffer is the kernel's default: one too small to hold a
    pong drops the segments that would open the server's window to it.)"""
    sock = raw_socket(port, "/echo", small_buffer=False)
    sock.setblocking(False)
    ping = bytes([0x89, 0x80 | 125]) + b"\x01\x02\x03\x04" + bytes(125)
    batch, rest, sent = ping * 256, b"", 0
    before = memory(proc.pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rest = rest or batch
        try:
            n = sock.send(rest)
            sent, rest = sent + n, rest[n:]
        except BlockingIOError:
            time.sleep(0.001)
    grew = memory(proc.pid) - before
    print(f"figure: ping flood of {seconds} s, {sent >> 20} MiB of pings: memory grew {grew} MiB")
    check(sent > 10 * 2**20, f"ping flood: the server kept reading ({sent >> 20} MiB of pings)")
    check(grew < 64, f"ping flood: memory grew {grew} MiB (< 64)")
    sock.close()


async def stalled_room(proc, port):
    """Three 16 MiB messages to a room of 20 members that never read: each
    message is held once, shared by the members' queues, and a member whose
    queue is full misses the next. Memory goes back once they have left."""
    before = memory(proc.pid)
    members = [raw_socket(port, "/chat/big") for _ in range(20)]
    big = "x" * (16 * 2**20)
    async with websockets.connect(f"ws://127.0.0.1:{port}/chat/big", max_size=2**25,
                                  compression=None) as sender:
        for _ in range(3):
            await sender.send(big)
            check(await asyncio.wait_for(sender.recv(), 30) == big,
                  "stalled room: the sender, who reads, gets its message back")
    peak = memory(proc.pid, "VmHWM") - before
    check(peak < 256, f"stalled room: peak memory {peak} MiB above the start (< 256)")
    for sock in members:
        sock.close()
    await asyncio.sleep(0.5)
    held = memory(proc.pid) - before
    print(f"figure: stalled room: peak {peak} MiB above the start, {held} MiB held after")
    if SANITIZED:
        print(f"stalled room: {held} MiB held after everyone left (not checked: ASan's "
              "allocator keeps freed memory in quarantine)")
    else:
        check(held < 16, f"stalled room: {held} MiB still held after everyone left (< 16)")


async def chat_across(port_a, port_b, redis_restart):
    """Two instances of the chat on one Redis: a room spans them, each
    message reaches every member once; after Redis restarts, again."""
    async with websockets.connect(f"ws://127.0.0.1:{port_a}/chat/r") as a, \
            websockets.connect(f"ws://127.0.0.1:{port_b}/chat/r") as b:
        async def crosses(text, attempts):
            """Sends `text` from a until b hears it (subscriptions and a
            reconnect take a moment); returns after how many sends."""
            for i in range(attempts):
                await a.send(f"{text} {i}")
                try:
                    while not (await asyncio.wait_for(b.recv(), 0.2)).startswith(text):
                        pass  # what b heard before (its own marker)
                    return True
                except asyncio.TimeoutError:
                    continue
            return False
        check(await crosses("warm-up", 50), "chat --redis: a message crosses instances")
        await a.send("one")
        await a.send("two")
        got_b = []
        while "two" not in got_b:
            got_b.append(await asyncio.wait_for(b.recv(), 5))
        got_b = [m for m in got_b if not m.startswith("warm-up")]
        check(got_b == ["one", "two"],
              f"chat --redis: messages arrive once, in order, on the other instance ({got_b})")
        # a hears each of its own once: drain, then a marker from b comes after.
        await b.send("marker")
        seen = []
        while True:
            m = await asyncio.wait_for(a.recv(), 5)
            seen.append(m)
            if m == "marker":
                break
        check(seen.count("one") == 1 and seen.count("two") == 1,
              f"chat --redis: a member hears its own message once ({seen[-4:]})")
        redis_restart()
        check(await crosses("after restart", 50),
              "chat --redis: after Redis restarts, messages cross again (within 10 s)")


def chat_with_redis(chat):
    pair = RedisPair(chat)
    with pair:
        asyncio.run(chat_across(pair.port_a, pair.port_b, pair.restart_redis))
    for code, err in pair.exits:
        check(code == 0, f"chat --redis: exits 0 ({code}; {err[-300:]!r})")


def against_process(binary, coroutine, *args):
    """Runs `coroutine(proc, port)` against the example, then stops it."""
    proc, port = start_example(binary, *args)
    try:
        result = coroutine(proc, port)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


async def drained(proc, port, path):
    async with websockets.connect(f"ws://127.0.0.1:{port}{path}") as ws:
        if path == "/live":
            await ws.recv()
        proc.send_signal(signal.SIGTERM)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 1001,
                  f"drain {path}: the socket gets 1001 going away (got {closed.rcvd})")


def drain(binary, path, *args):
    proc, port = start_example(binary, *args)
    asyncio.run(drained(proc, port, path))
    _, err = proc.communicate(timeout=20)
    check(proc.returncode == 0, f"drain {path}: exits 0 (got {proc.returncode}; {err!r})")


def against(binary, coroutine, *args):
    """Runs `coroutine(port)` against the example, then stops it with SIGTERM."""
    proc, port = start_example(binary, *args)
    try:
        asyncio.run(coroutine(port))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


async def echo_clients(port):
    await echo_with_websockets(port)
    echo_with_wsproto(port)
    handshake_refusals(port)


def main():
    echo, live, chat = sys.argv[1], sys.argv[2], sys.argv[3]
    against(echo, echo_clients)
    against(live, live_pages, "--threads", "2")
    against(chat, chat_rooms, "--threads", "2")
    against_process(echo, ping_flood)
    against_process(chat, stalled_room)
    chat_with_redis(chat)
    drain(echo, "/echo")
    drain(live, "/live", "--threads", "2")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
