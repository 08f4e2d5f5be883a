# fakes.tcp_segments: segments on their way down a pipe, and what they (and resets, FINs, failures) change.
# Owns: transmit, reset, send_fin, fail, take_error. Imports: stdlib, fakes.{errors,tcp_state}.
"""Segments in flight.

:func:`transmit` sends one segment (DATA, FIN, CLOSE or RST, see
:mod:`fakes.tcp_state`) down a pipe: it arrives at once on an immediate link
with nothing in flight, else after the link's latency plus the serialization
time of what went before at the link's bandwidth, plus on a link with jitter
a draw of ``0..jitter`` microseconds (label ``"jitter-segment"``), but never
before a segment sent earlier down the same pipe (scheduled on the pipe's
:class:`~fakes.timeline.Timeline`). On arrival, data joins the receiver's
unread bytes (or, for a closed receiver, draws a reset; for one shut down
both ways that has not had the peer's FIN, resets the connection, as Linux
does), FIN and CLOSE are EOF, and RST resets the receiver: ECONNRESET, or
EPIPE if the peer's FIN had arrived and the receiver sent none (as Linux in
CLOSE_WAIT).
"""

from __future__ import annotations

import errno
from typing import Any

from .errors import fake_oserror
from .tcp_state import CLOSE, CLOSED, CONNECTED, DATA, FAILED, FIN, READ, RST, Pipe, TcpEndpoint, finished, refresh

__all__ = ["transmit", "reset", "send_fin", "fail", "take_error", "fin_arrives"]

_ECONNRESET = errno.ECONNRESET
_EPIPE = errno.EPIPE


def transmit(pipe: Pipe, kind: int, payload: Any) -> None:
    """Send one segment down ``pipe``: delivered now, or scheduled after latency + serialization."""
    if pipe.receiver is None:
        return  # a black hole
    if pipe.immediate and not pipe.in_flight:
        _arrive(pipe, kind, payload)
        return
    timeline = pipe.timeline
    now = timeline.clock.now_ns()
    start = pipe.busy_until if pipe.busy_until > now else now
    if kind == DATA:
        if pipe.bandwidth is not None:
            start += round(len(payload) * 1e9 / pipe.bandwidth)
            pipe.busy_until = start
        if payload.__class__ is not bytes:
            payload = bytes(payload)
    t = start + pipe.latency
    in_flight = pipe.in_flight
    if pipe.jitter:  # a segment's own delay; never ahead of an earlier one on the connection (TCP keeps order)
        t += pipe.chooser.integer("jitter-segment", 0, pipe.jitter) * 1000
        if in_flight and t < in_flight[-1][0]:
            t = in_flight[-1][0]
    in_flight.append((t, kind, payload))
    timeline.schedule(t, _due, pipe)


def _due(pipe: Pipe) -> None:
    """The segments of ``pipe`` due by now arrive."""
    now = pipe.timeline.clock.now_ns()
    in_flight = pipe.in_flight
    while in_flight and in_flight[0][0] <= now:
        _, kind, payload = in_flight.popleft()
        _arrive(pipe, kind, payload)


def _arrive(pipe: Pipe, kind: int, payload: Any) -> None:
    receiver: TcpEndpoint = pipe.receiver  # type: ignore[assignment]
    alive = receiver.state == CONNECTED and not receiver.was_reset
    if kind == DATA:
        if alive:
            if receiver.shut_read and receiver.shut_write and not receiver.fin_received:
                # Linux in FIN_WAIT with the read side shut (RFC 1122): data arriving resets the connection
                pipe.used -= len(payload)
                reset(receiver)
                return
            receiver.unread += payload
            if not receiver.readiness & READ:
                refresh(receiver)
            return
        pipe.used -= len(payload)
        if receiver.state == CLOSED and not receiver.reset_sent and receiver.outgoing is not None:
            receiver.reset_sent = True  # data for a closed socket: the peer gets a reset
            transmit(receiver.outgoing, RST, None)
        return
    if not alive:
        if kind != RST and receiver.state == CLOSED and pipe.sender is not None:
            pipe.sender.fin_acked = True  # a closed socket's kernel side still acknowledges a FIN
        return
    if kind == RST:  # ECONNRESET, or EPIPE in CLOSE_WAIT (the peer's FIN came, the receiver sent none)
        if finished(receiver):
            return  # FINs went both ways: the connection is over, a late RST changes nothing
        receiver.pending_error = _EPIPE if receiver.fin_received and not receiver.shut_write else _ECONNRESET
        receiver.eof_received = receiver.peer_gone = receiver.was_reset = True
        receiver.fin_waiting = 0
    elif len(receiver.unread) > receiver.rcvbuf:
        # Unread bytes beyond the receive buffer are, in a real stack, still in the sender's send
        # buffer with the FIN behind them: it counts when they fit (fin_arrives, from recv)
        receiver.fin_waiting = kind
        return
    else:
        fin_arrives(receiver, kind)
    refresh(receiver)


def fin_arrives(receiver: TcpEndpoint, kind: int) -> None:
    """A FIN (or a CLOSE: a FIN, as far as the receiver can tell; the data it sends then draws a RST)
    reaches ``receiver``: EOF after the unread bytes (the caller refreshes its readiness)."""
    receiver.eof_received = receiver.fin_received = True
    receiver.fin_waiting = 0
    sender = receiver.incoming.sender  # type: ignore[union-attr]
    if sender is not None:
        sender.fin_acked = True
    if kind == CLOSE:
        receiver.peer_closed = True


def reset(endpoint: TcpEndpoint) -> bool:
    """Reset ``endpoint``'s connection: it gets ECONNRESET now, its peer when the RST arrives.

    False if it is not connected or already reset.
    """
    if endpoint.state != CONNECTED or endpoint.was_reset:
        return False
    endpoint.pending_error = _ECONNRESET
    endpoint.eof_received = endpoint.peer_gone = endpoint.was_reset = True
    endpoint.reset_sent = True
    refresh(endpoint)
    transmit(endpoint.outgoing, RST, None)  # type: ignore[arg-type]
    return True


def send_fin(endpoint: TcpEndpoint) -> bool:
    """``endpoint`` sends FIN: its peer reads EOF after the data before it. False if it cannot."""
    if endpoint.state != CONNECTED or endpoint.was_reset or endpoint.shut_write:
        return False
    endpoint.shut_write = True
    transmit(endpoint.outgoing, FIN, None)  # type: ignore[arg-type]
    refresh(endpoint)
    return True


def fail(endpoint: TcpEndpoint, err: int) -> None:
    """A connect failed with ``err`` (reported by SO_ERROR, recv or send)."""
    endpoint.state = FAILED
    endpoint.pending_error = err
    refresh(endpoint)


def take_error(endpoint: TcpEndpoint) -> OSError:
    """The pending error as an OSError, cleared (it is reported once)."""
    err, endpoint.pending_error = endpoint.pending_error, 0
    refresh(endpoint)
    return fake_oserror(err)
