# fakes.backend: the protocol between the socket/selector front-ends and the world that answers them.
# Owns: Backend, ReadinessCallback, NoReadiness (the no-op readiness of the replayed and live networks).
# Imports: stdlib only (typing).
"""The backend protocol.

:class:`~fakes.FakeSocket` and :class:`~fakes.FakeSelector` are thin
front-ends: they validate arguments, check for a closed socket, record the
trace, and ask a *backend* for every answer through the methods below and
nothing else. :class:`~fakes.FakeNetwork` is the simulating backend; a
strict-replay backend answers the same questions from a recorded trace.

Conventions:

* ``sock`` is always a :class:`~fakes.FakeSocket` the backend created (with
  :meth:`~fakes.FakeSocket.__init__`); it carries a backend-private slot
  ``sock._ep`` that only the backend reads or writes.
* A ``sock_*`` call returns the answer, or raises the ``OSError`` the real
  call would raise (build it with :func:`~fakes.fake_oserror`).
  ``BlockingIOError`` means "would block": the front-end passes it on for a
  non-blocking socket and turns it into :class:`~fakes.FakeBlockingError`
  for a blocking one. The front-end has already checked that the socket is
  open and that the arguments are well-formed.
* Readiness is a mask of ``selectors.EVENT_READ | EVENT_WRITE``. The backend
  calls every watcher ``callback(sock, mask)`` whenever the mask of ``sock``
  changes (and with 0 when it is closed), synchronously.
* Time: ``clock`` is a :class:`~fakes.VirtualClock`. Only :meth:`advance`
  (or the test) moves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from .choices import Chooser
    from .clock import VirtualClock
    from .socket import Address, FakeSocket

__all__ = ["Backend", "ReadinessCallback", "NoReadiness"]

ReadinessCallback = Callable[["FakeSocket", int], None]


class Backend(Protocol):
    """What a FakeSocket and a FakeSelector ask of the world behind them."""

    # Read-only properties, so that a backend may hold a subclass (a plain attribute satisfies each).
    @property
    def clock(self) -> VirtualClock:
        """The virtual clock the world runs on."""
        ...

    @property
    def trace(self) -> Any:
        """Where the front-ends record calls and results: a :class:`~fakes.Trace`, or any object with
        its ``add(sock, op, args, result)``; None = tracing is off."""
        ...

    @property
    def chooser(self) -> Chooser:
        """The source of nondeterministic choices (the selector draws "select-order")."""
        ...

    # -- socket calls ------------------------------------------------------------------

    def sock_recv(self, sock: FakeSocket, n: int) -> bytes:
        """Up to ``n`` bytes (``n >= 0``); ``b""`` at EOF; raises EAGAIN, ECONNRESET, ENOTCONN..."""
        ...

    def sock_send(self, sock: FakeSocket, data: bytes | bytearray | memoryview) -> int:
        """How many bytes of ``data`` (non-empty, a flat byte buffer) were accepted; raises EAGAIN, EPIPE..."""
        ...

    def sock_accept(self, sock: FakeSocket) -> tuple[FakeSocket, Any]:
        """A new connection ``(conn, peer_addr)`` in blocking mode; raises EAGAIN, EINVAL."""
        ...

    def sock_connect_ex(self, sock: FakeSocket, addr: Address) -> int:
        """Start or check a connect; returns an errno (0, EINPROGRESS, EALREADY, EISCONN, ...)."""
        ...

    def sock_so_error(self, sock: FakeSocket) -> int:
        """The pending error (0 if none), which reading clears: getsockopt(SOL_SOCKET, SO_ERROR)."""
        ...

    def sock_shutdown(self, sock: FakeSocket, how: int) -> None:
        """shutdown(SHUT_RD/SHUT_WR/SHUT_RDWR); raises ENOTCONN when not connected."""
        ...

    def sock_close(self, sock: FakeSocket, abort: bool) -> None:
        """The socket is being closed (once). ``abort``: SO_LINGER with timeout 0 (send a reset)."""
        ...

    def sock_dup(self, sock: FakeSocket) -> FakeSocket:
        """A second descriptor for the same socket (``socket.dup()``): a new FakeSocket, with a new fd,
        on the same connection; the connection closes when the last of them is closed."""
        ...

    def sock_bind(self, sock: FakeSocket, addr: Address) -> None:
        """Bind to ``addr``; raises EADDRINUSE, EINVAL."""
        ...

    def sock_listen(self, sock: FakeSocket, backlog: int) -> None:
        """Start listening (binding to an ephemeral port first if unbound); raises EINVAL."""
        ...

    def sock_peername(self, sock: FakeSocket) -> tuple[str, int]:
        """The peer's address; raises ENOTCONN."""
        ...

    def sock_sockname(self, sock: FakeSocket) -> tuple[str, int]:
        """The local address (``("0.0.0.0", 0)`` when unbound)."""
        ...

    def sock_describe(self, sock: FakeSocket) -> str:
        """A short, stable description of the socket's state for reprs and errors (no fd, no id)."""
        ...

    # -- file descriptors ----------------------------------------------------------------

    def socket_for_fd(self, fd: int) -> FakeSocket | None:
        """The open socket whose ``fileno()`` is ``fd`` (``fd >= 0``), or None: how a selector
        finds the socket an int fd or a ``fileno()`` object names."""
        ...

    # -- readiness -----------------------------------------------------------------------

    def sock_readiness(self, sock: FakeSocket) -> int:
        """The current readiness mask of ``sock``."""
        ...

    def watch(self, sock: FakeSocket, callback: ReadinessCallback) -> None:
        """Call ``callback(sock, mask)`` whenever the readiness of ``sock`` changes."""
        ...

    def unwatch(self, sock: FakeSocket, callback: ReadinessCallback) -> None:
        """Stop calling ``callback`` for ``sock`` (no error if it is not watching)."""
        ...

    # -- time ------------------------------------------------------------------------------

    def deliver_due(self) -> None:
        """Deliver every scheduled event due at the current time."""
        ...

    def advance(self, deadline_ns: int | None) -> bool:
        """Move time forward to the next scheduled event, if it is due by ``deadline_ns``.

        Returns True after jumping to that event and delivering every event
        due then. Returns False when nothing is scheduled by the deadline,
        having moved the clock to the deadline (``None``: no deadline - the
        clock stays put and the caller knows nothing will ever happen).
        Every jump is recorded in the trace as a ``clock`` event.
        """
        ...


class NoReadiness:
    """Mixin for backends whose readiness comes from elsewhere - a real selector (live) or the
    script's select steps (replay): nothing to watch, nothing scheduled, time never jumps here."""

    def sock_readiness(self, sock: FakeSocket) -> int:
        return 0

    def watch(self, sock: FakeSocket, callback: ReadinessCallback) -> None:
        pass

    def unwatch(self, sock: FakeSocket, callback: ReadinessCallback) -> None:
        pass

    def deliver_due(self) -> None:
        pass

    def advance(self, deadline_ns: int | None) -> bool:
        return False
