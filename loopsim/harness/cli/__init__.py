# loopsim.harness.cli: the `loopsim` command line - main(argv=None) -> int, the parser made of one module per
# command (COMMANDS), the exit codes. Owns: main, build_parser, Command, COMMANDS, EXIT_*, DEMO.
# Imports: stdlib, loopsim (its version); the command modules loopsim.harness.cli.<name>, which import the harness lazily.
"""The ``loopsim`` command.

Each command is a module of this package holding a :class:`Command`: its
name, help, the options it adds to its subparser, and the function that runs
it. Adding a command is one module and one name in :data:`COMMANDS`.

Exit codes: 0 success; 1 a failure was found (a scenario failed or diverged
from its script, a demo lost data); 2 bad usage or bad input (unknown option,
unreadable or invalid scenario file, unknown app) and errors of the command's own
I/O (a missing output folder, an unreachable database, a closed pipe, a missing
optional dependency), each reported in one line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from loopsim import __version__

__all__ = ["main", "build_parser", "Command", "COMMANDS", "commands", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE",
           "DEMO"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

# The demo is one of the bundled example apps, named by string: the package never imports scenarios.
DEMO = "scenarios.demo:run_demo"

# The commands in the order `loopsim --help` lists them; each names a module of this package.
COMMANDS = ("demo", "replay", "gate", "record", "explore", "chaos", "fidelity", "timeline", "diff")


@dataclass(frozen=True)
class Command:
    """One ``loopsim`` command: its subparser's text and options, and what runs it (returning an exit code)."""

    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def commands() -> list[Command]:
    """The :class:`Command` of each module named in :data:`COMMANDS`, in that order."""
    found = []
    for name in COMMANDS:
        command = importlib.import_module(f"{__name__}.{name}").COMMAND
        if not isinstance(command, Command) or command.name != name:  # pragma: no cover - a broken command module
            raise TypeError(f"{__name__}.{name}.COMMAND must be the Command named {name!r}, not {command!r}")
        found.append(command)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loopsim",
        description="Test generator event loops: live, or deterministically in virtual time.",
        epilog="Exit codes: 0 ok, 1 failure found, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"loopsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands():
        subparser = sub.add_parser(command.name, help=command.help, description=command.description)
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def _current_directory_first() -> None:
    """Put the current directory first on ``sys.path``, as ``python -m`` does, so that the
    ``module:function`` a scenario file or an argument names (``scenarios.drivers:proxy_world``,
    a user's ``my_drivers:world``) imports from where the command runs. A console script's
    ``sys.path`` starts at its own ``bin/`` folder instead."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def main(argv: Sequence[str] | None = None) -> int:
    _current_directory_first()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
    except BrokenPipeError:  # `loopsim replay --trace FILE | head`: the reader left; stop quietly
        _silence_stdout()
        return EXIT_USAGE
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor behind stdout (a test's capture)
        pass
