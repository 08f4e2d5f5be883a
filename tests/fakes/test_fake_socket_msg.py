"""FakeSocket's message calls on the simulated network: partial sends, faults, blocking mode, the trace."""

from __future__ import annotations

import socket

import pytest

from fakes import FakeBlockingError, FakeNetwork


def test_sendmsg_is_one_send_limited_by_max_send_and_traced_as_a_send():
    net = FakeNetwork()
    net.endpoint("a", max_send=3)
    a, b = net.socketpair(("a", "b"))
    assert a.sendmsg([b"ab", b"cd", b"ef"]) == 3  # one send: partial, as the kernel may do
    assert b.recv(10) == b"abc"
    last = net.trace.events[-2]
    assert (last.sock, last.op, last.args, last.result) == ("a", "send", (b"abcdef",), 3)


def test_sendmsg_reports_a_reset_fault_like_send():
    net = FakeNetwork()
    net.fault("reset", "a", after_bytes=4)
    a, b = net.socketpair(("a", "b"))
    assert a.sendmsg([b"abcdef"]) == 4
    with pytest.raises(ConnectionResetError):
        a.sendmsg([b"gh"])
    with pytest.raises(BrokenPipeError):
        a.sendto(b"gh", ("b", 1))


def test_sendmsg_checks_ancillary_data_and_address_and_flags():
    net = FakeNetwork()
    a, b = net.socketpair()
    assert a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, b"\0\0\0\0")]) == 1  # ignored, as on TCP
    with pytest.raises(ValueError):
        a.sendmsg([b"x"], [(1, 2)])
    with pytest.raises(TypeError):
        a.sendmsg([b"x"], [], 0, "not an address")
    with pytest.raises(ValueError, match="flags=0 only"):
        a.sendmsg([b"x"], [], socket.MSG_OOB)
    with pytest.raises(ValueError, match="negative buffer size"):
        b.recvmsg(1, -1)


def test_message_calls_in_blocking_mode():
    net = FakeNetwork()
    net.endpoint("*", sndbuf=4, rcvbuf=4)
    a, b = net.socketpair()
    a.setblocking(True)
    assert a.sendmsg([b"ab", b"cd"]) == 4  # answered at once: all of it fits
    with pytest.raises(FakeBlockingError):
        a.sendmsg([b"more than fits"])
    b.setblocking(True)
    assert b.recvfrom(100)[1] is None
