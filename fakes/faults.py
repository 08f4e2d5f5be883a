# fakes.faults: every kind of fault, in one registry - its parameters and checks, when it fires, what it does.
# Owns: FaultKind (and its families), the registry (register, fault_kind, fault_kinds, FAULT_KINDS), FaultPlan,
# SentBytesWatch. Imports: stdlib, fakes.{clock,errors,tcp_segments,tcp_state}; the network only through ConnectOutcomes.
"""Faults: something going wrong, as one registry of kinds.

A :class:`~fakes.Fault` is data: ``kind``, ``target``, and when (``at`` a
virtual time, or ``after_bytes`` sent). Its kind - a :class:`FaultKind`
registered here under its name - says everything else:

* what it targets (:data:`SOCKET`: a socket-name pattern, or :data:`ADDRESS`:
  a ``"host:port"`` pattern);
* which of ``at``/``after_bytes`` it takes (``triggers``) and whether one is
  required (``trigger_required``): :meth:`FaultKind.check` validates a Fault
  by that, so config validation, scenario files and the hypothesis
  strategies (which draw every registered kind with its triggers) follow;
* when it fires and what it does, by family:

  - :class:`ConnectionFault`: fires on every connected socket matching the
    target at time ``at``, or on the target once it has sent ``after_bytes``
    (its send stops at the threshold); :meth:`~ConnectionFault.strike` does
    it to the connection (``reset``, ``half_close``);
  - :class:`DataFault`: a connection fault whose strike makes every byte the
    target sends from then on pass through :meth:`~DataFault.alter`;
  - :class:`ConnectFault`: a connect reaching a matching address (from
    ``at`` on, if given) meets :meth:`~ConnectFault.on_connect` instead of
    the listener (``refuse``, ``black_hole``).

Adding a kind is one class and one :func:`register` call (plus its row in
docs/fakes.md)::

    class Garbage(DataFault):
        name = "garbage"
        summary = "after the threshold, the target's data is replaced by b'?'"
        def alter(self, data: bytes) -> bytes:
            return b"?" * len(data)

    register(Garbage())

:class:`FaultPlan` is a network's faults sorted by trigger (the network asks
it at the three points above), :class:`SentBytesWatch` one endpoint's
after_bytes faults and alteration (its send path asks it).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Iterator, Protocol, Sequence, overload

from .clock import to_ns
from .errors import ConfigError
from .tcp_segments import reset, send_fin
from .tcp_state import TcpEndpoint

if TYPE_CHECKING:
    from .config import Fault

__all__ = ["FaultKind", "ConnectionFault", "DataFault", "ConnectFault", "Reset", "HalfClose", "Refuse",
           "BlackHole", "SOCKET", "ADDRESS", "TRIGGERS", "register", "unregister", "fault_kind", "fault_kinds",
           "FAULT_KINDS", "FaultPlan", "SentBytesWatch", "ConnectOutcomes"]

#: ``target`` is a socket-name pattern (fnmatch), e.g. ``"proxy->server2#*"``.
SOCKET = "socket"
#: ``target`` is a ``"host:port"`` pattern (fnmatch), e.g. ``"server2:80"``.
ADDRESS = "address"
#: The Fault fields that say when a fault fires.
TRIGGERS = ("at", "after_bytes")


class FaultKind:
    """One kind of fault (see the module doc). Subclass a family below, not this."""

    name: str = ""
    target: str = SOCKET
    triggers: tuple[str, ...] = ()  # which of TRIGGERS it takes, in the order strategies try them
    trigger_required: bool = True  # exactly one of them (else: at most one)
    summary: str = ""  # one line: what happens (docs, reprs)
    unexpected: str = ""  # what an error says when a trigger it does not take is given

    def check(self, fault: Fault) -> None:
        """Raise :class:`~fakes.ConfigError` unless ``fault``'s triggers suit this kind."""
        given = [name for name in TRIGGERS if getattr(fault, name) is not None]
        for name in given:
            if name not in self.triggers:
                raise ConfigError(f"Fault.{name}", getattr(fault, name), f"a {self.name!r} fault {self.unexpected}")
        if self.trigger_required and len(given) != 1:
            needs = " or ".join(f"{name}=" for name in TRIGGERS if name in self.triggers)
            others = ", ".join(f"{name}={getattr(fault, name)!r}" for name in self.triggers if name != TRIGGERS[0])
            raise ConfigError(f"Fault.{TRIGGERS[0]}", getattr(fault, TRIGGERS[0]),
                              f"a {self.name!r} fault needs exactly one of {needs} ({others})")

    def __repr__(self) -> str:
        return f"<fault kind {self.name!r}: {self.summary}>"


class ConnectionFault(FaultKind):
    """Fires on a connection: at time ``at`` (every connected socket matching ``target``) or once the
    target has sent ``after_bytes`` bytes."""

    target = SOCKET
    triggers = ("after_bytes", "at")
    unexpected = "needs at= or after_bytes="

    def strike(self, endpoint: TcpEndpoint) -> bool:
        """Do it to ``endpoint``'s connection; False if there was nothing to do."""
        raise NotImplementedError


class DataFault(ConnectionFault):
    """Once it fires, every byte the target sends passes through :meth:`alter` (same length)."""

    def alter(self, data: bytes) -> bytes:
        raise NotImplementedError

    def strike(self, endpoint: TcpEndpoint) -> bool:
        if endpoint.sent_faults is None:
            endpoint.sent_faults = SentBytesWatch([])
        endpoint.sent_faults.alterations.append(self)
        return True


class ConnectOutcomes(Protocol):
    """What a connect fault may make of a connect: the network offers these."""

    def refuse_connect(self, endpoint: TcpEndpoint) -> None:
        """The connect fails with ECONNREFUSED."""

    def connect_to_nothing(self, endpoint: TcpEndpoint) -> None:
        """The connect succeeds, to nothing: data sent is swallowed, nothing comes back."""


class ConnectFault(FaultKind):
    """Meets a connect reaching an address matching ``target`` (from time ``at`` on, if given)."""

    target = ADDRESS
    triggers = ("at",)
    trigger_required = False
    unexpected = "applies to connects; use at= (or nothing)"

    def on_connect(self, outcomes: ConnectOutcomes, endpoint: TcpEndpoint) -> None:
        """What becomes of ``endpoint``'s connect (it is CONNECTING)."""
        raise NotImplementedError


class Reset(ConnectionFault):
    name = "reset"
    summary = ("the connection is reset: the target's next operation gets ECONNRESET (then EPIPE/EOF), "
               "and its peer too, when the reset arrives (after the data sent before it)")

    def strike(self, endpoint: TcpEndpoint) -> bool:
        return reset(endpoint)


class HalfClose(ConnectionFault):
    name = "half_close"
    summary = "the target sends FIN: its peer reads EOF after the data before it; its later sends get EPIPE"

    def strike(self, endpoint: TcpEndpoint) -> bool:
        return send_fin(endpoint)


class Refuse(ConnectFault):
    name = "refuse"
    summary = ("connects to it fail with ECONNREFUSED (through SO_ERROR, after the link latency), "
               "even if something listens there")

    def on_connect(self, outcomes: ConnectOutcomes, endpoint: TcpEndpoint) -> None:
        outcomes.refuse_connect(endpoint)


class BlackHole(ConnectFault):
    name = "black_hole"
    summary = "connects to it succeed, data sent there is swallowed, and nothing ever comes back"

    def on_connect(self, outcomes: ConnectOutcomes, endpoint: TcpEndpoint) -> None:
        outcomes.connect_to_nothing(endpoint)


# -- the registry ------------------------------------------------------------------------------------

_KINDS: dict[str, FaultKind] = {}


def register(kind: FaultKind) -> FaultKind:
    """Make ``kind`` known under ``kind.name`` (after the kinds registered before it)."""
    if not isinstance(kind, (ConnectionFault, ConnectFault)):
        raise TypeError(f"{kind!r}: a fault kind is a ConnectionFault, DataFault or ConnectFault")
    if not kind.name or kind.name in _KINDS:
        raise ValueError(f"a fault kind needs a new name, not {kind.name!r}")
    if not kind.triggers or any(t not in TRIGGERS for t in kind.triggers):
        raise ValueError(f"fault kind {kind.name!r}: triggers must be some of {TRIGGERS}, not {kind.triggers!r}")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget the kind ``name`` (for tests that register one of their own)."""
    del _KINDS[name]


def fault_kind(name: Any) -> FaultKind:
    """The kind registered as ``name``; :class:`~fakes.ConfigError` ``Fault.kind`` if there is none."""
    kind = _KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ConfigError("Fault.kind", name, f"must be one of {', '.join(_KINDS)}")
    return kind


def fault_kinds() -> list[FaultKind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


class _KindNames(Sequence[str]):
    """:data:`FAULT_KINDS`: the registered kinds' names, as a read-only tuple-like view."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: Any) -> Any:
        return tuple(_KINDS)[index]

    def __len__(self) -> int:
        return len(_KINDS)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_KINDS))

    def __contains__(self, name: object) -> bool:
        return name in _KINDS

    def __eq__(self, other: object) -> bool:
        return tuple(_KINDS) == (tuple(other) if isinstance(other, (tuple, _KindNames)) else other)

    def __hash__(self) -> int:
        return hash(tuple(_KINDS))

    def __repr__(self) -> str:
        return repr(tuple(_KINDS))


#: The names of the registered fault kinds (``reset``, ``half_close``, ``refuse``, ``black_hole``, and any
#: registered later), in registration order.
FAULT_KINDS: Sequence[str] = _KindNames()

for _kind in (Reset(), HalfClose(), Refuse(), BlackHole()):
    register(_kind)


# -- a network's faults, by trigger ------------------------------------------------------------------

class SentBytesWatch:
    """One endpoint's faults that fire after bytes sent, and the alterations struck on its data.

    The send path reads :attr:`next_at` (the sent count at which the next fault fires; None: none
    left) and :attr:`alterations`, and calls :meth:`fire_due` when the count reaches ``next_at``.
    """

    __slots__ = ("pending", "next_at", "alterations", "fired")

    def __init__(self, pending: list[tuple[int, int, int, ConnectionFault]], fired: list[int] | None = None) -> None:
        self.pending = sorted(pending)  # (threshold, registry order, fault index, kind): the earliest first
        self.next_at: int | None = self.pending[0][0] if self.pending else None
        self.alterations: list[DataFault] = []
        self.fired = fired  # the plan's count per fault (FaultPlan.fired)

    def fire_due(self, endpoint: TcpEndpoint) -> None:
        """Strike every fault whose threshold ``endpoint.sent`` has reached."""
        pending = self.pending
        while pending and pending[0][0] <= endpoint.sent:
            _, _, index, kind = pending.pop(0)
            if kind.strike(endpoint) and self.fired is not None:
                self.fired[index] += 1
        self.next_at = pending[0][0] if pending else None

    def alter(self, data: Any) -> bytes:
        """``data`` as the alterations struck so far make it."""
        data = bytes(data)
        for fault in self.alterations:
            data = fault.alter(data)
        return data


class FaultPlan:
    """The faults of one network configuration, sorted by when they fire; :attr:`fired` counts, per
    fault (in the configuration's order), how often it fired: a connection it struck (a strike that
    found something to do), a connect it met."""

    __slots__ = ("timed", "after_bytes", "on_connect", "fired")

    def __init__(self, faults: Sequence[Fault], fired: list[int] | None = None) -> None:
        order = {name: i for i, name in enumerate(_KINDS)}
        self.timed: list[tuple[Fault, ConnectionFault, int]] = []  # fire at `at` on every matching connection
        self.after_bytes: list[tuple[Fault, int, int, ConnectionFault]] = []  # fire on the target's sent count
        self.on_connect: list[tuple[Fault, ConnectFault, int]] = []  # meet connects to matching addresses
        # the counts, one per fault; a plan rebuilt with more faults keeps (and extends) the earlier list
        self.fired: list[int] = fired if fired is not None else []
        self.fired.extend([0] * (len(faults) - len(self.fired)))
        for index, fault in enumerate(faults):
            kind = fault_kind(fault.kind)
            if isinstance(kind, ConnectFault):
                self.on_connect.append((fault, kind, index))
            elif isinstance(kind, ConnectionFault):
                if fault.after_bytes is not None:
                    self.after_bytes.append((fault, order[kind.name], index, kind))
                elif fault.at is not None:
                    self.timed.append((fault, kind, index))

    def strike_all(self, kind: ConnectionFault, target: str, endpoints: Sequence[TcpEndpoint], index: int) -> None:
        """A timed fault's moment: strike every endpoint whose name matches ``target``."""
        for endpoint in endpoints:
            if fnmatchcase(endpoint.name, target) and kind.strike(endpoint):
                self.fired[index] += 1

    def watch_sent(self, endpoint: TcpEndpoint) -> None:
        """Give a newly connected ``endpoint`` the after_bytes faults that target it."""
        name = endpoint.name
        pending = [(fault.after_bytes, order, index, kind) for fault, order, index, kind in self.after_bytes
                   if fnmatchcase(name, fault.target)]
        if pending:
            endpoint.sent_faults = SentBytesWatch(pending, self.fired)  # type: ignore[arg-type]

    def meet_connect(self, outcomes: ConnectOutcomes, endpoint: TcpEndpoint, now_ns: int) -> bool:
        """A connect reaches ``endpoint.peer_key`` at ``now_ns``: True if a connect fault took it."""
        key = endpoint.peer_key
        for fault, kind, index in self.on_connect:
            if (fault.at is None or to_ns(fault.at) <= now_ns) and fnmatchcase(key, fault.target):
                kind.on_connect(outcomes, endpoint)
                self.fired[index] += 1
                return True
        return False
