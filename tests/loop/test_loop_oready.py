"""O(ready): a tick's selector work does not grow with the number of idle waiting sockets.

Structural, not timed: a counting proxy around a real selector counts the calls.
"""

from __future__ import annotations

import selectors
import socket
from collections import Counter

import pytest

import loopsim


class CountingSelector(selectors.BaseSelector):
    """A real DefaultSelector behind a proxy that counts register/modify/unregister/select calls."""

    def __init__(self) -> None:
        self.inner = selectors.DefaultSelector()
        self.calls: Counter[str] = Counter()
        self.by_sock: Counter[tuple[str, object]] = Counter()
        self.events_seen = 0

    def register(self, fileobj, events, data=None):
        self._count("register", fileobj)
        return self.inner.register(fileobj, events, data)

    def unregister(self, fileobj):
        self._count("unregister", fileobj)
        return self.inner.unregister(fileobj)

    def modify(self, fileobj, events, data=None):
        self._count("modify", fileobj)
        return self.inner.modify(fileobj, events, data)

    def select(self, timeout=None):
        self.calls["select"] += 1
        ready = self.inner.select(timeout)
        self.events_seen += len(ready)
        return ready

    def get_map(self):
        return self.inner.get_map()

    def close(self):
        self.inner.close()

    def _count(self, what, fileobj):
        self.calls[what] += 1
        self.by_sock[(what, fileobj)] += 1

    def reset(self):
        self.calls.clear()
        self.by_sock.clear()
        self.events_seen = 0


class FrozenClock:
    """Time stands still: no timer or periodic check interferes with the counts."""

    def now(self) -> float:
        return 0.0


class IdleSock:
    """A real socket that counts how often the loop touches it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.touched = 0

    def fileno(self) -> int:
        self.touched += 1
        return self.sock.fileno()

    def recv(self, n: int) -> bytes:
        self.touched += 1
        return self.sock.recv(n)


def pairs(n):
    out = []
    for _ in range(n):
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        out.append((a, b))
    return out


def close_all(socks):
    for a, b in socks:
        a.close()
        b.close()


ROUNDS = 20


def ping_pong(x, y):
    """ROUNDS request/response exchanges between two tasks over one socketpair."""

    def server():
        for _ in range(ROUNDS):
            data = yield from loopsim.recv(y, 100)
            yield from loopsim.sendall(y, data.upper())

    def client():
        replies = []
        for i in range(ROUNDS):
            yield from loopsim.sendall(x, b"ping%d" % i)
            replies.append((yield from loopsim.recv(x, 100)))
        return replies

    return server, client


def run_busy_beside_idle(n_idle):
    """Park n_idle readers on idle sockets, then run a ping-pong; returns the selector counts of the ping-pong."""
    selector = CountingSelector()
    idle_pairs = pairs(n_idle)
    idle = [IdleSock(a) for a, _ in idle_pairs]
    (x, y), = pairs(1)
    server, client = ping_pong(x, y)
    counts = {}

    def idle_reader(sock):
        yield from loopsim.recv(sock, 10)

    def main():
        readers = []
        for sock in idle:
            readers.append((yield from loopsim.spawn(idle_reader(sock))))
        yield from loopsim.sleep(0)
        yield from loopsim.sleep(0)  # every idle reader is registered now
        assert selector.calls["register"] == n_idle
        selector.reset()
        for sock in idle:
            sock.touched = 0
        srv = yield from loopsim.spawn(server())
        replies = yield from loopsim.join((yield from loopsim.spawn(client())))
        yield from loopsim.join(srv)
        counts.update(selector.calls, events=selector.events_seen,
                      idle_touched=sum(s.touched for s in idle))
        for task in readers:
            task.cancel()
        return replies

    try:
        with loopsim.Loop(selector=selector, clock=FrozenClock()) as loop:
            replies = loop.run_until_complete(main())
            loop.run()
        assert replies == [b"PING%d" % i for i in range(ROUNDS)]
        assert selector.get_map() is not None
        assert len(selector.get_map()) == 0  # every socket was unregistered in the end
    finally:
        selector.close()
        close_all(idle_pairs + [(x, y)])
    return counts


def test_selector_work_of_a_busy_exchange_does_not_grow_with_idle_waiters():
    few = run_busy_beside_idle(5)
    many = run_busy_beside_idle(500)
    touched = {"few": few.pop("idle_touched"), "many": many.pop("idle_touched")}
    assert few == many  # identical call counts: register, modify, unregister, select, events
    assert many["events"] <= 2 * ROUNDS + 4  # select reported only the busy sockets
    # The check for sockets closed under a waiter looks at every awaited socket once per as many
    # task steps as there are awaited sockets: O(1) a step, however many wait.
    steps = 4 * ROUNDS + 10
    assert touched["many"] <= steps + 500 and touched["few"] <= steps + 5


def test_re_waiting_on_the_same_socket_after_each_recv_changes_no_interest():
    selector = CountingSelector()
    (a, b), = pairs(1)
    messages = 50

    def reader():
        got = []
        for _ in range(messages):
            got.append((yield from loopsim.recv(b, 100)))
        return got

    def writer():
        for i in range(messages):
            yield from loopsim.sleep(0)
            yield from loopsim.sleep(0)
            a.send(b"m%d" % i)

    def main():
        r = yield from loopsim.spawn(reader())
        yield from loopsim.spawn(writer())
        return (yield from loopsim.join(r))

    try:
        with loopsim.Loop(selector=selector, clock=FrozenClock()) as loop:
            assert loop.run_until_complete(main()) == [b"m%d" % i for i in range(messages)]
            assert selector.by_sock[("register", b)] == 1
            assert selector.by_sock[("modify", b)] == 0
            assert selector.by_sock[("unregister", b)] == 1  # once, when the reader stopped waiting
            assert selector.calls["register"] + selector.calls["modify"] + selector.calls["unregister"] == 2
    finally:
        selector.close()
        close_all([(a, b)])


@pytest.mark.parametrize("second", ["writable", "readable"])
def test_interest_changes_only_when_the_wanted_events_change(second):
    selector = CountingSelector()
    (a, b), = pairs(1)

    def main():
        b.send(b"x")
        yield from loopsim.wait_readable(a)
        if second == "writable":
            yield from loopsim.wait_writable(a)  # READ -> WRITE: one modify
        else:
            yield from loopsim.wait_readable(a)  # READ -> READ: nothing

    try:
        with loopsim.Loop(selector=selector, clock=FrozenClock()) as loop:
            loop.run_until_complete(main())
        assert selector.by_sock[("register", a)] == 1
        assert selector.by_sock[("modify", a)] == (1 if second == "writable" else 0)
    finally:
        selector.close()
        close_all([(a, b)])


def test_closing_a_registered_socket_unregisters_it_by_fd_not_by_a_search():
    """A selector asked to unregister a closed socket object searches every key; by fd it is O(1)."""
    selector = CountingSelector()
    idle_pairs = pairs(50)
    (a, b), = pairs(1)
    fd = a.fileno()

    def idle_reader(sock):
        yield from loopsim.recv(sock, 10)

    def main():
        readers = []
        for x, _ in idle_pairs:
            readers.append((yield from loopsim.spawn(idle_reader(x))))
        b.send(b"data")
        yield from loopsim.recv(a, 10)
        a.close()  # closed while still registered: the loop unregisters it next tick
        yield from loopsim.sleep(0)
        assert selector.by_sock[("unregister", fd)] == 1
        for task in readers:
            task.cancel()

    try:
        with loopsim.Loop(selector=selector, clock=FrozenClock()) as loop:
            loop.run_until_complete(main())
            loop.run()
        assert selector.by_sock[("unregister", a)] == 0
        assert fd not in selector.inner.get_map()
    finally:
        selector.close()
        close_all(idle_pairs + [(a, b)])
