# loopsim.harness.cli.fidelity: `loopsim fidelity FILE...` - a scenario simulated and live, where they agree.
# Owns: COMMAND (its options and run). Imports: stdlib, loopsim.harness.cli; lazily loopsim.harness.{fidelity,scenario}.
"""``loopsim fidelity FILE... [--all] [--tolerance S] [--max-live-seconds S] [--max-live-sockets N]
[--min-agreement PCT]``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

if TYPE_CHECKING:
    from loopsim.harness.fidelity import FidelityReport

__all__ = ["COMMAND"]


def _percent(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"must be a percentage from 0 to 100, not {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files (.toml) with a [network]")
    parser.add_argument("--all", action="store_true", help="print every check, not only those that differ")
    parser.add_argument("--tolerance", type=_seconds, default=0.05, metavar="S",
                        help="how far live seconds may be from virtual ones, plus 10%% (default 0.05)")
    parser.add_argument("--max-live-seconds", type=_seconds, default=5.0, metavar="S",
                        help="do not run live a scenario whose simulated run lasts longer (default 5)")
    parser.add_argument("--max-live-sockets", type=int, default=200, metavar="N",
                        help="do not run live a scenario that opens more sockets (default 200)")
    parser.add_argument("--min-agreement", type=_percent, default=0.0, metavar="PCT",
                        help="exit 1 if a scenario run live agrees on fewer checks (default 0: report only)")


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.fidelity import fidelity
    from loopsim.harness.scenario import load_scenario
    from loopsim.loop.errors import InputError

    worst = EXIT_OK
    rows = []
    for path in args.files:
        try:
            report = fidelity(load_scenario(path), tolerance=args.tolerance, max_live_seconds=args.max_live_seconds,
                              max_live_sockets=args.max_live_sockets)
        except InputError as exc:
            print(f"loopsim fidelity: {exc}", file=sys.stderr)
            worst = EXIT_USAGE
            continue
        print(report.table(only_differences=not args.all))
        rows.append(report)
        agreement = report.agreement
        if agreement is not None and 100 * agreement < args.min_agreement:
            worst = max(worst, EXIT_FAILURE)
    if len(rows) > 1:
        print()
        print(summary_table(rows))
    return worst


def summary_table(reports: list[FidelityReport]) -> str:
    """One line per scenario: checks, how many agree, the agreement; and the total."""
    name_w = max(len(r.scenario.name) for r in reports)
    lines = [f"{'scenario':<{name_w}}  checks  agree  agreement", f"{'-' * name_w}  ------  -----  ---------"]
    total = agreed = 0
    for r in reports:
        if r.agreement is None:
            lines.append(f"{r.scenario.name:<{name_w}}  not run live: {r.skipped}")
            continue
        n, k = len(r.checks), sum(c.agree for c in r.checks)
        total, agreed = total + n, agreed + k
        lines.append(f"{r.scenario.name:<{name_w}}  {n:>6}  {k:>5}  {100 * k / n:>8.0f}%")
    if total:
        lines.append(f"{'all run live':<{name_w}}  {total:>6}  {agreed:>5}  {100 * agreed / total:>8.0f}%")
    return "\n".join(lines)


COMMAND = Command(
    name="fidelity", help="run scenarios simulated and live, and say where the runs agree",
    description="Run each scenario simulated (its world) and live (the driver on loopback sockets, the file's "
                "[network] rules applied by a chaos proxy in front of each listener), and compare per socket "
                "(bytes received, kinds of answers, closed), per task (how it ended), the result and the time.",
    add_arguments=add_arguments, run=run)
