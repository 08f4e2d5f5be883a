"""How a TCP connection ends, on real loopback TCP and on the fakes: the same bodies in both worlds.

Closing, half-closing, resets and what each call says afterwards, as Linux
answers them (each expectation was read off a real non-blocking pair on
127.0.0.1, then pinned here for both worlds).
"""

from __future__ import annotations

import errno
import io
import selectors
import socket
import struct

import pytest

from .test_conformance_socket import CONNECT_WORLDS, TCP_WORLDS, errno_of, world, worlds  # noqa: F401

RW = selectors.EVENT_READ | selectors.EVENT_WRITE


def so_error(sock):
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


def abort(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@worlds(TCP_WORLDS)
def test_a_send_to_a_peer_that_closed_is_accepted_and_the_reset_fails_the_next(world):
    a, b = world.pair()
    b.close()
    world.settle()
    assert a.getpeername()  # CLOSE_WAIT: still connected
    assert a.send(b"hello") == 5  # accepted; the closed peer answers it with a RST
    world.settle()
    with pytest.raises(BrokenPipeError):
        a.send(b"again")  # the RST after the FIN: EPIPE
    assert errno_of(a.getpeername) == errno.ENOTCONN
    assert a.recv(10) == b""
    assert so_error(a) == 0
    with pytest.raises(BrokenPipeError):
        a.send(b"and again")
    assert world.wait(a, RW) == RW


@worlds(TCP_WORLDS)
def test_after_the_peers_fin_then_rst_recv_is_eof_and_the_error_stays_pending(world):
    a, b = world.pair()
    b.shutdown(socket.SHUT_WR)  # FIN
    world.settle()
    assert a.send(b"data") == 4  # b does not read it: its close resets
    world.settle()
    b.close()
    world.settle()
    assert a.recv(10) == b""
    assert a.recv(10) == b""
    assert so_error(a) == errno.EPIPE
    assert so_error(a) == 0


@worlds(TCP_WORLDS)
def test_the_error_after_fin_then_rst_goes_to_the_next_send(world):
    a, b = world.pair()
    b.shutdown(socket.SHUT_WR)
    world.settle()
    a.send(b"data")
    world.settle()
    b.close()
    world.settle()
    assert a.recv(10) == b""
    with pytest.raises(BrokenPipeError):
        a.send(b"x")
    assert so_error(a) == 0


@worlds(TCP_WORLDS)
def test_shutdown_rdwr_while_the_peer_still_sends_resets_the_connection(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_RDWR)
    world.settle()
    assert b.send(b"still talking") == 13  # b is in CLOSE_WAIT; the data draws a RST
    world.settle()
    with pytest.raises(ConnectionResetError):
        a.recv(100)  # the data is gone: the connection was reset
    with pytest.raises(BrokenPipeError):
        b.send(b"x")  # the RST after a's FIN: EPIPE
    assert b.recv(10) == b""
    assert errno_of(a.getpeername) == errno.ENOTCONN
    assert errno_of(b.getpeername) == errno.ENOTCONN


@worlds(TCP_WORLDS)
def test_shutdown_rdwr_with_data_already_unread_reads_it(world):
    a, b = world.pair()
    b.send(b"before")
    world.settle()
    a.shutdown(socket.SHUT_RDWR)
    assert a.recv(100) == b"before"
    assert a.recv(100) == b""


@worlds(TCP_WORLDS)
def test_shut_rd_alone_still_reads_what_arrives(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_RD)
    assert a.recv(10) == b""
    b.send(b"late")
    world.settle()
    assert a.recv(10) == b"late"
    assert a.recv(10) == b""


@worlds(["real-tcp", "fake-tcp"])
def test_after_shut_rd_reading_opens_no_window_for_the_peer(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_RD)
    with pytest.raises(BlockingIOError):
        while True:
            b.send(b"x" * 65536)
    world.settle()
    got = 0
    for _ in range(3):
        while data := a.recv(65536):
            got += len(data)
        world.settle()
    assert got > 0
    with world.selector() as sel:
        sel.register(b, selectors.EVENT_WRITE)
        assert sel.select(0) == []  # still full: the reads made no room


@worlds(TCP_WORLDS)
def test_enotconn_after_the_close_handshake(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_WR)
    world.settle()
    b.shutdown(socket.SHUT_WR)
    world.settle()
    for s in (a, b):
        assert errno_of(s.getpeername) == errno.ENOTCONN
        assert errno_of(s.shutdown, socket.SHUT_RD) == errno.ENOTCONN
        assert s.recv(10) == b""
        with pytest.raises(BrokenPipeError):
            s.send(b"")
        assert world.wait(s, RW) == RW


@worlds(TCP_WORLDS)
def test_send_of_nothing_checks_the_errors(world):
    a, b = world.pair()
    assert a.send(b"") == 0
    assert a.sendmsg([]) == 0
    a.sendall(b"")
    a.shutdown(socket.SHUT_WR)
    for call, arg in ((a.send, b""), (a.sendall, b""), (a.sendmsg, [b""])):
        with pytest.raises(BrokenPipeError):
            call(arg)
    abort(b)
    world.settle()
    assert world.wait(a, RW) == RW


@worlds(TCP_WORLDS)
def test_send_of_nothing_on_a_reset_socket_reports_the_reset_then_epipe(world):
    a, b = world.pair()
    abort(b)
    world.settle()
    with pytest.raises(ConnectionResetError):
        a.send(b"")
    with pytest.raises(BrokenPipeError):
        a.send(b"")


@worlds(["real-tcp", "fake-tcp"])
def test_send_of_nothing_on_a_full_buffer_is_zero(world):
    a, b = world.pair()
    with pytest.raises(BlockingIOError):
        while True:
            a.send(b"x" * 65536)
    assert a.send(b"") == 0


@worlds(TCP_WORLDS)
def test_connect_ex_on_a_connected_socket_that_was_reset_or_shut_is_eisconn(world):
    a, b = world.pair()  # both connects reported
    a.shutdown(socket.SHUT_WR)
    assert a.connect_ex(a.getpeername()) == errno.EISCONN
    peer = b.getpeername()
    abort(a)
    world.settle()
    assert b.connect_ex(peer) == errno.EISCONN
    assert errno_of(b.getpeername) == errno.ENOTCONN


@worlds(CONNECT_WORLDS)
def test_connect_ex_after_a_reset_it_never_reported_gives_the_reset_then_connects_again(world):
    lst, addr = world.listener()
    c = world.socket()
    assert c.connect_ex(addr) == errno.EINPROGRESS
    world.wait(lst, selectors.EVENT_READ)
    conn, _ = lst.accept()
    world.wait(c, selectors.EVENT_WRITE)
    abort(conn)
    world.settle()
    assert c.connect_ex(addr) == errno.ECONNRESET  # the connect's own outcome, reported now
    assert world.wait(c, RW) == RW  # an unconnected socket again
    assert c.connect_ex(addr) == errno.EINPROGRESS  # a new connect
    world.wait(lst, selectors.EVENT_READ)
    again, _ = lst.accept()
    world.keep(again)
    world.wait(c, selectors.EVENT_WRITE)
    assert c.connect_ex(addr) == 0
    assert c.getpeername() == addr


@worlds(CONNECT_WORLDS)
def test_a_shutdown_reports_the_connect(world):
    lst, addr = world.listener()
    c = world.socket()
    c.connect_ex(addr)
    world.wait(lst, selectors.EVENT_READ)
    world.keep(lst.accept()[0])
    world.wait(c, selectors.EVENT_WRITE)
    c.shutdown(socket.SHUT_WR)
    assert c.connect_ex(addr) == errno.EISCONN


@worlds(TCP_WORLDS)
def test_a_closed_socket_recv0_and_connect_ex_as_cpython(world):
    a, b = world.pair()
    addr = a.getpeername()
    a.close()
    assert a.recv(0) == b""  # CPython answers recv(0) without a system call
    assert a.recv_into(bytearray(0)) == 0
    assert a.connect_ex(addr) == errno.EBADF  # returned, not raised
    assert errno_of(a.connect, addr) == errno.EBADF
    assert errno_of(a.recv, 1) == errno.EBADF
    assert errno_of(a.recv_into, bytearray(4)) == errno.EBADF
    for call, arg in ((a.recvfrom, 0), (a.recvmsg, 0), (a.recvfrom_into, bytearray(0)), (a.recvmsg_into, [])):
        assert errno_of(call, arg) == errno.EBADF
    assert errno_of(a.send, b"") == errno.EBADF
    assert errno_of(a.sendall, b"") == errno.EBADF


@pytest.mark.parametrize("how", [socket.SHUT_RD, socket.SHUT_RDWR])
@worlds(CONNECT_WORLDS)
def test_shut_rd_on_a_listener_stops_it(world, how):
    lst, addr = world.listener()
    c = world.socket()
    c.connect_ex(addr)
    world.wait(lst, selectors.EVENT_READ)
    assert lst.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    lst.shutdown(how)
    assert world.wait(lst, RW) == RW  # not listening: an unconnected socket
    assert errno_of(lst.accept) == errno.EINVAL
    assert lst.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
    assert lst.getsockname() == addr  # still bound
    world.settle()
    with pytest.raises(ConnectionResetError):
        c.recv(1)  # the queued connection was reset
    refused = world.socket()
    assert refused.connect_ex(addr) == errno.EINPROGRESS
    world.wait(refused, selectors.EVENT_WRITE)
    assert so_error(refused) == errno.ECONNREFUSED


@worlds(CONNECT_WORLDS)
def test_shut_wr_on_a_listener_changes_nothing(world):
    lst, addr = world.listener()
    c = world.socket()
    c.connect_ex(addr)
    lst.shutdown(socket.SHUT_WR)
    assert world.wait(lst, selectors.EVENT_READ) == selectors.EVENT_READ
    conn, _ = lst.accept()
    world.keep(conn)
    assert lst.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1


@worlds(CONNECT_WORLDS)
def test_so_acceptconn_and_buffer_sizes(world):
    s = world.socket()
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
    for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        assert s.getsockopt(socket.SOL_SOCKET, opt) > 0
        s.setsockopt(socket.SOL_SOCKET, opt, 65536)
        assert s.getsockopt(socket.SOL_SOCKET, opt) == 131072  # Linux doubles what is set
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 4608  # and raises it to its minimum
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2304


@worlds(TCP_WORLDS)
def test_recvfrom_and_recvmsg_of_zero_bytes_ask_unlike_recv(world):
    a, b = world.pair()
    assert b.recv(0) == b""
    assert b.recv_into(bytearray(0)) == 0
    for call, arg in ((b.recvfrom, 0), (b.recvmsg, 0), (b.recvfrom_into, bytearray(0)), (b.recvmsg_into, [])):
        with pytest.raises(BlockingIOError):
            call(arg)
    a.send(b"x")
    world.settle()
    assert b.recvfrom(0) == (b"", None)
    assert b.recvmsg(0) == (b"", [], 0, None)
    assert b.recv(5) == b"x"
    a.shutdown(socket.SHUT_WR)
    world.settle()
    assert b.recvfrom(0) == (b"", None)


# -- the methods with no TCP peculiarity: recvmsg_into, sendfile, makefile ---------------------------------


@worlds(TCP_WORLDS)
def test_recvmsg_into_scatters_one_recv(world):
    a, b = world.pair()
    a.send(b"abcdefgh")
    world.settle()
    first, second = bytearray(3), bytearray(10)
    assert b.recvmsg_into([first, memoryview(second)]) == (8, [], 0, None)
    assert first == b"abc" and second[:5] == b"defgh"
    with pytest.raises(BlockingIOError):
        b.recvmsg_into([bytearray(4)])
    with pytest.raises(TypeError):
        b.recvmsg_into([b"read-only"])
    with pytest.raises(ValueError):
        b.recvmsg_into([bytearray(1)], -1)


@worlds(TCP_WORLDS)
def test_sendfile_on_a_non_blocking_socket_is_a_value_error(world, tmp_path):
    a, b = world.pair()
    path = tmp_path / "f"
    path.write_bytes(b"file body")
    with open(path, "rb") as f, pytest.raises(ValueError, match="non-blocking sockets are not supported"):
        a.sendfile(f)
    with open(path) as text, pytest.raises(ValueError, match="binary mode"):
        a.sendfile(text)


@worlds(TCP_WORLDS)
def test_sendfile_in_blocking_mode_sends_the_file_from_offset(world, tmp_path):
    a, b = world.pair()
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    a.setblocking(True)
    with open(path, "rb") as f:
        assert a.sendfile(f, 2, 5) == 5
        assert f.tell() == 7
    with pytest.raises(ValueError):
        a.sendfile(io.BytesIO(b"x"), 0, 0)
    world.settle()
    assert b.recv(100) == b"23456"


@worlds(TCP_WORLDS)
def test_makefile_streams_on_a_non_blocking_socket(world):
    a, b = world.pair()
    writer = a.makefile("wb")
    reader = b.makefile("rb")
    raw = b.makefile("rb", buffering=0)
    assert raw.read(10) is None  # nothing there: a non-blocking raw stream gives None
    writer.write(b"line one\nline two\n")
    writer.flush()
    world.settle()
    assert reader.readline() == b"line one\n"
    assert reader.read1(100) == b"line two\n"
    text = a.makefile("w", encoding="ascii")
    text.write("more\n")
    text.flush()
    world.settle()
    assert b.makefile("r", encoding="ascii").readline() == "more\n"
    with pytest.raises(ValueError):
        a.makefile("rx")
    with pytest.raises(ValueError):
        a.makefile("r", buffering=0)
    a.close()  # streams still open: the socket stays open until they close
    assert a.fileno() != -1
    for stream in (writer, text):
        stream.close()
    assert a.fileno() == -1
    for stream in (reader, raw):
        stream.close()


# -- FINs behind full buffers, late resets ----------------------------------------------------------------


def fill(sock):
    with pytest.raises(BlockingIOError):
        while True:
            sock.send(b"f" * 65536)


@worlds(["real-tcp", "fake-tcp"])
def test_a_fin_behind_a_full_buffer_has_not_arrived(world):
    a, b = world.pair()
    fill(b)
    b.close()  # its FIN waits behind the data a has no room for
    world.settle()
    assert len(a.recv(32)) == 32
    assert a.getpeername()
    a.send(b"x")  # reaches the closed b: a reset, before a had the FIN
    world.settle()
    with pytest.raises(ConnectionResetError):
        while True:
            a.send(b"y")
            world.settle()


@worlds(["real-tcp", "fake-tcp"])
def test_our_fin_behind_a_full_buffer_keeps_the_connection(world):
    a, b = world.pair()
    b.shutdown(socket.SHUT_WR)
    world.settle()
    fill(a)
    a.shutdown(socket.SHUT_RDWR)  # the FIN waits behind the data b does not read
    world.settle()
    assert a.getpeername() == b.getsockname()


@worlds(TCP_WORLDS)
def test_a_reset_after_the_close_handshake_changes_nothing(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_RDWR)
    world.settle()
    b.shutdown(socket.SHUT_RDWR)
    world.settle()
    abort(b)
    world.settle()
    assert so_error(a) == 0
    assert a.recv(10) == b""


@worlds(TCP_WORLDS)
def test_a_fin_to_a_closed_socket_ends_the_connection(world):
    a, b = world.pair()
    a.close()
    world.settle()
    b.shutdown(socket.SHUT_WR)  # a's kernel side still acknowledges it
    world.settle()
    assert errno_of(b.shutdown, socket.SHUT_WR) == errno.ENOTCONN
    assert errno_of(b.getpeername) == errno.ENOTCONN


@worlds(["real-tcp", "fake-tcp"])
def test_a_reset_after_fins_both_ways_that_did_not_all_arrive_is_econnreset(world):
    a, b = world.pair()
    fill(a)
    a.shutdown(socket.SHUT_WR)  # a's FIN waits behind the full buffer
    b.shutdown(socket.SHUT_WR)  # b's arrives: a is in CLOSING, not CLOSE_WAIT
    world.settle()
    abort(b)
    world.settle()
    assert so_error(a) == errno.ECONNRESET
