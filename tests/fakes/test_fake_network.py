"""FakeNetwork: links (latency, bandwidth, accept delay, backlog), endpoint rules, faults, time."""

from __future__ import annotations

import errno
import selectors
import socket

import pytest

import fakes
from fakes import DefaultChooser, Endpoint, Fault, FakeNetwork, Link, NetConfig, RecordingChooser

R, W = selectors.EVENT_READ, selectors.EVENT_WRITE


def wait(net, sock, events=R, timeout=None):
    """Select on ``sock`` alone; returns the mask (virtual time may jump)."""
    with net.selector() as sel:
        sel.register(sock, events)
        ready = sel.select(timeout)
    return ready[0][1] if ready else 0


def connected(net, addr=("server", 80), client="client"):
    lst = net.listen(addr) if net._find_listener(addr) is None else net._listeners[f"{addr[0]}:{addr[1]}"].sock
    c = net.connect(addr, name=client)
    wait(net, lst)
    s, _ = lst.accept()
    s.setblocking(False)
    wait(net, c, W)
    return lst, c, s


def read_all(net, sock):
    data = b""
    while True:
        wait(net, sock)
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            continue
        if not chunk:
            return data
        data += chunk


# -- names, addresses, bookkeeping ------------------------------------------------------------------


def test_names_of_sockets():
    net = FakeNetwork()
    assert [net.socket().name, net.socket().name] == ["socket-1", "socket-2"]
    new_socket = net.socket_factory("proxy->server2")
    assert [new_socket().name, new_socket().name] == ["proxy->server2#1", "proxy->server2#2"]
    assert net.socket_factory("proxy->server2")().name == "proxy->server2#3"
    lst = net.listen(("server2", 80))
    assert lst.name == "server2:80"
    c = net.connect(("server2", 80), name="client")
    conn, addr = lst.accept()
    assert conn.name == "server2:80<-client"
    assert addr == c.getsockname()
    assert net.listen(("other", 1), name="svc").name == "svc"


def test_open_sockets_in_creation_order_and_closing_empties_it():
    net = FakeNetwork()
    a, b = net.socketpair()
    lst = net.listen(("h", 1))
    assert net.open_sockets() == [a, b, lst]
    b.close()
    assert net.open_sockets() == [a, lst]
    for s in (a, lst):
        s.close()
    assert net.open_sockets() == []


def test_a_failed_listen_closes_its_socket():
    net = FakeNetwork()
    net.listen(("h", 1))
    with pytest.raises(OSError) as info:
        net.listen(("h", 1))
    assert info.value.errno == errno.EADDRINUSE
    assert len(net.open_sockets()) == 1


def test_a_wildcard_listener_takes_connects_to_any_host():
    net = FakeNetwork()
    lst = net.socket("any")
    lst.bind(("0.0.0.0", 8080))
    lst.listen()
    c = net.connect(("whatever", 8080))
    conn, _ = lst.accept()
    assert conn.getsockname() == ("whatever", 8080)
    assert c.getpeername() == ("whatever", 8080)


def test_listen_without_bind_picks_a_port():
    net = FakeNetwork()
    lst = net.socket()
    lst.listen()
    host, port = lst.getsockname()
    c = net.connect(("127.0.0.1", port))
    assert c.connect_ex(("127.0.0.1", port)) == 0
    lst.listen(5)  # listening again only changes the backlog


def test_only_stream_sockets():
    net = FakeNetwork()
    with pytest.raises(ValueError):
        net.socket(type=socket.SOCK_DGRAM)
    with pytest.raises(ValueError):
        net.socket(family=socket.AF_UNIX)
    s = net.socket(family=socket.AF_INET6)
    assert s.family == socket.AF_INET6
    assert s.connect_ex(("::1", 80, 0, 0)) == errno.EINPROGRESS


def test_repr_shows_state_not_fd():
    net = FakeNetwork()
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80), name="client")
    assert repr(lst) == "<FakeSocket 'server:80' listening on server:80, 1 to accept>"
    assert repr(c) == "<FakeSocket 'client' connected to server:80>"
    s, _ = lst.accept()
    assert repr(s) == "<FakeSocket 'server:80<-client' connected to 127.0.0.1:40000, blocking>"
    c.send(b"abc")
    c.shutdown(socket.SHUT_WR)
    assert "3 bytes unread" in repr(s) and "EOF received" in repr(s)
    assert "shut down for writing" in repr(c)
    c.close()
    assert repr(c) == "<FakeSocket 'client' closed>"
    assert "peer closed" in repr(s)
    assert repr(net.socket("x")) == "<FakeSocket 'x' unconnected>"
    fresh = net.socket("y")
    fresh.bind(("h", 5))
    assert repr(fresh) == "<FakeSocket 'y' unconnected, bound to h:5>"
    assert "open sockets" in repr(net)


# -- links -----------------------------------------------------------------------------------------------


def test_latency_delays_connects_and_data_by_exact_virtual_time():
    net = FakeNetwork()
    net.link("server:80", latency=0.25)
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80))
    assert wait(net, c, W, timeout=0) == 0  # still connecting
    assert wait(net, c, W) == W
    assert net.clock.now() == 0.25
    s, _ = lst.accept()
    s.setblocking(False)
    c.send(b"ping")
    c.shutdown(socket.SHUT_WR)
    with pytest.raises(BlockingIOError):
        s.recv(10)
    assert read_all(net, s) == b"ping"
    assert net.clock.now() == 0.5


def test_bandwidth_serializes_sends():
    net = FakeNetwork()
    net.link("*", latency=0.01, bandwidth=1000)
    lst, c, s = connected(net)
    start = net.clock.now()
    c.send(b"x" * 500)
    c.send(b"y" * 500)
    wait(net, s)
    assert net.clock.now() == pytest.approx(start + 0.5 + 0.01, abs=1e-9)
    assert s.recv(2000) == b"x" * 500
    wait(net, s)
    assert net.clock.now() == pytest.approx(start + 1.0 + 0.01, abs=1e-9)
    assert s.recv(2000) == b"y" * 500


def test_accept_delay_makes_a_slow_accept():
    net = FakeNetwork()
    net.link("server:80", accept_delay=2.0)
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80))
    assert wait(net, c, W, timeout=0) == W  # the client's connect completes at once
    c.send(b"early")
    with pytest.raises(BlockingIOError):
        lst.accept()
    assert wait(net, lst) == R
    assert net.clock.now() == 2.0
    s, _ = lst.accept()
    assert s.recv(10) == b"early"


def test_accept_delay_connections_are_reset_when_the_listener_closes():
    net = FakeNetwork()
    net.link("*", accept_delay=1.0)
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80))
    lst.close()
    net.run_until_idle()
    with pytest.raises(ConnectionResetError):
        c.recv(1)


def test_backlog_holds_further_connects_in_progress_until_an_accept():
    net = FakeNetwork()
    net.link("server:80", backlog=1)
    lst = net.listen(("server", 80))
    c1 = net.connect(("server", 80))
    c2 = net.connect(("server", 80))
    assert c1.connect_ex(("server", 80)) == 0
    assert c2.connect_ex(("server", 80)) == errno.EALREADY
    lst.accept()
    assert c2.connect_ex(("server", 80)) == 0


def test_listen_backlog_is_capped_by_the_link():
    net = FakeNetwork()
    lst = net.listen(("server", 80), backlog=1)
    net.connect(("server", 80))
    c2 = net.connect(("server", 80))
    c3 = net.connect(("server", 80))
    assert c2.connect_ex(("server", 80)) == errno.EALREADY
    lst.close()  # connects waiting for room are refused, queued ones reset
    assert c2.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED
    assert c3.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED


def test_closing_a_listener_resets_connections_not_yet_accepted():
    net = FakeNetwork()
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80))
    lst.close()
    with pytest.raises(ConnectionResetError):
        c.recv(1)
    with pytest.raises(BrokenPipeError):
        c.send(b"x")
    assert net.connect(("server", 80)).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED


def test_a_refusal_takes_one_latency():
    net = FakeNetwork()
    net.link("*", latency=0.1)
    c = net.connect(("nobody", 1))
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert wait(net, c, W) == W
    assert net.clock.now() == 0.1
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED
    assert c.connect_ex(("nobody", 1)) == errno.ECONNABORTED
    assert c.connect_ex(("nobody", 1)) == errno.EINPROGRESS  # a failed socket may connect again


def test_data_in_flight_to_a_closed_socket_resets_the_sender():
    net = FakeNetwork()
    net.link("*", latency=1.0)
    lst, c, s = connected(net)
    s.close()  # the CLOSE reaches c at +1s; the data c sends now reaches s after it closed
    c.send(b"too late")
    assert wait(net, c) == R
    assert c.recv(10) == b""
    assert wait(net, c, R | W, timeout=5) == R | W
    assert c.send(b"x") == 1  # CLOSE_WAIT: Linux accepts it; the RST "too late" drew is still on its way
    net.run_until_idle()
    assert c.recv(10) == b""  # the FIN came first: EOF, the error stays pending
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.EPIPE  # the RST after FIN
    with pytest.raises(BrokenPipeError):
        c.send(b"x")


# -- endpoint rules -------------------------------------------------------------------------------------


def test_buffer_sizes_bound_what_send_accepts():
    net = FakeNetwork()
    net.endpoint("client", sndbuf=100)
    net.endpoint("server:80<-*", rcvbuf=50)
    lst, c, s = connected(net)
    assert c.send(b"x" * 1000) == 150
    with pytest.raises(BlockingIOError):
        c.send(b"x")
    assert wait(net, c, W, timeout=0) == 0
    s.recv(10)
    assert wait(net, c, W, timeout=0) == W
    assert c.send(b"y" * 100) == 10


def test_max_recv_and_max_send_limit_each_call():
    net = FakeNetwork()
    net.endpoint("*", max_send=4)
    net.endpoint("server*", max_recv=3)
    lst, c, s = connected(net)
    assert c.send(b"abcdefgh") == 4
    c.sendall(b"efgh")
    assert s.recv(100) == b"abc"
    assert s.recv(2) == b"de"
    assert s.recv(100) == b"fgh"


def test_later_rules_override_only_the_fields_they_set():
    net = FakeNetwork(config=NetConfig(endpoints=(Endpoint("*", sndbuf=10, rcvbuf=10, max_send=2),
                                                  Endpoint("client", max_send=5))))
    lst, c, s = connected(net)
    assert [c.send(b"x" * 100) for _ in range(4)] == [5, 5, 5, 5]  # max_send from the later rule
    with pytest.raises(BlockingIOError):
        c.send(b"x")  # capacity: client sndbuf 10 + server rcvbuf 10, from the first rule
    assert s.send(b"y" * 100) == 2


def test_ranges_are_drawn_from_the_chooser():
    chooser = RecordingChooser(DefaultChooser())
    net = FakeNetwork(chooser=chooser)
    net.endpoint("*", max_recv=(2, 6), max_send=(3, 7))
    lst, c, s = connected(net)
    assert c.send(b"abcdefghij") == 3
    c.send(b"defghij")
    c.send(b"ghij")
    assert s.recv(100) == b"ab"
    assert s.recv(1) == b"c"  # no draw: 1 <= lo
    labels = [label for label, _, _ in chooser.choices]
    assert labels == ["send-size", "send-size", "send-size", "recv-size"]


def test_random_ranges_stay_in_bounds():
    net = FakeNetwork(seed=11)
    net.endpoint("*", max_recv=(1, 5), max_send=(2, 9))
    lst, c, s = connected(net)
    data = bytes(range(256)) * 4
    sent = 0
    while sent < len(data):
        n = c.send(data[sent:])
        assert 1 <= n <= 9
        sent += n
    c.shutdown(socket.SHUT_WR)
    got = b""
    while chunk := s.recv(1000):
        assert len(chunk) <= 5
        got += chunk
    assert got == data


# -- faults ------------------------------------------------------------------------------------------------


def test_reset_at_a_time():
    net = FakeNetwork()
    net.link("*", latency=0.5)
    net.fault("reset", "server:80<-*", at=3.0)
    lst, c, s = connected(net)
    s.send(b"before")
    assert wait(net, c) == R
    assert c.recv(100) == b"before"
    wait(net, s)
    assert net.clock.now() == 3.0
    with pytest.raises(ConnectionResetError):
        s.recv(10)
    with pytest.raises(BrokenPipeError):
        s.send(b"x")
    wait(net, c)
    assert net.clock.now() == 3.5
    with pytest.raises(ConnectionResetError):
        c.recv(10)
    assert c.recv(10) == b""


def test_reset_after_bytes_delivers_exactly_that_many_bytes_first():
    net = FakeNetwork(config=NetConfig(faults=[Fault("reset", "client", after_bytes=10)]))
    lst, c, s = connected(net)
    assert c.send(b"x" * 8) == 8
    assert c.send(b"y" * 8) == 2  # stops at the threshold; the reset follows
    with pytest.raises(ConnectionResetError):
        c.send(b"z")
    with pytest.raises(BrokenPipeError):
        c.send(b"z")
    assert s.recv(100) == b"x" * 8 + b"yy"
    with pytest.raises(ConnectionResetError):
        s.recv(100)
    assert s.recv(100) == b""


def test_reset_after_zero_bytes_fails_the_first_send():
    net = FakeNetwork()
    net.fault("reset", "client", after_bytes=0)
    lst, c, s = connected(net)
    with pytest.raises(ConnectionResetError):
        c.send(b"x")


def test_half_close_after_bytes_and_at():
    net = FakeNetwork()
    net.fault("half_close", "client", after_bytes=3)
    net.fault("half_close", "server:80<-*", at=1.0)
    lst, c, s = connected(net)
    assert c.send(b"abcdef") == 3
    with pytest.raises(BrokenPipeError):
        c.send(b"d")
    assert s.recv(10) == b"abc"
    assert s.recv(10) == b""
    s.send(b"reply")
    assert c.recv(10) == b"reply"
    assert wait(net, c) == R
    assert net.clock.now() == 1.0
    assert c.recv(10) == b""
    with pytest.raises(BrokenPipeError):
        s.send(b"x")


def test_refuse_even_when_something_listens_and_only_from_at():
    net = FakeNetwork()
    net.listen(("server2", 80))
    net.fault("refuse", "server2:80", at=1.0)
    early = net.connect(("server2", 80))
    assert early.connect_ex(("server2", 80)) == 0
    net.run_for(1.0)
    late = net.connect(("server2", 80))
    assert late.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED


def test_black_hole_accepts_and_swallows():
    net = FakeNetwork()
    net.fault("black_hole", "void:*")
    c = net.connect(("void", 9))
    assert wait(net, c, W) == W
    assert c.connect_ex(("void", 9)) == 0
    assert c.getpeername() == ("void", 9)
    for _ in range(10):
        assert c.send(b"x" * 100_000) == 100_000  # swallowed: the buffer never fills
    c.shutdown(socket.SHUT_WR)
    with pytest.raises(BlockingIOError):
        c.recv(10)
    assert net.run_until_idle() == 0.0
    with net.selector() as sel:
        sel.register(c, R)
        with pytest.raises(fakes.WouldBlockForever):
            sel.select()


def test_helpers_reset_and_half_close():
    net = FakeNetwork()
    lst, c, s = connected(net)
    assert net.half_close(s) is True
    assert net.half_close(s) is False
    assert c.recv(10) == b""
    assert net.reset(c) is True
    assert net.reset(c) is False
    assert net.reset(net.socket()) is False
    with pytest.raises(ConnectionResetError):
        s.recv(1)
    with pytest.raises(OSError) as info:
        s.shutdown(socket.SHUT_WR)
    assert info.value.errno == errno.ENOTCONN


def test_faults_from_config_are_armed():
    config = NetConfig(links=[Link("*", latency=0.1)], faults=[Fault("reset", "client", at=2.0)])
    net = FakeNetwork.from_config(config, seed=4)
    assert net.config == config and net.seed == 4
    lst, c, s = connected(net)
    assert net.scheduled() >= 1
    wait(net, c)
    assert net.clock.now() == 2.0


# -- time ---------------------------------------------------------------------------------------------------


def test_run_for_and_run_until_idle():
    net = FakeNetwork()
    net.link("*", latency=2.0)
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80))
    assert net.run_for(1.0) == 1.0
    assert c.connect_ex(("server", 80)) == errno.EALREADY
    assert net.run_for(1.0) == 2.0
    assert c.connect_ex(("server", 80)) == 0
    c.send(b"x")
    assert net.run_until_idle() == 4.0
    assert net.scheduled() == 0
    clock_events = [e for e in net.trace.events if e.op == "clock"]
    assert [e.args for e in clock_events] == [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0)]


def test_events_due_after_a_manual_clock_jump_are_delivered_by_the_next_select():
    net = FakeNetwork()
    net.link("*", latency=1.0)
    a, b = net.socketpair()
    a.send(b"x")
    net.clock.advance(5)
    assert wait(net, b, timeout=0) == R
    assert net.clock.now() == 5.0


def test_tracing_off():
    net = FakeNetwork(trace=False)
    assert net.trace is None
    lst, c, s = connected(net)
    c.send(b"x")
    assert s.recv(1) == b"x"
