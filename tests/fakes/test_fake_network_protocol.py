"""fakes.Network: the simulated, replayed and live networks each offer every member of the protocol."""

from __future__ import annotations

import inspect

import pytest

import fakes
from fakes.live import LiveNetwork

# The protocol's members, read from its declaration (attributes, properties and methods).
MEMBERS = sorted({name for name in vars(fakes.Network) if not name.startswith("_")}
                 | set(fakes.Network.__annotations__))
METHODS = sorted(name for name in MEMBERS if inspect.isfunction(vars(fakes.Network).get(name)))


def replayed() -> fakes.ReplayNetwork:
    net = fakes.FakeNetwork()
    net.socket("a").close()
    return fakes.ReplayNetwork(net.trace.events)


NETWORKS = {"simulated": fakes.FakeNetwork, "replayed": replayed, "live": LiveNetwork}


def test_the_protocol_declares_what_drivers_and_the_runner_use():
    assert MEMBERS == ["chooser", "clock", "config", "connect", "finish", "listen", "open_sockets", "selector",
                       "socket", "socket_factory", "trace"]


@pytest.mark.parametrize("make", NETWORKS.values(), ids=NETWORKS.keys())
def test_each_network_has_every_member_with_the_protocols_parameters(make):
    net = make()
    assert isinstance(net, fakes.Network)
    for name in MEMBERS:
        assert hasattr(net, name), name
    for name in METHODS:
        declared = list(inspect.signature(getattr(fakes.Network, name)).parameters)[1:]  # without self
        offered = inspect.signature(getattr(net, name)).parameters
        assert list(offered)[:len(declared)] == declared, name
        assert all(p.default is not inspect.Parameter.empty for p in list(offered.values())[len(declared):]), name
    assert isinstance(net.config, fakes.NetConfig)
    assert callable(net.clock.now)
    if make is not replayed:
        assert net.finish() is None
    net.selector().close()
    assert net.open_sockets() == []


def test_a_replay_finishing_early_reports_its_divergence():
    net = replayed()
    divergence = net.finish()
    assert isinstance(divergence, fakes.Divergence) and "never asked for" in str(divergence)
    net = replayed()
    net.socket("a").close()
    assert net.finish() is None
