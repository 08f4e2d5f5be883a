# loopsim.harness.cli.arguments: argument helpers shared by the commands that run a driver (record, explore).
# Owns: add_target, driver_and_args, parse_key_values. Imports: stdlib.
"""``DRIVER [KEY=VALUE ...]`` on the command line: a ``module:function`` and its
keyword arguments, each VALUE in TOML syntax (a bare word is a string)."""

from __future__ import annotations

import argparse
import tomllib

__all__ = ["add_target", "driver_and_args", "parse_key_values"]


def add_target(parser: argparse.ArgumentParser, what: str) -> None:
    """The positional ``DRIVER [KEY=VALUE ...]`` (read back with :func:`driver_and_args`)."""
    parser.add_argument("target", nargs="+", metavar="DRIVER [KEY=VALUE ...]",
                        help=f"{what}, then its arguments as KEY=VALUE (VALUE in TOML syntax)")


def driver_and_args(args: argparse.Namespace) -> tuple[str, dict[str, object]]:
    """The driver's ``module:function`` and its keyword arguments; ``ValueError`` for a bad KEY=VALUE."""
    spec, *rest = args.target
    return spec, parse_key_values(rest)


def parse_key_values(items: list[str]) -> dict[str, object]:
    """``["clients=3", 'app="proxy"', "mode=fast"]`` -> ``{"clients": 3, "app": "proxy", "mode": "fast"}``."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"argument {item!r} is not KEY=VALUE")
        try:
            out[key] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = raw  # a bare word: take it as a string
    return out
