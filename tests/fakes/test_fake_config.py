"""Configuration data: validated at construction, ConfigError names the field and the value."""

import pytest

from fakes import ConfigError, Endpoint, Fault, FakeNetwork, Link, NetConfig


def test_defaults():
    assert Link() == Link("*", 0.0, None, 0.0, 128)
    assert Endpoint() == Endpoint("*", None, None, None, None)
    assert NetConfig() == NetConfig((), (), ())


@pytest.mark.parametrize("make, key", [
    (lambda: Link(latency=-1), "Link.latency"),
    (lambda: Link(latency=float("nan")), "Link.latency"),
    (lambda: Link(latency="1"), "Link.latency"),
    (lambda: Link(bandwidth=0), "Link.bandwidth"),
    (lambda: Link(accept_delay=-0.5), "Link.accept_delay"),
    (lambda: Link(backlog=0), "Link.backlog"),
    (lambda: Link(backlog=True), "Link.backlog"),
    (lambda: Link(addr=""), "Link.addr"),
    (lambda: Endpoint(sndbuf=0), "Endpoint.sndbuf"),
    (lambda: Endpoint(rcvbuf=1.5), "Endpoint.rcvbuf"),
    (lambda: Endpoint(max_recv=0), "Endpoint.max_recv"),
    (lambda: Endpoint(max_send=(5, 2)), "Endpoint.max_send"),
    (lambda: Endpoint(max_send=(1, 2, 3)), "Endpoint.max_send"),
    (lambda: Endpoint(pattern=3), "Endpoint.pattern"),
    (lambda: Fault("explode", "x", at=1), "Fault.kind"),
    (lambda: Fault("reset", "x"), "Fault.at"),
    (lambda: Fault("reset", "x", at=1, after_bytes=2), "Fault.at"),
    (lambda: Fault("refuse", "x:1", after_bytes=2), "Fault.after_bytes"),
    (lambda: Fault("reset", "x", after_bytes=-1), "Fault.after_bytes"),
    (lambda: NetConfig(links=[Endpoint()]), "NetConfig.links"),
    (lambda: NetConfig(faults=3), "NetConfig.faults"),
    (lambda: FakeNetwork(config={"links": []}), "config"),
])
def test_bad_values_name_the_key_and_value(make, key):
    with pytest.raises(ConfigError) as info:
        make()
    assert info.value.key == key
    assert str(info.value).startswith(f"{key}=")
    assert isinstance(info.value, ValueError)


def test_sizes_and_sequences_are_normalised():
    assert Endpoint(max_recv=[1, 5]).max_recv == (1, 5)
    assert Endpoint(max_send=(4, 4)).max_send == 4
    config = NetConfig(links=[Link()], endpoints=Endpoint(), faults=[Fault("refuse", "x:1")])
    assert config.links == (Link(),) and config.endpoints == (Endpoint(),)
    assert config.faults == (Fault("refuse", "x:1"),)


def test_first_matching_link_applies():
    config = NetConfig(links=(Link("server2:80", latency=1.0), Link("*", latency=2.0)))
    assert config.link_for("server2:80").latency == 1.0
    assert config.link_for("other:1").latency == 2.0
    assert NetConfig().link_for("x:1") == Link()


def test_with_helpers_append():
    config = NetConfig().with_link(Link()).with_endpoint(Endpoint()).with_fault(Fault("refuse", "a:1"))
    assert (len(config.links), len(config.endpoints), len(config.faults)) == (1, 1, 1)
