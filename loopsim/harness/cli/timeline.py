# loopsim.harness.cli.timeline: `loopsim timeline FILE --out F.html` - a picture of one run (HTML or Perfetto JSON).
# Owns: COMMAND (its options and run), write_timeline. Imports: stdlib, loopsim.harness.cli; lazily
# loopsim.harness.{scenario,timeline,timeline_html,timeline_perfetto}.
"""``loopsim timeline FILE --out OUT [--format html|perfetto] [--strict] [--seed N] [--axis steps|time]``."""

from __future__ import annotations

import argparse
import os
import sys

from . import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Command

__all__ = ["COMMAND", "FORMATS", "write_timeline"]

FORMATS = ("html", "perfetto")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.toml)")
    parser.add_argument("--out", required=True, metavar="OUT", help="file to write (.html, or .json for perfetto)")
    parser.add_argument("--format", choices=FORMATS, default="html",
                        help="html: one self-contained page (default); perfetto: Chrome trace event JSON for "
                             "ui.perfetto.dev or chrome://tracing")
    parser.add_argument("--strict", action="store_true", help="replay the file's [[script]] (the exact run)")
    parser.add_argument("--seed", type=int, default=None, help="run the world with this seed instead of its own")
    parser.add_argument("--axis", choices=("steps", "time"), default="steps",
                        help="perfetto's clock: one microsecond per step (default) or virtual time")


def write_timeline(path: str, out: str, fmt: str = "html", strict: bool = False, seed: int | None = None,
                   axis: str = "steps") -> str:
    """Run the scenario at ``path`` and write its timeline to ``out``; return the run's status.

    Raises ``InputError`` for a bad file, ``OSError`` when ``out`` cannot be written.
    """
    from loopsim.harness.scenario import load_scenario
    from loopsim.harness.timeline import timeline_for_scenario

    tl = timeline_for_scenario(load_scenario(path), strict=strict, seed=seed)
    if fmt == "perfetto":
        from loopsim.harness.timeline_perfetto import render_perfetto

        text = render_perfetto(tl, axis)
    else:
        from loopsim.harness.timeline_html import render_html

        text = render_html(tl)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(text)
    return tl.status


def run(args: argparse.Namespace) -> int:
    from loopsim.loop.errors import InputError

    folder = os.path.dirname(args.out) or "."
    if not os.path.isdir(folder):  # checked before running, not after
        print(f"loopsim timeline: --out {args.out}: no such folder {folder!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        status = write_timeline(args.file, args.out, args.format, args.strict, args.seed, args.axis)
    except InputError as exc:
        print(f"loopsim timeline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"loopsim timeline: --out {args.out}: cannot write it: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.file}: {status}; timeline written to {args.out}")
    return EXIT_OK if status == "pass" else EXIT_FAILURE


COMMAND = Command(
    name="timeline", help="draw one run: a lane per task and per socket over its steps (HTML or Perfetto JSON)",
    description="Run a scenario file (its world, or --strict its script) and write one self-contained HTML page "
                "showing each task's running / waiting / end, each socket's calls and answers and bytes in flight, "
                "the select decisions, the faults and a divergence; or, --format perfetto, Chrome trace event "
                "JSON. Exit 1 if the run failed or diverged (the picture is written all the same).",
    add_arguments=add_arguments, run=run)
