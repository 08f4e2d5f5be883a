# loopsim.loop.requests: every request a task may yield to the loop, as small frozen values.
# Owns: the request types (the loop's "system calls"). Imports: stdlib only.
"""Every value a task may ``yield`` to the loop, in one place.

Application code normally does not build these directly: the helpers in
:mod:`loopsim.ops` (``wait_readable``, ``recv``, ``sleep``, ...) yield them.
The loop dispatches on the request's type; each type has one handler method
on :class:`loopsim.Loop` (``Loop._on_WaitRead`` and so on).

Besides these, a task may yield a bare socket (anything with ``fileno()``):
the seed's form, which waits until the socket is readable *or* writable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generator

__all__ = [
    "WaitRead",
    "WaitWrite",
    "WaitEither",
    "Sleep",
    "Spawn",
    "Join",
    "Now",
    "CurrentTask",
    "OpenScope",
]


class _SockRequest:
    """A wait on one socket: built on every wait, so a plain slotted class (a frozen
    dataclass's ``__init__`` costs twice as much). Treat it as immutable."""

    __slots__ = ("sock",)

    def __init__(self, sock: Any) -> None:
        self.sock = sock

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sock={self.sock!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.sock == self.sock  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.sock))


class WaitRead(_SockRequest):
    """Park until ``sock`` is readable."""

    __slots__ = ()


class WaitWrite(_SockRequest):
    """Park until ``sock`` is writable."""

    __slots__ = ()


class WaitEither(_SockRequest):
    """Park until ``sock`` is readable or writable (the seed's ``yield sock``)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Sleep:
    """Park for ``seconds`` of the loop's clock (0 yields to other ready tasks)."""

    seconds: Any  # a real number, checked by the loop (loopsim.loop.durations): not coerced by a compiled build


@dataclass(frozen=True, slots=True)
class Spawn:
    """Start ``gen`` as a new task; answers with its :class:`~loopsim.Task`."""

    gen: Generator[Any, Any, Any]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Join:
    """Park until ``task`` finishes; answers with its value or raises its error."""

    task: Any


@dataclass(frozen=True, slots=True)
class Now:
    """Answer with the loop clock's current reading."""


@dataclass(frozen=True, slots=True)
class CurrentTask:
    """Answer with the :class:`~loopsim.Task` that yielded this request."""


@dataclass(frozen=True, slots=True)
class OpenScope:
    """Open a deadline scope ``seconds`` from now; answers with the scope.

    When the deadline passes while the scope is open, the loop throws
    :class:`~loopsim.Cancelled` (with ``.scope`` set) into the task at its
    yield point. :func:`loopsim.timeout` turns that into ``Timeout``.
    """

    seconds: Any  # as Sleep.seconds

