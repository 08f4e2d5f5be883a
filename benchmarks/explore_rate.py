"""Exploration speed: explored runs per second on the proxy session, and time to the naive proxy's first failure.

    python benchmarks/explore_rate.py [--seconds 5] [--seeds 5]

1. Runs ``loopsim explore``'s search (``loopsim.explore.explore``) over the
   correct proxy's session (``scenarios.drivers:proxy_world``, one client, the
   default request) with the ``delivered_intact`` property for ``--seconds``
   per seed, and reports explored runs per second (each run: hypothesis draws
   a world - network configuration, faults, every run-time choice - and the
   whole session is simulated in it). Target: >= 1000 runs/s.
2. For the seed's naive proxy, the wall time until the search first sees a
   failure of ``delivered_intact`` (before shrinking), for each seed. Target:
   < 5 s for every seed.

Peer in the same run: the same session simulated without hypothesis (plain
seeded FakeNetwork runs), to show how much of a run's cost is the search.
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


def bare_rate(seconds: float) -> float:
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        run_world(proxy_world, ARGS, fakes.FakeNetwork(seed=n, trace=False), "bare")
        n += 1
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="search time per seed (default 5)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    opts = parser.parse_args(argv)

    rates = []
    for seed in range(opts.seeds):
        report = explore(proxy_world, {"app": "proxy", **ARGS}, properties=[delivered_intact],
                         budget=opts.seconds, seed=seed, database=None)
        assert not report.findings, report.summary()
        rates.append(report.rate)
        print(f"seed {seed}: correct proxy, {report.runs} runs in {report.elapsed:.2f}s = {report.rate:.0f} runs/s")
    bare = bare_rate(opts.seconds)
    print(f"peer: the same session without the search: {bare:.0f} runs/s")

    firsts = []
    for seed in range(opts.seeds):
        report = explore(proxy_world, {"app": "naive", **ARGS}, properties=[delivered_intact],
                         budget=60.0, seed=seed, database=None)
        assert report.first_failure_after is not None, f"seed {seed}: no failure found in 60 s"
        firsts.append(report.first_failure_after)
        print(f"seed {seed}: naive proxy, first failure after {report.first_failure_after:.3f}s "
              f"({report.first_failure_runs} runs); shrunk and done in {report.elapsed:.2f}s")

    median_rate = statistics.median(rates)
    print(f"SUMMARY explore_rate: median {median_rate:.0f} runs/s explored (target >= 1000), "
          f"search/bare = {median_rate / bare:.2f}; naive proxy's first failure: "
          f"max {max(firsts):.3f}s over {len(firsts)} seeds (target < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
