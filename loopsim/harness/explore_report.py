# loopsim.harness.explore_report: what a `loopsim explore` search did - per property, its findings, the summary
# and the progress line. Owns: Finding, PropertySearch, ExploreReport, Progress. Imports: stdlib only.
"""The report of :func:`loopsim.explore.explore`: one :class:`PropertySearch` per
property (runs, wall time, verdict), the :class:`Finding` s, which strategy
searched what for how long (wall and CPU time), and the progress line shown
on stderr while it runs."""

from __future__ import annotations

import builtins
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Finding", "PropertySearch", "ExploreReport", "Progress"]


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
    schedule: str = ""  # which schedule of the strategy failed first (before its choices were shrunk)
    determinism: Any = None  # a DeterminismCheck, when explore was asked to check it


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
    """What a search did: one :class:`PropertySearch` per property, the failures found, the time to the first.

    ``strategy`` says what was searched (``Strategy.describe()``), ``worlds`` how
    many worlds hypothesis drew, ``cpu`` the CPU seconds of the whole call, and
    ``enumeration`` the systematic strategy's :class:`~loopsim.harness.systematic.Enumeration`.
    """

    runs: int = 0
    elapsed: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    first_failure_after: float | None = None
    first_failure_runs: int | None = None
    first_failure_worlds: int | None = None  # the worlds hypothesis drew up to the first failure (its own included)
    first_failure_cpu: float | None = None  # CPU seconds from the start of the call to the first failure
    chunks: list[int] = field(default_factory=list)
    searches: list[PropertySearch] = field(default_factory=list)
    strategy: str = ""
    worlds: int = 0
    cpu: float = 0.0
    enumeration: Any = None
    faults: Any = None  # with fault_coverage: a FaultTally over the search's runs
    error_paths: Any = None  # with fault_coverage: the ErrorPaths of the code under test

    @property
    def rate(self) -> float:
        """Runs per wall second."""
        return self.runs / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """Runs per CPU second (of this process)."""
        return self.runs / self.cpu if self.cpu > 0 else 0.0

    def table(self) -> str:
        """The per-property table: property, runs, time, held / FAILED with the finding's file."""
        rows = [("property", "runs", "time", "result")]
        rows += [(s.property, str(s.runs), f"{s.elapsed:.2f}s", s.verdict) for s in self.searches]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows)

    def summary(self) -> str:
        lines = []
        if self.strategy:
            lines.append(self.strategy)
        worlds = f" in {self.worlds} worlds" if self.worlds else ""
        lines.append(f"explored {self.runs} runs{worlds} in {self.elapsed:.2f}s ({self.rate:.0f} runs/s; "
                     f"{self.cpu:.2f} CPU s, {self.cpu_rate:.0f} runs/CPU-s), {len(self.findings)} failure(s) found")
        if self.enumeration is not None:
            enum = self.enumeration
            proof = enum.complete and not self.findings
            verdict = (f"all {enum.ran} schedules up to {enum.k} deviation{'s' if enum.k != 1 else ''} passed "
                       "(a bounded proof for this world)" if proof else enum.describe())
            lines.append(f"systematic: {verdict}")
        if self.searches:
            lines += ["", self.table(), ""]
        if self.first_failure_after is not None:
            worlds = f" in {self.first_failure_worlds} worlds" if self.first_failure_worlds else ""
            lines.append(f"first failure after {self.first_failure_after:.3f}s "
                         f"({self.first_failure_runs} runs{worlds})")
        for f in self.findings:
            where = (f" -> {f.path} (world: {f.replay_status}; exact run: {f.steps} steps, {f.strict_status})"
                     if f.path else "")
            lines.append(f"  {f.property}: {f.message}{where}")
            if f.determinism is not None:
                lines.append(f"    {f.determinism.describe()}")
        return "\n".join(lines).rstrip("\n")


class Progress:
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
