# loopsim.harness.timeline_perfetto: a Timeline as Chrome trace event JSON (chrome://tracing, ui.perfetto.dev).
# Owns: perfetto_events, render_perfetto, AXES, PIDS. Imports: stdlib, loopsim.harness.timeline.
"""The Chrome trace event format ("JSON Object Format") of a run.

Process 1 holds a thread per task (its running / waiting / done spans as
complete events, ``ph = "X"``), process 2 a thread per socket (each call an
instant event with the trace line in ``args``, and a counter of its bytes in
flight), process 3 the loop (select decisions, faults, the divergence). The
clock is the timeline's x axis: ``axis="steps"`` puts step ``x`` at ``x``
microseconds (virtual time is in each event's ``args.t``), ``axis="time"`` uses
virtual time itself (events at one instant then stack at one point).
"""

from __future__ import annotations

import json
from typing import Any

from .timeline import Timeline

__all__ = ["perfetto_events", "render_perfetto", "AXES", "PIDS"]

AXES = ("steps", "time")
PIDS = {"tasks": 1, "sockets": 2, "loop": 3}


def perfetto_events(tl: Timeline, axis: str = "steps") -> list[dict[str, Any]]:
    """Every trace event of the format, metadata first, then each track in time order."""
    if axis not in AXES:
        raise ValueError(f"axis must be one of {', '.join(AXES)}, not {axis!r}")
    times = tl.times

    def ts(x: int) -> float:
        if axis == "steps":
            return float(x)
        return round(times[min(max(x, 0), len(times) - 1)] * 1e6, 3)

    def t(x: int) -> float:
        return times[min(max(x, 0), len(times) - 1)]

    out: list[dict[str, Any]] = []
    for name, pid in PIDS.items():
        out.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "ts": 0, "args": {"name": name}})
    for tid, task in enumerate(tl.tasks, 1):
        out.append({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "ts": 0, "args": {"name": task.name}})
    for tid, sock in enumerate(tl.sockets, 1):
        out.append({"ph": "M", "name": "thread_name", "pid": 2, "tid": tid, "ts": 0, "args": {"name": sock.name}})
    for tid, name in ((1, "select"), (2, "faults")):
        out.append({"ph": "M", "name": "thread_name", "pid": 3, "tid": tid, "ts": 0, "args": {"name": name}})
    for tid, task in enumerate(tl.tasks, 1):
        for seg in task.segments:
            name = seg.state if seg.state != "done" else f"done: {task.end}"
            args: dict[str, Any] = {"t": t(seg.x0), "steps": [seg.x0, seg.x1]}
            if seg.detail:
                args["detail"] = seg.detail
            out.append({"ph": "X", "name": name, "cat": "task", "pid": 1, "tid": tid, "ts": ts(seg.x0),
                        "dur": max(0.0, ts(seg.x1) - ts(seg.x0)), "args": args})
    lines = {e.seq: e.to_text() for e in tl.events}
    for tid, sock in enumerate(tl.sockets, 1):
        for mark in sock.marks:
            out.append({"ph": "i", "s": "t", "name": mark.kind, "cat": "socket", "pid": 2, "tid": tid,
                        "ts": ts(mark.x), "args": {"t": t(mark.x), "event": lines.get(mark.seq, mark.label)}})
        for x, count in sock.inflight:
            out.append({"ph": "C", "name": f"in flight {sock.name}", "pid": 2, "tid": tid, "ts": ts(x),
                        "args": {"bytes": count}})
    for mark in tl.selects:
        out.append({"ph": "i", "s": "t", "name": "select", "cat": "loop", "pid": 3, "tid": 1, "ts": ts(mark.x),
                    "args": {"t": t(mark.x), "event": lines.get(mark.seq, mark.label)}})
    for mark in tl.faults:
        out.append({"ph": "i", "s": "p", "name": mark.label, "cat": "fault", "pid": 3, "tid": 2, "ts": ts(mark.x),
                    "args": {"t": t(mark.x)}})
    if tl.divergence is not None:
        out.append({"ph": "i", "s": "g", "name": "divergence", "cat": "divergence", "pid": 3, "tid": 2,
                    "ts": ts(tl.divergence.x), "args": {"t": t(tl.divergence.x), "what": tl.divergence.label}})
    return out


def render_perfetto(tl: Timeline, axis: str = "steps") -> str:
    """The JSON document: ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}``."""
    doc = {"traceEvents": perfetto_events(tl, axis), "displayTimeUnit": "ms",
           "otherData": {"title": tl.title, "status": tl.status, "axis": axis,
                         "clock": "1 us per step" if axis == "steps" else "virtual time"}}
    return json.dumps(doc, indent=None, separators=(",", ":"), ensure_ascii=False) + "\n"
