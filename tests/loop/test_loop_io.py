"""Socket operations of the loop on real sockets: waits, recv, send, sendall, accept, connect, bare yield."""

from __future__ import annotations

import errno
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopsim


@pytest.fixture
def pair():
    """A connected, non-blocking AF_UNIX stream socketpair, closed after the test."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def fill(sock: socket.socket) -> int:
    """Send until ``sock``'s buffer is full; returns how many bytes went."""
    total = 0
    chunk = b"f" * 65536
    while True:
        try:
            total += sock.send(chunk)
        except BlockingIOError:
            return total


def drain(sock: socket.socket) -> bytes:
    """Read everything ``sock`` has right now (non-blocking)."""
    out = bytearray()
    while True:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return bytes(out)
        if not data:
            return bytes(out)
        out += data


def ticks(log: list, n: int = 3):
    """Let the loop go round ``n`` times, logging each turn."""
    for i in range(n):
        yield from loopsim.sleep(0)
        log.append(f"tick{i}")


# -- wait_readable / wait_writable ------------------------------------------------------


def test_wait_readable_resumes_only_once_data_arrives(pair):
    a, b = pair
    log = []

    def reader():
        yield from loopsim.wait_readable(b)
        log.append("readable")
        return b.recv(10)

    def writer():
        yield from ticks(log)
        a.send(b"hi")
        log.append("sent")

    def main():
        r = yield from loopsim.spawn(reader())
        yield from loopsim.spawn(writer())
        return (yield from loopsim.join(r))

    assert loopsim.run(main()) == b"hi"
    assert log == ["tick0", "tick1", "tick2", "sent", "readable"]


def test_wait_readable_resumes_on_eof(pair):
    a, b = pair

    def main():
        a.shutdown(socket.SHUT_WR)
        yield from loopsim.wait_readable(b)
        return b.recv(10)

    assert loopsim.run(main()) == b""


def test_wait_writable_resumes_at_once_when_buffer_has_room(pair):
    a, _ = pair

    def main():
        yield from loopsim.wait_writable(a)
        return a.send(b"x")

    assert loopsim.run(main()) == 1


def test_wait_writable_on_full_buffer_resumes_after_peer_drains(pair):
    a, b = pair
    fill(a)
    log = []

    def writer():
        yield from loopsim.wait_writable(a)
        log.append("writable")

    def drainer():
        yield from ticks(log)
        drain(b)
        log.append("drained")

    def main():
        w = yield from loopsim.spawn(writer())
        yield from loopsim.spawn(drainer())
        yield from loopsim.join(w)

    loopsim.run(main())
    assert log == ["tick0", "tick1", "tick2", "drained", "writable"]


def test_one_reader_and_one_writer_may_wait_on_the_same_socket(pair):
    a, b = pair
    fill(a)

    def reader():
        return (yield from loopsim.recv(a, 10))

    def writer():
        return (yield from loopsim.send(a, b"w"))

    def main():
        r = yield from loopsim.spawn(reader())
        w = yield from loopsim.spawn(writer())
        yield from loopsim.sleep(0)
        drain(b)
        b.send(b"to-a")
        return (yield from loopsim.join(r)), (yield from loopsim.join(w))

    assert loopsim.run(main()) == (b"to-a", 1)


# -- the seed's bare `yield sock` ------------------------------------------------------------


def test_bare_yield_of_a_socket_resumes_when_writable(pair):
    a, _ = pair

    def main():
        yield a  # the seed's form
        return a.send(b"x")

    assert loopsim.run(main()) == 1


def test_bare_yield_of_a_socket_resumes_when_readable_though_not_writable(pair):
    a, b = pair
    fill(a)  # a is not writable now
    log = []

    def waiter():
        yield a
        log.append("resumed")
        return a.recv(10)

    def peer():
        yield from ticks(log)
        b.send(b"data")  # a becomes readable (still not writable)
        log.append("sent")

    def main():
        w = yield from loopsim.spawn(waiter())
        yield from loopsim.spawn(peer())
        return (yield from loopsim.join(w))

    assert loopsim.run(main()) == b"data"
    assert log == ["tick0", "tick1", "tick2", "sent", "resumed"]


# -- recv ------------------------------------------------------------------------------------


def test_recv_returns_at_most_n_bytes_then_the_rest(pair):
    a, b = pair

    def main():
        a.send(b"abcdef")
        first = yield from loopsim.recv(b, 4)
        second = yield from loopsim.recv(b, 4)
        return first, second

    assert loopsim.run(main()) == (b"abcd", b"ef")


def test_recv_returns_empty_bytes_at_eof(pair):
    a, b = pair

    def main():
        a.send(b"last")
        a.shutdown(socket.SHUT_WR)
        return (yield from loopsim.recv(b, 100)), (yield from loopsim.recv(b, 100))

    assert loopsim.run(main()) == (b"last", b"")


def test_recv_raises_connection_reset_from_the_socket(listener):
    def main():
        client = socket.socket()
        client.setblocking(False)
        conn = None
        try:
            yield from loopsim.connect(client, listener.getsockname())
            conn, _ = yield from loopsim.accept(listener)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()  # linger 0: an RST
            with pytest.raises(ConnectionResetError):
                yield from loopsim.recv(client, 100)
        finally:
            client.close()

    loopsim.run(main())


def test_recv_retries_after_a_spurious_wakeup(pair):
    """Readiness without data (a task read it first) makes recv wait again, not fail."""
    a, b = pair
    log = []

    def thief():
        yield from loopsim.wait_readable(b)
        log.append(("thief", b.recv(100)))

    def victim():
        yield from loopsim.sleep(0)
        log.append(("victim", (yield from loopsim.recv(b, 100))))

    def main():
        t = yield from loopsim.spawn(thief())
        v = yield from loopsim.spawn(victim())
        a.send(b"one")
        yield from loopsim.join(t)
        a.send(b"two")
        yield from loopsim.join(v)

    loopsim.run(main())
    assert log == [("thief", b"one"), ("victim", b"two")]


# -- send / sendall --------------------------------------------------------------------------


def test_send_may_be_partial_and_returns_the_count(pair):
    a, b = pair
    payload = bytes(range(256)) * 8192  # 2 MiB: more than a socket buffer holds

    def main():
        return (yield from loopsim.send(a, payload))

    count = loopsim.run(main())
    assert 0 < count < len(payload)
    assert drain(b) == payload[:count]


def test_send_waits_while_the_buffer_is_full(pair):
    a, b = pair
    fill(a)
    log = []

    def sender():
        n = yield from loopsim.send(a, b"late")
        log.append("sent")
        return n

    def drainer():
        yield from ticks(log)
        drain(b)
        log.append("drained")

    def main():
        s = yield from loopsim.spawn(sender())
        yield from loopsim.spawn(drainer())
        return (yield from loopsim.join(s))

    assert loopsim.run(main()) == 4
    assert log == ["tick0", "tick1", "tick2", "drained", "sent"]


def test_sendall_delivers_everything_through_a_full_buffer(pair):
    a, b = pair
    payload = bytes(range(256)) * 8192

    def receiver():
        out = bytearray()
        while data := (yield from loopsim.recv(b, 65536)):
            out += data
        return bytes(out)

    def main():
        r = yield from loopsim.spawn(receiver())
        yield from loopsim.sendall(a, payload)
        a.shutdown(socket.SHUT_WR)
        return (yield from loopsim.join(r))

    assert loopsim.run(main()) == payload


def test_sendall_of_nothing_sends_nothing(pair):
    a, b = pair

    def main():
        yield from loopsim.sendall(a, b"")
        a.shutdown(socket.SHUT_WR)
        return (yield from loopsim.recv(b, 10))

    assert loopsim.run(main()) == b""


def test_sendall_raises_broken_pipe_when_the_peer_is_gone(pair):
    a, b = pair
    b.close()

    def main():
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            yield from loopsim.sendall(a, b"x" * 100000)

    loopsim.run(main())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=st.binary(min_size=0, max_size=300_000),
    send_sizes=st.lists(st.integers(1, 100_000), min_size=1, max_size=8),
    recv_sizes=st.lists(st.integers(1, 100_000), min_size=1, max_size=8),
)
def test_bytes_arrive_intact_and_in_order_whatever_the_chunking(payload, send_sizes, recv_sizes):
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # force partial sends

    def sender():
        pos, i = 0, 0
        while pos < len(payload):
            size = send_sizes[i % len(send_sizes)]
            yield from loopsim.sendall(a, payload[pos:pos + size])
            pos += size
            i += 1
        a.shutdown(socket.SHUT_WR)

    def receiver():
        out = bytearray()
        i = 0
        while data := (yield from loopsim.recv(b, recv_sizes[i % len(recv_sizes)])):
            assert len(data) <= recv_sizes[i % len(recv_sizes)]
            out += data
            i += 1
        return bytes(out)

    def main():
        r = yield from loopsim.spawn(receiver())
        s = yield from loopsim.spawn(sender())
        yield from loopsim.join(s)
        return (yield from loopsim.join(r))

    try:
        assert loopsim.run(main()) == payload
    finally:
        a.close()
        b.close()


# -- accept / connect ------------------------------------------------------------------------


def test_accept_returns_a_non_blocking_connection_and_the_peer_address(listener):
    def main():
        client = socket.socket()
        client.setblocking(False)
        try:
            yield from loopsim.connect(client, listener.getsockname())
            conn, addr = yield from loopsim.accept(listener)
            try:
                assert conn.getblocking() is False
                assert conn.gettimeout() == 0.0
                assert addr == client.getsockname()
                with pytest.raises(BlockingIOError):
                    conn.recv(10)  # would have blocked forever on a blocking socket
            finally:
                conn.close()
        finally:
            client.close()

    loopsim.run(main())


def test_accept_waits_for_a_client(listener):
    log = []

    def server():
        conn, _ = yield from loopsim.accept(listener)
        log.append("accepted")
        conn.close()

    def client():
        yield from ticks(log)
        sock = socket.socket()
        sock.setblocking(False)
        try:
            log.append("connecting")
            yield from loopsim.connect(sock, listener.getsockname())
        finally:
            sock.close()

    def main():
        s = yield from loopsim.spawn(server())
        c = yield from loopsim.spawn(client())
        yield from loopsim.join(c)
        yield from loopsim.join(s)

    loopsim.run(main())
    assert log == ["tick0", "tick1", "tick2", "connecting", "accepted"]


def test_connect_then_data_flows(listener):
    def main():
        client = socket.socket()
        client.setblocking(False)
        try:
            yield from loopsim.connect(client, listener.getsockname())
            conn, _ = yield from loopsim.accept(listener)
            try:
                yield from loopsim.sendall(client, b"ping")
                return (yield from loopsim.recv(conn, 10))
            finally:
                conn.close()
        finally:
            client.close()

    assert loopsim.run(main()) == b"ping"


def test_connect_when_a_connect_is_already_in_progress(listener):
    def main():
        client = socket.socket()
        client.setblocking(False)
        try:
            assert client.connect_ex(listener.getsockname()) == errno.EINPROGRESS
            yield from loopsim.connect(client, listener.getsockname())
            yield from loopsim.connect(client, listener.getsockname())  # already connected: EISCONN
            return client.getpeername()
        finally:
            client.close()

    assert loopsim.run(main()) == listener.getsockname()


def test_connect_to_a_closed_port_raises_connection_refused():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    addr = probe.getsockname()
    probe.close()  # nothing listens there now

    def main():
        client = socket.socket()
        client.setblocking(False)
        try:
            yield from loopsim.connect(client, addr)
        finally:
            client.close()

    with pytest.raises(ConnectionRefusedError):
        loopsim.run(main())


class ScriptedConnect:
    """A socket whose connect_ex and SO_ERROR answers are scripted; select sees a real writable socket."""

    def __init__(self, real: socket.socket, connect_answers: list[int], so_errors: list[int]) -> None:
        self.real = real
        self.connect_answers = list(connect_answers)
        self.so_errors = list(so_errors)
        self.calls: list[str] = []

    def fileno(self) -> int:
        return self.real.fileno()

    def connect_ex(self, addr):
        self.calls.append("connect_ex")
        return self.connect_answers.pop(0)

    def getsockopt(self, level, option):
        assert (level, option) == (socket.SOL_SOCKET, socket.SO_ERROR)
        self.calls.append("SO_ERROR")
        return self.so_errors.pop(0)


@pytest.mark.parametrize("first", [errno.EALREADY, errno.EINPROGRESS])
def test_connect_in_progress_waits_writable_and_reads_so_error(pair, first):
    sock = ScriptedConnect(pair[0], [first], [errno.EINPROGRESS, 0])

    def main():
        yield from loopsim.connect(sock, ("server2", 80))

    loopsim.run(main())
    assert sock.calls == ["connect_ex", "SO_ERROR", "SO_ERROR"]


def test_connect_already_connected_returns_at_once(pair):
    sock = ScriptedConnect(pair[0], [errno.EISCONN], [])

    def main():
        yield from loopsim.connect(sock, ("server2", 80))

    loopsim.run(main())
    assert sock.calls == ["connect_ex"]


@pytest.mark.parametrize("immediate", [True, False], ids=["at-once", "via-so-error"])
def test_connect_refused_raises_connection_refused_error(pair, immediate):
    answers = ([errno.ECONNREFUSED], []) if immediate else ([errno.EALREADY], [errno.ECONNREFUSED])
    sock = ScriptedConnect(pair[0], *answers)

    def main():
        yield from loopsim.connect(sock, ("server2", 80))

    with pytest.raises(ConnectionRefusedError) as info:
        loopsim.run(main())
    assert info.value.errno == errno.ECONNREFUSED


def test_sendall_may_be_spawned_or_bounded_by_a_timeout_like_any_operation(pair):
    a, b = pair

    def main():
        task = yield from loopsim.spawn(loopsim.sendall(a, b"spawned "))
        yield from loopsim.join(task)
        yield from loopsim.timeout(5, loopsim.sendall(a, b"bounded"))
        yield from loopsim.sendall(a, bytearray(b" and a bytearray"))
        a.shutdown(socket.SHUT_WR)
        out = bytearray()
        while data := (yield from loopsim.recv(b, 100)):
            out += data
        return bytes(out)

    assert loopsim.run(main()) == b"spawned bounded and a bytearray"


def test_wait_requests_are_values_equal_by_kind_and_socket(pair):
    from loopsim.loop.requests import WaitEither, WaitRead, WaitWrite

    a, b = pair
    assert WaitRead(a) == WaitRead(a) and hash(WaitRead(a)) == hash(WaitRead(a))
    assert WaitRead(a) != WaitWrite(a) and WaitRead(a) != WaitRead(b) and WaitEither(a) != a
    assert len({WaitRead(a), WaitRead(a), WaitWrite(a)}) == 2
    assert repr(WaitRead(a)).startswith("WaitRead(sock=<socket.socket")
