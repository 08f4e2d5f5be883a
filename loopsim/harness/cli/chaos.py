# loopsim.harness.cli.chaos: `loopsim chaos FILE --listen HOST:PORT --upstream HOST:PORT` - the live
# fault-injecting proxy. Owns: COMMAND (its options and run), parse_address. Imports: stdlib,
# loopsim.harness.cli; lazily loopsim.harness.{scenario,chaos_rules,chaos_proxy,toml_locations}.
"""``loopsim chaos FILE.toml --listen HOST:PORT --upstream HOST:PORT [--seed N] [--as NAME:PORT]
[--client PREFIX] [--trace FILE]``: docs/chaos.md."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from typing import Any

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

__all__ = ["COMMAND", "parse_address"]


def parse_address(text: str, option: str) -> tuple[str, int]:
    """``"127.0.0.1:8080"`` -> ``("127.0.0.1", 8080)``; ``ValueError`` naming ``option`` otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{option} {text!r}: expected HOST:PORT with a port from 0 to 65535")
    return host, int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.toml", help="scenario file whose [network] rules to apply")
    parser.add_argument("--listen", required=True, metavar="HOST:PORT", help="where the proxy listens (port 0: any)")
    parser.add_argument("--upstream", required=True, metavar="HOST:PORT", help="the real server to forward to")
    parser.add_argument("--seed", type=int, metavar="N", help="seed of the decisions (default: the file's)")
    parser.add_argument("--as", dest="as_name", metavar="NAME:PORT",
                        help="the scenario's name of the upstream (default: the one address the rules name)")
    parser.add_argument("--client", default="client", metavar="PREFIX",
                        help="name prefix of the client sockets, as the rules address them (default: client)")
    parser.add_argument("--trace", metavar="FILE", help="write every decision and socket call to FILE")


def _rules(args: argparse.Namespace) -> Any:
    """The scenario's rules for this proxy; InputError (file, line, key) when they are wrong."""
    from loopsim.harness.chaos_rules import ChaosRuleError, ChaosRules
    from loopsim.harness.scenario import ScenarioError, parse_scenario
    from loopsim.harness.toml_locations import KeyLines

    try:
        with open(args.file, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(args.file, None, "<file>", f"cannot read it: {exc}") from None
    sc = parse_scenario(text, args.file)  # the driver's code is not imported: chaos needs only [network]
    if sc.network is None:
        raise ScenarioError(args.file, None, "network", "chaos applies a scenario's [network] rules; this file has "
                                                        "only a [[script]]")
    if args.as_name is not None:
        parse_address(args.as_name, "--as")
    seed = sc.seed if args.seed is None else args.seed
    try:
        return ChaosRules.from_rows(sc.network, args.as_name, client=args.client, seed=seed)
    except ChaosRuleError as exc:
        raise ScenarioError(args.file, KeyLines(text).line(exc.key), str(exc).split(": ", 1)[0],
                            exc.problem) from None


def run(args: argparse.Namespace) -> int:
    from loopsim.harness.chaos_proxy import ChaosProxy
    from loopsim.loop.errors import InputError, LoopsimError

    try:
        listen = parse_address(args.listen, "--listen")
        upstream = parse_address(args.upstream, "--upstream")
        rules = _rules(args)
    except (InputError, ValueError) as exc:
        print(f"loopsim chaos: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.trace and not os.path.isdir(os.path.dirname(args.trace) or "."):
        print(f"loopsim chaos: --trace {args.trace}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    trace = open(args.trace, "w", encoding="utf-8") if args.trace else None
    try:
        proxy = ChaosProxy(rules, listen, upstream, trace)
        try:
            host, port = proxy.open()
        except OSError as exc:
            print(f"loopsim chaos: --listen {args.listen}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"loopsim chaos: listening on {host}:{port} as {rules.upstream}, forwarding to "
              f"{upstream[0]}:{upstream[1]} (seed {rules.seed})", flush=True)
        for line in rules.describe():
            print(f"  {line}", file=sys.stderr)
        try:
            _serve_until_signal(proxy)
        except LoopsimError as exc:
            print(f"loopsim chaos: the proxy stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        print(f"loopsim chaos: stopped after {proxy.connections} connection(s)", flush=True)
        return EXIT_OK
    finally:
        if trace is not None:
            trace.close()


def _serve_until_signal(proxy: Any) -> None:
    """Run the proxy until SIGINT or SIGTERM (a wake-up byte on a socket pair ends its loop)."""
    wake, stop = socket.socketpair()
    wake.setblocking(False)
    stop.setblocking(False)
    in_main = threading.current_thread() is threading.main_thread()
    saved: dict[int, Any] = {}
    old_fd = -1
    try:
        if in_main:
            old_fd = signal.set_wakeup_fd(wake.fileno())
            for signum in (int(signal.SIGINT), int(signal.SIGTERM)):
                saved[signum] = signal.signal(signum, _note_signal)
        proxy.run(stop)
    finally:
        if in_main:
            signal.set_wakeup_fd(old_fd)
            for signum, handler in saved.items():
                signal.signal(signum, handler)
        wake.close()
        stop.close()


def _note_signal(signum: int, frame: Any) -> None:
    """The Python-level handler: nothing to do, the wake-up byte stops the loop."""


COMMAND = Command(
    name="chaos", help="a live loopback proxy that applies a scenario's [network] rules and faults",
    description="Listen on --listen as the scenario's upstream (server2:80) and forward every connection to the "
                "real --upstream, applying the file's [network] rules live: latency, jitter and bandwidth, per-call "
                "send/recv sizes (segments), buffer sizes, reset and half-close after N bytes or at a time, refuse, "
                "black hole. Seeded; --trace logs every decision. Stops on Ctrl-C or SIGTERM, closing every socket.",
    add_arguments=add_arguments, run=run)
