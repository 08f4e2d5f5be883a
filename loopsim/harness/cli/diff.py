# loopsim.harness.cli.diff: `loopsim diff A B` - the first differing event of two runs or traces.
# Owns: COMMAND (its options and run). Imports: stdlib, loopsim.harness.cli; lazily loopsim.harness.trace_diff.
"""``loopsim diff A B [--seed-a N] [--seed-b N] [--strict] [--context N]``: exit 0 identical, 1 different."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="a scenario file (.toml, run here) or a trace file "
                                               "(`loopsim replay --trace FILE > A.trace`)")
    parser.add_argument("b", metavar="B", help="the other one")
    parser.add_argument("--seed-a", type=int, default=None, metavar="N", help="run scenario A's world with seed N")
    parser.add_argument("--seed-b", type=int, default=None, metavar="N", help="run scenario B's world with seed N")
    parser.add_argument("--strict", action="store_true", help="replay the scenarios' [[script]] (the exact runs)")
    parser.add_argument("--context", type=int, default=5, metavar="N",
                        help="identical events shown before the first difference (default 5)")


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.trace_diff import format_difference, load_side
    from loopsim.loop.errors import InputError

    if args.context < 0:
        print("loopsim diff: --context must be >= 0", file=sys.stderr)
        return EXIT_USAGE
    try:
        a = load_side(args.a, args.seed_a, args.strict)
        b = load_side(args.b, args.seed_b, args.strict)
    except InputError as exc:
        print(f"loopsim diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    identical, report = format_difference(a, b, args.context)
    print(report)
    return EXIT_OK if identical else EXIT_FAILURE


COMMAND = Command(
    name="diff", help="the first differing event of two runs (scenario files, seeds, trace files)",
    description="Compare two runs event by event: each side is a scenario file (run here, its world with "
                "--seed-a/--seed-b instead of its seed, or --strict its script) or a trace file (`loopsim replay "
                "--trace`). Print the events before the first difference and the two events there. Exit 0 if "
                "identical, 1 if they differ, 2 on bad input.",
    add_arguments=add_arguments, run=run)
