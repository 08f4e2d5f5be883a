"""The world distribution's census: what the worlds ``loopsim explore`` draws hold, counted.

    python benchmarks/world_census.py [--worlds 4000] [--swarm] [--driver scenarios.drivers:proxy_world]

Draws ``--worlds`` network configurations as explore does (hypothesis's
generation phase, in seeded chunks of 100), in the driver's generic world
(its listening addresses and socket names as explore discovers them, and
the addresses it declares it serves), and prints the share of each kind of
setting, the settings that cannot take effect, the connect faults on each
address, and how often kinds come up together (see docs/explore.md, "The
world distribution"; tests/harness/test_world_census.py pins the figures).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # the bundled drivers (scenarios/ is not installed)

from loopsim.harness.callables import import_spec  # noqa: E402
from loopsim.harness.explore import discover  # noqa: E402
from loopsim.harness.strategies import served_addresses, setting_kinds, world_configs  # noqa: E402
from loopsim.harness.world_census import Census, draw_configs, settings_of  # noqa: E402

TRIPLE = ("sndbuf", "max_recv", "rcvbuf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=4000)
    parser.add_argument("--swarm", action="store_true", help="swarm testing (worlds(..., swarm=True))")
    parser.add_argument("--driver", default="scenarios.drivers:proxy_world")
    parser.add_argument("--max-faults", type=int, default=1)
    opts = parser.parse_args(argv)

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
