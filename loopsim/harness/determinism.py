# loopsim.harness.determinism: the determinism self-check - one scenario run in fresh processes with different
# PYTHONHASHSEEDs, the trace hashes compared, the first differing event named; and first_difference for any two.
# Owns: first_difference, Difference, trace_lines, trace_digest, check_file, DeterminismCheck, child_main.
# Imports: stdlib; lazily (and in the child process) loopsim.harness.{runner,scenario}.
"""Is a run the same in every process?

loopsim promises that the same scenario gives a byte-identical trace in any
process, whatever ``PYTHONHASHSEED`` is. Code under test can break that (it
iterates a set of strings, sends ``id()`` or ``time.time()``), and so could a
bug in loopsim. :func:`check_file` runs one scenario file in two fresh
interpreters with different hash seeds, compares the sha256 of their traces,
and when they differ names the first event that differs.

:func:`first_difference` compares any two sequences of events or lines (a
``fakes.Trace``'s ``events``, their ``to_text()`` lines) and is what a
``loopsim diff`` can reuse.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

from loopsim.loop.errors import InputError

__all__ = ["Difference", "first_difference", "trace_lines", "trace_digest", "DeterminismCheck", "check_file",
           "child_main", "HASH_SEEDS"]

#: The PYTHONHASHSEEDs of the two fresh processes (0 would switch hash randomization off).
HASH_SEEDS = (1, 2)


def _text(item: Any) -> str:
    to_text = getattr(item, "to_text", None)
    return str(to_text()) if callable(to_text) else str(item)


@dataclass(frozen=True)
class Difference:
    """Where two runs part: ``index`` (0-based) of the first differing event, and each side's event there
    (``None``: that run had ended)."""

    index: int
    first: str | None
    second: str | None

    def describe(self, names: tuple[str, str] = ("first", "second")) -> str:
        a = self.first if self.first is not None else "(no event: the run had ended)"
        b = self.second if self.second is not None else "(no event: the run had ended)"
        return f"event {self.index + 1} differs:\n  {names[0]}: {a}\n  {names[1]}: {b}"


def first_difference(a: Sequence[Any], b: Sequence[Any]) -> Difference | None:
    """The first position where ``a`` and ``b`` differ (events compared by their text), or ``None`` if equal."""
    for i in range(min(len(a), len(b))):
        x, y = _text(a[i]), _text(b[i])
        if x != y:
            return Difference(i, x, y)
    if len(a) != len(b):
        i = min(len(a), len(b))
        return Difference(i, _text(a[i]) if i < len(a) else None, _text(b[i]) if i < len(b) else None)
    return None


def trace_lines(trace: Any) -> list[str]:
    """A ``fakes.Trace``'s events, one text line each."""
    return [event.to_text() for event in trace.events]


def trace_digest(lines: Sequence[str]) -> str:
    """The sha256 of a trace's lines (hex)."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return h.hexdigest()


@dataclass
class DeterminismCheck:
    """One file run in fresh processes: per run ``(hash seed, status, digest, events)``, and the first difference."""

    path: str
    strict: bool = False
    runs: list[tuple[int, str, str, int]] = field(default_factory=list)
    difference: Difference | None = None

    @property
    def same(self) -> bool:
        return self.difference is None and len({digest for _, _, digest, _ in self.runs}) <= 1

    def describe(self) -> str:
        seeds = ", ".join(str(seed) for seed, _, _, _ in self.runs)
        if self.same:
            _, status, digest, events = self.runs[0]
            return (f"deterministic: the same trace in {len(self.runs)} fresh processes (PYTHONHASHSEED={seeds}): "
                    f"{events} events, sha256 {digest[:16]}, {status}")
        names = tuple(f"PYTHONHASHSEED={seed}" for seed, _, _, _ in self.runs[:2])
        assert self.difference is not None
        return (f"NOT deterministic: the traces of {len(self.runs)} fresh processes (PYTHONHASHSEED={seeds}) "
                f"differ; {self.difference.describe((names[0], names[1]))}")


_CHILD = "import sys; from loopsim.harness.determinism import child_main; sys.exit(child_main(sys.argv[1:]))"


def _run_child(path: str, strict: bool, hash_seed: int, timeout: float) -> dict[str, Any]:
    # The child sees the modules the parent sees: its sys.path, then the current directory (the driver's module).
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed),
               PYTHONPATH=os.pathsep.join(p for p in sys.path if isinstance(p, str) and p))
    argv = [sys.executable, "-c", _CHILD, path] + (["--strict"] if strict else [])
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=os.getcwd(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise InputError(f"{path}: the determinism check's run (PYTHONHASHSEED={hash_seed}) took more than "
                         f"{timeout:.0f}s") from None
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise InputError(f"{path}: the determinism check's run (PYTHONHASHSEED={hash_seed}) failed: {tail}")
    data: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return data


def check_file(path: str, *, strict: bool = False, hash_seeds: Sequence[int] = HASH_SEEDS,
               timeout: float = 300.0) -> DeterminismCheck:
    """Run the scenario file ``path`` once per hash seed, each in a fresh interpreter; compare the traces.

    ``strict`` replays its ``[[script]]`` instead of re-simulating its world. A
    run that cannot load or run the file is an :class:`InputError` naming it.
    """
    check = DeterminismCheck(path, strict)
    first: list[str] | None = None
    for seed in hash_seeds:
        data = _run_child(path, strict, seed, timeout)
        lines: list[str] = data["lines"]
        check.runs.append((seed, data["status"], data["digest"], len(lines)))
        if first is None:
            first = lines
        elif check.difference is None:
            check.difference = first_difference(first, lines)
    return check


def child_main(argv: Sequence[str]) -> int:
    """The fresh process: run one file, print ``{"status", "digest", "lines"}`` as one JSON line."""
    from .runner import run_scenario
    from .scenario import load_scenario

    path, strict = argv[0], "--strict" in argv[1:]
    try:
        result = run_scenario(load_scenario(path), strict=strict)
    except InputError as exc:
        print(f"loopsim: {exc}", file=sys.stderr)
        return 2
    trace = result.outcome.trace if result.outcome is not None else None
    lines = trace_lines(trace) if trace is not None else []
    print(json.dumps({"status": result.status, "digest": trace_digest(lines), "lines": lines}))
    return 0
