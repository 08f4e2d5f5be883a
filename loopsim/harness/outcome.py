# loopsim.harness.outcome: what a run produced, and properties (plain functions) over it.
# Owns: Outcome, TaskOutcome, TaskRecorder, the ready-made properties, parse_property, property_spec.
# Imports: stdlib, loopsim.loop (errors, instruments, task), loopsim.harness.callables.
"""The outcome of a simulated, replayed or live run, and properties over it.

A *property* is a plain function ``property(outcome) -> str | None``: ``None``
when it holds, else a message saying what is wrong. Ready-made ones:
:func:`terminates`, :func:`no_task_died`, :func:`all_sockets_closed`,
:func:`finished_within` and :func:`result_has`. Write your own the same way,
in a module (a property is named by ``module:function`` in a scenario file,
so a lambda or a function of ``__main__`` cannot be one). Each ready-made property checks one thing, so that a
search for one kind of failure is not distracted by another: a run that
stopped early (deadlock, livelock, divergence) fails :func:`terminates` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from loopsim.loop.errors import InputError
from loopsim.loop.instruments import Instrument
from .callables import import_spec
from loopsim.loop.task import Task

__all__ = ["Outcome", "TaskOutcome", "TaskRecorder", "Property", "terminates", "no_task_died",
           "all_sockets_closed", "finished_within", "result_has", "PROPERTIES", "DEFAULT_PROPERTIES", "default_properties",
           "parse_property", "property_spec", "importable_spec", "StreamTap"]


@dataclass(frozen=True)
class TaskOutcome:
    """How one task ended: ``status`` is "ok", "cancelled" or the exception's class name."""

    name: str
    status: str
    message: str = ""

    def __str__(self) -> str:
        return self.status if not self.message else f"{self.status}: {self.message}"


class TaskRecorder(Instrument):
    """An instrument that notes how every task ended, in the order they ended.

    The errors it notes count as observed: the loop does not log them again.
    """

    def __init__(self) -> None:
        self.ended: dict[str, TaskOutcome] = {}

    def task_exited(self, task: Task) -> None:
        exc = task.exception()  # marks the task's error as observed
        if exc is None:
            outcome = TaskOutcome(task.name, "ok")
        elif task.cancelled():
            outcome = TaskOutcome(task.name, "cancelled")
        else:
            outcome = TaskOutcome(task.name, type(exc).__name__, str(exc))
        self.ended[task.name] = outcome


@dataclass
class Outcome:
    """Everything a property may look at after a run."""

    name: str
    result: Any = None
    tasks: dict[str, TaskOutcome] = field(default_factory=dict)
    received: dict[str, bytes] = field(default_factory=dict)
    sent: dict[str, bytes] = field(default_factory=dict)
    virtual_time: float = 0.0
    wall_time: float = 0.0
    open_sockets: list[str] = field(default_factory=list)
    trace: Any = None
    error: BaseException | None = None  # what stopped the run early (Deadlock, Divergence, ...)
    faults: tuple[Any, ...] = ()  # the faults the simulated network was configured with
    faults_fired: tuple[int, ...] = ()  # how often each of them fired (a simulated run; else empty)

    def trace_tail(self, n: int = 12) -> str:
        if self.trace is None:
            return "(no trace)"
        events = list(self.trace.events)[-n:]
        return "\n".join(_event_line(e) for e in events)


def _event_line(event: Any) -> str:
    fmt = getattr(event, "to_text", None)
    return fmt() if callable(fmt) else str(event)


Property = Callable[[Outcome], "str | None"]


def terminates(outcome: Outcome) -> str | None:
    """The run went to its end: no deadlock, no livelock (busy-wait), no divergence from a script."""
    if outcome.error is not None:
        first = str(outcome.error).splitlines()[0]
        return f"the run stopped: {type(outcome.error).__name__}: {first}"
    return None


def no_task_died(outcome: Outcome) -> str | None:
    """Every task returned or was cancelled; none raised."""
    dead = [t for t in outcome.tasks.values() if t.status not in ("ok", "cancelled")]
    if dead:
        return "tasks died: " + "; ".join(f"{t.name}: {t}" for t in dead)
    return None


def all_sockets_closed(outcome: Outcome) -> str | None:
    """No socket is left open at the end of the run."""
    if outcome.open_sockets:
        return "sockets left open: " + ", ".join(outcome.open_sockets)
    return None


def finished_within(seconds: float) -> Property:
    """The run ended within ``seconds`` of virtual time."""

    def finished_within_(outcome: Outcome) -> str | None:
        if outcome.virtual_time > seconds:
            return f"took {outcome.virtual_time:.6f} virtual seconds, more than {seconds}"
        return None

    finished_within_.__name__ = f"finished_within({seconds})"
    return finished_within_


def result_has(**expected: Any) -> Property:
    """The main task returned a dict containing these items."""

    def result_has_(outcome: Outcome) -> str | None:
        result = outcome.result if isinstance(outcome.result, dict) else {}
        wrong = {k: result.get(k) for k, v in expected.items() if result.get(k, 0 if isinstance(v, int) else None) != v}
        if outcome.result is None and outcome.error is not None:
            return f"no result: the run stopped: {type(outcome.error).__name__}: {outcome.error}"
        if wrong:
            return f"result {outcome.result!r} differs from the expected {expected!r} at {sorted(wrong)}"
        return None

    result_has_.__name__ = "result_has(" + ", ".join(f"{k}={v!r}" for k, v in expected.items()) + ")"
    return result_has_


PROPERTIES: dict[str, Property] = {
    "terminates": terminates,
    "no_task_died": no_task_died,
    "all_sockets_closed": all_sockets_closed,
}
# Generic only: they hold for any correct driver. Properties about what a driver returns (such as the
# bundled drivers' ``scenarios.drivers:delivered_intact``) are named by ``module:function``.
DEFAULT_PROPERTIES = ("terminates", "no_task_died", "all_sockets_closed")


def parse_property(spec: str) -> Property:
    """A property by name (``terminates``, ``finished_within(35)``) or as ``module:function``."""
    spec = spec.strip()
    if spec in PROPERTIES:
        return PROPERTIES[spec]
    m = re.fullmatch(r"finished_within\(\s*([0-9.eE+-]+)\s*\)", spec)
    if m:
        try:
            return finished_within(float(m.group(1)))
        except ValueError:
            pass
    if ":" in spec:
        return import_spec(spec, "property")
    raise InputError(f"unknown property {spec!r}; use one of {', '.join(PROPERTIES)}, "
                     "finished_within(SECONDS) or module:function")


def default_properties(driver: Any) -> list[Property]:
    """What ``loopsim explore`` searches when no property is named: the generic ones
    (:data:`DEFAULT_PROPERTIES`), then those the driver declares for its own result as
    ``driver.loopsim_properties`` - a tuple of property names (``"module:function"``), as
    ``scenarios.drivers:proxy_world`` declares ``delivered_intact``."""
    declared = getattr(driver, "loopsim_properties", ())
    what = getattr(driver, "__qualname__", repr(driver))
    if isinstance(declared, str) or not isinstance(declared, (tuple, list)) or not all(
            isinstance(name, str) for name in declared):
        raise InputError(f"{what}.loopsim_properties must be a tuple of property names "
                         f"('module:function'), not {declared!r}")
    props = [PROPERTIES[name] for name in DEFAULT_PROPERTIES]
    for name in declared:
        try:
            props.append(parse_property(name))
        except InputError as exc:
            raise InputError(f"{what}.loopsim_properties: {exc}") from None
    return props


def property_spec(prop: Property) -> str:
    """The text that :func:`parse_property` turns back into ``prop``."""
    name = getattr(prop, "__name__", "")
    if name in PROPERTIES or name.startswith("finished_within("):
        return name
    return f"{prop.__module__}:{prop.__qualname__}"


def importable_spec(prop: Property) -> str:
    """:func:`property_spec` of ``prop``, checked to name ``prop`` again; else :class:`InputError` (one line).

    A finding names its property in its file, so a lambda, a nested function or
    a function of ``__main__`` (which no other process can import) is refused.
    """
    spec = property_spec(prop)
    if ":" not in spec:  # a ready-made one: terminates, finished_within(T), ...
        return spec
    module, _, qualname = spec.partition(":")
    if module == "__main__" or "<" in qualname:
        raise InputError(f"property {spec!r} cannot be named by module:function (a lambda, a nested function or "
                         "a function of __main__); define it at the top level of an importable module")
    try:
        again = parse_property(spec)
    except InputError as exc:
        raise InputError(f"property {spec!r} does not import back: {exc}") from None
    if getattr(again, "__wrapped__", again) is not getattr(prop, "__wrapped__", prop):  # (checked_property wraps)
        raise InputError(f"property {spec!r} imports as another object; define it once, at the top level of "
                         "its module")
    return spec


class StreamTap:
    """A trace hook (``net.trace``) that passes events on to ``inner`` and keeps the bytes per socket name.

    It fills :attr:`Outcome.received` and :attr:`Outcome.sent` whether or not
    the full trace is kept: every ``recv`` that returned bytes, and the part of
    every ``send`` that was accepted.
    """

    __slots__ = ("inner", "received", "sent")

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner
        self.received: dict[str, bytearray] = {}
        self.sent: dict[str, bytearray] = {}

    def add(self, sock: str, op: str, args: tuple[Any, ...], result: Any) -> None:
        if self.inner is not None:
            self.inner.add(sock, op, args, result)
        if op == "recv":
            if type(result) is bytes:
                got = self.received.get(sock)
                if got is None:
                    got = self.received[sock] = bytearray()
                got += result
        elif op == "send" and type(result) is int and args:
            out = self.sent.get(sock)
            if out is None:
                out = self.sent[sock] = bytearray()
            out += bytes(args[0][:result])

    def streams(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """``(received, sent)``: bytes per socket name."""
        return ({k: bytes(v) for k, v in self.received.items()}, {k: bytes(v) for k, v in self.sent.items()})
