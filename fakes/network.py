# fakes.network: FakeNetwork - the simulated world: time, addresses, links, endpoints and faults.
# Owns: FakeNetwork. Imports: stdlib, fakes.{clock,choices,trace,config,errors,stream,transport,socket,selector}.
"""The fake network: a deterministic, simulated TCP world in virtual time.

::

    net = FakeNetwork(seed=1)
    server = net.listen(("server2", 80))        # bound, listening, non-blocking
    client = net.connect(("server2", 80))       # connect in progress
    sel = net.selector()                        # a selectors.BaseSelector

With no configuration, links have zero latency and unbounded bandwidth, so
only what a test configures costs virtual time. Configure with
:class:`~fakes.NetConfig` data (``FakeNetwork(config=...)``,
:meth:`FakeNetwork.from_config`) or the helpers :meth:`~FakeNetwork.link`,
:meth:`~FakeNetwork.endpoint` and :meth:`~FakeNetwork.fault`.

Future happenings (segments in flight, connects arriving, accept delays,
faults at a time) wait in a heap keyed by ``(time in ns, sequence)``; the
selector's ``select`` jumps the clock to the earliest one when nothing is
ready. The same seed and configuration give the same trace, byte for byte,
in any process.
"""

from __future__ import annotations

import errno
import heapq
import socket as _socket
from fnmatch import fnmatchcase
from typing import Any

from .choices import Chooser, RandomChooser
from ._compiled import mypyc_attr
from .clock import VirtualClock, to_ns
from .config import Endpoint, Fault, Link, NetConfig, Size
from .errors import ConfigError, fake_oserror
from .selector import FakeSelector
from .socket import FIRST_FD, Address, FakeSocket
from .stream import CONNECTED, CONNECTING, FRESH, LISTENING, Ep, Listen, Pipe, mask
from .trace import Trace
from .factory import addr_key
from .transport import Transport

__all__ = ["FakeNetwork"]

_FIRST_FD = FIRST_FD
_FIRST_PORT = 40000
_DEFAULT_CONFIG = NetConfig()  # frozen: one shared instance (building one costs a microsecond)
_SOCK_STREAM = _socket.SOCK_STREAM
_AF_INET = _socket.AF_INET
_AF_INET6 = _socket.AF_INET6


@mypyc_attr(allow_interpreted_subclasses=True)
class FakeNetwork(Transport):
    """A simulated network of fake sockets (see the module doc).

    ``seed`` seeds the default chooser (``RandomChooser(seed)``) unless
    ``chooser`` is given; ``trace=False`` turns the trace off (``.trace`` is
    then None).
    """

    def __init__(self, seed: int = 0, config: NetConfig | None = None, chooser: Chooser | None = None,
                 trace: bool = True) -> None:
        if config is None:
            config = _DEFAULT_CONFIG
        elif not isinstance(config, NetConfig):
            raise ConfigError("config", config, "must be a NetConfig")
        self.seed = seed
        self.clock = VirtualClock()
        self.trace: Any = Trace(self.clock) if trace else None  # or a wrapper with its add() (a harness watch)
        self.chooser = chooser if chooser is not None else RandomChooser(seed)
        self.config = config
        self._heap: list[tuple[int, int, Any, Any]] = []
        self._seq = 0
        self._fd = _FIRST_FD - 1
        self._port = _FIRST_PORT - 1
        self._serial = 0
        self._open: dict[int, FakeSocket] = {}
        self._eps: dict[int, Ep] = {}  # connected endpoints, for faults at a time
        self._listeners: dict[str, Ep] = {}
        self._bound: dict[str, Ep] = {}
        self._unnamed = 0
        self._prefixes: dict[str, int] = {}
        for fault in config.faults:
            self._arm(fault)

    @classmethod
    def from_config(cls, config: NetConfig, seed: int = 0, chooser: Chooser | None = None,
                    trace: bool = True) -> FakeNetwork:
        """A network configured by ``config``."""
        return cls(seed=seed, config=config, chooser=chooser, trace=trace)

    def __repr__(self) -> str:
        return (f"<FakeNetwork seed={self.seed!r} t={self.clock.now():.6f} {len(self._open)} open sockets, "
                f"{len(self._heap)} scheduled>")

    # -- making sockets ---------------------------------------------------------------------------

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:
        """A new unconnected socket, NON-blocking (a fake cannot block); default names
        ``"socket-1"``, ``"socket-2"``, ..."""
        if type != _SOCK_STREAM:
            raise ValueError(f"the fake network simulates SOCK_STREAM sockets only, not type={type!r}")
        if family != _AF_INET and family != _AF_INET6:
            raise ValueError(f"the fake network simulates AF_INET/AF_INET6 sockets only, not family={family!r}")
        if name is None:
            name = self._default_name()
        sock = self._make_socket(name, Ep(name), False, family, type)
        trace = self.trace
        if trace is not None:
            trace.add(name, "socket", (int(family), int(type)), None)
        return sock

    def socketpair(self, names: tuple[str, str] = ("a", "b")) -> tuple[FakeSocket, FakeSocket]:
        """Two connected non-blocking sockets (the fake ``socket.socketpair()``)."""
        a, b = self.socket(names[0]), self.socket(names[1])
        ea, eb = a._ep, b._ep
        ea.local = ("127.0.0.1", self._next_port())
        eb.local = ("127.0.0.1", self._next_port())
        ea.peer, eb.peer = eb.local, ea.local
        ea.peer_key, eb.peer_key = addr_key(eb.local), addr_key(ea.local)
        link = self.config.link_for(eb.peer_key)
        self._join(ea, eb, link)
        ea.acked = eb.acked = True
        self._touch(ea)
        self._touch(eb)
        return a, b

    def selector(self) -> FakeSelector:
        """A new :class:`~fakes.FakeSelector` over this network's sockets."""
        return FakeSelector(self)

    def open_sockets(self) -> list[FakeSocket]:
        """The sockets not closed yet, in creation order."""
        return list(self._open.values())

    # -- configuration -------------------------------------------------------------------------------

    def link(self, addr: str = "*", latency: float = 0.0, bandwidth: float | None = None,
             accept_delay: float = 0.0, backlog: int = 128) -> Link:
        """Append a :class:`~fakes.Link` (the first matching link applies: add specific ones first)."""
        link = Link(addr, latency, bandwidth, accept_delay, backlog)
        self.config = self.config.with_link(link)
        return link

    def endpoint(self, pattern: str = "*", sndbuf: int | None = None, rcvbuf: int | None = None,
                 max_recv: Size = None, max_send: Size = None) -> Endpoint:
        """Append an :class:`~fakes.Endpoint` rule (it applies to connections made from now on)."""
        rule = Endpoint(pattern, sndbuf, rcvbuf, max_recv, max_send)
        self.config = self.config.with_endpoint(rule)
        return rule

    def fault(self, kind: str, target: str, at: float | None = None, after_bytes: int | None = None) -> Fault:
        """Append a :class:`~fakes.Fault`; a fault ``at`` a time is scheduled now."""
        fault = Fault(kind, target, at, after_bytes)
        self.config = self.config.with_fault(fault)
        self._arm(fault)
        return fault

    def reset(self, sock: FakeSocket) -> bool:
        """Reset ``sock``'s connection now (as a ``reset`` fault does); False if it is not connected."""
        return self._reset(sock._ep)

    def half_close(self, sock: FakeSocket) -> bool:
        """Make ``sock`` send FIN now (as a ``half_close`` fault does); False if it cannot."""
        return self._shut_wr(sock._ep)

    def _arm(self, fault: Fault) -> None:
        if fault.at is not None and fault.kind in ("reset", "half_close"):
            self._schedule(max(to_ns(fault.at), self.clock.now_ns()), self._fire_fault, fault)

    def _fire_fault(self, fault: Fault) -> None:
        act = self._reset if fault.kind == "reset" else self._shut_wr
        for ep in list(self._eps.values()):
            if fnmatchcase(ep.name, fault.target):
                act(ep)

    def _configure(self, ep: Ep) -> None:
        """Apply the endpoint rules and after_bytes faults matching ``ep``'s name."""
        config = self.config
        if not config.endpoints and not config.faults:
            return  # nothing configured: the defaults Ep() starts with stand
        name = ep.name
        for rule in config.endpoints:
            if fnmatchcase(name, rule.pattern):
                if rule.sndbuf is not None:
                    ep.sndbuf = rule.sndbuf
                if rule.rcvbuf is not None:
                    ep.rcvbuf = rule.rcvbuf
                if rule.max_recv is not None:
                    ep.max_recv = rule.max_recv
                if rule.max_send is not None:
                    ep.max_send = rule.max_send
        for fault in config.faults:
            if fault.after_bytes is not None and fnmatchcase(name, fault.target):
                if fault.kind == "reset":
                    ep.reset_after = min(fault.after_bytes, ep.reset_after if ep.reset_after is not None
                                         else fault.after_bytes)
                else:
                    ep.fin_after = min(fault.after_bytes, ep.fin_after if ep.fin_after is not None
                                       else fault.after_bytes)
        limits = [x for x in (ep.reset_after, ep.fin_after) if x is not None]
        ep.limit = min(limits) if limits else None

    # -- connecting ------------------------------------------------------------------------------------

    def _start_connect(self, ep: Ep) -> None:
        link = ep.link = self.config.link_for(ep.peer_key)
        latency = to_ns(link.latency) if link.latency else 0
        if latency:
            self._schedule(self.clock.now_ns() + latency, self._syn_arrive, ep)
        else:
            self._syn_arrive(ep)

    def _syn_arrive(self, ep: Ep) -> None:
        """A connect reaches its address (one latency after connect_ex)."""
        if ep.state != CONNECTING:
            return
        key = ep.peer_key
        faults = self.config.faults
        if faults:
            now = self.clock.now_ns()
            for fault in faults:
                if fault.kind in ("refuse", "black_hole") and (fault.at is None or to_ns(fault.at) <= now) \
                        and fnmatchcase(key, fault.target):
                    if fault.kind == "refuse":
                        self._fail(ep, errno.ECONNREFUSED)
                    else:
                        self._void(ep)
                    return
        # peer_key is addr_key(peer): the exact address first, as _find_listener does
        lst = self._listeners.get(key) or self._find_listener(ep.peer)  # type: ignore[arg-type]
        if lst is None:
            self._fail(ep, errno.ECONNREFUSED)
            return
        listen: Listen = lst.listen  # type: ignore[assignment]
        if len(listen.accept_q) + len(listen.pending) >= listen.backlog:
            listen.syn_q.append(ep)  # waits (as a retried SYN would) until the app accepts
            return
        self._establish(lst, ep)

    def _find_listener(self, addr: Address) -> Ep | None:
        listeners = self._listeners
        return (listeners.get(addr_key(addr)) or listeners.get(f"0.0.0.0:{addr[1]}")
                or listeners.get(f":{addr[1]}"))

    def _establish(self, lst: Ep, client: Ep) -> None:
        """Connect ``client`` to listener ``lst``: a server-side endpoint joins the accept queue."""
        server = Ep(f"{lst.name}<-{client.name}")
        server.local = client.peer
        local = server.peer = client.local
        server.peer_key = f"{local[0]}:{local[1]}"  # type: ignore[index]  # addr_key(client.local)
        server.acked = True
        link: Link = client.link  # type: ignore[assignment]
        self._join(client, server, link)
        self._touch(client)
        server.mask = mask(server)
        listen: Listen = lst.listen  # type: ignore[assignment]
        delay = to_ns(link.accept_delay) if link.accept_delay else 0
        if delay:
            listen.pending.append(server)
            self._schedule(self.clock.now_ns() + delay, self._accept_ready, (lst, server))
        else:
            listen.accept_q.append(server)
            self._touch(lst)

    def _join(self, a: Ep, b: Ep, link: Link) -> None:
        """Join two endpoints with a pipe each way and mark both connected."""
        config = self.config
        if config.endpoints or config.faults:
            self._configure(a)
            self._configure(b)
        latency = to_ns(link.latency) if link.latency else 0
        bandwidth = link.bandwidth
        a.out = b.inp = Pipe(a, b, a.sndbuf + b.rcvbuf, latency, bandwidth)
        b.out = a.inp = Pipe(b, a, b.sndbuf + a.rcvbuf, latency, bandwidth)
        a.state = b.state = CONNECTED
        a.link = b.link = link
        serial = self._serial
        eps = self._eps
        a.serial = serial + 1
        eps[serial + 1] = a
        b.serial = serial = serial + 2
        eps[serial] = b
        self._serial = serial

    def _void(self, client: Ep) -> None:
        """A black-hole connection: connected to nothing that ever answers."""
        self._configure(client)
        client.out = Pipe(client, None, client.sndbuf, 0, None)
        client.inp = Pipe(None, client, client.rcvbuf, 0, None)
        client.state = CONNECTED
        self._serial += 1
        client.serial = self._serial
        self._eps[client.serial] = client
        self._touch(client)

    def _accept_ready(self, arg: tuple[Ep, Ep]) -> None:
        lst, server = arg
        listen = lst.listen
        if lst.state != LISTENING or listen is None or server not in listen.pending:
            return
        listen.pending.remove(server)
        listen.accept_q.append(server)
        self._touch(lst)

    def sock_listen(self, sock: FakeSocket, backlog: int) -> None:
        ep: Ep = sock._ep
        if ep.state == LISTENING:
            ep.listen.backlog = self._backlog(ep.listen.key, backlog)  # type: ignore[union-attr]
            self._admit(ep)
            return
        if ep.state != FRESH:
            raise fake_oserror(errno.EINVAL)
        if ep.local is None:
            ep.local = ("0.0.0.0", self._next_port())
            ep.bound_key = addr_key(ep.local)
            self._bound[ep.bound_key] = ep
        key = ep.bound_key if ep.bound_key is not None else addr_key(ep.local)  # bound: the same string
        ep.listen = Listen(key, self._backlog(key, backlog))
        ep.state = LISTENING
        self._listeners[key] = ep
        self._touch(ep)

    def _backlog(self, key: str, backlog: int) -> int:
        return max(1, min(backlog, self.config.link_for(key).backlog))

    # -- plumbing ---------------------------------------------------------------------------------------

    def _make_socket(self, name: str, ep: Ep, blocking: bool, family: int, type: int) -> FakeSocket:
        self._fd += 1
        sock = FakeSocket(self, name, self._fd, family, type, 0, blocking)
        sock._ep = ep
        ep.sock = sock
        self._open[self._fd] = sock
        return sock

    def _next_port(self) -> int:
        self._port += 1
        return self._port

    def _schedule(self, t_ns: int, fn: Any, arg: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t_ns, self._seq, fn, arg))

    def _jump(self, t_ns: int) -> None:
        clock = self.clock
        before = clock.now()
        clock.advance_to_ns(t_ns)
        if self.trace is not None:
            self.trace.add("clock", "clock", (before, clock.now()), None)

    def advance(self, deadline_ns: int | None) -> bool:
        """Backend protocol: jump to the next event due by ``deadline_ns`` (see fakes.backend)."""
        heap = self._heap
        now = self.clock.now_ns()
        if heap and heap[0][0] <= now:
            self._run_due()
        if heap and (deadline_ns is None or heap[0][0] <= deadline_ns):
            self._jump(heap[0][0])
            self._run_due()
            return True
        if deadline_ns is not None and deadline_ns > now:
            self._jump(deadline_ns)
        return False

    def scheduled(self) -> int:
        """How many future happenings wait in the heap (some may turn out to be no-ops)."""
        return len(self._heap)

    def run_for(self, seconds: float) -> float:
        """Move virtual time forward by ``seconds``, delivering everything due; returns the new time."""
        deadline = self.clock.now_ns() + to_ns(seconds)
        while self.advance(deadline):
            pass
        return self.clock.now()

    def run_until_idle(self) -> float:
        """Deliver every scheduled happening, jumping time as needed; returns the time then."""
        while self.advance(None):
            pass
        return self.clock.now()

    # -- fds and asyncio (fakes.selector, fakes.aio) -------------------------------------------------------

    def socket_for_fd(self, fd: int) -> FakeSocket | None:
        """Backend protocol: the open socket whose ``fileno()`` is ``fd``, or None."""
        return self._open.get(fd)

    def event_loop(self) -> Any:
        """A new asyncio event loop over this network, in its virtual time (see :mod:`fakes.aio`)."""
        from .aio import FakeEventLoop
        return FakeEventLoop(self)
