# loopsim.loop.durations: what a duration passed to the loop (sleep, timeout) may be, checked where it enters.
# Owns: MAX_DURATION, MAX_WAIT, SYSTEM_SELECTORS, FOREVER, checked_duration. Imports: stdlib,
# loopsim.loop.{epoll,errors}.
"""The rules for durations, in seconds, that a task hands to the loop.

``sleep(seconds)`` and ``timeout(seconds, gen)`` take any real number:

* ``0`` or less: no wait (``sleep`` lets the other ready tasks run; a
  ``timeout`` expires at the task's next yield);
* ``math.inf``: no deadline (``sleep(inf)`` waits until cancelled; a
  ``timeout(inf, ...)`` never fires);
* NaN, or a finite value above :data:`MAX_DURATION`: a ``UsageError`` raised
  in the task at its yield, naming the task and the value;
* anything that is not a real number: ``BadRequest``.

The loop's handlers check only the rare cases here: the usual ``0 < seconds <=
MAX_DURATION`` (an ``int`` or ``float``) is one comparison in the handler.
"""

from __future__ import annotations

import math
import numbers
import selectors
from typing import Any

from .epoll import EpollSelector
from .errors import BadRequest, UsageError

__all__ = ["MAX_DURATION", "MAX_WAIT", "SYSTEM_SELECTORS", "FOREVER", "checked_duration"]

#: The longest finite duration the loop accepts: 1e9 s, about 31.7 years. Longer finite values are a
#: mistake (a unit error, a value read from bad input); "no deadline" is ``math.inf``. Bounding them keeps
#: every deadline (``now + seconds``) an exact-enough float and within what a virtual clock can hold.
MAX_DURATION: float = 1e9

#: The longest a single select() of the standard library's selectors (or the loop's own epoll) is asked to
#: wait: one day, as asyncio's MAXIMUM_SELECT_TIMEOUT (epoll holds at most ~24.8 days). A longer wait is
#: several selects; a deadline is never missed because of it.
MAX_WAIT: float = 86400.0

#: The selectors whose select() is a system call with a bounded timeout (and their subclasses): the loop
#: waits at most MAX_WAIT in one select on these. Any other selector (a fake over virtual time) gets the
#: whole wait.
SYSTEM_SELECTORS: tuple[type, ...] = (EpollSelector,) + tuple(
    getattr(selectors, name) for name in
    ("SelectSelector", "PollSelector", "EpollSelector", "DevpollSelector", "KqueueSelector")
    if hasattr(selectors, name))

#: What :func:`checked_duration` answers for ``math.inf``: no deadline.
FOREVER: float = math.inf


def checked_duration(task_name: str, op: str, seconds: Any) -> float:
    """``seconds`` as the loop uses it: ``0.0`` for zero or less, :data:`FOREVER` for ``inf``, else a float.

    ``op`` is the operation (``"sleep"``, ``"timeout"``) for the message.
    Raises ``UsageError`` for NaN and for a finite value above
    :data:`MAX_DURATION`, ``BadRequest`` for what is not a real number.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise BadRequest(f"task {task_name!r}: {op}() needs a number of seconds, got {_show(seconds)}")
    try:
        value = float(seconds)
    except OverflowError:  # an int or Fraction too large for a float
        if seconds < 0:
            return 0.0
        raise UsageError(_too_long(task_name, op, seconds)) from None
    if math.isnan(value):
        raise UsageError(f"task {task_name!r}: {op}(nan): a duration cannot be NaN; "
                         "use a number of seconds, or math.inf for no deadline")
    if value <= 0.0:
        return 0.0
    if value == FOREVER:
        return FOREVER
    if value > MAX_DURATION:
        raise UsageError(_too_long(task_name, op, seconds))
    return value


def _too_long(task_name: str, op: str, seconds: Any) -> str:
    return (f"task {task_name!r}: {op}({_show(seconds)}) is longer than the loop's limit of {MAX_DURATION:g} s "
            f"(MAX_DURATION, about 31.7 years); use math.inf for no deadline")


def _show(value: Any) -> str:
    """``repr(value)``, cut short if long (a 400-digit int)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:24]}...({len(text)} characters)"
