# loopsim.harness.explore: property-based search for failing worlds, shrinking, and saving them as scenarios.
# Owns: explore, Finding, PropertySearch, ExploreReport, discover, parse_shard, example_database, KeyPrefixed.
# Imports: hypothesis (public API only), fakes, loopsim.loop.errors, loopsim.harness.{strategies,outcome,runner,scenario}.
"""The bug-finding engine.

For each property, hypothesis searches the worlds of :func:`loopsim.strategies.worlds`
(network configuration, faults and every run-time choice) for one where the
driver's outcome breaks the property, shrinks it to the simplest such world,
re-runs that world with tracing on, and writes the run as a scenario file
whose ``[[script]]`` strict replay reproduces exactly.

The search runs in *chunks* of ``chunk_examples`` examples, each seeded by a
global chunk number. ``shard=(k, n)`` runs the chunks ``k, k+n, k+2n, ...``,
so shards search disjoint seeds and together cover exactly what one process
would. Failures go to hypothesis's example database (a directory, or Redis),
so a failure one machine found is tried first on every other: each search
keeps its failures under a key prefix made of the driver, its arguments and
the property (:class:`KeyPrefixed`), the same in every process.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence, TextIO

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hyp_seed
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from loopsim.loop.errors import InputError, InternalError
from .outcome import Outcome, Property, default_properties, importable_spec

__all__ = ["explore", "Finding", "PropertySearch", "ExploreReport", "discover", "parse_shard", "example_database",
           "KeyPrefixed", "FOUND_MARKER"]

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


@dataclass
class Finding:
    """A shrunk failure: which property, why, the world, and the scenario file written for it."""

    property: str
    message: str
    config: Any
    choices: list[tuple[str, Any, int]]
    path: str | None = None
    steps: int = 0
    replay_status: str = ""  # the world re-simulated from the file: "fail" while the bug is there
    strict_status: str = ""  # the exact run replayed from the file's script: "fail" as well


@dataclass
class PropertySearch:
    """One property's search: its runs, the wall time it took (shrinking and saving included), its finding."""

    property: str
    runs: int = 0
    elapsed: float = 0.0
    finding: Finding | None = None

    @builtins.property  # (the field `property` shadows the builtin in the class body)
    def verdict(self) -> str:
        if self.finding is None:
            return "held"
        where = f" -> {self.finding.path}" if self.finding.path else ""
        return f"FAILED{where}"


@dataclass
class ExploreReport:
    """What a search did: one :class:`PropertySearch` per property, the failures found, the time to the first."""

    runs: int = 0
    elapsed: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    first_failure_after: float | None = None
    first_failure_runs: int | None = None
    chunks: list[int] = field(default_factory=list)
    searches: list[PropertySearch] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.runs / self.elapsed if self.elapsed > 0 else 0.0

    def table(self) -> str:
        """The per-property table: property, runs, time, held / FAILED with the finding's file."""
        rows = [("property", "runs", "time", "result")]
        rows += [(s.property, str(s.runs), f"{s.elapsed:.2f}s", s.verdict) for s in self.searches]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows)

    def summary(self) -> str:
        lines = [f"explored {self.runs} runs in {self.elapsed:.2f}s ({self.rate:.0f} runs/s), "
                 f"{len(self.findings)} failure(s) found"]
        if self.searches:
            lines += ["", self.table(), ""]
        if self.first_failure_after is not None:
            lines.append(f"first failure after {self.first_failure_after:.3f}s ({self.first_failure_runs} runs)")
        for f in self.findings:
            where = (f" -> {f.path} (world: {f.replay_status}; exact run: {f.steps} steps, {f.strict_status})"
                     if f.path else "")
            lines.append(f"  {f.property}: {f.message}{where}")
        return "\n".join(lines).rstrip("\n")


class _Progress:
    """The progress line on ``stream``: redrawn with ``\\r`` on a terminal, plain lines every few seconds otherwise."""

    def __init__(self, stream: TextIO | None, count: int) -> None:
        self.stream, self.count = stream, count
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty()) if callable(isatty) else False
        self.every = 0.5 if self.tty else 5.0
        self.last = time.perf_counter()

    def _line(self, search: PropertySearch, index: int, started: float, share: float | None) -> str:
        elapsed = time.perf_counter() - started
        rate = search.runs / elapsed if elapsed > 0 else 0.0
        of = f" of {share:.1f}s" if share is not None else ""
        return (f"[{index}/{self.count}] {search.property}: {search.runs} runs ({rate:.0f}/s), "
                f"{elapsed:.1f}s{of}")

    def tick(self, search: PropertySearch, index: int, started: float, share: float | None) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            line = self._line(search, index, started, share)
            self.stream.write(f"\r{line}   " if self.tty else line + "\n")
            self.stream.flush()

    def done(self, search: PropertySearch, index: int) -> None:
        if self.stream is None:
            return
        line = (f"[{index}/{self.count}] {search.property}: {search.verdict.lower() if search.finding is None else 'failed'}"
                f" after {search.runs} runs in {search.elapsed:.2f}s")
        self.stream.write(f"\r{line}   \n" if self.tty else line + "\n")
        self.stream.flush()
        self.last = time.perf_counter()


class _PropertyFailed(Exception):
    """Raised in the test hypothesis runs when the property fails: hypothesis shrinks towards it."""


class _PropertyRaised(BaseException):
    """The property itself raised on a run: its code is at fault, not the world. A BaseException, so that
    hypothesis stops at once instead of shrinking towards a bug of the property."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class _OutOfBudget(Exception):
    """Raised in the test hypothesis runs once the property's time or examples are spent: it ends the chunk,
    and makes the rest of a shrink cheap (every further call raises at once)."""


class _Search:
    """One property's search: :meth:`check` is the test function hypothesis runs on each world.

    ``found`` is the last failure seen; the shrinker only tries worlds simpler than
    the best failure so far, so ``found`` is the simplest failing world's message,
    configuration and choices.
    """

    def __init__(self, driver: Callable[..., Any], args: dict[str, Any], prop: Property, report: ExploreReport,
                 record: PropertySearch, deadline: float | None, examples: int | None, start: float,
                 tick: Callable[[], None]) -> None:
        self.driver, self.args, self.prop = driver, args, prop
        self.report, self.record, self.deadline, self.examples = report, record, deadline, examples
        self.start, self.tick = start, tick
        self.found: tuple[str, Any, list[tuple[str, Any, int]]] | None = None

    def spent(self) -> bool:
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            return True
        return self.found is None and self.examples is not None and self.record.runs >= self.examples

    def check(self, world: Any) -> None:
        if self.spent():
            raise _OutOfBudget()
        outcome: Outcome = world.run(self.driver, self.args)
        report = self.report
        report.runs += 1
        self.record.runs += 1
        self.tick()
        try:
            message = self.prop(outcome)
        except InputError:
            raise
        except Exception as exc:
            raise _PropertyRaised(exc) from exc
        if message:
            if report.first_failure_after is None:
                report.first_failure_after = time.perf_counter() - self.start
                report.first_failure_runs = report.runs
            self.found = (message, world.config, list(world.choices))
            raise _PropertyFailed(message)


def explore(driver: Callable[..., Any], args: dict[str, Any] | None = None, *,
            properties: Sequence[Property] = (), driver_spec: str | None = None,
            budget: float | None = 10.0, max_examples: int | None = None, seed: int = 0,
            shard: tuple[int, int] = (1, 1), chunk_examples: int = 100, database: Any = None,
            out_dir: str | None = None, max_faults: int = 1, progress: TextIO | None = None) -> ExploreReport:
    """Search for worlds where ``driver(net, **args)`` breaks each property; see the module doc.

    Each property is searched on its own until its first (shrunk) failure or
    until its share of the budget is spent: ``budget`` is the wall time of the
    whole call (discovery, shrinking and saving included), shared among the
    properties not yet searched (time one leaves unused goes to the next);
    ``max_examples`` is per property, and exact. With ``out_dir``, each failure
    is written there as a scenario file. A property that cannot be named by
    ``module:function`` is an :class:`InputError` before anything runs.
    """
    from .strategies import served_addresses, worlds

    start = time.perf_counter()
    args = dict(args or {})
    props = list(properties) or default_properties(driver)
    names = [importable_spec(prop) for prop in props]  # one-line InputError before the search starts
    if max_examples is not None and max_examples < 1:
        raise InputError(f"max_examples must be >= 1, not {max_examples}")
    addrs, patterns = discover(driver, args)
    report = ExploreReport()
    meter = _Progress(progress, len(props))
    k, n = shard
    strategy = worlds(addrs, patterns, max_faults=max_faults, serves=served_addresses(driver))
    spec = driver_spec or f"{driver.__module__}:{driver.__qualname__}"
    end = None if budget is None else start + budget

    # Without a database there is nothing to reuse: skip that phase's per-chunk work.
    phases = ((Phase.reuse,) if database is not None else ()) + (Phase.generate, Phase.shrink)
    for index, (prop, name) in enumerate(zip(props, names), start=1):
        began = time.perf_counter()
        share = None if end is None else max(0.0, (end - began) / (len(props) - index + 1))
        record = PropertySearch(name)
        report.searches.append(record)
        deadline = None if share is None else began + share
        search = _Search(driver, args, prop, report, record, deadline, max_examples, start,
                         lambda: meter.tick(record, index, began, share))
        # Every search runs the same test function, so hypothesis gives them one database key; the key
        # prefix tells the driver, arguments and property apart, the same in every run, shard and machine.
        prefix = hashlib.sha256(repr((spec, sorted(args.items()), name)).encode()).hexdigest().encode() + b":"
        chunk = k - 1
        while search.found is None and not search.spent():
            report.chunks.append(chunk)
            left = chunk_examples if max_examples is None else min(chunk_examples, max_examples - record.runs)
            # settings() outermost: seed() alone would switch the example database off.
            test = settings(
                max_examples=left, database=None if database is None else KeyPrefixed(database, prefix),
                deadline=None, derandomize=False, suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False, phases=phases,
            )(hyp_seed(seed * 1_000_003 + chunk)(given(strategy)(search.check)))
            ran = record.runs
            try:
                test()
            except (_PropertyFailed, _OutOfBudget):
                pass
            except _PropertyRaised as raised:
                exc = raised.error
                raise InputError(f"property {name} raised {type(exc).__name__}: {exc} (on run {record.runs} of the "
                                 "search); a property returns None when it holds or a string saying what is wrong, "
                                 "and should not raise") from exc
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
            message, config, choices = search.found
            finding = Finding(name, message, config, choices)
            record.finding = finding
            report.findings.append(finding)
            if out_dir is not None:
                _save(finding, driver, spec, args, prop, out_dir)
        record.elapsed = time.perf_counter() - began
        meter.done(record, index)
    report.elapsed = time.perf_counter() - start
    return report


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
    from .strategies import World
    from .world_choices import ListChooser, choice_table

    world = World(finding.config, ListChooser(finding.choices))
    outcome = world.run(driver, args, trace=True)
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
                  choices={label: tuple(values) for label, values in choice_table(world.choices).items()},
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
