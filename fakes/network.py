# fakes.network: FakeNetwork - the simulated world: its sockets, addresses, links, connects, faults and time.
# Owns: FakeNetwork, LoopChooser, TracedPolicy. Imports: stdlib, fakes.{_compiled,clock,choices,trace,config,errors,faults,selector,socket,
# socket_table,tcp_state,tcp_segments,tcp_calls,timeline}.
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

:class:`FakeNetwork` is the backend of its sockets and selectors
(:mod:`fakes.backend`). It owns the addresses (ports, bound addresses,
listeners), applies links and endpoint rules when a connection is made, and
asks its :class:`~fakes.faults.FaultPlan` when faults fire; the state of a
connection is :mod:`fakes.tcp_state`, its data calls are answered by
:mod:`fakes.tcp_calls`, segments travel by :mod:`fakes.tcp_segments`, and
future happenings wait on a :class:`~fakes.timeline.Timeline`: the
selector's ``select`` jumps the clock to the earliest one when nothing is
ready. The same seed and configuration give the same trace, byte for byte,
in any process.
"""

from __future__ import annotations

import errno
import socket as _socket
from fnmatch import fnmatchcase
from typing import Any

from . import tcp_calls
from ._compiled import mypyc_attr
from .choices import Chooser, RandomChooser
from .clock import VirtualClock, to_ns
from .config import Endpoint, Fault, Link, NetConfig, Size
from .errors import ConfigError, fake_oserror
from .faults import FaultPlan, fault_kind
from .selector import FakeSelector
from .socket import Address, FakeSocket
from .socket_table import NetworkSockets, SocketTable, addr_key
from .tcp_segments import fail, transmit
from .tcp_state import (CLOSE, CLOSED, CONNECTED, CONNECTING, FAILED, LISTENING, RST, UNCONNECTED, ListenQueues,
                        Pipe, TcpEndpoint, describe, finished, notify, readiness, refresh)
from .timeline import Timeline
from .trace import Trace

__all__ = ["FakeNetwork", "LoopChooser"]

_FIRST_PORT = 40000
_DEFAULT_CONFIG = NetConfig()  # frozen: one shared instance (building one costs a microsecond)
_SOCK_STREAM = _socket.SOCK_STREAM
_AF_INET = _socket.AF_INET
_AF_INET6 = _socket.AF_INET6


class LoopChooser:
    """The choices of the loop running on a network (its ready order), answered by the network's chooser.

    Each answer is also a step of the trace, ``("loop", "choose", (label, n), i)``, so a strict replay
    (:class:`~fakes.ReplayNetwork`) gives the same answers back.
    """

    __slots__ = ("net",)

    def __init__(self, net: FakeNetwork) -> None:
        self.net = net

    def index(self, label: str, n: int) -> int:
        net = self.net
        value: int = net.chooser.index(label, n)
        trace = net.trace
        if trace is not None:
            trace.add("loop", "choose", (label, n), value)
        return value

    def follow(self, policy: Any) -> TracedPolicy:
        """A loop's own scheduling policy (``pick(ready) -> int``), each pick traced as this chooser's are."""
        return TracedPolicy(policy, self.net)

    def __repr__(self) -> str:
        return f"LoopChooser({self.net.chooser!r})"


class TracedPolicy:
    """A scheduling policy whose picks are trace steps ``("loop", "choose", ("ready-order", n), i)``."""

    __slots__ = ("policy", "net")

    def __init__(self, policy: Any, net: FakeNetwork) -> None:
        self.policy = policy
        self.net = net

    def pick(self, ready: Any) -> Any:
        value = self.policy.pick(ready)
        trace = self.net.trace
        if trace is not None:
            trace.add("loop", "choose", ("ready-order", len(ready)), value)
        return value

    def __repr__(self) -> str:
        return repr(self.policy)


class _Relay:
    """A watcher registered through a duplicate socket: told that socket, not the endpoint's first one."""

    __slots__ = ("sock", "callback")

    def __init__(self, sock: FakeSocket, callback: Any) -> None:
        self.sock = sock
        self.callback = callback

    def __call__(self, first: Any, mask: int) -> None:
        self.callback(self.sock, mask)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Relay) and other.sock is self.sock and other.callback == self.callback

    def __hash__(self) -> int:  # pragma: no cover - relays live in lists
        return hash(self.callback)


@mypyc_attr(allow_interpreted_subclasses=True)
class FakeNetwork(NetworkSockets):
    """A simulated network of fake sockets (see the module doc).

    ``seed`` seeds the default chooser (``RandomChooser(seed)``) unless
    ``chooser`` is given; ``trace=False`` turns the trace off (``.trace`` is
    then None). ``loop_chooser`` is what a loop's scheduling policy asks (the
    harness gives it to ``loopsim.ChooserPolicy``): see :class:`LoopChooser`.
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
        self.loop_chooser = LoopChooser(self)
        self.config = config
        self._timeline = Timeline(self.clock)
        self._sockets = SocketTable()
        self._faults = FaultPlan(config.faults) if config.faults else FaultPlan(())
        self._port = _FIRST_PORT - 1
        self._serial = 0
        self._connected: dict[int, TcpEndpoint] = {}  # by serial: what faults at a time strike
        self._listeners: dict[str, TcpEndpoint] = {}
        self._conn_jitter: dict[TcpEndpoint, int] = {}  # a connecting client's jitter draw (ns), until it joins
        self._bound: dict[str, TcpEndpoint] = {}
        self._arm(self._faults)

    @classmethod
    def from_config(cls, config: NetConfig, seed: int = 0, chooser: Chooser | None = None,
                    trace: bool = True) -> FakeNetwork:
        """A network configured by ``config``."""
        return cls(seed=seed, config=config, chooser=chooser, trace=trace)

    def __repr__(self) -> str:
        return (f"<FakeNetwork seed={self.seed!r} t={self.clock.now():.6f} {len(self._sockets)} open sockets, "
                f"{len(self._timeline)} scheduled>")

    # -- making sockets ---------------------------------------------------------------------------

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:
        """A new unconnected socket, NON-blocking (a fake cannot block); default names
        ``"socket-1"``, ``"socket-2"``, ..."""
        if type != _SOCK_STREAM:
            raise ValueError(f"the fake network simulates SOCK_STREAM sockets only, not type={type!r}")
        if family != _AF_INET and family != _AF_INET6:
            raise ValueError(f"the fake network simulates AF_INET/AF_INET6 sockets only, not family={family!r}")
        name = self._sockets.name(name)
        sock = self._new_socket(name, TcpEndpoint(name), False, family, type)
        trace = self.trace
        if trace is not None:
            trace.add(name, "socket", (int(family), int(type)), None)
        return sock

    def _new_socket(self, name: str, endpoint: TcpEndpoint, blocking: bool, family: int, type: int) -> FakeSocket:
        sock = self._sockets.add(self, name, endpoint, blocking, family, type)
        endpoint.sock = sock
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
        self._join(ea, eb, link, self._draw_conn_jitter(link) if link.jitter else 0)
        ea.connect_reported = eb.connect_reported = True
        refresh(ea)
        refresh(eb)
        return a, b

    def selector(self) -> FakeSelector:
        """A new :class:`~fakes.FakeSelector` over this network's sockets."""
        return FakeSelector(self)

    def finish(self) -> None:
        """After a run: nothing to check (a :class:`~fakes.ReplayNetwork` checks its script was used)."""
        return None

    # -- configuration -------------------------------------------------------------------------------

    def link(self, addr: str = "*", latency: float = 0.0, bandwidth: float | None = None,
             accept_delay: float = 0.0, backlog: int = 128, jitter: float = 0.0) -> Link:
        """Append a :class:`~fakes.Link` (the first matching link applies: add specific ones first)."""
        link = Link(addr, latency, bandwidth, accept_delay, backlog, jitter)
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
        self._faults = FaultPlan(self.config.faults, self._faults.fired)
        self._arm(self._faults, len(self.config.faults) - 1)
        return fault

    def faults_fired(self) -> tuple[int, ...]:
        """How often each fault of :attr:`config` fired so far (in its order): each connection it
        struck, each connect it met."""
        return tuple(self._faults.fired)

    def reset(self, sock: FakeSocket) -> bool:
        """Reset ``sock``'s connection now (as a ``reset`` fault does); False if it is not connected."""
        return fault_kind("reset").strike(sock._ep)  # type: ignore[attr-defined, no-any-return]

    def half_close(self, sock: FakeSocket) -> bool:
        """Make ``sock`` send FIN now (as a ``half_close`` fault does); False if it cannot."""
        return fault_kind("half_close").strike(sock._ep)  # type: ignore[attr-defined, no-any-return]

    def _arm(self, plan: FaultPlan, first: int = 0) -> None:
        """Schedule the faults of ``plan`` (from index ``first``) that fire at a time on connections (now,
        if that is past)."""
        for fault, kind, index in plan.timed:
            if index >= first:
                self._timeline.schedule(max(to_ns(fault.at), self.clock.now_ns()),  # type: ignore[arg-type]
                                        self._strike_at, (kind, fault.target, index))

    def _strike_at(self, arg: tuple[Any, str, int]) -> None:
        self._faults.strike_all(arg[0], arg[1], list(self._connected.values()), arg[2])

    def _configure(self, endpoint: TcpEndpoint) -> None:
        """Apply the endpoint rules and after_bytes faults matching ``endpoint``'s name."""
        name = endpoint.name
        for rule in self.config.endpoints:
            if fnmatchcase(name, rule.pattern):
                if rule.sndbuf is not None:
                    endpoint.sndbuf = rule.sndbuf
                if rule.rcvbuf is not None:
                    endpoint.rcvbuf = rule.rcvbuf
                if rule.max_recv is not None:
                    endpoint.max_recv = rule.max_recv
                if rule.max_send is not None:
                    endpoint.max_send = rule.max_send
        if self._faults.after_bytes:
            self._faults.watch_sent(endpoint)

    # -- connecting ------------------------------------------------------------------------------------

    def _start_connect(self, client: TcpEndpoint) -> None:
        link = client.link = self.config.link_for(client.peer_key)
        latency = to_ns(link.latency) if link.latency else 0
        if link.jitter:  # this connection's own delay, the connect's and every segment's (see _join)
            offset = self._conn_jitter[client] = self._draw_conn_jitter(link)
            latency += offset
        if latency:
            self._timeline.after(latency, self._syn_arrive, client)
        else:
            self._syn_arrive(client)

    def _syn_arrive(self, client: TcpEndpoint) -> None:
        """A connect reaches its address (one latency after connect_ex)."""
        if client.state != CONNECTING:
            return
        faults = self._faults
        if faults.on_connect and faults.meet_connect(self, client, self.clock.now_ns()):
            return
        key = client.peer_key
        # peer_key is addr_key(peer): the exact address first, as _find_listener does
        listener = self._listeners.get(key) or self._find_listener(client.peer)  # type: ignore[arg-type]
        if listener is None:
            fail(client, errno.ECONNREFUSED)
            return
        queues: ListenQueues = listener.queues  # type: ignore[assignment]
        if len(queues.acceptable) + len(queues.delayed) >= queues.backlog:
            queues.waiting.append(client)  # waits (as a retried SYN would) until the app accepts
            return
        self._establish(listener, client)

    def _find_listener(self, addr: Address) -> TcpEndpoint | None:
        listeners = self._listeners
        return (listeners.get(addr_key(addr)) or listeners.get(f"0.0.0.0:{addr[1]}")
                or listeners.get(f":{addr[1]}"))

    def _establish(self, listener: TcpEndpoint, client: TcpEndpoint) -> None:
        """Connect ``client`` to ``listener``: a server-side endpoint joins the accept queue."""
        server = TcpEndpoint(f"{listener.name}<-{client.name}")
        server.local = client.peer
        local = server.peer = client.local
        server.peer_key = f"{local[0]}:{local[1]}"  # type: ignore[index]  # addr_key(client.local)
        server.connect_reported = True
        link: Link = client.link  # type: ignore[assignment]
        self._join(client, server, link, self._conn_jitter.pop(client, 0) if link.jitter else 0)
        refresh(client)
        server.readiness = readiness(server)
        queues: ListenQueues = listener.queues  # type: ignore[assignment]
        delay = to_ns(link.accept_delay) if link.accept_delay else 0
        if delay:
            queues.delayed.append(server)
            self._timeline.after(delay, self._accept_ready, (listener, server))
        else:
            queues.acceptable.append(server)
            refresh(listener)

    def _join(self, a: TcpEndpoint, b: TcpEndpoint, link: Link, offset: int = 0) -> None:
        """Join two endpoints with a pipe each way and mark both connected (``offset``: the connection's
        jitter draw, ns, added to its latency both ways)."""
        config = self.config
        if config.endpoints or config.faults:
            self._configure(a)
            self._configure(b)
        latency = (to_ns(link.latency) if link.latency else 0) + offset
        bandwidth = link.bandwidth
        timeline = self._timeline
        a.outgoing = b.incoming = Pipe(a, b, a.sndbuf + b.rcvbuf, latency, bandwidth, timeline)
        b.outgoing = a.incoming = Pipe(b, a, b.sndbuf + a.rcvbuf, latency, bandwidth, timeline)
        jitter = link.jitter_us if link.jitter else 0
        if jitter:
            for pipe in (a.outgoing, b.outgoing):
                pipe.jitter = jitter
                pipe.chooser = self.chooser
                pipe.immediate = False
        a.state = b.state = CONNECTED
        a.link = b.link = link
        self._register_connected(a)
        self._register_connected(b)

    def _draw_conn_jitter(self, link: Link) -> int:
        """A connection's jitter: ``0..jitter`` microseconds from the chooser (label "jitter-conn"), in ns."""
        hi = link.jitter_us
        return self.chooser.integer("jitter-conn", 0, hi) * 1000 if hi else 0

    def _register_connected(self, endpoint: TcpEndpoint) -> None:
        self._serial += 1
        endpoint.serial = self._serial
        self._connected[self._serial] = endpoint

    def refuse_connect(self, client: TcpEndpoint) -> None:
        """For connect faults: ``client``'s connect fails with ECONNREFUSED."""
        fail(client, errno.ECONNREFUSED)

    def connect_to_nothing(self, client: TcpEndpoint) -> None:
        """For connect faults: a black-hole connection, connected to nothing that ever answers."""
        self._configure(client)
        client.outgoing = Pipe(client, None, client.sndbuf, 0, None, self._timeline)
        client.incoming = Pipe(None, client, client.rcvbuf, 0, None, self._timeline)
        client.state = CONNECTED
        self._register_connected(client)
        refresh(client)

    def _accept_ready(self, arg: tuple[TcpEndpoint, TcpEndpoint]) -> None:
        listener, server = arg
        queues = listener.queues
        if listener.state != LISTENING or queues is None or server not in queues.delayed:
            return
        queues.delayed.remove(server)
        queues.acceptable.append(server)
        refresh(listener)

    def _admit(self, listener: TcpEndpoint) -> None:
        """Let connects waiting for room in the backlog in, as far as there is room."""
        queues: ListenQueues = listener.queues  # type: ignore[assignment]
        waiting = queues.waiting
        while waiting and len(queues.acceptable) + len(queues.delayed) < queues.backlog:
            client = waiting.popleft()
            if client.state == CONNECTING:
                self._establish(listener, client)

    def _backlog(self, key: str, backlog: int) -> int:
        return max(1, min(backlog, self.config.link_for(key).backlog))

    def _next_port(self) -> int:
        self._port += 1
        return self._port

    # -- time ------------------------------------------------------------------------------------------

    def deliver_due(self) -> None:
        """Backend protocol: deliver every scheduled happening due now."""
        heap = self._timeline.heap
        if heap and heap[0][0] <= self.clock.now_ns():
            self._timeline.run_due()

    def advance(self, deadline_ns: int | None) -> bool:
        """Backend protocol: jump to the next event due by ``deadline_ns`` (see fakes.backend)."""
        timeline = self._timeline
        heap = timeline.heap
        now = self.clock.now_ns()
        if heap and heap[0][0] <= now:
            timeline.run_due()
        if heap and (deadline_ns is None or heap[0][0] <= deadline_ns):
            self._jump(heap[0][0])
            timeline.run_due()
            return True
        if deadline_ns is not None and deadline_ns > now:
            self._jump(deadline_ns)
        return False

    def _jump(self, t_ns: int) -> None:
        clock = self.clock
        before = clock.now()
        clock.advance_to_ns(t_ns)
        if self.trace is not None:
            self.trace.add("clock", "clock", (before, clock.now()), None)

    def scheduled(self) -> int:
        """How many future happenings wait (some may turn out to be no-ops)."""
        return len(self._timeline)

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

    # -- the backend protocol: readiness ------------------------------------------------------------

    def sock_readiness(self, sock: FakeSocket) -> int:
        return sock._ep.readiness  # type: ignore[no-any-return]

    def watch(self, sock: FakeSocket, callback: Any) -> None:
        endpoint = sock._ep
        # Watchers are told the endpoint's socket; a duplicate's watcher is told the duplicate (a relay).
        endpoint.watchers.append(callback if sock is endpoint.sock else _Relay(sock, callback))

    def unwatch(self, sock: FakeSocket, callback: Any) -> None:
        watchers = sock._ep.watchers
        for watcher in (callback, _Relay(sock, callback)):
            try:
                watchers.remove(watcher)
                return
            except ValueError:
                pass

    def sock_dup(self, sock: FakeSocket) -> FakeSocket:
        endpoint: TcpEndpoint = sock._ep
        copy = self._sockets.add(self, self.dup_name(sock), endpoint, False, sock.family, sock.type)
        endpoint.dups.append(copy)
        return copy

    def _close_descriptor(self, sock: FakeSocket, endpoint: TcpEndpoint) -> None:
        """Close one of several descriptors of ``endpoint``: the socket itself stays (Linux: no FIN, no reset,
        SO_LINGER or not, until the last one is closed); the selectors watching through this one stop."""
        self._sockets.closed(sock)
        if sock is endpoint.sock:
            endpoint.sock = endpoint.dups.pop(0)
            endpoint.watchers = [w for w in endpoint.watchers if isinstance(w, _Relay)]
        else:
            endpoint.dups.remove(sock)
            endpoint.watchers = [w for w in endpoint.watchers if not (isinstance(w, _Relay) and w.sock is sock)]

    # -- the backend protocol: socket calls -----------------------------------------------------------

    def sock_recv(self, sock: FakeSocket, n: int) -> bytes:
        return tcp_calls.recv(sock._ep, n, self.chooser)

    def sock_send(self, sock: FakeSocket, data: Any) -> int:
        return tcp_calls.send(sock._ep, data, self.chooser)

    def sock_so_error(self, sock: FakeSocket) -> int:
        return tcp_calls.so_error(sock._ep)

    def sock_shutdown(self, sock: FakeSocket, how: int) -> None:
        endpoint: TcpEndpoint = sock._ep
        if endpoint.state == LISTENING:
            if how != _socket.SHUT_WR:  # Linux: SHUT_RD on a listener stops it (still bound; listen() again)
                self._close_listener(endpoint)
                endpoint.queues = None
                endpoint.state = UNCONNECTED
                refresh(endpoint)
            return
        tcp_calls.shutdown(endpoint, how)

    def sock_connect_ex(self, sock: FakeSocket, addr: Address) -> int:
        endpoint: TcpEndpoint = sock._ep
        state = endpoint.state
        if state == UNCONNECTED:
            if endpoint.local is None:
                endpoint.local = ("127.0.0.1", self._next_port())
            endpoint.peer = addr
            endpoint.peer_key = addr_key(addr)
            endpoint.state = CONNECTING
            refresh(endpoint)
            self._start_connect(endpoint)
            return errno.EINPROGRESS
        if state == CONNECTING:
            return errno.EALREADY
        if state == CONNECTED:
            if endpoint.connect_reported:
                return errno.EISCONN
            if finished(endpoint):  # Linux: the connection is over before connect reported it
                err = endpoint.pending_error or errno.ECONNABORTED
                self._forget_connection(endpoint)
                return err
            endpoint.connect_reported = True
            return 0
        if state == FAILED:
            err = endpoint.pending_error or errno.ECONNABORTED
            endpoint.pending_error = 0
            endpoint.state = UNCONNECTED
            endpoint.peer = None
            refresh(endpoint)
            return err
        return errno.EISCONN  # listening

    def _forget_connection(self, endpoint: TcpEndpoint) -> None:
        """A finished connection's endpoint becomes an unconnected socket (bound to the same address)
        that may connect again, as a Linux socket does after connect reported the connection's end."""
        self._connected.pop(endpoint.serial, None)
        incoming, outgoing = endpoint.incoming, endpoint.outgoing
        if incoming is not None:
            incoming.receiver = None  # what the old peer still sends goes nowhere
            incoming.in_flight.clear()
        if outgoing is not None:
            outgoing.sender = None
        endpoint.incoming = endpoint.outgoing = None
        endpoint.state = UNCONNECTED
        endpoint.serial = 0
        endpoint.peer = None
        endpoint.peer_key = ""
        endpoint.unread.clear()
        endpoint.pending_error = 0
        endpoint.eof_received = endpoint.fin_received = endpoint.peer_closed = False
        endpoint.fin_waiting = 0
        endpoint.fin_acked = False
        endpoint.shut_read = endpoint.shut_write = False
        endpoint.peer_gone = endpoint.was_reset = endpoint.connect_reported = endpoint.reset_sent = False
        refresh(endpoint)

    def sock_accept(self, sock: FakeSocket) -> tuple[FakeSocket, Any]:
        listener: TcpEndpoint = sock._ep
        if listener.state != LISTENING:
            raise fake_oserror(errno.EINVAL)
        acceptable = listener.queues.acceptable  # type: ignore[union-attr]
        if not acceptable:
            raise fake_oserror(errno.EAGAIN)
        server = acceptable.popleft()
        if not acceptable:
            refresh(listener)
        conn = self._new_socket(server.name, server, True, sock.family, sock.type)
        self._admit(listener)
        return conn, server.peer

    def sock_listen(self, sock: FakeSocket, backlog: int) -> None:
        endpoint: TcpEndpoint = sock._ep
        if endpoint.state == LISTENING:
            endpoint.queues.backlog = self._backlog(endpoint.queues.key, backlog)  # type: ignore[union-attr]
            self._admit(endpoint)
            return
        if endpoint.state != UNCONNECTED:
            raise fake_oserror(errno.EINVAL)
        if endpoint.local is None:
            endpoint.local = ("0.0.0.0", self._next_port())
            endpoint.bound_key = addr_key(endpoint.local)
            self._bound[endpoint.bound_key] = endpoint
        # bound: the same string as addr_key(local)
        key = endpoint.bound_key if endpoint.bound_key is not None else addr_key(endpoint.local)
        endpoint.queues = ListenQueues(key, self._backlog(key, backlog))
        endpoint.state = LISTENING
        self._listeners[key] = endpoint
        refresh(endpoint)

    def sock_bind(self, sock: FakeSocket, addr: Address) -> None:
        endpoint: TcpEndpoint = sock._ep
        if endpoint.local is not None or endpoint.state != UNCONNECTED:
            raise fake_oserror(errno.EINVAL)
        host, port = addr
        if port == 0:
            port = self._next_port()
        key = f"{host}:{port}"
        if key in self._bound:
            raise fake_oserror(errno.EADDRINUSE)
        endpoint.local = (host, port)
        endpoint.bound_key = key
        self._bound[key] = endpoint

    def sock_close(self, sock: FakeSocket, abort: bool) -> None:
        endpoint: TcpEndpoint = sock._ep
        if endpoint.dups:
            self._close_descriptor(sock, endpoint)
            return
        self._sockets.closed(sock)
        state = endpoint.state
        if state == LISTENING:
            self._close_listener(endpoint)
        elif state == CONNECTED:
            self._connected.pop(endpoint.serial, None)
            if not endpoint.was_reset:
                if abort or endpoint.unread:  # SO_LINGER 0, or unread data: a reset, as Linux does
                    endpoint.reset_sent = True
                    transmit(endpoint.outgoing, RST, None)  # type: ignore[arg-type]
                else:
                    transmit(endpoint.outgoing, CLOSE, None)  # type: ignore[arg-type]
        if endpoint.bound_key is not None and self._bound.get(endpoint.bound_key) is endpoint:
            del self._bound[endpoint.bound_key]
        endpoint.state = CLOSED
        endpoint.unread.clear()
        if endpoint.readiness:  # a closed socket is neither readable nor writable
            notify(endpoint, 0)
        endpoint.watchers.clear()
        # Nothing needs a closed endpoint's socket (its watchers are gone), and once both ends are
        # closed with nothing in flight, nothing needs the pipes' endpoints: drop those references so
        # that a finished connection is freed by reference counting, not left to the cyclic GC.
        endpoint.sock = None
        out = endpoint.outgoing
        if out is not None and not out.in_flight:
            peer = out.receiver
            incoming = endpoint.incoming
            if (peer is None or peer.state == CLOSED) and (incoming is None or not incoming.in_flight):
                out.sender = out.receiver = None
                if incoming is not None:
                    incoming.sender = incoming.receiver = None

    def _close_listener(self, listener: TcpEndpoint) -> None:
        queues: ListenQueues = listener.queues  # type: ignore[assignment]
        if self._listeners.get(queues.key) is listener:
            del self._listeners[queues.key]
        for conn in (*queues.acceptable, *queues.delayed):
            self._connected.pop(conn.serial, None)
            if not conn.was_reset:
                conn.reset_sent = True
                transmit(conn.outgoing, RST, None)  # type: ignore[arg-type]
            conn.state = CLOSED
        for client in queues.waiting:
            if client.state == CONNECTING:
                fail(client, errno.ECONNREFUSED)
        queues.acceptable.clear()
        queues.delayed.clear()
        queues.waiting.clear()

    def sock_buffer_size(self, sock: FakeSocket, optname: int) -> int:
        """``getsockopt(SO_SNDBUF/SO_RCVBUF)`` when setsockopt set none: the endpoint's configured size."""
        endpoint: TcpEndpoint = sock._ep
        return endpoint.sndbuf if optname == _socket.SO_SNDBUF else endpoint.rcvbuf

    def sock_peername(self, sock: FakeSocket) -> tuple[str, int]:
        endpoint: TcpEndpoint = sock._ep
        if endpoint.state == CONNECTED and not finished(endpoint):
            return endpoint.peer  # type: ignore[return-value]
        raise fake_oserror(errno.ENOTCONN)

    def sock_sockname(self, sock: FakeSocket) -> tuple[str, int]:
        local = sock._ep.local
        return local if local is not None else ("0.0.0.0", 0)

    def sock_describe(self, sock: FakeSocket) -> str:
        return describe(sock._ep)
