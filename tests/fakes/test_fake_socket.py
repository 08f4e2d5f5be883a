"""FakeSocket's own behaviour: blocking mode, options, identity, fds, and what it records."""

from __future__ import annotations

import errno
import selectors
import socket
import struct

import pytest

from fakes import FakeBlockingError, FakeNetwork, FakeSocket


def pair_with_server_in_blocking_mode(net, latency=0.0):
    if latency:
        net.link("*", latency=latency)
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80), name="client")
    net.run_until_idle()
    conn, _ = lst.accept()
    return lst, c, conn


def test_identity_hash_and_fds():
    net = FakeNetwork()
    a, b = net.socket(), net.socket()
    assert a != b and a == a and len({a, b, a}) == 2
    fd_a, fd_b = a.fileno(), b.fileno()
    assert fd_b == fd_a + 1
    a.close()
    assert a.fileno() == -1 and a.closed
    assert net.socket().fileno() == fd_b + 1  # never reused
    assert str(fd_b) not in repr(b)
    assert isinstance(a, FakeSocket)


def test_context_manager_closes():
    net = FakeNetwork()
    with net.socket() as s:
        assert not s.closed
    assert s.closed


def test_accepted_connections_start_blocking_and_a_would_be_wait_is_an_error():
    net = FakeNetwork()
    lst, c, conn = pair_with_server_in_blocking_mode(net)
    assert conn.getblocking()
    with pytest.raises(FakeBlockingError, match=r"setblocking\(False\)"):
        conn.recv(10)
    c.send(b"now")
    assert conn.recv(10) == b"now"  # answered at once: fine even when blocking
    assert conn.send(b"reply") == 5
    conn.sendall(b"more")
    lst.setblocking(True)
    with pytest.raises(FakeBlockingError, match="accept"):
        lst.accept()


def test_blocking_send_sends_everything_or_raises():
    net = FakeNetwork()
    net.endpoint("*", sndbuf=10, rcvbuf=10, max_send=3)
    lst, c, conn = pair_with_server_in_blocking_mode(net)
    assert conn.send(b"x" * 20) == 20  # several sends of 3 inside one blocking call
    assert len([e for e in net.trace.events if e.op == "send" and e.sock == conn.name]) == 7
    with pytest.raises(FakeBlockingError, match="send"):
        conn.send(b"y")
    with pytest.raises(FakeBlockingError, match="sendall"):
        conn.sendall(b"y")


def test_blocking_connect_works_when_it_takes_no_virtual_time():
    net = FakeNetwork()
    net.listen(("server", 80))
    s = net.socket()
    s.setblocking(True)
    s.connect(("server", 80))
    assert s.getpeername() == ("server", 80)
    refused = net.socket()
    refused.settimeout(5.0)
    with pytest.raises(ConnectionRefusedError):
        refused.connect(("nobody", 1))


def test_a_blocking_connect_waits_for_the_handshake_in_virtual_time():
    net = FakeNetwork()
    net.link("*", latency=0.1)
    net.listen(("server", 80))
    s = net.socket()
    s.setblocking(True)
    s.connect(("server", 80))  # the handshake takes one latency in the fake (no ACK segments: docs/fakes.md)
    assert s.getpeername() == ("server", 80)
    assert net.clock.now() == pytest.approx(0.1)


def test_a_blocking_call_with_a_timeout_raises_timeout_error_after_that_much_virtual_time():
    net = FakeNetwork()
    net.link("*", latency=1.0)
    net.listen(("server", 80))
    s = net.socket()
    s.settimeout(0.5)
    with pytest.raises(TimeoutError, match="timed out"):
        s.connect(("server", 80))
    assert net.clock.now() == pytest.approx(0.5)
    lst = net.listen(("other", 81))
    lst.settimeout(3.0)
    with pytest.raises(TimeoutError, match="timed out"):  # nobody connects: the whole timeout passes
        lst.accept()
    assert net.clock.now() == pytest.approx(3.5)


def test_a_blocking_recv_waits_for_data_in_flight_and_sees_it_arrive():
    net = FakeNetwork()
    net.link("*", latency=0.25)
    lst, c, conn = pair_with_server_in_blocking_mode(net)
    start = net.clock.now()
    c.send(b"hello")
    assert conn.recv(100) == b"hello"  # in flight for 0.25 s: the blocked recv lets it arrive
    assert net.clock.now() - start == pytest.approx(0.25)
    with pytest.raises(FakeBlockingError, match="would block forever"):  # nothing more is coming
        conn.recv(100)


def test_connect_raises_errors_as_oserror():
    net = FakeNetwork()
    lst = net.listen(("server", 80))
    c = net.connect(("server", 80))
    c.connect(("server", 80))  # finished: returns quietly once
    with pytest.raises(OSError) as info:
        c.connect(("server", 80))
    assert info.value.errno == errno.EISCONN


def test_flags_other_than_zero_are_refused():
    net = FakeNetwork()
    a, b = net.socketpair()
    for call in (lambda: a.recv(1, socket.MSG_PEEK), lambda: a.send(b"x", socket.MSG_DONTWAIT),
                 lambda: a.sendall(b"x", 1)):
        with pytest.raises(ValueError, match="flags"):
            call()


def test_send_accepts_any_bytes_like_object():
    net = FakeNetwork()
    a, b = net.socketpair()
    assert a.send(bytearray(b"ab")) == 2
    assert a.send(memoryview(b"cd")) == 2
    assert a.send(memoryview(b"\x00e\x00f").cast("H")) == 4
    a.sendall(memoryview(bytearray(b"gh")))
    assert a.send(b"") == 0
    assert b.recv(100) == b"abcd\x00e\x00fgh"


def test_options_are_stored():
    net = FakeNetwork()
    s = net.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM
    linger = struct.pack("ii", 1, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8) == linger
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 4) == b"\x01\x00\x00\x00"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, None, 8)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER) == 0


def test_linger_off_is_a_graceful_close():
    net = FakeNetwork()
    a, b = net.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
    a.close()
    assert b.recv(1) == b""


def test_detach_is_not_supported():
    with pytest.raises(OSError):
        FakeNetwork().socket().detach()


def test_address_validation():
    net = FakeNetwork()
    s = net.socket()
    with pytest.raises(TypeError):
        s.connect_ex(["h", 1])
    with pytest.raises(TypeError):
        s.connect_ex(("h", 1, 2))
    with pytest.raises(TypeError):
        s.connect_ex((1, 2))
    with pytest.raises(TypeError):
        s.connect_ex(("h", "80"))
    with pytest.raises(OverflowError):
        s.connect_ex(("h", -1))


def test_every_call_is_traced_with_its_result_or_errno_name():
    net = FakeNetwork()
    lst = net.listen(("server", 80))
    with pytest.raises(BlockingIOError):
        lst.accept()
    c = net.connect(("server", 80), name="client")
    conn, _ = lst.accept()
    conn.setblocking(False)
    with pytest.raises(BlockingIOError):
        conn.recv(5)
    c.send(b"hi")
    conn.recv(5)
    c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    c.shutdown(socket.SHUT_WR)
    with pytest.raises(BrokenPipeError):
        c.send(b"x")
    other = net.socket("other")
    with pytest.raises(OSError):
        other.bind(("server", 80))
    with pytest.raises(OSError):
        other.shutdown(socket.SHUT_RDWR)
    other.close()
    lines = [(e.sock, e.op, e.args, e.result) for e in net.trace.events]
    assert lines == [
        ("server:80", "socket", (socket.AF_INET, socket.SOCK_STREAM), None),
        ("server:80", "bind", (("server", 80),), None),
        ("server:80", "listen", (("server", 80),), None),
        ("server:80", "accept", (), "EAGAIN"),
        ("client", "socket", (socket.AF_INET, socket.SOCK_STREAM), None),
        ("client", "connect_ex", (("server", 80),), errno.EINPROGRESS),
        ("server:80", "accept", (), ("server:80<-client", ("127.0.0.1", 40000))),
        ("server:80<-client", "recv", (5,), "EAGAIN"),
        ("client", "send", (b"hi",), 2),
        ("server:80<-client", "recv", (5,), b"hi"),
        ("client", "so_error", (), 0),
        ("client", "shutdown", (socket.SHUT_WR,), None),
        ("client", "send", (b"x",), "EPIPE"),
        ("other", "socket", (socket.AF_INET, socket.SOCK_STREAM), None),
        ("other", "bind", (("server", 80),), "EADDRINUSE"),
        ("other", "shutdown", (socket.SHUT_RDWR,), "ENOTCONN"),
        ("other", "close", (), None),
    ]


def test_a_failed_listen_is_traced():
    net = FakeNetwork()
    a, b = net.socketpair()
    with pytest.raises(OSError) as info:
        a.listen()
    assert info.value.errno == errno.EINVAL
    assert net.trace.events[-1].op == "listen" and net.trace.events[-1].result == "EINVAL"


def test_sendall_records_each_partial_send_and_traced_bytes_survive_the_callers_buffer():
    net = FakeNetwork()
    net.endpoint("*", max_send=2)
    a, b = net.socketpair()
    buf = bytearray(b"abcde")
    a.sendall(buf)
    buf[:] = b"zzzzz"
    sends = [(e.args[0], e.result) for e in net.trace.events if e.op == "send"]
    assert sends == [(b"abcde", 2), (b"cde", 2), (b"e", 1)]
    assert b.recv(10) == b"abcde"


def test_shutdown_of_a_listener_stops_it_and_bad_how_is_einval():
    net = FakeNetwork()
    lst = net.listen(("h", 1))
    lst.shutdown(socket.SHUT_RDWR)  # as Linux (tests/conformance/test_conformance_tcp_close.py)
    assert "unconnected, bound to h:1" in repr(lst)
    with pytest.raises(OSError) as info:
        lst.shutdown(3)
    assert info.value.errno == errno.EINVAL


# -- the deviations from Linux that docs/fakes.md lists, pinned --------------------------------------------


def test_deviation_a_listener_shut_for_reading_listens_again():
    # Linux (a listener bound to port 0): listen() succeeds but connects are refused; the fake listens again
    net = FakeNetwork()
    lst = net.listen(("h", 1))
    lst.shutdown(socket.SHUT_RD)
    lst.listen()
    c = net.connect(("h", 1))
    net.run_until_idle()
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert lst.accept()[1] == c.getsockname()


def _dup_story(a, b, make_selector):
    """What a user sees of dup(): one connection, two descriptors; it ends only with the last close."""
    seen = []
    d = a.dup()
    seen.append(d.fileno() != a.fileno() and d.gettimeout() == a.gettimeout())
    sel = make_selector()
    sel.register(d, selectors.EVENT_READ)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # no reset: d is still open
    a.close()
    b.send(b"ping")
    seen.append([(key.fileobj is d, mask) for key, mask in sel.select(5)])
    seen.append(d.recv(10))
    d.send(b"pong")
    seen.append(b.recv(10))
    try:
        b.recv(10)
        seen.append("data or EOF")
    except BlockingIOError:
        seen.append("EAGAIN: still open")
    sel.unregister(d)
    sel.close()
    d.close()
    seen.append(b.recv(10))  # the last descriptor closed: EOF
    with pytest.raises(OSError) as info:
        d.dup()
    seen.append(info.value.errno)
    b.close()
    return seen


def test_dup_is_a_second_descriptor_of_one_connection_as_on_linux():
    real_a, real_b = socket.socketpair()
    real_b.setblocking(False)
    real_a.setblocking(False)
    net = FakeNetwork()
    fake_a, fake_b = net.socketpair()
    real = _dup_story(real_a, real_b, selectors.DefaultSelector)
    fake = _dup_story(fake_a, fake_b, net.selector)
    assert fake == real == [True, [(True, 1)], b"ping", b"pong", "EAGAIN: still open", b"", errno.EBADF]
    assert net.open_sockets() == []
    assert [e.result for e in net.trace.events if e.op == "dup"] == ["a+dup1"]


def test_a_run_that_dups_replays_strictly():
    from fakes import ReplayNetwork

    def run(net):
        a, b = net.socketpair()
        d = a.dup()
        a.close()
        d.send(b"x")
        got = b.recv(5)
        d.close()
        b.close()
        return got

    net = FakeNetwork()
    assert run(net) == b"x"
    replay = ReplayNetwork(net.trace.events)
    assert run(replay) == b"x" and replay.finish() is None
    assert replay.trace.to_text() == net.trace.to_text()


def test_deviation_buffer_options_report_but_do_not_resize():
    net = FakeNetwork()
    net.endpoint("client", sndbuf=1000)
    net.listen(("h", 1))
    c = net.connect(("h", 1), name="client")
    net.run_until_idle()
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 1000  # the configured size, not Linux's 16384
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 262144
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 10)
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 4608  # reported as Linux would
    assert c.send(b"x" * 500_000) == 1000 + 262144  # but the buffer is still the configured one


def test_deviation_writable_as_soon_as_one_byte_is_free():
    # Linux reports EPOLLOUT only once about a third of the send buffer is free; the fake at one byte
    net = FakeNetwork()
    a, b = net.socketpair()
    with pytest.raises(BlockingIOError):
        while True:
            a.send(b"x" * 65536)
    assert net.sock_readiness(a) == 0
    b.recv(1)
    assert net.sock_readiness(a) == selectors.EVENT_WRITE


def test_recv_and_send_while_connecting_would_block():
    net = FakeNetwork()
    net.link("*", latency=1)
    net.listen(("h", 1))
    c = net.connect(("h", 1))
    with pytest.raises(BlockingIOError):
        c.recv(1)
    with pytest.raises(BlockingIOError):
        c.send(b"x")
    assert c.connect_ex(("h", 1)) == errno.EALREADY
    with pytest.raises(OSError) as info:
        c.getpeername()
    assert info.value.errno == errno.ENOTCONN


def test_send_on_a_refused_socket_reports_the_error_once_then_epipe():
    net = FakeNetwork()
    c = net.connect(("nobody", 1))
    with pytest.raises(ConnectionRefusedError):
        c.send(b"x")
    with pytest.raises(BrokenPipeError):
        c.send(b"x")


def test_deviation_the_close_handshake_is_over_when_the_last_fin_arrives():
    # no ACK segments: on Linux the side that sent the last FIN says ENOTCONN one latency later, on the ACK
    net = FakeNetwork()
    net.link("*", latency=1.0)
    lst = net.listen(("h", 1))
    a = net.connect(("h", 1))
    net.run_until_idle()
    b, _ = lst.accept()
    a.shutdown(socket.SHUT_WR)
    net.run_until_idle()  # t=2: a's FIN is at b
    assert b.getpeername() == a.getsockname()
    b.shutdown(socket.SHUT_WR)
    net.run_until_idle()  # t=3: b's FIN is at a; Linux's b would wait for a's ACK until t=4
    assert net.clock.now() == 3.0
    for s in (a, b):
        with pytest.raises(OSError) as info:
            s.getpeername()
        assert info.value.errno == errno.ENOTCONN


def test_deviation_a_reset_loses_nothing_sent_before_it():
    # Linux drops what a closed peer still had in its send buffer; the fake delivers all of it first
    net = FakeNetwork()
    a, b = net.socketpair()
    sent = 0
    with pytest.raises(BlockingIOError):
        while True:
            sent += b.send(b"x" * 65536)
    b.close()  # a FIN behind more than a's receive buffer holds: not arrived yet
    assert a.send(b"y") == 1  # draws a reset: the FIN had not come, so ECONNRESET
    got = 0
    with pytest.raises(ConnectionResetError):
        while True:
            got += len(a.recv(1 << 20))
    assert got == sent


def test_deviation_a_full_peers_send_buffer_counts_as_arrived():
    # Linux: what a full peer still holds in its send buffer arrives later (when the window opens) and
    # resets a socket shut both ways since; the fake holds sndbuf + rcvbuf as arrived, so nothing comes
    net = FakeNetwork()
    a, b = net.socketpair()
    a.shutdown(socket.SHUT_RD)
    with pytest.raises(BlockingIOError):
        while True:
            b.send(b"x" * 65536)
    while a.recv(65536):
        pass
    a.shutdown(socket.SHUT_RDWR)
    net.run_until_idle()
    with pytest.raises(BrokenPipeError):  # Linux: ConnectionResetError
        a.send(b"")
