"""The fakes' fast paths give exactly what their plain versions give.

RandomChooser makes its random.Random at the first draw; the selector registers
live fake sockets without its checks' calls;
FakeSocket looks family/type enums up in a table. None of it may change an answer.
"""

from __future__ import annotations

import random
import selectors
import socket

import pytest

from fakes import FakeNetwork, RandomChooser
from fakes.socket import FakeSocket


def _draws(chooser: RandomChooser, rng: random.Random, plan: random.Random, steps: int) -> None:
    for step in range(steps):
        kind = plan.random()
        if kind < 0.45:
            n = plan.choice([1, 2, 3, 5, 17, 1000, 2**31, 2**32 - 1, 2**32, 2**33 + 5, 2**60])
            got, expected = chooser.index("select-order", n), (rng.randrange(n) if n > 1 else 0)
        elif kind < 0.9:
            lo = plan.randint(-5, 100)
            hi = lo + plan.choice([0, 1, 2, 10, 65535, 2**35])
            got, expected = chooser.integer("recv-size", lo, hi), (rng.randint(lo, hi) if hi > lo else lo)
        elif kind < 0.95:
            got, expected = chooser.index("odd", True + 1), rng.randrange(2)  # a bool-made int is still an int
        else:
            got, expected = chooser._rng.getstate(), rng.getstate()
        assert got == expected, (chooser.seed, step)


@pytest.mark.parametrize("seed", [0, 1, 7, -3, 2**40, "abc", b"xy", True])
def test_random_chooser_draws_what_random_does(seed: object) -> None:
    plan = random.Random(repr(seed))
    for _ in range(4):
        _draws(RandomChooser(seed), random.Random(seed), plan, plan.randint(0, 150))  # type: ignore[arg-type]


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
    import weakref

    net = FakeNetwork()
    sel = net.selector()
    server = net.listen(("server2", 80))
    client = net.connect(("server2", 80), name="client")
    conn, _ = server.accept()
    sel.register(conn, selectors.EVENT_READ)
    client.sendall(b"ping")
    assert conn.recv(10) == b"ping"
    refs = [weakref.ref(s) for s in (client, conn)]
    enabled = gc.isenabled()
    gc.disable()
    try:
        sel.unregister(conn)
        conn.close()
        client.close()
        del client, conn
        assert [r() for r in refs] == [None, None]
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
