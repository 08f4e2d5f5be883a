# fakes.transport: the simulated TCP's answers to socket calls (the sock_* half of the backend protocol), delivery.
# Owns: Transport, FakeNetwork's base class. Imports: stdlib, fakes.{errors,factory,stream}; time/config/faults are FakeNetwork's.
"""How the simulated TCP answers socket calls.

:class:`Transport` implements the ``sock_*`` methods of
:class:`fakes.backend.Backend` over the model of :mod:`fakes.stream`, and
delivers segments. :class:`fakes.FakeNetwork` subclasses it and adds time,
addresses, configuration and faults (the hooks this class calls:
``_schedule``, ``_syn_arrive``, ``_configure``, ``_make_socket``,
``_next_port``).

Errors match Linux TCP: recv/send on a connecting socket -> EAGAIN; recv on an
unconnected or listening one -> ENOTCONN; send -> EPIPE; a pending error
(a reset, a refused connect) is reported once by the next recv, send or
SO_ERROR, then recv returns b"" and send raises EPIPE; unread data is read
before a reset is reported; closing with unread data (or with SO_LINGER 0)
resets the connection; sending after the peer closed raises EPIPE at once
(as a socketpair does; real TCP lets the first send through).
"""

from __future__ import annotations

import errno
import heapq
from typing import TYPE_CHECKING, Any

from ._compiled import mypyc_attr
from .errors import fake_oserror
from .factory import SocketFactories, addr_key
from .stream import (CLOSE, CLOSED, CONNECTED, CONNECTING, DATA, FAILED, FIN, FRESH, LISTENING, READ, RST,
                     STATE_NAMES, WRITE, Ep, Pipe, mask)

if TYPE_CHECKING:
    from .choices import Chooser
    from .clock import VirtualClock
    from .socket import Address, FakeSocket
    from .trace import Trace

__all__ = ["Transport"]

_EAGAIN = errno.EAGAIN
_ECONNRESET = errno.ECONNRESET
_EPIPE = errno.EPIPE
_ENOTCONN = errno.ENOTCONN
_SHUT_RD, _SHUT_WR, _SHUT_RDWR = 0, 1, 2


@mypyc_attr(allow_interpreted_subclasses=True)
class Transport(SocketFactories):
    """The socket-call half of the fake network (see the module doc)."""

    clock: VirtualClock
    trace: Any  # a Trace, None, or a wrapper with its add() (a harness's watch on the trace)
    chooser: Chooser
    _heap: list[tuple[int, int, Any, Any]]
    _open: dict[int, FakeSocket]
    _eps: dict[int, Ep]
    _listeners: dict[str, Ep]
    _bound: dict[str, Ep]

    # hooks FakeNetwork provides
    def _schedule(self, t_ns: int, fn: Any, arg: Any) -> None: raise NotImplementedError
    def _syn_arrive(self, ep: Ep) -> None: raise NotImplementedError
    def _configure(self, ep: Ep) -> None: raise NotImplementedError
    def _make_socket(self, name: str, ep: Ep, blocking: bool, family: int, type: int) -> FakeSocket:
        raise NotImplementedError
    def _next_port(self) -> int: raise NotImplementedError

    # -- readiness -----------------------------------------------------------------------------

    def _touch(self, ep: Ep) -> None:
        """Recompute the readiness of ``ep`` and tell its watchers if it changed.

        The hot path: this is :func:`fakes.stream.mask` inlined for connected endpoints.
        """
        if ep.state == CONNECTED:
            m = READ if (ep.rx or ep.rx_eof or ep.err or ep.shut_rd) else 0
            if ep.err or ep.shut_wr or ep.peer_dead or ep.out.used < ep.out.capacity:  # type: ignore[union-attr]
                m |= WRITE
        else:
            m = mask(ep)
        if m != ep.mask:
            ep.mask = m
            if ep.watchers:
                sock = ep.sock
                for watcher in ep.watchers:
                    watcher(sock, m)

    def sock_readiness(self, sock: FakeSocket) -> int:
        return sock._ep.mask  # type: ignore[no-any-return]

    def watch(self, sock: FakeSocket, callback: Any) -> None:
        sock._ep.watchers.append(callback)

    def unwatch(self, sock: FakeSocket, callback: Any) -> None:
        try:
            sock._ep.watchers.remove(callback)
        except ValueError:
            pass

    # -- data ------------------------------------------------------------------------------------

    def sock_recv(self, sock: FakeSocket, n: int) -> bytes:
        ep: Ep = sock._ep
        if ep.state != CONNECTED:
            return self._recv_unconnected(ep)
        rx = ep.rx
        if rx:
            if n == 0:
                return b""
            avail = len(rx)
            k = n if n < avail else avail
            limit = ep.max_recv
            if limit is not None:
                if limit.__class__ is int:
                    if k > limit:
                        k = limit
                elif k > limit[0]:
                    k = min(k, self.chooser.integer("recv-size", limit[0], limit[1]))
            if k == avail:
                data = bytes(rx)
                rx.clear()
            else:
                data = bytes(rx[:k])
                del rx[:k]
            inp: Pipe = ep.inp  # type: ignore[assignment]
            if inp.used >= inp.capacity:
                inp.used -= k
                if inp.src is not None:
                    self._touch(inp.src)
            else:
                inp.used -= k
            if not rx and not (ep.rx_eof or ep.err or ep.shut_rd):
                m = ep.mask & ~READ  # drained: no longer readable (inlined _touch)
                if m != ep.mask:
                    ep.mask = m
                    for watcher in ep.watchers:
                        watcher(sock, m)
            return data
        if n == 0:
            return b""
        if ep.err:
            raise self._pop_error(ep)
        if ep.rx_eof or ep.shut_rd:
            return b""
        raise fake_oserror(_EAGAIN)

    def _recv_unconnected(self, ep: Ep) -> bytes:
        state = ep.state
        if state == CONNECTING:
            raise fake_oserror(_EAGAIN)
        if state == FAILED:
            if ep.err:
                raise self._pop_error(ep)
            return b""
        raise fake_oserror(_ENOTCONN)

    def _pop_error(self, ep: Ep) -> OSError:
        err, ep.err = ep.err, 0
        self._touch(ep)
        return fake_oserror(err)

    def sock_send(self, sock: FakeSocket, data: Any) -> int:
        ep: Ep = sock._ep
        if ep.state != CONNECTED:
            if ep.state == CONNECTING:
                raise fake_oserror(_EAGAIN)
            if ep.err:
                raise self._pop_error(ep)
            raise fake_oserror(_EPIPE)
        if ep.err:
            raise self._pop_error(ep)
        if ep.shut_wr or ep.peer_dead:
            raise fake_oserror(_EPIPE)
        out: Pipe = ep.out  # type: ignore[assignment]
        free = out.capacity - out.used
        if free <= 0:
            raise fake_oserror(_EAGAIN)
        n = len(data)
        k = n if n < free else free
        limit = ep.max_send
        if limit is not None:
            if limit.__class__ is int:
                if k > limit:
                    k = limit
            elif k > limit[0]:
                k = min(k, self.chooser.integer("send-size", limit[0], limit[1]))
        if ep.limit is not None:
            room = ep.limit - ep.sent
            if room <= 0:
                self._send_faults(ep)
                return self.sock_send(sock, data)
            if k > room:
                k = room
        ep.sent += k
        dst = out.dst
        if dst is not None:
            out.used += k
            if out.immediate and not out.inflight and dst.state == CONNECTED and not dst.reset:
                dst.rx += data if k == n else data[:k]  # delivered now (inlined _transmit/_arrive)
                m = dst.mask
                if not m & READ:
                    m = dst.mask = m | READ
                    for watcher in dst.watchers:
                        watcher(dst.sock, m)
            else:
                self._transmit(out, DATA, data if k == n else data[:k])
            if out.used >= out.capacity:
                self._touch(ep)
        if ep.limit is not None and ep.sent >= ep.limit:
            self._send_faults(ep)
        return k

    def _send_faults(self, ep: Ep) -> None:
        """Fire the after_bytes faults of ``ep`` whose threshold its sent count has reached."""
        if ep.reset_after is not None and ep.sent >= ep.reset_after:
            ep.reset_after = None
            self._reset(ep)
        if ep.fin_after is not None and ep.sent >= ep.fin_after:
            ep.fin_after = None
            self._shut_wr(ep)
        limits = [x for x in (ep.reset_after, ep.fin_after) if x is not None]
        ep.limit = min(limits) if limits else None

    # -- segments in flight ---------------------------------------------------------------------

    def _transmit(self, pipe: Pipe, kind: int, payload: Any) -> None:
        """Send one segment down ``pipe``: delivered now, or scheduled after latency + serialization."""
        if pipe.dst is None:
            return  # a black hole
        if pipe.immediate and not pipe.inflight:
            self._arrive(pipe, kind, payload)
            return
        now = self.clock.now_ns()
        start = pipe.busy_until if pipe.busy_until > now else now
        if kind == DATA:
            if pipe.bandwidth is not None:
                start += round(len(payload) * 1e9 / pipe.bandwidth)
                pipe.busy_until = start
            if payload.__class__ is not bytes:
                payload = bytes(payload)
        t = start + pipe.latency
        pipe.inflight.append((t, kind, payload))
        self._schedule(t, self._pipe_due, pipe)

    def _pipe_due(self, pipe: Pipe) -> None:
        now = self.clock.now_ns()
        inflight = pipe.inflight
        while inflight and inflight[0][0] <= now:
            _, kind, payload = inflight.popleft()
            self._arrive(pipe, kind, payload)

    def _arrive(self, pipe: Pipe, kind: int, payload: Any) -> None:
        dst: Ep = pipe.dst  # type: ignore[assignment]
        alive = dst.state == CONNECTED and not dst.reset
        if kind == DATA:
            if alive:
                dst.rx += payload
                if not dst.mask & READ:
                    self._touch(dst)
                return
            pipe.used -= len(payload)
            if dst.state == CLOSED and not dst.rst_sent and dst.out is not None:
                dst.rst_sent = True  # data for a closed socket: the peer gets a reset
                self._transmit(dst.out, RST, None)
            return
        if not alive:
            return
        if kind == FIN:
            dst.rx_eof = True
        elif kind == CLOSE:
            dst.rx_eof = dst.peer_dead = True
        else:  # RST: ECONNRESET, or EPIPE if the peer had finished (as Linux in CLOSE_WAIT)
            dst.err = _EPIPE if dst.rx_eof else _ECONNRESET
            dst.rx_eof = dst.peer_dead = dst.reset = True
        self._touch(dst)

    def _reset(self, ep: Ep) -> bool:
        """Reset ``ep``'s connection: it gets ECONNRESET now, its peer when the RST arrives."""
        if ep.state != CONNECTED or ep.reset:
            return False
        ep.err = _ECONNRESET
        ep.rx_eof = ep.peer_dead = ep.reset = True
        ep.rst_sent = True
        self._touch(ep)
        self._transmit(ep.out, RST, None)  # type: ignore[arg-type]
        return True

    def _shut_wr(self, ep: Ep) -> bool:
        """``ep`` sends FIN: its peer reads EOF after the data before it."""
        if ep.state != CONNECTED or ep.reset or ep.shut_wr:
            return False
        ep.shut_wr = True
        self._transmit(ep.out, FIN, None)  # type: ignore[arg-type]
        self._touch(ep)
        return True

    def _fail(self, ep: Ep, err: int) -> None:
        ep.state = FAILED
        ep.err = err
        self._touch(ep)

    # -- connections -----------------------------------------------------------------------------

    def sock_connect_ex(self, sock: FakeSocket, addr: Address) -> int:
        ep: Ep = sock._ep
        state = ep.state
        if state == FRESH:
            if ep.local is None:
                ep.local = ("127.0.0.1", self._next_port())
            ep.peer = addr
            ep.peer_key = addr_key(addr)
            ep.state = CONNECTING
            self._touch(ep)
            self._start_connect(ep)
            return errno.EINPROGRESS
        if state == CONNECTING:
            return errno.EALREADY
        if state == CONNECTED:
            if ep.acked:
                return errno.EISCONN
            ep.acked = True
            return 0
        if state == FAILED:
            err = ep.err or errno.ECONNABORTED
            ep.err = 0
            ep.state = FRESH
            ep.peer = None
            self._touch(ep)
            return err
        return errno.EISCONN  # listening

    def _start_connect(self, ep: Ep) -> None:
        raise NotImplementedError

    def sock_so_error(self, sock: FakeSocket) -> int:
        ep: Ep = sock._ep
        err = ep.err
        if err:
            ep.err = 0
            self._touch(ep)
        return err

    def sock_accept(self, sock: FakeSocket) -> tuple[FakeSocket, Any]:
        ep: Ep = sock._ep
        if ep.state != LISTENING:
            raise fake_oserror(errno.EINVAL)
        listen = ep.listen
        if not listen.accept_q:  # type: ignore[union-attr]
            raise fake_oserror(_EAGAIN)
        conn_ep = listen.accept_q.popleft()  # type: ignore[union-attr]
        if not listen.accept_q:  # type: ignore[union-attr]
            self._touch(ep)
        conn = self._make_socket(conn_ep.name, conn_ep, True, sock.family, sock.type)
        self._admit(ep)
        return conn, conn_ep.peer

    def _admit(self, lst: Ep) -> None:
        """Let connects waiting for room in the backlog in, as far as there is room."""
        listen = lst.listen
        syn_q = listen.syn_q  # type: ignore[union-attr]
        while syn_q and len(listen.accept_q) + len(listen.pending) < listen.backlog:  # type: ignore[union-attr]
            client = syn_q.popleft()
            if client.state == CONNECTING:
                self._establish(lst, client)

    def _establish(self, lst: Ep, client: Ep) -> None:
        raise NotImplementedError

    def sock_shutdown(self, sock: FakeSocket, how: int) -> None:
        ep: Ep = sock._ep
        if ep.state == LISTENING:
            return
        if ep.state != CONNECTED or ep.reset:
            raise fake_oserror(_ENOTCONN)
        if how != _SHUT_WR:
            ep.shut_rd = True
        if how != _SHUT_RD and not ep.shut_wr:
            ep.shut_wr = True
            self._transmit(ep.out, FIN, None)  # type: ignore[arg-type]
        self._touch(ep)

    def sock_close(self, sock: FakeSocket, abort: bool) -> None:
        ep: Ep = sock._ep
        self._open.pop(sock._fd, None)
        state = ep.state
        if state == LISTENING:
            self._close_listener(ep)
        elif state == CONNECTED:
            self._eps.pop(ep.serial, None)
            if not ep.reset:
                if abort or ep.rx:  # SO_LINGER 0, or unread data: a reset, as Linux does
                    ep.rst_sent = True
                    self._transmit(ep.out, RST, None)  # type: ignore[arg-type]
                else:
                    self._transmit(ep.out, CLOSE, None)  # type: ignore[arg-type]
        if ep.bound_key is not None and self._bound.get(ep.bound_key) is ep:
            del self._bound[ep.bound_key]
        ep.state = CLOSED
        ep.rx.clear()
        watchers = ep.watchers
        if ep.mask:  # a closed socket is neither readable nor writable (inlined _touch)
            ep.mask = 0
            for watcher in watchers:
                watcher(sock, 0)
        watchers.clear()
        # Nothing needs a closed endpoint's socket (its watchers are gone), and once both ends are
        # closed with nothing in flight, nothing needs the pipes' endpoints: drop those references so
        # that a finished connection is freed by reference counting, not left to the cyclic GC.
        ep.sock = None
        out = ep.out
        if out is not None and not out.inflight:
            peer = out.dst
            inp = ep.inp
            if (peer is None or peer.state == CLOSED) and (inp is None or not inp.inflight):
                out.src = out.dst = None
                if inp is not None:
                    inp.src = inp.dst = None

    def _close_listener(self, lst: Ep) -> None:
        listen = lst.listen
        if self._listeners.get(listen.key) is lst:  # type: ignore[union-attr]
            del self._listeners[listen.key]  # type: ignore[union-attr]
        for conn in (*listen.accept_q, *listen.pending):  # type: ignore[union-attr]
            self._eps.pop(conn.serial, None)
            if not conn.reset:
                conn.rst_sent = True
                self._transmit(conn.out, RST, None)  # type: ignore[arg-type]
            conn.state = CLOSED
        for client in listen.syn_q:  # type: ignore[union-attr]
            if client.state == CONNECTING:
                self._fail(client, errno.ECONNREFUSED)
        listen.accept_q.clear()  # type: ignore[union-attr]
        listen.pending.clear()  # type: ignore[union-attr]
        listen.syn_q.clear()  # type: ignore[union-attr]

    # -- addresses -------------------------------------------------------------------------------

    def sock_bind(self, sock: FakeSocket, addr: Address) -> None:
        ep: Ep = sock._ep
        if ep.local is not None or ep.state != FRESH:
            raise fake_oserror(errno.EINVAL)
        host, port = addr
        if port == 0:
            port = self._next_port()
        key = f"{host}:{port}"
        if key in self._bound:
            raise fake_oserror(errno.EADDRINUSE)
        ep.local = (host, port)
        ep.bound_key = key
        self._bound[key] = ep

    def sock_peername(self, sock: FakeSocket) -> tuple[str, int]:
        ep: Ep = sock._ep
        if ep.state == CONNECTED and not ep.reset:
            return ep.peer  # type: ignore[return-value]
        raise fake_oserror(_ENOTCONN)

    def sock_sockname(self, sock: FakeSocket) -> tuple[str, int]:
        local = sock._ep.local
        return local if local is not None else ("0.0.0.0", 0)

    def sock_describe(self, sock: FakeSocket) -> str:
        ep: Ep = sock._ep
        state = ep.state
        if state == FRESH:
            return f"unconnected, bound to {addr_key(ep.local)}" if ep.local else "unconnected"
        if state == LISTENING:
            listen = ep.listen
            waiting = len(listen.accept_q)  # type: ignore[union-attr]
            return f"listening on {listen.key}" + (f", {waiting} to accept" if waiting else "")  # type: ignore[union-attr]
        if state == CONNECTING:
            return f"connecting to {ep.peer_key}"
        if state == FAILED:
            return f"connect to {ep.peer_key} failed"
        if state == CLOSED:
            return "closed"
        parts = [f"connected to {addr_key(ep.peer)}"]
        if ep.reset:
            parts.append("reset")
        elif ep.peer_dead:
            parts.append("peer closed")
        elif ep.rx_eof:
            parts.append("EOF received")
        if ep.shut_wr and not ep.reset:
            parts.append("shut down for writing")
        if ep.rx:
            parts.append(f"{len(ep.rx)} bytes unread")
        out = ep.out
        if out is not None and out.dst is not None and out.used >= out.capacity:
            parts.append("send buffer full")
        return ", ".join(parts)

    def state_name(self, sock: FakeSocket) -> str:
        """The socket's state: unconnected, listening, connecting, connected, failed or closed."""
        return STATE_NAMES[sock._ep.state]

    # -- time ------------------------------------------------------------------------------------

    def deliver_due(self) -> None:
        heap = self._heap
        if heap and heap[0][0] <= self.clock.now_ns():
            self._run_due()

    def _run_due(self) -> None:
        heap = self._heap
        now = self.clock.now_ns()
        pop = heapq.heappop
        while heap and heap[0][0] <= now:
            _, _, fn, arg = pop(heap)
            fn(arg)
