# loopsim.harness.gate: the regression gate - run scenario files, print a table, write JUnit XML.
# Owns: find_scenarios, GateRow, run_files, format_table, write_junit, format_fault_coverage, faults_never_fired.
# Imports: stdlib, loopsim.harness.{scenario,runner,error_paths}.
"""``loopsim gate DIR``: every scenario file under DIR, one row each.

The gate keeps going: a bad file is an ``error`` row (its one-line
``FILE:LINE: key: what is wrong``), a file whose code raises ``SystemExit`` or
crashes the run is a ``crash`` row (the exception, its traceback in the JUnit
XML); the other files still run, and the table and the JUnit XML list them all.
"""

from __future__ import annotations

import os
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterable

from loopsim.loop.errors import InputError
from .error_paths import ErrorPathRecorder
from .runner import ScenarioResult, run_scenario
from .scenario import is_scenario_file, load_scenario

__all__ = ["find_scenarios", "GateRow", "run_files", "format_table", "write_junit", "format_fault_coverage",
           "faults_never_fired"]


@dataclass
class GateRow:
    """One scenario's line in the gate: ``status`` is pass, fail, divergence, error (bad input) or
    crash (the scenario's code raised SystemExit, or the run raised what it should not)."""

    path: str
    name: str
    status: str
    virtual_time: float | None
    wall_time: float
    detail: str
    known_bug: str | None = None
    traceback: str = ""
    faults: tuple[tuple[str, str, int], ...] = ()  # each [[network.fault]]: (kind, target, times it fired)
    timeline: str | None = None  # the path of its timeline page (`loopsim gate --html DIR`), if one was written


def find_scenarios(root: str) -> list[str]:
    """Scenario files under ``root`` (a file or a directory), sorted by path."""
    if os.path.isfile(root):
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for filename in sorted(filenames):
            path = os.path.join(dirpath, filename)
            if is_scenario_file(path):
                found.append(path)
    return sorted(found)


def run_files(paths: Iterable[str], error_paths: ErrorPathRecorder | None = None) -> list[GateRow]:
    """Run each scenario file; a bad or crashing file becomes one row, never a traceback. With
    ``error_paths``, each run is recorded by it (which except/finally blocks ran after which faults)."""
    rows = []
    for path in paths:
        start = time.perf_counter()
        name = os.path.basename(path)
        try:
            sc = load_scenario(path)
            name = sc.name
            result: ScenarioResult = run_scenario(sc) if error_paths is None else error_paths.run(sc, run_scenario)
        except InputError as exc:
            rows.append(GateRow(path, name, "error", None, time.perf_counter() - start, str(exc)))
            continue
        except (Exception, SystemExit) as exc:  # a loopsim bug, or SystemExit outside a run: one row, not the gate
            what = "raised SystemExit" if isinstance(exc, SystemExit) else "crashed"
            rows.append(GateRow(path, name, "crash", None, time.perf_counter() - start,
                                f"{path}: {name}: CRASH: the run {what}: {type(exc).__name__}: {exc}",
                                traceback="".join(traceback.format_exception(exc))))
            continue
        outcome = result.outcome
        faults: tuple[tuple[str, str, int], ...] = ()
        if outcome is not None and len(outcome.faults_fired) == len(outcome.faults):
            faults = tuple((f.kind, f.target, n) for f, n in zip(outcome.faults, outcome.faults_fired))
        rows.append(GateRow(path, sc.name, result.status, outcome.virtual_time if outcome else None,
                            time.perf_counter() - start, "" if result.passed else result.report(),
                            sc.known_bug, faults=faults))
    return rows


def format_fault_coverage(rows: Iterable[GateRow]) -> str:
    """Which injected faults (kind, target) fired how often, per scenario that has any."""
    body = [(row.name, f"network.fault[{i}]", kind, target, str(n))
            for row in rows for i, (kind, target, n) in enumerate(row.faults)]
    if not body:
        return "fault coverage: no scenario injects a fault"
    head = ("scenario", "fault", "kind", "target", "fired")
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [head, tuple("-" * w for w in widths), *body]]
    return "fault coverage:\n" + "\n".join(line.rstrip() for line in lines)


def faults_never_fired(rows: Iterable[GateRow]) -> list[str]:
    """One line per fault of a scenario that never fired in its run: ``PATH: network.fault[i] (kind target)``."""
    return [f"{row.path}: network.fault[{i}] ({kind} {target}) never fired"
            for row in rows for i, (kind, target, n) in enumerate(row.faults) if n == 0]


def format_table(rows: list[GateRow]) -> str:
    """A fixed-width table: scenario, result, virtual time, wall time."""
    header = ("scenario", "result", "virtual s", "wall s")
    body = []
    for row in rows:
        status = row.status + (" (known bug reproduced)" if row.known_bug and row.status == "pass" else "")
        vt = "-" if row.virtual_time is None else f"{row.virtual_time:.3f}"
        body.append((row.name, status, vt, f"{row.wall_time:.3f}"))
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    passed = sum(r.status == "pass" for r in rows)
    total_wall = sum(r.wall_time for r in rows)
    lines.append(f"{passed}/{len(rows)} scenarios passed in {total_wall:.2f}s wall")
    return "\n".join(lines)


def write_junit(rows: list[GateRow], path: str) -> None:
    """JUnit XML as CI systems read it: one testcase per scenario (with a link to its timeline page, if any)."""
    failures = sum(r.status in ("fail", "divergence") for r in rows)
    errors = sum(r.status in ("error", "crash") for r in rows)
    suite = ET.Element("testsuite", name="loopsim gate", tests=str(len(rows)), failures=str(failures),
                       errors=str(errors), time=f"{sum(r.wall_time for r in rows):.3f}")
    for row in rows:
        case = ET.SubElement(suite, "testcase", classname="loopsim.scenarios", name=row.name,
                             file=row.path, time=f"{row.wall_time:.3f}")
        if row.status in ("fail", "divergence"):
            first = row.detail.splitlines()[1].strip(" -") if row.detail.count("\n") else row.detail
            ET.SubElement(case, "failure", message=f"{row.status}: {first}", type=row.status).text = row.detail
        elif row.status == "error":
            ET.SubElement(case, "error", message=row.detail, type="input").text = row.detail
        elif row.status == "crash":
            ET.SubElement(case, "error", message=row.detail, type="crash").text = row.traceback or row.detail
        if row.virtual_time is not None or row.timeline:
            props = ET.SubElement(case, "properties")
            if row.virtual_time is not None:
                ET.SubElement(props, "property", name="virtual_time", value=f"{row.virtual_time:.6f}")
            if row.timeline:  # relative to the report's folder; the attachment line is what Jenkins/GitLab read
                where = os.path.relpath(row.timeline, os.path.dirname(os.path.abspath(path)))
                ET.SubElement(props, "property", name="timeline", value=where)
                ET.SubElement(case, "system-out").text = (f"timeline: {where}\n"
                                                          f"[[ATTACHMENT|{os.path.abspath(row.timeline)}]]\n")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
