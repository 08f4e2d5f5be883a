# loopsim.harness.world_distribution: the world distribution - what a drawn world may hold, and how bytes become one.
# Owns: setting_kinds, served_addresses, WorldSpace, Turn, WorldCoder, config_of, magnitudes.
# Imports: stdlib, fakes, loopsim.loop.errors. Pure: no hypothesis here (loopsim.strategies and explore draw the bytes).
"""The world distribution (docs/explore.md, "The world distribution").

A world is a few *settings*, each of one kind: a link setting of a listening
address, an endpoint setting of the connections' sockets, or a fault of a
registered kind. A setting is a :data:`Turn` ``(kind, target, variant,
magnitude)``: magnitude 0 is the kind's mildest value, variant 0 its simplest
form (a fixed limit rather than a range; the first trigger).

:class:`WorldCoder` turns a fixed number of bytes into the settings of one
world (:attr:`WorldCoder.width` bytes; missing bytes read as zeros). Every kind
is equally likely, each aims only where it takes effect (:class:`WorldSpace`),
and the bytes of zeros is the simplest world: no setting at all. Each field has
its own bytes at a fixed place, so lowering one byte changes one field and
leaves the others: a shrinker that lowers bytes, as hypothesis's does, or one
that drops settings and lowers magnitudes (:mod:`loopsim.harness.world_shrink`)
removes every setting a failure does not need.

Hypothesis draws the bytes: :func:`loopsim.strategies.world_configs` one
world's, ``loopsim explore`` many worlds' at once (one draw for all of them:
hypothesis's cost per example is paid once, and it has no parts of an example
to copy into another, which made most of the worlds it drew repeats).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import fakes
from loopsim.loop.errors import InputError

__all__ = ["setting_kinds", "served_addresses", "WorldSpace", "Turn", "WorldCoder", "config_of", "magnitudes"]

_MS = 1000.0
_LINK_KINDS = ("latency", "accept_delay", "bandwidth")
_ENDPOINT_KINDS = ("sndbuf", "rcvbuf", "max_send", "max_recv")
_MAGNITUDES = 65536  # a magnitude field: two bytes
_VARIANTS = 6  # a setting's variant (a fixed or a ranged limit; which trigger): uniform both mod 2 and mod 3
_PRESENT = 2  # non-swarm: a turn's slot holds a setting when its first byte is odd (half of the slots)
# swarm: a kind is on when its switch (a byte mod 4) is 3: a quarter of the worlds (with a half, 15 worlds in 16
# had a fault, which hides the bugs only a world without faults shows); 0 is off (the simplest)
_SWITCH_ON_AT, _SWITCH_RANGE = 3, 4
_PRIORITIES = 256  # swarm: which of the enabled faults a world keeps when there are more than max_faults
# how many distinct magnitudes a setting has (magnitude m stands for the (m+1)-th mildest value)
_SPANS = {"latency": 2000, "accept_delay": 500, "bandwidth": 10_000, "max_send": 64, "max_recv": 64,
          "sndbuf": _MAGNITUDES, "rcvbuf": _MAGNITUDES}
_TRIGGER_SPANS = {"after_bytes": 8193, "at": 5001}
# a trigger's value from a setting's magnitude (0 = the mildest)
_TRIGGER_VALUES: dict[str, Callable[[int], Any]] = {"after_bytes": lambda mag: mag % 8193,
                                                      "at": lambda mag: (mag % 5001) / _MS}

Turn = tuple[str, str, int, int]  # (kind, target, variant, magnitude): one setting


def setting_kinds() -> tuple[str, ...]:
    """The kinds of setting a world may hold, in order: link settings, endpoint settings, then every
    registered fault kind (``fakes.fault_kinds()``, registered now)."""
    return _LINK_KINDS + _ENDPOINT_KINDS + tuple(fakes.FAULT_KINDS)


def served_addresses(driver: Any) -> tuple[str, ...]:
    """The listening addresses a driver's app under test serves itself, as ``driver.loopsim_serves``
    declares them (a tuple of ``"host:port"``; none declared: ``()``). No connect fault (``refuse``,
    ``black_hole``) is aimed at them: no app can answer through a black hole on its own address."""
    declared = getattr(driver, "loopsim_serves", ())
    if isinstance(declared, str) or not isinstance(declared, (tuple, list)) or not all(
            isinstance(addr, str) and re.fullmatch(r"[^:\s]+:\d+", addr) for addr in declared):
        what = getattr(driver, "__qualname__", repr(driver))
        raise InputError(f"{what}.loopsim_serves must be a tuple of 'host:port' addresses, not {declared!r}")
    return tuple(declared)


@dataclass(frozen=True)
class WorldSpace:
    """Where each kind of setting takes effect in one driver's world.

    ``addrs``: the listening addresses (``"host:port"``; link settings aim at
    them); ``connections``: the socket-name patterns of connection endpoints
    (endpoint settings and connection faults aim at them: a listening socket,
    named by its ``"host:port"``, has no buffers to fill and no connection to
    reset, so those names are left out); ``connect_targets``: the addresses a
    connect fault may hit (every listening address but those the driver serves).
    """

    addrs: tuple[str, ...]
    connections: tuple[str, ...]
    connect_targets: tuple[str, ...]

    @classmethod
    def of(cls, addrs: Sequence[str], patterns: Sequence[str], serves: Sequence[str] = ()) -> WorldSpace:
        addrs = tuple(dict.fromkeys(addrs))
        return cls(addrs, tuple(p for p in dict.fromkeys(patterns) if p not in addrs),
                   tuple(a for a in addrs if a not in serves))

    def targets(self, kind: str) -> tuple[str, ...]:
        """Where a setting of ``kind`` may aim."""
        if kind in _LINK_KINDS:
            return self.addrs
        if kind in _ENDPOINT_KINDS:
            return self.connections
        return self.connect_targets if fakes.fault_kind(kind).target == fakes.faults.ADDRESS else self.connections

    def kinds(self) -> tuple[str, ...]:
        """The kinds that have somewhere to aim, in :func:`setting_kinds` order."""
        return tuple(kind for kind in setting_kinds() if self.targets(kind))


def _trigger(kind: str, variant: int) -> str | None:
    """Which trigger a fault of ``kind`` in ``variant`` has (None: at the first chance)."""
    fault = fakes.fault_kind(kind)
    whens: list[str | None] = list(fault.triggers) if fault.trigger_required else [None, *fault.triggers]
    return whens[variant % len(whens)]


def magnitudes(kind: str, variant: int) -> int:
    """How many distinct magnitudes a setting of ``kind`` in ``variant`` has (1: the magnitude is not used)."""
    span = _SPANS.get(kind)
    if span is not None:
        return span
    trigger = _trigger(kind, variant)
    return 1 if trigger is None else _TRIGGER_SPANS[trigger]


def _scaled(value: int, span: int) -> int:
    """A magnitude below ``span`` from a field's ``value`` (0 to 65535), as likely in each octave of magnitudes
    (0, 1-2, 3-6, 7-14, ...) as in any other: a reset after 10 bytes as likely as one after 1,000 to 2,000,
    a 4-byte buffer as likely as a 32 KiB one (with a uniform magnitude, nine draws in ten of ``after_bytes``
    were past what a small app ever sends). Integers only (the same in every build); 0 gives 0, and a larger
    value never a smaller magnitude, so a shrinker that lowers the bytes lowers the magnitude."""
    if span <= 1:
        return 0
    octaves = (span - 1).bit_length()  # octave k holds 2**k - 1 .. 2**(k+1) - 2; the last one runs up to span - 1
    if octaves > 1 and span - (1 << (octaves - 1)) + 1 < 1 << (octaves - 2):
        octaves -= 1  # a last octave of less than half its width joins the one before (no weight on a sliver)
    octave, within = divmod(value * octaves, _MAGNITUDES)
    lo, hi = (1 << octave) - 1, (1 << (octave + 1)) - 1 if octave < octaves - 1 else span
    return lo + within * (hi - lo) // _MAGNITUDES


def config_of(turns: Sequence[Turn], max_faults: int) -> fakes.NetConfig:
    """The NetConfig of settings ``(kind, target, variant, magnitude)``; magnitude 0 is a kind's mildest
    value, a later setting of a kind and target replaces an earlier one, and faults past the first
    ``max_faults`` are left out."""
    link_fields: dict[str, dict[str, Any]] = {}
    endpoints_: list[fakes.Endpoint] = []
    faults_: list[fakes.Fault] = []
    # One setting per (kind, target): a second buffer or limit would override the first, a second same fault
    # would add nothing. The last wins.
    unique: dict[tuple[str, str], Turn] = {}
    for turn in turns:
        unique[turn[:2]] = turn
    for kind, target, variant, mag in unique.values():
        size = 1 + mag % 64
        if kind == "latency":  # variant: a constant latency, or as much jitter on top (per connection, segment)
            fields = link_fields.setdefault(target, {})
            fields["latency"] = (1 + mag % 2000) / _MS
            if variant % 2:
                fields["jitter"] = fields["latency"]
        elif kind == "accept_delay":
            link_fields.setdefault(target, {})["accept_delay"] = (1 + mag % 500) / _MS
        elif kind == "bandwidth":
            link_fields.setdefault(target, {})["bandwidth"] = float(1000 + 1000 * (mag % 10_000))
        elif kind in ("max_send", "max_recv"):  # variant: one size, or a range drawn per call
            limit: dict[str, Any] = {kind: size if variant % 2 == 0 else (1, size)}
            endpoints_.append(fakes.Endpoint(pattern=target, **limit))
        elif kind in ("sndbuf", "rcvbuf"):
            endpoints_.append(fakes.Endpoint(pattern=target, **{kind: 1 + mag}))
        elif len(faults_) < max_faults:
            trigger = _trigger(kind, variant)
            when = {} if trigger is None else {trigger: _TRIGGER_VALUES[trigger](mag)}
            faults_.append(fakes.Fault(kind=kind, target=target, **when))
    links_ = tuple(fakes.Link(addr=addr, **fields) for addr, fields in link_fields.items())
    return fakes.NetConfig(links=links_, endpoints=tuple(endpoints_), faults=tuple(faults_))


def _digits(value: int, *radices: int) -> list[int]:
    """``value`` as mixed-radix digits, the first radix the lowest digit."""
    out = []
    for radix in radices:
        value, digit = divmod(value, radix)
        out.append(digit)
    return out


def _width(options: int) -> int:
    """The bytes a field of ``options`` values takes: one more than it needs, so that the remainder that picks
    the value is all but uniform (at most 1/256 off) whatever ``options`` is."""
    return (max(1, options - 1).bit_length() + 7) // 8 + 1


class _Fields:
    """Reads fixed-width fields from bytes: each field's value is its big-endian bytes mod its options;
    past the end of the bytes, every field reads 0."""

    __slots__ = ("data", "at")

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, options: int) -> int:
        width = _width(options)
        start, self.at = self.at, self.at + width
        return int.from_bytes(self.data[start:start + width], "big") % options if options > 1 else 0


@dataclass(frozen=True)
class WorldCoder:
    """The settings of one world from :attr:`width` bytes (:meth:`turns`), and its NetConfig (:meth:`config`).

    Without ``swarm``: ``max_turns`` slots, each a setting (half of the time) of a kind drawn alike from all
    of them, at one of its targets. With ``swarm``: each kind is switched on (a quarter of the time) or off,
    and every kind that is on gives one setting, so rare combinations of kinds (a small send buffer, a small
    receive limit and a ranged recv) come up together; of the faults that are on, ``max_faults`` drawn alike
    are kept (by a drawn priority; ties by a rotation the magnitudes choose). Either way at most ``max_faults``
    faults; the bytes of zeros are the world without settings.
    """

    space: WorldSpace
    max_faults: int = 1
    max_turns: int = 3
    swarm: bool = False

    def _fields(self) -> list[tuple[str, int]]:
        """The layout: each field's name and its options, in order (one world's)."""
        kinds = self.space.kinds()
        if not kinds:
            return []
        if self.swarm:
            out = []
            for kind in kinds:
                priorities = _PRIORITIES if kind in fakes.FAULT_KINDS else 1
                out += [("switch", _SWITCH_RANGE), ("pick", len(self.space.targets(kind)) * _VARIANTS * priorities),
                        ("magnitude", _MAGNITUDES)]
            return out
        width = math.lcm(*(len(self.space.targets(kind)) for kind in kinds))
        return [("present", _PRESENT), ("setting", len(kinds) * width * _VARIANTS),
                ("magnitude", _MAGNITUDES)] * self.max_turns

    @property
    def width(self) -> int:
        """How many bytes one world reads."""
        return sum(_width(options) for _, options in self._fields())

    def turns(self, data: bytes) -> tuple[Turn, ...]:
        """The settings ``data`` (:attr:`width` bytes; missing ones read as zeros) stands for, each magnitude
        below :func:`magnitudes` of its setting, as likely in each octave as in any other."""
        kinds = self.space.kinds()
        if not kinds:
            return ()
        fields = _Fields(data)
        return self._swarmed(kinds, fields) if self.swarm else self._turned(kinds, fields)

    def _turned(self, kinds: tuple[str, ...], fields: _Fields) -> tuple[Turn, ...]:
        width = math.lcm(*(len(self.space.targets(kind)) for kind in kinds))
        radices = (len(kinds), width, _VARIANTS)
        turns = []
        for _ in range(self.max_turns):
            present = fields.read(_PRESENT)
            k, t, variant = _digits(fields.read(math.prod(radices)), *radices)
            mag = fields.read(_MAGNITUDES)
            if present:
                kind = kinds[k]
                targets = self.space.targets(kind)
                turns.append((kind, targets[t % len(targets)], variant, _scaled(mag, magnitudes(kind, variant))))
        return tuple(turns)

    def _swarmed(self, kinds: tuple[str, ...], fields: _Fields) -> tuple[Turn, ...]:
        turns: list[Turn] = []
        priorities: list[int] = []
        for kind in kinds:
            on = fields.read(_SWITCH_RANGE) == _SWITCH_ON_AT
            targets = self.space.targets(kind)
            fault = kind in fakes.FAULT_KINDS
            priority, t, variant = _digits(fields.read(len(targets) * _VARIANTS * (_PRIORITIES if fault else 1)),
                                           _PRIORITIES if fault else 1, len(targets), _VARIANTS)
            mag = fields.read(_MAGNITUDES)
            if on:
                turns.append((kind, targets[t], variant, _scaled(mag, magnitudes(kind, variant))))
                priorities.append(priority if fault else -1)
        faults_ = [i for i, p in enumerate(priorities) if p >= 0]
        turn = sum(mag for _, _, _, mag in turns)
        keep = set(sorted(faults_, key=lambda i: (priorities[i], (i + turn) % len(turns)))[:self.max_faults])
        return tuple(t for i, t in enumerate(turns) if priorities[i] < 0 or i in keep)

    def config(self, turns: Sequence[Turn]) -> fakes.NetConfig:
        """The NetConfig of ``turns`` (:func:`config_of`, with this coder's ``max_faults``)."""
        return config_of(turns, self.max_faults)
