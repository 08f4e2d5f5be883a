# loopsim.loop.task: a task (one generator driven by the loop), where it is suspended, and its unseen errors.
# Owns: Task, Scope (a deadline scope), task_location, close_generator (finalization), log_unobserved.
# Imports: stdlib, loopsim.loop.{errors,waits}.
"""Tasks: generators driven by the loop."""

from __future__ import annotations

import os
from typing import Any, Generator, Iterable

from .errors import Cancelled, UsageError
from .waits import Forever, SocketWaiters

__all__ = ["Task", "Scope", "task_location", "close_generator", "log_unobserved", "CLOSE_ATTEMPTS"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

#: How many times finalization throws GeneratorExit into a task whose finally blocks keep yielding.
CLOSE_ATTEMPTS = 100


class Scope:
    """A deadline scope opened by :class:`~loopsim.requests.OpenScope`.

    ``close()`` is synchronous (no yield), so it is safe in ``finally``.
    """

    __slots__ = ("task", "deadline", "seconds", "closed")

    def __init__(self, task: Task, deadline: float, seconds: Any) -> None:  # seconds: as the task gave it
        self.task = task
        self.deadline = deadline
        self.seconds = seconds
        self.closed = False

    def close(self) -> None:
        """Disarm the scope; a cancellation it queued but did not deliver is dropped."""
        self.closed = True
        task = self.task
        if task._pending_cancel is not None and task._pending_cancel.scope is self:
            task._pending_cancel = None

    def __repr__(self) -> str:
        return f"<Scope {self.seconds}s deadline={self.deadline} task={self.task.name!r}>"


class Task:
    """One generator driven by the loop.

    Create tasks with ``loop.spawn(gen)`` or, inside a task,
    ``yield from loopsim.spawn(gen)``.
    """

    __slots__ = (
        "name", "gen", "loop", "_done", "_result", "_exception", "_observed",
        "_send", "_throw", "_resume", "_wait", "_joiners", "_pending_cancel", "_seq",
    )

    def __init__(self, gen: Generator[Any, Any, Any], name: str, loop: Any, seq: int) -> None:
        self.name = name
        self.gen = gen
        self._resume = gen.send  # bound once: the loop resumes a task many times
        self.loop = loop
        self._seq = seq
        self._done = False
        self._result: Any = None
        self._exception: BaseException | None = None
        self._observed = False
        # What to resume the generator with next: a value, or an exception to throw.
        self._send: Any = None
        self._throw: BaseException | None = None
        self._wait: Any = None  # a SocketWaiters, Timer or Task while it waits
        self._joiners: list[Task] | None = None  # the tasks joining this one (made by the first join)
        self._pending_cancel: Cancelled | None = None

    # -- public API ---------------------------------------------------------

    def done(self) -> bool:
        """True once the task returned, raised or was cancelled."""
        return self._done

    def cancelled(self) -> bool:
        """True if the task finished by :class:`~loopsim.Cancelled`."""
        return self._done and isinstance(self._exception, Cancelled)

    def result(self) -> Any:
        """The task's return value; raises its exception (``Cancelled`` if cancelled)."""
        if not self._done:
            raise UsageError(f"task {self.name!r} is not done yet; join it first (yield from loopsim.join(task))")
        self._observed = True
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self) -> BaseException | None:
        """The exception the task finished with, or ``None`` if it returned."""
        if not self._done:
            raise UsageError(f"task {self.name!r} is not done yet; join it first (yield from loopsim.join(task))")
        self._observed = True
        return self._exception

    def cancel(self) -> bool:
        """Throw :class:`~loopsim.Cancelled` into the task at its yield point.

        Its ``finally`` blocks run. Returns False if the task already finished.
        """
        if self._done:
            return False
        self.loop._cancel(self, Cancelled(f"task {self.name!r} was cancelled"))
        return True

    def waiting_for(self) -> str:
        """What the task is parked on, in words; "" while it is ready, running or done.

        A socket (``"client#1 to be readable"``, ``"... to be writable"``, ``"... to be readable or
        writable"``), a joined task (``"task 'x' to finish"``), ``"its timer"`` (a sleep) or the end of a
        ``sleep(inf)``. For observers (instruments, the deadlock report); the loop never calls it.
        """
        wait = self._wait
        if wait is None:
            return ""
        if isinstance(wait, Task):
            return f"task {wait.name!r} to finish"
        if isinstance(wait, SocketWaiters):
            return wait.describe(self)
        if isinstance(wait, Forever):
            return wait.describe()
        return "its timer"

    def where(self) -> str:
        """``file:line`` of the application frame the task is suspended in."""
        return task_location(self.gen)

    def __repr__(self) -> str:
        state = "done" if self._done else ("waiting" if self._wait else "ready")
        return f"<Task {self.name!r} {state}>"


def task_location(gen: Generator[Any, Any, Any]) -> str:
    """Where ``gen`` is suspended: the innermost frame outside loopsim's own files.

    Follows the ``yield from`` chain, so a task parked inside
    ``loopsim.recv`` reports the application line that called it.
    """
    frames: list[Any] = []
    g: Any = gen
    while g is not None:
        frame = getattr(g, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        g = getattr(g, "gi_yieldfrom", None)
    for frame in frames[::-1]:
        filename = frame.f_code.co_filename
        if os.path.dirname(os.path.abspath(filename)) != _PACKAGE_DIR:
            return f"{filename}:{frame.f_lineno}"
    if frames:
        f = frames[-1]
        return f"{f.f_code.co_filename}:{f.f_lineno}"
    return "<finished>"


def _innermost(gen: Any) -> Any:
    """The innermost generator of ``gen``'s ``yield from`` chain that has not finished."""
    while True:
        inner = getattr(gen, "gi_yieldfrom", None)
        if inner is None or getattr(inner, "gi_frame", None) is None or not hasattr(inner, "throw"):
            return gen
        gen = inner


def close_generator(gen: Generator[Any, Any, Any]) -> tuple[BaseException | None, list[Any]]:
    """Finish ``gen`` without the loop, as ``gen.close()`` does, so that its ``finally`` blocks run.

    Throws ``GeneratorExit`` into the innermost generator of the ``yield
    from`` chain; an exception one level raises is thrown into the level
    above, as ``yield from`` passes it on. A level that yields instead (a
    ``finally`` block that waits) gets ``GeneratorExit`` again at that yield,
    which ends that ``finally`` block, up to :data:`CLOSE_ATTEMPTS` times in
    all: no generator is left suspended to be closed (and complain) at garbage
    collection. Returns what ``gen`` raised (``None`` if it ended by
    ``GeneratorExit`` or returned) and the values it yielded while closing.
    """
    yielded: list[Any] = []
    pending: BaseException = GeneratorExit()
    for _ in range(CLOSE_ATTEMPTS):
        level = _innermost(gen)
        try:
            yielded.append(level.throw(pending))
            pending = GeneratorExit()
            continue
        except (GeneratorExit, StopIteration):
            pending = GeneratorExit()
            if level is gen:
                return None, yielded
        except BaseException as exc:  # what a finally block raised: passed up the chain, as yield from does
            if level is gen:
                return exc, yielded
            pending = exc
    return None, yielded


def log_unobserved(failed: Iterable[Task]) -> None:
    """Log (logger ``loopsim``) each task that raised and whose error nobody looked at.

    The loop calls it when a run ends; ``result()``, ``exception()``, a join or
    an instrument that marks the task observed keep an error out of the log.
    """
    failed = [t for t in failed if not t._observed]
    if not failed:
        return
    import logging  # only now: `import loopsim` stays cheap

    log = logging.getLogger("loopsim")
    for task in failed:
        task._observed = True
        exc = task._exception
        log.error("task %r raised %s: %s", task.name, type(exc).__name__, exc,
                  exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None)
