"""FakeSocket against the real thing: the same test body runs on real sockets and on fakes.

Worlds: ``real-unix`` (socket.socketpair()), ``real-tcp`` (a loopback
listener + connect), ``fake-pair`` (net.socketpair()) and ``fake-tcp``
(net.listen + net.connect). A test runs in every world that can show the
behaviour it checks.
"""

from __future__ import annotations

import errno
import selectors
import socket
import struct
import time

import pytest

import fakes

PAIR_WORLDS = ["real-unix", "real-tcp", "fake-pair", "fake-tcp"]
TCP_WORLDS = ["real-tcp", "fake-pair", "fake-tcp"]
CONNECT_WORLDS = ["real", "fake"]


class World:
    """Makes sockets in one world and waits for readiness in it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.fake = kind.startswith("fake")
        self.net = fakes.FakeNetwork(seed=3) if self.fake else None
        self.socks: list = []

    def keep(self, *socks):
        self.socks.extend(socks)
        return socks

    def pair(self):
        if self.kind == "real-unix":
            a, b = socket.socketpair()
        elif self.kind == "fake-pair":
            a, b = self.net.socketpair(("a", "b"))
        else:
            lst, addr = self.listener()
            a = self.socket()
            assert a.connect_ex(addr) == errno.EINPROGRESS
            self.wait(lst, selectors.EVENT_READ)
            b, _ = lst.accept()
            lst.close()
            self.wait(a, selectors.EVENT_WRITE)
        a.setblocking(False)
        b.setblocking(False)
        self.keep(a, b)
        return a, b

    def socket(self):
        sock = self.net.socket() if self.fake else socket.socket()
        sock.setblocking(False)
        self.keep(sock)
        return sock

    def listener(self):
        if self.fake:
            lst = self.net.listen(("server", 80))
        else:
            lst = socket.socket()
            lst.bind(("127.0.0.1", 0))
            lst.listen()
            lst.setblocking(False)
        self.keep(lst)
        return lst, lst.getsockname()

    def closed_port(self):
        """An address nobody listens on."""
        if self.fake:
            return ("127.0.0.1", 9)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        addr = s.getsockname()
        s.close()
        return addr

    def selector(self):
        return self.net.selector() if self.fake else selectors.DefaultSelector()

    def wait(self, sock, events, timeout=2.0) -> int:
        """Wait until ``sock`` reports one of ``events``; returns the mask reported."""
        with self.selector() as sel:
            sel.register(sock, events)
            ready = sel.select(timeout)
        assert ready, f"{sock!r} did not become ready"
        return ready[0][1]

    def settle(self):
        """Let in-flight segments (a real RST, say) arrive."""
        if self.fake:
            self.net.run_until_idle()
        else:
            time.sleep(0.02)

    def close_all(self):
        for sock in self.socks:
            sock.close()
        if self.fake:
            assert self.net.open_sockets() == []


@pytest.fixture
def world(request):
    w = World(request.param)
    yield w
    w.close_all()


def worlds(kinds):
    return pytest.mark.parametrize("world", kinds, indirect=True)


def errno_of(call, *args):
    with pytest.raises(OSError) as info:
        call(*args)
    return info.value.errno


# -- data ---------------------------------------------------------------------------------------


@worlds(PAIR_WORLDS)
def test_recv_with_nothing_there_raises_eagain(world):
    a, b = world.pair()
    with pytest.raises(BlockingIOError) as info:
        a.recv(10)
    assert info.value.errno == errno.EAGAIN


@worlds(PAIR_WORLDS)
def test_data_arrives_in_order_and_recv_returns_what_is_there(world):
    a, b = world.pair()
    assert a.send(b"hello ") == 6
    a.sendall(b"world")
    world.wait(b, selectors.EVENT_READ)
    assert b.recv(3) == b"hel"
    assert b.recv(100) == b"lo world"
    with pytest.raises(BlockingIOError):
        b.recv(100)


@worlds(PAIR_WORLDS)
def test_recv_into_and_recv_zero(world):
    a, b = world.pair()
    a.send(b"abcdef")
    world.wait(b, selectors.EVENT_READ)
    assert b.recv(0) == b""
    buf = bytearray(4)
    assert b.recv_into(buf) == 4
    assert buf == bytearray(b"abcd")
    assert b.recv_into(buf, 2) == 2
    assert buf[:2] == bytearray(b"ef")
    with pytest.raises(ValueError):
        b.recv_into(buf, 5)
    with pytest.raises(ValueError):
        b.recv(-1)
    with pytest.raises(TypeError):
        b.send("text")


@worlds(PAIR_WORLDS)
def test_partial_send_when_the_buffer_fills_then_eagain_then_writable_again(world):
    a, b = world.pair()
    big = bytes(range(256)) * 40000  # 10 MB: more than any buffer
    sent = a.send(big)
    assert 0 < sent < len(big)
    with pytest.raises(BlockingIOError) as info:
        a.send(b"x")
    assert info.value.errno == errno.EAGAIN
    got = bytearray()
    while len(got) < sent:
        world.wait(b, selectors.EVENT_READ)
        try:
            got += b.recv(1 << 20)
        except BlockingIOError:
            pass
    assert bytes(got) == big[:sent]
    assert world.wait(a, selectors.EVENT_WRITE) & selectors.EVENT_WRITE
    assert a.send(b"more") == 4


@worlds(PAIR_WORLDS)
def test_nonblocking_sendall_on_a_full_buffer_raises_blocking_io_error(world):
    a, b = world.pair()
    with pytest.raises(BlockingIOError):
        a.sendall(b"x" * 10_000_000)


@worlds(PAIR_WORLDS)
def test_eof_after_the_peer_closes(world):
    a, b = world.pair()
    a.send(b"data")
    a.close()
    world.wait(b, selectors.EVENT_READ)
    assert b.recv(100) == b"data"
    assert b.recv(100) == b""
    assert b.recv(100) == b""


@worlds(PAIR_WORLDS)
def test_shutdown_wr_gives_eof_but_the_other_direction_still_works(world):
    a, b = world.pair()
    a.send(b"hi")
    a.shutdown(socket.SHUT_WR)
    world.wait(b, selectors.EVENT_READ)
    assert b.recv(10) == b"hi"
    assert b.recv(10) == b""
    assert b.send(b"back") == 4
    world.wait(a, selectors.EVENT_READ)
    assert a.recv(10) == b"back"
    assert errno_of(a.send, b"x") == errno.EPIPE
    a.shutdown(socket.SHUT_WR)  # again: no error


@worlds(PAIR_WORLDS)
def test_shutdown_rd_makes_recv_return_eof(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_RD)
    assert a.recv(10) == b""
    assert world.wait(a, selectors.EVENT_READ) == selectors.EVENT_READ


@worlds(PAIR_WORLDS)
def test_sending_after_the_peer_closed_is_a_broken_pipe(world):
    # a socketpair fails the first send; TCP (real and fake) lets one through, then the peer's RST
    # makes the next one fail (pinned in test_conformance_tcp_close.py). Either way: within two sends.
    a, b = world.pair()
    b.close()
    world.settle()
    with pytest.raises(BrokenPipeError):
        for _ in range(2):
            a.send(b"x")
            world.settle()


@worlds(PAIR_WORLDS)
def test_closing_with_unread_data_resets_the_peer_after_the_data_it_sent(world):
    a, b = world.pair()
    b.send(b"unread")
    world.wait(a, selectors.EVENT_READ)
    a.send(b"last")
    a.close()
    world.settle()
    assert world.wait(b, selectors.EVENT_READ | selectors.EVENT_WRITE) == selectors.EVENT_READ | selectors.EVENT_WRITE
    assert b.recv(100) == b"last"
    with pytest.raises(ConnectionResetError) as info:
        b.recv(100)
    assert info.value.errno == errno.ECONNRESET
    assert b.recv(100) == b""
    assert errno_of(b.send, b"x") == errno.EPIPE


@worlds(TCP_WORLDS)
def test_so_linger_zero_close_resets_the_peer(world):
    a, b = world.pair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    a.close()
    world.settle()
    with pytest.raises(ConnectionResetError):
        b.recv(100)
    assert b.recv(100) == b""
    with pytest.raises(BrokenPipeError):
        b.send(b"x")


@worlds(TCP_WORLDS)
def test_a_reset_is_reported_once_by_so_error_or_by_send(world):
    a, b = world.pair()
    c, d = world.pair()
    for closing in (a, c):
        closing.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        closing.close()
    world.settle()
    assert b.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET
    assert b.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert b.recv(10) == b""
    with pytest.raises(ConnectionResetError):
        d.send(b"x")
    with pytest.raises(BrokenPipeError):
        d.send(b"x")


@worlds(PAIR_WORLDS)
def test_so_error_is_zero_on_a_healthy_socket(world):
    a, b = world.pair()
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


@worlds(PAIR_WORLDS)
def test_addresses_of_a_connected_pair_match(world):
    a, b = world.pair()
    assert a.getpeername() == b.getsockname()
    assert b.getpeername() == a.getsockname()


@worlds(PAIR_WORLDS)
def test_every_operation_after_close_is_ebadf(world):
    a, b = world.pair()
    a.close()
    assert a.fileno() == -1
    a.close()  # again: nothing happens
    ops = [
        (a.recv, 1), (a.send, b"x"), (a.sendall, b"x"), (a.recv_into, bytearray(1)),
        (a.getsockopt, socket.SOL_SOCKET, socket.SO_ERROR),
        (a.setsockopt, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
        (a.shutdown, socket.SHUT_RDWR), (a.getpeername,), (a.getsockname,),
        (a.setblocking, False), (a.settimeout, 1.0), (a.accept,), (a.listen,),
    ]
    for call, *args in ops:
        assert errno_of(call, *args) == errno.EBADF, call.__name__


@worlds(PAIR_WORLDS)
def test_readiness_follows_data_and_eof(world):
    a, b = world.pair()
    with world.selector() as sel:
        sel.register(a, selectors.EVENT_READ | selectors.EVENT_WRITE)
        assert [m for _, m in sel.select(0)] == [selectors.EVENT_WRITE]
        b.send(b"x")
        world.wait(a, selectors.EVENT_READ)
        assert [m for _, m in sel.select(0)] == [selectors.EVENT_READ | selectors.EVENT_WRITE]
        a.recv(10)
        assert [m for _, m in sel.select(0)] == [selectors.EVENT_WRITE]
        b.shutdown(socket.SHUT_WR)
        world.wait(a, selectors.EVENT_READ)
        assert [m for _, m in sel.select(0)] == [selectors.EVENT_READ | selectors.EVENT_WRITE]


# -- unconnected, connecting, listening ------------------------------------------------------------


@worlds(CONNECT_WORLDS)
def test_an_unconnected_socket(world):
    s = world.socket()
    assert errno_of(s.getpeername) == errno.ENOTCONN
    assert errno_of(s.recv, 1) == errno.ENOTCONN
    assert errno_of(s.send, b"x") == errno.EPIPE
    assert errno_of(s.shutdown, socket.SHUT_RDWR) == errno.ENOTCONN
    assert errno_of(s.shutdown, 7) == errno.EINVAL
    assert errno_of(s.accept) == errno.EINVAL
    assert s.getsockname() == ("0.0.0.0", 0)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert world.wait(s, selectors.EVENT_READ | selectors.EVENT_WRITE) == selectors.EVENT_READ | selectors.EVENT_WRITE


@worlds(CONNECT_WORLDS)
def test_connect_ex_reports_in_progress_then_done_once_then_isconn(world):
    lst, addr = world.listener()
    c = world.socket()
    assert c.connect_ex(addr) == errno.EINPROGRESS
    assert world.wait(c, selectors.EVENT_WRITE) == selectors.EVENT_WRITE
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert c.connect_ex(addr) == 0
    assert c.connect_ex(addr) == errno.EISCONN
    assert c.getpeername() == addr


@worlds(CONNECT_WORLDS)
def test_connect_on_a_nonblocking_socket_raises_in_progress(world):
    lst, addr = world.listener()
    c = world.socket()
    with pytest.raises(BlockingIOError) as info:
        c.connect(addr)
    assert info.value.errno == errno.EINPROGRESS


@worlds(CONNECT_WORLDS)
def test_accept(world):
    lst, addr = world.listener()
    with pytest.raises(BlockingIOError) as info:
        lst.accept()
    assert info.value.errno == errno.EAGAIN
    c = world.socket()
    c.connect_ex(addr)
    assert world.wait(lst, selectors.EVENT_READ | selectors.EVENT_WRITE) == selectors.EVENT_READ
    conn, peer = lst.accept()
    world.keep(conn)
    assert conn.getblocking() is True  # accepted sockets start in blocking mode
    assert peer == c.getsockname() == conn.getpeername()
    assert conn.getsockname() == addr == c.getpeername()
    with pytest.raises(BlockingIOError):
        lst.accept()


@worlds(CONNECT_WORLDS)
def test_a_listening_socket_is_not_a_connection(world):
    lst, addr = world.listener()
    assert lst.connect_ex(addr) == errno.EISCONN
    assert errno_of(lst.recv, 1) == errno.ENOTCONN
    assert errno_of(lst.send, b"x") == errno.EPIPE
    assert errno_of(lst.getpeername) == errno.ENOTCONN


@worlds(CONNECT_WORLDS)
def test_a_refused_connect_surfaces_through_so_error(world):
    c = world.socket()
    assert c.connect_ex(world.closed_port()) == errno.EINPROGRESS
    assert world.wait(c, selectors.EVENT_WRITE) == selectors.EVENT_WRITE
    assert world.wait(c, selectors.EVENT_READ | selectors.EVENT_WRITE) == selectors.EVENT_READ | selectors.EVENT_WRITE
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED
    assert c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert errno_of(c.getpeername) == errno.ENOTCONN
    assert c.connect_ex(world.closed_port()) == errno.ECONNABORTED


@worlds(CONNECT_WORLDS)
def test_a_refused_connect_is_raised_once_by_recv(world):
    c = world.socket()
    with pytest.raises(BlockingIOError):
        c.connect(world.closed_port())
    world.wait(c, selectors.EVENT_READ)
    with pytest.raises(ConnectionRefusedError):
        c.recv(1)
    assert c.recv(1) == b""


@worlds(CONNECT_WORLDS)
def test_bind_errors(world):
    lst, addr = world.listener()
    s = world.socket()
    assert errno_of(s.bind, addr) == errno.EADDRINUSE
    t = world.socket()
    t.bind(("127.0.0.1", 0))
    assert t.getsockname()[1] != 0
    assert errno_of(t.bind, ("127.0.0.1", 0)) == errno.EINVAL
    with pytest.raises(OverflowError):
        world.socket().bind(("127.0.0.1", 70000))
    with pytest.raises(TypeError):
        world.socket().connect_ex("127.0.0.1:80")


@worlds(CONNECT_WORLDS)
def test_blocking_flags_and_timeouts(world):
    s = world.socket()
    assert s.getblocking() is False and s.gettimeout() == 0.0
    s.setblocking(True)
    assert s.getblocking() is True and s.gettimeout() is None
    s.settimeout(2)
    assert s.getblocking() is True and s.gettimeout() == 2.0
    s.settimeout(0)
    assert s.getblocking() is False
    with pytest.raises(ValueError):
        s.settimeout(-1)
    assert s.family == socket.AF_INET and s.type == socket.SOCK_STREAM
