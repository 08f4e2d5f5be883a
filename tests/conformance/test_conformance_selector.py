"""FakeSelector against the stdlib's selectors: the same test body on real and fake sockets.

Worlds: ``default`` (selectors.DefaultSelector, epoll here) and ``select``
(SelectSelector) over a real socketpair, and ``fake`` (net.selector() over
net.socketpair()). Where the stdlib selectors disagree with each other, the
fake follows DefaultSelector and the test runs only there.
"""

from __future__ import annotations

import selectors
import socket

import pytest

import fakes

R, W = selectors.EVENT_READ, selectors.EVENT_WRITE
ALL = ["default", "select", "fake"]


class World:
    def __init__(self, kind):
        self.kind = kind
        self.net = fakes.FakeNetwork(seed=5) if kind == "fake" else None
        self.socks = []

    def selector(self):
        if self.kind == "fake":
            return self.net.selector()
        return selectors.DefaultSelector() if self.kind == "default" else selectors.SelectSelector()

    def pair(self):
        a, b = self.net.socketpair(("a", "b")) if self.net else socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        self.socks += [a, b]
        return a, b

    def closed_socket(self):
        s = self.net.socket() if self.net else socket.socket()
        s.close()
        return s

    def close(self):
        for s in self.socks:
            s.close()


@pytest.fixture
def world(request):
    w = World(request.param)
    yield w
    w.close()


def worlds(kinds):
    return pytest.mark.parametrize("world", kinds, indirect=True)


@worlds(ALL)
def test_register_returns_the_key_and_get_key_finds_it(world):
    a, b = world.pair()
    with world.selector() as sel:
        key = sel.register(a, R, "data")
        assert (key.fileobj, key.fd, key.events, key.data) == (a, a.fileno(), R, "data")
        assert sel.get_key(a) == key
        assert len(sel.get_map()) == 1
        assert list(sel.get_map()) == [a.fileno()]
        assert sel.get_map()[a] == key
        assert sel.get_map()[a.fileno()] == key


@worlds(ALL)
def test_registration_errors(world):
    a, b = world.pair()
    with world.selector() as sel:
        sel.register(a, R)
        with pytest.raises(KeyError):
            sel.register(a, W)
        for bad in (0, 4, R | W | 4):
            with pytest.raises(ValueError):
                sel.register(b, bad)
        with pytest.raises(ValueError):
            sel.register(object(), R)
        with pytest.raises(ValueError):
            sel.register(world.closed_socket(), R)
        with pytest.raises(KeyError):
            sel.unregister(b)
        with pytest.raises(KeyError):
            sel.modify(b, R)
        with pytest.raises(KeyError):
            sel.get_key(b)
        with pytest.raises(KeyError):
            sel.get_map()[b]
        assert sel.get_key(a).events == R  # the failed calls changed nothing


@worlds(ALL)
def test_modify_and_unregister(world):
    a, b = world.pair()
    with world.selector() as sel:
        sel.register(a, R, "one")
        key = sel.modify(a, R, "two")
        assert key.data == "two" and sel.get_key(a).data == "two"
        assert sel.select(0) == []
        key = sel.modify(a, R | W, "three")
        assert key.events == R | W
        assert sel.select(0) == [(key, W)]
        removed = sel.unregister(a)
        assert removed == key
        with pytest.raises(KeyError):
            sel.get_key(a)
        assert sel.select(0) == []
        sel.register(a, W)  # registering again after unregister is fine
        assert [m for _, m in sel.select(0)] == [W]


@worlds(ALL)
def test_select_reports_only_the_registered_events_that_are_ready(world):
    a, b = world.pair()
    with world.selector() as sel:
        ka = sel.register(a, R)
        kb = sel.register(b, R | W)
        assert sel.select(0) == [(kb, W)]
        b.send(b"x")
        assert sorted((k.fd, m) for k, m in sel.select(1)) == sorted([(ka.fd, R), (kb.fd, W)])
        a.recv(1)
        a.close()
        sel.unregister(a)
        assert sel.select(1) == [(kb, R | W)]  # EOF and writable


@worlds(ALL)
def test_select_with_a_timeout_and_nothing_ready_returns_empty(world):
    a, b = world.pair()
    with world.selector() as sel:
        sel.register(a, R)
        assert sel.select(0.01) == []
        assert sel.select(0) == []
        assert sel.select(-1) == []


@worlds(ALL)
def test_a_closed_selector(world):
    a, b = world.pair()
    sel = world.selector()
    sel.register(a, R)
    sel.close()
    assert sel.get_map() is None
    with pytest.raises(RuntimeError):
        sel.get_key(a)
    sel.close()  # again: fine


@worlds(["default", "fake"])
def test_a_closed_selector_cannot_select_or_register(world):
    a, b = world.pair()
    sel = world.selector()
    sel.close()
    with pytest.raises(ValueError):
        sel.select(0)
    with pytest.raises(ValueError):
        sel.register(a, R)
    with pytest.raises(KeyError):
        sel.unregister(a)
    with pytest.raises(KeyError):
        sel.modify(a, R)


@worlds(["default", "fake"])
def test_unregister_works_for_a_socket_closed_while_registered(world):
    a, b = world.pair()
    with world.selector() as sel:
        key = sel.register(a, R)
        b.send(b"x")
        a.close()
        assert sel.select(0) == []  # a closed socket is never reported
        assert sel.unregister(a) == key


@worlds(ALL)
def test_context_manager_closes(world):
    with world.selector() as sel:
        pass
    assert sel.get_map() is None
