"""FakeSelector's own behaviour: virtual time jumps, would-block-forever, chosen order, O(ready)."""

from __future__ import annotations

import selectors

import pytest

from fakes import DefaultChooser, FakeNetwork, RandomChooser, RecordingChooser, WouldBlockForever

R, W = selectors.EVENT_READ, selectors.EVENT_WRITE


def test_select_none_with_nothing_ready_or_scheduled_would_block_forever():
    net = FakeNetwork()
    a, b = net.socketpair(("client", "server"))
    sel = net.selector()
    sel.register(a, R)
    sel.register(b, R)
    with pytest.raises(WouldBlockForever) as info:
        sel.select()
    message = str(info.value)
    assert info.value.would_block_forever is True
    assert "nothing is scheduled" in message
    assert "client to be readable (connected to 127.0.0.1:40001)" in message
    assert "server to be readable" in message
    empty = net.selector()
    with pytest.raises(WouldBlockForever, match="no socket is registered"):
        empty.select(None)


def test_select_jumps_to_the_timeout_when_nothing_is_scheduled():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    sel.register(a, R)
    assert sel.select(0) == []
    assert net.clock.now() == 0.0
    assert sel.select(30) == []
    assert net.clock.now() == 30.0
    assert sel.select(0.1) == []
    assert net.clock.now() == 30.1
    events = net.trace.events
    assert [(e.op, e.args) for e in events if e.sock in ("clock", "select")][-3:] == [
        ("select", (30,)), ("clock", (30.0, 30.1)), ("select", (0.1,))]


def test_select_jumps_to_the_next_event_before_the_timeout_and_keeps_going_until_ready():
    net = FakeNetwork()
    net.link("*", latency=1.0)
    a, b = net.socketpair()
    sel = net.selector()
    key = sel.register(b, R)
    a.send(b"x")  # arrives at 1.0
    a.shutdown(1)  # the FIN at 1.0 too
    b.send(b"y")  # arrives at a at 1.0: an event that makes nothing registered ready
    assert sel.select(10) == [(key, R)]
    assert net.clock.now() == 1.0
    assert sel.select(None) == [(key, R)]  # level-triggered


def test_a_timeout_before_the_next_event_stops_there():
    net = FakeNetwork()
    net.link("*", latency=5.0)
    a, b = net.socketpair()
    sel = net.selector()
    sel.register(b, R)
    a.send(b"x")
    assert sel.select(2) == []
    assert net.clock.now() == 2.0
    assert sel.select() != []
    assert net.clock.now() == 5.0


def test_order_of_several_ready_keys_is_chosen_and_a_single_key_draws_nothing():
    chooser = RecordingChooser(DefaultChooser())
    net = FakeNetwork(chooser=chooser)
    pairs = [net.socketpair((f"a{i}", f"b{i}")) for i in range(4)]
    sel = net.selector()
    keys = [sel.register(b, R) for a, b in pairs]
    pairs[2][0].send(b"x")
    assert sel.select(0) == [(keys[2], R)]
    assert chooser.choices == []
    for i in (3, 0):
        pairs[i][0].send(b"x")
    assert sel.select(0) == [(keys[2], R), (keys[3], R), (keys[0], R)]  # default: the order they became ready
    assert chooser.choices == [("select-order", 3, 0), ("select-order", 2, 0)]


def test_random_order_depends_on_the_seed_and_is_reproducible():
    def orders(seed):
        net = FakeNetwork(chooser=RandomChooser(seed))
        pairs = [net.socketpair((f"a{i}", f"b{i}")) for i in range(5)]
        sel = net.selector()
        for a, b in pairs:
            sel.register(b, R)
            a.send(b"x")
        return [tuple(k.fileobj.name for k, _ in sel.select(0)) for _ in range(5)]

    assert orders(1) == orders(1)
    assert len({orders(seed)[0] for seed in range(10)}) > 1


def test_select_never_scans_the_registered_sockets():
    class Counting(FakeNetwork):
        asked = 0

        def sock_readiness(self, sock):
            Counting.asked += 1
            return super().sock_readiness(sock)

    net = Counting()
    idle = [net.socketpair((f"i{i}", f"j{i}")) for i in range(200)]
    a, b = net.socketpair()
    sel = net.selector()
    for x, y in idle:
        sel.register(x, R)
    key = sel.register(b, R)
    asked = Counting.asked
    for _ in range(50):
        a.send(b"x")
        assert sel.select(0) == [(key, R)]
        b.recv(1)
        assert sel.select(0) == []
    assert Counting.asked == asked  # readiness came through callbacks, never by asking
    assert len(sel._ready) == 0


def test_closing_a_ready_socket_drops_it_and_closing_the_selector_stops_the_callbacks():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    sel.register(a, W)
    assert len(sel.select(0)) == 1
    a.close()
    assert sel.select(0) == []
    sel.register(b, R)
    sel.close()
    assert b._ep.watchers == []
    assert repr(sel) == "<FakeSelector closed>"


def test_registering_a_foreign_socket_is_refused():
    net, other = FakeNetwork(), FakeNetwork()
    sel = net.selector()
    with pytest.raises(ValueError, match="another network"):
        sel.register(other.socket(), R)
    import socket
    real = socket.socket()
    try:
        with pytest.raises(ValueError, match="fake sockets only"):
            sel.register(real, R)
        with pytest.raises(ValueError, match="fake sockets only"):
            sel.register(real.fileno(), R)
    finally:
        real.close()


def test_lookups_by_fd():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    key = sel.register(a, W, "d")
    assert sel.get_map()[a.fileno()] is key
    assert sel.modify(a.fileno(), R).events == R
    assert sel.unregister(a.fileno()).fileobj is a
    with pytest.raises(KeyError):
        sel.unregister(a.fileno())
    with pytest.raises(KeyError):
        sel.get_map()["nope"]
    assert "0 registered" in repr(sel)


def test_modify_recomputes_readiness():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    key = sel.register(a, R)
    assert sel.select(0) == []
    key = sel.modify(a, W)
    assert sel.select(0) == [(key, W)]
    key = sel.modify(a, R)
    assert sel.select(0) == []


class _Always:
    """A chooser answering ``pick(n)`` to every index question, recording the questions."""

    def __init__(self, pick):
        self.pick, self.asked = pick, []

    def index(self, label, n):
        self.asked.append((label, n))
        return self.pick(n)

    def integer(self, label, lo, hi):  # pragma: no cover - select never asks
        return lo


def _ready_world(k, chooser):
    net = FakeNetwork(chooser=chooser, trace=False)
    pairs = [net.socketpair((f"a{i}", f"b{i}")) for i in range(k)]
    sel = net.selector()
    for a, b in pairs:
        sel.register(b, W)  # writable at once: ready in registration order
    return sel, [b for a, b in pairs]


def test_a_large_select_draws_its_order_through_the_chooser_and_returns_a_permutation():
    k = 2_000
    last = _Always(lambda n: n - 1)
    sel, socks = _ready_world(k, last)
    got = [key.fileobj for key, mask in sel.select(0)]
    assert last.asked == [("select-order", n) for n in range(k, 1, -1)]  # k - 1 draws of k, k-1, ..., 2
    assert got == [socks[-1]] + socks[:-1]  # always the last one left: a rotation
    first = _Always(lambda n: 0)
    sel, socks = _ready_world(k, first)
    assert [key.fileobj for key, mask in sel.select(0)] == socks  # all zeros: the order they became ready
    recorder = RecordingChooser(RandomChooser(7))
    sel, socks = _ready_world(k, recorder)
    keys = sel.select(0)
    assert sorted(key.fd for key, _ in keys) == sorted(s.fileno() for s in socks)  # each exactly once
    assert [key.fileobj for key, _ in keys] != socks
    assert [n for _, n, _ in recorder.choices] == list(range(k, 1, -1))


def test_every_choice_sequence_gives_a_different_order():
    import itertools

    n = 5
    orders = set()
    for seq in itertools.product(*[range(m) for m in range(n, 1, -1)]):
        answers = iter(seq)
        sel, socks = _ready_world(n, _Always(lambda m: next(answers)))
        orders.add(tuple(socks.index(key.fileobj) for key, _ in sel.select(0)))
    assert len(orders) == 120  # 5! = every permutation, each from exactly one sequence


class _Wrapper:
    """Any object with fileno(), as asyncio's TransportSocket or a socketserver server."""

    def __init__(self, sock):
        self.sock = sock

    def fileno(self):
        return self.sock.fileno()


def test_register_takes_a_socket_its_int_fd_or_an_object_with_its_fileno():
    net = FakeNetwork()
    (a, b), (c, d) = net.socketpair(("a", "b")), net.socketpair(("c", "d"))
    sel = net.selector()
    kb = sel.register(b.fileno(), W, "by fd")
    kc = sel.register(_Wrapper(c), W, "by fileno()")
    ka = sel.register(a, R)
    assert (kb.fileobj, kb.fd) == (b.fileno(), b.fileno())  # key.fileobj: what was given
    assert isinstance(kc.fileobj, _Wrapper) and kc.fd == c.fileno()
    assert sel.get_key(b) is kb and sel.get_key(b.fileno()) is kb and sel.get_key(kc.fileobj) is kc
    assert sel.get_key(c) is kc and sel.get_map()[c.fileno()] is kc
    d.send(b"x")
    got = sel.select(0)
    assert sorted(k.fd for k, _ in got) == sorted([b.fileno(), c.fileno()])  # a: nothing to read
    for same in (b, b.fileno(), _Wrapper(b)):  # the same fd through any object: already registered
        with pytest.raises(KeyError, match="already registered"):
            sel.register(same, R)
    with pytest.raises(KeyError):
        sel.register(ka.fd, W)
    assert sel.unregister(_Wrapper(b)) is kb  # found by fd
    assert list(sel.get_map()) == [c.fileno(), a.fileno()]  # registration order


def test_the_select_trace_names_sockets_registered_by_fd():
    net = FakeNetwork()
    a, b = net.socketpair(("a", "b"))
    sel = net.selector()
    sel.register(a.fileno(), W)
    sel.select(0)
    assert net.trace.events[-1].result == (("a", W),)


def test_bad_file_objects_raise_what_the_stdlib_raises():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    with pytest.raises(ValueError, match="Invalid file descriptor: -10"):
        sel.register(-10, R)
    with pytest.raises(ValueError, match="Invalid file object"):
        sel.register(object(), R)
    with pytest.raises(ValueError, match="Invalid events"):
        sel.register(a.fileno(), 99)
    with pytest.raises(ValueError, match=r"fd 0 is no open fake socket of this network \(fake fds start at 1073741824"):
        sel.register(0, R)  # stdin's fd: a real one
    old = b.fileno()
    b.close()
    with pytest.raises(ValueError, match="no open fake socket"):
        sel.register(old, R)  # a closed fake socket's fd
    with pytest.raises(KeyError):
        sel.unregister(999999)
    with pytest.raises(KeyError):
        sel.modify(999999, R)
    with pytest.raises(ValueError):
        sel.unregister(-5)  # as the stdlib: not a valid fd, and no registered object is it
    with pytest.raises(KeyError):
        sel.get_map()[-5]


def test_a_file_object_closed_since_it_was_registered_is_found_by_identity():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    wrapper = _Wrapper(a)
    key = sel.register(wrapper, R)
    fd = a.fileno()
    a.close()
    assert wrapper.fileno() == -1
    assert sel.get_key(wrapper) is key
    assert sel.unregister(wrapper) is key
    key = sel.register(b.fileno(), R)
    b.close()
    assert sel.unregister(key.fd) is key  # an int fd registered, then closed: unregister by it works
    assert fd != key.fd


def test_fake_fds_start_high_and_are_the_same_in_every_network():
    from fakes.socket import FIRST_FD

    def fds():
        net = FakeNetwork()
        a, b = net.socketpair()
        return [a.fileno(), b.fileno(), net.socket().fileno(), net.listen(("x", 1)).fileno()]

    assert fds() == fds() == list(range(FIRST_FD, FIRST_FD + 4))
    assert FIRST_FD == 2 ** 30


def test_select_reports_the_current_key_after_modify_changes_only_the_data():
    net = FakeNetwork()
    a, b = net.socketpair()
    sel = net.selector()
    sel.register(a, W, "old")
    assert [k.data for k, _ in sel.select(0)] == ["old"]
    key = sel.modify(a, W, "new")  # same events, still ready: the ready entry must carry the new key
    assert sel.select(0) == [(key, W)] and key.data == "new"
    key = sel.modify(a.fileno(), R | W, "both")
    assert sel.select(0) == [(key, W)]
