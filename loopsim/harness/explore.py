# loopsim.harness.explore: property-based search for failing worlds, shrinking, and saving them as scenarios.
# Owns: explore, Finding, ExploreReport, discover, parse_shard, example_database, KeyPrefixed.
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

from loopsim.loop.errors import InputError
from .outcome import DEFAULT_PROPERTIES, PROPERTIES, Outcome, Property, property_spec

__all__ = ["explore", "Finding", "ExploreReport", "discover", "parse_shard", "example_database", "KeyPrefixed"]

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
        client = redis.Redis(host=m.group(1), port=int(m.group(2) or 6379), db=int(m.group(3) or 0))
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
        if event.sock in ("select", "clock"):
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
    replay_status: str = ""


@dataclass
class ExploreReport:
    """What a search did: runs, rate, failures found, time to the first failure."""

    runs: int = 0
    elapsed: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    first_failure_after: float | None = None
    first_failure_runs: int | None = None
    chunks: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.runs / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> str:
        lines = [f"explored {self.runs} runs in {self.elapsed:.2f}s ({self.rate:.0f} runs/s), "
                 f"{len(self.findings)} failure(s) found"]
        if self.first_failure_after is not None:
            lines.append(f"first failure after {self.first_failure_after:.3f}s ({self.first_failure_runs} runs)")
        for f in self.findings:
            where = f" -> {f.path} ({f.steps} steps, replay: {f.replay_status})" if f.path else ""
            lines.append(f"  {f.property}: {f.message}{where}")
        return "\n".join(lines)


class _Progress:
    def __init__(self, stream: TextIO | None, report: ExploreReport, start: float) -> None:
        self.stream, self.report, self.start = stream, report, start
        self.last = start

    def tick(self, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        if force or now - self.last >= 0.5:
            self.last = now
            elapsed = now - self.start
            rate = self.report.runs / elapsed if elapsed else 0.0
            self.stream.write(f"\rexplored {self.report.runs} runs ({rate:.0f}/s), "
                              f"failures found: {len(self.report.findings)}   ")
            self.stream.flush()


class _PropertyFailed(Exception):
    """Raised in the test hypothesis runs when the property fails: hypothesis shrinks towards it."""


class _Search:
    """One property's search: :meth:`check` is the test function hypothesis runs on each world.

    ``found`` is the last failure seen; hypothesis runs the shrunk world last, so
    once the test has failed, ``found`` is that world's message, configuration and choices.
    """

    def __init__(self, driver: Callable[..., Any], args: dict[str, Any], prop: Property, report: ExploreReport,
                 meter: _Progress, start: float) -> None:
        self.driver, self.args, self.prop = driver, args, prop
        self.report, self.meter, self.start = report, meter, start
        self.found: tuple[str, Any, list[tuple[str, Any, int]]] | None = None

    def check(self, world: Any) -> None:
        outcome: Outcome = world.run(self.driver, self.args)
        report = self.report
        report.runs += 1
        self.meter.tick()
        message = self.prop(outcome)
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

    Stops a property's search at its first (shrunk) failure, or when
    ``budget`` seconds or ``max_examples`` examples are spent. With
    ``out_dir``, each failure is written there as a scenario file.
    """
    from .strategies import worlds

    args = dict(args or {})
    props = list(properties) or [PROPERTIES[p] for p in DEFAULT_PROPERTIES]
    addrs, patterns = discover(driver, args)
    report = ExploreReport()
    start = time.perf_counter()
    meter = _Progress(progress, report, start)
    k, n = shard
    strategy = worlds(addrs, patterns, max_faults=max_faults)
    spec = driver_spec or f"{driver.__module__}:{driver.__qualname__}"

    def out_of_time() -> bool:
        if budget is not None and time.perf_counter() - start >= budget:
            return True
        return max_examples is not None and report.runs >= max_examples

    # Without a database there is nothing to reuse: skip that phase's per-chunk work.
    phases = ((Phase.reuse,) if database is not None else ()) + (Phase.generate, Phase.shrink)
    for prop in props:
        name = property_spec(prop)
        search = _Search(driver, args, prop, report, meter, start)
        # Every search runs the same test function, so hypothesis gives them one database key; the key
        # prefix tells the driver, arguments and property apart, the same in every run, shard and machine.
        prefix = hashlib.sha256(repr((spec, sorted(args.items()), name)).encode()).hexdigest().encode() + b":"
        chunk = k - 1
        while search.found is None and not out_of_time():
            report.chunks.append(chunk)
            # settings() outermost: seed() alone would switch the example database off.
            test = settings(
                max_examples=chunk_examples, database=None if database is None else KeyPrefixed(database, prefix),
                deadline=None, derandomize=False, suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False, phases=phases,
            )(hyp_seed(seed * 1_000_003 + chunk)(given(strategy)(search.check)))
            try:
                test()
            except _PropertyFailed:
                pass
            chunk += n
        if search.found is not None:
            message, config, choices = search.found
            finding = Finding(name, message, config, choices)
            report.findings.append(finding)
            if out_dir is not None:
                _save(finding, driver, spec, args, prop, out_dir)
        meter.tick(force=True)
    report.elapsed = time.perf_counter() - start
    if progress is not None:
        progress.write("\n")
    return report


def _save(finding: Finding, driver: Callable[..., Any], spec: str, args: dict[str, Any], prop: Property,
          out_dir: str) -> None:
    """Re-run the shrunk world with a trace and write it as a strict-replay scenario."""
    from .runner import run_scenario
    from .scenario import Expect, Scenario, dump_scenario, load_scenario
    from .strategies import ListChooser, World

    world = World(finding.config, ListChooser(finding.choices))
    outcome = world.run(driver, args, trace=True)
    os.makedirs(out_dir, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "_", f"{spec.split(':')[-1]}_{finding.property}".lower()).strip("_")
    path = os.path.join(out_dir, f"{slug}.toml")
    config = finding.config
    described = (f"found by loopsim explore: {finding.property} fails: {finding.message}\n"
                 f"world: links={list(config.links)!r} endpoints={list(config.endpoints)!r} "
                 f"faults={list(config.faults)!r}")
    expect = Expect(properties=(finding.property,), sockets_closed=False)
    sc = Scenario(path=path, name=slug.replace("_", "-"), description=described, driver=spec, args=dict(args),
                  expect=expect, script=tuple(outcome.trace.events))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dump_scenario(sc))
    finding.path = path
    finding.steps = len(outcome.trace.events)
    finding.replay_status = run_scenario(load_scenario(path)).status
    if prop(outcome) is None:  # pragma: no cover - the shrunk world no longer fails: report it loudly
        print(f"loopsim explore: warning: the saved run of {finding.property} did not fail again",
              file=sys.stderr)
