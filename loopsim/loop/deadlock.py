# loopsim.loop.deadlock: the deadlock report - every blocked task, where it waits and what for.
# Owns: deadlock_error. Imports: stdlib, loopsim.loop.{errors,task}.
"""The deadlock report, kept out of the run loop."""

from __future__ import annotations

from typing import Iterable

from .errors import Deadlock
from .task import Task, task_location

__all__ = ["deadlock_error"]


def deadlock_error(tasks: Iterable[Task], reason: str) -> Deadlock:
    """A Deadlock naming every blocked task, where it waits (file:line) and what for."""
    blocked = []
    for task in tasks:
        what = task.waiting_for() or "its turn"  # (never "its turn" in a deadlock: that task would be ready)
        blocked.append((task.name, task_location(task.gen), what))
    lines = "\n".join(f"  task {n!r} at {w} waits for {what}" for n, w, what in blocked)
    return Deadlock(f"deadlock: {reason}; every task waits forever:\n{lines}", blocked)

