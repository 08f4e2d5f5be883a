# fakes.tcp_state: the state of a simulated TCP endpoint and its readiness rule (private to the network).
# Owns: TcpEndpoint, ListenQueues, Pipe, the state and segment constants, readiness(), refresh(), notify(),
# describe(), the default buffer sizes. Imports: stdlib, fakes.{config,timeline} (types only).
"""The data model of a simulated TCP connection.

A connection is two :class:`TcpEndpoint` s joined by two one-way
:class:`Pipe` s. A pipe carries *segments* - data, FIN (the sender will send
no more), CLOSE (FIN from a socket that is gone: the receiver sees a FIN; the
data it sends then draws a reset, as on Linux) and RST (reset) - in order, each arriving after the link's
latency plus the serialization time its bandwidth needs (see
:mod:`fakes.tcp_segments`). A pipe holds at most ``capacity`` = sender's
sndbuf + receiver's rcvbuf bytes, counting bytes in flight and bytes arrived
but not read: ``send`` accepts at most the free space, and reading frees it.

:func:`readiness` is the rule, as ``epoll`` reports a real TCP socket:

* connected: readable when bytes arrived, EOF or a reset arrived, an error is
  pending or it was shut down for reading; writable when the pipe has free
  space, an error is pending, or a send would fail at once (shut down for
  writing, peer closed or reset);
* listening: readable when a connection waits to be accepted;
* connecting: neither (until the connect completes or fails);
* unconnected or failed: both (a real socket reports POLLHUP), closed: neither.

Every endpoint keeps its current readiness in ``endpoint.readiness``;
:func:`refresh` recomputes it and :func:`notify` tells the endpoint's
watchers (the selectors) of a change: the only place they are called.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Link
    from .timeline import Timeline

__all__ = ["TcpEndpoint", "ListenQueues", "Pipe", "readiness", "refresh", "notify", "describe", "finished",
           "UNCONNECTED", "LISTENING", "CONNECTING", "CONNECTED", "FAILED", "CLOSED",
           "DATA", "FIN", "CLOSE", "RST", "READ", "WRITE", "DEFAULT_SNDBUF", "DEFAULT_RCVBUF"]

DEFAULT_SNDBUF = 262144  # an endpoint's buffer sizes when no Endpoint rule sets them
DEFAULT_RCVBUF = 262144

READ = 1  # selectors.EVENT_READ
WRITE = 2  # selectors.EVENT_WRITE

UNCONNECTED, LISTENING, CONNECTING, CONNECTED, FAILED, CLOSED = range(6)

DATA, FIN, CLOSE, RST = range(4)


class ListenQueues:
    """A listening endpoint's queues."""

    __slots__ = ("key", "backlog", "acceptable", "delayed", "waiting")

    def __init__(self, key: str, backlog: int) -> None:
        self.key = key
        self.backlog = backlog
        self.acceptable: deque[TcpEndpoint] = deque()  # connected, ready to accept
        self.delayed: list[TcpEndpoint] = []  # connected, acceptable after the link's accept_delay
        self.waiting: deque[TcpEndpoint] = deque()  # connecting clients waiting for room in the backlog


class Pipe:
    """One direction of a connection. ``receiver is None``: a black hole that swallows everything."""

    __slots__ = ("sender", "receiver", "capacity", "used", "latency", "bandwidth", "busy_until", "in_flight",
                 "immediate", "timeline", "jitter", "chooser")

    def __init__(self, sender: TcpEndpoint | None, receiver: TcpEndpoint | None, capacity: int, latency: int,
                 bandwidth: float | None, timeline: Timeline) -> None:
        self.sender = sender
        self.receiver = receiver
        self.capacity = capacity
        self.used = 0  # bytes in flight + arrived and unread
        self.latency = latency  # ns
        self.bandwidth = bandwidth  # bytes/s or None
        self.busy_until = 0  # ns: when the last segment has left the sender (serialization)
        self.in_flight: deque[tuple[int, int, Any]] = deque()  # (arrival ns, kind, payload)
        self.immediate = latency == 0 and bandwidth is None
        self.timeline = timeline  # where segments in flight wait
        self.jitter = 0  # us: each segment's latency is longer by a draw in 0..jitter (0: none; see tcp_segments)
        self.chooser: Any = None  # where the jitter is drawn (the network's chooser), when there is one


class TcpEndpoint:
    """One end of a (possibly future) connection: what a socket is, seen from the network."""

    __slots__ = (
        "name", "sock", "serial", "state", "local", "peer", "peer_key", "bound_key", "link",
        "outgoing", "incoming", "unread", "eof_received", "fin_received", "fin_waiting", "fin_acked", "peer_closed",
        "pending_error", "shut_read", "shut_write", "peer_gone", "was_reset", "connect_reported", "reset_sent",
        "readiness", "watchers", "dups", "sndbuf", "rcvbuf", "max_recv", "max_send", "sent", "sent_faults", "queues",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.sock: Any = None  # the FakeSocket, once there is one (accepted conns get it at accept)
        self.serial = 0  # its number among the connected endpoints (0: not connected)
        self.state = UNCONNECTED
        self.local: tuple[str, int] | None = None
        self.peer: tuple[str, int] | None = None
        self.peer_key = ""
        self.bound_key: str | None = None
        self.link: Link | None = None
        self.outgoing: Pipe | None = None
        self.incoming: Pipe | None = None
        self.unread = bytearray()  # arrived, not read yet
        self.eof_received = False  # FIN (or CLOSE, RST) arrived: after the unread bytes, recv returns b""
        self.fin_received = False  # FIN or CLOSE arrived (Linux's SOCK_DONE): recv returns b"" before a pending error
        self.fin_waiting = 0  # FIN or CLOSE arrived behind more than rcvbuf unread bytes: it counts once they fit
        self.fin_acked = False  # the FIN this endpoint sent has reached the peer
        self.peer_closed = False  # CLOSE arrived: the peer's socket is gone (for descriptions only; TCP cannot tell)
        self.pending_error = 0  # SO_ERROR, reported once
        self.shut_read = False
        self.shut_write = False
        self.peer_gone = False  # sending fails with EPIPE: the peer closed or the connection reset
        self.was_reset = False
        self.connect_reported = False  # connect_ex has reported 0 once (later calls: EISCONN)
        self.reset_sent = False
        self.watchers: list[Any] = []
        self.dups: list[Any] = []  # the FakeSockets dup() made of it, beside ``sock`` (all share this endpoint)
        self.sndbuf = DEFAULT_SNDBUF
        self.rcvbuf = DEFAULT_RCVBUF
        self.max_recv: Any = None
        self.max_send: Any = None
        self.sent = 0  # bytes sent so far (what after_bytes faults count)
        self.sent_faults: Any = None  # a fakes.faults.SentBytesWatch while a fault watches what it sends
        self.queues: ListenQueues | None = None  # when listening
        self.readiness = READ | WRITE  # what readiness(self) is; kept current by refresh()


def readiness(endpoint: TcpEndpoint) -> int:
    """The readiness of ``endpoint`` (see the module doc)."""
    state = endpoint.state
    if state == CONNECTED:
        mask = READ if (endpoint.unread or endpoint.eof_received or endpoint.pending_error
                        or endpoint.shut_read) else 0
        if endpoint.pending_error or endpoint.shut_write or endpoint.peer_gone:
            return mask | WRITE
        out: Pipe = endpoint.outgoing  # type: ignore[assignment]
        if out.used < out.capacity:
            return mask | WRITE
        return mask
    if state == LISTENING:
        return READ if endpoint.queues.acceptable else 0  # type: ignore[union-attr]
    if state == CONNECTING or state == CLOSED:
        return 0
    return READ | WRITE


def finished(endpoint: TcpEndpoint) -> bool:
    """A connected endpoint whose connection is over, as Linux's TCP_CLOSE state: it was reset, or
    FINs went both ways (each reached the other end). Then getpeername and shutdown raise ENOTCONN."""
    return endpoint.was_reset or (endpoint.fin_received and endpoint.fin_acked)


def notify(endpoint: TcpEndpoint, mask: int) -> None:
    """``endpoint``'s readiness is now ``mask`` (a change): tell its watchers."""
    endpoint.readiness = mask
    sock = endpoint.sock
    for watcher in endpoint.watchers:
        watcher(sock, mask)


def refresh(endpoint: TcpEndpoint) -> None:
    """Recompute the readiness of ``endpoint`` and tell its watchers if it changed.

    The hot path: :func:`readiness` inlined for a connected endpoint.
    """
    if endpoint.state == CONNECTED:
        mask = READ if (endpoint.unread or endpoint.eof_received or endpoint.pending_error
                        or endpoint.shut_read) else 0
        if (endpoint.pending_error or endpoint.shut_write or endpoint.peer_gone
                or endpoint.outgoing.used < endpoint.outgoing.capacity):  # type: ignore[union-attr]
            mask |= WRITE
    else:
        mask = readiness(endpoint)
    if mask != endpoint.readiness:
        notify(endpoint, mask)


def describe(endpoint: TcpEndpoint) -> str:
    """A short, stable description of the endpoint's state (for reprs and errors)."""
    state = endpoint.state
    if state == UNCONNECTED:
        local = endpoint.local
        return f"unconnected, bound to {local[0]}:{local[1]}" if local else "unconnected"
    if state == LISTENING:
        queues: ListenQueues = endpoint.queues  # type: ignore[assignment]
        waiting = len(queues.acceptable)
        return f"listening on {queues.key}" + (f", {waiting} to accept" if waiting else "")
    if state == CONNECTING:
        return f"connecting to {endpoint.peer_key}"
    if state == FAILED:
        return f"connect to {endpoint.peer_key} failed"
    if state == CLOSED:
        return "closed"
    peer: tuple[str, int] = endpoint.peer  # type: ignore[assignment]
    parts = [f"connected to {peer[0]}:{peer[1]}"]
    if endpoint.was_reset:
        parts.append("reset")
    elif endpoint.peer_gone or endpoint.peer_closed:
        parts.append("peer closed")
    elif finished(endpoint):
        parts.append("closed (FIN both ways)")
    elif endpoint.eof_received:
        parts.append("EOF received")
    if endpoint.shut_write and not endpoint.was_reset:
        parts.append("shut down for writing")
    if endpoint.unread:
        parts.append(f"{len(endpoint.unread)} bytes unread")
    out = endpoint.outgoing
    if out is not None and out.receiver is not None and out.used >= out.capacity:
        parts.append("send buffer full")
    return ", ".join(parts)
