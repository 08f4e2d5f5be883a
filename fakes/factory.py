# fakes.factory: the socket factories every network offers (simulated, replayed, live), written once.
# Owns: SocketFactories (the base class of every network), addr_key. Imports: stdlib, fakes.{_compiled,socket}.
"""``socket_factory``, ``listen`` and ``connect``, in terms of the network's own
``socket(name)``. :class:`~fakes.FakeNetwork`, :class:`~fakes.ReplayNetwork`
and :class:`~fakes.live.LiveNetwork` share them, so a driver names its sockets
the same way whichever world it runs in (which strict replay relies on).
"""

from __future__ import annotations

import socket as _socket
from typing import Any, Callable

from ._compiled import mypyc_attr
from .socket import Address, FakeSocket, _check_addr

__all__ = ["SocketFactories", "addr_key"]


def addr_key(addr: Any) -> str:
    """``("server2", 80)`` -> ``"server2:80"``."""
    return f"{addr[0]}:{addr[1]}"


@mypyc_attr(allow_interpreted_subclasses=True)
class SocketFactories:
    """Base class of the networks: needs ``socket(name=None) -> FakeSocket`` and ``_prefixes: dict[str, int]`` and
    ``_unnamed: int`` attributes."""

    _prefixes: dict[str, int]
    _unnamed: int

    def _default_name(self) -> str:
        """The next default name: ``"socket-1"``, ``"socket-2"``, ..."""
        self._unnamed += 1
        return f"socket-{self._unnamed}"

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:  # pragma: no cover - provided by the network
        raise NotImplementedError

    def socket_factory(self, prefix: str) -> Callable[[], FakeSocket]:
        """A ``new_socket()`` for apps: sockets named ``"prefix#1"``, ``"prefix#2"``, ..."""
        def new_socket() -> FakeSocket:
            count = self._prefixes.get(prefix, 0) + 1
            self._prefixes[prefix] = count
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
