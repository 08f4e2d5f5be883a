# loopsim.loop.errors: every exception loopsim raises, grouped by whose fault it is.
# Owns: the error hierarchy. Imports: stdlib only (nothing of loopsim, nothing of fakes).
"""The exceptions loopsim raises, grouped by whose fault it is.

* :class:`InputError` - the *input* is wrong (a scenario file, a script, a CLI
  argument). Fix the file.
* :class:`AppError` - the *code under test* did something wrong (a task used
  the loop incorrectly, deadlocked, or diverged from a script).
* :class:`InternalError` - loopsim itself is broken. Please report it.

:class:`Cancelled` and :class:`Timeout` are control flow, not faults.
"""

from __future__ import annotations

__all__ = [
    "LoopsimError",
    "InputError",
    "AppError",
    "UsageError",
    "BadRequest",
    "Deadlock",
    "InternalError",
    "Cancelled",
    "Timeout",
]


class LoopsimError(Exception):
    """Base class of every error loopsim raises on purpose."""


class InputError(LoopsimError):
    """The input (scenario file, script, command line) is wrong: fix the input."""


class AppError(LoopsimError):
    """The code under test did something wrong: fix the application or test."""


class UsageError(AppError):
    """A task used the loop incorrectly (raised inside that task at its yield)."""


class BadRequest(UsageError, TypeError):
    """A task yielded a value the loop does not understand."""


class Deadlock(AppError):
    """Every task waits and nothing can ever wake one of them.

    ``blocked`` lists ``(task name, where, what)`` for every blocked task.
    """

    def __init__(self, message: str, blocked: list[tuple[str, str, str]]) -> None:
        super().__init__(message)
        self.blocked = blocked


class InternalError(LoopsimError):
    """loopsim itself failed. This is a bug in loopsim: please report it."""


class Cancelled(BaseException):
    """Thrown into a task at its yield point when it is cancelled.

    A ``BaseException`` (as in trio and asyncio) so that ``except Exception``
    in application code does not swallow it. ``scope`` is the
    :func:`loopsim.timeout` scope that expired, or ``None`` for
    :meth:`Task.cancel`.
    """

    def __init__(self, message: str = "cancelled", scope: object | None = None) -> None:
        super().__init__(message)
        self.scope = scope


class Timeout(TimeoutError):
    """Raised by :func:`loopsim.timeout` when its deadline passes.

    A subclass of the builtin ``TimeoutError`` (as ``asyncio.TimeoutError``
    is), so ``except TimeoutError`` catches it.
    """
