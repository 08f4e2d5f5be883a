"""The world distribution's census: what the worlds ``loopsim explore`` draws hold, counted.

    python benchmarks/world_census.py [--worlds 4000] [--swarm] [--driver scenarios.drivers:proxy_world]
    python benchmarks/world_census.py --bugs [--runs 1000]

Draws ``--worlds`` network configurations as explore does (hypothesis's
generation phase, in seeded chunks of 100), in the driver's generic world
(its listening addresses and socket names as explore discovers them, and
the addresses it declares it serves), and prints the share of each kind of
setting, the settings that cannot take effect, the connect faults on each
address, and how often kinds come up together (see docs/explore.md, "The
world distribution"; tests/harness/test_world_census.py pins the figures).

With ``--bugs``: for the bundled bugs (the naive proxy's partial send, spin
and unhandled refusal; the racy ticket server's ordering bug), how many runs
the search needs to its first failure (before shrinking), with and without
swarm, for seeds 0-4 (``-`` = not within ``--runs``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the bundled drivers (scenarios/ is not installed)

from loopsim.harness.callables import import_spec  # noqa: E402
from loopsim.harness.explore import discover  # noqa: E402
from loopsim.harness.strategies import served_addresses, setting_kinds, world_configs, worlds  # noqa: E402
from loopsim.harness.world_census import Census, draw_configs, settings_of  # noqa: E402

TRIPLE = ("sndbuf", "max_recv", "rcvbuf")


class _Found(Exception):
    pass


def runs_to_failure(driver: Any, args: dict[str, Any], prop: Any, swarm: bool, seed: int, limit: int) -> int | None:
    """Runs of the search (hypothesis's generation, chunks of 100 as explore seeds them) to the first failure."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hyp_seed

    addrs, patterns = discover(driver, args)
    strategy = worlds(addrs, patterns, serves=served_addresses(driver), swarm=swarm)
    runs = [0]

    def check(world: Any) -> None:
        runs[0] += 1
        if prop(world.run(driver, args)):
            raise _Found()

    chunk = 0
    while runs[0] < limit:
        test = settings(max_examples=100, database=None, deadline=None, phases=(Phase.generate,),
                        suppress_health_check=list(HealthCheck))(hyp_seed(seed * 1_000_003 + chunk)(given(strategy)(check)))
        try:
            test()
        except _Found:
            return runs[0]
        chunk += 1
    return None


def bugs(limit: int) -> None:
    from loopsim.outcome import no_task_died, terminates
    from scenarios.drivers import delivered_intact, proxy_world, racy_world

    cases = [("naive proxy: partial send", proxy_world, {"app": "naive", "size": 3000}, delivered_intact),
             ("naive proxy: spin", proxy_world, {"app": "naive"}, terminates),
             ("naive proxy: refused connect", proxy_world, {"app": "naive"}, no_task_died),
             ("racy tickets: order", racy_world, {}, delivered_intact)]
    for name, driver, args, prop in cases:
        for swarm in (False, True):
            found = [runs_to_failure(driver, args, prop, swarm, seed, limit) for seed in range(5)]
            shown = ", ".join("-" if n is None else str(n) for n in found)
            print(f"{name:<30} swarm={swarm!s:<5} runs to the first failure, seeds 0-4: {shown}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=4000)
    parser.add_argument("--swarm", action="store_true", help="swarm testing (worlds(..., swarm=True))")
    parser.add_argument("--driver", default="scenarios.drivers:proxy_world")
    parser.add_argument("--max-faults", type=int, default=1)
    parser.add_argument("--bugs", action="store_true", help="runs to the first failure of the bundled bugs")
    parser.add_argument("--runs", type=int, default=1000, help="with --bugs: give up after this many runs")
    opts = parser.parse_args(argv)
    if opts.bugs:
        bugs(opts.runs)
        return 0

    driver = import_spec(opts.driver, "driver")
    addrs, patterns = discover(driver, {})
    serves = served_addresses(driver)
    start = time.perf_counter()
    configs = draw_configs(world_configs(addrs, patterns, max_faults=opts.max_faults, serves=serves,
                                         swarm=opts.swarm), opts.worlds)
    took = time.perf_counter() - start
    census = Census(listeners=addrs, serves=serves).add_all(configs)
    print(f"{opts.driver}: addresses {addrs}, socket names {patterns}, serves {list(serves)}; "
          f"swarm={opts.swarm}, max_faults={opts.max_faults}; drawn in {took:.1f}s")
    print(census.table(setting_kinds()))
    triple = sum(1 for c in configs if set(TRIPLE) <= {s.kind for s in settings_of(c)})
    print(f"worlds with {' + '.join(TRIPLE)}: {triple / len(configs):.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
