# fakes.socket_table: the sockets of one network (simulated, replayed or live): names, fds, which are open.
# Owns: SocketTable, NetworkSockets (the networks' shared base), addr_key. Imports: stdlib, fakes.{_compiled,socket}.
"""Socket construction, shared by every network.

A network keeps a :class:`SocketTable`: it makes the
:class:`~fakes.FakeSocket` front-ends (numbering their fake fds), knows
which are still open, and gives names: ``"socket-1"``, ``"socket-2"``, ...
by default. :class:`NetworkSockets`, the base of the three networks, writes
``socket_factory`` (``"prefix#1"``, ``"prefix#2"``, ...), ``listen``,
``connect`` and ``open_sockets`` once, in terms of the network's own
``socket(name)``, so a driver names its sockets the same way whichever world
it runs in (which strict replay relies on).
"""

from __future__ import annotations

import socket as _socket
from typing import Any, Callable

from ._compiled import mypyc_attr
from .socket import FIRST_FD, Address, FakeSocket, _check_addr

__all__ = ["SocketTable", "NetworkSockets", "addr_key"]

def addr_key(addr: Any) -> str:
    """``("server2", 80)`` -> ``"server2:80"``."""
    return f"{addr[0]}:{addr[1]}"


class SocketTable:
    """The sockets of one network. It holds no reference to the network (no reference cycle: a
    finished network is freed by reference counting); the calls that need it take it."""

    __slots__ = ("_open", "_fd", "_unnamed", "prefixes")

    def __init__(self) -> None:
        self._open: dict[int, FakeSocket] = {}
        self._fd = FIRST_FD - 1  # fake fds never collide with real ones (fakes.socket.FIRST_FD)
        self._unnamed = 0
        self.prefixes: dict[str, int] = {}  # socket_factory prefix -> sockets named so far

    def name(self, name: str | None) -> str:
        """``name``, or the next default name: ``"socket-1"``, ``"socket-2"``, ..."""
        if name is not None:
            return name
        self._unnamed += 1
        return f"socket-{self._unnamed}"

    def add(self, backend: Any, name: str, state: Any, blocking: bool, family: int = _socket.AF_INET,
            type: int = _socket.SOCK_STREAM, fd: int = -1) -> FakeSocket:
        """A new open socket of ``backend`` holding ``state`` (its private slot); ``fd=-1``: the next fake fd."""
        if fd < 0:
            self._fd += 1
            fd = self._fd
        sock = FakeSocket(backend, name, fd, family, type, 0, blocking)
        sock._ep = state
        self._open[fd] = sock
        return sock

    def closed(self, sock: FakeSocket) -> None:
        """``sock`` is being closed (its fd may be reused by a live network)."""
        self._open.pop(sock.fileno(), None)

    def by_fd(self, fd: int) -> FakeSocket | None:
        """The open socket whose ``fileno()`` is ``fd``, or None."""
        return self._open.get(fd)

    def open_sockets(self) -> list[FakeSocket]:
        """The sockets not closed yet, in creation order."""
        return list(self._open.values())

    def __len__(self) -> int:
        return len(self._open)



@mypyc_attr(allow_interpreted_subclasses=True)
class NetworkSockets:
    """The socket-making members every network shares (FakeNetwork, ReplayNetwork and LiveNetwork
    subclass it): written once, in terms of the network's own ``socket(name)`` and its
    :class:`SocketTable` ``_sockets``."""

    _sockets: SocketTable

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:  # pragma: no cover - each network's own
        raise NotImplementedError

    def socket_factory(self, prefix: str) -> Callable[[], FakeSocket]:
        """A ``new_socket()`` for apps: sockets named ``"prefix#1"``, ``"prefix#2"``, ..."""
        prefixes = self._sockets.prefixes

        def new_socket() -> FakeSocket:
            count = prefixes.get(prefix, 0) + 1
            prefixes[prefix] = count
            return self.socket(f"{prefix}#{count}")
        new_socket.__qualname__ = f"socket_factory({prefix!r})"
        return new_socket

    def listen(self, addr: Address, name: str | None = None, backlog: int | None = None) -> FakeSocket:
        """A socket bound to ``addr`` and listening, non-blocking; named ``"host:port"`` by default."""
        addr = _check_addr(addr, "listen", _socket.AF_INET)
        sock = self.socket(addr_key(addr) if name is None else name)
        try:
            sock.bind(addr)
            sock.listen() if backlog is None else sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self, addr: Address, name: str | None = None) -> FakeSocket:
        """``socket(name)`` plus ``connect_ex(addr)``: non-blocking, connect in progress."""
        sock = self.socket(name)
        sock.connect_ex(addr)
        return sock

    def open_sockets(self) -> list[FakeSocket]:
        """The sockets not closed yet, in creation order."""
        return self._sockets.open_sockets()

    def event_loop(self, name: str = "asyncio") -> Any:
        """A new asyncio event loop over this network, on its clock (see :mod:`fakes.aio`): in virtual
        time on a simulated or replayed network, in real time on a live one. ``name`` prefixes the
        names of the sockets it makes."""
        from .aio import FakeEventLoop
        return FakeEventLoop(self, name)  # type: ignore[arg-type]  # (each network is a fakes.Network)

    def dup_name(self, sock: FakeSocket) -> str:
        """The name of ``sock``'s next duplicate: ``"<name>+dup1"``, ``"<name>+dup2"``, ..."""
        prefixes = self._sockets.prefixes
        key = f"{sock.name}+dup"
        count = prefixes.get(key, 0) + 1
        prefixes[key] = count
        return f"{key}{count}"

    def socket_for_fd(self, fd: int) -> FakeSocket | None:
        """Backend protocol: the open socket whose ``fileno()`` is ``fd``, or None (for FakeSelector)."""
        return self._sockets.by_fd(fd)
