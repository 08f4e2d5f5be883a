# fakes.tcp_calls: the simulated TCP's answers to the data calls on one endpoint - recv, send, shutdown, SO_ERROR.
# Owns: recv, send, shutdown, so_error. Imports: stdlib, fakes.{errors,tcp_segments,tcp_state}; faults through
# the endpoint's SentBytesWatch.
"""How a connected endpoint answers ``recv``, ``send``, ``shutdown`` and
``getsockopt(SO_ERROR)`` (:class:`~fakes.FakeNetwork` passes these calls on).

Errors match Linux TCP: recv/send on a connecting socket -> EAGAIN; recv on
an unconnected or listening one -> ENOTCONN; send -> EPIPE; a pending error
(a reset, a refused connect) is reported once by the next recv, send or
SO_ERROR, then recv returns b"" and send raises EPIPE; unread data is read
before a reset is reported, unless the peer's FIN came first (then recv
returns b"" and the error stays pending for send and SO_ERROR); sending to a
peer that closed is accepted, and the reset it draws fails the next send
(EPIPE). After SHUT_RD, reading opens no window for the peer (as Linux).

The common case - no per-call limit, no fault watching, an immediate link -
is written inline: it is the simulation's hot path.
"""

from __future__ import annotations

import errno
from typing import Any

from .errors import fake_oserror
from .tcp_segments import fin_arrives, take_error, transmit
from .tcp_state import CONNECTED, CONNECTING, DATA, FAILED, FIN, READ, Pipe, TcpEndpoint, finished, notify, refresh

__all__ = ["recv", "send", "shutdown", "so_error"]

_EAGAIN = errno.EAGAIN
_EPIPE = errno.EPIPE
_ENOTCONN = errno.ENOTCONN
_SHUT_RD, _SHUT_WR = 0, 1


def _capped(count: int, limit: Any, chooser: Any, label: str) -> int:
    """``count`` within a max_recv/max_send ``limit``: an int, or ``(lo, hi)`` drawn from ``chooser``."""
    if limit.__class__ is int:
        return count if count <= limit else limit  # type: ignore[no-any-return]
    if count > limit[0]:
        return min(count, chooser.integer(label, limit[0], limit[1]))
    return count


def recv(endpoint: TcpEndpoint, n: int, chooser: Any) -> bytes:
    """Up to ``n`` unread bytes; b"" at EOF; raises EAGAIN, ENOTCONN or the pending error (``n`` 0
    as Linux: b"" when data is there, else what a recv with nothing there says)."""
    if endpoint.state != CONNECTED:
        return _recv_unconnected(endpoint)
    unread = endpoint.unread
    if unread:
        if n == 0:
            return b""
        available = len(unread)
        k = n if n < available else available
        if endpoint.max_recv is not None:
            k = _capped(k, endpoint.max_recv, chooser, "recv-size")
        if k == available:
            data = bytes(unread)
            unread.clear()
        else:
            data = bytes(unread[:k])
            del unread[:k]
        incoming: Pipe = endpoint.incoming  # type: ignore[assignment]
        if endpoint.shut_read:
            pass  # Linux opens no window after SHUT_RD: what is read does not make room for more
        elif incoming.used >= incoming.capacity:
            incoming.used -= k
            if incoming.sender is not None:
                refresh(incoming.sender)  # its send buffer has room again
        else:
            incoming.used -= k
        if endpoint.fin_waiting and len(unread) <= endpoint.rcvbuf:
            fin_arrives(endpoint, endpoint.fin_waiting)
        if not unread and not (endpoint.eof_received or endpoint.pending_error or endpoint.shut_read):
            mask = endpoint.readiness
            if mask & READ:
                notify(endpoint, mask & ~READ)  # drained: no longer readable
        return data
    if endpoint.fin_received:
        return b""  # the peer's FIN came first: EOF, and an error (a later RST) stays pending, as on Linux
    if endpoint.pending_error:
        raise take_error(endpoint)
    if endpoint.eof_received or endpoint.shut_read:
        return b""
    raise fake_oserror(_EAGAIN)


def _recv_unconnected(endpoint: TcpEndpoint) -> bytes:
    state = endpoint.state
    if state == CONNECTING:
        raise fake_oserror(_EAGAIN)
    if state == FAILED:
        if endpoint.pending_error:
            raise take_error(endpoint)
        return b""
    raise fake_oserror(_ENOTCONN)


def send(endpoint: TcpEndpoint, data: Any, chooser: Any) -> int:
    """How many bytes of ``data`` the pipe accepts; raises EAGAIN, EPIPE or the pending error.
    An empty ``data`` checks the errors as Linux does and returns 0 (even when the buffer is full)."""
    if endpoint.state != CONNECTED:
        if endpoint.state == CONNECTING:
            raise fake_oserror(_EAGAIN)
        if endpoint.pending_error:
            raise take_error(endpoint)
        raise fake_oserror(_EPIPE)
    if endpoint.pending_error:
        raise take_error(endpoint)
    if endpoint.shut_write or endpoint.peer_gone:
        raise fake_oserror(_EPIPE)
    n = len(data)
    if not n:
        return 0
    out: Pipe = endpoint.outgoing  # type: ignore[assignment]
    free = out.capacity - out.used
    if free <= 0:
        raise fake_oserror(_EAGAIN)
    k = n if n < free else free
    if endpoint.max_send is not None:
        k = _capped(k, endpoint.max_send, chooser, "send-size")
    watch = endpoint.sent_faults
    if watch is not None:
        next_at = watch.next_at
        if next_at is not None:
            room = next_at - endpoint.sent
            if room <= 0:
                watch.fire_due(endpoint)
                return send(endpoint, data, chooser)
            if k > room:
                k = room
        if watch.alterations:
            data = watch.alter(data[:k])
            n = k
    endpoint.sent += k
    receiver = out.receiver
    if receiver is not None:
        out.used += k
        if (out.immediate and not out.in_flight and receiver.state == CONNECTED and not receiver.was_reset
                and not receiver.shut_read):
            receiver.unread += data if k == n else data[:k]  # delivered now (transmit, inlined)
            mask = receiver.readiness
            if not mask & READ:
                notify(receiver, mask | READ)
        else:
            transmit(out, DATA, data if k == n else data[:k])
        if out.used >= out.capacity:
            refresh(endpoint)
    if watch is not None and watch.next_at is not None and endpoint.sent >= watch.next_at:
        watch.fire_due(endpoint)
    return k


def shutdown(endpoint: TcpEndpoint, how: int) -> None:
    """SHUT_RD, SHUT_WR or SHUT_RDWR on a connection; raises ENOTCONN when not connected or when the
    connection is over (reset, or FINs both ways). A listener is the network's (it stops listening)."""
    if endpoint.state != CONNECTED or finished(endpoint):
        raise fake_oserror(_ENOTCONN)
    endpoint.connect_reported = True  # Linux: a shut socket is SS_CONNECTED (connect_ex then says EISCONN)
    if how != _SHUT_WR:
        endpoint.shut_read = True
    if how != _SHUT_RD and not endpoint.shut_write:
        endpoint.shut_write = True
        transmit(endpoint.outgoing, FIN, None)  # type: ignore[arg-type]
    refresh(endpoint)


def so_error(endpoint: TcpEndpoint) -> int:
    """The pending error (0 if none), cleared: ``getsockopt(SOL_SOCKET, SO_ERROR)``."""
    err = endpoint.pending_error
    if err:
        endpoint.pending_error = 0
        refresh(endpoint)
    return err
