# loopsim.harness.chaos_proxy: the chaos proxy's I/O - a real TCP proxy on loopsim's own loop that applies
# the decisions of loopsim.harness.chaos_rules to live connections and logs them in the trace format.
# Owns: ChaosProxy, TraceLog. Imports: stdlib, loopsim.loop, loopsim.harness.chaos_rules, fakes (trace format).
"""The chaos proxy, on loopsim's own generator loop.

Why the product's loop rather than ``selectors`` directly: the proxy is
exactly the kind of program loopsim is for (a server that reads a client,
connects to server2, and forwards both ways), and the loop already gives it
what a hand-written selector loop would have to rebuild - one task per
connection and per direction, timers (``sleep``) for latency and timed
faults, ``join`` for back-pressure, cancellation whose ``finally`` blocks close
every socket on Ctrl-C or SIGTERM - on the loop's own epoll selector, live. It
also keeps the proxy honest: it runs on the loop it tests.

Per connection (see :mod:`loopsim.harness.chaos_rules` for the names and the
decisions): the task ``server2:80<-client#N`` applies the connect decision
(forward, refuse: accept and reset at once, black hole: read and drop, never
answer), waits the link's ``accept_delay`` and one ``latency`` (a connect
takes one), connects ``client#N`` to the real upstream, and runs a pump per
direction. A pump reads a piece (its size decided by the rules), stamps it
with its due time and queues it (at most the direction's capacity; a full
queue waits for its deliverer); a deliverer task sends each piece as one
segment (``TCP_NODELAY``) when due, then strikes the faults whose threshold the
piece reached: ``reset`` waits until the kernel has sent what was given to it
(``SIOCOUTQ``), then closes both sockets with ``SO_LINGER`` 0 (an RST each
way); ``half_close`` is ``shutdown(SHUT_WR)`` on the socket that sends the
target's bytes, whose later bytes are dropped. An error on either side (a reset
from the upstream) resets the other.
"""

from __future__ import annotations

import math
import socket
import struct
import time
from collections import deque
from typing import Any, Generator, TextIO

import loopsim
from fakes.errors import errno_name
from fakes.trace import TraceEvent
from .chaos_rules import BLACK_HOLE, HALF_CLOSE, REFUSE, RESET, ChaosRules, ConnectionPlan, Direction, Piece, Strike

__all__ = ["ChaosProxy", "TraceLog"]

Op = Generator[Any, Any, Any]
DRAIN_LIMIT = 2.0  # seconds a reset waits for the kernel to send what the proxy gave it


class TraceLog:
    """Trace lines (``fakes.trace`` format) written to ``out`` as they happen, stamped with ``clock()``."""

    def __init__(self, out: TextIO | None, clock: Any) -> None:
        self.out, self.clock, self.seq = out, clock, 0

    def __call__(self, sock: str, op: str, args: tuple[Any, ...], result: Any) -> None:
        if self.out is not None:
            self.out.write(TraceEvent(self.seq, self.clock(), sock, op, args, result).to_text() + "\n")
        self.seq += 1


class _Flow:
    """One direction of one connection in flight: the queued pieces and who delivers them."""

    def __init__(self, direction: Direction, src: socket.socket, dst: socket.socket, src_name: str,
                 dst_name: str) -> None:
        self.direction, self.src, self.dst, self.src_name, self.dst_name = direction, src, dst, src_name, dst_name
        self.queue: deque[Piece] = deque()
        self.queued = 0
        self.deliverer: loopsim.Task | None = None
        self.stopped = False  # half-closed by a fault: later bytes are dropped


class _Connection:
    """One forwarded connection: its plan, its two sockets, its flows, and whether it ends by a reset."""

    def __init__(self, plan: ConnectionPlan, down: socket.socket, up: socket.socket) -> None:
        self.plan, self.down, self.up = plan, down, up
        self.to_server = _Flow(plan.to_server, down, up, plan.server_name, plan.client_name)
        self.to_client = _Flow(plan.to_client, up, down, plan.client_name, plan.server_name)
        self.pumps: list[loopsim.Task] = []
        self.abort = False

    def flow_of(self, strike: Strike) -> _Flow:
        return self.to_client if strike.target == self.plan.server_name else self.to_server


def _rst_close(sock: socket.socket) -> None:
    """Close ``sock`` so that the kernel sends an RST (SO_LINGER on, timeout 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _unsent(sock: socket.socket) -> int:
    """Bytes the kernel still holds unsent or unacknowledged for ``sock`` (Linux SIOCOUTQ; 0 elsewhere)."""
    try:
        import fcntl
        import termios

        return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0])
    except (ImportError, AttributeError, OSError):
        return 0


class ChaosProxy:
    """A TCP proxy on ``listen`` that stands as ``rules.upstream`` and forwards to the real ``upstream``.

    :meth:`open` binds the listener (and returns its address: ``port = 0`` picks one); :meth:`run` serves
    until the socket ``stop`` is readable, then closes every socket it made.
    """

    def __init__(self, rules: ChaosRules, listen: tuple[str, int], upstream: tuple[str, int],
                 trace: TextIO | None = None) -> None:
        self.rules, self.listen_addr, self.upstream = rules, listen, upstream
        self._t0 = time.monotonic()
        self.trace = TraceLog(trace, self.now)
        self.listener: socket.socket | None = None
        self.connections = 0

    def now(self) -> float:
        """Seconds since the proxy was made: the time of the rules' ``at`` and of the trace."""
        return time.monotonic() - self._t0

    def open(self) -> tuple[str, int]:
        """Bind and listen (OSError if the address is taken); the address it listens on."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(self.listen_addr)
            sock.listen(self.rules.link.backlog)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.listener = sock
        addr: tuple[str, int] = sock.getsockname()[:2]
        self.trace(self.rules.upstream, "listen", (addr,), None)
        return addr

    def run(self, stop: socket.socket) -> None:
        """Serve until ``stop`` is readable (a signal's wake-up byte, a test's), then close everything."""
        if self.listener is None:
            self.open()
        try:
            loopsim.run(self._main(stop))
        finally:
            self._close_listener()

    def _close_listener(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            self.trace(self.rules.upstream, "close", (), None)

    # -- the proxy's tasks ----------------------------------------------------------------------

    def _main(self, stop: socket.socket) -> Op:
        acceptor = yield from loopsim.spawn(self._accept_loop(), name="accept")
        refused_from = self.rules.refused_from()
        if refused_from is not None:
            yield from loopsim.spawn(self._refuse_from(refused_from, acceptor), name="refuse")
        yield from loopsim.wait_readable(stop)
        self.trace("proxy", "stop", (), None)
        # returning ends the run: loopsim.run cancels the tasks left, newest first; their finally blocks close

    def _accept_loop(self) -> Op:
        assert self.listener is not None
        while True:
            conn, peer = yield from loopsim.accept(self.listener)
            self.connections += 1
            plan = self.rules.connection(self.connections, self.now())
            self.trace(self.rules.upstream, "accept", (), (plan.server_name, tuple(peer[:2])))
            yield from loopsim.spawn(self._connection(conn, plan), name=plan.server_name)

    def _refuse_from(self, when: float, acceptor: loopsim.Task) -> Op:
        """From ``when`` on every connect is refused: stop accepting and close the listener (ECONNREFUSED)."""
        yield from loopsim.sleep(when - self.now())
        acceptor.cancel()
        yield from loopsim.sleep(0)  # the acceptor leaves its wait on the listener first
        self.trace(self.rules.upstream, "refuse", (), "listener closed")
        self._close_listener()

    def _connection(self, down: socket.socket, plan: ConnectionPlan) -> Op:
        trace = self.trace
        up: socket.socket | None = None
        conn: _Connection | None = None
        timers: list[loopsim.Task] = []
        try:
            trace(plan.server_name, "decide", ("connect",), plan.decision
                  if plan.decided_by is None else (plan.decision, plan.decided_by))
            if plan.decision == REFUSE:
                trace(plan.server_name, "close", ("rst",), None)
                _rst_close(down)
                return
            if plan.decision == BLACK_HOLE:
                yield from self._swallow(down, plan.server_name)
                return
            if plan.accept_delay:
                yield from loopsim.sleep(plan.accept_delay)
            self._configure(down, plan.server.sndbuf, plan.server.rcvbuf)
            up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._configure(up, plan.client.sndbuf, plan.client.rcvbuf)
            up.setblocking(False)
            if plan.connect_delay:
                yield from loopsim.sleep(plan.connect_delay)
            try:
                yield from loopsim.connect(up, self.upstream)
            except OSError as exc:
                trace(plan.client_name, "connect_ex", (self.upstream,), exc.errno)
                trace(plan.server_name, "close", ("rst",), None)
                _rst_close(down)
                return
            trace(plan.client_name, "connect_ex", (self.upstream,), 0)
            conn = _Connection(plan, down, up)
            for strike in plan.at_start:
                yield from self._strike(conn, strike)
            for strike in plan.timed:
                timers.append((yield from loopsim.spawn(self._timed(conn, strike), name=f"{strike.where}")))
            if not conn.abort:
                for flow in (conn.to_server, conn.to_client):
                    conn.pumps.append((yield from loopsim.spawn(self._pump(conn, flow), name=flow.dst_name)))
            for pump in conn.pumps:
                try:
                    yield from loopsim.join(pump)
                except loopsim.Cancelled:
                    if not pump.done():  # this task was cancelled (the proxy stops), not the pump
                        raise
        finally:
            for task in timers + (conn.pumps if conn is not None else []):
                task.cancel()
            abort = conn is not None and conn.abort
            for name, sock in ((plan.server_name, down), (plan.client_name, up)):
                if sock is not None and sock.fileno() >= 0:
                    trace(name, "close", ("rst",) if abort else (), None)
                    _rst_close(sock) if abort else sock.close()

    @staticmethod
    def _configure(sock: socket.socket, sndbuf: int | None, rcvbuf: int | None) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each piece its own segment
        if sndbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)

    def _swallow(self, sock: socket.socket, name: str) -> Op:
        """A black hole: read and drop everything, never answer, keep the connection until the proxy stops."""
        while True:
            try:
                data = yield from loopsim.recv(sock, 65536)
            except OSError as exc:
                self.trace(name, "recv", (65536,), errno_name(exc.errno or 0))
                return
            self.trace(name, "recv", (65536,), data)
            if not data:
                yield from loopsim.sleep(math.inf)  # until the proxy stops: not even a FIN goes back

    def _pump(self, conn: _Connection, flow: _Flow) -> Op:
        """Read ``flow.src`` in the pieces the rules say, queue them; at EOF pass the FIN on once delivered."""
        trace, direction = self.trace, flow.direction
        try:
            while True:
                room = direction.capacity - flow.queued
                if room <= 0:
                    yield from self._wait_delivered(flow)
                    continue
                n = direction.read_size(room)
                try:
                    data = yield from loopsim.recv(flow.src, n)
                except OSError as exc:
                    trace(flow.src_name, "recv", (n,), errno_name(exc.errno or 0))
                    self._reset(conn)
                    return
                trace(flow.src_name, "recv", (n,), data)
                if not data:
                    yield from self._wait_delivered(flow)
                    if not flow.stopped and not conn.abort:
                        flow.stopped = True
                        try:
                            flow.dst.shutdown(socket.SHUT_WR)
                        except OSError as exc:  # the peer is gone already
                            trace(flow.dst_name, "shutdown", (socket.SHUT_WR,), errno_name(exc.errno or 0))
                            self._reset(conn)
                            return
                        trace(flow.dst_name, "shutdown", (socket.SHUT_WR,), None)
                    return
                if flow.stopped:
                    continue  # half-closed by a fault: the target's later bytes go nowhere
                now = self.now()
                piece = direction.take(data, now)
                if piece.due > now:
                    trace(flow.dst_name, "delay", (len(piece.data),), round(piece.due, 6))
                flow.queue.append(piece)
                flow.queued += len(piece.data)
                if flow.deliverer is None or flow.deliverer.done():
                    flow.deliverer = yield from loopsim.spawn(self._deliver(conn, flow), name=f"{flow.dst_name}:send")
        finally:
            if flow.deliverer is not None:
                flow.deliverer.cancel()

    def _wait_delivered(self, flow: _Flow) -> Op:
        """Wait until the deliverer has sent everything queued (it ends then)."""
        deliverer = flow.deliverer
        if deliverer is not None and not deliverer.done():
            try:
                yield from loopsim.join(deliverer)
            except loopsim.Cancelled:
                if not deliverer.done():  # this task was cancelled, not the deliverer
                    raise

    def _deliver(self, conn: _Connection, flow: _Flow) -> Op:
        """Send each queued piece when due, as one segment; strike the faults it brings."""
        trace, queue, dst = self.trace, flow.queue, flow.dst
        while queue:
            piece = queue[0]
            wait = piece.due - self.now()
            if wait > 0:
                yield from loopsim.sleep(wait)
            view = memoryview(piece.data)
            sent = 0
            while sent < len(view) and not flow.stopped and not conn.abort:
                try:
                    n = dst.send(view[sent:])
                except (BlockingIOError, InterruptedError):
                    yield from loopsim.wait_writable(dst)
                    continue
                except OSError as exc:
                    trace(flow.dst_name, "send", (bytes(view[sent:]),), errno_name(exc.errno or 0))
                    self._reset(conn)
                    return
                trace(flow.dst_name, "send", (bytes(view[sent:]),), n)
                sent += n
            queue.popleft()
            flow.queued -= len(piece.data)
            if flow.stopped or conn.abort:
                queue.clear()
                flow.queued = 0
                return
            for strike in piece.strikes:
                yield from self._strike(conn, strike)
            if conn.abort:
                return

    def _timed(self, conn: _Connection, strike: Strike) -> Op:
        yield from loopsim.sleep((strike.at or 0.0) - self.now())
        yield from self._strike(conn, strike)

    def _strike(self, conn: _Connection, strike: Strike) -> Op:
        """A connection fault fires on the socket ``strike.target``."""
        if conn.abort:
            return
        flow = conn.flow_of(strike)
        self.trace(strike.target, "fault", (strike.kind,) + strike.when, strike.where)
        if strike.kind == RESET:
            deadline = self.now() + DRAIN_LIMIT
            while _unsent(flow.dst) and self.now() < deadline:  # what went before the reset arrives first
                yield from loopsim.sleep(0.001)
            self._reset(conn)
        elif strike.kind == HALF_CLOSE and not flow.stopped:
            flow.stopped = True
            try:
                flow.dst.shutdown(socket.SHUT_WR)
            except OSError as exc:  # the peer is gone already
                self.trace(flow.dst_name, "shutdown", (socket.SHUT_WR,), errno_name(exc.errno or 0))
                self._reset(conn)
                return
            self.trace(flow.dst_name, "shutdown", (socket.SHUT_WR,), None)
        # a data fault: the rules alter the bytes from now on; nothing to do to the sockets

    def _reset(self, conn: _Connection) -> None:
        """End the connection with an RST both ways (its task closes the sockets with SO_LINGER 0)."""
        conn.abort = True
        for pump in conn.pumps:
            pump.cancel()  # each cancels its deliverer
