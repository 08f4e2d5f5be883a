# loopsim.harness.trace_diff: the first differing event of two runs (trace files or scenario runs), with context.
# Owns: TraceSide, load_side, read_trace_text, first_difference, format_difference. Imports: stdlib,
# loopsim.loop.errors, loopsim.harness.{runner,scenario}.
"""``loopsim diff A B``: where two runs part.

A side is a scenario file (run here: its world, with ``seed`` in place of its
own if given, or ``strict`` its script) or a trace file: the text form
``loopsim replay --trace`` prints (``f"{t:.6f} {sock} {op} {args} -> {result}"``
per line; the replay's own ``NAME: STATUS (virtual ...)`` lines and blank lines
are skipped, any other line is an input error naming the file and line). Two
runs are compared event by event, exactly (payloads in full); a run and a text
file by their lines, as the text shows them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any, Sequence

from loopsim.loop.errors import InputError
from .scenario import ScenarioError, is_scenario_file, load_scenario

__all__ = ["TraceSide", "load_side", "read_trace_text", "first_difference", "format_difference", "bytes_apart"]

_EVENT_LINE = re.compile(r"^-?\d+\.\d{6} \S+ \S+ .* -> .*$")
_REPLAY_HEADER = re.compile(r"^.+: (pass|fail|divergence) \(virtual .*s\)$")


@dataclass
class TraceSide:
    """One side of a diff: its label, its event lines and (for a run) the events themselves."""

    label: str
    lines: list[str]
    events: list[Any] | None = None  # fakes.TraceEvent, for a scenario run


def read_trace_text(path: str) -> list[str]:
    """The event lines of a trace file; :class:`InputError` naming the file (and line) if it is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as a trace: {getattr(exc, 'strerror', None) or exc}") from None
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or _REPLAY_HEADER.match(line):
            continue
        if not _EVENT_LINE.match(line):
            raise InputError(f"{path}:{number}: not a trace line (expected 'T SOCK OP ARGS -> RESULT', as "
                             f"`loopsim replay --trace` prints): {line[:80]!r}")
        lines.append(line)
    if not lines:
        raise InputError(f"{path}: no trace events in it (write one with `loopsim replay --trace FILE > {path}`)")
    return lines


def load_side(path: str, seed: int | None = None, strict: bool = False) -> TraceSide:
    """A scenario file's run (``seed``: instead of its world's seed), or a trace file's lines."""
    from .runner import run_scenario

    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if not is_scenario_file(path):
        if seed is not None or strict:
            raise InputError(f"{path}: --seed and --strict apply to a scenario file, and this is a trace file")
        return TraceSide(path, read_trace_text(path))
    sc = load_scenario(path)
    label = path
    if seed is not None:
        if sc.network is None:
            raise ScenarioError(path, None, "network.seed", "--seed needs a [network] (a world) to seed, and this "
                                "file has only a [[script]]")
        sc = dataclasses.replace(sc, seed=seed)
    if strict or sc.network is None:
        label += " (strict replay)"
    else:
        label += f" (seed {sc.seed})"
    result = run_scenario(sc, strict=strict)
    trace = result.outcome.trace if result.outcome is not None else None
    events = list(trace.events) if trace is not None else []
    return TraceSide(label, [e.to_text() for e in events], events)


def _key(event: Any) -> tuple[Any, ...]:
    return (event.t, event.sock, event.op, event.args, event.result)


def first_difference(a: TraceSide, b: TraceSide) -> int | None:
    """The index of the first event that differs (or the length of the shorter, when one run is the start of
    the other); ``None`` when they are identical."""
    if a.events is not None and b.events is not None:
        left: Sequence[Any] = [_key(e) for e in a.events]
        right: Sequence[Any] = [_key(e) for e in b.events]
    else:
        left, right = a.lines, b.lines
    for index, (x, y) in enumerate(zip(left, right)):
        if x != y:
            return index
    return None if len(left) == len(right) else min(len(left), len(right))


def bytes_apart(x: Any, y: Any) -> str:
    """Where two events whose lines read the same differ: the first differing byte of a payload."""
    for name, u, v in (("args", x.args, y.args), ("result", x.result, y.result)):
        us = u if isinstance(u, tuple) else (u,)
        vs = v if isinstance(v, tuple) else (v,)
        for p, q in zip(us, vs):
            if isinstance(p, (bytes, bytearray)) and isinstance(q, (bytes, bytearray)) and p != q:
                at = next((i for i, (c, d) in enumerate(zip(p, q)) if c != d), min(len(p), len(q)))
                return f"the {name} differ at byte {at}: {bytes(p[at:at + 16])!r} vs {bytes(q[at:at + 16])!r}"
    return "they differ in a value the line does not show"


def format_difference(a: TraceSide, b: TraceSide, context: int = 5) -> tuple[bool, str]:
    """``(identical, report)``: the report names both sides and, if they differ, shows the ``context`` events
    before the first difference and the two events there."""
    head = [f"A: {a.label}: {len(a.lines)} events", f"B: {b.label}: {len(b.lines)} events"]
    index = first_difference(a, b)
    if index is None:
        return True, "\n".join(head + [f"identical: {len(a.lines)} events"])
    width = len(str(index))
    lines = head + [f"first difference at event {index} (after {index} identical events):"]
    for i in range(max(0, index - context), index):
        lines.append(f"    [{i:>{width}}] {a.lines[i]}")
    for tag, side in (("A", a), ("B", b)):
        shown = side.lines[index] if index < len(side.lines) else f"(the run ends here: {len(side.lines)} events)"
        lines.append(f"  {tag} [{index:>{width}}] {shown}")
    if (index < len(a.lines) and index < len(b.lines) and a.lines[index] == b.lines[index]
            and a.events is not None and b.events is not None):
        lines.append(f"  ({bytes_apart(a.events[index], b.events[index])})")
    return False, "\n".join(lines)
