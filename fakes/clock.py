# fakes.clock: virtual time, kept as integer nanoseconds so that jumps are exact.
# Owns: VirtualClock, to_ns. Imports: stdlib, fakes._compiled.
"""Virtual time.

:class:`VirtualClock` reads ``now() -> float`` seconds like any clock, but
keeps time as an integer number of nanoseconds, so ``advance(30)`` from 0 lands
on exactly ``30.0`` and a sum of jumps never drifts. It never goes backwards.
A :class:`~fakes.FakeNetwork`'s clock moves only when its selector's
``select(timeout)`` finds nothing ready (it jumps to the next scheduled event
or to the timeout) or when a test moves it.
"""

from __future__ import annotations

import math

from ._compiled import mypyc_attr

__all__ = ["VirtualClock", "to_ns"]

_NS = 1_000_000_000


def to_ns(seconds: float) -> int:
    """Seconds -> nanoseconds, rounded to the nearest; ``ValueError`` for NaN, infinities and values
    whose nanoseconds overflow a float (above ~1.8e299 s), never ``OverflowError``."""
    if not math.isfinite(seconds):
        raise ValueError(f"time must be a finite number of seconds, got {seconds!r}")
    ns = seconds * _NS
    if not math.isfinite(ns):
        raise ValueError(f"time out of range: {seconds!r} s is more nanoseconds than a float holds")
    return round(ns)


@mypyc_attr(allow_interpreted_subclasses=True)
class VirtualClock:
    """A clock that moves only when told to. ``now()`` is ``ns / 1e9`` of an integer count."""

    __slots__ = ("_ns", "_now")

    def __init__(self, start: float = 0.0) -> None:
        ns = to_ns(start)
        if ns < 0:
            raise ValueError(f"a clock cannot start before 0, got {start!r}")
        self._ns = ns
        self._now = ns / _NS

    def now(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def now_ns(self) -> int:
        """The current virtual time in integer nanoseconds."""
        return self._ns

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (rounded to the nearest ns); returns the new time."""
        if seconds < 0:
            raise ValueError(f"a clock never goes backwards: advance({seconds!r})")
        return self.advance_to_ns(self._ns + to_ns(seconds))

    def advance_to(self, t: float) -> float:
        """Move forward to time ``t`` (seconds); ``ValueError`` if ``t`` is in the past."""
        return self.advance_to_ns(to_ns(t))

    def advance_to_ns(self, ns: int) -> float:
        """Move forward to ``ns`` nanoseconds; ``ValueError`` if that is in the past."""
        if ns < self._ns:
            raise ValueError(
                f"a clock never goes backwards: now is {self._now:.9f}s, asked for {ns / _NS:.9f}s")
        try:
            now = ns / _NS
        except OverflowError:  # an int beyond any float: the clock stays where it is
            raise ValueError(f"time out of range: a {len(str(ns))}-digit number of ns is more seconds than "
                             "a float holds") from None
        self._ns = ns
        self._now = now
        return now

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now!r})"
