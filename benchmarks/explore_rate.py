"""Exploration speed: explored runs per CPU second against the search before issue 11 and the bare session,
both in the same run, and CPU time to the naive proxy's first failure.

    python benchmarks/explore_rate.py [--seconds 5] [--seeds 5] [--before 24ad0c0] [--strategy random]

1. For each seed, runs ``loopsim explore``'s search (``loopsim.explore.explore``)
   over the correct proxy's session (``scenarios.drivers:proxy_world``, one
   client, the default request) with the ``delivered_intact`` property for
   ``--seconds`` of wall time, and reports explored runs per CPU second of this
   process (``time.process_time``: a loaded machine slows both the same way,
   and the ratio is what counts). Each run simulates the whole session in a
   world hypothesis drew, answering its choices from the strategy's schedule.
2. Peers in the same run, measured right after each seed's search so that all
   see the same machine:
   - the search before issue 11 (``--before``, a commit of this repository,
     default ``24ad0c0``, the last one before amortised search): the same
     seed's search with the same benchmark, in a fresh process whose
     ``PYTHONPATH`` is that commit's tree (``git archive`` into a temporary
     folder); a folder is used as it is (an older checkout, or a compiled
     build of one installed with ``pip install --target``); ``--before none``
     skips it;
   - the bare session: the same driver simulated without the search
     (``run_world`` on seeded ``FakeNetwork`` s), in runs per CPU second.
   Targets (issue 11): explore / before >= 3, and explore / bare >= 0.5
   (within 2x of the bare session).
3. For the seed's naive proxy, the CPU seconds (and runs, worlds) until the
   search first sees a failure of ``delivered_intact``, for each seed.

Runs on any loopsim that has ``loopsim.explore.explore``: the peer process is
this script with ``--rate-only`` on the older tree (strategy options are passed
only when given).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the bundled drivers (scenarios/ is not installed); an installed loopsim wins

import fakes  # noqa: E402
from loopsim.explore import explore  # noqa: E402
from loopsim.harness.runner import run_world  # noqa: E402
from scenarios.drivers import delivered_intact, proxy_world  # noqa: E402

ARGS = {"session_timeout": 30.0, "client_timeout": 60.0}
BEFORE_REF = "24ad0c0"  # the last commit before issue 11's amortised search


def bare_rate(cpu_seconds: float, first_seed: int) -> float:
    """Runs per CPU second of the bare session: ``run_world`` on ``FakeNetwork(seed=n)``, no search."""
    n = 0
    start = time.process_time()
    while time.process_time() - start < cpu_seconds:
        run_world(proxy_world, ARGS, fakes.FakeNetwork(seed=first_seed + n, trace=False), "bare")
        n += 1
    return n / (time.process_time() - start)


def search_rate(seed: int, seconds: float, extra: dict[str, object]) -> tuple[float, int, int, float, float]:
    """The correct proxy's search for ``seconds``: (runs per CPU second, runs, worlds, CPU s, wall s)."""
    cpu = time.process_time()
    report = explore(proxy_world, {"app": "proxy", **ARGS}, properties=[delivered_intact],
                     budget=seconds, seed=seed, database=None, **extra)
    cpu = time.process_time() - cpu
    assert not report.findings, report.summary()
    worlds = getattr(report, "worlds", 0) or report.runs
    return report.runs / cpu, report.runs, worlds, cpu, report.elapsed


def before_tree(ref: str) -> Path:
    """``ref``'s tree of this repository, extracted into a temporary folder (``git archive``)."""
    try:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], check=True,
                             capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        raise SystemExit(f"explore_rate: --before {ref}: cannot read that commit with git archive "
                         f"({err.decode(errors='replace').strip() or exc}); give another commit or --before none")
    folder = Path(tempfile.mkdtemp(prefix=f"loopsim-{ref}-"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def before_rate(tree: Path, seed: int, seconds: float) -> float:
    """Runs per CPU second of the older tree's search of the same seed, in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--rate-only", "--seed", str(seed),
                          "--seconds", str(seconds)], env=env, check=True, capture_output=True, text=True,
                         cwd=str(tree)).stdout
    line = [row for row in out.splitlines() if row.startswith("RATE ")][-1]
    _, rate, origin = line.split(" ", 2)
    if not origin.startswith(str(tree)):
        raise SystemExit(f"explore_rate: the peer process imported loopsim from {origin}, not from {tree}")
    return float(rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="search wall time per seed (default 5)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    parser.add_argument("--before", default=BEFORE_REF,
                        help=f"the commit (or folder) whose search is the peer (default {BEFORE_REF}); none: no peer")
    parser.add_argument("--strategy", default=None, help="random, pct or swarm (default: explore's default)")
    parser.add_argument("--schedules", type=int, default=None, help="schedules per world (default: explore's)")
    parser.add_argument("--worlds", type=int, default=None, help="worlds per example (default: explore's)")
    parser.add_argument("--rate-only", action="store_true", help=argparse.SUPPRESS)  # the peer process
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    extra: dict[str, object] = {}
    if opts.strategy is not None:
        extra["strategy"] = opts.strategy
    if opts.schedules is not None:
        extra["schedules"] = opts.schedules
    if opts.worlds is not None:
        extra["worlds_per_example"] = opts.worlds
    if opts.rate_only:
        import loopsim

        print(f"RATE {search_rate(opts.seed, opts.seconds, extra)[0]} {Path(loopsim.__file__).resolve()}")
        return 0

    if opts.before.lower() == "none":
        tree = None
    elif Path(opts.before).is_dir():  # a tree, or an installed build (`pip install --target DIR`), as it is
        tree = Path(opts.before).resolve()
    else:
        tree = before_tree(opts.before)
    rates, befores, bares = [], [], []
    for seed in range(opts.seeds):
        rate, runs, worlds, cpu, wall = search_rate(seed, opts.seconds, extra)
        rates.append(rate)
        peer = ""
        if tree is not None:
            befores.append(before_rate(tree, seed, opts.seconds))
            peer = f"; before ({opts.before}) {befores[-1]:.0f} runs/CPU-s = {rate / befores[-1]:.2f}x"
        bares.append(bare_rate(min(2.0, opts.seconds / 2), seed * 100_000))
        print(f"seed {seed}: correct proxy, {runs} runs in {worlds} worlds, {cpu:.2f} CPU s ({wall:.2f}s wall) = "
              f"{rate:.0f} runs/CPU-s{peer}; bare session {bares[-1]:.0f} runs/CPU-s", flush=True)

    firsts = []
    unit = "CPU s"
    for seed in range(opts.seeds):
        cpu = time.process_time()
        report = explore(proxy_world, {"app": "naive", **ARGS}, properties=[delivered_intact],
                         budget=60.0, seed=seed, database=None, **extra)
        assert report.first_failure_after is not None, f"seed {seed}: no failure found in 60 s"
        first_cpu = getattr(report, "first_failure_cpu", None)
        if first_cpu is None:  # a loopsim without it: the wall time is all there is
            first_cpu, unit = report.first_failure_after, "s wall"
        firsts.append(first_cpu)
        worlds = getattr(report, "first_failure_worlds", None)
        print(f"seed {seed}: naive proxy, first failure after {first_cpu:.3f} {unit} ({report.first_failure_runs} runs"
              f"{f', {worlds} worlds' if worlds else ''}); shrunk and done in {time.process_time() - cpu:.2f} CPU s",
              flush=True)

    rate, bare = statistics.median(rates), statistics.median(bares)
    versus = ""
    if befores:
        ratios = [r / b for r, b in zip(rates, befores)]
        versus = (f"before ({opts.before}) median {statistics.median(befores):.0f}: explore/before median "
                  f"{statistics.median(ratios):.2f}x, seeds {min(ratios):.2f} to {max(ratios):.2f} (target >= 3); ")
    print(f"SUMMARY explore_rate: median {rate:.0f} runs/CPU-s explored; {versus}"
          f"bare session {bare:.0f} runs/CPU-s, explore/bare = {rate / bare:.2f} (target >= 0.5); naive proxy's "
          f"first failure: median {statistics.median(firsts):.3f}, max {max(firsts):.3f} {unit} over {len(firsts)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
