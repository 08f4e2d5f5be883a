# loopsim.loop.clock: the clock protocol the loop reads time through, and the real clock.
# Owns: Clock (protocol), MonotonicClock. Imports: stdlib only.
"""The loop reads time only through a clock: any object with ``now() -> float``.

The default is :class:`MonotonicClock` (``time.monotonic``). A virtual clock
(``fakes.VirtualClock``) makes time advance only when the fake selector's
``select(timeout)`` finds nothing ready.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """What the loop needs of a clock: seconds as a float, never decreasing."""

    def now(self) -> float: ...


class MonotonicClock:
    """The real clock: ``time.monotonic()``."""

    __slots__ = ()

    def now(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "MonotonicClock()"
