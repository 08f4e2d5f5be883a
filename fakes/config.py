# fakes.config: the fake network's configuration as plain, validated, frozen data.
# Owns: Link, Endpoint, Fault, NetConfig, the default backlog. Imports: stdlib, fakes.{errors,faults,tcp_state}
# (the fault kinds and the default buffer sizes are theirs; FAULT_KINDS and DEFAULT_*BUF are re-exported).
"""Network configuration: declarative data that scenario files and hypothesis strategies produce.

* :class:`Link` - how connections *to a listening address* behave: one-way
  ``latency`` (a connect also takes one latency), ``bandwidth`` (bytes/s, per
  direction; None = unbounded), ``jitter`` (seconds: each connection's latency
  is longer by up to that much, and each segment's by up to that much again,
  drawn from the network's chooser in microseconds - labels
  ``"jitter-conn"``/``"jitter-segment"`` - never reordering one connection's
  bytes), ``accept_delay`` (a connection is acceptable that long after it
  arrived) and ``backlog``. The first link whose ``addr``
  is the target's ``"host:port"`` (or ``"*"``) applies.
* :class:`Endpoint` - buffer sizes and per-call limits of sockets whose name
  matches ``pattern`` (fnmatch). Every matching rule applies, in order; a
  later one overrides an earlier one for the fields it sets (``None`` = not
  set). ``max_recv``/``max_send`` is the most bytes one ``recv`` returns /
  one ``send`` accepts: an int, or ``(lo, hi)`` drawn per call from the
  network's chooser (labels ``"recv-size"``/``"send-size"``).
* :class:`Fault` - something going wrong; its kind (:data:`FAULT_KINDS`) is
  one of the registry of :mod:`fakes.faults`, which checks the rest.
* :class:`NetConfig` - all of the above.

Every field is checked when the object is built: a bad one raises
:class:`~fakes.ConfigError` naming the field and the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Union

from .errors import ConfigError
from .faults import FAULT_KINDS, fault_kind
from .tcp_state import DEFAULT_RCVBUF, DEFAULT_SNDBUF

__all__ = [
    "Link", "Endpoint", "Fault", "NetConfig", "FAULT_KINDS", "Size",
    "DEFAULT_SNDBUF", "DEFAULT_RCVBUF", "DEFAULT_BACKLOG",
]

DEFAULT_BACKLOG = 128

Size = Union[int, tuple[int, int], None]


def _number(owner: str, name: str, value: Any, *, minimum: float = 0.0, allow_none: bool = False,
            positive: bool = False) -> None:
    key = f"{owner}.{name}"
    if value is None:
        if allow_none:
            return
        raise ConfigError(key, value, "a number is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, value, "must be a number")
    if not math.isfinite(value):
        raise ConfigError(key, value, "must be finite")
    if positive and value <= 0:
        raise ConfigError(key, value, "must be > 0")
    if value < minimum:
        raise ConfigError(key, value, f"must be >= {minimum:g}")


def _integer(owner: str, name: str, value: Any, *, minimum: int, allow_none: bool = False) -> None:
    key = f"{owner}.{name}"
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, value, "must be an integer")
    if value < minimum:
        raise ConfigError(key, value, f"must be >= {minimum}")


def _pattern(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{owner}.{name}", value, "must be a non-empty string (a name, 'host:port' or a pattern)")


def _size(owner: str, name: str, value: Any) -> Size:
    """Validate a max_recv/max_send value; a list [lo, hi] becomes a tuple."""
    key = f"{owner}.{name}"
    if value is None:
        return None
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple):
        if len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise ConfigError(key, value, "must be an int or a (lo, hi) pair of ints")
        lo, hi = value
        if lo < 1 or hi < lo:
            raise ConfigError(key, value, "needs 1 <= lo <= hi")
        return (lo, hi) if lo != hi else lo
    _integer(owner, name, value, minimum=1)
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Link:
    """Connections to listening address ``addr`` (``"host:port"`` or ``"*"``)."""

    addr: str = "*"
    latency: float = 0.0
    bandwidth: float | None = None
    accept_delay: float = 0.0
    backlog: int = DEFAULT_BACKLOG
    jitter: float = 0.0

    def __post_init__(self) -> None:
        _pattern("Link", "addr", self.addr)
        _number("Link", "latency", self.latency)
        _number("Link", "bandwidth", self.bandwidth, allow_none=True, positive=True)
        _number("Link", "accept_delay", self.accept_delay)
        _integer("Link", "backlog", self.backlog, minimum=1)
        _number("Link", "jitter", self.jitter)

    @property
    def jitter_us(self) -> int:
        """The jitter bound in whole microseconds, as it is drawn (0: no jitter, nothing drawn)."""
        return round(self.jitter * 1e6) if self.jitter else 0

    def matches(self, addr_key: str) -> bool:
        return self.addr == "*" or self.addr == addr_key


@dataclass(frozen=True)
class Endpoint:
    """Buffer sizes and per-call limits of sockets whose name matches ``pattern``.

    Unset (``None``) fields keep what earlier rules said; with no rule at all
    a socket has ``sndbuf=rcvbuf=262144`` and no per-call limit.
    """

    pattern: str = "*"
    sndbuf: int | None = None
    rcvbuf: int | None = None
    max_recv: Size = None
    max_send: Size = None

    def __post_init__(self) -> None:
        _pattern("Endpoint", "pattern", self.pattern)
        _integer("Endpoint", "sndbuf", self.sndbuf, minimum=1, allow_none=True)
        _integer("Endpoint", "rcvbuf", self.rcvbuf, minimum=1, allow_none=True)
        object.__setattr__(self, "max_recv", _size("Endpoint", "max_recv", self.max_recv))
        object.__setattr__(self, "max_send", _size("Endpoint", "max_send", self.max_send))


@dataclass(frozen=True)
class Fault:
    """Something that goes wrong; ``kind`` is one of :data:`FAULT_KINDS` (see :mod:`fakes.faults`).

    ``target`` is a socket-name pattern or a ``"host:port"`` pattern, as the
    kind says; ``at`` (virtual time, seconds) or ``after_bytes`` (once the
    target has sent that many bytes) says when, as the kind allows:
    ``reset``/``half_close`` need exactly one, ``refuse``/``black_hole`` take
    an optional ``at`` (when the fault starts).
    """

    kind: str
    target: str
    at: float | None = None
    after_bytes: int | None = None

    def __post_init__(self) -> None:
        kind = fault_kind(self.kind)
        _pattern("Fault", "target", self.target)
        _number("Fault", "at", self.at, allow_none=True)
        _integer("Fault", "after_bytes", self.after_bytes, minimum=0, allow_none=True)
        kind.check(self)


def _tuple_of(owner: str, name: str, items: Any, kind: type) -> tuple[Any, ...]:
    if isinstance(items, kind):
        items = (items,)
    try:
        items = tuple(items)
    except TypeError:
        raise ConfigError(f"{owner}.{name}", items, f"must be a sequence of {kind.__name__}") from None
    for item in items:
        if not isinstance(item, kind):
            raise ConfigError(f"{owner}.{name}", item, f"must be a {kind.__name__}")
    return items


@dataclass(frozen=True)
class NetConfig:
    """The whole configuration of a :class:`~fakes.FakeNetwork` (lists become tuples)."""

    links: tuple[Link, ...] = field(default=())
    endpoints: tuple[Endpoint, ...] = field(default=())
    faults: tuple[Fault, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "links", _tuple_of("NetConfig", "links", self.links, Link))
        object.__setattr__(self, "endpoints", _tuple_of("NetConfig", "endpoints", self.endpoints, Endpoint))
        object.__setattr__(self, "faults", _tuple_of("NetConfig", "faults", self.faults, Fault))

    def with_link(self, link: Link) -> NetConfig:
        return replace(self, links=self.links + (link,))

    def with_endpoint(self, endpoint: Endpoint) -> NetConfig:
        return replace(self, endpoints=self.endpoints + (endpoint,))

    def with_fault(self, fault: Fault) -> NetConfig:
        return replace(self, faults=self.faults + (fault,))

    def link_for(self, addr_key: str) -> Link:
        """The first link matching ``"host:port"``, or the default :class:`Link`."""
        for link in self.links:
            if link.matches(addr_key):
                return link
        return _DEFAULT_LINK


_DEFAULT_LINK = Link()
