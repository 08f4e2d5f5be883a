"""The bug zoo: does explore find each classic event-loop bug, how fast, and never blame a correct twin?

    python benchmarks/bug_zoo.py [--seeds 5] [--budget 5] [--wall-factor 3] [--twin-examples 100]
                                 [--bugs partial_send,framing,...] [--strategies default,pct,...]

For each bug of ``scenarios/zoo`` (docs/zoo.md) and each search strategy the
explore API accepts, runs ``loopsim.explore.explore`` on the bug's driver
(``scenarios.zoo.<bug>:world``, ``app = "bug"``: the zoo's generic world, the
default knobs) with the property that bug breaks (the module's ``PROPERTY``),
once per seed, and reports how many seeds found it within ``--budget`` CPU
seconds, the runs and the CPU seconds (``time.process_time``) until the search
first saw the property fail (before shrinking), median and worst over the seeds
that found it. Each search also stops at ``--budget`` x ``--wall-factor`` wall
seconds (explore's own budget is wall time), so a loaded machine cannot make it
run forever.

Then each correct twin (``app = "fixed"``) is searched with every property its
driver declares (the generic three and its own, as ``loopsim explore`` does
without ``--property``), ``--twin-examples`` examples per property and seed,
under every strategy: any failure is a false alarm.

Exit status: 1 if a bug was not found in every seed within the budget by the
default strategy, or a twin failed; else 0. The table is Markdown, for the
README.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the zoo (scenarios/ is not installed); an installed loopsim wins

from loopsim.explore import explore  # noqa: E402
from loopsim.loop.errors import InputError  # noqa: E402
from loopsim.outcome import default_properties, parse_property  # noqa: E402
from scenarios.zoo import BUGS  # noqa: E402

DEFAULT = "default"
# The strategy names issue 11 asks explore to accept (`--strategy random|pct|swarm|systematic`); only those the
# explore API in this tree accepts are run (see strategies()).
CANDIDATES = ("random", "pct", "swarm", "systematic")


def strategies(wanted: list[str] | None = None) -> list[str]:
    """``"default"`` (explore without a strategy argument) and every strategy name explore accepts."""
    names = [DEFAULT]
    if "strategy" in inspect.signature(explore).parameters:
        import loopsim.harness.explore as engine

        known = getattr(engine, "STRATEGIES", None)
        names += [name for name in (list(known) if known else CANDIDATES) if name != DEFAULT]
    if wanted:
        unknown = [name for name in wanted if name not in names]
        if unknown:
            raise SystemExit(f"bug_zoo: strategies {unknown} are not accepted here; available: {names}")
        names = [name for name in names if name in wanted]
    return names


class FirstFailure:
    """Wraps a property (keeping its name, so explore still names it ``module:function``) and notes the CPU
    time and run count of its first failure."""

    def __init__(self, prop: Callable[[Any], str | None]) -> None:
        self.prop = prop
        self.runs = 0
        self.cpu: float | None = None
        self.runs_at: int | None = None

        @functools.wraps(getattr(prop, "__wrapped__", prop))  # (explore checks it names the same function)
        def watched(outcome: Any) -> str | None:
            self.runs += 1
            message = prop(outcome)
            if message and self.cpu is None:
                self.cpu, self.runs_at = time.process_time(), self.runs
            return message

        self.watched = watched


@dataclass
class Cell:
    """One bug under one strategy, over the seeds."""

    seeds: int = 0
    found: int = 0
    cpu: list[float] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)
    missed_runs: list[int] = field(default_factory=list)

    def text(self) -> str:
        if not self.found:
            return f"0/{self.seeds} ({max(self.missed_runs, default=0)} runs)"
        return (f"{self.found}/{self.seeds}, {int(statistics.median(self.runs))} runs, "
                f"{statistics.median(self.cpu):.2f}s (max {max(self.cpu):.2f}s)")


def strategy_args(name: str) -> dict[str, Any]:
    return {} if name == DEFAULT else {"strategy": name}


def hunt(bug: str, strategy: str, seed: int, budget: float, wall_factor: float) -> tuple[bool, float | None, int]:
    """One search for ``bug``: (found within the CPU budget, CPU seconds to the first failure, runs to it)."""
    module = importlib.import_module(f"scenarios.zoo.{bug}")
    watch = FirstFailure(parse_property(module.PROPERTY))
    start = time.process_time()
    report = explore(module.world, {"app": "bug"}, properties=[watch.watched], seed=seed,
                     budget=budget * wall_factor, database=None, **strategy_args(strategy))
    if watch.cpu is None or not report.findings:
        return False, None, watch.runs
    cpu = watch.cpu - start
    return cpu <= budget, cpu, watch.runs_at or 0


def false_alarms(bug: str, strategy: str, seed: int, examples: int) -> list[str]:
    """Search the twin with every property its driver declares; returns the properties that failed."""
    module = importlib.import_module(f"scenarios.zoo.{bug}")
    report = explore(module.world, {"app": "fixed"}, properties=default_properties(module.world), seed=seed,
                     budget=None, max_examples=examples, database=None, **strategy_args(strategy))
    return [f"{f.property}: {f.message}" for f in report.findings]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=5.0, help="CPU seconds to the first failure (default 5)")
    parser.add_argument("--wall-factor", type=float, default=3.0,
                        help="each search stops after budget x this many wall seconds (default 3)")
    parser.add_argument("--twin-examples", type=int, default=100, help="examples per property and seed for a twin")
    parser.add_argument("--bugs", default=",".join(BUGS), help="comma-separated zoo modules (default: all)")
    parser.add_argument("--strategies", default="", help="comma-separated strategy names (default: all accepted)")
    args = parser.parse_args(argv)
    bugs = [b for b in args.bugs.split(",") if b]
    unknown = [b for b in bugs if b not in BUGS]
    if unknown:
        parser.error(f"unknown bugs {unknown}; the zoo has {', '.join(BUGS)}")
    names = strategies([s for s in args.strategies.split(",") if s] or None)
    print(f"bug zoo: {len(bugs)} bugs x {len(names)} strategies ({', '.join(names)}) x {args.seeds} seeds; "
          f"budget {args.budget:g} CPU s to the first failure", file=sys.stderr)

    cells: dict[tuple[str, str], Cell] = {}
    accepted = list(names)
    for bug in bugs:
        for name in list(accepted):
            cell = cells[bug, name] = Cell()
            for seed in range(args.seeds):
                try:
                    found, cpu, runs = hunt(bug, name, seed, args.budget, args.wall_factor)
                except InputError as exc:  # the API has the parameter but not this name
                    if name == DEFAULT:
                        raise
                    print(f"  strategy {name!r} refused: {exc}", file=sys.stderr)
                    accepted.remove(name)
                    del cells[bug, name]
                    break
                cell.seeds += 1
                if found:
                    cell.found += 1
                    cell.cpu.append(cpu or 0.0)
                    cell.runs.append(runs)
                else:
                    cell.missed_runs.append(runs)
            if (bug, name) in cells:
                print(f"  {bug} [{name}]: {cells[bug, name].text()}", file=sys.stderr)

    alarms: dict[str, list[str]] = {}
    for bug in bugs:
        alarms[bug] = []
        for name in accepted:
            for seed in range(args.seeds):
                alarms[bug] += [f"[{name}, seed {seed}] {m}" for m in false_alarms(bug, name, seed, args.twin_examples)]
        print(f"  {bug} twin: {len(alarms[bug])} false alarms", file=sys.stderr)

    header = ["bug", "choice point", *(f"{n}: found, runs, CPU s to 1st failure" for n in accepted), "twin false alarms"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for bug in bugs:
        module = importlib.import_module(f"scenarios.zoo.{bug}")
        row = [f"`{bug}`", module.CHOICE, *(cells[bug, n].text() for n in accepted), str(len(alarms[bug]))]
        print("| " + " | ".join(row) + " |")
    print(f"\n(seeds 0..{args.seeds - 1}; found = first failure within {args.budget:g} CPU s; runs and CPU s: median "
          f"over the seeds that found it, max in brackets; a twin: {args.twin_examples} examples per property and "
          "seed, every property its driver declares)")

    missed = [bug for bug in bugs if (bug, DEFAULT) in cells  # (the target is the default strategy's, if run)
              and cells[bug, DEFAULT].found < cells[bug, DEFAULT].seeds]
    blamed = [bug for bug in bugs if alarms[bug]]
    for bug in blamed:
        for line in alarms[bug][:3]:
            print(f"FALSE ALARM {bug}: {line}", file=sys.stderr)
    if missed:
        print(f"not found in every seed within {args.budget:g} CPU s by the default strategy: {', '.join(missed)}",
              file=sys.stderr)
    return 1 if missed or blamed else 0


if __name__ == "__main__":
    sys.exit(main())
