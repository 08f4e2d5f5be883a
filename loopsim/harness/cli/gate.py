# loopsim.harness.cli.gate: `loopsim gate [DIR] [--junit FILE]` - the regression gate on the command line.
# Owns: COMMAND (its options and run), write_pages. Imports: stdlib, loopsim.harness.cli(.timeline); lazily
# loopsim.harness.{gate,error_paths}.
"""``loopsim gate [DIR] [--junit FILE] [--html DIR] [--fault-coverage] [--require-fault-coverage]``: a table,
JUnit XML, timeline pages of the failures, which faults fired and which error paths ran; exit 1 on any failure
(or a fault that never fired, when required), 2 on a bad file."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

__all__ = ["COMMAND", "write_pages"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default="scenarios", metavar="DIR", help="directory (default: scenarios)")
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    parser.add_argument("--fault-coverage", action="store_true",
                        help="print which injected faults (kind, target) fired how often, and which except/"
                             "finally blocks of the code under test ran after which fault kinds (and never)")
    parser.add_argument("--require-fault-coverage", action="store_true",
                        help="as --fault-coverage, and exit 1 when a scenario's fault never fired")
    parser.add_argument("--html", metavar="DIR", help="write a timeline page of each failing scenario into DIR "
                                                      "(created if missing), linked from the JUnit XML")


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.gate import faults_never_fired, find_scenarios, format_fault_coverage, format_table, \
        run_files, write_junit
    from loopsim.harness.error_paths import ErrorPathRecorder

    if not os.path.exists(args.dir):
        print(f"loopsim gate: {args.dir}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    if args.junit:  # checked before running, not after
        folder = os.path.dirname(args.junit) or "."
        if not os.path.isdir(folder):
            print(f"loopsim gate: --junit {args.junit}: no such folder {folder!r}", file=sys.stderr)
            return EXIT_USAGE
    if args.html and not os.path.isdir(os.path.dirname(os.path.abspath(args.html))):
        print(f"loopsim gate: --html {args.html}: no such folder {os.path.dirname(args.html)!r}", file=sys.stderr)
        return EXIT_USAGE
    paths = find_scenarios(args.dir)
    if not paths:
        print(f"loopsim gate: {args.dir}: no scenario files (*.toml with format = \"loopsim-scenario/1\")",
              file=sys.stderr)
        return EXIT_USAGE
    coverage = args.fault_coverage or args.require_fault_coverage
    recorder = ErrorPathRecorder() if coverage else None
    rows = run_files(paths, error_paths=recorder)
    print(format_table(rows))
    for row in rows:
        if row.status != "pass":
            print("\n" + row.detail, file=sys.stderr)
    if args.html and write_pages(rows, args.html) != EXIT_OK:
        return EXIT_USAGE
    if args.junit:
        try:
            write_junit(rows, args.junit)
        except OSError as exc:
            print(f"loopsim gate: --junit {args.junit}: cannot write it: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"JUnit XML written to {args.junit}")
    never: list[str] = []
    if args.fault_coverage or args.require_fault_coverage:
        print("\n" + format_fault_coverage(rows))
        assert recorder is not None
        print("\n" + recorder.paths.table(root=os.getcwd()))
        if args.require_fault_coverage:
            never = faults_never_fired(rows)
            for line in never:
                print(f"loopsim gate: --require-fault-coverage: {line}", file=sys.stderr)
    if any(r.status == "error" for r in rows):
        return EXIT_USAGE
    return EXIT_FAILURE if never or any(r.status != "pass" for r in rows) else EXIT_OK


def write_pages(rows: list[Any], folder: str) -> int:
    """The timeline page of each failed or diverged row, into ``folder``; sets ``row.timeline``."""
    import re

    from .timeline import write_timeline

    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        print(f"loopsim gate: --html {folder}: cannot create it: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    used: set[str] = set()
    for row in rows:
        if row.status not in ("fail", "divergence"):
            continue
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", row.name).strip("-.") or "scenario"
        name, n = f"{stem}.html", 1
        while name in used:
            n += 1
            name = f"{stem}-{n}.html"
        used.add(name)
        out = os.path.join(folder, name)
        try:
            write_timeline(row.path, out)  # the same run the gate judged (deterministic)
        except OSError as exc:
            print(f"loopsim gate: --html {out}: cannot write it: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        row.timeline = out
    print(f"timelines of {len(used)} failing scenarios written to {folder}")
    return EXIT_OK


COMMAND = Command(
    name="gate", help="run every scenario under DIR: table, JUnit XML, exit 1 on any failure",
    description="The regression gate: run every scenario file under DIR, print a table (scenario, result, "
                "virtual time, wall time), optionally write JUnit XML. Exit 1 on any failure or divergence, "
                "2 on a bad scenario file.",
    add_arguments=add_arguments, run=run)
