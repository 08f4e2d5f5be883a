# loopsim.harness.judge: the gate's judge - one named check per rule of a scenario's [expect], in one list.
# Owns: Check (and one subclass per rule), CHECKS, judge. Imports: stdlib, loopsim.harness.{scenario,outcome}.
"""How a scenario's run is judged.

Each rule of ``[expect]`` is a :class:`Check`: a name, the ``[expect]`` keys
it reads, and :meth:`Check.failures`, which says what is wrong with an
:class:`~loopsim.harness.outcome.Outcome` (nothing when the rule holds).
:data:`CHECKS` lists them in the order their failures are reported;
:func:`judge` runs them all and prefixes every failure with its check's name.
Adding an expectation is one subclass here, one entry in :data:`CHECKS`, its
key in :mod:`loopsim.harness.scenario` and a line in ``docs/scenarios.md``.
"""

from __future__ import annotations

import abc
from typing import ClassVar, Iterator

from loopsim.loop.errors import InputError

from .outcome import Outcome, all_sockets_closed, parse_property, result_has
from .scenario import Expect

__all__ = ["Check", "ErrorCheck", "ReceivedCheck", "ResultCheck", "TasksCheck", "TaskDiedCheck",
           "MinTimeCheck", "MaxTimeCheck", "SocketsClosedCheck", "PropertiesCheck", "CHECKS", "judge"]

# How a task may end without being listed under [expect] tasks.
_CLEAN_ENDINGS = ("ok", "cancelled")


def _short_bytes(data: bytes, limit: int = 60) -> str:
    """``repr(data)``, cut after ``limit`` bytes with the total length, for a failure message."""
    return repr(data) if len(data) <= limit else f"{data[:limit]!r}... ({len(data)} bytes)"


class Check(abc.ABC):
    """One rule of the judge. Subclasses set ``name`` and ``keys`` and implement :meth:`failures`."""

    name: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]  # the [expect] keys this check reads

    @abc.abstractmethod
    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        """What is wrong with ``outcome`` under ``expect``; nothing when the rule holds."""


class ErrorCheck(Check):
    """The run stopped early (Deadlock, Livelock) and ``error`` does not say so, or it did not stop with ``error``."""

    name = "error"
    keys = ("error",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        error = outcome.error
        stopped = type(error).__name__ if error is not None else None
        if expect.error is not None and stopped != expect.error:
            how = "ran to the end" if stopped is None else f"stopped with {stopped}: {error}"
            yield f"expected the run to stop with {expect.error}, but it {how}"
        elif expect.error is None and error is not None:
            yield f"the run stopped: {stopped}: {error}"


class ReceivedCheck(Check):
    """A socket named under ``received`` did not receive exactly those bytes."""

    name = "received"
    keys = ("received",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        for sock, want in expect.received.items():
            got = outcome.received.get(sock, b"")
            if got != want:
                yield f"{sock!r} expected {_short_bytes(want)}, got {_short_bytes(got)}"


class ResultCheck(Check):
    """The main task's returned dict lacks an item of ``result`` or has another value for it."""

    name = "result"
    keys = ("result",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        if expect.result:
            message = result_has(**expect.result)(outcome)
            if message:
                yield message


class TasksCheck(Check):
    """A task named under ``tasks`` did not end that way ("ok", "cancelled" or an exception class name)."""

    name = "tasks"
    keys = ("tasks",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        for name, status in expect.tasks.items():
            ended = outcome.tasks.get(name)
            if ended is None:
                yield f"{name!r} expected {status}, but no task of that name ended"
            elif ended.status != status:
                yield f"{name!r} expected {status}, got {ended}"


class TaskDiedCheck(Check):
    """A task not named under ``tasks`` ended with an exception (always checked)."""

    name = "task_died"
    keys = ("tasks",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        for name, ended in outcome.tasks.items():
            if name not in expect.tasks and ended.status not in _CLEAN_ENDINGS:
                yield f"task {name!r} died: {ended} (list it under [expect] tasks if that is expected)"


class MinTimeCheck(Check):
    """The run ended before ``min_time`` virtual seconds."""

    name = "min_time"
    keys = ("min_time",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        if expect.min_time is not None and outcome.virtual_time < expect.min_time:
            yield f"took {outcome.virtual_time:.6f} virtual seconds, less than {expect.min_time}"


class MaxTimeCheck(Check):
    """The run ended after ``max_time`` virtual seconds."""

    name = "max_time"
    keys = ("max_time",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        if expect.max_time is not None and outcome.virtual_time > expect.max_time:
            yield f"took {outcome.virtual_time:.6f} virtual seconds, more than {expect.max_time}"


class SocketsClosedCheck(Check):
    """A socket was left open at the end of the run while ``sockets_closed`` is true (the default)."""

    name = "sockets_closed"
    keys = ("sockets_closed",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        if expect.sockets_closed:
            message = all_sockets_closed(outcome)
            if message:
                yield message


class PropertiesCheck(Check):
    """A property listed under ``properties`` does not hold; the failure names the property."""

    name = "properties"
    keys = ("properties",)

    def failures(self, expect: Expect, outcome: Outcome) -> Iterator[str]:
        for spec in expect.properties:
            prop = parse_property(spec)
            try:
                message = prop(outcome)
            except InputError:
                raise
            except Exception as exc:  # the property's own code is at fault: an input error, not a verdict
                raise InputError(f"property {spec!r} raised {type(exc).__name__}: {exc}; a property returns None "
                                 "when it holds or a string saying what is wrong, and should not raise") from exc
            if message:
                yield f"{spec}: {message}"


CHECKS: tuple[Check, ...] = (ErrorCheck(), ReceivedCheck(), ResultCheck(), TasksCheck(), TaskDiedCheck(),
                             MinTimeCheck(), MaxTimeCheck(), SocketsClosedCheck(), PropertiesCheck())


def judge(expect: Expect, outcome: Outcome) -> list[str]:
    """Every failure of :data:`CHECKS` on ``outcome``, in order, each as ``"NAME: what is wrong"``."""
    return [f"{check.name}: {message}" for check in CHECKS for message in check.failures(expect, outcome)]
