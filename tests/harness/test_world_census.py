"""The census of drawn worlds pins the world distribution (docs/explore.md, "The world distribution").

In the generic world of the bundled proxy (server2, the proxy, a client), as
``loopsim explore`` discovers it: every kind of setting equally likely, no
buffer, limit or connection fault aimed at a listening socket, no connect
fault on the address the driver serves, the upstream's refusal and black hole
common, and swarm testing making combinations of kinds common. A small census
runs by default; ``tox -e slow`` runs a larger one with tighter bounds.
"""

from __future__ import annotations

import pytest

import fakes
from loopsim.harness.explore import discover
from loopsim.harness.strategies import served_addresses, setting_kinds, world_configs
from loopsim.harness.world_census import Census, draw_configs, settings_of
from scenarios.drivers import proxy_world

ADDRS, PATTERNS = discover(proxy_world, {})
SERVES = served_addresses(proxy_world)
KINDS = setting_kinds()
FAULTS = tuple(fakes.FAULT_KINDS)
TRIPLE = {"sndbuf", "rcvbuf", "max_recv"}


def census(count: int, *, swarm: bool, max_faults: int, seed: int = 0) -> tuple[Census, list[fakes.NetConfig]]:
    configs = draw_configs(world_configs(ADDRS, PATTERNS, max_faults=max_faults, serves=SERVES, swarm=swarm),
                           count, seed=seed)
    return Census(listeners=ADDRS, serves=SERVES).add_all(configs), configs


def with_all(kinds: set[str], configs: list[fakes.NetConfig]) -> float:
    return sum(1 for c in configs if kinds <= {s.kind for s in settings_of(c)}) / len(configs)


def check_shares(c: Census, kinds: tuple[str, ...], low: float, high: float) -> None:
    """Each of ``kinds`` has a share of the settings of those kinds between low and high times 1/len(kinds)."""
    total = sum(c.kinds.get(k, 0) for k in kinds)
    shares = {k: c.kinds.get(k, 0) / total * len(kinds) for k in kinds}
    assert all(low <= share <= high for share in shares.values()), shares


def mean_pair(c: Census) -> float:
    """How often two given kinds come up in one world, on average over the pairs of kinds."""
    pairs = [c.rate(c.together.get((a, b), 0)) for i, a in enumerate(sorted(KINDS)) for b in sorted(KINDS)[i + 1:]]
    return sum(pairs) / len(pairs)


def check_aims(c: Census, configs: list[fakes.NetConfig]) -> None:
    assert c.no_effect == 0 and c.on_served == 0
    for config in configs:
        for s in settings_of(config):
            assert s.target not in ADDRS or s.kind in ("latency", "accept_delay", "bandwidth", *FAULTS), s
            assert s.target != "proxy:8080" or s.kind not in ("refuse", "black_hole"), s


def test_the_census_sees_a_setting_without_effect_and_a_fault_on_the_served_address():
    c = Census(listeners=ADDRS, serves=SERVES)
    c.add(fakes.NetConfig(endpoints=(fakes.Endpoint("proxy:8080", max_send=3),),
                          faults=(fakes.Fault("black_hole", "proxy:8080"),)))
    c.add(fakes.NetConfig(links=(fakes.Link("server2:80", latency=0.01),),
                          endpoints=(fakes.Endpoint("proxy#*", max_send=3),)))
    assert (c.worlds, c.settings, c.no_effect, c.on_served) == (2, 4, 1, 1)
    assert c.share("max_send") == 0.5 and c.together[("latency", "max_send")] == 1
    assert "black_hole on proxy:8080: 50.0%" in c.table(KINDS)


def test_every_kind_is_equally_likely_and_aimed_where_it_takes_effect():
    c, configs = census(400, swarm=False, max_faults=3)
    check_shares(c, KINDS, 0.4, 1.8)
    check_aims(c, configs)
    assert c.rate(c.aimed[("black_hole", "server2:80")]) > 0.05 and c.rate(c.aimed[("refuse", "server2:80")]) > 0.05
    assert mean_pair(c) < 0.02  # two given kinds together: rare without swarm


def test_swarm_brings_kinds_together():
    c, configs = census(400, swarm=True, max_faults=len(FAULTS))
    check_shares(c, KINDS, 0.4, 1.8)
    check_aims(c, configs)
    # each kind is on in about a fifth of the worlds (a quarter of the draws, and hypothesis draws many empty
    # worlds): two given kinds together in about 1/25 of the worlds, three in about 1/100
    assert all(0.08 <= c.rate(c.worlds_with[kind]) <= 0.4 for kind in KINDS)
    assert mean_pair(c) >= 0.025


@pytest.mark.slow
@pytest.mark.parametrize("swarm", [False, True])
def test_the_large_census(swarm):
    c, configs = census(4000, swarm=swarm, max_faults=3 if not swarm else len(FAULTS), seed=1)
    check_shares(c, KINDS, 0.7, 1.35)
    check_aims(c, configs)
    pairs = [c.rate(c.together.get((a, b), 0)) for i, a in enumerate(sorted(KINDS)) for b in sorted(KINDS)[i + 1:]]
    if swarm:
        assert 0.005 <= with_all(TRIPLE, configs) <= 0.03 and min(pairs) >= 0.02
    else:
        assert with_all(TRIPLE, configs) < 0.003


@pytest.mark.slow
def test_with_one_fault_a_world_the_fault_kinds_stay_alike():
    for swarm in (False, True):
        c, configs = census(3000, swarm=swarm, max_faults=1, seed=2)
        check_shares(c, FAULTS, 0.7, 1.35)
        check_shares(c, KINDS[:7], 0.7, 1.35)
        assert all(len(config.faults) <= 1 for config in configs)
