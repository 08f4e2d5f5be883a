# fakes.live: recording wrappers for real sockets - a live loopback network whose every answer is traced.
# Owns: LiveNetwork, LiveSelector, LiveClock. Imports: stdlib, fakes.{backend,choices,config,socket,socket_table,
# trace}.
"""Recording a live run.

:class:`LiveNetwork` offers the factory API of :class:`~fakes.FakeNetwork`
(``socket``, ``socket_factory``, ``listen``, ``connect``, ``selector``,
``clock``, ``trace``, ``open_sockets``) over **real** non-blocking TCP sockets
on 127.0.0.1. Its sockets are :class:`~fakes.FakeSocket` front-ends (so every
call and what the kernel answered is recorded in the same trace format as a
simulation), backed by real sockets; its selector is a real
``selectors.DefaultSelector`` that records what ``select`` reported; its clock
is the monotonic clock (seconds since the network was made) and records every
reading as a ``now`` step. The trace is a Script that
:class:`~fakes.ReplayNetwork` replays on the fakes.

Logical addresses: ``listen(("server2", 80))`` binds a real listener on
``127.0.0.1`` with a free port, and ``connect_ex(("server2", 80))`` on any of
this network's sockets goes there, so names and addresses in the trace are
the same as in a simulation. ``route(name, real_address)``, if given, is asked
at each bind where connects to ``name`` should go instead (``loopsim
fidelity`` puts a chaos proxy there).
"""

from __future__ import annotations

import selectors
import socket as _socket
import struct
import time
from typing import Any, Callable

from .backend import NoReadiness
from .choices import DefaultChooser
from .config import NetConfig
from .socket import Address, FakeSocket
from .socket_table import NetworkSockets, SocketTable, addr_key
from .trace import Trace

__all__ = ["LiveNetwork", "LiveSelector", "LiveClock"]


class LiveClock:
    """The monotonic clock, in seconds since ``start``; every reading is traced as a ``now`` step."""

    def __init__(self, net: LiveNetwork) -> None:
        self._net = net
        self._t0 = time.monotonic()

    def raw(self) -> float:
        """The time without recording it (trace stamps use this)."""
        return time.monotonic() - self._t0

    def now_ns(self) -> int:
        """The time in nanoseconds, not recorded (a blocked call's deadline)."""
        return int((time.monotonic() - self._t0) * 1e9)

    def now(self) -> float:
        t = time.monotonic() - self._t0
        trace = self._net.trace
        if trace is not None:
            trace.add("clock", "now", (), t)
        return t


class _Stamp:
    __slots__ = ("now",)

    def __init__(self, clock: LiveClock) -> None:
        self.now = clock.raw


class LiveSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The platform's real selector, recording every ``select`` answer by socket name."""

    def __init__(self, net: LiveNetwork) -> None:
        super().__init__()
        self._net = net

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(timeout)
        trace = self._net.trace
        if trace is not None:
            trace.add("select", "select", (timeout,), tuple((self._name(key), mask) for key, mask in events))
        return events

    def _name(self, key: selectors.SelectorKey) -> str:
        """The name of the socket behind ``key`` (registered as a socket or as its fd, as asyncio does)."""
        name = getattr(key.fileobj, "name", None)
        if isinstance(name, str):
            return name
        sock = self._net.socket_for_fd(key.fd)
        return sock.name if sock is not None else f"fd {key.fd}"


class _RealSocket:
    """A live socket's backend state: the kernel's socket and the logical addresses it stands for."""

    __slots__ = ("real", "local", "peer")

    def __init__(self, real: _socket.socket) -> None:
        self.real = real
        self.local: tuple[str, int] | None = None
        self.peer: tuple[str, int] | None = None


class LiveNetwork(NetworkSockets, NoReadiness):
    """Real loopback sockets behind recording FakeSocket front-ends (see the module doc); a
    :class:`~fakes.Network`. ``config`` is an empty :class:`~fakes.NetConfig`: the kernel is the network."""

    def __init__(self, host: str = "127.0.0.1",
                 route: Callable[[str, tuple[str, int]], tuple[str, int]] | None = None) -> None:
        self.host = host
        self.route = route  # route(name, real address bound) -> where connects to name go (a proxy in front)
        self.clock = LiveClock(self)
        self.trace: Trace | None = Trace(_Stamp(self.clock))
        self.chooser = DefaultChooser()
        self.config = NetConfig()
        self._sockets = SocketTable()
        self._real_addr: dict[str, tuple[str, int]] = {}  # logical "host:port" -> real address
        self._names_by_real: dict[tuple[str, int], str] = {}  # a socket's real local address -> its name

    # -- sockets --------------------------------------------------------------------------------

    def _wrap(self, real: _socket.socket, name: str, blocking: bool) -> FakeSocket:
        real.setblocking(False)
        return self._sockets.add(self, name, _RealSocket(real), blocking, _socket.AF_INET, _socket.SOCK_STREAM,
                                 real.fileno())

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:
        """A new real TCP socket (non-blocking) behind a recording front-end."""
        name = self._sockets.name(name)
        sock = self._wrap(_socket.socket(family, type), name, False)
        if self.trace is not None:
            self.trace.add(name, "socket", (int(family), int(type)), None)
        return sock

    def socketpair(self, names: tuple[str, str] = ("a", "b")) -> tuple[FakeSocket, FakeSocket]:
        """A real ``socket.socketpair()`` behind two recording front-ends named ``names``."""
        pair = _socket.socketpair()
        socks = []
        for name, real in zip(names, pair):
            socks.append(self._wrap(real, name, False))
            if self.trace is not None:
                self.trace.add(name, "socket", (int(real.family), int(real.type)), None)
        return socks[0], socks[1]

    def selector(self) -> LiveSelector:
        return LiveSelector(self)

    def finish(self) -> None:
        """After a run: nothing to check."""
        return None

    def close(self) -> None:
        """Close every socket still open (after a failed run)."""
        for sock in self.open_sockets():
            sock.close()

    # -- the backend protocol, answered by the kernel -------------------------------------------

    def sock_recv(self, sock: FakeSocket, n: int) -> bytes:
        return sock._ep.real.recv(n)  # type: ignore[no-any-return]

    def sock_send(self, sock: FakeSocket, data: Any) -> int:
        return sock._ep.real.send(data)  # type: ignore[no-any-return]

    def sock_accept(self, sock: FakeSocket) -> tuple[FakeSocket, Any]:
        real, peer = sock._ep.real.accept()
        peer_name = self._names_by_real.get(peer[:2], addr_key(peer))
        conn = self._wrap(real, f"{sock.name}<-{peer_name}", True)
        conn._ep.local = sock._ep.local
        conn._ep.peer = tuple(peer[:2])
        return conn, tuple(peer[:2])

    def sock_connect_ex(self, sock: FakeSocket, addr: Address) -> int:
        ep: _RealSocket = sock._ep
        real_addr: Any = self._real_addr.get(addr_key(addr), addr)
        err = ep.real.connect_ex(real_addr)
        ep.peer = addr
        try:
            self._names_by_real[ep.real.getsockname()[:2]] = sock.name
        except OSError:
            pass
        return err  # type: ignore[no-any-return]

    def sock_so_error(self, sock: FakeSocket) -> int:
        return sock._ep.real.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)  # type: ignore[no-any-return]

    def sock_shutdown(self, sock: FakeSocket, how: int) -> None:
        sock._ep.real.shutdown(how)

    def sock_close(self, sock: FakeSocket, abort: bool) -> None:
        self._sockets.closed(sock)
        real = sock._ep.real
        if abort:
            real.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
        real.close()

    def sock_dup(self, sock: FakeSocket) -> FakeSocket:
        ep: _RealSocket = sock._ep
        copy = self._wrap(ep.real.dup(), self.dup_name(sock), False)
        copy._ep.local, copy._ep.peer = ep.local, ep.peer
        return copy

    def sock_bind(self, sock: FakeSocket, addr: Address) -> None:
        ep: _RealSocket = sock._ep
        ep.real.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        ep.real.bind((self.host, 0))
        real = ep.real.getsockname()[:2]
        self._real_addr[addr_key(addr)] = real if self.route is None else self.route(addr_key(addr), real)
        ep.local = addr

    def sock_listen(self, sock: FakeSocket, backlog: int) -> None:
        sock._ep.real.listen(backlog)

    def sock_peername(self, sock: FakeSocket) -> tuple[str, int]:
        ep: _RealSocket = sock._ep
        return ep.peer if ep.peer is not None else ep.real.getpeername()

    def sock_sockname(self, sock: FakeSocket) -> tuple[str, int]:
        ep: _RealSocket = sock._ep
        return ep.local if ep.local is not None else ep.real.getsockname()[:2]

    def sock_describe(self, sock: FakeSocket) -> str:
        ep: _RealSocket = sock._ep
        return f"live, {'connected to ' + addr_key(ep.peer) if ep.peer else 'unconnected'}"
