# loopsim.cli: the `loopsim` command line (argparse), main(argv=None) -> int.
# Owns: argument parsing and exit codes. Imports: the harness modules, lazily per command.
"""The ``loopsim`` command.

Exit codes: 0 success; 1 a failure was found (a scenario failed or diverged
from its script, a demo lost data); 2 bad usage or bad input (unknown option,
unreadable or invalid scenario file, unknown app).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

# The demo is one of the bundled example apps, named by string: the package never imports scenarios.
DEMO = "scenarios.demo:run_demo"


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

    replay = sub.add_parser("replay", help="run scenario files and report each",
                            description="Run each scenario file (simulated from its seed, or strictly replayed "
                                        "from its script) and check its expectations.")
    replay.add_argument("files", nargs="+", metavar="FILE", help="scenario files (.toml)")
    replay.add_argument("--trace", action="store_true", help="print the whole trace of each run")

    gate = sub.add_parser("gate", help="run every scenario under DIR: table, JUnit XML, exit 1 on any failure",
                          description="The regression gate: run every scenario file under DIR, print a table "
                                      "(scenario, result, virtual time, wall time), optionally write JUnit XML. "
                                      "Exit 1 on any failure or divergence, 2 on a bad scenario file.")
    gate.add_argument("dir", nargs="?", default="scenarios", metavar="DIR", help="directory (default: scenarios)")
    gate.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")

    record = sub.add_parser("record", help="run an app live on loopback and save the run as a scenario",
                            description="Run DRIVER (module:function) on real loopback sockets through a "
                                        "recording selector and recording sockets, and write a scenario whose "
                                        "script strict replay reproduces on the fakes.")
    record.add_argument("--out", required=True, metavar="FILE", help="scenario file to write")
    record.add_argument("--name", help="scenario name (default: the file name)")
    record.add_argument("target", nargs="+", metavar="DRIVER [KEY=VALUE ...]",
                        help="module:function, then its arguments as KEY=VALUE (VALUE in TOML syntax)")

    explore = sub.add_parser(
        "explore", help="search simulated worlds for failures of properties, shrink them, save as scenarios",
        description="Search network configurations, faults and readiness orders (hypothesis) for a world where "
                    "DRIVER breaks a property; shrink each failure and write it as a scenario that "
                    "`loopsim replay` reproduces. Exit 1 if a failure was found.")
    explore.add_argument("target", nargs="+", metavar="DRIVER [KEY=VALUE ...]",
                         help="module:function(net, **args), then its arguments as KEY=VALUE (VALUE in TOML syntax)")
    explore.add_argument("--property", action="append", dest="properties", metavar="PROP",
                         help="terminates, no_task_died, delivered_intact, all_sockets_closed, "
                              "finished_within(SECONDS) or module:function; repeat for several "
                              "(default: the first four)")
    explore.add_argument("--budget", type=float, default=10.0, metavar="SECONDS",
                         help="stop after this much wall time (default 10)")
    explore.add_argument("--examples", type=int, default=None, metavar="N",
                         help="stop after N examples (deterministic for a given seed and shard)")
    explore.add_argument("--seed", type=int, default=0, help="search seed (default 0)")
    explore.add_argument("--shard", default="1/1", metavar="K/N", help="run shard K of N (default 1/1)")
    explore.add_argument("--out", default="found", metavar="DIR", help="write failures here (default: found)")
    explore.add_argument("--db", default=None, metavar="DIR|redis://HOST:PORT|none",
                         help="hypothesis example database (default: .hypothesis/loopsim)")
    explore.add_argument("--max-faults", type=int, default=1, metavar="N", help="faults per world (default 1)")
    explore.add_argument("--quiet", action="store_true", help="no progress line")
    return parser


def _cmd_explore(args: argparse.Namespace) -> int:
    from loopsim.loop.errors import InputError
    from loopsim.harness.explore import example_database, explore, parse_shard
    from loopsim.harness.outcome import parse_property
    from loopsim.harness.callables import import_spec

    spec, *rest = args.target
    try:
        kwargs = _parse_kv(rest)
        driver = import_spec(spec, "app")
        props = [parse_property(p) for p in (args.properties or [])]
        shard = parse_shard(args.shard)
        db = example_database(args.db)
        if args.budget <= 0 or (args.examples is not None and args.examples < 1):
            raise InputError("--budget must be > 0 and --examples >= 1")
        report = explore(driver, kwargs, properties=props, driver_spec=spec, budget=args.budget,
                         max_examples=args.examples, seed=args.seed, shard=shard, database=db,
                         out_dir=args.out, max_faults=args.max_faults,
                         progress=None if args.quiet else sys.stderr)
    except (InputError, ValueError) as exc:
        print(f"loopsim explore: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(report.summary())
    return EXIT_FAILURE if report.findings else EXIT_OK


def _cmd_replay(args: argparse.Namespace) -> int:
    from loopsim.loop.errors import InputError
    from loopsim.harness.runner import run_scenario
    from loopsim.harness.scenario import load_scenario

    worst = EXIT_OK
    for path in args.files:
        try:
            result = run_scenario(load_scenario(path))
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
    return worst


def _cmd_gate(args: argparse.Namespace) -> int:
    import os

    from loopsim.harness.gate import find_scenarios, format_table, run_files, write_junit

    if not os.path.exists(args.dir):
        print(f"loopsim gate: {args.dir}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    paths = find_scenarios(args.dir)
    if not paths:
        print(f"loopsim gate: {args.dir}: no scenario files (*.toml with format = \"loopsim-scenario/1\")",
              file=sys.stderr)
        return EXIT_USAGE
    rows = run_files(paths)
    print(format_table(rows))
    for row in rows:
        if row.status != "pass":
            print("\n" + row.detail, file=sys.stderr)
    if args.junit:
        write_junit(rows, args.junit)
        print(f"JUnit XML written to {args.junit}")
    if any(r.status == "error" for r in rows):
        return EXIT_USAGE
    return EXIT_FAILURE if any(r.status != "pass" for r in rows) else EXIT_OK


def _current_directory_first() -> None:
    """Put the current directory first on ``sys.path``, as ``python -m`` does, so that the
    ``module:function`` a scenario file or an argument names (``scenarios.drivers:proxy_world``,
    a user's ``my_drivers:world``) imports from where the command runs. A console script's
    ``sys.path`` starts at its own ``bin/`` folder instead."""
    import os

    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _parse_kv(items: list[str]) -> dict[str, object]:
    import tomllib

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


def _cmd_record(args: argparse.Namespace) -> int:
    from loopsim.loop.errors import InputError
    from loopsim.harness.record import record_scenario

    driver, *rest = args.target
    try:
        kwargs = _parse_kv(rest)
        written = record_scenario(driver, kwargs, args.out, name=args.name)
    except (InputError, ValueError) as exc:
        print(f"loopsim record: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"recorded {written.steps} steps to {args.out}; replay: {written.replay_status}")
    return EXIT_OK if written.replay_status == "pass" else EXIT_FAILURE


def _cmd_demo(args: argparse.Namespace) -> int:
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
    commands = {"demo": _cmd_demo, "replay": _cmd_replay, "gate": _cmd_gate, "record": _cmd_record,
                "explore": _cmd_explore}
    return commands[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
