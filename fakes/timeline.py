# fakes.timeline: the simulated network's future - happenings waiting for their virtual time, in order.
# Owns: Timeline. Imports: stdlib, fakes.clock.
"""The network's time.

Future happenings (segments in flight, connects arriving, accept delays,
faults at a time) wait in a heap keyed by ``(time in ns, sequence)``: two due
at the same instant happen in the order they were scheduled, so a run is
the same in every process. The clock moves only when the network jumps it
(:meth:`fakes.FakeNetwork.advance`).
"""

from __future__ import annotations

import heapq
from typing import Any, Callable

from .clock import VirtualClock

__all__ = ["Timeline"]


class Timeline:
    """A virtual clock and the happenings scheduled on it; ``fn(arg)`` runs when its time comes."""

    __slots__ = ("clock", "heap", "_seq")

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.heap: list[tuple[int, int, Callable[[Any], None], Any]] = []
        self._seq = 0

    def schedule(self, t_ns: int, fn: Callable[[Any], None], arg: Any) -> None:
        """Run ``fn(arg)`` at virtual time ``t_ns`` (after whatever was scheduled for then before)."""
        self._seq += 1
        heapq.heappush(self.heap, (t_ns, self._seq, fn, arg))

    def after(self, delay_ns: int, fn: Callable[[Any], None], arg: Any) -> None:
        """Run ``fn(arg)`` ``delay_ns`` from now."""
        self.schedule(self.clock.now_ns() + delay_ns, fn, arg)

    def run_due(self) -> None:
        """Run everything due by now, in order (including what those schedule for now)."""
        heap = self.heap
        now = self.clock.now_ns()
        pop = heapq.heappop
        while heap and heap[0][0] <= now:
            _, _, fn, arg = pop(heap)
            fn(arg)

    def __len__(self) -> int:
        return len(self.heap)
