# loopsim.harness.cli.replay: `loopsim replay FILE...` - run scenario files and report each.
# Owns: COMMAND (its options and run). Imports: stdlib, loopsim.harness.cli; lazily
# loopsim.harness.{runner,scenario,determinism}.
"""``loopsim replay FILE... [--trace] [--strict] [--twice]``."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files (.toml)")
    parser.add_argument("--trace", action="store_true", help="print the whole trace of each run")
    parser.add_argument("--strict", action="store_true",
                        help="replay each file's [[script]] step by step (the exact run), even where the file "
                             "also has a world ([network]) that is re-simulated by default")
    parser.add_argument("--twice", action="store_true",
                        help="also run each file twice in fresh processes with different PYTHONHASHSEEDs and "
                             "compare the traces: exit 1 naming the first differing event if they differ")


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.runner import run_scenario
    from loopsim.harness.scenario import load_scenario
    from loopsim.loop.errors import InputError

    worst = EXIT_OK
    for path in args.files:
        try:
            result = run_scenario(load_scenario(path), strict=args.strict)
        except InputError as exc:
            print(f"loopsim replay: {exc}", file=sys.stderr)
            worst = EXIT_USAGE
            continue
        outcome = result.outcome
        vt = f"{outcome.virtual_time:.6f}" if outcome else "-"
        print(f"{result.scenario.name}: {result.status} (virtual {vt}s)")
        if args.trace and outcome is not None and outcome.trace is not None:
            print(outcome.trace.to_text())
        if not result.passed:
            print(result.report(), file=sys.stderr)
            worst = max(worst, EXIT_FAILURE)
        if args.twice:
            from loopsim.harness.determinism import check_file

            try:
                check = check_file(path, strict=args.strict)
            except InputError as exc:
                print(f"loopsim replay: {exc}", file=sys.stderr)
                worst = EXIT_USAGE
                continue
            print(f"{result.scenario.name}: {check.describe()}")
            if not check.same:
                worst = max(worst, EXIT_FAILURE)
    return worst


COMMAND = Command(
    name="replay", help="run scenario files and report each",
    description="Run each scenario file and check its expectations: a file with a [network] is simulated from "
                "its world (seed, rules and recorded choices), a file with only a [[script]] is replayed strictly; "
                "--strict replays the script of a file that has both (it diverges once the code changed).",
    add_arguments=add_arguments, run=run)
