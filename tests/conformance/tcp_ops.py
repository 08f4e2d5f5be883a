# tests.conformance.tcp_ops: the operations of the differential TCP test, run on a real loopback pair or a fake one.
# Owns: Pair (RealPair, FakePair), OPS, run_sequence, compare. Imports: stdlib, fakes.
"""Random operation sequences on a connected TCP pair, described by their semantics.

A sequence is a list of ``(op, end, arg)`` tuples, ``end`` 0 (the connecting
client) or 1 (the accepted server side). :func:`run_sequence` runs it on a
:class:`RealPair` (non-blocking sockets on 127.0.0.1) or a :class:`FakePair`
(a :class:`fakes.FakeNetwork`) and returns one *outcome* per operation: what
the call gave (``full``/``partial``/``EAGAIN``, the bytes read, the exception
type and errno, ...) and the readiness of each open end once the world has
settled (the real kernel: a short sleep; the fake: ``run_until_idle``).
Outcomes never hold timing or buffer sizes, only what a program can rely on.
"""

from __future__ import annotations

import errno
import selectors
import socket
import struct
import time
from typing import Any

import fakes

__all__ = ["OPS", "Pair", "RealPair", "FakePair", "run_sequence", "first_difference", "compare",
           "random_sequence"]

#: op name -> whether it takes a size argument
OPS = {
    "send": True,        # send(n bytes)
    "send_empty": False,  # send(b"")
    "fill": False,        # send until EAGAIN (or an error)
    "recv": True,        # recv(n)
    "recv0": False,       # recv(0)
    "drain": False,       # recv until EAGAIN, EOF or an error
    "shut_rd": False,
    "shut_wr": False,
    "shut_rdwr": False,
    "close": False,
    "abort": False,       # SO_LINGER (1, 0) then close: a reset
    "getpeername": False,
    "so_error": False,
    "connect_ex": False,  # connect_ex to the address it connected to
    "sockopts": False,    # SO_ACCEPTCONN, SO_TYPE
}

_CHUNK = 65536


def _err(exc: OSError) -> tuple[str, str]:
    return (type(exc).__name__, errno.errorcode.get(exc.errno or 0, str(exc.errno)))


class Pair:
    """A connected pair (``socks[0]`` the client, ``socks[1]`` the accepted end), both non-blocking."""

    socks: list[Any]
    addr: Any
    closed: list[bool]

    def settle(self) -> None:
        raise NotImplementedError

    def readiness(self, i: int) -> int:
        raise NotImplementedError

    def finish(self) -> None:
        for s in self.socks:
            s.close()


class RealPair(Pair):
    def __init__(self, settle_s: float = 0.002) -> None:
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen()
        self.addr = lst.getsockname()
        a = socket.socket()
        a.setblocking(False)
        a.connect_ex(self.addr)
        select_one(lst, selectors.EVENT_READ, 2.0)
        b, _ = lst.accept()
        lst.close()
        select_one(a, selectors.EVENT_WRITE, 2.0)
        assert a.connect_ex(self.addr) == 0  # the connect reported, as the fake pair's is
        b.setblocking(False)
        self.socks = [a, b]
        self.closed = [False, False]
        self._settle_s = settle_s

    def settle(self) -> None:
        time.sleep(self._settle_s)

    def readiness(self, i: int) -> int:
        return select_one(self.socks[i], selectors.EVENT_READ | selectors.EVENT_WRITE, 0)


class FakePair(Pair):
    def __init__(self, seed: int = 0) -> None:
        self.net = net = fakes.FakeNetwork(seed=seed, trace=False)
        self.addr = ("127.0.0.1", 80)
        lst = net.listen(self.addr)
        a = net.connect(self.addr, name="client")
        net.run_until_idle()
        b, _ = lst.accept()
        lst.close()
        assert a.connect_ex(self.addr) == 0
        b.setblocking(False)
        self.socks = [a, b]
        self.closed = [False, False]
        self.selector = net.selector()

    def settle(self) -> None:
        self.net.run_until_idle()

    def readiness(self, i: int) -> int:
        return select_one(self.socks[i], selectors.EVENT_READ | selectors.EVENT_WRITE, 0, self.selector)


def select_one(sock: Any, events: int, timeout: float, sel: Any = None) -> int:
    own = sel is None
    if own:
        sel = selectors.DefaultSelector()
    try:
        sel.register(sock, events)
        ready = sel.select(timeout)
        sel.unregister(sock)
    finally:
        if own:
            sel.close()
    return ready[0][1] if ready else 0


class _Streams:
    """What each end's sends accepted, and how much of it the other end has read: received bytes
    must be the next ones of the sender's own accepted stream (the two worlds accept different
    amounts once a buffer fills, so their streams are compared only while they are exact)."""

    def __init__(self) -> None:
        self.accepted = [bytearray(), bytearray()]
        self.read = [0, 0]  # read[i]: bytes of accepted[i] the other end has read
        self.exact = [True, True]  # nothing partial yet in the direction from end i
        # end i filled its buffer and the other end has not drained it all since: how much a send
        # takes, and when the end is writable again, are Linux's buffer heuristics (autotuned sizes,
        # EPOLLOUT only once a third is free), not semantics: such sends are compared as
        # "some/none", and the end's WRITE readiness is not compared
        self.congested = [False, False]
        self.counter = 0

    def payload(self, n: int) -> bytes:
        self.counter += 1
        head = b"%d:" % self.counter
        return (head * (n // len(head) + 1))[:n]


def _do(pair: Pair, streams: _Streams, op: str, end: int, arg: int) -> Any:
    s = pair.socks[end]
    try:
        if op == "send":
            data = streams.payload(arg)
            try:
                k = s.send(data)
            except BlockingIOError:
                if streams.congested[end]:
                    return ("congested",)
                raise
            streams.accepted[end] += data[:k]
            if k < len(data):
                streams.exact[end] = False
            if streams.congested[end]:
                return ("congested",)
            return ("full",) if k == len(data) else ("partial",)
        if op == "send_empty":
            return ("sent", s.send(b""))
        if op == "fill":
            if streams.congested[end]:
                return ("congested",)
            chunk = b"f" * _CHUNK
            total = 0
            try:
                while total < 64 * 1024 * 1024:
                    k = s.send(chunk)
                    streams.accepted[end] += chunk[:k]
                    total += k
            except BlockingIOError:
                streams.exact[end] = False
                streams.congested[end] = True
                return ("filled",) if total else ("EAGAIN",)
            return ("unbounded",)
        if op in ("recv", "recv0"):
            data = s.recv(arg if op == "recv" else 0)
            return _received(streams, end, data)
        if op == "drain":  # read until a settled round reads nothing: all the peer sent is through
            got = bytearray()
            while True:
                before = len(got)
                ending = _drain_once(s, got)
                if len(got) == before or ending != "EAGAIN":
                    break
                pair.settle()
            _check_stream(streams, end, bytes(got))
            if ending == "EAGAIN":
                streams.congested[1 - end] = False
            return ("drained", bool(got), ending)
        if op in ("shut_rd", "shut_wr", "shut_rdwr"):
            s.shutdown({"shut_rd": socket.SHUT_RD, "shut_wr": socket.SHUT_WR, "shut_rdwr": socket.SHUT_RDWR}[op])
            return ("ok",)
        if op in ("close", "abort"):
            if op == "abort" and not pair.closed[end]:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            pair.closed[end] = True
            return ("ok",)
        if op == "getpeername":
            peer = s.getpeername()
            return ("peer", True if pair.closed[1 - end] else peer == pair.socks[1 - end].getsockname())
        if op == "so_error":
            return ("so_error", errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0))
        if op == "connect_ex":
            err = s.connect_ex(pair.addr)
            return ("connect_ex", errno.errorcode.get(err, err))
        if op == "sockopts":
            return ("opts", s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN),
                    s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE))
    except OSError as exc:
        return _err(exc)
    raise ValueError(f"unknown op {op!r}")


def _drain_once(s: Any, got: bytearray) -> Any:
    while True:
        try:
            data = s.recv(_CHUNK)
        except BlockingIOError:
            return "EAGAIN"
        except OSError as exc:
            return _err(exc)
        if not data:
            return "eof"
        got += data


def _received(streams: _Streams, end: int, data: bytes) -> Any:
    if not data:
        return ("b''",)
    _check_stream(streams, end, data)
    sender = 1 - end
    return ("data", data) if streams.exact[sender] else ("data",)


def _check_stream(streams: _Streams, end: int, data: bytes) -> None:
    sender = 1 - end
    start = streams.read[sender]
    expected = bytes(streams.accepted[sender][start:start + len(data)])
    if data != expected:
        raise AssertionError(f"end {end} read {data[:40]!r}..., not the next bytes the other end sent")
    streams.read[sender] += len(data)


def run_sequence(pair: Pair, seq: list[tuple[str, int, int]]) -> list[Any]:
    """Run ``seq`` on ``pair``; one ``(call outcome, readiness of end 0, readiness of end 1)`` per op
    (readiness None for a closed end)."""
    streams = _Streams()
    outcomes = []
    try:
        for op, end, arg in seq:
            result = _do(pair, streams, op, end, arg)
            pair.settle()
            ready = tuple(None if pair.closed[i] else
                          pair.readiness(i) & ~(selectors.EVENT_WRITE if streams.congested[i] else 0)
                          for i in (0, 1))
            outcomes.append((result, ready))
    finally:
        pair.finish()
    return outcomes


def random_sequence(rng: Any, length: int, max_size: int = 4096) -> list[tuple[str, int, int]]:
    """A random sequence of ``length`` ops from ``rng`` (a ``random.Random``), for the campaign."""
    names = sorted(OPS)
    return [(op, rng.randrange(2), rng.randint(1, max_size) if OPS[op] else 0)
            for op in (rng.choice(names) for _ in range(length))]


def compare(seq: list[tuple[str, int, int]], seed: int = 0) -> Any:
    """Run ``seq`` on a real pair and a fake one; the first difference, or None. A difference is
    checked again with a real pair that settles 50 ms per op, so that only a kernel that was slow
    to deliver a segment is forgiven."""
    fake = run_sequence(FakePair(seed), seq)
    diff = first_difference(seq, run_sequence(RealPair(), seq), fake)
    if diff is not None:
        diff = first_difference(seq, run_sequence(RealPair(settle_s=0.05), seq), fake)
    return diff


def first_difference(seq: list[tuple[str, int, int]], real: list[Any], fake: list[Any]) -> Any:
    """The first ``(index, op, real outcome, fake outcome)`` where the runs differ, or None."""
    for i, (r, f) in enumerate(zip(real, fake)):
        if r != f:
            return (i, seq[i], r, f)
    return None
