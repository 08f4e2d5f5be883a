# loopsim.harness.explore: property-based search for failing worlds, shrinking, and saving them as scenarios.
# Owns: explore, discover, parse_shard, example_database, KeyPrefixed (re-exports the report's Finding, PropertySearch,
# ExploreReport). Imports: hypothesis (public API only), fakes, loopsim.loop.{errors,scheduling}, loopsim.harness.{
# world_distribution, world_shrink, search_strategies, systematic, choice_shrink, explore_report, outcome, runner,
# scenario, determinism, fault_tally, error_paths}.
"""The bug-finding engine.

For each property, hypothesis draws the bytes of several worlds per example
(:mod:`loopsim.harness.world_distribution`: network configuration and faults,
and a seed each); each world runs several schedules of the strategy
(:mod:`loopsim.harness.search_strategies`: seeded random choices and ready
order, or PCT priorities), so hypothesis's per-example cost is shared by many
runs. The first failing world's settings are shrunk to those its failure
needs (:mod:`loopsim.harness.world_shrink`), its failing schedule re-run with its
choices recorded, its choices shrunk towards the simplest answers
(:mod:`loopsim.harness.choice_shrink`), and written as a scenario file
whose world re-simulates it and whose ``[[script]]`` strict replay
reproduces exactly. The ``systematic`` strategy enumerates schedules instead
(:mod:`loopsim.harness.systematic`).

The search runs in *chunks* of ``chunk_examples`` examples, each seeded by a
global chunk number. ``shard=(k, n)`` runs the chunks ``k, k+n, k+2n, ...``,
so shards search disjoint seeds and together cover exactly what one process
would. Failures go to hypothesis's example database (a directory, or Redis),
so a failure one machine found is tried first on every other: each search
keeps its failures under a key prefix made of the driver, its arguments and
the property (:class:`KeyPrefixed`), the same in every process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import sys
import time
from typing import Any, Callable, Iterable, Sequence, TextIO

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hyp_seed
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from loopsim.loop.errors import InputError, InternalError
from .choice_shrink import minimize_choices
from .error_paths import ErrorPathRecorder, code_under_test
from .fault_tally import FaultTally
from .explore_report import ExploreReport, Finding, Progress, PropertySearch
from .outcome import Outcome, Property, default_properties, importable_spec
from .search_strategies import STRATEGIES, Schedule, Strategy, pct_horizon, run_choices, run_schedule, strategy_named
from .systematic import DeviationChooser, enumerate_schedules
from .world_distribution import Turn, WorldCoder, WorldSpace, served_addresses
from .world_shrink import minimize_world

__all__ = ["explore", "Finding", "PropertySearch", "ExploreReport", "discover", "parse_shard", "example_database",
           "KeyPrefixed", "FOUND_MARKER", "STRATEGIES"]

# Written into every folder explore saves findings in: loopsim's pytest plugin does not collect such a
# folder unless it is named on the command line (the same name as _loopsim_pytestplugin.FOUND_MARKER).
FOUND_MARKER = ".loopsim-found"
_MARKER_TEXT = ("Findings of `loopsim explore`. pytest does not collect this folder unless you name it\n"
                "(pytest found/); move a finding where your tests or your gate's scenarios are to keep it.\n")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)`` (shards are numbered 1..N)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise InputError(f"--shard {text!r}: give K/N with 1 <= K <= N, e.g. 1/4")
    return int(m.group(1)), int(m.group(2))


def example_database(spec: str | None) -> Any:
    """Hypothesis's example database: a directory path, ``redis://HOST:PORT``, or ``none``."""
    if spec is None:
        spec = os.path.join(".hypothesis", "loopsim")
    if spec.lower() == "none":
        return None
    if spec.startswith("redis://"):
        m = re.fullmatch(r"redis://([^:/]+)(?::(\d+))?/?(\d+)?", spec)
        if not m:
            raise InputError(f"--db {spec!r}: expected redis://HOST:PORT")
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError as exc:  # pragma: no cover - redis is a test dependency
            raise InputError(f"--db {spec!r} needs the redis package: pip install redis ({exc})") from None
        client = redis.Redis(host=m.group(1), port=int(m.group(2) or 6379), db=int(m.group(3) or 0),
                             socket_connect_timeout=5)
        try:
            client.ping()  # unreachable: one line now, not a traceback mid-search
        except redis.exceptions.RedisError as exc:
            raise InputError(f"--db {spec!r}: cannot reach Redis: {str(exc).splitlines()[0]}") from None
        return RedisExampleDatabase(client, key_prefix=b"loopsim-explore:")
    return DirectoryBasedExampleDatabase(spec)


class KeyPrefixed(ExampleDatabase):
    """A hypothesis example database that keeps its keys under ``prefix`` in ``inner``.

    Uses only the documented :class:`hypothesis.database.ExampleDatabase`
    interface (``save``, ``fetch``, ``delete``, ``move``), whatever key
    hypothesis derives for the test.
    """

    def __init__(self, inner: Any, prefix: bytes) -> None:
        super().__init__()
        self.inner, self.prefix = inner, prefix

    def __repr__(self) -> str:
        return f"KeyPrefixed({self.inner!r}, {self.prefix!r})"

    def save(self, key: bytes, value: bytes) -> None:
        self.inner.save(self.prefix + key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self.inner.fetch(self.prefix + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self.inner.delete(self.prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.move(self.prefix + src, self.prefix + dest, value)


def discover(driver: Callable[..., Any], args: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Run the driver once in the default world; return its listening addresses and socket-name patterns."""
    import fakes

    from .runner import run_world

    result = run_world(driver, args, fakes.FakeNetwork(seed=0), "discover")
    addrs: list[str] = []
    patterns: list[str] = []
    for event in result.trace.events:
        if event.op == "listen" and event.args:
            key = f"{event.args[0][0]}:{event.args[0][1]}"
            if key not in addrs:
                addrs.append(key)
        if event.sock in ("select", "clock", "loop"):
            continue
        pattern = re.sub(r"#\d+$", "#*", re.sub(r"<-.*$", "<-*", event.sock))
        if pattern not in patterns:
            patterns.append(pattern)
    return addrs or ["*"], sorted(patterns) or ["*"]


class _PropertyFailed(Exception):
    """Raised in the test hypothesis runs when the property fails: hypothesis shrinks towards it."""


class _PropertyRaised(BaseException):
    """The property itself raised on a run: its code is at fault, not the world. A BaseException, so that
    hypothesis stops at once instead of shrinking towards a bug of the property."""

    def __init__(self, error: Exception, runs: int) -> None:
        super().__init__(error)
        self.error, self.runs = error, runs


class _OutOfBudget(BaseException):
    """Raised in the test hypothesis runs once the property's time or examples are spent. A BaseException, so
    that hypothesis stops the chunk at once (it would shrink an Exception: of a passing search, a waste; of a
    failing one, the best failure so far is kept)."""


def _judge(prop: Property, outcome: Outcome, runs: int) -> str | None:
    """The property's verdict on one run; a property that raises is :class:`_PropertyRaised`."""
    try:
        message = prop(outcome)
    except InputError:
        raise
    except Exception as exc:
        raise _PropertyRaised(exc, runs) from exc
    return message or None


# How many passing worlds a search remembers (to skip re-running them) before it forgets them all.
_PASSED_KEPT = 50_000


class _Coverage:
    """``fault_coverage``: the search's fault tally and error-path recorder, and the network of the run now
    (whose fired faults the recorder reads as an except/finally block of the code under test starts)."""

    def __init__(self, driver: Callable[..., Any], props: Sequence[Property]) -> None:
        modules = [driver.__module__, *(getattr(p, "__module__", "") or "" for p in props)]
        self.tally = FaultTally()
        self.recorder = ErrorPathRecorder(code_under_test(m for m in modules if m))
        self.net: Any = None

    def observe(self, net: Any) -> None:
        self.net = net

    def fired_kinds(self) -> list[str]:
        net = self.net
        if net is None:
            return []
        return [f.kind for f, n in zip(net.config.faults, net.faults_fired()) if n]

    def add(self, outcome: Outcome) -> None:
        self.tally.add(outcome.faults, outcome.faults_fired)


class _Search:
    """One property's search with a hypothesis-driven strategy: :meth:`check` is the test hypothesis runs.

    Each example is a few worlds, each a configuration and a seed; each world
    runs the strategy's schedules until one fails (hypothesis's per-example
    cost, paid once for many runs). ``found`` is the failure seen: its message,
    configuration, schedule, settings and seed; :meth:`finding` shrinks it.
    """

    def __init__(self, driver: Callable[..., Any], args: dict[str, Any], prop: Property, strategy: Strategy,
                 coder: WorldCoder, report: ExploreReport, record: PropertySearch, deadline: float | None,
                 examples: int | None, start: float, cpu_start: float, tick: Callable[[], None],
                 coverage: _Coverage | None = None) -> None:
        self.driver, self.args, self.prop, self.strategy, self.coder = driver, args, prop, strategy, coder
        self.coverage = coverage
        self.report, self.record, self.deadline, self.examples = report, record, deadline, examples
        self.start, self.tick = start, tick
        self.cpu_start = cpu_start
        self.found: tuple[str, Any, Schedule, tuple[Turn, ...], int] | None = None
        self.passed: set[tuple[Any, int]] = set()  # worlds (config, seed) whose schedules all passed

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def spent(self) -> bool:
        if self.past_deadline():
            return True
        return self.found is None and self.examples is not None and self.record.runs >= self.examples

    def run(self, config: Any, schedule: Schedule | None = None, choices: Any = None,
            record: list[tuple[str, Any, int]] | None = None) -> str | None:
        """One run (a schedule, or recorded choices replayed by label), counted; the property's verdict."""
        coverage = self.coverage
        observe = None if coverage is None else coverage.observe
        if schedule is not None:
            outcome = run_schedule(self.driver, self.args, config, schedule, record=record, observe=observe)
        else:
            outcome = run_choices(self.driver, self.args, config, choices, record=record, observe=observe)
        if coverage is not None:
            coverage.add(outcome)
        self.report.runs += 1
        self.record.runs += 1
        self.tick()
        return _judge(self.prop, outcome, self.record.runs)

    def world(self, config: Any, seed: int, budgeted: bool) -> tuple[str, Any, Schedule] | None:
        """Run the world's schedules until one fails: its message, configuration and schedule; None if all pass
        (the world is remembered: runs are deterministic, a world seen passing passes again)."""
        if (config, seed) in self.passed:
            return None
        for i in range(self.strategy.schedules):
            if budgeted and self.spent():
                raise _OutOfBudget()
            if i == 0:
                self.report.worlds += 1
            schedule = self.strategy.schedule(seed, i)
            message = self.run(config, schedule)
            if message:
                return message, config, schedule
        if len(self.passed) >= _PASSED_KEPT:
            self.passed.clear()
        self.passed.add((config, seed))
        return None

    def check(self, drawn: list[tuple[Any, int, tuple[Turn, ...]]]) -> None:
        for config, seed, turns in drawn:
            failed = self.world(config, seed, budgeted=True)
            if failed:
                report = self.report
                if report.first_failure_after is None:
                    report.first_failure_after = time.perf_counter() - self.start
                    report.first_failure_cpu = time.process_time() - self.cpu_start
                    report.first_failure_runs = report.runs
                    report.first_failure_worlds = report.worlds
                self.found = (*failed, turns, seed)
                raise _PropertyFailed(failed[0])

    def finding(self, name: str) -> Finding:
        """The shrunk failure: the world's settings shrunk (:func:`minimize_world`), its failing schedule re-run
        with its choices recorded, then those choices shrunk."""
        assert self.found is not None
        message, config, schedule, turns, seed = self.found
        coder = self.coder
        turns, (message, config, schedule) = minimize_world(
            turns, (message, config, schedule),
            lambda candidate: self.world(coder.config(candidate), seed, budgeted=False), self.past_deadline)
        recorded: list[tuple[str, Any, int]] = []
        again = self.run(config, schedule, record=recorded)
        if again is None:  # pragma: no cover - the driver is not deterministic: keep what the search saw
            print(f"loopsim explore: warning: {schedule.describe()} of the failure of {name} passed when re-run "
                  "(is the driver deterministic? --check-determinism tells)", file=sys.stderr)
        else:
            message = again

        def attempt(candidate: list[tuple[str, Any, int]]) -> tuple[str, list[tuple[str, Any, int]]] | None:
            made: list[tuple[str, Any, int]] = []
            failed = self.run(config, choices=candidate, record=made)
            return None if failed is None else (failed, made)

        if again is not None:
            message, recorded, _ = minimize_choices(message, recorded, attempt, self.past_deadline)
        return Finding(name, message, config, recorded, schedule=schedule.describe())


_SEED_BYTES = 4  # a world's seed: the first bytes of its share of the example


def _world_strategy(strategy: Strategy, driver: Callable[..., Any], addrs: list[str], patterns: list[str],
                    max_faults: int) -> tuple[Any, WorldCoder]:
    """What hypothesis draws per example: the bytes of ``strategy.worlds`` worlds, each a seed and a world's
    settings (:class:`WorldCoder`: swarm mode for ``swarm``, aimed away from the addresses the driver
    serves), as ``(config, seed, turns)``; and the coder."""
    from hypothesis import strategies as st

    coder = WorldCoder(WorldSpace.of(addrs, patterns, served_addresses(driver)), max_faults, swarm=strategy.swarm)
    per = _SEED_BYTES + coder.width
    count = strategy.worlds

    def worlds(data: bytes) -> list[tuple[Any, int, tuple[Turn, ...]]]:
        out = []
        for i in range(count):
            share = data[i * per:(i + 1) * per]
            turns = coder.turns(share[_SEED_BYTES:])
            out.append((coder.config(turns), int.from_bytes(share[:_SEED_BYTES], "big"), turns))
        return out

    # One draw for all of them: hypothesis's cost per example is paid once, and it has no parts of an example
    # to copy into another (its mutations made most of the worlds it drew repeats of worlds already run).
    return st.binary(min_size=per * count, max_size=per * count).map(worlds), coder


def explore(driver: Callable[..., Any], args: dict[str, Any] | None = None, *,
            properties: Sequence[Property] = (), driver_spec: str | None = None,
            budget: float | None = 10.0, max_examples: int | None = None, seed: int = 0,
            shard: tuple[int, int] = (1, 1), chunk_examples: int = 100, database: Any = None,
            out_dir: str | None = None, max_faults: int = 1, progress: TextIO | None = None,
            strategy: str | Strategy = "random", schedules: int = 6, worlds_per_example: int = 16,
            change_points: int = 3, deviations: int = 2, check_determinism: bool = False,
            fault_coverage: bool = False) -> ExploreReport:
    """Search for worlds where ``driver(net, **args)`` breaks each property; see the module doc.

    Each property is searched on its own until its first (shrunk) failure or
    until its share of the budget is spent: ``budget`` is the wall time of the
    whole call (discovery, shrinking and saving included), shared among the
    properties not yet searched (time one leaves unused goes to the next);
    ``max_examples`` is the number of runs per property, and exact. With
    ``out_dir``, each failure is written there as a scenario file (and with
    ``check_determinism``, run twice more in fresh processes).

    ``strategy`` (``random``, ``pct``, ``swarm``, ``systematic``; see
    :mod:`loopsim.harness.search_strategies`) says what is searched:
    ``schedules`` runs per drawn world, ``worlds_per_example`` worlds per
    hypothesis example, PCT's ``change_points``, systematic's ``deviations``.
    With ``fault_coverage``, the report's ``faults`` (a :class:`FaultTally`)
    says which faults fired how often over the search's runs, and its
    ``error_paths`` which except/finally blocks of the code under test (the
    driver's and properties' packages) ran after which fault kinds; tracing
    them slows the search.
    A property that cannot be named by ``module:function``, or
    a bad strategy, is an :class:`InputError` before anything runs.
    """
    start = time.perf_counter()
    cpu_start = time.process_time()
    args = dict(args or {})
    props = list(properties) or default_properties(driver)
    names = [importable_spec(prop) for prop in props]  # one-line InputError before the search starts
    if max_examples is not None and max_examples < 1:
        raise InputError(f"max_examples must be >= 1, not {max_examples}")
    if isinstance(strategy, str):
        strategy = strategy_named(strategy, schedules=schedules, worlds=worlds_per_example,
                                  change_points=change_points, deviations=deviations)
    if check_determinism and out_dir is None:
        raise InputError("check_determinism runs the findings' files: give out_dir too")
    if strategy.name == "systematic" and shard != (1, 1):
        raise InputError("--strategy systematic enumerates one world's schedules in one process: no --shard")
    addrs, patterns = discover(driver, args)
    if strategy.name == "pct":
        strategy = dataclasses.replace(strategy, horizon=pct_horizon(driver, args))
    report = ExploreReport(strategy=strategy.describe())
    meter = Progress(progress, len(props))
    spec = driver_spec or f"{driver.__module__}:{driver.__qualname__}"
    end = None if budget is None else start + budget
    coverage = _Coverage(driver, props) if fault_coverage else None
    watching = (contextlib.nullcontext() if coverage is None
                else coverage.recorder.recording(coverage.fired_kinds))
    try:
        with watching:
            if strategy.name == "systematic":
                _systematic(driver, args, props, names, strategy, report, max_examples, end, start, cpu_start,
                            meter, coverage)
            else:
                drawn, coder = _world_strategy(strategy, driver, addrs, patterns, max_faults)
                for index, (prop, name) in enumerate(zip(props, names), start=1):
                    _search_property(driver, args, prop, name, index, len(props), strategy, drawn, coder, report,
                                     spec, max_examples, seed, shard, chunk_examples, database, end, start,
                                     cpu_start, meter, coverage)
    except _PropertyRaised as raised:
        exc = raised.error
        name = report.searches[-1].property if report.searches else "?"
        raise InputError(f"property {name} raised {type(exc).__name__}: {exc} (on run {raised.runs} of the "
                         "search); a property returns None when it holds or a string saying what is wrong, "
                         "and should not raise") from exc
    for finding in report.findings:
        if out_dir is not None:
            prop = props[names.index(finding.property)]
            _save(finding, driver, spec, args, prop, out_dir)
            if check_determinism:
                from .determinism import check_file

                assert finding.path is not None
                finding.determinism = check_file(finding.path)
    if coverage is not None:
        report.faults, report.error_paths = coverage.tally, coverage.recorder.paths
    report.elapsed = time.perf_counter() - start
    report.cpu = time.process_time() - cpu_start
    return report


def _search_property(driver: Callable[..., Any], args: dict[str, Any], prop: Property, name: str, index: int,
                     count: int, strategy: Strategy, drawn: Any, coder: WorldCoder, report: ExploreReport, spec: str,
                     max_examples: int | None, seed: int, shard: tuple[int, int], chunk_examples: int,
                     database: Any, end: float | None, start: float, cpu_start: float, meter: Progress,
                     coverage: _Coverage | None = None) -> None:
    """One property's hypothesis search, in chunks of ``chunk_examples`` hypothesis examples (see the module doc)."""
    began = time.perf_counter()
    share = None if end is None else max(0.0, (end - began) / (count - index + 1))
    record = PropertySearch(name)
    report.searches.append(record)
    deadline = None if share is None else began + share
    search = _Search(driver, args, prop, strategy, coder, report, record, deadline, max_examples, start, cpu_start,
                     lambda: meter.tick(record, index, began, share), coverage)
    # Every search runs the same test function, so hypothesis gives them one database key; the key
    # prefix tells the driver, arguments, property and strategy apart, the same in every run, shard and machine.
    key = (spec, sorted(args.items()), name, strategy.name, strategy.schedules, strategy.worlds, "world bytes v2")
    prefix = hashlib.sha256(repr(key).encode()).hexdigest().encode() + b":"
    # Without a database there is nothing to reuse: skip that phase's per-chunk work. No shrink phase: the
    # failing world is shrunk on its own (_Search.finding), not the bytes of every world of its example.
    phases = ((Phase.reuse,) if database is not None else ()) + (Phase.generate,)
    k, n = shard
    chunk = k - 1
    per_example = strategy.schedules  # at least (an example has one world or more)
    while search.found is None and not search.spent():
        report.chunks.append(chunk)
        left = (chunk_examples if max_examples is None
                else min(chunk_examples, -(-(max_examples - record.runs) // per_example)))
        # settings() outermost: seed() alone would switch the example database off.
        test = settings(
            max_examples=left, database=None if database is None else KeyPrefixed(database, prefix),
            deadline=None, derandomize=False, suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False, phases=phases,
        )(hyp_seed(seed * 1_000_003 + chunk)(given(drawn)(search.check)))
        ran = record.runs
        search.passed.clear()  # per chunk: a chunk runs the same whatever other chunks (shards) ran
        try:
            test()
        except (_PropertyFailed, _OutOfBudget):
            pass
        except _PropertyRaised:
            raise
        except Exception as exc:
            # Cutting a search short makes hypothesis see a run that stopped drawing early (it calls
            # that flaky): expected once the budget is spent. Anything else is a bug.
            if search.found is None and not search.spent():
                raise InternalError(f"loopsim explore: the search of {name} failed: "
                                    f"{type(exc).__name__}: {exc}") from exc
        chunk += n
        if record.runs == ran and search.found is None:
            break  # hypothesis ran nothing more (the space of worlds is exhausted)
    if search.found is not None:
        record.finding = search.finding(name)
        report.findings.append(record.finding)
    record.elapsed = time.perf_counter() - began
    meter.done(record, index)


def _systematic(driver: Callable[..., Any], args: dict[str, Any], props: list[Property], names: list[str],
                strategy: Strategy, report: ExploreReport, max_examples: int | None, end: float | None,
                start: float, cpu_start: float, meter: Progress, coverage: _Coverage | None = None) -> None:
    """Every schedule of the driver's default world up to ``strategy.deviations`` deviations, each run judged
    by every property not failed yet (one enumeration for them all)."""
    import fakes

    from .runner import run_world

    config = fakes.NetConfig()
    records = [PropertySearch(name) for name in names]
    report.searches.extend(records)
    pending = list(range(len(props)))
    began = time.perf_counter()

    def run_one(chooser: DeviationChooser) -> bool:
        net = fakes.FakeNetwork(config=config, chooser=chooser, trace=False)
        if coverage is not None:
            coverage.observe(net)
        outcome = run_world(driver, args, net, "explored")  # (the ready order: net.loop_chooser, so chooser too)
        if coverage is not None:
            coverage.add(outcome)
        if chooser.mismatch is not None:
            raise InputError(f"--strategy systematic: the driver is not deterministic: {chooser.mismatch}; "
                             "loopsim explore --check-determinism finds where runs differ")
        report.runs += 1
        for idx in list(pending):
            record = records[idx]
            record.runs += 1
            message = _judge(props[idx], outcome, record.runs)
            if message:
                if report.first_failure_after is None:
                    report.first_failure_after = time.perf_counter() - start
                    report.first_failure_cpu = time.process_time() - cpu_start
                    report.first_failure_runs = report.runs
                deviated = len(chooser.deviations)
                record.finding = Finding(names[idx], message, config, list(chooser.choices),
                                         schedule=f"a schedule with {deviated} deviation(s) from the default")
                report.findings.append(record.finding)
                record.elapsed = time.perf_counter() - began
                pending.remove(idx)
                meter.done(record, idx + 1)
        if pending:
            meter.tick(records[pending[0]], pending[0] + 1, began, None if end is None else end - began)
        return not pending

    def spent() -> bool:
        return ((end is not None and time.perf_counter() >= end)
                or (max_examples is not None and report.runs >= max_examples))

    report.enumeration = enumerate_schedules(run_one, strategy.deviations, spent)
    for idx in pending:
        records[idx].elapsed = time.perf_counter() - began
        meter.done(records[idx], idx + 1)


def _save(finding: Finding, driver: Callable[..., Any], spec: str, args: dict[str, Any], prop: Property,
          out_dir: str) -> None:
    """Re-run the shrunk world with a trace; write one scenario holding the world and the exact run.

    The world (``[network]``: its rules, and the run-time choices by label under
    ``[network.choices]``) is what ``loopsim replay FILE``, the gate and pytest
    re-simulate: it fails while the bug is there and passes once it is fixed.
    The exact run (``[[script]]``) is what ``loopsim replay --strict`` replays.
    """
    from .runner import network_rows, run_scenario
    from .scenario import Expect, Scenario, dump_scenario, load_scenario
    from .world_choices import choice_table

    outcome = run_choices(driver, args, finding.config, finding.choices, trace=True)
    os.makedirs(out_dir, exist_ok=True)
    marker = os.path.join(out_dir, FOUND_MARKER)
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as fh:
            fh.write(_MARKER_TEXT)
    slug = re.sub(r"[^a-z0-9]+", "_", f"{spec.split(':')[-1]}_{finding.property.split(':')[-1]}".lower()).strip("_")
    path = os.path.join(out_dir, f"{slug}.toml")
    described = (f"found by loopsim explore: {finding.property} fails: {finding.message}\n"
                 "loopsim replay FILE re-simulates the world ([network]): it fails while the bug is there and "
                 "passes once it is fixed; loopsim replay --strict FILE replays the exact run ([[script]]).")
    expect = Expect(properties=(finding.property,), sockets_closed=False)
    sc = Scenario(path=path, name=slug.replace("_", "-"), description=described, driver=spec, args=dict(args),
                  expect=expect, seed=0, network=network_rows(finding.config),
                  choices={label: tuple(values) for label, values in choice_table(finding.choices).items()},
                  script=tuple(outcome.trace.events))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dump_scenario(sc))
    finding.path = path
    finding.steps = len(outcome.trace.events)
    saved = load_scenario(path)
    finding.replay_status = run_scenario(saved).status
    finding.strict_status = run_scenario(saved, strict=True).status
    if prop(outcome) is None:  # pragma: no cover - the shrunk world no longer fails: report it loudly
        print(f"loopsim explore: warning: the saved run of {finding.property} did not fail again",
              file=sys.stderr)
