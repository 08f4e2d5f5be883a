"""The fakes' fast paths give exactly what their plain versions give.

RandomChooser draws reproducibly and uniformly; the selector registers
live fake sockets without its checks' calls;
FakeSocket looks family/type enums up in a table. None of it may change an answer.
"""

from __future__ import annotations

import selectors
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes import FakeNetwork, RandomChooser
from fakes.socket import FakeSocket


@settings(max_examples=200, deadline=None)
@given(seed=st.one_of(st.integers(), st.text(max_size=5), st.binary(max_size=5), st.booleans()),
       sizes=st.lists(st.one_of(st.integers(1, 40), st.sampled_from([2**31, 2**32 - 1, 2**32, 2**33 + 5, 2**60])),
                      max_size=30))
def test_random_chooser_is_reproducible_in_range_and_draws_nothing_for_one_option(seed, sizes) -> None:
    a, b = RandomChooser(seed), RandomChooser(seed)
    for n in sizes:
        before = a._state()
        got = a.index("select-order", n)
        assert 0 <= got < n and got == b.index("select-order", n)
        assert (a._state() == before) == (n == 1)
        lo = -n
        v = a.integer("recv-size", lo, lo + n - 1)
        assert lo <= v < lo + n and v == b.integer("recv-size", lo, lo + n - 1)


@pytest.mark.parametrize("n", [2, 3, 7, 2**32 + 1])
def test_random_chooser_is_uniform(n: int) -> None:
    """Each of the first few options comes up about equally often (a coarse chi-square bound)."""
    chooser = RandomChooser(12345)
    buckets = min(n, 7)
    draws = 7000
    counts = [0] * buckets
    for _ in range(draws):
        counts[chooser.index("x", n) * buckets // n] += 1
    expected = draws / buckets
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    assert chi2 < 30, counts  # 6 degrees of freedom: p < 1e-4 by chance


def test_random_chooser_seeds_are_independent_and_typed() -> None:
    choosers = [RandomChooser(s) for s in range(50)]
    firsts = {tuple(c.index("x", 1000) for _ in range(3)) for c in choosers}
    assert len(firsts) == 50
    assert RandomChooser("abc").index("x", 10**6) != RandomChooser(b"abc").index("x", 10**6)
    with pytest.raises(TypeError, match="seed must be an int, str or bytes"):
        RandomChooser(1.5)  # type: ignore[arg-type]


def test_unknown_family_and_type_values_stay_ints() -> None:
    net = FakeNetwork()
    sock = FakeSocket(net, "odd", 99, family=12345, type=54321)
    assert sock.family == 12345 and type(sock.family) is int
    assert sock.type == 54321 and type(sock.type) is int
    sock = FakeSocket(net, "plain", 98)
    assert sock.family is socket.AF_INET and sock.type is socket.SOCK_STREAM


def test_register_outside_the_fast_path_checks_then_registers() -> None:
    class MySocket(FakeSocket):
        __slots__ = ()

    net = FakeNetwork()
    a, b = net.socketpair()
    sub = MySocket(net, "sub", 77)
    sub._ep = a._ep  # a subclass of FakeSocket takes the checked path
    sel = net.selector()
    key = sel.register(b, True)  # bool events take the checked path too
    assert key.events is True and key.fd == b.fileno()
    assert sel.select(0) == []  # True is EVENT_READ, and nothing was sent yet
    a.send(b"x")
    assert sel.select(0) == [(key, selectors.EVENT_READ)]
    other = FakeNetwork().socket()
    with pytest.raises(ValueError, match="another network"):
        sel.register(other, selectors.EVENT_READ)
    with pytest.raises(KeyError):
        sel.register(b, selectors.EVENT_READ)
    assert sel.register(sub, selectors.EVENT_WRITE).fileobj is sub
    sel.close()
    with pytest.raises(ValueError, match="closed selector"):
        sel.register(a, selectors.EVENT_READ)


def test_a_finished_connection_is_freed_without_the_cyclic_gc() -> None:
    import gc

    def live_sockets() -> list[str]:  # (not weakrefs: the compiled FakeSocket has none)
        return sorted(o.name for o in gc.get_objects() if isinstance(o, FakeSocket) and o._backend is net)

    net = FakeNetwork()
    sel = net.selector()
    server = net.listen(("server2", 80))
    client = net.connect(("server2", 80), name="client")
    conn, _ = server.accept()
    sel.register(conn, selectors.EVENT_READ)
    client.sendall(b"ping")
    assert conn.recv(10) == b"ping"
    assert "client" in live_sockets()
    enabled = gc.isenabled()
    gc.disable()
    try:
        sel.unregister(conn)
        conn.close()
        client.close()
        del client, conn
        assert live_sockets() == ["server2:80"]
    finally:
        if enabled:
            gc.enable()
    server.close()


def test_a_connection_with_segments_in_flight_keeps_its_pipes_until_they_land() -> None:
    net = FakeNetwork()
    net.link("*", latency=0.5)
    server = net.listen(("server2", 80))
    client = net.connect(("server2", 80), name="client")
    net.run_for(0.5)
    conn, _ = server.accept()
    client.send(b"late")
    conn.close()
    client.close()  # both closed, the data and the FIN still in flight
    assert net.run_until_idle() == 1.5  # the data lands at 1.0 on a closed socket, whose RST lands at 1.5
    assert net.open_sockets() == [server]
    server.close()
