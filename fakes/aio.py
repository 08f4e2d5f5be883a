# fakes.aio: asyncio on the fake network - an asyncio.SelectorEventLoop over a FakeSelector, in virtual time.
# Owns: FakeEventLoop (what net.event_loop() returns). Imports: stdlib (asyncio, socket), fakes.{socket,factory}.
"""asyncio on the fakes.

::

    net = FakeNetwork(seed=1)
    loop = net.event_loop()
    try:
        loop.run_until_complete(main())      # in virtual time: asyncio.sleep(30) costs microseconds
    finally:
        loop.close()

:class:`FakeEventLoop` is an ``asyncio.SelectorEventLoop`` (so every asyncio
API - streams, protocols, transports, ``sock_*``, timeouts, tasks - is the
stdlib's own code) over the network's :class:`~fakes.FakeSelector`, whose
``time()`` reads the network's virtual clock. With nothing ready, the
selector jumps the clock to the next timer or network event, so waiting
costs no real time. A wait that nothing can ever end (no timer, nothing in
flight) raises :class:`~fakes.WouldBlockForever` out of ``run_until_complete``
instead of hanging.

Names instead of DNS: :meth:`FakeEventLoop.getaddrinfo` answers
``(host, port)`` itself, unchanged, so ``asyncio.start_server(cb, "server2",
80)`` listens on the fake address ``server2:80`` and
``asyncio.open_connection("server2", 80)`` connects there; no resolver, no
thread. :meth:`~FakeEventLoop.create_connection` and
:meth:`~FakeEventLoop.create_server` make their sockets with the network
(client sockets are named ``"asyncio->server2:80#1"``, ``#2``, ...; a
listener ``"server2:80"``; a connection it accepts ``"server2:80<-asyncio->
server2:80#1"``), so links, endpoint rules, faults, the trace and
``net.open_sockets()`` apply to them; everything else is the stdlib's.

Not modelled: signals (:meth:`~FakeEventLoop.add_signal_handler` raises
NotImplementedError), subprocesses, pipes and files (their real fds cannot be
registered with a fake selector: ValueError), threads (``run_in_executor``
and ``call_soon_threadsafe`` from another thread: virtual time does not wait
for them), UDP and Unix sockets.

asyncio internals relied on (no public hook exists; tests/fakes/test_fake_asyncio.py
pins them on Python 3.11, 3.12 and 3.13): ``BaseSelectorEventLoop.__init__``
calls ``self._make_self_pipe()`` to make its wake-up "self-pipe" (a real
``socket.socketpair()`` whose fd it registers). This class overrides
``_make_self_pipe`` to make that pair on the fake network instead (sockets
``"asyncio:self-pipe"`` and ``"asyncio:self-pipe-writer"``), setting the
attributes the stdlib's ``_close_self_pipe``, ``_write_to_self`` and
``_read_from_self`` use (``_ssock``, ``_csock``, ``_internal_fds``) and
registering ``_read_from_self`` with ``_add_reader``, as the stdlib's own
``_make_self_pipe`` does.
"""

from __future__ import annotations

import asyncio
import selectors
import socket as _socket
from typing import TYPE_CHECKING, Any, Callable

from .socket_table import addr_key

if TYPE_CHECKING:
    from .network_protocol import Network

__all__ = ["FakeEventLoop"]

_STREAM = _socket.SOCK_STREAM


def _port(port: Any) -> int:
    if port is None:
        return 0
    if isinstance(port, (bytes, bytearray)):
        port = port.decode()
    if isinstance(port, str):
        if not port.isdigit():
            raise _socket.gaierror(_socket.EAI_SERVICE, f"Servname not supported for ai_socktype: {port!r} "
                                   "(the fake network resolves numeric ports only)")
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"getaddrinfo() argument 2 must be integer or string, not {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise OverflowError("getaddrinfo(): port must be 0-65535.")
    return port


class FakeEventLoop(asyncio.SelectorEventLoop):  # type: ignore[misc,valid-type]
    """An asyncio event loop over ``net``'s selector and clock (``net.event_loop()``).

    ``net`` is any :class:`~fakes.Network`: simulated (virtual time), replayed
    (the script's answers) or live (real loopback sockets, recorded). ``name``
    prefixes the names of the sockets it makes (default ``"asyncio"``);
    ``selector``, if given, is used instead of ``net.selector()`` (a wrapper
    of it that watches each ``select``). Tasks created unnamed are named
    ``"Task-1"``, ``"Task-2"``, ... per loop, so names are the same in every run.
    """

    def __init__(self, net: Network, name: str = "asyncio", selector: selectors.BaseSelector | None = None) -> None:
        self.fake_network = net
        self.fake_name = name
        self._fake_clock = net.clock
        self._tasks_named = 0
        self.on_task: Callable[[asyncio.Task[Any]], None] | None = None  # called with every task made
        try:
            super().__init__(net.selector() if selector is None else selector)
        except BaseException:
            # the self-pipe could not be made (a replayed script diverged there): no loop came to be, so
            # there is nothing for close() or __del__ to take apart (they would look for the self-pipe)
            internals: Any = self
            internals._closed = True
            raise

    def create_task(self, coro: Any, *, name: str | None = None,  # type: ignore[override]
                    context: Any = None) -> asyncio.Task[Any]:
        """The stdlib's, naming an unnamed task ``"Task-1"``, ``"Task-2"``, ... counted per loop (asyncio
        counts per process, so names would depend on what ran before), and telling :attr:`on_task`."""
        if name is None:
            self._tasks_named += 1
            name = f"Task-{self._tasks_named}"
        task: asyncio.Task[Any] = super().create_task(coro, name=name, context=context)
        if self.on_task is not None:
            self.on_task(task)
        return task

    # -- the pieces of a selector event loop that live in the OS --------------------------------

    def time(self) -> float:
        """The network's virtual time."""
        return self._fake_clock.now()

    def _make_self_pipe(self) -> None:  # overrides an asyncio internal: see the module doc
        name = self.fake_name
        ssock, csock = self.fake_network.socketpair((f"{name}:self-pipe", f"{name}:self-pipe-writer"))
        self._ssock, self._csock = ssock, csock
        internals: Any = self  # the stdlib's private names, untyped in typeshed
        internals._internal_fds += 1
        # add_reader (public) needs _transports, which __init__ makes after this: _add_reader, as the stdlib
        internals._add_reader(ssock.fileno(), internals._read_from_self)

    def add_signal_handler(self, sig: int, callback: Callable[..., object],  # type: ignore[override]
                           *args: Any) -> None:
        raise NotImplementedError(
            "a FakeEventLoop has no signal handling: signals are real-time and process-wide, the fake "
            "loop runs in virtual time with no real wake-up fd")

    # -- names instead of DNS ----------------------------------------------------------------

    async def getaddrinfo(self, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0,
                          flags: int = 0) -> list[tuple[Any, Any, int, str, tuple[Any, ...]]]:
        """``[(family, SOCK_STREAM, IPPROTO_TCP, "", (host, port))]``: the fake network resolves names
        itself, so the address is the name given (``None``/``""``: ``0.0.0.0`` with AI_PASSIVE,
        ``127.0.0.1`` without)."""
        if type not in (0, _STREAM):
            raise _socket.gaierror(_socket.EAI_SOCKTYPE,
                                   f"the fake network resolves SOCK_STREAM addresses only, not type={type!r}")
        if isinstance(host, (bytes, bytearray)):
            host = host.decode("idna")
        if host is None or host == "":
            host = "0.0.0.0" if flags & _socket.AI_PASSIVE else "127.0.0.1"
        if not isinstance(host, str):
            raise TypeError(f"getaddrinfo() argument 1 must be string or None, not {host.__class__.__name__}")
        if not family:
            family = _socket.AF_INET6 if ":" in host else _socket.AF_INET
        if family not in (_socket.AF_INET, _socket.AF_INET6):
            raise _socket.gaierror(_socket.EAI_FAMILY, f"the fake network has AF_INET/AF_INET6 only, not {family!r}")
        addr: tuple[Any, ...] = (host, _port(port)) if family == _socket.AF_INET else (host, _port(port), 0, 0)
        return [(_socket.AddressFamily(family), _socket.SocketKind.SOCK_STREAM, _socket.IPPROTO_TCP, "", addr)]

    async def getnameinfo(self, sockaddr: tuple[Any, ...], flags: int = 0) -> tuple[str, str]:
        """``(host, str(port))`` of ``sockaddr``, unchanged (no DNS)."""
        return str(sockaddr[0]), str(sockaddr[1])

    # -- sockets made by the network ----------------------------------------------------------

    async def create_connection(  # type: ignore[override]
            self, protocol_factory: Callable[[], asyncio.BaseProtocol], host: Any = None, port: Any = None, *,
            sock: Any = None, local_addr: Any = None, family: int = 0, proto: int = 0, flags: int = 0,
            happy_eyeballs_delay: float | None = None, interleave: int | None = None,
            **kwargs: Any) -> tuple[asyncio.Transport, asyncio.BaseProtocol]:
        """The stdlib's, on a socket the network makes (named ``"<name>->host:port#n"``) and connects
        to the fake address ``(host, port)``; with ``sock=`` as given. Other arguments pass through."""
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            if host is None or port is None:
                raise ValueError("host and port was not specified and no sock specified")
            (fam, _, _, _, addr), = await self.getaddrinfo(host, port, family=family, type=_STREAM, flags=flags)
            sock = self.fake_network.socket_factory(f"{self.fake_name}->{addr_key(addr)}")()
            try:
                if local_addr is not None:
                    (_, _, _, _, local), = await self.getaddrinfo(*local_addr, family=fam, type=_STREAM)
                    sock.bind(local)
                await self.sock_connect(sock, addr)
            except BaseException:
                sock.close()
                raise
            if kwargs.get("ssl") and kwargs.get("server_hostname") is None:
                kwargs["server_hostname"] = host
        return await super().create_connection(protocol_factory, sock=sock, **kwargs)  # type: ignore[no-any-return]

    async def create_server(  # type: ignore[override]
            self, protocol_factory: Callable[[], asyncio.BaseProtocol], host: Any = None, port: Any = None, *,
            family: int = _socket.AF_UNSPEC, flags: int = _socket.AI_PASSIVE, sock: Any = None,
            reuse_address: bool | None = None, reuse_port: bool | None = None, keep_alive: bool | None = None,
            **kwargs: Any) -> asyncio.Server:
        """The stdlib's, on a listening socket the network makes, bound to the fake address
        ``(host, port)`` and named ``"host:port"``; with ``sock=`` as given. One host (a name or
        None/"" for ``0.0.0.0``), not a list."""
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            if not (host is None or isinstance(host, (str, bytes, bytearray))):
                raise NotImplementedError("a FakeEventLoop's create_server binds one host, not a list of hosts")
            (fam, _, _, _, addr), = await self.getaddrinfo(host, port, family=family, type=_STREAM, flags=flags)
            sock = self.fake_network.socket(addr_key(addr), family=fam)
            try:
                if reuse_address or reuse_address is None:
                    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
                if reuse_port:
                    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
                if keep_alive:
                    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, 1)
                sock.bind(addr)
            except OSError as err:
                sock.close()
                raise OSError(err.errno, f"error while attempting to bind on address {addr!r}: "
                              f"{(err.strerror or '').lower()}") from None
            except BaseException:
                sock.close()
                raise
        return await super().create_server(protocol_factory, sock=sock, **kwargs)
