# loopsim.loop.waits: what a parked task waits on - a socket's waiters record or a timer - and socket names.
# Owns: SocketWaiters, Timer, Forever, describe_socket. Imports: stdlib, loopsim.loop.task (types only).
"""The loop's records of waits (what ``task._wait`` points at, besides a joined task).

A :class:`SocketWaiters` is one socket's waiters (at most one reader and one
writer task) and what the selector currently has registered for it; it is the
selector key's ``data``, so a ready event finds its waiters without a scan.
:class:`~loopsim.loop.registrations.Registrations` keeps them. A
:class:`Timer` is a sleep or a deadline in the loop's timer heap; a
:class:`Forever` is a ``sleep(math.inf)``, which has no timer at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .task import Scope, Task

__all__ = ["SocketWaiters", "Timer", "Forever", "describe_socket"]


def describe_socket(sock: Any) -> str:
    """A stable, human name for a socket: its ``name`` if it has one, else its addresses."""
    name = getattr(sock, "name", None)
    if isinstance(name, str):
        return name
    try:
        if sock.fileno() < 0:
            return "<closed socket>"
        local = sock.getsockname()
        try:
            return f"{_addr(local)}->{_addr(sock.getpeername())}"
        except OSError:
            return f"{_addr(local)}"
    except (OSError, AttributeError):
        return f"<{type(sock).__name__}>"


def _addr(a: Any) -> str:
    if isinstance(a, tuple) and len(a) >= 2:
        return f"{a[0]}:{a[1]}"
    return str(a) or "<unbound>"


class SocketWaiters:
    """One socket's waiters and the events it is registered for in the selector."""

    __slots__ = ("sock", "fd", "reader", "writer", "mask", "dirty")

    def __init__(self, sock: Any, fd: int) -> None:
        self.sock = sock
        self.fd = fd  # kept so that a closed socket can still be unregistered in O(1)
        self.reader: Task | None = None
        self.writer: Task | None = None
        self.mask = 0  # what the selector currently has
        self.dirty = False  # queued for Registrations.sync

    def describe(self, task: Task) -> str:
        """What ``task`` waits for, for the deadlock report."""
        kind = "readable or writable" if (self.reader is task and self.writer is task) else (
            "readable" if self.reader is task else "writable")
        return f"{describe_socket(self.sock)} to be {kind}"


class Timer:
    """A sleep (target: the task) or a deadline (target: the scope); the heap entry holds its time."""

    __slots__ = ("target", "cancelled")

    def __init__(self, target: Task | Scope) -> None:
        self.target = target
        self.cancelled = False


class Forever:
    """A ``sleep(math.inf)``: no timer; only a cancellation (or the run's end) ends it."""

    __slots__ = ()

    def describe(self) -> str:
        """What the task waits for, for the deadlock report."""
        return "the end of sleep(inf), which never comes"
