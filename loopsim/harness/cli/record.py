# loopsim.harness.cli.record: `loopsim record --out FILE -- DRIVER [KEY=VALUE ...]` - record a live run.
# Owns: COMMAND (its options and run). Imports: stdlib, loopsim.harness.cli(.arguments); lazily
# loopsim.harness.record.
"""``loopsim record --out FILE [--name NAME] -- DRIVER [KEY=VALUE ...]``."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command
from .arguments import add_target, driver_and_args

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help="scenario file to write")
    parser.add_argument("--name", help="scenario name (default: the file name)")
    add_target(parser, "module:function")


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.record import record_scenario
    from loopsim.loop.errors import InputError

    try:
        driver, kwargs = driver_and_args(args)
        written = record_scenario(driver, kwargs, args.out, name=args.name)
    except (InputError, ValueError) as exc:
        print(f"loopsim record: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"recorded {written.steps} steps to {written.path}; replay: {written.replay_status}")
    return EXIT_OK if written.replay_status == "pass" else EXIT_FAILURE


COMMAND = Command(
    name="record", help="run an app live on loopback and save the run as a scenario",
    description="Run DRIVER (module:function) on real loopback sockets through a recording selector and "
                "recording sockets, and write a scenario whose script strict replay reproduces on the fakes.",
    add_arguments=add_arguments, run=run)
