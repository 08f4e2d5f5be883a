# loopsim.loop: the loop layer - the event loop, its tasks, the requests a task may yield, the operations
# tasks `yield from`, timers, the selector registrations and the loop's own epoll selector, the clock
# protocol, the scheduling policy, instrument hooks, errors and the deadlock report. Owns: nothing but these re-exports.
# Imports: its own modules and the standard library only (enforced by import-linter, see pyproject.toml):
# never the harness, fakes, scenarios, pytest or hypothesis.
"""The loop layer of loopsim: stdlib only. ``import loopsim`` re-exports its public names."""

from __future__ import annotations

from .clock import Clock, MonotonicClock
from .errors import (
    AppError,
    BadRequest,
    Cancelled,
    Deadlock,
    InputError,
    InternalError,
    LoopsimError,
    Timeout,
    UsageError,
)
from .eventloop import Loop, run
from .instruments import Instrument
from .ops import (
    accept,
    connect,
    current_task,
    join,
    now,
    recv,
    send,
    sendall,
    sleep,
    spawn,
    timeout,
    wait_readable,
    wait_writable,
)
from .scheduling import ChooserPolicy, SchedulingPolicy
from .task import Task
from .waits import describe_socket

__all__ = [
    "Loop", "run", "Task", "SchedulingPolicy", "ChooserPolicy", "Clock", "MonotonicClock", "Instrument", "describe_socket",
    "wait_readable", "wait_writable", "sleep", "recv", "send", "sendall", "accept",
    "connect", "spawn", "join", "timeout", "now", "current_task",
    "LoopsimError", "InputError", "AppError", "UsageError", "BadRequest", "Deadlock",
    "InternalError", "Cancelled", "Timeout",
]
