"""Adding a fault kind is one class: registered here, it is validated, fired and drawn by the strategies."""

from __future__ import annotations

import pytest
from hypothesis import find, settings

import fakes
from fakes.faults import DataFault, register, unregister
from loopsim import strategies as ls
from loopsim.harness.strategies import setting_kinds
from loopsim.harness.world_distribution import config_of as _config_of


class Garbage(DataFault):
    """server2 answers garbage: after the threshold, every byte the target sends is replaced by b"?"."""

    name = "garbage"
    summary = "after the threshold, the target's data is replaced by b'?'"

    def alter(self, data: bytes) -> bytes:
        return b"?" * len(data)


@pytest.fixture
def garbage():
    register(Garbage())
    try:
        yield
    finally:
        unregister("garbage")


def served(net: fakes.FakeNetwork, reply: bytes) -> bytes:
    """server2 sends ``reply`` to a client and closes; what the client reads."""
    server = net.listen(("server2", 80))
    client = net.connect(("server2", 80), name="client")
    conn, _ = server.accept()
    conn.setblocking(False)
    conn.sendall(reply)
    conn.close()
    data = b""
    while chunk := client.recv(1000):
        data += chunk
    client.close()
    server.close()
    return data


def test_a_registered_kind_is_validated_like_the_built_in_ones(garbage):
    assert "garbage" in fakes.FAULT_KINDS and fakes.FAULT_KINDS[-1] == "garbage"
    fakes.Fault("garbage", "server2:80<-*", after_bytes=3)
    fakes.Fault("garbage", "server2:80<-*", at=1.0)
    with pytest.raises(fakes.ConfigError) as info:
        fakes.Fault("garbage", "server2:80<-*")
    assert info.value.key == "Fault.at" and "'garbage' fault needs exactly one of at= or after_bytes=" in str(info.value)


def test_unregistered_it_is_unknown():
    assert "garbage" not in fakes.FAULT_KINDS
    with pytest.raises(fakes.ConfigError) as info:
        fakes.Fault("garbage", "x", after_bytes=3)
    assert info.value.key == "Fault.kind"


def test_it_fires_after_bytes_and_at_a_time(garbage):
    net = fakes.FakeNetwork()
    net.fault("garbage", "server2:80<-*", after_bytes=3)
    assert served(net, b"HELLO WORLD") == b"HEL????????"  # the send stops at the threshold, then it strikes

    net = fakes.FakeNetwork(config=fakes.NetConfig(faults=[fakes.Fault("garbage", "server2:80<-*", at=0.0)]))
    net.link("*", latency=0.0)
    server = net.listen(("server2", 80))
    client = net.connect(("server2", 80), name="client")
    conn, _ = server.accept()
    net.run_until_idle()  # the timed fault strikes the connected endpoints matching its target
    conn.send(b"abc")
    assert client.recv(10) == b"???"
    for sock in (client, conn, server):
        sock.close()


def test_the_strategies_draw_it(garbage):
    assert setting_kinds()[-1] == "garbage"
    config = _config_of([("garbage", "server2:80<-*", 0, 7)], max_faults=1)  # variant 0: its first trigger
    assert config.faults == (fakes.Fault("garbage", "server2:80<-*", after_bytes=7),)

    search = settings(max_examples=5000, database=None, deadline=None)
    fault = find(ls.faults(addrs=["server2:80"], patterns=["server2:80<-*"]), lambda f: f.kind == "garbage",
                 settings=search)
    assert fault.target == "server2:80<-*"
    config = find(ls.world_configs(addrs=["server2:80"], patterns=["server2:80<-*"], max_turns=1),
                  lambda c: any(f.kind == "garbage" for f in c.faults), settings=search)
    assert fakes.FakeNetwork(config=config).config == config


def test_a_kind_must_say_what_it_is():
    class Nameless(DataFault):
        def alter(self, data: bytes) -> bytes:
            return data

    with pytest.raises(ValueError, match="needs a new name"):
        register(Nameless())
    with pytest.raises(ValueError, match="needs a new name"):
        register(fakes.fault_kind("reset"))
    with pytest.raises(TypeError, match="a fault kind is"):
        register(object())  # type: ignore[arg-type]

    class Soon(DataFault):
        name = "soon"
        triggers = ("later",)

    with pytest.raises(ValueError, match="triggers must be some of"):
        register(Soon())
