# loopsim.harness.cli.demo: `loopsim demo` - the correct proxy live on loopback with a burst of clients.
# Owns: COMMAND (its options and run). Imports: stdlib, loopsim.harness.cli; lazily loopsim.harness.callables
# and the demo by its "module:function" name (DEMO), never scenarios directly.
"""``loopsim demo [--clients N] [--payload BYTES] [--delay SECONDS]``."""

from __future__ import annotations

import argparse
import sys

from . import DEMO, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

__all__ = ["COMMAND"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--payload", type=int, default=10_000, help="bytes each client sends (default 10000)")
    parser.add_argument("--delay", type=float, default=0.05, help="server2's delay per chunk, seconds (default 0.05)")


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.callables import import_spec
    from loopsim.loop.errors import InputError

    try:
        run_demo = import_spec(DEMO, "demo")
    except InputError as exc:
        print(f"loopsim demo: {exc}; the demo runs the bundled example apps (scenarios/): "
              "run it from a loopsim source checkout", file=sys.stderr)
        return EXIT_USAGE
    if args.clients < 1 or args.payload < 1 or args.delay < 0:
        print("loopsim demo: --clients and --payload must be >= 1 and --delay >= 0", file=sys.stderr)
        return EXIT_USAGE
    result = run_demo(args.clients, args.payload, args.delay)
    print(result.summary())
    return EXIT_OK if result.ok == result.clients else EXIT_FAILURE


COMMAND = Command(
    name="demo", help="run the correct proxy on loopback with a burst of clients",
    description="Run server2, the correct proxy and N clients on real loopback sockets in one loop and check "
                "every reply.",
    add_arguments=add_arguments, run=run)
