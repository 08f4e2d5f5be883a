# loopsim: the package users import. Re-exports the loop layer (stdlib only).
# Owns: the public names. Imports: the loop layer modules only; never fakes, pytest or hypothesis.
"""loopsim: a generator event loop, and a harness that runs it deterministically.

Tasks are generators that ``yield from`` loopsim's operations::

    import loopsim

    def echo(conn):
        while data := (yield from loopsim.recv(conn, 65536)):
            yield from loopsim.sendall(conn, data)
        conn.close()

The same loop runs on real sockets (``selectors.DefaultSelector``) or on the
fakes (``fakes.FakeNetwork``) in virtual time: ``Loop(selector=..., clock=...)``.
"""

from __future__ import annotations

from . import loop as _loop_module
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
from .instruments import Instrument
from .loop import Loop, describe_socket, run
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
from .task import Task

__all__ = [
    "Loop", "run", "Task", "Clock", "MonotonicClock", "Instrument", "describe_socket",
    "wait_readable", "wait_writable", "sleep", "recv", "send", "sendall", "accept",
    "connect", "spawn", "join", "timeout", "now", "current_task",
    "LoopsimError", "InputError", "AppError", "UsageError", "BadRequest", "Deadlock",
    "InternalError", "Cancelled", "Timeout", "COMPILED",
]

__version__ = "0.1.0"

#: True when the loop was compiled with mypyc (``LOOPSIM_MYPYC=1 pip install .``; see the README).
COMPILED: bool = not _loop_module.__file__.endswith(".py")
