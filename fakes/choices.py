# fakes.choices: the one source of the fake world's nondeterministic choices.
# Owns: Chooser (protocol), DefaultChooser, RecordingChooser; re-exports RandomChooser (fakes.prng).
# Imports: stdlib, fakes.prng.
"""Every choice the fake world makes goes through a :class:`Chooser`.

Which of several ready sockets ``select`` reports first, how many bytes one
``recv`` returns or one ``send`` accepts when a range is configured: each is
one call to the network's chooser, with a label saying what is chosen
(``"select-order"``, ``"recv-size"``, ``"send-size"``).

The contract: ``index(label, n)`` returns ``0 <= i < n`` and ``0`` is the
default, simplest answer (the natural order); ``integer(label, lo, hi)``
returns ``lo <= v <= hi`` and ``lo`` is the simplest. A chooser driven by
hypothesis's data therefore shrinks a failure towards the default order and
the smallest values. Callers never ask when there is only one possibility.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .prng import RandomChooser

__all__ = ["Chooser", "RandomChooser", "DefaultChooser", "RecordingChooser"]


@runtime_checkable
class Chooser(Protocol):
    """Where the fake world's nondeterministic choices come from."""

    def index(self, label: str, n: int) -> int:
        """A choice among ``n`` options, ``0 <= i < n``; 0 is the default/simplest."""
        ...

    def integer(self, label: str, lo: int, hi: int) -> int:
        """An integer ``lo <= v <= hi``; ``lo`` is the simplest."""
        ...


class DefaultChooser:
    """Always the simplest answer: 0 and ``lo``. The world in its natural order."""

    __slots__ = ()

    def index(self, label: str, n: int) -> int:
        return 0

    def integer(self, label: str, lo: int, hi: int) -> int:
        return lo

    def __repr__(self) -> str:
        return "DefaultChooser()"


class RecordingChooser:
    """Wraps a chooser and records every choice as ``(label, options, value)``.

    ``options`` is ``n`` for :meth:`index` and ``(lo, hi)`` for :meth:`integer`.
    """

    __slots__ = ("inner", "choices")

    def __init__(self, inner: Chooser) -> None:
        self.inner = inner
        self.choices: list[tuple[str, int | tuple[int, int], int]] = []

    def index(self, label: str, n: int) -> int:
        value = self.inner.index(label, n)
        self.choices.append((label, n, value))
        return value

    def integer(self, label: str, lo: int, hi: int) -> int:
        value = self.inner.integer(label, lo, hi)
        self.choices.append((label, (lo, hi), value))
        return value

    def __repr__(self) -> str:
        return f"RecordingChooser({self.inner!r}, {len(self.choices)} choices)"
