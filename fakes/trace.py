# fakes.trace: the record of every answer the fake world gave, and its stable text form.
# Owns: TraceEvent, Trace, format_value. Imports: stdlib only.
"""The trace: every socket call, every ``select`` and every clock jump, in order.

Each :class:`TraceEvent` is ``(seq, t, sock, op, args, result)``: ``seq`` is
its index (from 0), ``t`` the virtual time in seconds, ``sock`` the socket's
stable name (``"select"`` for the selector, ``"clock"`` for clock jumps).

Ops, their ``args`` and the encoding of ``result`` (strict replay depends on
exactly this)::

    op          args              result
    socket      (family, type)    None                      (a socket was created)
    connect_ex  (addr,)           errno int: 0, EINPROGRESS, EALREADY, EISCONN,
                                  ECONNREFUSED, ...         (connect() records it too)
    so_error    ()                errno int (getsockopt(SOL_SOCKET, SO_ERROR))
    recv        (n,)              bytes, or the errno NAME if it raised ("EAGAIN",
                                  "ECONNRESET", ...)        (recv_into records it too)
    send        (data,)           int bytes accepted, or errno name
                                  (sendall records one send per attempt)
    accept      ()                (conn_name, peer_addr), or errno name
    shutdown    (how,)            None, or errno name
    close       ()                None
    bind        (addr,)           None, or errno name
    listen      (addr,)           None, or errno name       (addr: where it listens)
    select      (timeout,)        tuple of (sock_name, mask) in the order reported, or
                                  FOREVER ("forever"): select(None) found nothing ready and
                                  nothing scheduled (it raised WouldBlockForever: a deadlock)
    clock       (from_t, to_t)    None                      (sock is "clock": one per jump)
    choose      (label, n)        int 0 <= i < n            (sock is "loop": the loop's own choice,
                                  e.g. label "ready-order": which of n ready tasks runs next)

A sock name, an address ``(host, port)``, an int, a float, bytes and tuples
of them are all that appear, so :meth:`Trace.to_text` is byte-identical across
processes and ``PYTHONHASHSEED`` values: no set is iterated, no ``id()`` or fd
number is shown. One line per event::

    f"{t:.6f} {sock} {op} {args} -> {result}"

with bytes shown as ``<N bytes b'...'>``, the repr cut after 40 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

__all__ = ["TraceEvent", "Trace", "format_value", "BYTES_SHOWN", "FOREVER"]

BYTES_SHOWN = 40

#: The answer of a select(None) that found nothing ready and nothing scheduled (a deadlock): a script step too.
FOREVER = "forever"


def format_value(value: Any) -> str:
    """Render one value for a trace line: bytes shortened with their length, tuples element-wise."""
    kind = type(value)
    if kind is bytes or kind is bytearray or kind is memoryview:
        data = bytes(value)
        if len(data) > BYTES_SHOWN:
            return f"<{len(data)} bytes {data[:BYTES_SHOWN]!r}...>"
        return f"<{len(data)} bytes {data!r}>"
    if kind is tuple or kind is list:
        inner = ", ".join(format_value(v) for v in value)
        if kind is list:
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One recorded call or happening (see the module doc for ops and encodings)."""

    seq: int
    t: float
    sock: str
    op: str
    args: tuple[Any, ...]
    result: Any

    def to_text(self) -> str:
        """The event's line: ``f"{t:.6f} {sock} {op} {args} -> {result}"``."""
        return f"{self.t:.6f} {self.sock} {self.op} {format_value(self.args)} -> {format_value(self.result)}"


class Trace:
    """An append-only record of :class:`TraceEvent` s.

    ``clock`` is anything with ``now() -> float``; every event is stamped with
    it. Appending stores a plain tuple (cheap); :attr:`events` builds the
    :class:`TraceEvent` objects when asked.
    """

    __slots__ = ("_now", "_raw", "_events")

    def __init__(self, clock: Any) -> None:
        self._now = clock.now
        self._raw: list[tuple[float, str, str, tuple[Any, ...], Any]] = []
        self._events: list[TraceEvent] = []

    def add(self, sock: str, op: str, args: tuple[Any, ...], result: Any) -> None:
        """Record one event at the clock's current time."""
        self._raw.append((self._now(), sock, op, args, result))

    @property
    def events(self) -> list[TraceEvent]:
        """Every event so far, in order (a list the trace owns: do not modify it)."""
        events, raw = self._events, self._raw
        for seq in range(len(events), len(raw)):
            t, sock, op, args, result = raw[seq]
            events.append(TraceEvent(seq, t, sock, op, args, result))
        return events

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __getitem__(self, seq: int) -> TraceEvent:
        return self.events[seq]

    def tail(self, n: int = 20) -> list[TraceEvent]:
        """The last ``n`` events."""
        if n <= 0:
            return []
        return self.events[-n:]

    def to_text(self, last: int | None = None) -> str:
        """All events (or the ``last`` n), one line each, newline-terminated."""
        events = self.events if last is None else self.tail(last)
        return "".join(event.to_text() + "\n" for event in events)

    def __repr__(self) -> str:
        return f"<Trace {len(self._raw)} events>"
