# loopsim.harness.timeline: the timeline of one run - task lanes, socket lanes, select decisions, faults.
# Owns: TimelineCollector (the instrument), Timeline, TaskLane, SocketLane, Segment, Mark, build_timeline,
# timeline_for_scenario, is_socket_wait. Imports: stdlib, loopsim.loop.instruments, loopsim.harness.{runner,scenario}.
"""What happened in a run, over its steps and its virtual time.

The x axis counts *steps*: every trace event is one step, and so is every
resume of a task (a resume that makes no socket call still takes a column).
``Timeline.times[x]`` is the virtual time at step ``x``, so a renderer can draw
either axis. Observation goes only through the loop's instrument hooks
(:class:`TimelineCollector`: task spawn/step/exit, and after each step what the
task waits on, ``Task.waiting_for()``) and the run's ``fakes.Trace``; the loop's
hot path is untouched.
"""

from __future__ import annotations

import dataclasses
import errno
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from loopsim.loop.instruments import Instrument
from .runner import ScenarioResult, network_for, run_scenario
from .scenario import Scenario, ScenarioError

__all__ = ["TimelineCollector", "Timeline", "TaskLane", "SocketLane", "Segment", "Mark", "build_timeline",
           "timeline_for_scenario", "classify", "is_socket_wait", "VALUE_SHOWN"]

#: How many characters of a task's return value or error message a lane shows.
VALUE_SHOWN = 200

_SOCKET_OK_ERRNOS = (0, errno.EINPROGRESS, errno.EALREADY, errno.EISCONN)


@dataclass(frozen=True)
class Segment:
    """A task's state over steps ``[x0, x1)``: "ready", "run", "wait" (``detail``: what on, as
    ``Task.waiting_for()`` says; see :func:`is_socket_wait`) or "done" (``detail``: its value or error)."""

    x0: int
    x1: int
    state: str
    detail: str = ""


@dataclass(frozen=True)
class Mark:
    """Something at one step: ``kind`` says what (see :func:`classify`), ``label`` is its text, ``seq`` the
    trace event it shows (-1 for none)."""

    x: int
    kind: str
    label: str
    seq: int = -1


@dataclass
class TaskLane:
    """One task: its segments, and its end ("ok", "error", "cancelled"; ``None`` while it had not ended)."""

    name: str
    segments: list[Segment] = field(default_factory=list)
    end: str | None = None
    end_detail: str = ""
    end_x: int = -1


@dataclass
class SocketLane:
    """One socket: each call with its answer (marks), and the bytes it sent that its peer had not received
    yet (``inflight``: ``(x, bytes)`` at each change; empty when its peer is not known)."""

    name: str
    marks: list[Mark] = field(default_factory=list)
    inflight: list[tuple[int, int]] = field(default_factory=list)
    peer: str | None = None


@dataclass
class Timeline:
    """A whole run, ready to render (see the module doc for the x axis)."""

    title: str
    status: str
    failures: list[str]
    times: list[float]
    events: list[Any]  # fakes.TraceEvent, in order
    event_x: list[int]
    event_task: list[str]  # the task that made each event ("" outside a task step: the selector, the clock)
    tasks: list[TaskLane]
    sockets: list[SocketLane]
    selects: list[Mark]
    faults: list[Mark]
    divergence: Mark | None = None
    error: str = ""
    known_bug: str = ""  # the scenario's known_bug: a passing run reproduces it

    @property
    def steps(self) -> int:
        return len(self.times)


class TimelineCollector(Instrument):
    """An instrument recording, step by step, what each task did and waited on.

    ``trace`` is the run's ``fakes.Trace`` (read for its length only: which
    events each step made), ``clock`` the run's clock.
    """

    def __init__(self, trace: Any, clock: Any) -> None:
        self.trace, self.clock = trace, clock
        self.times: list[float] = []
        self.event_x: list[int] = []
        self.event_task: list[str] = []
        self.order: list[str] = []  # task names in spawn order
        self.spawned: dict[str, int] = {}
        self.steps: dict[str, list[tuple[int, int]]] = {}
        self.waits: dict[str, list[str]] = {}  # task -> what it waited on after each step ("" if nothing)
        self.ended: dict[str, tuple[int, str, str]] = {}
        self._current = ""
        self._step_start = 0

    def _sync(self) -> None:
        """Give the trace events made since the last hook their steps."""
        trace, event_x = self.trace, self.event_x
        n = len(trace) if trace is not None else 0
        if len(event_x) < n:
            events = trace.events
            for seq in range(len(event_x), n):
                event_x.append(len(self.times))
                self.event_task.append(self._current)
                self.times.append(events[seq].t)

    def _tick(self) -> int:
        self._sync()
        self.times.append(self.clock.now())
        return len(self.times) - 1

    def task_spawned(self, task: Any) -> None:
        self._sync()
        name = task.name
        if name not in self.spawned:
            self.order.append(name)
            self.steps[name], self.waits[name] = [], []
        self.spawned[name] = len(self.times)

    def before_task_step(self, task: Any) -> None:
        self._step_start = self._tick()
        self._current = task.name

    def after_task_step(self, task: Any) -> None:
        self._sync()
        self.steps[task.name].append((self._step_start, len(self.times)))
        self.waits[task.name].append("" if task.done() else task.waiting_for())
        self._current = ""

    def task_exited(self, task: Any) -> None:
        self._sync()
        exc = task.exception()  # (marks the error as observed, as the run's TaskRecorder does too)
        if exc is None:
            end, detail = "ok", _short(repr(task.result()))
        elif task.cancelled():
            end, detail = "cancelled", _short(str(exc))
        else:
            end, detail = "error", _short(f"{type(exc).__name__}: {exc}")
        self.ended[task.name] = (len(self.times), end, detail)

    def task_lanes(self, end: int) -> list[TaskLane]:
        """Each task's segments up to step ``end``."""
        lanes = []
        for name in self.order:
            lane = TaskLane(name)
            x = self.spawned[name]
            what = ""  # what the task waits on since its last step
            for (x0, x1), waited in zip(self.steps[name], self.waits[name]):
                if x0 > x:
                    lane.segments.append(Segment(x, x0, "wait" if x > self.spawned[name] else "ready", what))
                lane.segments.append(Segment(x0, max(x1, x0 + 1), "run"))
                x, what = max(x1, x0 + 1), waited
            ended = self.ended.get(name)
            if ended is not None:
                lane.end_x, lane.end, lane.end_detail = ended
                if end > x:
                    lane.segments.append(Segment(x, end, "done", ended[2]))
            elif end > x:  # still waiting when the run stopped (a deadlock, a divergence)
                lane.segments.append(Segment(x, end, "wait", what))
            lanes.append(lane)
        return lanes


def is_socket_wait(detail: str) -> bool:
    """Whether a wait segment's ``detail`` (``Task.waiting_for()``) names a socket."""
    return detail.endswith((" to be readable", " to be writable", " to be readable or writable"))


def _short(text: str) -> str:
    return text if len(text) <= VALUE_SHOWN else text[:VALUE_SHOWN] + "..."


def _sock_name(sock: Any) -> str:
    name = getattr(sock, "name", None)
    return name if isinstance(name, str) else repr(sock)


def classify(event: Any) -> str:
    """The kind of a socket call's answer: "data", "eof", "partial", "sent", "eagain", "reset" (any error
    answer: ECONNRESET, EPIPE, ECONNREFUSED, ...), "accept", "connect" or "life" (socket, bind, close ...)."""
    op, result = event.op, event.result
    if isinstance(result, str):
        return "eagain" if result in ("EAGAIN", "EWOULDBLOCK") else "reset"
    if op == "recv":
        return "data" if result else "eof"
    if op == "send":
        data = event.args[0] if event.args else b""
        return "partial" if isinstance(result, int) and result < len(data) else "sent"
    if op == "accept":
        return "accept"
    if op in ("connect_ex", "so_error"):
        return "connect" if result in _SOCKET_OK_ERRNOS else "reset"
    return "life"


def _answer(event: Any) -> str:
    from fakes import format_value

    args = ", ".join(format_value(a) for a in event.args)
    return f"{event.op}({args}) -> {format_value(event.result)}"


def _socket_lanes(events: list[Any], event_x: list[int]) -> list[SocketLane]:
    lanes: dict[str, SocketLane] = {}
    for event, x in zip(events, event_x):  # first pass: the calls, and the peers accepts name ("L<-C" and "C")
        if event.sock in ("select", "clock", "loop"):  # the loop's own steps: no socket (loop: ready-order picks)
            continue
        lane = lanes.get(event.sock)
        if lane is None:
            lane = lanes[event.sock] = SocketLane(event.sock)
        lane.marks.append(Mark(x, classify(event), _answer(event), event.seq))
        if event.op == "accept" and isinstance(event.result, tuple) and event.result:
            conn = str(event.result[0])
            _, arrow, peer = conn.partition("<-")
            if arrow and peer:
                lanes.setdefault(conn, SocketLane(conn)).peer = peer
                lanes.setdefault(peer, SocketLane(peer)).peer = conn
    sent: dict[str, int] = {}
    got: dict[str, int] = {}
    for event, x in zip(events, event_x):  # second pass: bytes a socket sent that its peer has not received
        if event.op == "send" and isinstance(event.result, int):
            sent[event.sock] = sent.get(event.sock, 0) + event.result
            sender = lanes[event.sock]
        elif event.op == "recv" and isinstance(event.result, (bytes, bytearray)) and event.result:
            got[event.sock] = got.get(event.sock, 0) + len(event.result)
            source = lanes[event.sock].peer
            if source is None:
                continue
            sender = lanes[source]
        else:
            continue
        if sender.peer is None:
            continue
        value = sent.get(sender.name, 0) - got.get(sender.peer, 0)
        if not sender.inflight or sender.inflight[-1][1] != value:
            sender.inflight.append((x, value))
    return list(lanes.values())


def _fault_marks(faults: tuple[Any, ...], events: list[Any], event_x: list[int]) -> list[Mark]:
    """Where each configured fault applies: at its time, at the send that reached its byte count, or at each
    connect to its address."""
    marks = []
    for fault in faults:
        what = f"fault {fault.kind} {fault.target}"
        if fault.after_bytes is not None:
            counts: dict[str, int] = {}
            for event, x in zip(events, event_x):
                if event.op == "send" and isinstance(event.result, int) and fnmatchcase(event.sock, fault.target):
                    before = counts.get(event.sock, 0)
                    counts[event.sock] = before + event.result
                    if before < fault.after_bytes <= counts[event.sock] or (
                            before == fault.after_bytes and event.result == 0):
                        marks.append(Mark(x, "fault", f"{what} after {fault.after_bytes} bytes ({event.sock})",
                                          event.seq))
        elif ":" in fault.target and fault.kind in ("refuse", "black_hole"):
            for event, x in zip(events, event_x):
                if (event.op == "connect_ex" and event.args and isinstance(event.args[0], tuple)
                        and fnmatchcase(f"{event.args[0][0]}:{event.args[0][1]}", fault.target)
                        and (fault.at is None or event.t >= fault.at)):
                    marks.append(Mark(x, "fault", f"{what}: connect from {event.sock}", event.seq))
        if fault.at is not None and fault.after_bytes is None:
            hit = next(((e, x) for e, x in zip(events, event_x) if e.t >= fault.at), None)
            if hit is not None:
                marks.append(Mark(hit[1], "fault", f"{what} at t={fault.at}", hit[0].seq))
    return sorted(marks, key=lambda m: (m.x, m.label))


def build_timeline(collector: TimelineCollector, result: ScenarioResult, title: str) -> Timeline:
    """The :class:`Timeline` of a finished run that ``collector`` watched."""
    import fakes

    collector._sync()
    outcome = result.outcome
    trace = outcome.trace if outcome is not None else None
    events = list(trace.events) if trace is not None else []
    end = len(collector.times)
    collector.times.append(collector.times[-1] if collector.times else 0.0)  # the end of the run: one more step
    selects = [Mark(x, "select", _answer(e), e.seq) for e, x in zip(events, collector.event_x) if e.op == "select"]
    timeline = Timeline(
        title=title, status=result.status, failures=list(result.failures), times=collector.times,
        events=events, event_x=collector.event_x, event_task=collector.event_task,
        tasks=collector.task_lanes(end + 1), sockets=_socket_lanes(events, collector.event_x), selects=selects,
        faults=_fault_marks(tuple(outcome.faults) if outcome is not None else (), events, collector.event_x))
    error = outcome.error if outcome is not None else None
    if error is not None:
        timeline.error = f"{type(error).__name__}: {error}"
    if isinstance(error, fakes.Divergence):
        timeline.divergence = Mark(end, "divergence", str(error).splitlines()[0], -1)
    return timeline


def timeline_for_scenario(sc: Scenario, strict: bool = False, seed: int | None = None) -> Timeline:
    """Run ``sc`` (simulated from its world, or ``strict``: its script replayed) and return its timeline.

    ``seed`` replaces the world's ``[network] seed``. Raises :class:`ScenarioError` (an ``InputError``)
    for a bad file, driver or arguments.
    """
    if seed is not None:
        if sc.network is None:
            raise ScenarioError(sc.path, None, "network.seed", "--seed needs a [network] (a world) to seed, and "
                                "this file has only a [[script]]")
        sc = dataclasses.replace(sc, seed=seed)
    net = network_for(sc, strict)
    collector = TimelineCollector(net.trace, net.clock)
    result = run_scenario(sc, strict, net=net, instruments=(collector,))
    mode = "strict replay" if (strict or sc.network is None) else f"simulated, seed {sc.seed}"
    timeline = build_timeline(collector, result, f"{sc.name} ({mode})")
    timeline.known_bug = sc.known_bug or ""
    return timeline
