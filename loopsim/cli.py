# loopsim.cli: the `loopsim` command line (argparse), main(argv=None) -> int.
# Owns: argument parsing and exit codes. Imports: the harness modules, lazily per command.
"""The ``loopsim`` command.

Exit codes: 0 success; 1 a failure was found (a scenario failed, a demo lost
data); 2 bad usage or bad input (unknown option, unreadable file).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loopsim",
        description="Test generator event loops: live, or deterministically in virtual time.",
        epilog="Exit codes: 0 ok, 1 failure found, 2 usage or input error.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run the correct proxy on loopback with a burst of clients",
                          description="Run server2, the correct proxy and N clients on real loopback "
                                      "sockets in one loop and check every reply.")
    demo.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    demo.add_argument("--payload", type=int, default=10_000, help="bytes each client sends (default 10000)")
    demo.add_argument("--delay", type=float, default=0.05, help="server2's delay per chunk, seconds (default 0.05)")
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    if args.clients < 1 or args.payload < 1 or args.delay < 0:
        print("loopsim demo: --clients and --payload must be >= 1 and --delay >= 0", file=sys.stderr)
        return EXIT_USAGE
    result = run_demo(args.clients, args.payload, args.delay)
    print(result.summary())
    return EXIT_OK if result.ok == result.clients else EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    return {"demo": _cmd_demo}[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
