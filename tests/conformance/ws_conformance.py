#!/usr/bin/env python3
"""A WebSocket conformance client of our own (Python 3 standard library only).

It re-implements the public case list of the Autobahn|Testsuite fuzzing
client for sections 1-7, 9, 10, 12 and 13 with the same case IDs and
Autobahn's verdicts, against any echo server:

    ws_conformance.py --server build/examples/websocket_echo
    ws_conformance.py --port 9013 --cases 1,2,6.4 --report out.md

See README.md next to this file for the verdict rules and the differences
from Autobahn.
"""
import argparse
import base64
import hashlib
import math
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Optional

# ---------------------------------------------------------------------------
# Verdicts (Autobahn's words)

OK = "OK"
NON_STRICT = "NON-STRICT"
FAILED = "FAILED"
INFORMATIONAL = "INFORMATIONAL"
UNIMPLEMENTED = "UNIMPLEMENTED"
VERDICTS = (OK, NON_STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED)
# The closing behaviour gets a second verdict, as in Autobahn's "close" column.
WRONG_CODE = "WRONG CODE"
UNCLEAN = "UNCLEAN"
FAILED_BY_CLIENT = "FAILED BY CLIENT"

# ---------------------------------------------------------------------------
# RFC 6455 wire format

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
RSV1 = 4  # the "compressed" bit of permessage-deflate, as rsv value (RSV1 RSV2 RSV3)

CHOP_PAUSE = 0.0002  # between chops of a chopped write (when there are few)
SYNC_PAUSE = 0.001  # after a frame written on its own ("sync")


def apply_mask(data, key):
    """XORs `data` with the 4-byte `key` repeated (fast for large payloads)."""
    n = len(data)
    if n == 0:
        return b""
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(keys, "little")).to_bytes(n, "little")


def encode_frame(opcode, payload=b"", fin=True, rsv=0):
    """One masked client frame; any opcode and reserved bits may be set."""
    head = bytearray([(0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0x0F)])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    key = os.urandom(4)
    return bytes(head) + key + apply_mask(payload, key)


def repeat_to(pattern, length):
    """`pattern` repeated and cut to `length` bytes."""
    return (pattern * (length // len(pattern) + 1))[:length]


def close_payload(code=None, reason=b""):
    return (b"" if code is None else struct.pack("!H", code)) + reason


def valid_close_code(code):
    """Codes an endpoint may send (RFC 6455 §7.4, IANA registry incl. 1012-1014)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def fragments(payload, size):
    """Splits a payload into frame payloads of `size` the way Autobahn's
    sender does: a payload no longer than `size` stays whole, and one that
    divides evenly gets an empty final fragment."""
    if not size or len(payload) <= size:
        return [payload]
    pieces = [payload[i:i + size] for i in range(0, len(payload), size)]
    if len(payload) % size == 0:
        pieces.append(b"")
    return pieces


def message_frames(opcode, pieces, rsv=0):
    """Frames (opcode, payload, fin, rsv) of one message made of `pieces`."""
    last = len(pieces) - 1
    return [(opcode if i == 0 else CONT, p, i == last, rsv if i == 0 else 0)
            for i, p in enumerate(pieces)]


class Violation(Exception):
    """The server broke the protocol; the client fails the connection with `code`."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes


class FrameReader:
    """Cuts the byte stream from the server into frames."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data):
        if self.pos and self.pos > len(self.buf) // 2:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def next(self):
        buf, pos = self.buf, self.pos
        if len(buf) - pos < 2:
            return None
        b0, b1 = buf[pos], buf[pos + 1]
        n, at = b1 & 0x7F, pos + 2
        if n >= 126:
            size = 2 if n == 126 else 8
            if len(buf) - at < size:
                return None
            n = int.from_bytes(buf[at:at + size], "big")
            at += size
            if n >> 63:
                raise Violation(1002, "64-bit payload length with the top bit set")
        key = None
        if b1 & 0x80:
            if len(buf) - at < 4:
                return None
            key, at = bytes(buf[at:at + 4]), at + 4
        if len(buf) - at < n:
            return None
        payload = bytes(buf[at:at + n])
        self.pos = at + n
        if key:
            payload = apply_mask(payload, key)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, key is not None, payload)


# ---------------------------------------------------------------------------
# permessage-deflate (RFC 7692), client side

@dataclass
class DeflateOffer:
    """One offer. Like Autobahn's client, every offer also allows the server
    to ask for client_no_context_takeover and client_max_window_bits."""
    server_no_context_takeover: bool = False
    server_max_window_bits: int = 0  # 0: not asked

    def header(self):
        text = "permessage-deflate; client_no_context_takeover; client_max_window_bits"
        if self.server_no_context_takeover:
            text += "; server_no_context_takeover"
        if self.server_max_window_bits:
            text += f"; server_max_window_bits={self.server_max_window_bits}"
        return text

    def describe(self):
        return f"(server_no_context_takeover={self.server_no_context_takeover}, " \
               f"server_max_window_bits={self.server_max_window_bits or '-'})"


def parse_extensions(value):
    """'a; p=1; q, b' -> [('a', [('p', '1'), ('q', None)]), ('b', [])]"""
    result = []
    for item in filter(None, (x.strip() for x in value.split(","))):
        name, *params = [p.strip() for p in item.split(";")]
        parsed = []
        for p in params:
            key, eq, val = p.partition("=")
            parsed.append((key.strip().lower(), val.strip().strip('"') if eq else None))
        result.append((name.lower(), parsed))
    return result


def accept_deflate_response(params, offers):
    """The negotiated parameters if the server's response fits one of our
    offers (RFC 7692 §7.1), else raises ValueError."""
    got = {}
    for key, val in params:
        if key in got:
            raise ValueError(f"parameter {key} repeated")
        if key in ("server_no_context_takeover", "client_no_context_takeover"):
            if val is not None:
                raise ValueError(f"{key} must have no value")
        elif key in ("server_max_window_bits", "client_max_window_bits"):
            if val is None or not val.isdigit() or not 8 <= int(val) <= 15:
                raise ValueError(f"{key} needs a value 8-15, got {val!r}")
            val = int(val)
        else:
            raise ValueError(f"unknown parameter {key}")
        got[key] = val
    for offer in offers:
        if offer.server_no_context_takeover and "server_no_context_takeover" not in got:
            continue
        if offer.server_max_window_bits and \
                got.get("server_max_window_bits", 99) > offer.server_max_window_bits:
            continue
        return got
    raise ValueError("the response fits none of the offers")


class Deflate:
    """Compression both ways as negotiated. With client_no_context_takeover
    each message is compressed alone, so equal messages compress to equal
    bytes: those are remembered (the 12.x/13.x cases repeat slices)."""
    LEVEL, MEM_LEVEL = 6, 8  # zlib's defaults, as Autobahn

    def __init__(self, got):
        self.params = got
        self.client_bits = max(got.get("client_max_window_bits", 15), 9)  # zlib: no 8
        self.server_bits = got.get("server_max_window_bits", 15)
        self.client_reset = "client_no_context_takeover" in got
        self.server_reset = "server_no_context_takeover" in got
        self.compressor = None
        self.decompressor = None
        self.cache = {}

    def compress(self, data):
        if self.client_reset and data in self.cache:
            return self.cache[data]
        if self.compressor is None or self.client_reset:
            self.compressor = zlib.compressobj(self.LEVEL, zlib.DEFLATED, -self.client_bits,
                                               self.MEM_LEVEL)
        out = self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        out = out[:-4]
        if self.client_reset:
            if len(self.cache) > 256:
                self.cache.clear()
            self.cache[data] = out
        return out

    def decompress(self, data, limit=64 << 20):
        if self.decompressor is None or self.server_reset or self.decompressor.eof:
            self.decompressor = zlib.decompressobj(-self.server_bits)
        try:
            out = self.decompressor.decompress(data + b"\x00\x00\xff\xff", limit)
        except zlib.error as e:
            raise Violation(1007, f"compressed message does not inflate: {e}")
        if self.decompressor.unconsumed_tail:
            raise Violation(1009, "compressed message inflates beyond 64 MiB")
        return out


# ---------------------------------------------------------------------------
# Server frames -> events, with the checks RFC 6455 asks of a client

class Receiver:
    """Turns server frames into events: ('message', payload, is_binary),
    ('ping', payload), ('pong', payload), ('close', code, reason, problem).
    Raises Violation for what a client must fail the connection on."""

    def __init__(self, deflate):
        self.deflate = deflate
        self.parts = None  # payloads of the fragmented message in progress
        self.opcode = TEXT
        self.compressed = False

    def frame(self, f):
        if f.masked:
            raise Violation(1002, "server frame is masked")
        if f.opcode >= 8:
            return self.control(f)
        if f.opcode not in (CONT, TEXT, BINARY):
            raise Violation(1002, f"reserved opcode {f.opcode}")
        allowed = RSV1 if self.deflate and f.opcode != CONT else 0
        if f.rsv & ~allowed:
            raise Violation(1002, f"reserved bits {f.rsv:03b} set")
        if f.opcode == CONT and self.parts is None:
            raise Violation(1002, "continuation frame without a message")
        if f.opcode != CONT:
            if self.parts is not None:
                raise Violation(1002, "new message inside a fragmented one")
            self.parts, self.opcode, self.compressed = [], f.opcode, bool(f.rsv & RSV1)
        self.parts.append(f.payload)
        return self.message() if f.fin else []

    def message(self):
        payload = b"".join(self.parts)
        self.parts = None
        if self.compressed:
            payload = self.deflate.decompress(payload)
        if self.opcode == TEXT:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError as e:
                raise Violation(1007, f"text message is not UTF-8 ({e.reason} at {e.start})")
        return [("message", payload, self.opcode == BINARY)]

    def control(self, f):
        if f.opcode not in (CLOSE, PING, PONG):
            raise Violation(1002, f"reserved control opcode {f.opcode}")
        if f.rsv:
            raise Violation(1002, f"reserved bits {f.rsv:03b} on a control frame")
        if not f.fin:
            raise Violation(1002, "fragmented control frame")
        if len(f.payload) > 125:
            raise Violation(1002, f"control frame of {len(f.payload)} bytes")
        if f.opcode == PING:
            return [("ping", f.payload)]
        if f.opcode == PONG:
            return [("pong", f.payload)]
        return [parse_close(f.payload)]


def parse_close(payload):
    """('close', code or None, reason, problem or None); a problem is (code, text)."""
    if not payload:
        return ("close", None, b"", None)
    if len(payload) == 1:
        return ("close", None, payload, (1002, "close frame of 1 byte"))
    code, reason = struct.unpack("!H", payload[:2])[0], payload[2:]
    if not valid_close_code(code):
        return ("close", code, reason, (1002, f"invalid close code {code}"))
    try:
        reason.decode("utf-8")
    except UnicodeDecodeError:
        return ("close", code, reason, (1007, "close reason is not UTF-8"))
    return ("close", code, reason, None)


# ---------------------------------------------------------------------------
# The connection: handshake, sending (chops, pauses), the closing handshake

CONNECTING, OPEN, CLOSING, CLOSED = "connecting", "open", "closing", "closed"


class HandshakeError(Exception):
    pass


class Connection:
    """One WebSocket client connection driven step by step (no threads).
    Incoming data is read while sending, so large echoes cannot deadlock.
    The closing handshake follows Autobahn's client: a close we start waits
    1 s for the server's; after the handshake the server has 1 s to close
    TCP, else we drop it."""
    OPEN_TIMEOUT = 5.0
    CLOSE_TIMEOUT = 1.0
    DROP_TIMEOUT = 1.0

    def __init__(self, host, port, path, offers=()):
        self.host, self.port, self.path, self.offers = host, port, path, list(offers)
        self.sock = None
        self.state = CONNECTING
        self.reader = FrameReader()
        self.receiver = None
        self.deflate = None
        self.on_event = lambda event: None
        self.was_open = False
        self.closed_by_me = False  # we sent the first close frame
        self.dropped_by_me = False  # we closed TCP
        self.was_clean = False  # both close frames passed and the server closed TCP
        self.failed_by_me = ""  # why we failed the connection (the server broke a rule)
        self.remote_code = None  # the code of the server's close frame
        self.remote_reason = b""
        self.remote_problem = None  # what was wrong with the server's close frame
        self.got_close = False
        self.notes = []
        self.deadline = None  # (time, what) of the closing-handshake timer
        self.write_failed = False
        self.eof = False
        self.busy = False
        self.stats = {"app_out": 0, "wire_out": 0, "app_in": 0, "wire_in": 0}

    # ---- opening handshake

    def open(self):
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.OPEN_TIMEOUT)
        except OSError as e:
            raise HandshakeError(f"cannot connect: {e}")
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16))
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key.decode()}", "Sec-WebSocket-Version: 13",
                 "User-Agent: bareasio-ws-conformance"]
        if self.offers:
            lines.append("Sec-WebSocket-Extensions: " + ", ".join(o.header() for o in self.offers))
        try:
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            head, rest = self.read_response_head()
        except OSError as e:
            raise HandshakeError(f"opening handshake: {e}")
        self.check_response(head, key)
        self.sock.setblocking(False)
        self.state, self.was_open = OPEN, True
        self.receiver = Receiver(self.deflate)
        self.reader.feed(rest)

    def read_response_head(self):
        data = b""
        deadline = time.monotonic() + self.OPEN_TIMEOUT
        while b"\r\n\r\n" not in data:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise HandshakeError(f"server closed during the handshake: {data[:200]!r}")
            data += chunk
            if len(data) > 65536:
                raise HandshakeError("response head larger than 64 KiB")
        head, _, rest = data.partition(b"\r\n\r\n")
        return head.decode("latin-1"), rest

    def check_response(self, head, key):
        status, *header_lines = head.split("\r\n")
        if status.split(" ")[1:2] != ["101"]:
            raise HandshakeError(f"status line {status!r}")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = headers[name] + ", " + value if name in headers else value
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise HandshakeError(f"Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}, "
                                 f"expected {accept!r}")
        if headers.get("upgrade", "").lower() != "websocket" or \
                "upgrade" not in headers.get("connection", "").lower():
            raise HandshakeError("missing Upgrade: websocket / Connection: Upgrade")
        extensions = parse_extensions(headers.get("sec-websocket-extensions", ""))
        if not extensions:
            return
        if not self.offers or len(extensions) != 1 or extensions[0][0] != "permessage-deflate":
            raise HandshakeError(f"extensions not offered: {headers['sec-websocket-extensions']}")
        try:
            self.deflate = Deflate(accept_deflate_response(extensions[0][1], self.offers))
        except ValueError as e:
            raise HandshakeError(f"permessage-deflate response: {e}")

    # ---- sending

    def send_raw(self, data, chop=None, pause=0.0):
        """Writes bytes, in chops of `chop` bytes with `pause` after each."""
        if self.state == CLOSED or self.write_failed:
            return
        if chop:
            chops = [data[i:i + chop] for i in range(0, len(data), chop)] or [b""]
            pause = max(pause, CHOP_PAUSE if len(chops) <= 1000 else 0.0)
        else:
            chops = [data]
        for piece in chops:
            self.write(piece)
            if self.write_failed:
                break
            if pause:
                self.idle(pause)
        self.settle()

    def write(self, data):
        """Writes all of `data`, reading (not yet handling) what arrives."""
        view = memoryview(data)
        while view and not self.write_failed:
            readable, writable, _ = select.select([self.sock], [self.sock], [], 5.0)
            if readable and not self.receive_bytes():
                self.write_failed = True  # the server closed: no more writing
                break
            if writable:
                try:
                    sent = self.sock.send(view[:1 << 20])
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as e:
                    self.notes.append(f"write failed: {e.strerror or e}")
                    self.write_failed = True
                    break
                view = view[sent:]
                self.stats["wire_out"] += sent

    def idle(self, seconds):
        """Sleeps, reading what arrives."""
        readable, _, _ = select.select([self.sock], [], [], seconds)
        if readable:
            self.receive_bytes()

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, chop=None, sync=False):
        self.send_raw(encode_frame(opcode, payload, fin, rsv), chop, SYNC_PAUSE if sync else 0.0)

    def send_message(self, payload, binary, fragment_size=None):
        """A data message, compressed when permessage-deflate was agreed."""
        rsv, data = 0, payload
        if self.deflate:
            rsv, data = RSV1, self.deflate.compress(payload)
        self.stats["app_out"] += len(payload)
        frames = message_frames(BINARY if binary else TEXT, fragments(data, fragment_size), rsv)
        self.send_raw(b"".join(encode_frame(op, p, fin, r) for op, p, fin, r in frames))

    def send_close(self, code=None, reason=b"", reply=False):
        """Starts (or answers) the closing handshake; ignored unless open."""
        if self.state != OPEN:
            return
        self.state = CLOSING
        self.closed_by_me = not reply
        if not reply:
            self.deadline = (time.monotonic() + self.CLOSE_TIMEOUT, "close")
        self.send_raw(encode_frame(CLOSE, close_payload(code, reason)))

    # ---- receiving

    def receive_bytes(self):
        """Reads what is there into the frame reader; False at the end of
        the stream (then settle() ends the connection)."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as e:
            self.notes.append(f"read failed: {e.strerror or e}")
            data = b""
        if not data:
            self.eof = True
            return False
        self.stats["wire_in"] += len(data)
        self.reader.feed(data)
        return True

    def settle(self):
        """Handles the frames read so far, then the end of the stream."""
        if self.busy or self.state == CLOSED:
            return
        self.busy = True
        try:
            self.process()
        finally:
            self.busy = False
        if self.eof and self.state != CLOSED:
            if not self.got_close:
                self.notes.append("server closed TCP without answering our close" if
                                  self.closed_by_me else "server closed TCP without a close frame")
            self.finish_closed()

    def finish_closed(self):
        self.state = CLOSED
        self.deadline = None
        try:
            self.sock.close()
        except OSError:
            pass

    def drop(self, why):
        """We close TCP (Autobahn: droppedByMe)."""
        if self.state == CLOSED:
            return
        self.notes.append(why)
        self.dropped_by_me = True
        self.finish_closed()

    def process(self):
        while self.state != CLOSED and not self.got_close:
            try:
                frame = self.reader.next()
                if frame is None:
                    return
                events = self.receiver.frame(frame)
            except Violation as v:
                self.reader = FrameReader()  # nothing after a broken frame is read
                return self.fail(v.code, str(v))
            for event in events:
                self.handle(event)

    def handle(self, event):
        kind = event[0]
        if kind == "close":
            return self.closed_by_server(*event[1:])
        if kind == "ping":
            if self.state == OPEN:
                self.send_raw(encode_frame(PONG, event[1]))
            return
        if kind == "message":
            self.stats["app_in"] += len(event[1])
        self.on_event(event)

    def closed_by_server(self, code, reason, problem):
        self.remote_code, self.remote_reason, self.remote_problem = code, reason, problem
        if problem:
            self.notes.append(f"server's close frame is invalid: {problem[1]}")
            self.fail(*problem)  # as Autobahn's client: a protocol error like any other
        elif self.state == OPEN:
            self.send_close(code if code is not None and valid_close_code(code) else None,
                            reply=True)
        self.got_close = True
        if self.state != CLOSED:
            self.was_clean = True
            self.deadline = (time.monotonic() + self.DROP_TIMEOUT, "drop")

    def fail(self, code, reason):
        """The server broke a rule: fail the connection (a close frame, as
        Autobahn's fuzzing client does, or TCP closed when already closing)."""
        self.failed_by_me = f"client failed the connection ({code}): {reason}"
        if self.state == OPEN:
            self.send_close(code, reason.encode()[:123])
        elif self.state == CLOSING:
            self.drop(self.failed_by_me)

    # ---- waiting

    def pump(self, timeout):
        """Waits up to `timeout` for data, handles it and the timers."""
        if self.state == CLOSED:
            return
        if self.deadline:
            timeout = min(timeout, max(0.0, self.deadline[0] - time.monotonic()))
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if readable:
            self.receive_bytes()
        self.settle()
        if self.deadline and time.monotonic() >= self.deadline[0] and self.state != CLOSED:
            what = self.deadline[1]
            self.was_clean = False
            self.drop("no close frame from the server within 1 s of ours" if what == "close"
                      else "server did not close TCP within 1 s of the closing handshake")

    def wait(self, seconds, until=None):
        """Handles traffic for `seconds`, or less when closed or until() holds."""
        end = time.monotonic() + seconds
        while self.state != CLOSED and not (until and until()):
            left = end - time.monotonic()
            if left <= 0:
                return
            self.pump(left)

    def finish(self, limit=10.0):
        """Lets the closing handshake end (its timers bound this)."""
        self.wait(limit)
        if self.state != CLOSED:
            self.drop("case did not end")

    def fire(self, kind):
        """Autobahn's case timers: 'kill' fails the connection (close 1001,
        or drops TCP while closing); 'close' starts a normal close."""
        if self.state == OPEN:
            if kind == "kill":
                self.notes.append("timer ran out: client closed with 1001")
                self.send_close(1001, b"going away")
            else:
                self.send_close()
        elif self.state == CLOSING and kind == "kill":
            self.drop("timer ran out while closing: client closed TCP")


# ---------------------------------------------------------------------------
# Cases as data: steps to perform, the events expected back, the close expected

@dataclass(frozen=True)
class CloseRule:
    """How the connection should end (Autobahn's expectedClose)."""
    by_me: bool  # True: this client starts the closing handshake; False: the server fails it
    codes: tuple  # acceptable codes in the server's close frame (an empty one is accepted too)
    clean: bool  # a full closing handshake, then the server closes TCP, is required
    wrong_endpoint_fatal: bool = False  # UTF-8 cases: the server must be the one that fails
    wrong_code_fatal: bool = False  # section 7: a wrong close code fails the case


NORMAL = CloseRule(True, (1000,), True)
FAIL_1002 = CloseRule(False, (1002,), False)
FAIL_1007 = CloseRule(False, (1007,), False, wrong_endpoint_fatal=True)


def msg(payload, binary=False):
    return ("message", payload, binary)


def pong(payload=b""):
    return ("pong", payload)


def timeout(tag):
    return ("timeout", tag)


@dataclass
class Send:
    """One frame, any opcode and bits, optionally written in chops or on its own."""
    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv: int = 0
    chop: Optional[int] = None
    sync: bool = False


@dataclass
class Raw:
    """Bytes written as they are (part of a frame)."""
    data: bytes


@dataclass
class Close:
    """A close frame that starts the closing handshake (payload as given)."""
    code: Optional[int] = None
    reason: bytes = b""


@dataclass
class Later:
    """Waits; the script goes on only while the connection is open, and a
    tag is then noted as the event ('timeout', tag)."""
    seconds: float
    tag: Optional[str] = None


@dataclass
class Timer:
    """The case's last timer: 'kill' (fail the connection) or 'close'."""
    kind: str
    seconds: float


@dataclass
class Case:
    id: str
    desc: str
    steps: list = field(default_factory=list)
    expect: dict = field(default_factory=dict)  # verdict -> the events expected
    close: CloseRule = NORMAL
    suppress_close: bool = False  # no automatic close when the events match
    action: Optional[Callable] = None  # instead of steps: action(conn, inbox) -> outcome
    offers: tuple = ()  # permessage-deflate offers
    informational: Optional[Callable] = None  # describe(conn, received): verdict INFORMATIONAL

    @property
    def section(self):
        return self.id.split(".")[0]


@dataclass
class Outcome:
    """What an action decided (performance and compression cases)."""
    behavior: str
    result: str
    detail: str = ""


@dataclass
class Result:
    case: Case
    verdict: str  # the overall verdict, see overall()
    behavior: str
    close: str
    result: str
    close_result: str
    remote_code: Optional[int]
    seconds: float
    detail: str = ""
    notes: list = field(default_factory=list)


# ---------------------------------------------------------------------------
# Running a case

@dataclass
class Target:
    host: str
    port: int
    path: str


def run_case(case, target):
    conn = Connection(target.host, target.port, target.path, case.offers)
    received = []
    start = time.monotonic()
    try:
        conn.open()
    except HandshakeError as e:
        return Result(case, FAILED, FAILED, FAILED, f"opening handshake failed: {e}",
                      "the connection never opened", None, time.monotonic() - start)
    outcome = None
    if case.action:
        inbox = deque()
        conn.on_event = inbox.append
        outcome = case.action(conn, inbox)
    else:
        conn.on_event = lambda event: on_event(case, conn, received, event)
        run_steps(case, conn, received)
    conn.finish()
    return judge(case, conn, received, outcome, time.monotonic() - start)


def run_case_guarded(case, target):
    """run_case; a bug of this client is printed and the case FAILED (so
    it cannot pass unnoticed) instead of ending the run."""
    start = time.monotonic()
    try:
        return run_case(case, target)
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        traceback.print_exc()
        return Result(case, FAILED, FAILED, FAILED, f"error in the conformance client: {e!r}",
                      "-", None, time.monotonic() - start)


def on_event(case, conn, received, event):
    """Records an event; once the events match, the client closes if it
    is the one to close (Autobahn's finishWhenDone)."""
    received.append(event)
    if case.close.by_me and not case.suppress_close and case.expect and \
            all(received == events for events in case.expect.values()):
        conn.send_close(case.close.codes[0])


def run_steps(case, conn, received):
    for step in case.steps:
        if isinstance(step, Send):
            conn.send_frame(step.opcode, step.payload, step.fin, step.rsv, step.chop, step.sync)
        elif isinstance(step, Raw):
            conn.send_raw(step.data, pause=SYNC_PAUSE)
        elif isinstance(step, Close):
            conn.send_close(step.code, step.reason)
        elif isinstance(step, Later):
            conn.wait(step.seconds)
            if conn.state != OPEN:
                return
            if step.tag:
                received.append(timeout(step.tag))
        elif isinstance(step, Timer):
            conn.wait(step.seconds)
            conn.fire(step.kind)


# ---------------------------------------------------------------------------
# Verdicts: the one place they are decided

def judge(case, conn, received, outcome, seconds):
    if outcome:
        behavior, result, detail = outcome.behavior, outcome.result, outcome.detail
    else:
        (behavior, result), detail = match_events(case.expect, received), ""
    close, close_result = judge_close(case.close, conn)
    rule = case.close
    if rule.wrong_endpoint_fatal and conn.closed_by_me != rule.by_me:
        behavior = FAILED
        result += "; the server did not fail the connection"
    if rule.wrong_code_fatal and close == WRONG_CODE:
        behavior, result = FAILED, close_result
    if case.informational:
        behavior = close = INFORMATIONAL
        result = case.informational(conn, received)
    notes = list(dict.fromkeys(conn.notes + [conn.failed_by_me] * bool(conn.failed_by_me)))
    return Result(case, overall(behavior, close), behavior, close, result, close_result,
                  conn.remote_code, seconds, detail, notes)


def match_events(expect, received):
    """Autobahn's comparison: the events must equal one expected list."""
    for verdict, events in expect.items():
        if received == events:
            return verdict, f"got {show_events(received)}"
    wanted = " or ".join(f"{show_events(e)} for {v}" for v, e in expect.items())
    return FAILED, f"got {show_events(received)}, expected {wanted}"


def judge_close(rule, conn):
    """Autobahn's closing verdict, its rules in its order."""
    code = conn.remote_code
    if not conn.was_open:
        return FAILED, "the opening handshake never completed"
    if rule.by_me != conn.closed_by_me:
        started = "the client (the server did not)" if conn.closed_by_me else "the server"
        return FAILED, f"closing handshake started by {started}; expected " + \
            ("the client" if rule.by_me else "the server to fail the connection")
    if rule.clean and not conn.was_clean:
        return UNCLEAN, "closing handshake not clean: " + "; ".join(conn.notes or ["?"])
    if conn.remote_problem:
        return WRONG_CODE, f"server's close frame is invalid: {conn.remote_problem[1]}"
    if code is not None and code not in rule.codes:
        return WRONG_CODE, f"server's close code {code}, expected {show_codes(rule.codes)} or none"
    if conn.dropped_by_me:
        return FAILED_BY_CLIENT, "the client had to close TCP: " + "; ".join(conn.notes)
    if conn.got_close:
        return OK, f"server closed with {code if code is not None else 'an empty close frame'}"
    return OK, "server closed TCP without a close frame (accepted here)"


def overall(behavior, close):
    """One verdict per case: Autobahn's behaviour verdict, lowered by the
    closing verdict (unclean or failed -> FAILED; wrong code or the client
    having to close TCP -> NON-STRICT)."""
    if behavior in (INFORMATIONAL, UNIMPLEMENTED, FAILED):
        return behavior
    if close in (FAILED, UNCLEAN):
        return FAILED
    if close in (WRONG_CODE, FAILED_BY_CLIENT):
        return NON_STRICT
    return behavior


def show_payload(data):
    text = repr(data[:24])[1:] + ("..." if len(data) > 24 else "")
    return f"{len(data)} B {text}"


def show_events(events):
    parts = []
    for e in events[:6]:
        if e[0] == "message":
            parts.append(f"{'binary' if e[2] else 'text'} {show_payload(e[1])}")
        elif e[0] == "pong":
            parts.append(f"pong {show_payload(e[1])}")
        else:
            parts.append(f"timeout {e[1]}")
    more = f", ... {len(events) - 6} more" if len(events) > 6 else ""
    return "[" + ", ".join(parts) + more + "]"


def show_codes(codes):
    return "/".join(map(str, codes))


# ---------------------------------------------------------------------------
# Actions: messages echoed one after another (sections 9, 12, 13)

def next_message(conn, inbox, deadline):
    while True:
        conn.wait(max(0.0, deadline - time.monotonic()), until=lambda: inbox)
        if not inbox:
            return None
        event = inbox.popleft()
        if event[0] == "message":
            return event


def roundtrips(payloads, binary, send, wait):
    """An action: each payload sent with send(conn, payload, binary), its
    echo awaited (within `wait` seconds for all) and compared, then a
    normal close."""
    def action(conn, inbox):
        start = time.monotonic()
        deadline, n, total = start + wait, 0, 0
        outcome = None
        for payload in payloads():
            send(conn, payload, binary)
            echo = next_message(conn, inbox, deadline)
            outcome = check_echo(echo, payload, binary, n, conn, wait)
            if outcome:
                break
            n, total = n + 1, total + len(payload)
        if not outcome:
            took = time.monotonic() - start
            outcome = Outcome(OK, f"{n} echoes received",
                              f"{n} x {size_text(total // max(n, 1))} echoed in {took:.2f} s")
        conn.send_close(1000)
        return outcome
    return action


def check_echo(echo, payload, binary, n, conn, wait):
    """None when the echo is right, else the failing Outcome."""
    if echo is None:
        why = "; ".join(conn.notes) if conn.state == CLOSED else f"within {wait:g} s"
        return Outcome(FAILED, f"no echo of message {n + 1} ({why})")
    if echo[2] != binary:
        return Outcome(FAILED, f"message {n + 1}: echoed as {'binary' if echo[2] else 'text'}")
    if echo[1] != payload:
        return Outcome(FAILED, f"message {n + 1}: echo differs: {show_payload(echo[1])} "
                               f"for {show_payload(payload)}")
    return None


def send_single(conn, payload, binary):
    conn.send_frame(BINARY if binary else TEXT, payload)


def send_fragmented(size):
    def send(conn, payload, binary):
        frames = message_frames(BINARY if binary else TEXT, fragments(payload, size))
        conn.send_raw(b"".join(encode_frame(op, p, fin) for op, p, fin, _ in frames))
    return send


def send_chopped(chop):
    def send(conn, payload, binary):
        conn.send_frame(BINARY if binary else TEXT, payload, chop=chop)
    return send


def compression_action(payloads, binary, autofrag, wait):
    """12.x/13.x: UNIMPLEMENTED unless the server accepts permessage-deflate."""
    def send(conn, payload, binary):
        conn.send_message(payload, binary, autofrag or None)

    inner = roundtrips(payloads, binary, send, wait)

    def action(conn, inbox):
        if conn.deflate is None:
            conn.send_close(1000)
            return Outcome(UNIMPLEMENTED, "server did not accept permessage-deflate")
        outcome = inner(conn, inbox)
        if outcome.behavior != OK:
            return outcome
        stats = conn.stats
        outcome.detail += f", wire/payload out {stats['wire_out'] / max(stats['app_out'], 1):.3f}" \
                          f" in {stats['wire_in'] / max(stats['app_in'], 1):.3f}; " \
                          f"{show_deflate(conn.deflate.params)}"
        return outcome
    return action


def show_deflate(params):
    return "; ".join(k if v is None else f"{k}={v}" for k, v in params.items()) or "defaults"


# ---------------------------------------------------------------------------
# The case list, section by section (Autobahn's IDs, payloads and pacing)

HELLO = b"Hello, world!"
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # Greek "kosme", valid UTF-8
INVALID_UTF8 = KOSME + b"\xed\xa0\x80" + b"edited"  # a UTF-16 surrogate at byte 12
FAIL_FAST = KOSME + b"\xf4\x90\x80\x80" + b"edited"  # U+110000 from byte 12 on


def echo(id, desc, steps, events, timer=("close", 1)):
    """The server must send `events` back; the client then closes normally."""
    return Case(id, desc, steps + [Timer(*timer)], {OK: events})


def failing(id, desc, steps, ok_events=None, rule=FAIL_1002, seconds=1):
    """The server must fail the connection; with `ok_events`, echoing what
    came before the bad frame is OK and echoing nothing NON-STRICT."""
    expect = {OK: ok_events, NON_STRICT: []} if ok_events else {OK: []}
    return Case(id, desc, steps + [Timer("kill", seconds)], expect, rule)


def section1():
    sizes = [0, 125, 126, 127, 128, 65535, 65536, 65536]
    cases = []
    for sub, op, byte in ((1, TEXT, b"*"), (2, BINARY, b"\xfe")):
        kind = "text" if op == TEXT else "binary"
        for i, n in enumerate(sizes, 1):
            chop = 997 if i == 8 else None
            payload = byte * n
            desc = f"{kind} message of {n} B" + (", written in 997 B chops" if chop else "")
            timer = ("kill", 10 if n >= 65535 else 1)
            cases.append(echo(f"1.{sub}.{i}", desc, [Send(op, payload, chop=chop)],
                              [msg(payload, op == BINARY)], timer))
    return cases


def section2():
    pings = [b"payload-%d" % i for i in range(10)]
    return [
        echo("2.1", "ping, empty", [Send(PING)], [pong()]),
        echo("2.2", "ping with a short text", [Send(PING, HELLO)], [pong(HELLO)]),
        echo("2.3", "ping with binary bytes", [Send(PING, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")],
             [pong(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")]),
        echo("2.4", "ping of 125 B", [Send(PING, b"\xfe" * 125)], [pong(b"\xfe" * 125)]),
        failing("2.5", "ping of 126 B (control frames are at most 125)",
                [Send(PING, b"\xfe" * 126)]),
        echo("2.6", "ping of 125 B written octet by octet", [Send(PING, b"\xfe" * 125, chop=1)],
             [pong(b"\xfe" * 125)], ("close", 2)),
        echo("2.7", "unsolicited empty pong, then close: nothing comes back",
             [Send(PONG), Close(1000)], []),
        echo("2.8", "unsolicited pong with payload, then close: nothing comes back",
             [Send(PONG, b"unsolicited pong payload"), Close(1000)], []),
        echo("2.9", "unsolicited pong, then a ping: one pong comes back",
             [Send(PONG, b"unsolicited pong payload"), Send(PING, b"ping payload")],
             [pong(b"ping payload")]),
        echo("2.10", "10 pings: 10 pongs in order", [Send(PING, p) for p in pings],
             [pong(p) for p in pings], ("close", 3)),
        echo("2.11", "10 pings written octet by octet", [Send(PING, p, chop=1) for p in pings],
             [pong(p) for p in pings], ("close", 3)),
    ]


def section3():
    bad8 = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    after_good = lambda rsv, **how: [Send(TEXT, HELLO, **how), Send(TEXT, HELLO, rsv=rsv, **how),
                                     Send(PING, **how)]
    return [
        failing("3.1", "text with RSV=1", [Send(TEXT, HELLO, rsv=1)]),
        failing("3.2", "good text, text with RSV=2, ping", after_good(2), [msg(HELLO)]),
        failing("3.3", "as 3.2 with RSV=3, frames written one by one", after_good(3, sync=True),
                [msg(HELLO)]),
        failing("3.4", "as 3.2 with RSV=4, written octet by octet", after_good(4, chop=1),
                [msg(HELLO)]),
        failing("3.5", "binary with RSV=5", [Send(BINARY, bad8, rsv=5)]),
        failing("3.6", "binary with RSV=6", [Send(BINARY, HELLO, rsv=6)]),
        failing("3.7", "close with RSV=7", [Send(CLOSE, rsv=7)]),
    ]


def section4():
    def after_good(op, payload, **how):
        return [Send(TEXT, HELLO, **how), Send(op, payload, **how), Send(PING, **how)]
    cases = []
    for sub, ops in ((1, (3, 4, 5, 6, 7)), (2, (11, 12, 13, 14, 15))):
        kind = "data" if sub == 1 else "control"
        a, b, c, d, e = ops
        cases += [
            failing(f"4.{sub}.1", f"reserved {kind} opcode {a}", [Send(a)]),
            failing(f"4.{sub}.2", f"reserved {kind} opcode {b} with payload",
                    [Send(b, b"reserved opcode payload")]),
            failing(f"4.{sub}.3", f"good text, reserved opcode {c}, ping", after_good(c, b""),
                    [msg(HELLO)]),
            failing(f"4.{sub}.4", f"good text, reserved opcode {d} with payload, ping",
                    after_good(d, HELLO), [msg(HELLO)]),
            failing(f"4.{sub}.5", f"as 4.{sub}.4 with opcode {e}, written octet by octet",
                    after_good(e, HELLO, chop=1), [msg(HELLO)]),
        ]
    return cases


def section5():
    f = [b"fragment%d" % i for i in range(1, 6)]
    ncp = b"non-continuation payload"
    ping = b"ping payload"

    def text_then_cont(**how):
        return [Send(TEXT, f[0], fin=False, **how), Send(CONT, f[1], **how)]

    def ping_inside(**how):
        return [Send(TEXT, f[0], fin=False, **how), Send(PING, ping, **how),
                Send(CONT, f[1], **how)]

    def stray_cont(fin, **how):
        return [Send(CONT, ncp, fin=fin, **how), Send(TEXT, HELLO, **how)]

    def interleaved(sync):
        pings = [b"pongme 1!", b"pongme 2!"]
        steps = [Send(TEXT, f[0], fin=False, sync=sync), Send(CONT, f[1], fin=False, sync=sync),
                 Send(PING, pings[0], sync=sync), Later(1),
                 Send(CONT, f[2], fin=False, sync=sync), Send(CONT, f[3], fin=False, sync=sync),
                 Send(PING, pings[1], sync=sync), Send(CONT, f[4], sync=sync)]
        return steps, [pong(pings[0]), pong(pings[1]), msg(b"".join(f))]

    twice = lambda first_fin: [Send(CONT, f[0], fin=first_fin), Send(TEXT, f[1], fin=False),
                               Send(CONT, f[2])] * 2
    return [
        failing("5.1", "fragmented ping", [Send(PING, f[0], fin=False), Send(CONT, f[1])]),
        failing("5.2", "fragmented pong", [Send(PONG, f[0], fin=False), Send(CONT, f[1])]),
        echo("5.3", "text in 2 fragments", text_then_cont(), [msg(f[0] + f[1])]),
        echo("5.4", "as 5.3, frames written one by one", text_then_cont(sync=True),
             [msg(f[0] + f[1])]),
        echo("5.5", "as 5.3, written octet by octet", text_then_cont(chop=1), [msg(f[0] + f[1])]),
        echo("5.6", "text in 2 fragments with a ping between", ping_inside(),
             [pong(ping), msg(f[0] + f[1])]),
        echo("5.7", "as 5.6, frames written one by one", ping_inside(sync=True),
             [pong(ping), msg(f[0] + f[1])]),
        echo("5.8", "as 5.6, written octet by octet", ping_inside(chop=1),
             [pong(ping), msg(f[0] + f[1])]),
        failing("5.9", "continuation (FIN) without a message", stray_cont(True)),
        failing("5.10", "as 5.9, frames written one by one", stray_cont(True, sync=True)),
        failing("5.11", "as 5.9, written octet by octet", stray_cont(True, chop=1)),
        failing("5.12", "continuation (no FIN) without a message", stray_cont(False)),
        failing("5.13", "as 5.12, frames written one by one", stray_cont(False, sync=True)),
        failing("5.14", "as 5.12, written octet by octet", stray_cont(False, chop=1)),
        failing("5.15", "a good fragmented text, then a continuation starting a message",
                [Send(TEXT, f[0], fin=False), Send(CONT, f[1]), Send(CONT, f[2], fin=False),
                 Send(TEXT, f[3])], [msg(f[0] + f[1])]),
        failing("5.16", "stray continuation (no FIN), text, continuation; twice", twice(False)),
        failing("5.17", "stray continuation (FIN), text, continuation; twice", twice(True)),
        failing("5.18", "text (no FIN) followed by a new text", [Send(TEXT, f[0], fin=False),
                                                                  Send(TEXT, f[1])]),
        echo("5.19", "text in 5 fragments, 2 pings between, a 1 s pause",
             *interleaved(False)),
        echo("5.20", "as 5.19, frames written one by one", *interleaved(True)),
    ]


def utf8_groups():
    """Sections 6.5-6.23: decoder tests after Markus Kuhn's UTF-8-test.txt,
    in Autobahn's order, as (title, [(valid, bytes), ...])."""
    good = lambda *seqs: [(True, s) for s in seqs]
    bad = lambda *seqs: [(False, s) for s in seqs]
    h = bytes.fromhex
    missing_last = [h(x) for x in ("c0", "e080", "f08080", "f8808080", "fc80808080", "df", "efbf",
                                   "f7bfbf", "fbbfbfbf", "fdbfbfbfbf")]
    lonely = [(0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD)]
    highs = [h(x) for x in ("eda080", "edadbf", "edae80", "edafbf")]
    lows = [h("edb080"), h("edbfbf")]
    return [
        ("valid UTF-8", good(b"hello$world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld",
                             b"hello\xf0\xa4\xad\xa2world", KOSME)),
        ("every prefix of a string of multi-byte characters", [(is_utf8(KOSME[:i]), KOSME[:i])
                                                               for i in range(1, len(KOSME) + 1)]),
        ("first sequence of each length", good(h("00"), h("c280"), h("e0a080"), h("f0908080"))),
        ("first sequences of 5 and 6 bytes (beyond Unicode)", bad(h("f888808080"),
                                                                   h("fc8480808080"))),
        ("last sequence of each length", good(h("7f"), h("dfbf"), h("efbfbf"), h("f48fbfbf"))),
        ("last sequences of 4, 5 and 6 bytes (beyond Unicode)",
         bad(h("f7bfbfbf"), h("fbbfbfbfbf"), h("fdbfbfbfbfbf"))),
        ("other boundaries", good(h("ed9fbf"), h("ee8080"), h("efbfbd"), h("f48fbfbf"))
         + bad(h("f4908080"))),
        ("unexpected continuation bytes", bad(h("80"), h("bf"), h("80bf"), h("80bf80"),
                                              h("80bf80bf"), h("80bf80bf80"), h("80bf80bf80bf"),
                                              bytes(range(0x80, 0xBF)))),
        ("lonely start bytes, each followed by a space",
         bad(*(bytes(b for i in range(lo, hi) for b in (i, 0x20)) for lo, hi in lonely))),
        ("sequences without their last continuation byte", bad(*missing_last)),
        ("those sequences concatenated", bad(b"".join(missing_last))),
        ("impossible bytes", bad(h("fe"), h("ff"), h("fefeffff"))),
        ("overlong '/'", bad(h("c0af"), h("e080af"), h("f08080af"), h("f8808080af"),
                             h("fc80808080af"))),
        ("largest overlong sequences", bad(h("c1bf"), h("e09fbf"), h("f08fbfbf"), h("f887bfbfbf"),
                                           h("fc83bfbfbfbf"))),
        ("overlong NUL", bad(h("c080"), h("e08080"), h("f0808080"), h("f880808080"),
                             h("fc8080808080"))),
        ("single UTF-16 surrogates", bad(*highs, h("edb080"), h("edbe80"), h("edbfbf"))),
        ("paired UTF-16 surrogates", bad(*(hi + lo for hi in highs for lo in lows))),
        ("noncharacters (valid UTF-8)", good(*noncharacters())),
        ("specials U+FFF9-U+FFFF (valid UTF-8)", good(*(bytes([0xEF, 0xBF, b])
                                                        for b in range(0xB9, 0xC0)))),
    ]


def noncharacters():
    seqs = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"]
    for lead in range(0xF0, 0xF5):
        for second in (0x8F, 0x9F, 0xAF, 0xBF):
            if (lead == 0xF4 and second != 0x8F) or (lead == 0xF0 and second == 0x8F):
                continue  # beyond U+10FFFF, or overlong
            seqs += [bytes([lead, second, 0xBF, last]) for last in (0xBE, 0xBF)]
    return seqs


def is_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def section6():
    greeting = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    one_octet_frames = lambda payload: [Send(op, p, fin) for op, p, fin, _ in
                                        message_frames(TEXT, fragments(payload, 1))]
    cases = [
        echo("6.1.1", "empty text", [Send(TEXT)], [msg(b"")]),
        echo("6.1.2", "text in 3 empty fragments", [Send(TEXT, fin=False), Send(CONT, fin=False),
                                                    Send(CONT)], [msg(b"")]),
        echo("6.1.3", "text in 3 fragments, only the middle one non-empty",
             [Send(TEXT, fin=False), Send(CONT, b"middle frame payload", fin=False), Send(CONT)],
             [msg(b"middle frame payload")]),
        echo("6.2.1", "valid UTF-8 text in one frame", [Send(TEXT, greeting)], [msg(greeting)]),
        echo("6.2.2", "valid UTF-8 text in 2 fragments split between characters",
             [Send(TEXT, "Hello-µ@ßöä".encode(), fin=False),
              Send(CONT, "üàá-UTF-8!!".encode())],
             [msg(greeting)]),
        echo("6.2.3", "valid UTF-8 text in 1-byte fragments", one_octet_frames(greeting),
             [msg(greeting)]),
        echo("6.2.4", "valid UTF-8 text (all multi-byte) in 1-byte fragments",
             one_octet_frames(KOSME), [msg(KOSME)]),
        failing("6.3.1", "invalid UTF-8 text in one frame", [Send(TEXT, INVALID_UTF8)],
                rule=FAIL_1007),
        failing("6.3.2", "invalid UTF-8 text in 1-byte fragments", one_octet_frames(INVALID_UTF8),
                rule=FAIL_1007),
    ]
    cases += fail_fast_cases()
    for group, (title, seqs) in enumerate(utf8_groups(), 5):
        for i, (valid, payload) in enumerate(seqs, 1):
            desc = f"{title}: {payload[:16].hex()}{'...' if len(payload) > 16 else ''}"
            if valid:
                cases.append(echo(f"6.{group}.{i}", desc, [Send(TEXT, payload)], [msg(payload)],
                                  ("kill", 0.5)))
            else:
                cases.append(failing(f"6.{group}.{i}", desc, [Send(TEXT, payload)],
                                     rule=FAIL_1007, seconds=0.5))
    return cases


def fail_fast_cases():
    """6.4.x: the text becomes invalid in its 2nd part, sent 1 s after the
    1st: the server should fail right then (OK), at the latest at the end of
    the message (NON-STRICT)."""
    expect = {OK: [timeout("A")], NON_STRICT: [timeout("A"), timeout("B")]}

    def as_frames(cuts):
        a, b, c = FAIL_FAST[:cuts[0]], FAIL_FAST[cuts[0]:cuts[1]], FAIL_FAST[cuts[1]:]
        return [Send(TEXT, a, fin=False), Later(1, "A"), Send(CONT, b, fin=False), Later(1, "B"),
                Send(CONT, c)]

    def as_chops(cuts):
        frame = encode_frame(TEXT, FAIL_FAST, fin=False)
        head = len(frame) - len(FAIL_FAST)
        a, b = head + cuts[0], head + cuts[1]
        return [Raw(frame[:a]), Later(1, "A"), Raw(frame[a:b]), Later(1, "B"), Raw(frame[b:]),
                Send(CONT)]

    specs = [("6.4.1", "3 frames, the 2nd holding the 4 bytes of U+110000", as_frames((11, 15))),
             ("6.4.2", "3 frames, the 2nd only the byte that makes it invalid",
              as_frames((12, 13))),
             ("6.4.3", "as 6.4.1 but 3 chops of one frame", as_chops((11, 15))),
             ("6.4.4", "as 6.4.2 but 3 chops of one frame", as_chops((12, 13)))]
    return [Case(id, "fail fast on invalid UTF-8: " + desc, steps + [Timer("kill", 1)], expect,
                 FAIL_1007) for id, desc, steps in specs]


def section7():
    def normal_close(id, desc, steps, codes=(1000,), clean=True, events=()):
        rule = CloseRule(True, codes, clean, wrong_code_fatal=True)
        return Case(id, desc, steps + [Timer("kill", 1)], {OK: list(events)}, rule,
                    suppress_close=True)

    cases = [
        Case("7.1.1", "text, then the client closes", [Send(TEXT, b"Hello World!"),
                                                       Timer("kill", 1)],
             {OK: [msg(b"Hello World!")]}, CloseRule(True, (1000,), True, wrong_code_fatal=True)),
        normal_close("7.1.2", "close, then a second close frame", [Close(1000), Send(CLOSE)]),
        normal_close("7.1.3", "close, then a ping: no pong", [Close(1000), Send(PING)]),
        normal_close("7.1.4", "close, then a text: not echoed", [Close(1000),
                                                                 Send(TEXT, b"Hello World!")]),
        normal_close("7.1.5", "text fragment, close, the last fragment",
                     [Send(TEXT, b"fragment1", fin=False), Close(1000),
                      Send(CONT, b"fragment2")]),
        Case("7.1.6", "256 KiB text, a text, close, ping, back to back",
             [Send(TEXT, repeat_to(b"BAsd7&jh23", 256 << 10)), Send(TEXT, b"Hello World!"),
              Close(1000), Send(PING), Timer("kill", 1)],
             {OK: [msg(b"Hello World!")], NON_STRICT: []}, NORMAL, suppress_close=True,
             informational=describe_7_1_6),
        normal_close("7.3.1", "close with an empty payload", [Close()]),
        normal_close("7.3.2", "close with a 1-byte payload", [Close(None, b"a")], (1002,), False),
        normal_close("7.3.3", "close 1000", [Close(1000)]),
        normal_close("7.3.4", "close 1000 with a reason", [Close(1000, b"Hello World!")]),
        normal_close("7.3.5", "close 1000 with a 123-byte reason", [Close(1000, b"*" * 123)]),
        normal_close("7.3.6", "close 1000 with a 124-byte reason (126 B frame)",
                     [Close(1000, b"*" * 124)], (1002,), False),
        normal_close("7.5.1", "close 1000 with an invalid UTF-8 reason",
                     [Close(1000, INVALID_UTF8)], (1002, 1007), False),
    ]
    valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
    cases += [normal_close(f"7.7.{i}", f"close with the valid code {code}", [Close(code)],
                           (1000, code)) for i, code in enumerate(valid, 1)]
    invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]
    cases += [normal_close(f"7.9.{i}", f"close with the invalid code {code}", [Close(code)],
                           (1002,), False) for i, code in enumerate(invalid, 1)]
    for i, code in enumerate([5000, 65535], 1):
        cases.append(Case(f"7.13.{i}", f"close with code {code} (undefined by the RFC)",
                          [Close(code), Timer("kill", 1)], {OK: []},
                          CloseRule(True, (1000, code, 1002), False), suppress_close=True,
                          informational=describe_close_answer))
    return cases


def describe_7_1_6(conn, received):
    sizes = [len(e[1]) for e in received if e[0] == "message"]
    return f"echoes before the close reply: {sizes or 'none'}; " + describe_close_answer(conn, [])


def describe_close_answer(conn, received):
    if conn.got_close:
        answer = f"server answered with close {conn.remote_code}"
    else:
        answer = "server sent no close frame"
    return answer + ("" if conn.was_clean else " (not a clean close)")


@dataclass
class Plan:
    """How much of the long cases to run. Autobahn sends 1000 messages in
    9.7/9.8 and in every 12.x/13.x case (10.9 GB through zlib both ways for
    the 216 compression cases, minutes); by default 12.x/13.x stop at a byte budget
    per case (at least `min_rounds` messages), --full runs all 1000."""
    rounds: int = 1000  # 9.7.x/9.8.x messages
    compression_bytes: int = 8 << 20  # 12.x/13.x: payload bytes per case, 0: no cap
    min_rounds: int = 20
    max_wait: float = 30.0  # cap on Autobahn's per-case timeouts (up to 480 s)

    def compression_rounds(self, size):
        if not self.compression_bytes:
            return 1000
        return max(self.min_rounds, min(1000, self.compression_bytes // max(size, 1)))


def section9(plan):
    cases = []
    text, binary = b"BAsd7&jh23", b"\x00\xfe\x23\xfa\xf0"
    big = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20]
    for sub, (pattern, is_binary, waits) in enumerate(
            [(text, False, [10, 10, 100, 100, 100, 100]), (binary, True, [10] * 4 + [100] * 2)], 1):
        for i, (size, wait) in enumerate(zip(big, waits), 1):
            desc = f"{kind(is_binary)} message of {size_text(size)}"
            payloads = lambda p=pattern, n=size: [repeat_to(p, n)]
            cases.append(limit_case(f"9.{sub}.{i}", desc, payloads, is_binary, send_single,
                                    min(wait, plan.max_wait)))
    frag_sizes = [64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]
    for sub, (byte, is_binary) in ((3, (b"*", False)), (4, (b"\xfe", True))):
        for i, frag in enumerate(frag_sizes, 1):
            cases.append(limit_case(f"9.{sub}.{i}", f"{kind(is_binary)} message of 4 MiB in "
                                    f"fragments of {size_text(frag)}",
                                    lambda b=byte: [b * (4 << 20)], is_binary,
                                    send_fragmented(frag), plan.max_wait))
    for sub, (pattern, is_binary) in ((5, (text, False)), (6, (binary, True))):
        for i, chop in enumerate([64, 128, 256, 512, 1024, 2048], 1):
            desc = f"{kind(is_binary)} message of 1 MiB written in chops of {chop} B"
            cases.append(limit_case(f"9.{sub}.{i}", desc, lambda p=pattern: [repeat_to(p, 1 << 20)],
                                    is_binary, send_chopped(chop), plan.max_wait))
    rtt = [(0, 60), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480)]
    for sub, (byte, is_binary) in ((7, (b"*", False)), (8, (b"\xfe", True))):
        for i, (size, wait) in enumerate(rtt, 1):
            cases.append(limit_case(f"9.{sub}.{i}", f"{plan.rounds} {kind(is_binary)} messages of "
                                    f"{size} B, one at a time",
                                    lambda b=byte, n=size: [b * n] * plan.rounds, is_binary,
                                    send_single, min(wait, plan.max_wait)))
    return cases


def limit_case(id, desc, payloads, is_binary, send, wait):
    return Case(id, desc, action=roundtrips(payloads, is_binary, send, wait))


def kind(is_binary):
    return "binary" if is_binary else "text"


def size_text(n):
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} B"


def section10():
    payload = b"*" * 65536
    frames = [Send(op, p, fin) for op, p, fin, _ in message_frames(TEXT, fragments(payload, 1300))]
    return [echo("10.1.1", "text of 64 KiB sent in fragments of 1300 B", frames, [msg(payload)],
                 ("kill", 10))]


# 12.x and 13.x: (message size, Autobahn's timeout, auto-fragment size); Autobahn sends 1000 each
COMPRESSION_RUNS = [(16, 60, 0), (64, 60, 0), (256, 120, 0), (1024, 240, 0), (4096, 480, 0),
                    (8192, 480, 0), (16384, 480, 0), (32768, 480, 0), (65536, 480, 0),
                    (131072, 480, 0), (8192, 480, 256), (16384, 480, 256), (32768, 480, 256),
                    (65536, 480, 256), (131072, 480, 256), (131072, 480, 1024),
                    (131072, 480, 4096), (131072, 480, 32768)]

# 13.x: the offers of each subsection, as (server_no_context_takeover, server_max_window_bits)
OFFER_SETS = [[(False, 0)], [(True, 0)], [(False, 9)], [(False, 15)], [(True, 9)], [(True, 15)],
              [(True, 9), (True, 0), (False, 0)]]


def section12(plan, datasets):
    cases = []
    for sub, data in enumerate(datasets, 1):
        cases += compression_cases(f"12.{sub}", data, [DeflateOffer()], plan)
    return cases


def section13(plan, datasets):
    cases = []
    for sub, offer_set in enumerate(OFFER_SETS, 1):
        offers = [DeflateOffer(*o) for o in offer_set]
        cases += compression_cases(f"13.{sub}", datasets[0], offers, plan)
    return cases


def compression_cases(prefix, data, offers, plan):
    cases = []
    for i, (size, wait, autofrag) in enumerate(COMPRESSION_RUNS, 1):
        rounds = plan.compression_rounds(size)
        offered = ", ".join(o.describe() for o in offers)
        desc = f"{rounds} compressed messages of {size} B from {data.name}" + \
               (f", in frames of {autofrag} B" if autofrag else "") + f"; offers {offered}"
        payloads = lambda d=data, n=size, r=rounds: d.slices(n, r)
        action = compression_action(payloads, data.binary, autofrag, min(wait, plan.max_wait))
        cases.append(Case(f"{prefix}.{i}", desc, action=action, offers=tuple(offers)))
    return cases


# ---------------------------------------------------------------------------
# Test data for 12.x/13.x. Autobahn uses five files (JSON, a bitmap, a book,
# HTML, a PDF); ours are generated alike: same kinds, same text/binary
# flags, 256 Ki units each. --testdata DIR loads Autobahn's files instead.

class TestData:
    def __init__(self, name, binary, units):
        self.name, self.binary, self.units = name, binary, units  # units: str (text) or bytes

    def slices(self, size, count):
        """Autobahn's walk through the data: consecutive slices of `size`
        characters (text) or bytes, wrapping around; yields bytes."""
        units, pos = self.units, 0
        for _ in range(count):
            end = (pos + size) % len(units)
            piece = units[pos:end] if end > pos else units[pos:] + units[:end]
            pos = end
            yield piece.encode() if isinstance(piece, str) else piece


DATA_UNITS = 1 << 18
AUTOBAHN_FILES = [("data1.json", False), ("lena512.bmp", True), ("pg2229.txt", True),
                  ("data1.html", False), ("10.1.1.105.5439.pdf", True)]


def load_datasets(directory=None):
    if directory:
        sets = []
        for name, binary in AUTOBAHN_FILES:
            with open(os.path.join(directory, name), "rb") as f:
                raw = f.read()
            sets.append(TestData(name, binary, raw if binary else raw.decode("utf-8")))
        return sets
    return [TestData("JSON records (text)", False, json_text()),
            TestData("a greyscale bitmap (binary)", True, bitmap_bytes()),
            TestData("German prose (binary)", True, prose_bytes()),
            TestData("an HTML page (text)", False, html_text()),
            TestData("PDF-like, mostly deflated streams (binary)", True, pdf_bytes())]


WORDS = ("der die das und ist nicht ein eine zu mit sich auf für über schön Größe Faust Geist "
         "Natur Welt Herz Nacht Licht Himmel Erde Kraft Zeit müssen Mephistopheles").split()
NAMES = ["Müller", "Søren", "Zoë", "東京", "café", "naïve", "Ωmega", "😀 smile", "plain",
         "data"]


def fill(make, units):
    parts, n = [], 0
    while n < units:
        piece = make()
        parts.append(piece)
        n += len(piece)
    return parts


def json_text():
    rnd = random.Random(1)
    count = iter(range(1 << 30))
    record = lambda: ('{"id": %d, "name": "%s %s", "active": %s, "score": %.4f, "tags": ["%s", '
                      '"%s"]},\n' % (next(count), rnd.choice(NAMES), rnd.choice(NAMES),
                                     rnd.choice(["true", "false"]), rnd.random() * 100,
                                     rnd.choice(NAMES), rnd.choice(NAMES)))
    return ("[\n" + "".join(fill(record, DATA_UNITS)))[:DATA_UNITS]


def html_text():
    rnd = random.Random(2)
    words = WORDS + ["café", "€", "→", "日本"]
    row = lambda: ('<div class="row r%d"><a href="/item/%d">%s</a><p>%s</p></div>\n'
                   % (rnd.randrange(10), rnd.randrange(100000), rnd.choice(words),
                      " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))))
    return ("<!DOCTYPE html><html><body>\n" + "".join(fill(row, DATA_UNITS)))[:DATA_UNITS]


def prose_bytes():
    rnd = random.Random(3)
    sentence = lambda: (" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 14))).capitalize()
                        + rnd.choice(".!?,;") + ("\n" if rnd.random() < 0.2 else " ")).encode()
    return b"".join(fill(sentence, DATA_UNITS))[:DATA_UNITS]


def bitmap_bytes():
    rnd = random.Random(4)
    w = h = 512
    header = b"BM" + struct.pack("<IHHI", 54 + 1024 + w * h, 0, 0, 54 + 1024) + \
        struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 0, w * h, 2835, 2835, 256, 0)
    palette = b"".join(bytes((g, g, g, 0)) for g in range(256))
    cols = [60 * math.sin(x / 23.0) for x in range(w)]
    rows = [128 + 50 * math.cos(y / 17.0) for y in range(h)]
    noise = rnd.randbytes(w * h)
    pixels = bytes(max(0, min(255, int(rows[i >> 9] + cols[i & 511]) + noise[i] % 13 - 6))
                   for i in range(w * h))
    return (header + palette + pixels)[:DATA_UNITS]


def pdf_bytes():
    rnd = random.Random(5)
    count = iter(range(1, 1 << 30))

    def obj():
        k = next(count)
        if rnd.random() < 0.3:
            return b"%d 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n" % k
        blob = rnd.randbytes(rnd.randint(500, 3000))
        return b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n" \
            % (k, len(blob), blob)
    return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"".join(fill(obj, DATA_UNITS)))[:DATA_UNITS]


# ---------------------------------------------------------------------------
# Selection, the server, output

SECTIONS = {"1": "Framing", "2": "Pings/Pongs", "3": "Reserved bits", "4": "Opcodes",
            "5": "Fragmentation", "6": "UTF-8", "7": "Close handling",
            "9": "Limits/performance", "10": "Auto-fragmentation",
            "12": "Compression (payloads)", "13": "Compression (parameters)"}


def all_cases(plan, testdata=None, wanted=None):
    """Every case, building the compression data only when needed."""
    cases = section1() + section2() + section3() + section4() + section5() + section6() + \
        section7() + section9(plan) + section10()
    if wanted is None or any(w.split(".")[0] in ("12", "13") for w in wanted):
        datasets = load_datasets(testdata)
        cases += section12(plan, datasets) + section13(plan, datasets)
    return cases


def selected(case_id, wanted):
    return wanted is None or any(case_id == w or case_id.startswith(w + ".") for w in wanted)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The echo server started on a free port, stopped with SIGTERM."""

    def __init__(self, binary, host):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # its stdout and stderr
        self.proc = subprocess.Popen([binary, "--port", str(self.port)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{binary} did not start on port {self.port}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()


def print_result(r):
    code = "-" if r.remote_code is None else r.remote_code
    line = f"{r.case.id:<8} {r.verdict:<13} close {r.close}({code}) {r.seconds:6.2f}s  " \
           f"{r.detail or r.case.desc}"
    if r.verdict != OK:
        line += f"\n         behaviour {r.behavior}: {r.result}\n         close {r.close}: " \
                f"{r.close_result}"
        if r.notes:
            line += "\n         notes: " + "; ".join(r.notes)
    print(line, flush=True)


def tally(results):
    """{section: {verdict: count}} in section order."""
    table = {}
    for r in results:
        table.setdefault(r.case.section, dict.fromkeys(VERDICTS, 0))[r.verdict] += 1
    return dict(sorted(table.items(), key=lambda kv: int(kv[0])))


def summary_rows(results):
    table = tally(results)
    total = dict.fromkeys(VERDICTS, 0)
    rows = []
    for section, counts in table.items():
        rows.append([section, SECTIONS.get(section, "")] + [counts[v] for v in VERDICTS]
                    + [sum(counts.values())])
        for v in VERDICTS:
            total[v] += counts[v]
    rows.append(["all", ""] + [total[v] for v in VERDICTS] + [sum(total.values())])
    return rows


def print_summary(results, seconds):
    print(f"\n{'section':<30}" + "".join(f"{v:>15}" for v in VERDICTS) + f"{'total':>8}")
    for row in summary_rows(results):
        print(f"{row[0] + ' ' + row[1]:<30}" + "".join(f"{n:>15}" for n in row[2:-1])
              + f"{row[-1]:>8}")
    print(f"\n{len(results)} cases in {seconds:.1f} s")


def write_report(path, results, seconds, about):
    lines = ["# WebSocket conformance", "",
             f"`tests/conformance/ws_conformance.py` against {about}: {len(results)} cases "
             f"in {seconds:.0f} s ({time.strftime('%Y-%m-%d')}).", "",
             "| Section | " + " | ".join(VERDICTS) + " | Total |",
             "|---|" + "---:|" * (len(VERDICTS) + 1)]
    for row in summary_rows(results):
        lines.append(f"| {row[0]} {row[1]} | " + " | ".join(map(str, row[2:])) + " |")
    others = [r for r in results if r.verdict != OK]
    lines += ["", "## Cases not OK", ""]
    if not others:
        lines.append("None.")
    else:
        lines += ["| Case | Verdict | Behaviour | Close | Why |", "|---|---|---|---|---|"]
        for r in others:
            why = f"{r.result}; close: {r.close_result}".replace("|", "\\|")
            lines.append(f"| {r.case.id} | {r.verdict} | {r.behavior} | {r.close} "
                         f"({'-' if r.remote_code is None else r.remote_code}) | {why} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def parse_args(argv):
    p = argparse.ArgumentParser(description="WebSocket conformance client (Autobahn's case list).")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="test ws://HOST:PORT/PATH (an echo server)")
    where.add_argument("--server", help="start this echo server (--port N) on a free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--path", default="/echo")
    p.add_argument("--cases", help="comma-separated case IDs or prefixes, e.g. 1,2,6.4,7.9.3")
    p.add_argument("--report", help="write the summary and the cases not OK as Markdown")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="fewer repetitions in 9.7/9.8 (100) and 12/13 (1 MiB a case)")
    size.add_argument("--full", action="store_true",
                      help="Autobahn's 1000 messages in every 12.x/13.x case (slow)")
    p.add_argument("--testdata", help="directory with Autobahn's 12.x data files")
    return p.parse_args(argv)


def make_plan(args):
    if args.full:
        return Plan(compression_bytes=0, max_wait=480.0)
    if args.quick:
        return Plan(rounds=100, compression_bytes=1 << 20, min_rounds=10)
    return Plan()


def main(argv=None):
    args = parse_args(argv)
    wanted = [w.strip() for w in args.cases.split(",") if w.strip()] if args.cases else None
    cases = [c for c in all_cases(make_plan(args), args.testdata, wanted) if selected(c.id, wanted)]
    if not cases:
        print("no case matches --cases", file=sys.stderr)
        return 2
    server = Server(args.server, args.host) if args.server else None
    port = server.port if server else args.port
    about = f"`{args.server}`" if server else f"ws://{args.host}:{port}{args.path}"
    results, start = [], time.monotonic()
    try:
        for case in cases:
            if server and not server.alive():
                print(f"server exited with status {server.proc.returncode}; "
                      f"{len(cases) - len(results)} cases not run", file=sys.stderr)
                break
            result = run_case_guarded(case, Target(args.host, port, args.path))
            results.append(result)
            print_result(result)
    finally:
        if server:
            status = server.stop()
            output = server.output()
            if status not in (0, -signal.SIGTERM):
                print(f"server exit status {status}; output: {output[-2000:]}", file=sys.stderr)
    seconds = time.monotonic() - start
    print_summary(results, seconds)
    if args.report:
        write_report(args.report, results, seconds, about)
    return 1 if any(r.verdict == FAILED for r in results) or len(results) < len(cases) else 0


if __name__ == "__main__":
    sys.exit(main())
