# loopsim.harness.fault_tally: which injected faults fired how often over many runs (a search's fault coverage).
# Owns: FaultTally. Imports: stdlib only (a fault is anything with .kind and .target).
"""Fault coverage over the runs of a search (``loopsim explore --fault-coverage``).

The gate reports, per scenario, how often each of its faults fired
(:func:`loopsim.harness.gate.format_fault_coverage`). A search runs thousands
of worlds, each with its own faults, so :class:`FaultTally` counts per fault
(kind, target): in how many runs it was injected, in how many of those it
fired, and how often in all. A fault injected many times that never fired is
a setting the code under test never meets (a reset after more bytes than any
connection carries, a refusal on an address nothing connects to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["FaultTally"]


@dataclass
class FaultTally:
    """Per fault ``(kind, target)``: runs it was injected in, runs it fired in, times it fired; and all runs."""

    runs: int = 0
    injected: dict[tuple[str, str], int] = field(default_factory=dict)
    fired_runs: dict[tuple[str, str], int] = field(default_factory=dict)
    fired: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, faults: Iterable[Any], fired: Iterable[int]) -> None:
        """One run: its network's faults and how often each fired (``Outcome.faults``, ``Outcome.faults_fired``)."""
        self.runs += 1
        counts = list(fired)
        for i, fault in enumerate(faults):
            key = (str(fault.kind), str(fault.target))
            n = counts[i] if i < len(counts) else 0
            self.injected[key] = self.injected.get(key, 0) + 1
            if n:
                self.fired_runs[key] = self.fired_runs.get(key, 0) + 1
                self.fired[key] = self.fired.get(key, 0) + n

    def never_fired(self) -> list[tuple[str, str]]:
        """The faults injected in some run that fired in none, sorted."""
        return [key for key in sorted(self.injected) if key not in self.fired_runs]

    def table(self) -> str:
        """A fixed-width table, one row per fault (sorted by kind, target), then the ones that never fired."""
        with_faults = sum(self.injected.values())
        head = f"fault coverage: {self.runs} runs, {len(self.injected)} distinct faults injected {with_faults} times"
        if not self.injected:
            return f"fault coverage: {self.runs} runs, no fault injected"
        header = ("kind", "target", "runs injected", "runs fired", "times fired")
        body = [(kind, target, str(self.injected[(kind, target)]), str(self.fired_runs.get((kind, target), 0)),
                 str(self.fired.get((kind, target), 0))) for kind, target in sorted(self.injected)]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [head]
        for r in [header, tuple("-" * w for w in widths), *body]:
            lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        never = self.never_fired()
        if never:
            lines.append(f"never fired ({len(never)}): " + ", ".join(f"{kind} {target}" for kind, target in never))
        return "\n".join(lines)
