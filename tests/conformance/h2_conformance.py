#!/usr/bin/env python3
"""HTTP/2 conformance cases of our own, on raw frames.

The cases re-implement the public case list of h2spec (generic, http2 and
hpack groups), each named after the section of RFC 9113 or RFC 7541 it
checks, with h2spec's verdict rule: a connection error is a GOAWAY with the
code, or the connection closed; a stream error is a RST_STREAM with the
code, or the same as a connection error. Frames are built by hand (they
must be malformed at will); header blocks are encoded with python3-hpack.

    h2_conformance.py build/tests/h2_test_server        # starts it, cleartext and TLS
    h2_conformance.py --port 9020 [--cases 6.5,8.1]     # a running server, cleartext
"""
import argparse
import os
import select
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import hpack

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_support import free_port, make_certificate, wait_accepting  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, STREAM_CLOSED, \
    FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR = range(10)
ENHANCE_YOUR_CALM = 0xB
S_HEADER_TABLE_SIZE, S_ENABLE_PUSH, S_MAX_CONCURRENT_STREAMS, S_INITIAL_WINDOW_SIZE, \
    S_MAX_FRAME_SIZE = 1, 2, 3, 4, 5
TIMEOUT = 2.0


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def settings(*pairs, flags=0):
    return frame(SETTINGS, flags, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


class Connection:
    """One client connection: preface and SETTINGS exchanged, frames in and out."""

    def __init__(self, target, local_settings=()):
        self.target = target
        self.sock = target.connect()
        self.buffer = b""
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.server_settings = {}
        self.sock.sendall(PREFACE + settings(*local_settings))
        acked = got_settings = False
        deadline = time.monotonic() + TIMEOUT
        while not (acked and got_settings) and time.monotonic() < deadline:
            f = self.read(deadline - time.monotonic())
            if f is None:
                raise RuntimeError("no SETTINGS exchange")
            kind, flags, _, payload = f
            if kind == SETTINGS and flags & ACK:
                acked = True
            elif kind == SETTINGS:
                for i in range(0, len(payload), 6):
                    k, v = struct.unpack(">HI", payload[i:i + 6])
                    self.server_settings[k] = v
                self.send(settings(flags=ACK))
                got_settings = True

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def headers(self, path="/hello", method="GET", extra=(), stream=1, end_stream=True,
                flags=None, raw=None):
        block = raw if raw is not None else self.encoder.encode(
            [(":method", method), (":scheme", self.target.scheme), (":path", path),
             (":authority", "localhost")] + list(extra))
        f = END_HEADERS | (END_STREAM if end_stream else 0) if flags is None else flags
        self.send(frame(HEADERS, f, stream, block))
        return block

    def read(self, timeout=TIMEOUT):
        """The next frame (kind, flags, stream, payload); None on close or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) >= 9 + length:
                    kind, flags = self.buffer[3], self.buffer[4]
                    stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7FFFFFFF
                    payload = self.buffer[9:9 + length]
                    self.buffer = self.buffer[9 + length:]
                    return kind, flags, stream, payload
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending and not select.select([self.sock], [], [], left)[0]:
                return None
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def response(self, stream=1, timeout=TIMEOUT):
        """(status, headers, body) of `stream`, or None; other frames are skipped."""
        status, fields, body = None, [], b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.read(deadline - time.monotonic())
            if f is None:
                return None
            kind, flags, sid, payload = f
            if kind == PING and not flags & ACK:
                self.send(frame(PING, ACK, 0, payload))
            if sid != stream:
                continue
            if kind == HEADERS:
                decoded = self.decoder.decode(payload)
                for name, value in decoded:
                    if name == ":status":
                        status = int(value)
                    else:
                        fields.append((name, value))
            elif kind == DATA:
                body += payload
                if payload:  # keep the windows open
                    self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(payload))) +
                              frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", len(payload))))
            elif kind == RST_STREAM:
                return None
            if kind in (HEADERS, DATA) and flags & END_STREAM:
                return status, fields, body
        return None

    def verdict(self, stream_error=None, connection_error=None, timeout=TIMEOUT):
        """Waits for the error h2spec expects: True when it came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.read(deadline - time.monotonic())
            if f is None:
                return self.closed()
            kind, flags, sid, payload = f
            if kind == GOAWAY:
                code = struct.unpack(">I", payload[4:8])[0]
                return code in (stream_error, connection_error)
            if kind == RST_STREAM and stream_error is not None:
                return struct.unpack(">I", payload)[0] == stream_error
        return False

    def closed(self):
        """The server closed the connection (end of file or reset)."""
        try:
            self.sock.settimeout(TIMEOUT)
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return True
        except OSError:
            return False

    def alive(self):
        """The connection still answers a PING."""
        self.send(frame(PING, 0, 0, b"alive!!!"))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            f = self.read(deadline - time.monotonic())
            if f is None:
                return False
            if f[0] == PING and f[1] & ACK:
                return f[3] == b"alive!!!"
        return False

    def close(self):
        self.sock.close()


class Target:
    def __init__(self, port, tls):
        self.port, self.tls = port, tls
        self.scheme = "https" if tls else "http"

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.tls:
            return sock
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
        if tls.selected_alpn_protocol() != "h2":
            raise RuntimeError("ALPN did not agree on h2")
        return tls


CASES = []


def case(section, title):
    def register(fn):
        CASES.append((section, title, fn))
        return fn
    return register


def conn_error(code):
    return lambda c: c.verdict(connection_error=code)


def stream_error(code):
    return lambda c: c.verdict(stream_error=code)


# ---- RFC 9113 §3.4: the connection preface ---------------------------------

@case("3.4/1", "sends a SETTINGS frame first, and acknowledges ours")
def _(t):
    c = Connection(t)  # raises unless both happened
    return c.server_settings.get(S_MAX_CONCURRENT_STREAMS) == 100


@case("3.4/2", "an invalid connection preface: connection error PROTOCOL_ERROR")
def _(t):
    sock = t.connect()
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[:16] + b"\r\n\r\nXX\r\n\r\n" + settings())
    c = Connection.__new__(Connection)
    c.sock, c.buffer = sock, b""
    return c.verdict(connection_error=PROTOCOL_ERROR) or c.closed()


# ---- §4.1-4.3: frames, sizes, header compression ------------------------------

@case("4.1/1", "a frame of unknown type is ignored")
def _(t):
    c = Connection(t)
    c.send(frame(0x16, 0, 0, b"ignored"))
    return c.alive()


@case("4.1/2", "undefined flags are ignored")
def _(t):
    c = Connection(t)
    c.send(frame(PING, 0x16, 0, b"12345678"))
    f = c.read()
    return f is not None and f[0] == PING and f[1] & ACK and f[3] == b"12345678"


@case("4.1/3", "the reserved bit of the stream identifier is ignored")
def _(t):
    c = Connection(t)
    block = c.encoder.encode([(":method", "GET"), (":scheme", t.scheme), (":path", "/hello"),
                              (":authority", "localhost")])
    c.send(struct.pack(">I", len(block))[1:] + bytes([HEADERS, END_HEADERS | END_STREAM]) +
           struct.pack(">I", 0x80000001) + block)
    r = c.response(1)
    return r is not None and r[0] == 200


@case("4.2/1", "a DATA frame of SETTINGS_MAX_FRAME_SIZE (16384) is accepted")
def _(t):
    c = Connection(t)
    c.headers("/count", "POST", end_stream=False)
    c.send(frame(DATA, END_STREAM, 1, b"x" * 16384))
    r = c.response(1)
    return r is not None and r[2] == b"16384"


@case("4.2/2", "a DATA frame larger than SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/count", "POST", end_stream=False)
    c.send(frame(DATA, END_STREAM, 1, b"x" * 16385))
    return c.verdict(stream_error=FRAME_SIZE_ERROR, connection_error=FRAME_SIZE_ERROR)


@case("4.2/3", "a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    block = c.encoder.encode([(":method", "GET"), (":scheme", t.scheme), (":path", "/hello"),
                              (":authority", "localhost"), ("x-big", "x" * 16384)],
                             huffman=False)
    c.headers(raw=block)
    return c.verdict(connection_error=FRAME_SIZE_ERROR)


@case("4.3/1", "an invalid header block fragment: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=b"\x00\x00\x00\x00\x00")  # a literal with a name of length 0 and more
    return c.verdict(connection_error=COMPRESSION_ERROR)


@case("4.3/2", "a PRIORITY frame inside a header block: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(flags=END_STREAM)
    c.send(frame(PRIORITY, 0, 1, struct.pack(">IB", 0, 15)))
    c.send(frame(CONTINUATION, END_HEADERS, 1, b""))
    return c.verdict(connection_error=PROTOCOL_ERROR)


# ---- §5.1: stream states and identifiers ---------------------------------------

@case("5.1/1", "idle: DATA on an idle stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(DATA, END_STREAM, 1, b"test"))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("5.1/2", "idle: RST_STREAM on an idle stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("5.1/3", "idle: WINDOW_UPDATE on an idle stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("5.1/4", "half-closed (remote): DATA: STREAM_CLOSED")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.send(frame(DATA, 0, 1, b"late"))
    return c.verdict(stream_error=STREAM_CLOSED, connection_error=STREAM_CLOSED)


@case("5.1/5", "half-closed (remote): HEADERS: STREAM_CLOSED")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.headers("/slow?ms=500")
    return c.verdict(stream_error=STREAM_CLOSED, connection_error=STREAM_CLOSED)


@case("5.1/6", "closed: DATA after RST_STREAM: STREAM_CLOSED")
def _(t):
    c = Connection(t)
    c.headers("/count", "POST", end_stream=False)
    c.send(frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL)))
    c.send(frame(DATA, 0, 1, b"late"))
    return c.verdict(stream_error=STREAM_CLOSED, connection_error=STREAM_CLOSED)


@case("5.1/7", "closed: HEADERS after RST_STREAM: STREAM_CLOSED")
def _(t):
    c = Connection(t)
    c.headers("/count", "POST", end_stream=False)
    c.send(frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL)))
    c.headers("/hello")
    return c.verdict(stream_error=STREAM_CLOSED, connection_error=STREAM_CLOSED)


@case("5.1.1/1", "an even-numbered stream identifier: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(stream=2)
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("5.1.1/2", "a stream identifier below one already used: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(stream=5)
    c.headers(stream=3)
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("5.1.2/1", "past SETTINGS_MAX_CONCURRENT_STREAMS: PROTOCOL_ERROR or REFUSED_STREAM")
def _(t):
    c = Connection(t)
    limit = c.server_settings[S_MAX_CONCURRENT_STREAMS]
    for i in range(limit + 1):
        c.headers("/slow?ms=1000", stream=1 + 2 * i)
    return c.verdict(stream_error=REFUSED_STREAM, connection_error=PROTOCOL_ERROR) or \
        c.verdict(stream_error=PROTOCOL_ERROR)


@case("5.3.1/1", "a HEADERS frame that depends on its own stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    block = c.encoder.encode([(":method", "GET"), (":scheme", t.scheme), (":path", "/hello"),
                              (":authority", "localhost")])
    c.send(frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1,
                 struct.pack(">IB", 1, 15) + block))
    return c.verdict(stream_error=PROTOCOL_ERROR)


@case("5.3.1/2", "a PRIORITY frame that depends on its own stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(PRIORITY, 0, 1, struct.pack(">IB", 1, 15)))
    return c.verdict(stream_error=PROTOCOL_ERROR)


@case("5.4.1/1", "a connection error is answered with GOAWAY, then the close")
def _(t):
    c = Connection(t)
    c.send(frame(PING, 0, 1, b"12345678"))  # PING on a stream
    return c.verdict(connection_error=PROTOCOL_ERROR) and c.closed()


@case("5.5/1", "an unknown extension frame is ignored")
def _(t):
    c = Connection(t)
    c.send(frame(0xFF, 0, 1, b"extension"))
    return c.alive()


@case("5.5/2", "an unknown frame inside a header block: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(flags=END_STREAM)
    c.send(frame(0xFF, 0, 1, b"extension"))
    return c.verdict(connection_error=PROTOCOL_ERROR)


# ---- §6.1-6.4: DATA, HEADERS, PRIORITY, RST_STREAM ---------------------------------

@case("6.1/1", "DATA on stream 0: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(DATA, END_STREAM, 0, b"test"))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.1/2", "DATA on a stream not open: STREAM_CLOSED")
def _(t):
    c = Connection(t)
    c.headers()
    c.send(frame(DATA, END_STREAM, 1, b"test"))
    return c.verdict(stream_error=STREAM_CLOSED, connection_error=STREAM_CLOSED)


@case("6.1/3", "DATA with padding as long as the payload: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/count", "POST", end_stream=False)
    c.send(frame(DATA, END_STREAM | PADDED, 1, b"\x06" + b"x" * 5))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.2/1", "HEADERS without END_HEADERS then a frame of another stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(flags=END_STREAM)
    c.headers(stream=3)
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.2/2", "HEADERS on stream 0: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(stream=0)
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.2/3", "HEADERS with padding as long as the payload: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    block = c.encoder.encode([(":method", "GET"), (":scheme", t.scheme), (":path", "/hello"),
                              (":authority", "localhost")])
    c.send(frame(HEADERS, END_HEADERS | END_STREAM | PADDED, 1,
                 bytes([len(block) + 1]) + block))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.3/1", "PRIORITY on stream 0: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(PRIORITY, 0, 0, struct.pack(">IB", 3, 15)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.3/2", "PRIORITY of 4 bytes: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(PRIORITY, 0, 1, struct.pack(">I", 3)))
    return c.verdict(stream_error=FRAME_SIZE_ERROR, connection_error=FRAME_SIZE_ERROR)


@case("6.4/1", "RST_STREAM on stream 0: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(RST_STREAM, 0, 0, struct.pack(">I", CANCEL)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.4/2", "RST_STREAM of 3 bytes: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.send(frame(RST_STREAM, 0, 1, b"\x00\x00\x08"))
    return c.verdict(connection_error=FRAME_SIZE_ERROR)


# ---- §6.5: SETTINGS ------------------------------------------------------------------

@case("6.5/1", "a SETTINGS ACK with a payload: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(SETTINGS, ACK, 0, struct.pack(">HI", S_ENABLE_PUSH, 0)))
    return c.verdict(connection_error=FRAME_SIZE_ERROR)


@case("6.5/2", "SETTINGS on a stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(SETTINGS, 0, 1, struct.pack(">HI", S_ENABLE_PUSH, 0)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.5/3", "SETTINGS of a length not a multiple of 6: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(SETTINGS, 0, 0, b"\x00\x02\x00\x00\x00"))
    return c.verdict(connection_error=FRAME_SIZE_ERROR)


@case("6.5.2/1", "SETTINGS_ENABLE_PUSH of 2: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(settings((S_ENABLE_PUSH, 2)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.5.2/2", "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1: FLOW_CONTROL_ERROR")
def _(t):
    c = Connection(t)
    c.send(settings((S_INITIAL_WINDOW_SIZE, 2 ** 31)))
    return c.verdict(connection_error=FLOW_CONTROL_ERROR)


@case("6.5.2/3", "SETTINGS_MAX_FRAME_SIZE below 16384: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(settings((S_MAX_FRAME_SIZE, 16383)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.5.2/4", "SETTINGS_MAX_FRAME_SIZE above 2^24-1: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(settings((S_MAX_FRAME_SIZE, 2 ** 24)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.5.2/5", "an unknown setting is ignored")
def _(t):
    c = Connection(t)
    c.send(settings((0xFF, 1)))
    f = c.read()
    return f is not None and f[0] == SETTINGS and f[1] & ACK and c.alive()


@case("6.5.3/1", "SETTINGS are acknowledged, and applied in order")
def _(t):
    c = Connection(t)
    c.send(settings((S_INITIAL_WINDOW_SIZE, 100), (S_INITIAL_WINDOW_SIZE, 1)))
    f = c.read()
    if f is None or f[0] != SETTINGS or not f[1] & ACK:
        return False
    c.headers("/hello")
    while True:  # one byte of "hello" fits the window of 1
        f = c.read()
        if f is None:
            return False
        if f[0] == DATA:
            return f[3] == b"h"


# ---- §6.7-6.8: PING, GOAWAY ------------------------------------------------------------

@case("6.7/1", "a PING is answered with the same payload")
def _(t):
    c = Connection(t)
    c.send(frame(PING, 0, 0, b"h2spec!!"))
    f = c.read()
    return f is not None and f[0] == PING and f[1] & ACK and f[3] == b"h2spec!!"


@case("6.7/2", "a PING ACK is not answered")
def _(t):
    c = Connection(t)
    c.send(frame(PING, ACK, 0, b"unwanted"))
    c.send(frame(PING, 0, 0, b"expected"))
    f = c.read()
    return f is not None and f[0] == PING and f[3] == b"expected"


@case("6.7/3", "PING on a stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(PING, 0, 1, b"12345678"))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.7/4", "PING of 6 bytes: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(PING, 0, 0, b"123456"))
    return c.verdict(connection_error=FRAME_SIZE_ERROR)


@case("6.8/1", "GOAWAY on a stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(GOAWAY, 0, 1, struct.pack(">II", 0, NO_ERROR)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


# ---- §6.9: WINDOW_UPDATE and flow control -------------------------------------------------

@case("6.9/1", "WINDOW_UPDATE of 0 on the connection: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0)))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.9/2", "WINDOW_UPDATE of 0 on a stream: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0)))
    return c.verdict(stream_error=PROTOCOL_ERROR)


@case("6.9/3", "WINDOW_UPDATE of 3 bytes: FRAME_SIZE_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01"))
    return c.verdict(connection_error=FRAME_SIZE_ERROR)


@case("6.9.1/1", "the server sends no more than the client's window")
def _(t):
    c = Connection(t, local_settings=[(S_INITIAL_WINDOW_SIZE, 1000)])
    c.headers("/big?bytes=5000")
    got = 0
    while True:
        f = c.read(0.5)
        if f is None:
            break
        if f[0] == DATA:
            got += len(f[3])
    if got != 1000:
        return False
    c.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 4000)))
    while got < 5000:
        f = c.read()
        if f is None:
            return False
        if f[0] == DATA:
            got += len(f[3])
    return got == 5000


@case("6.9.1/2", "a connection window past 2^31-1: FLOW_CONTROL_ERROR")
def _(t):
    c = Connection(t)
    c.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 2 ** 31 - 1)))
    return c.verdict(connection_error=FLOW_CONTROL_ERROR)


@case("6.9.1/3", "a stream window past 2^31-1: FLOW_CONTROL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 2 ** 31 - 1)))
    return c.verdict(stream_error=FLOW_CONTROL_ERROR)


@case("6.9.2/1", "SETTINGS_INITIAL_WINDOW_SIZE may make a stream window negative")
def _(t):
    c = Connection(t, local_settings=[(S_INITIAL_WINDOW_SIZE, 100)])
    c.headers("/big?bytes=300")
    got = 0
    while got < 100:
        f = c.read()
        if f is None:
            return False
        if f[0] == DATA:
            got += len(f[3])
    c.send(settings((S_INITIAL_WINDOW_SIZE, 1)))  # the window is now -99
    c.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100)))  # now 1
    f = c.read()
    while f is not None and f[0] != DATA:
        f = c.read()
    return f is not None and len(f[3]) == 1


@case("6.9.2/2", "SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1 for an open stream: FLOW_CONTROL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 2 ** 31 - 1 - 65535)))
    c.send(settings((S_INITIAL_WINDOW_SIZE, 65536)))
    return c.verdict(connection_error=FLOW_CONTROL_ERROR, stream_error=FLOW_CONTROL_ERROR)


# ---- §6.10: CONTINUATION ------------------------------------------------------------------

@case("6.10/1", "a header block in HEADERS and CONTINUATION frames")
def _(t):
    c = Connection(t)
    block = c.encoder.encode([(":method", "GET"), (":scheme", t.scheme), (":path", "/hello"),
                              (":authority", "localhost"), ("x-test", "split")])
    c.send(frame(HEADERS, END_STREAM, 1, block[:5]) +
           frame(CONTINUATION, 0, 1, block[5:10]) +
           frame(CONTINUATION, END_HEADERS, 1, block[10:]))
    r = c.response(1)
    return r is not None and r[0] == 200


@case("6.10/2", "CONTINUATION after END_HEADERS: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/slow?ms=500")
    c.send(frame(CONTINUATION, END_HEADERS, 1, c.encoder.encode([("x-late", "1")])))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.10/3", "CONTINUATION on stream 0: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers(flags=END_STREAM)
    c.send(frame(CONTINUATION, END_HEADERS, 0, b""))
    return c.verdict(connection_error=PROTOCOL_ERROR)


@case("6.10/4", "CONTINUATION after DATA: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/count", "POST", end_stream=False)
    c.send(frame(DATA, 0, 1, b"x"))
    c.send(frame(CONTINUATION, END_HEADERS, 1, b""))
    return c.verdict(connection_error=PROTOCOL_ERROR)


# ---- §8: HTTP message exchanges ------------------------------------------------------------

@case("8.1/1", "a GET is answered")
def _(t):
    c = Connection(t)
    c.headers("/hello")
    r = c.response(1)
    return r is not None and r[0] == 200 and r[2] == b"hello"


@case("8.1/2", "a request with trailers is answered")
def _(t):
    c = Connection(t)
    c.headers("/echo", "POST", end_stream=False)
    c.send(frame(DATA, 0, 1, b"body"))
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, c.encoder.encode([("x-trailer", "1")])))
    r = c.response(1)
    return r is not None and r[0] == 200 and r[2] == b"body"


@case("8.1/3", "a second HEADERS without END_STREAM (not trailers): PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/echo", "POST", end_stream=False)
    c.send(frame(DATA, 0, 1, b"body"))
    c.send(frame(HEADERS, END_HEADERS, 1, c.encoder.encode([("x-trailer", "1")])))
    return c.verdict(stream_error=PROTOCOL_ERROR)


def malformed(*fields):
    def run(t):
        c = Connection(t)
        c.headers(raw=c.encoder.encode(list(fields)))
        return c.verdict(stream_error=PROTOCOL_ERROR)
    return run


BASE = [(":method", "GET"), (":scheme", "http"), (":path", "/hello"), (":authority", "x")]
for number, title, fields in [
    ("8.2/1", "an upper-case header name", BASE + [("X-Upper", "1")]),
    ("8.2.2/1", "a connection-specific header", BASE + [("connection", "keep-alive")]),
    ("8.2.2/2", "TE other than trailers", BASE + [("te", "gzip")]),
    ("8.3/1", "an unknown pseudo-header", BASE + [(":unknown", "1")]),
    ("8.3/2", "a response pseudo-header in a request", BASE + [(":status", "200")]),
    ("8.3/3", "a pseudo-header after a regular one", BASE[:3] + [("x-a", "1")] + BASE[3:]),
    ("8.3.1/1", "no :method", BASE[1:]),
    ("8.3.1/2", "no :scheme", [BASE[0]] + BASE[2:]),
    ("8.3.1/3", "no :path", BASE[:2] + BASE[3:]),
    ("8.3.1/4", "an empty :path", BASE[:2] + [(":path", "")] + BASE[3:]),
    ("8.3.1/5", ":method twice", BASE + [(":method", "GET")]),
]:
    case(number, f"{title}: a malformed request, PROTOCOL_ERROR")(malformed(*fields))


@case("8.1.1/1", "a content-length the DATA does not match: PROTOCOL_ERROR")
def _(t):
    c = Connection(t)
    c.headers("/echo", "POST", extra=[("content-length", "1")], end_stream=False)
    c.send(frame(DATA, END_STREAM, 1, b"test"))
    return c.verdict(stream_error=PROTOCOL_ERROR)


# ---- RFC 7541: HPACK ------------------------------------------------------------------------

@case("hpack 2.3.3/1", "an index past the tables: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=bytes([0x82, 0x86, 0x84, 0x41, 0x01, 0x78, 0xFF, 0x3F]))  # index 126
    return c.verdict(connection_error=COMPRESSION_ERROR)


@case("hpack 4.2/1", "a table size update above SETTINGS_HEADER_TABLE_SIZE: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=bytes([0x3F, 0xE2, 0x1F]) + bytes([0x82, 0x86, 0x84, 0x41, 0x01, 0x78]))
    return c.verdict(connection_error=COMPRESSION_ERROR)


@case("hpack 5.2/1", "a Huffman string with the EOS symbol: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=bytes([0x82, 0x86, 0x84, 0x41, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]))
    return c.verdict(connection_error=COMPRESSION_ERROR)


@case("hpack 5.2/2", "Huffman padding longer than 7 bits: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=bytes([0x82, 0x86, 0x84, 0x41, 0x82, 0x1F, 0xFF]))  # "a" (00011), 11 bits of 1
    return c.verdict(connection_error=COMPRESSION_ERROR)


@case("hpack 6.1/1", "index 0: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=bytes([0x80]))
    return c.verdict(connection_error=COMPRESSION_ERROR)


@case("hpack 6.3/1", "a table size update after a header field: COMPRESSION_ERROR")
def _(t):
    c = Connection(t)
    c.headers(raw=bytes([0x82, 0x20, 0x86, 0x84, 0x41, 0x01, 0x78]))
    return c.verdict(connection_error=COMPRESSION_ERROR)


# ---------------------------------------------------------------------------------------------

def run(target, only):
    failed = []
    for section, title, fn in CASES:
        if only and not any(section.startswith(p) for p in only):
            continue
        try:
            ok = fn(target)
        except Exception as e:  # noqa: BLE001: a case that cannot run fails
            ok = False
            title += f" ({type(e).__name__}: {e})"
        print(f"{'ok  ' if ok else 'FAIL'} {target.scheme:5} {section:14} {title}", flush=True)
        if not ok:
            failed.append(section)
    return failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server", nargs="?")
    parser.add_argument("--port", type=int)
    parser.add_argument("--cases", default="")
    args = parser.parse_args()
    only = [c for c in args.cases.split(",") if c]
    if args.port:
        failed = run(Target(args.port, False), only)
    else:
        failed = []
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = make_certificate(tmp)
            port = free_port()
            proc = subprocess.Popen([args.server, "--port", str(port), "--tls-cert", cert,
                                     "--tls-key", key], stdout=subprocess.DEVNULL)
            plain_port = free_port()
            plain = subprocess.Popen([args.server, "--port", str(plain_port)],
                                     stdout=subprocess.DEVNULL)
            try:
                if not wait_accepting(port, proc) or not wait_accepting(plain_port, plain):
                    print("the server did not start")
                    return 1
                failed += run(Target(plain_port, False), only)
                failed += run(Target(port, True), only)
            finally:
                for p in (proc, plain):
                    p.terminate()
                    p.wait(10)
    print(f"{len(failed)} failed" + (": " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
