"""Exploration speed: explored runs per CPU second against the bare session's, and CPU time to the naive proxy's
first failure.

    python benchmarks/explore_rate.py [--seconds 5] [--seeds 5] [--strategy random]

1. For each seed, runs ``loopsim explore``'s search (``loopsim.explore.explore``)
   over the correct proxy's session (``scenarios.drivers:proxy_world``, one
   client, the default request) with the ``delivered_intact`` property for
   ``--seconds`` of wall time, and reports explored runs per CPU second of this
   process (``time.process_time``: a loaded machine slows both the same way,
   and the ratio is what counts). Each run simulates the whole session in a
   world hypothesis drew, answering its choices from the strategy's schedule.
2. Peer in the same run, measured between the seeds so that both see the
   same machine: the bare session, the same driver simulated without the
   search (``run_world`` on seeded ``FakeNetwork`` s), in runs per CPU second.
   Targets: explore >= 3x 294 runs/CPU-s (the rate before amortisation, issue
   11), and explore / bare >= 0.5.
3. For the seed's naive proxy, the CPU seconds (and runs, worlds) until the
   search first sees a failure of ``delivered_intact``, for each seed.

Runs on any loopsim that has ``loopsim.explore.explore``: point ``PYTHONPATH``
at another checkout to measure its code with the same benchmark (strategy
options are passed only when given).
"""

from __future__ import annotations

import argparse
import statistics
import sys
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
BEFORE = 294  # runs/CPU-s of explore before issue 11 (pure Python, the correct proxy's session)


def bare_rate(cpu_seconds: float, first_seed: int) -> float:
    """Runs per CPU second of the bare session: ``run_world`` on ``FakeNetwork(seed=n)``, no search."""
    n = 0
    start = time.process_time()
    while time.process_time() - start < cpu_seconds:
        run_world(proxy_world, ARGS, fakes.FakeNetwork(seed=first_seed + n, trace=False), "bare")
        n += 1
    return n / (time.process_time() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="search wall time per seed (default 5)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    parser.add_argument("--strategy", default=None, help="random, pct or swarm (default: explore's default)")
    parser.add_argument("--schedules", type=int, default=None, help="schedules per world (default: explore's)")
    parser.add_argument("--worlds", type=int, default=None, help="worlds per example (default: explore's)")
    opts = parser.parse_args(argv)
    extra: dict[str, object] = {}
    if opts.strategy is not None:
        extra["strategy"] = opts.strategy
    if opts.schedules is not None:
        extra["schedules"] = opts.schedules
    if opts.worlds is not None:
        extra["worlds_per_example"] = opts.worlds

    rates, bares = [], []
    for seed in range(opts.seeds):
        cpu = time.process_time()
        report = explore(proxy_world, {"app": "proxy", **ARGS}, properties=[delivered_intact],
                         budget=opts.seconds, seed=seed, database=None, **extra)
        cpu = time.process_time() - cpu
        assert not report.findings, report.summary()
        rates.append(report.runs / cpu)
        bares.append(bare_rate(min(2.0, opts.seconds / 2), seed * 100_000))
        worlds = getattr(report, "worlds", 0) or report.runs
        print(f"seed {seed}: correct proxy, {report.runs} runs in {worlds} worlds, {cpu:.2f} CPU s "
              f"({report.elapsed:.2f}s wall) = {rates[-1]:.0f} runs/CPU-s; bare session {bares[-1]:.0f} runs/CPU-s",
              flush=True)

    firsts = []
    for seed in range(opts.seeds):
        cpu = time.process_time()
        report = explore(proxy_world, {"app": "naive", **ARGS}, properties=[delivered_intact],
                         budget=60.0, seed=seed, database=None, **extra)
        assert report.first_failure_after is not None, f"seed {seed}: no failure found in 60 s"
        first_cpu = getattr(report, "first_failure_cpu", None)
        unit = "CPU s"
        if first_cpu is None:  # a loopsim without it: the wall time is all there is
            first_cpu, unit = report.first_failure_after, "s wall"
        firsts.append(first_cpu)
        worlds = getattr(report, "first_failure_worlds", None)
        print(f"seed {seed}: naive proxy, first failure after {first_cpu:.3f} {unit} ({report.first_failure_runs} runs"
              f"{f', {worlds} worlds' if worlds else ''}); shrunk and done in {time.process_time() - cpu:.2f} CPU s",
              flush=True)

    rate, bare = statistics.median(rates), statistics.median(bares)
    print(f"SUMMARY explore_rate: median {rate:.0f} runs/CPU-s explored = {rate / BEFORE:.1f}x {BEFORE} (target >= 3x); "
          f"bare session {bare:.0f} runs/CPU-s, explore/bare = {rate / bare:.2f} (target >= 0.5); naive proxy's "
          f"first failure: median {statistics.median(firsts):.3f}, max {max(firsts):.3f} {unit} over {len(firsts)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
