# loopsim.livelock: detect a livelock in virtual time (tasks resumed forever, the clock never moves).
# Owns: Livelock, LivelockGuard. Imports: loopsim loop layer (errors, instruments, task).
"""In virtual time a task that busy-waits (the seed's bare ``yield sock`` on a
socket that is writable while it wants to read) never lets the clock advance:
the run would spin forever. :class:`LivelockGuard` is an instrument that
counts task resumes at one virtual instant and stops the run with
:class:`Livelock`, naming the tasks resumed most and where they are.
"""

from __future__ import annotations

from typing import Any

from .errors import AppError
from .instruments import Instrument
from .task import Task

__all__ = ["Livelock", "LivelockGuard", "DEFAULT_LIMIT"]

DEFAULT_LIMIT = 100_000


class Livelock(AppError):
    """Tasks kept running at one virtual instant without the clock ever advancing."""


class LivelockGuard(Instrument):
    """Raise :class:`Livelock` after ``limit`` task resumes at the same virtual instant."""

    def __init__(self, clock: Any, limit: int = DEFAULT_LIMIT) -> None:
        self.clock = clock
        self.limit = limit
        self.instant = clock.now()
        self.steps = 0
        self.per_task: dict[str, list[Any]] = {}

    def before_task_step(self, task: Task) -> None:
        self.steps += 1
        if self.steps < self.limit // 2:
            return
        now = self.clock.now()
        if now != self.instant:
            self.instant, self.steps = now, 0
            self.per_task.clear()
            return
        entry = self.per_task.setdefault(task.name, [0, task])
        entry[0] += 1
        if self.steps >= self.limit:
            busiest = sorted(self.per_task.items(), key=lambda kv: (-kv[1][0], kv[0]))[:3]
            who = "; ".join(f"task {name!r} resumed {count} times, at {t.where()}" for name, (count, t) in busiest)
            raise Livelock(f"livelock: {self.steps} task resumes at virtual time {now:.6f} without the clock "
                           f"advancing (a busy-wait?): {who}")
