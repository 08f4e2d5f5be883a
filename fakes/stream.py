# fakes.stream: the simulated TCP connection's state - endpoints, one-way pipes, readiness.
# Owns: Ep, Listen, Pipe, the state and segment constants, mask(). Imports: stdlib, fakes.config.
"""The data model of a simulated TCP connection (private to the network).

A connection is two :class:`Ep` endpoints joined by two one-way
:class:`Pipe` s. A pipe carries *segments* - data, FIN (the sender will send
no more), CLOSE (FIN, and the sender's socket is gone: sending to it is a
broken pipe) and RST (reset) - in order, each arriving after the link's
latency plus the serialization time its bandwidth needs. A pipe holds at most
``capacity`` = sender's sndbuf + receiver's rcvbuf bytes, counting bytes in
flight and bytes arrived but not read: ``send`` accepts at most the free
space, and reading frees it.

:func:`mask` is the readiness rule, as ``epoll`` reports a real TCP socket:

* connected: readable when bytes arrived, EOF or a reset arrived, an error is
  pending or it was shut down for reading; writable when the pipe has free
  space, an error is pending, or a send would fail at once (shut down for
  writing, peer closed or reset);
* listening: readable when a connection waits to be accepted;
* connecting: neither (until the connect completes or fails);
* unconnected or failed: both (a real socket reports POLLHUP), closed: neither.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .config import DEFAULT_RCVBUF, DEFAULT_SNDBUF, Link

__all__ = ["Ep", "Listen", "Pipe", "mask", "FRESH", "LISTENING", "CONNECTING", "CONNECTED", "FAILED",
           "CLOSED", "DATA", "FIN", "CLOSE", "RST", "READ", "WRITE", "STATE_NAMES"]

READ = 1  # selectors.EVENT_READ
WRITE = 2  # selectors.EVENT_WRITE

FRESH, LISTENING, CONNECTING, CONNECTED, FAILED, CLOSED = range(6)
STATE_NAMES = ("unconnected", "listening", "connecting", "connected", "failed", "closed")

DATA, FIN, CLOSE, RST = range(4)


class Listen:
    """A listening endpoint's queues."""

    __slots__ = ("key", "backlog", "accept_q", "pending", "syn_q")

    def __init__(self, key: str, backlog: int) -> None:
        self.key = key
        self.backlog = backlog
        self.accept_q: deque[Ep] = deque()  # connected, ready to accept
        self.pending: list[Ep] = []  # connected, acceptable after the link's accept_delay
        self.syn_q: deque[Ep] = deque()  # connecting clients waiting for room in the backlog


class Pipe:
    """One direction of a connection. ``dst is None``: a black hole that swallows everything."""

    __slots__ = ("src", "dst", "capacity", "used", "latency", "bandwidth", "busy_until", "inflight",
                 "immediate")

    def __init__(self, src: Ep | None, dst: Ep | None, capacity: int, latency: int,
                 bandwidth: float | None) -> None:
        self.src = src
        self.dst = dst
        self.capacity = capacity
        self.used = 0  # bytes in flight + arrived and unread
        self.latency = latency  # ns
        self.bandwidth = bandwidth  # bytes/s or None
        self.busy_until = 0  # ns: when the last segment has left the sender (serialization)
        self.inflight: deque[tuple[int, int, Any]] = deque()  # (arrival ns, kind, payload)
        self.immediate = latency == 0 and bandwidth is None


class Ep:
    """One end of a (possibly future) connection: what a socket is, seen from the network."""

    __slots__ = (
        "name", "sock", "serial", "state", "local", "peer", "peer_key", "bound_key", "link",
        "out", "inp", "rx", "rx_eof", "err", "shut_rd", "shut_wr", "peer_dead", "reset", "acked",
        "rst_sent", "mask", "watchers", "sndbuf", "rcvbuf", "max_recv", "max_send", "sent",
        "reset_after", "fin_after", "limit", "listen",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.sock: Any = None  # the FakeSocket, once there is one (accepted conns get it at accept)
        self.serial = 0
        self.state = FRESH
        self.local: tuple[str, int] | None = None
        self.peer: tuple[str, int] | None = None
        self.peer_key = ""
        self.bound_key: str | None = None
        self.link: Link | None = None
        self.out: Pipe | None = None
        self.inp: Pipe | None = None
        self.rx = bytearray()  # arrived, unread
        self.rx_eof = False  # FIN (or CLOSE, RST) arrived: after rx, recv returns b""
        self.err = 0  # pending error (SO_ERROR), reported once
        self.shut_rd = False
        self.shut_wr = False
        self.peer_dead = False  # sending fails with EPIPE: the peer closed or the connection reset
        self.reset = False  # the connection was reset
        self.acked = False  # connect_ex has reported 0 once (later calls: EISCONN)
        self.rst_sent = False
        self.watchers: list[Any] = []
        self.sndbuf = DEFAULT_SNDBUF
        self.rcvbuf = DEFAULT_RCVBUF
        self.max_recv: Any = None
        self.max_send: Any = None
        self.sent = 0
        self.reset_after: int | None = None
        self.fin_after: int | None = None
        self.limit: int | None = None  # the smallest of reset_after and fin_after
        self.listen: Listen | None = None
        self.mask = READ | WRITE  # what mask(self) is; kept current by the network


def mask(ep: Ep) -> int:
    """The readiness of ``ep`` (see the module doc)."""
    state = ep.state
    if state == CONNECTED:
        m = READ if (ep.rx or ep.rx_eof or ep.err or ep.shut_rd) else 0
        if ep.err or ep.shut_wr or ep.peer_dead:
            return m | WRITE
        out = ep.out
        if out.used < out.capacity:  # type: ignore[union-attr]
            return m | WRITE
        return m
    if state == LISTENING:
        return READ if ep.listen.accept_q else 0  # type: ignore[union-attr]
    if state == CONNECTING or state == CLOSED:
        return 0
    return READ | WRITE
