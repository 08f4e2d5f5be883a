"""FakeSocket's sendmsg/sendto/recvfrom/recvfrom_into/recvmsg against real loopback TCP sockets.

The same bodies run on a real TCP pair and on the fakes (the worlds of
test_conformance_socket.py). asyncio on Python 3.12+ writes through
``sendmsg``; these are the socket-level semantics it relies on.
"""

from __future__ import annotations

import errno
import socket

import pytest

from ..loop.test_loop_io import fill
from .test_conformance_socket import TCP_WORLDS, errno_of, world, worlds  # noqa: F401  (world: the fixture)


@worlds(TCP_WORLDS)
def test_sendmsg_gathers_its_buffers_into_one_send(world):
    a, b = world.pair()
    assert a.sendmsg([b"ab", bytearray(b"cd"), memoryview(b"ef")]) == 6
    assert a.sendmsg([]) == 0
    assert a.sendmsg([b"", b""]) == 0
    assert a.sendmsg([b"gh"], [], 0, ("10.1.2.3", 9)) == 2  # TCP ignores the address
    world.settle()
    assert b.recv(100) == b"abcdefgh"


@worlds(TCP_WORLDS)
def test_sendmsg_type_errors(world):
    a, b = world.pair()
    with pytest.raises(TypeError, match="bytes-like object is required, not 'int'"):
        a.sendmsg(b"abc")
    with pytest.raises(TypeError, match="bytes-like object is required, not 'str'"):
        a.sendmsg(["abc"])


@worlds(TCP_WORLDS)
def test_sendmsg_on_a_full_buffer_is_partial_then_eagain(world):
    a, b = world.pair()
    fill(a)
    with pytest.raises(BlockingIOError) as info:
        a.sendmsg([b"x" * 1000, b"y" * 1000])
    assert info.value.errno == errno.EAGAIN


@worlds(TCP_WORLDS)
def test_sendmsg_and_sendto_after_shutdown_wr_are_a_broken_pipe(world):
    a, b = world.pair()
    a.shutdown(socket.SHUT_WR)
    assert errno_of(a.sendmsg, [b"x"]) == errno.EPIPE
    assert errno_of(a.sendto, b"x", ("127.0.0.1", 9)) == errno.EPIPE


@worlds(TCP_WORLDS)
def test_sendto_ignores_the_address_on_tcp(world):
    a, b = world.pair()
    assert a.sendto(b"ab", ("10.1.2.3", 5)) == 2
    assert a.sendto(b"cd", 0, ("10.1.2.3", 5)) == 2
    world.settle()
    assert b.recv(10) == b"abcd"


@worlds(TCP_WORLDS)
def test_recvfrom_recvfrom_into_and_recvmsg_give_no_address(world):
    a, b = world.pair()
    with pytest.raises(BlockingIOError):
        b.recvfrom(10)
    with pytest.raises(BlockingIOError):
        b.recvmsg(10)
    a.send(b"hello world!")
    world.settle()
    assert b.recvfrom(3) == (b"hel", None)
    buf = bytearray(4)
    assert b.recvfrom_into(buf) == (4, None) and buf == b"lo w"
    assert b.recvmsg(100) == (b"orld!", [], 0, None)
    a.close()
    world.settle()
    assert b.recvmsg(10) == (b"", [], 0, None)
    assert b.recvfrom(10) == (b"", None)


@worlds(TCP_WORLDS)
def test_the_message_calls_after_close_are_ebadf(world):
    a, b = world.pair()
    a.close()
    assert errno_of(a.sendmsg, [b"x"]) == errno.EBADF
    assert errno_of(a.sendto, b"x", ("127.0.0.1", 9)) == errno.EBADF
    assert errno_of(a.recvfrom, 1) == errno.EBADF
    assert errno_of(a.recvfrom_into, bytearray(1)) == errno.EBADF
    assert errno_of(a.recvmsg, 1) == errno.EBADF
