# loopsim.harness.chaos_rules: what `loopsim chaos` does to each live connection, decided from a scenario's
# [network] rules and a seed - pure logic, no I/O (loopsim.harness.chaos_proxy does the sockets).
# Owns: ChaosRules, ConnectionPlan, Direction, Piece, Strike, SocketRules, ChaosRuleError, derive_upstream.
# Imports: stdlib, loopsim.loop.errors, fakes (config data, the fault registry, RandomChooser).
"""The rules interpreter of the chaos proxy.

The proxy stands where the scenario's server (``server2:80``) stands: a client
connects to the proxy as it would to server2, and the proxy forwards to the real
upstream. So each live connection has the two sockets of the simulation:

* the proxy's socket facing the client plays server2's accepted socket and has
  its name, ``"server2:80<-client#N"``: the endpoint rules and faults that
  target ``"server2:80<-*"`` apply to what it sends (server2's bytes, to the
  client) and receives;
* the proxy's socket facing the upstream plays the client's socket,
  ``"client#N"`` (the prefix is ``--client``): rules targeting it apply to the
  client's bytes on their way to server2.

Each direction of a connection is a :class:`Direction`: the bytes one role sends
the other. The proxy reads them in pieces of at most the sender's ``max_send``
and the receiver's ``max_recv`` (each drawn per piece when a ``[lo, hi]``
range), cut exactly at each ``after_bytes`` threshold of a fault on the sender,
and sends each piece as one segment once it is due: the link's ``latency``
(plus, on a link with ``jitter``, the connection's own draw in ``[0, jitter]``,
label ``jitter-conn``, and each piece's, label ``jitter-segment``, as the
simulation draws them) after
the piece's serialization at the link's ``bandwidth``, in order, as
``fakes.tcp_segments`` schedules simulated segments. A direction holds at most
``sndbuf(sender) + rcvbuf(receiver)`` bytes (the simulated pipe's capacity).

Decisions are seeded: each direction draws from its own
``fakes.RandomChooser`` keyed by the seed and the sender's socket name, so the
same seed gives every connection the same sequence of draws whatever the
timing of the others. What the draws are applied to still depends on how the
live bytes arrive (a piece is never held back waiting for more bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from fakes import NetConfig, RandomChooser
from fakes.config import DEFAULT_RCVBUF, DEFAULT_SNDBUF, Endpoint, Fault, Link, Size
from fakes.faults import BlackHole, ConnectFault, DataFault, HalfClose, Refuse, Reset, fault_kind
from loopsim.loop.errors import InputError

__all__ = ["ChaosRules", "ConnectionPlan", "Direction", "Piece", "Strike", "SocketRules", "ChaosRuleError",
           "derive_upstream", "FORWARD", "REFUSE", "BLACK_HOLE", "RESET", "HALF_CLOSE"]

FORWARD, REFUSE, BLACK_HOLE = "forward", "refuse", "black_hole"
RESET, HALF_CLOSE = Reset.name, HalfClose.name


class ChaosRuleError(InputError):
    """A rule of the scenario cannot be applied live; ``key`` is its path (``("network", "fault", 1, "kind")``)."""

    def __init__(self, key: tuple[str | int, ...], problem: str) -> None:
        from .toml_locations import format_path

        super().__init__(f"{format_path(key)}: {problem}")
        self.key, self.problem = key, problem


@dataclass(frozen=True)
class SocketRules:
    """The endpoint rules of one socket name, merged (later rules override the fields they set)."""

    name: str
    sndbuf: int | None = None
    rcvbuf: int | None = None
    max_send: Size = None
    max_recv: Size = None


@dataclass(frozen=True)
class Strike:
    """A connection fault as it applies to one socket of one connection."""

    where: str  # the scenario's key of the fault: "network.fault[0]"
    kind: str  # "reset", "half_close" or a registered data fault's name
    target: str  # the socket name it strikes (the role that sends)
    at: float | None = None
    after_bytes: int | None = None

    @property
    def when(self) -> tuple[str, float | int]:
        return ("at", self.at) if self.at is not None else ("after_bytes", self.after_bytes or 0)


@dataclass(frozen=True)
class Piece:
    """Bytes read from one side, to send to the other as one segment when ``due``."""

    data: bytes
    due: float  # seconds since the proxy started
    strikes: tuple[Strike, ...] = ()  # after_bytes faults whose threshold this piece reaches: strike once sent


def _draw(chooser: RandomChooser, label: str, size: Size) -> int | None:
    if size is None:
        return None
    if isinstance(size, tuple):
        return chooser.integer(label, size[0], size[1])
    return size


class Direction:
    """The bytes the socket ``sender`` sends towards ``receiver`` on one connection (see the module doc)."""

    def __init__(self, sender: SocketRules, receiver: SocketRules, link: Link, seed: int,
                 strikes: tuple[Strike, ...] = (), conn_jitter: float = 0.0) -> None:
        self.sender, self.receiver, self.link = sender, receiver, link
        self.chooser = RandomChooser(f"{seed}:{sender.name}")
        self.capacity = (sender.sndbuf or DEFAULT_SNDBUF) + (receiver.rcvbuf or DEFAULT_RCVBUF)
        self.jitter_us = _jitter_us(link)
        self.latency = link.latency + conn_jitter  # the connection's own jitter draw is part of its latency
        self.taken = 0  # bytes read in this direction so far
        self.busy_until = 0.0
        self.last_due = 0.0
        ordered = sorted((s for s in strikes if s.after_bytes is not None), key=lambda s: s.after_bytes or 0)
        self.thresholds: list[Strike] = [s for s in ordered if not _is_data(s.kind)]
        self.alterations: list[Strike] = [s for s in ordered if _is_data(s.kind)]
        self.timed_alterations: list[Strike] = [s for s in strikes if s.at is not None and _is_data(s.kind)]
        self.delays = self.latency > 0 or link.bandwidth is not None or self.jitter_us > 0

    def at_start(self) -> tuple[Strike, ...]:
        """The after_bytes faults with threshold 0: they strike before any byte goes."""
        return tuple(s for s in self.thresholds + self.alterations if s.after_bytes == 0)

    def read_size(self, room: int) -> int:
        """How many bytes to read next (``room >= 1``: the space left in the direction's buffer)."""
        n = room
        for size in (_draw(self.chooser, "send-size", self.sender.max_send),
                     _draw(self.chooser, "recv-size", self.receiver.max_recv)):
            if size is not None and size < n:
                n = size
        for strike in self.thresholds + self.alterations:
            left = (strike.after_bytes or 0) - self.taken
            if 0 < left < n:
                n = left
        return max(n, 1)

    def take(self, data: bytes, now: float) -> Piece:
        """The piece ``data`` (just read, at ``now``) becomes: altered, stamped with its due time, the
        faults whose threshold it reaches."""
        start, end = self.taken, self.taken + len(data)
        self.taken = end
        for strike in self.alterations:
            if start >= (strike.after_bytes or 0):
                data = _alter(strike.kind, data)
        for strike in self.timed_alterations:
            if strike.at is not None and now >= strike.at:
                data = _alter(strike.kind, data)
        strikes = tuple(s for s in self.thresholds + self.alterations
                        if s.after_bytes is not None and start < s.after_bytes <= end)
        due = now
        if self.delays:
            link = self.link
            due = self.busy_until if self.busy_until > now else now
            if link.bandwidth is not None:
                due += len(data) / link.bandwidth
                self.busy_until = due
            due += self.latency
            if self.jitter_us:
                due += self.chooser.integer("jitter-segment", 0, self.jitter_us) / 1e6
            if due < self.last_due:  # a stream stays in order: jitter never overtakes
                due = self.last_due
            self.last_due = due
        return Piece(data, due, strikes)


def _jitter_us(link: Link) -> int:
    """The link's ``jitter`` bound in whole microseconds, as the simulation draws it (0: none)."""
    return round(float(getattr(link, "jitter", None) or 0.0) * 1e6)  # a Link key not every loopsim has


def _is_data(kind: str) -> bool:
    return isinstance(fault_kind(kind), DataFault)


def _alter(kind: str, data: bytes) -> bytes:
    altered = fault_kind(kind)
    assert isinstance(altered, DataFault)
    return altered.alter(data)


@dataclass(frozen=True)
class ConnectionPlan:
    """Everything decided for the ``number``-th connection the proxy accepted, at ``now``."""

    number: int
    server_name: str  # the proxy's socket facing the client: "server2:80<-client#N"
    client_name: str  # the proxy's socket facing the upstream: "client#N"
    decision: str  # FORWARD, REFUSE or BLACK_HOLE
    decided_by: str | None  # the connect fault that decided it: "network.fault[2]"
    server: SocketRules
    client: SocketRules
    to_server: Direction  # the client's bytes (client -> server2)
    to_client: Direction  # server2's bytes (server2 -> client)
    accept_delay: float
    connect_delay: float  # a connect takes one latency
    timed: tuple[Strike, ...]  # the at= connection faults still to come, earliest first
    at_start: tuple[Strike, ...]  # after_bytes = 0 faults: struck at once

    def direction_of(self, strike: Strike) -> Direction:
        return self.to_client if strike.target == self.server_name else self.to_server


def derive_upstream(config: NetConfig) -> str | None:
    """The one ``"host:port"`` the rules name (links, connect-fault targets, ``"host:port<-..."``
    patterns), or None if they name none; ChaosRuleError if they name several."""
    names: list[str] = []

    def note(name: str) -> None:
        if name and not any(ch in name for ch in "*?[") and name not in names:
            names.append(name)

    for link in config.links:
        if link.addr != "*":
            note(link.addr)
    for pattern in [e.pattern for e in config.endpoints] + [f.target for f in config.faults]:
        if "<-" in pattern:
            note(pattern.split("<-", 1)[0])
    for fault in config.faults:
        if isinstance(fault_kind(fault.kind), ConnectFault):
            note(fault.target)
    if len(names) > 1:
        raise ChaosRuleError(("network",), f"the rules name several addresses ({', '.join(names)}); say which "
                                           "one the upstream plays with --as NAME:PORT")
    return names[0] if names else None


class ChaosRules:
    """A scenario's ``[network]`` rules for a proxy standing as ``upstream`` (``"server2:80"``).

    Raises :class:`ChaosRuleError` for a fault kind that cannot be applied to live connections.
    """

    def __init__(self, config: NetConfig, upstream: str, *, client: str = "client", seed: int = 0) -> None:
        self.config, self.upstream, self.client, self.seed = config, upstream, client, seed
        self.link = config.link_for(upstream)
        for i, fault in enumerate(config.faults):
            kind = fault_kind(fault.kind)
            if not isinstance(kind, (Reset, HalfClose, DataFault, Refuse, BlackHole)):
                raise ChaosRuleError(("network", "fault", i, "kind"),
                                     f"{fault.kind!r} cannot be applied to live connections; the chaos proxy "
                                     "applies reset, half_close, refuse, black_hole and data faults")
        self._connect = [(f"network.fault[{i}]", f) for i, f in enumerate(config.faults)
                         if isinstance(fault_kind(f.kind), ConnectFault) and fnmatchcase(upstream, f.target)]

    @classmethod
    def from_rows(cls, network: dict[str, list[dict[str, Any]]], upstream: str | None, *, client: str = "client",
                  seed: int = 0) -> ChaosRules:
        """From a scenario's ``[[network.*]]`` rows; ``upstream`` None: :func:`derive_upstream`."""
        config = NetConfig(links=tuple(Link(**row) for row in network.get("link", [])),
                           endpoints=tuple(Endpoint(**row) for row in network.get("endpoint", [])),
                           faults=tuple(Fault(**row) for row in network.get("fault", [])))
        name = upstream or derive_upstream(config)
        if name is None:
            raise ChaosRuleError(("network",), "the rules name no address; say which one the upstream plays "
                                               "with --as NAME:PORT")
        return cls(config, name, client=client, seed=seed)

    # -- connects --------------------------------------------------------------------------------

    def connect_decision(self, now: float) -> tuple[str, str | None]:
        """What a connect reaching the proxy at ``now`` meets: (FORWARD | REFUSE | BLACK_HOLE, the fault's key)."""
        for where, fault in self._connect:
            if fault.at is None or fault.at <= now:
                return (REFUSE if fault.kind == REFUSE else BLACK_HOLE), where
        return FORWARD, None

    def refused_from(self) -> float | None:
        """The time from which every connect is refused for good (the proxy then closes its listener,
        so the kernel answers ECONNREFUSED), or None."""
        times = sorted({fault.at or 0.0 for _, fault in self._connect})
        start = None
        for t in times:
            if self.connect_decision(t)[0] == REFUSE:
                if start is None:
                    start = t
            else:
                start = None
        return start

    # -- connections -----------------------------------------------------------------------------

    def socket_rules(self, name: str) -> SocketRules:
        """The endpoint rules that apply to the socket ``name``, merged in order."""
        fields: dict[str, Any] = {}
        for rule in self.config.endpoints:
            if fnmatchcase(name, rule.pattern):
                for f in ("sndbuf", "rcvbuf", "max_send", "max_recv"):
                    value = getattr(rule, f)
                    if value is not None:
                        fields[f] = value
        return SocketRules(name, **fields)

    def strikes_for(self, name: str) -> tuple[Strike, ...]:
        """The connection faults whose target matches the socket ``name``, in file order."""
        return tuple(Strike(f"network.fault[{i}]", f.kind, name, f.at, f.after_bytes)
                     for i, f in enumerate(self.config.faults)
                     if not isinstance(fault_kind(f.kind), ConnectFault) and fnmatchcase(name, f.target))

    def connection(self, number: int, now: float) -> ConnectionPlan:
        """The plan of the ``number``-th accepted connection (from 1), accepted at ``now``."""
        client_name = f"{self.client}#{number}"
        server_name = f"{self.upstream}<-{client_name}"
        decision, decided_by = self.connect_decision(now)
        server, client = self.socket_rules(server_name), self.socket_rules(client_name)
        server_strikes, client_strikes = self.strikes_for(server_name), self.strikes_for(client_name)
        jitter_us = _jitter_us(self.link)
        conn_jitter = RandomChooser(f"{self.seed}:{server_name}").integer("jitter-conn", 0, jitter_us) / 1e6 \
            if jitter_us else 0.0
        to_server = Direction(client, server, self.link, self.seed, client_strikes, conn_jitter)
        to_client = Direction(server, client, self.link, self.seed, server_strikes, conn_jitter)
        timed = tuple(sorted((s for s in server_strikes + client_strikes if s.at is not None and s.at > now
                              and not _is_data(s.kind)), key=lambda s: s.at or 0.0))
        return ConnectionPlan(number, server_name, client_name, decision, decided_by, server, client, to_server,
                              to_client, self.link.accept_delay, self.link.latency + conn_jitter, timed,
                              to_client.at_start() + to_server.at_start())

    def describe(self) -> list[str]:
        """One line per rule: what it does here, or that it matches none of the proxy's sockets."""
        server_name = f"{self.upstream}<-{self.client}#1"
        client_name = f"{self.client}#1"
        lines = []
        for i, link in enumerate(self.config.links):
            used = "applies" if link is self.link else f"does not apply (the upstream is {self.upstream})"
            lines.append(f"network.link[{i}] {link.addr}: {used}")
        for i, rule in enumerate(self.config.endpoints):
            hit = [n for n in (server_name, client_name) if fnmatchcase(n, rule.pattern)]
            lines.append(f"network.endpoint[{i}] {rule.pattern}: " + (
                f"applies to {' and '.join(hit)}" if hit else
                f"matches none of this proxy's sockets ({server_name}, {client_name})"))
        for i, fault in enumerate(self.config.faults):
            if isinstance(fault_kind(fault.kind), ConnectFault):
                hit = [self.upstream] if fnmatchcase(self.upstream, fault.target) else []
            else:
                hit = [n for n in (server_name, client_name) if fnmatchcase(n, fault.target)]
            lines.append(f"network.fault[{i}] {fault.kind} {fault.target}: " + (
                f"applies to {' and '.join(hit)}" if hit else "matches none of this proxy's sockets"))
        return lines

