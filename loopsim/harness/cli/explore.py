# loopsim.harness.cli.explore: `loopsim explore DRIVER [KEY=VALUE ...]` - search worlds for property failures.
# Owns: COMMAND (its options and run). Imports: stdlib, loopsim.harness.cli(.arguments); lazily
# loopsim.harness.{explore,outcome,callables}.
"""``loopsim explore DRIVER [KEY=VALUE ...] [--property P ...] [--budget S] [--strategy NAME] [--shard K/N]
[--db DB] [--check-determinism] ...``."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command
from .arguments import add_target, driver_and_args

__all__ = ["COMMAND", "EXTRA"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target(parser, "module:function(net, **args)")
    parser.add_argument("--property", action="append", dest="properties", metavar="PROP",
                        help="terminates, no_task_died, all_sockets_closed, finished_within(SECONDS) or "
                             "module:function (e.g. scenarios.drivers:delivered_intact); repeat for several, "
                             "each is searched on its own (default: terminates, no_task_died, all_sockets_closed, "
                             "then the driver's own loopsim_properties)")
    parser.add_argument("--budget", type=float, default=10.0, metavar="SECONDS",
                        help="total wall time, shrinking and saving included, shared among the properties "
                             "(default 10)")
    parser.add_argument("--examples", type=int, default=None, metavar="N",
                        help="at most N examples per property (deterministic for a given seed and shard)")
    parser.add_argument("--seed", type=int, default=0, help="search seed (default 0)")
    parser.add_argument("--shard", default="1/1", metavar="K/N", help="run shard K of N (default 1/1)")
    parser.add_argument("--out", default="found", metavar="DIR", help="write failures here (default: found)")
    parser.add_argument("--db", default=None, metavar="DIR|redis://HOST:PORT|none",
                        help="hypothesis example database (default: .hypothesis/loopsim)")
    parser.add_argument("--max-faults", type=int, default=1, metavar="N", help="faults per world (default 1)")
    parser.add_argument("--strategy", default="random", metavar="NAME",
                        help="random (default: hypothesis draws worlds and seeds, each world runs seeded random "
                             "schedules), pct (PCT priority scheduling of the ready order), swarm (worlds with a "
                             "random subset of setting kinds), systematic (every schedule of the default world "
                             "with up to --deviations non-default choices: a bounded proof when it finishes)")
    parser.add_argument("--schedules", type=int, default=6, metavar="N",
                        help="schedules run in each drawn world (random, pct, swarm; default 6)")
    parser.add_argument("--worlds", type=int, default=16, metavar="N",
                        help="worlds per hypothesis example, in one draw (random, pct, swarm; default 16)")
    parser.add_argument("--change-points", type=int, default=3, metavar="D",
                        help="pct: priority change points per run (default 3)")
    parser.add_argument("--deviations", type=int, default=2, metavar="K",
                        help="systematic: non-default choices per schedule, at most (default 2)")
    parser.add_argument("--check-determinism", action="store_true",
                        help="run each finding twice more, in fresh processes with different PYTHONHASHSEEDs, "
                             "and compare the traces (names the first differing event)")
    parser.add_argument("--fault-coverage", action="store_true",
                        help="after the search: which injected faults fired how often over its runs, and which "
                             "except/finally blocks of the code under test ran after which fault kinds (tracing: "
                             "the search runs slower)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


EXTRA = "pip install 'loopsim[explore]'"


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.callables import import_spec
    from loopsim.harness.outcome import parse_property
    from loopsim.loop.errors import InputError

    try:
        from loopsim.harness.explore import example_database, explore, parse_shard
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "hypothesis":
            raise
        print(f"loopsim explore: exploring needs hypothesis, which is not installed: {EXTRA}", file=sys.stderr)
        return EXIT_USAGE

    try:
        spec, kwargs = driver_and_args(args)
        driver = import_spec(spec, "app")
        props = [parse_property(p) for p in (args.properties or [])]
        shard = parse_shard(args.shard)
        db = example_database(args.db)
        if args.budget <= 0 or (args.examples is not None and args.examples < 1):
            raise InputError("--budget must be > 0 and --examples >= 1")
        report = explore(driver, kwargs, properties=props, driver_spec=spec, budget=args.budget,
                         max_examples=args.examples, seed=args.seed, shard=shard, database=db,
                         out_dir=args.out, max_faults=args.max_faults,
                         progress=None if args.quiet else sys.stderr, strategy=args.strategy,
                         schedules=args.schedules, worlds_per_example=args.worlds,
                         change_points=args.change_points, deviations=args.deviations,
                         check_determinism=args.check_determinism, fault_coverage=args.fault_coverage)
    except (InputError, ValueError) as exc:
        print(f"loopsim explore: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(report.summary())
    if args.fault_coverage:
        import os

        print("\n" + report.faults.table())
        print("\n" + report.error_paths.table(root=os.getcwd()))
    return EXIT_FAILURE if report.findings else EXIT_OK


COMMAND = Command(
    name="explore", help="search simulated worlds for failures of properties, shrink them, save as scenarios",
    description="Search network configurations, faults, readiness and ready orders (a --strategy: hypothesis with "
                "seeded schedules, PCT, swarm, or systematic enumeration) for a world where DRIVER breaks a "
                "property; shrink each failure and write it as a scenario that `loopsim replay` reproduces. "
                "Exit 1 if a failure was found.",
    add_arguments=add_arguments, run=run)
