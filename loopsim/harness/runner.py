# loopsim.harness.runner: run a driver on a network (simulated, replayed or live); run a scenario and judge it.
# Owns: run_world (generator and async def drivers), run_scenario, ScenarioResult, resolve_driver, network_for, replays_strictly, net_config,
# network_rows. Imports: loopsim.loop, loopsim.harness.{scenario,outcome,judge,livelock,callables,world_choices,aio_runner}, fakes.
"""Running scenarios.

:func:`run_world` runs a driver (``function(net, **args)``) on one network in
one loop and returns an :class:`~loopsim.outcome.Outcome`. :func:`run_scenario`
builds the network a scenario asks for (its world: a ``FakeNetwork`` of its
``[network]``, seeded or answering its recorded choices; or a strict replay
of its script), runs it, and checks the scenario's expectations.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from loopsim.loop.errors import Deadlock, InputError, InternalError
from .livelock import DEFAULT_LIMIT, HorizonGuard, HorizonPassed, Livelock, LivelockGuard, SpinWatch
from loopsim.loop.eventloop import Loop
from loopsim.loop.instruments import Instrument
from loopsim.loop.scheduling import ChooserPolicy, SchedulingPolicy
from .judge import judge
from .outcome import Outcome, StreamTap, TaskRecorder
from .scenario import Scenario, ScenarioError
from .callables import import_spec
from .aio_runner import run_async_world

if TYPE_CHECKING:
    import fakes

__all__ = ["ScenarioResult", "resolve_driver", "run_world", "run_scenario", "network_for", "replays_strictly",
           "net_config", "network_rows"]

PASS, FAIL, DIVERGENCE = "pass", "fail", "divergence"


@dataclass
class ScenarioResult:
    """A scenario's verdict: ``status`` is "pass", "fail" or "divergence"."""

    scenario: Scenario
    status: str
    failures: list[str] = field(default_factory=list)
    outcome: Outcome | None = None

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def report(self, tail: int = 12) -> str:
        """What went wrong and the tail of the trace, for a person reading a failure."""
        lines = [f"{self.scenario.path}: {self.scenario.name}: {self.status.upper()}"]
        lines += [f"  - {f}" for f in self.failures]
        if self.outcome is not None and not self.passed:
            lines.append(f"  last {tail} events of the trace:")
            lines += ["    " + line for line in self.outcome.trace_tail(tail).splitlines()]
        return "\n".join(lines)


def resolve_driver(spec: str) -> Callable[..., Any]:
    """Import a driver ``"module:function"``; raise :class:`InputError` saying what is missing."""
    return import_spec(spec, "app")


def run_world(driver: Callable[..., Any], args: dict[str, Any], net: fakes.Network, name: str = "run",
              instruments: tuple[Any, ...] = (), livelock_limit: int | None = DEFAULT_LIMIT,
              horizon: float | None = None, policy: SchedulingPolicy | None = None) -> Outcome:
    """Run ``driver(net, **args)`` as task "main" in a loop over ``net`` until every task is done.

    An ``async def`` driver runs on the network's asyncio loop instead
    (:mod:`loopsim.harness.aio_runner`), with the same outcome and stops.

    A deadlock, a divergence from a script, a livelock (``livelock_limit``
    task resumes at one virtual instant; ``None`` for live runs) or virtual
    time passing ``horizon`` seconds stops the run and is kept in
    ``outcome.error``. The driver rejecting its arguments - a ``TypeError`` or
    ``ValueError`` from calling it, or from the main task's first step, before
    it waited on anything - is an :class:`InputError`. The loop's ready order
    is ``policy``'s, or by default the network's choice (its ``loop_chooser``);
    on a simulated network each pick is a trace step, a strict replay answers
    from its script, a live network runs FIFO (or ``policy``).
    """
    import fakes

    try:
        gen = driver(net, **args)
    except TypeError as exc:
        raise InputError(f"app args for {getattr(driver, '__qualname__', driver)}: {exc}") from None
    recorder = TaskRecorder()
    trace = net.trace
    tap = net.trace = StreamTap(trace)  # received/sent bytes, with or without the full trace
    guards: tuple[Any, ...] = ()
    if livelock_limit is not None:  # virtual time: stop busy-waits instead of spinning forever
        watch = net.trace = SpinWatch(net.clock, net.trace)
        guards = (LivelockGuard(net.clock, livelock_limit, watch),)
    if horizon is not None:
        guards += (HorizonGuard(net.clock, horizon),)
    if inspect.iscoroutine(gen):  # an async def driver: the network's asyncio loop runs it (aio_runner)
        return _run_async(gen, net, name, trace, tap, horizon, livelock_limit)
    first_step = _FirstStep()
    loop_chooser = getattr(net, "loop_chooser", None)  # simulated or replayed: the order is a trace step
    if loop_chooser is not None:
        policy = ChooserPolicy(loop_chooser) if policy is None else loop_chooser.follow(policy)
    loop = Loop(selector=net.selector(), clock=net.clock, instruments=(recorder, first_step, *guards, *instruments),
                policy=policy)
    main = first_step.main = loop.spawn(gen, name="main")
    error: BaseException | None = None
    start = time.perf_counter()
    try:
        loop.run()
    except (Deadlock, Livelock, HorizonPassed, fakes.Divergence, SystemExit) as exc:
        # (SystemExit: the code under test called sys.exit - a failure of this run, not the end of the process)
        error = exc  # the loop has finalized the tasks left (their finally blocks ran)
    except Exception as exc:  # a bug in loopsim or the fakes (tests/harness/test_run_bounds.py forces one)
        raise InternalError(f"loopsim failed while running {name!r}: {type(exc).__name__}: {exc}; "
                            "this is a bug in loopsim, please report it") from exc
    finally:
        loop.close()
    wall = time.perf_counter() - start
    divergence = net.finish()  # a replaying network checks the whole script was used
    if divergence is not None and error is None:
        error = divergence
    rejected = main.exception() if main.done() and not main.cancelled() else None
    if isinstance(rejected, (TypeError, ValueError)) and first_step.ended_in_first_step:
        raise InputError(f"app args for {getattr(driver, '__qualname__', driver)}: the driver rejected them: "
                         f"{type(rejected).__name__}: {rejected}")
    result = main.result() if main.done() and main.exception() is None else None
    return _outcome(net, name, trace, tap, result, dict(recorder.ended), wall, error)


def _outcome(net: fakes.Network, name: str, trace: Any, tap: StreamTap, result: Any, tasks: dict[str, Any],
             wall: float, error: BaseException | None) -> Outcome:
    """The Outcome of a finished run (generator or asyncio); puts the network's own trace back."""
    net.trace = trace
    received, sent = tap.streams()
    return Outcome(name=name, result=result, tasks=tasks, received=received, sent=sent,
                   virtual_time=net.clock.now(), wall_time=wall,
                   open_sockets=[s.name for s in net.open_sockets()], trace=trace, error=error,
                   faults=net.config.faults, faults_fired=_faults_fired(net))


def _faults_fired(net: Any) -> tuple[int, ...]:
    """How often each of a simulated network's faults fired (a replayed or live network has none)."""
    counts = getattr(net, "faults_fired", None)
    return tuple(counts()) if callable(counts) else ()


def _run_async(coro: Any, net: fakes.Network, name: str, trace: Any, tap: StreamTap, horizon: float | None,
               livelock_limit: int | None) -> Outcome:
    start = time.perf_counter()
    try:
        recorder, main, error = run_async_world(coro, net, horizon, livelock_limit)
    except Exception as exc:  # a bug in loopsim or the fakes
        raise InternalError(f"loopsim failed while running {name!r} on asyncio: {type(exc).__name__}: {exc}; "
                            "this is a bug in loopsim, please report it") from exc
    wall = time.perf_counter() - start
    divergence = net.finish()
    if divergence is not None and error is None:
        error = divergence
    result = (main.result() if main is not None and main.done() and not main.cancelled()
              and main.exception() is None else None)
    return _outcome(net, name, trace, tap, result, dict(recorder.ended), wall, error)


class _FirstStep(Instrument):
    """Notes whether the main task ended in its very first step (the driver checking its arguments)."""

    def __init__(self) -> None:
        self.main: Any = None  # the main task, set once spawned
        self.steps = 0
        self.ended_in_first_step = False

    def before_task_step(self, task: Any) -> None:
        if task is self.main and self.steps < 2:
            self.steps += 1

    def task_exited(self, task: Any) -> None:
        if task is self.main and self.steps <= 1:
            self.ended_in_first_step = True


def net_config(sc: Scenario) -> Any:
    """The ``fakes.NetConfig`` a simulated scenario describes."""
    import fakes

    assert sc.network is not None
    return fakes.NetConfig(
        links=tuple(fakes.Link(**row) for row in sc.network.get("link", [])),
        endpoints=tuple(fakes.Endpoint(**row) for row in sc.network.get("endpoint", [])),
        faults=tuple(fakes.Fault(**row) for row in sc.network.get("fault", [])),
    )


def network_rows(config: Any) -> dict[str, list[dict[str, Any]]]:
    """The ``[[network.*]]`` rows of a ``fakes.NetConfig`` (the inverse of :func:`net_config`): each
    rule's fields that differ from their defaults, tuples as lists."""
    import dataclasses

    rows: dict[str, list[dict[str, Any]]] = {}
    for section, items in (("link", config.links), ("endpoint", config.endpoints), ("fault", config.faults)):
        out = []
        for item in items:
            row = {}
            for f in dataclasses.fields(item):
                value = getattr(item, f.name)
                if f.default is dataclasses.MISSING or value != f.default:
                    row[f.name] = list(value) if isinstance(value, tuple) else value
            out.append(row)
        rows[section] = out
    return rows


def replays_strictly(sc: Scenario, strict: bool = False) -> bool:
    """Whether ``sc`` runs as a strict replay of its ``[[script]]`` (else it is simulated from its world).

    A file with only a script replays strictly; a file with a ``[network]``
    (a hand-written world, or a finding's world beside its script) is
    simulated, unless ``strict`` asks for its script.
    """
    return sc.script is not None and (strict or sc.network is None)


def network_for(sc: Scenario, strict: bool = False) -> fakes.Network:
    """A fresh network for ``sc``: its world (seeded, or answering its recorded choices), or a strict
    replay of its script (:func:`replays_strictly`)."""
    import fakes

    from .world_choices import ListChooser

    if replays_strictly(sc, strict):
        assert sc.script is not None
        return fakes.ReplayNetwork(sc.script)
    if strict:
        raise ScenarioError(sc.path, None, "script", "--strict replays a [[script]], and this file has none")
    chooser = ListChooser(sc.choices) if sc.choices is not None else None
    return fakes.FakeNetwork(seed=sc.seed, config=net_config(sc), chooser=chooser)


def run_scenario(sc: Scenario, strict: bool = False, net: fakes.Network | None = None,
                 instruments: tuple[Any, ...] = (),
                 observe: Callable[[fakes.Network], object] | None = None) -> ScenarioResult:
    """Run ``sc`` and check its expectations (``strict``: replay its script; see :func:`replays_strictly`).

    ``net`` (default: :func:`network_for`) and ``instruments`` let an observer (the timeline) watch the run;
    ``observe``, if given, is called with the network before the run starts (error-path coverage).
    Raises :class:`InputError` for a bad app or args.
    """
    import fakes

    driver = resolve_driver(sc.driver)
    if net is None:
        net = network_for(sc, strict)
    if observe is not None:
        observe(net)
    try:
        outcome = run_world(driver, sc.args, net, sc.name, instruments=instruments, horizon=sc.limits.seconds)
    except InputError as exc:
        raise ScenarioError(sc.path, None, "app", str(exc)) from None
    if isinstance(outcome.error, fakes.Divergence):
        return ScenarioResult(sc, DIVERGENCE, [str(outcome.error)], outcome)
    try:
        failures = judge(sc.expect, outcome)
    except InputError as exc:  # a property that cannot be used (returned a non-str, failed to import)
        raise ScenarioError(sc.path, None, "expect.properties", str(exc)) from None
    return ScenarioResult(sc, FAIL if failures else PASS, failures, outcome)
