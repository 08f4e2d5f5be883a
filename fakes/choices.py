# fakes.choices: the one source of the fake world's nondeterministic choices.
# Owns: Chooser (protocol), RandomChooser, DefaultChooser, RecordingChooser. Imports: stdlib only.
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

import random
from typing import Protocol, runtime_checkable

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


# Seeding a random.Random costs microseconds (more than a whole simulated connect), and tests and
# benchmarks make many networks with the same seed. So a seed seen twice gets the start of its
# Mersenne Twister word stream cached, and a RandomChooser with that seed answers from the cached
# words, exactly as random.Random(seed) would: every draw here is ``_randbelow(n)``, which takes one
# 32-bit word per try for n < 2**32 (``getrandbits(k) == word >> (32 - k)``). Past the cached words,
# or for a bigger n, the real Random is made and fast-forwarded to the same place in the stream.
_STREAM_WORDS = 64
_CACHE_MAX = 256
_streams: dict[tuple[type, object], list[int]] = {}
_seen: set[tuple[type, object]] = set()


def _cached_stream(seed: object) -> list[int] | None:
    cls = seed.__class__
    if cls is not int and cls is not str and cls is not bytes:
        return None
    key = (cls, seed)
    words = _streams.get(key)
    if words is None:
        if key not in _seen:
            if len(_seen) >= _CACHE_MAX * 4:
                _seen.clear()
            _seen.add(key)
            return None
        if len(_streams) >= _CACHE_MAX:
            _streams.clear()
        rng = random.Random(seed)  # type: ignore[arg-type]
        words = _streams[key] = [rng.getrandbits(32) for _ in range(_STREAM_WORDS)]
    return words


class RandomChooser:
    """Choices from a private ``random.Random(seed)`` (never the global one): reproducible per seed."""

    __slots__ = ("seed", "_random", "_words", "_pos")

    def __init__(self, seed: int | str | bytes = 0) -> None:
        self.seed = seed
        self._random: random.Random | None = None  # made when needed: seeding costs microseconds
        self._words = _cached_stream(seed)  # the start of random.Random(seed)'s 32-bit words, or None
        self._pos = 0  # how many of them were used

    @property
    def _rng(self) -> random.Random:
        """The ``random.Random(seed)``, at the place in its stream the draws so far have reached."""
        rng = self._random
        if rng is None:
            rng = self._random = random.Random(self.seed)
            for _ in range(self._pos):
                rng.getrandbits(32)
            self._words = None
        return rng

    def _below(self, n: int) -> int:
        """``random.Random(seed)._randbelow(n)`` for the next draw (``n >= 1``)."""
        words = self._words
        if words is not None and n.__class__ is int:
            k = n.bit_length()
            if k <= 32:
                shift = 32 - k
                pos = self._pos
                end = len(words)
                while pos < end:
                    r = words[pos] >> shift
                    pos += 1
                    if r < n:
                        self._pos = pos
                        return r
                self._pos = pos  # out of cached words: the real generator goes on from here
        rng = self._random
        if rng is None:
            rng = self._rng
        return rng._randbelow(n)

    def index(self, label: str, n: int) -> int:
        if n > 1:
            if n.__class__ is int:
                return self._below(n)  # what randrange(n) returns for an int n > 0, minus its checks
            return self._rng.randrange(n)
        return 0

    def integer(self, label: str, lo: int, hi: int) -> int:
        if hi > lo:
            if lo.__class__ is int and hi.__class__ is int:
                return lo + self._below(hi - lo + 1)  # randint(lo, hi), as random computes it
            return self._rng.randint(lo, hi)
        return lo

    def __repr__(self) -> str:
        return f"RandomChooser(seed={self.seed!r})"


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
