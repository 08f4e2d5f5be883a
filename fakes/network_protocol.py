# fakes.network_protocol: what drivers and the harness may use of any network - simulated, replayed or live.
# Owns: Network. Imports: stdlib, fakes.{config,socket} (types only).
"""The ``Network`` protocol.

A driver (``driver(net, **args)``) and loopsim's runner get one of three
networks: a simulated :class:`~fakes.FakeNetwork`, a strict
:class:`~fakes.ReplayNetwork` of a recorded script, or a live
:class:`~fakes.live.LiveNetwork` of real loopback sockets. :class:`Network`
is what all three offer, so code written against it runs in every world:

* ``clock`` - an object with ``now() -> float`` (a VirtualClock when
  simulated or replayed, the monotonic clock when live);
* ``trace`` - the :class:`~fakes.Trace` of every socket call, select and
  clock jump (None when off); a harness may replace it by a wrapper with the
  same ``add(sock, op, args, result)``;
* ``chooser`` - the source of the world's run-time choices;
* ``config`` - the :class:`~fakes.NetConfig` the world was built with (an
  empty one for a replayed or live network);
* ``selector()`` - a new ``selectors.BaseSelector`` over its sockets;
* ``socket(name)``, ``listen(addr, name, backlog)``, ``connect(addr,
  name)``, ``socket_factory(prefix)`` - sockets, named the same way in every
  world (which strict replay relies on);
* ``open_sockets()`` - the sockets not closed yet, in creation order;
* ``finish()`` - after a run: a replay returns the divergence if the code
  stopped before using its whole script (or diverged); the others None.

Simulation-only helpers (``link``, ``fault``, ``run_for``...)
are FakeNetwork's own, not part of the protocol.
"""

from __future__ import annotations

import selectors
import socket as _socket
from typing import TYPE_CHECKING, Any, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .config import NetConfig
    from .socket import Address, FakeSocket

__all__ = ["Network"]


@runtime_checkable
class Network(Protocol):
    """What drivers and the runner may use of a simulated, replayed or live network (see the module doc)."""

    trace: Any

    @property
    def clock(self) -> Any:
        """The world's clock: ``now() -> float`` seconds."""
        ...

    @property
    def chooser(self) -> Any:
        """The source of run-time choices (``index(label, n)``, ``integer(label, lo, hi)``)."""
        ...

    @property
    def config(self) -> NetConfig:
        """The configuration the world was built with (empty for a replayed or live network)."""
        ...

    def selector(self) -> selectors.BaseSelector:
        """A new selector over this network's sockets."""
        ...

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:
        """A new unconnected non-blocking socket; default names ``"socket-1"``, ``"socket-2"``, ..."""
        ...

    def listen(self, addr: Address, name: str | None = None, backlog: int | None = None) -> FakeSocket:
        """A socket bound to ``addr`` and listening; named ``"host:port"`` by default."""
        ...

    def connect(self, addr: Address, name: str | None = None) -> FakeSocket:
        """``socket(name)`` plus ``connect_ex(addr)``: connect in progress."""
        ...

    def socketpair(self, names: tuple[str, str] = ("a", "b")) -> tuple[FakeSocket, FakeSocket]:
        """Two connected sockets (``socket.socketpair()``), named ``names``."""
        ...

    def event_loop(self, name: str = "asyncio") -> Any:
        """An asyncio event loop over this network and its clock (:mod:`fakes.aio`)."""
        ...

    def socket_factory(self, prefix: str) -> Callable[[], FakeSocket]:
        """A ``new_socket()`` for apps: sockets named ``"prefix#1"``, ``"prefix#2"``, ..."""
        ...

    def open_sockets(self) -> list[FakeSocket]:
        """The sockets not closed yet, in creation order."""
        ...

    def finish(self) -> BaseException | None:
        """After a run: what the network finds wrong with how it was used (a replay: a divergence), or None."""
        ...
