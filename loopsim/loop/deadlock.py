# loopsim.reports: what the loop tells people - the deadlock report and unobserved task errors.
# Owns: deadlock_error, log_unobserved. Imports: stdlib, loopsim.{errors,task}.
"""The loop's reports, kept out of the run loop."""

from __future__ import annotations

from typing import Iterable

from .errors import Deadlock
from .task import Task, task_location

__all__ = ["deadlock_error", "log_unobserved"]


def deadlock_error(tasks: Iterable[Task], reason: str) -> Deadlock:
    """A Deadlock naming every blocked task, where it waits (file:line) and what for."""
    blocked = []
    for task in tasks:
        wait = task._wait
        if isinstance(wait, Task):
            what = f"task {wait.name!r} to finish"
        elif wait is not None:
            what = wait.describe(task)
        else:
            what = "its turn"
        blocked.append((task.name, task_location(task.gen), what))
    lines = "\n".join(f"  task {n!r} at {w} waits for {what}" for n, w, what in blocked)
    return Deadlock(f"deadlock: {reason}; every task waits forever:\n{lines}", blocked)


def log_unobserved(failed: Iterable[Task]) -> None:
    """Log (logger ``loopsim``) each task that raised and whose error nobody looked at."""
    failed = [t for t in failed if not t._observed]
    if not failed:
        return
    import logging

    log = logging.getLogger("loopsim")
    for task in failed:
        task._observed = True
        exc = task._exception
        log.error("task %r raised %s: %s", task.name, type(exc).__name__, exc,
                  exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None)
