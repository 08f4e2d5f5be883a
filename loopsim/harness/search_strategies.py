# loopsim.harness.search_strategies: the search strategies of `loopsim explore` and the schedules they run -
# seeded random choices, PCT priority scheduling (ready order), swarm worlds; systematic lives in systematic.py.
# Owns: STRATEGIES, Strategy, Schedule, PCTPolicy, PCTChooser, RecordingPolicy, run_schedule, strategy_named.
# Imports: stdlib, fakes, loopsim.loop.scheduling, loopsim.harness.{runner,outcome}.
"""What one explored run answers its choices with, per strategy.

A run's nondeterminism is answered by a *chooser* (``select-order``,
``recv-size``, ``send-size``, ... : :class:`fakes.Chooser`) and a *scheduling
policy* (which ready task runs next: :class:`loopsim.loop.scheduling.SchedulingPolicy`).
A :class:`Schedule` is a small frozen value that makes both, the same for the
same value in any process, so a failing run is re-run exactly (with its
choices recorded) from the value alone.

Strategies (``loopsim explore --strategy NAME``):

* ``random``: each hypothesis example draws ``worlds`` worlds (one draw of bytes), each a
  network configuration and a seed, and runs ``schedules`` schedules in each:
  the default one (every choice the simplest, FIFO ready order) and seeded
  :class:`fakes.RandomChooser` schedules that also choose the ready order.
  Hypothesis's per-example cost is paid once for many runs.
* ``swarm``: the same, in worlds of :func:`loopsim.strategies.worlds` in swarm
  mode (each world enables a random subset of the kinds of setting).
* ``pct``: the same worlds as ``random``, each run a PCT schedule (Burckhardt
  et al., ASPLOS 2010): every task gets a random distinct priority when first
  seen, the highest-priority ready task runs first, and at ``change_points``
  random steps the task about to run drops below every initial priority.
  The select order is the natural one (the policy reorders the woken tasks
  anyway); sizes and other choices are seeded random.
* ``systematic``: every schedule of the driver's default world with up to
  ``deviations`` non-default choices (:mod:`loopsim.harness.systematic`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import fakes

from loopsim.loop.errors import InputError, InternalError
from loopsim.loop.scheduling import READY_ORDER
from loopsim.loop.task import Task

from .outcome import Outcome

__all__ = ["STRATEGIES", "Strategy", "Schedule", "PCTPolicy", "PCTChooser", "RecordingPolicy", "CountingPolicy",
           "run_schedule", "run_choices", "strategy_named", "pct_horizon"]

STRATEGIES = ("random", "pct", "swarm", "systematic")

DEFAULT, RANDOM, PCT = "default", "random", "pct"


class PCTChooser:
    """The chooser of a PCT run: the natural select order, every other choice from ``inner``."""

    __slots__ = ("inner",)

    def __init__(self, inner: fakes.Chooser) -> None:
        self.inner = inner

    def index(self, label: str, n: int) -> int:
        return 0 if label == "select-order" else self.inner.index(label, n)

    def integer(self, label: str, lo: int, hi: int) -> int:
        return self.inner.integer(label, lo, hi)

    def __repr__(self) -> str:
        return f"PCTChooser({self.inner!r})"


class PCTPolicy:
    """A PCT priority scheduler for the loop's ready order.

    Each task gets a random priority when the policy first sees it (distinct:
    ties go to the task seen first); :meth:`pick` returns the ready task of
    highest priority. At each of ``change_points`` distinct steps drawn in
    ``1..horizon`` (a step is one call of :meth:`pick`), the task about to run
    gets a priority below every initial one (the j-th change point drawn: the
    j-th lowest), and the pick is made again. ``rng`` is a :class:`fakes.RandomChooser`.
    """

    __slots__ = ("_rng", "_priority", "_seen", "_step", "_changes")

    def __init__(self, rng: fakes.Chooser, change_points: int, horizon: int) -> None:
        self._rng = rng
        self._priority: dict[Task, tuple[int, int, int]] = {}  # looked up by task, never iterated
        self._seen = 0
        self._step = 0
        horizon = max(1, horizon)
        changes: dict[int, tuple[int, int, int]] = {}
        for j in range(min(change_points, horizon)):
            step = rng.integer("pct-change-point", 1, horizon)
            while step in changes:  # distinct steps: the next one up, wrapping
                step = step % horizon + 1
            changes[step] = (0, j, 0)
        self._changes = changes

    def _of(self, task: Task) -> tuple[int, int, int]:
        priority = self._priority.get(task)
        if priority is None:
            self._seen += 1
            priority = self._priority[task] = (1, self._rng.integer("pct-priority", 0, 2**31 - 1), -self._seen)
        return priority

    def _best(self, ready: Sequence[Task]) -> int:
        of = self._of
        best, top = 0, of(ready[0])
        for i in range(1, len(ready)):
            p = of(ready[i])
            if p > top:
                best, top = i, p
        return best

    def pick(self, ready: Sequence[Task]) -> int:
        self._step += 1
        best = self._best(ready)
        low = self._changes.get(self._step)
        if low is not None:
            self._priority[ready[best]] = low
            best = self._best(ready)
        return best

    def __repr__(self) -> str:
        return f"PCTPolicy(step {self._step}, {len(self._changes)} change points)"


class RecordingPolicy:
    """Wraps a policy; appends each pick to ``choices`` as ``("ready-order", n, i)``, as a ChooserPolicy over a
    :class:`fakes.RecordingChooser` would record it (so a ``ListChooser`` replays it)."""

    __slots__ = ("inner", "choices")

    def __init__(self, inner: Any, choices: list[tuple[str, Any, int]]) -> None:
        self.inner, self.choices = inner, choices

    def pick(self, ready: Sequence[Task]) -> int:
        i: int = self.inner.pick(ready)
        self.choices.append((READY_ORDER, len(ready), i))
        return i


class CountingPolicy:
    """FIFO, counting the decisions (:attr:`steps`): how PCT sizes its change points' range."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def pick(self, ready: Sequence[Task]) -> int:
        self.steps += 1
        return 0


@dataclass(frozen=True)
class Schedule:
    """The source of one run's choices: ``kind`` "default" (all simplest, FIFO), "random" or "pct", and its seed.

    :meth:`make` builds the chooser and the policy; the same value gives the same run.
    """

    kind: str = DEFAULT
    seed: int = 0
    change_points: int = 3
    horizon: int = 1

    def make(self, record: list[tuple[str, Any, int]] | None = None) -> tuple[Any, Any]:
        """``(chooser, policy)`` for one run; with ``record``, every choice is appended to it as it is made."""
        chooser: Any
        policy: Any = None  # None: the ready order is the network's choice (run_world asks net.loop_chooser)
        if self.kind == DEFAULT:
            chooser = fakes.DefaultChooser()
        elif self.kind == RANDOM:
            chooser = fakes.RandomChooser(self.seed)
        elif self.kind == PCT:
            chooser = PCTChooser(fakes.RandomChooser(self.seed))
            policy = PCTPolicy(fakes.RandomChooser(f"pct:{self.seed}"), self.change_points, self.horizon)
        else:  # pragma: no cover - Strategy only makes the kinds above
            raise InternalError(f"unknown schedule kind {self.kind!r}; this is a bug in loopsim, please report it")
        if record is not None:
            recorder = fakes.RecordingChooser(chooser)
            recorder.choices = record
            chooser = recorder
            if policy is not None:
                policy = RecordingPolicy(policy, record)
        return chooser, policy

    def describe(self) -> str:
        if self.kind == DEFAULT:
            return "the default schedule (simplest choices, FIFO ready order)"
        if self.kind == PCT:
            return f"PCT schedule seed {self.seed} ({self.change_points} change points in {self.horizon} steps)"
        return f"random schedule seed {self.seed}"


def run_schedule(driver: Callable[..., Any], args: dict[str, Any], config: fakes.NetConfig, schedule: Schedule, *,
                 trace: bool = False, record: list[tuple[str, Any, int]] | None = None,
                 name: str = "explored", observe: Callable[[Any], object] | None = None) -> Outcome:
    """Run ``driver(net, **args)`` once in the world ``config``, its choices answered by ``schedule``;
    ``observe``, if given, is called with the network before the run (fault coverage)."""
    from .runner import run_world

    chooser, policy = schedule.make(record)
    net = fakes.FakeNetwork(config=config, chooser=chooser, trace=trace)
    if observe is not None:
        observe(net)
    return run_world(driver, args, net, name, policy=policy)


@dataclass(frozen=True)
class Strategy:
    """A search strategy: its name, how many schedules each drawn world runs, how many worlds a hypothesis
    example draws at most, PCT's change points and systematic's deviations.

    ``horizon`` (PCT: the range of its change points' steps) is measured once per
    search, on the driver's default world (:func:`pct_horizon`).
    """

    name: str = "random"
    schedules: int = 6
    worlds: int = 16
    change_points: int = 3
    deviations: int = 2
    horizon: int = 1

    @property
    def swarm(self) -> bool:
        return self.name == "swarm"

    def schedule(self, seed: int, i: int) -> Schedule:
        """The ``i``-th schedule of a world drawn with ``seed``. For random and swarm the first is the default."""
        mixed = seed * self.schedules + i
        if self.name == "pct":
            return Schedule(PCT, mixed, self.change_points, self.horizon)
        if i == 0:
            return Schedule(DEFAULT)
        return Schedule(RANDOM, mixed)

    def describe(self) -> str:
        """What the strategy searches, for the summary's first line."""
        if self.name == "systematic":
            return (f"strategy systematic: every schedule of the driver's default world with up to "
                    f"{self.deviations} deviation(s) from the default choices")
        per = f"{self.schedules} schedules per world, {self.worlds} worlds per hypothesis example in one draw"
        if self.name == "pct":
            return (f"strategy pct: hypothesis draws worlds and seeds, {per}, each a PCT priority schedule "
                    f"({self.change_points} change points over {self.horizon} scheduling steps)")
        worlds = "swarm worlds (a random subset of setting kinds each)" if self.swarm else "worlds"
        return (f"strategy {self.name}: hypothesis draws {worlds} and seeds, {per} (the default one, then seeded "
                f"random choices and ready order)")


def strategy_named(name: str, *, schedules: int = 6, worlds: int = 16, change_points: int = 3,
                   deviations: int = 2) -> Strategy:
    """The :class:`Strategy` called ``name``; an :class:`InputError` naming the choices for anything else."""
    if name not in STRATEGIES:
        raise InputError(f"unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}")
    if schedules < 1 or worlds < 1:
        raise InputError(f"schedules per world and worlds per example must be >= 1, not {schedules} and {worlds}")
    if change_points < 0:
        raise InputError(f"PCT change points must be >= 0, not {change_points}")
    if deviations < 0:
        raise InputError(f"systematic deviations must be >= 0, not {deviations}")
    return Strategy(name, schedules, worlds, change_points, deviations)


def pct_horizon(driver: Callable[..., Any], args: dict[str, Any]) -> int:
    """How many ready-order decisions the driver's default world makes in FIFO order (at least 1)."""
    from .runner import run_world

    counter = CountingPolicy()
    run_world(driver, args, fakes.FakeNetwork(seed=0, chooser=fakes.DefaultChooser(), trace=False), "pct-horizon",
              policy=counter)
    return max(1, counter.steps)


def run_choices(driver: Callable[..., Any], args: dict[str, Any], config: fakes.NetConfig, choices: Any, *,
                trace: bool = False, record: list[tuple[str, Any, int]] | None = None,
                name: str = "explored", observe: Callable[[Any], object] | None = None) -> Outcome:
    """Run ``driver(net, **args)`` once in ``config`` answering recorded ``choices`` by label (a ``ListChooser``,
    as a finding file is re-simulated), the ready order included; with ``record``, the choices it made."""
    from .runner import run_world
    from .world_choices import ListChooser

    chooser: Any = ListChooser(choices)
    if record is not None:
        recorder = fakes.RecordingChooser(chooser)
        recorder.choices = record
        chooser = recorder
    net = fakes.FakeNetwork(config=config, chooser=chooser, trace=trace)
    if observe is not None:
        observe(net)
    return run_world(driver, args, net, name)  # the ready order: the network's chooser (and trace) too
