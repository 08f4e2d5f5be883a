# loopsim.harness.world_census: what a distribution of worlds holds - each setting's kind and target, counted.
# Owns: Setting, settings_of, Census, draw_configs. Imports: stdlib, hypothesis (draw_configs only), fakes.
# Harness layer: docs/explore.md "The world distribution" quotes its figures; tests pin them.
"""A census of drawn worlds: how often each kind of setting comes up, where it is aimed, and with what.

:func:`settings_of` takes a ``fakes.NetConfig`` apart into its settings (one
per link field, endpoint field and fault that differs from the default), each
with its kind (``latency``, ``max_send``, ``black_hole``, ...) and target.
:class:`Census` counts them over many configurations: the share of each kind,
settings that cannot take effect (a buffer or a per-call limit on a listening
socket, a zero latency), connect faults on an address the driver serves, and
how often kinds come up together in one world. :func:`draw_configs` draws
configurations the way ``loopsim explore`` does (hypothesis's generation, in
seeded chunks of 100).

    python benchmarks/world_census.py        # the figures of docs/explore.md
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import fakes

__all__ = ["Setting", "settings_of", "Census", "draw_configs", "LINK_KINDS", "ENDPOINT_KINDS"]

#: The link fields that are settings (a link's ``jitter`` is part of its latency setting), and the endpoint fields.
LINK_KINDS = ("latency", "accept_delay", "bandwidth")
ENDPOINT_KINDS = ("sndbuf", "rcvbuf", "max_send", "max_recv")


@dataclass(frozen=True)
class Setting:
    """One setting of a world: its kind (a link or endpoint field, or a fault kind), its target, its value."""

    kind: str
    target: str
    value: Any = None


def settings_of(config: fakes.NetConfig) -> list[Setting]:
    """Every setting ``config`` makes, in its order: links, endpoints, faults (defaults are not settings)."""
    out: list[Setting] = []
    default_link = fakes.Link()
    for link in config.links:
        if link.latency or link.jitter:
            out.append(Setting("latency", link.addr, (link.latency, link.jitter)))
        for name in LINK_KINDS[1:]:
            value = getattr(link, name)
            if value is not None and value != getattr(default_link, name):
                out.append(Setting(name, link.addr, value))
    for endpoint in config.endpoints:
        for name in ENDPOINT_KINDS:
            value = getattr(endpoint, name)
            if value is not None:
                out.append(Setting(name, endpoint.pattern, value))
    for fault in config.faults:
        out.append(Setting(fault.kind, fault.target, fault.at if fault.after_bytes is None else fault.after_bytes))
    return out


def _is_address_kind(kind: str) -> bool:
    if kind in LINK_KINDS:
        return True
    return kind in fakes.FAULT_KINDS and fakes.fault_kind(kind).target == fakes.faults.ADDRESS


@dataclass
class Census:
    """Counts over drawn worlds. ``listeners``: the listening addresses (a listening socket is named by
    its ``"host:port"``); ``serves``: the addresses the driver itself serves (see ``worlds(serves=...)``)."""

    listeners: Sequence[str] = ()
    serves: Sequence[str] = ()
    worlds: int = 0
    settings: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # settings of each kind
    worlds_with: dict[str, int] = field(default_factory=dict)  # worlds holding the kind at least once
    aimed: dict[tuple[str, str], int] = field(default_factory=dict)  # worlds holding (kind, target)
    no_effect: int = 0  # settings that cannot change a run (a limit on a listener, ...)
    on_served: int = 0  # worlds with a connect fault on an address the driver serves
    together: dict[tuple[str, ...], int] = field(default_factory=dict)  # worlds holding each pair of kinds
    sizes: dict[int, int] = field(default_factory=dict)  # worlds by their number of distinct kinds

    def add(self, config: fakes.NetConfig) -> None:
        found = settings_of(config)
        self.worlds += 1
        self.settings += len(found)
        kinds = sorted({s.kind for s in found})
        self.sizes[len(kinds)] = self.sizes.get(len(kinds), 0) + 1
        for s in found:
            self.kinds[s.kind] = self.kinds.get(s.kind, 0) + 1
            if self.has_no_effect(s):
                self.no_effect += 1
        for kind in kinds:
            self.worlds_with[kind] = self.worlds_with.get(kind, 0) + 1
        for aim in sorted({(s.kind, s.target) for s in found}):
            self.aimed[aim] = self.aimed.get(aim, 0) + 1
        if any(s.kind in fakes.FAULT_KINDS and _is_address_kind(s.kind) and s.target in self.serves for s in found):
            self.on_served += 1
        for pair in itertools.combinations(kinds, 2):
            self.together[pair] = self.together.get(pair, 0) + 1

    def add_all(self, configs: Iterable[fakes.NetConfig]) -> Census:
        for config in configs:
            self.add(config)
        return self

    def has_no_effect(self, s: Setting) -> bool:
        """A setting that cannot change a run: a buffer, a per-call limit or a connection fault aimed at
        a listening socket's name, or a zero delay."""
        if _is_address_kind(s.kind):
            return s.kind == "accept_delay" and not s.value or s.kind == "latency" and not any(s.value)
        return s.target in self.listeners

    def share(self, kind: str) -> float:
        """The share of all settings that are of ``kind``."""
        return self.kinds.get(kind, 0) / self.settings if self.settings else 0.0

    def rate(self, count: int) -> float:
        return count / self.worlds if self.worlds else 0.0

    def table(self, all_kinds: Sequence[str]) -> str:
        """The census as text: shares per kind, then the rates docs/explore.md quotes."""
        lines = [f"{self.worlds} worlds, {self.settings} settings ({self.settings / max(1, self.worlds):.2f} a world)",
                 "", f"{'kind':<16} {'share':>7} {'worlds':>7}"]
        for kind in all_kinds:
            lines.append(f"{kind:<16} {self.share(kind):>7.1%} {self.rate(self.worlds_with.get(kind, 0)):>7.1%}")
        lines.append("")
        lines.append(f"settings with no effect: {self.no_effect / max(1, self.settings):.1%}")
        lines.append(f"worlds with a connect fault on a served address ({', '.join(self.serves) or '-'}): "
                     f"{self.rate(self.on_served):.1%}")
        for aim in sorted(self.aimed):
            if aim[0] in fakes.FAULT_KINDS and _is_address_kind(aim[0]):
                lines.append(f"worlds with {aim[0]} on {aim[1]}: {self.rate(self.aimed[aim]):.1%}")
        pairs = [self.rate(self.together.get(p, 0)) for p in itertools.combinations(sorted(all_kinds), 2)]
        lines.append(f"worlds with two given kinds together: min {min(pairs):.2%}, mean "
                     f"{sum(pairs) / len(pairs):.2%} (over {len(pairs)} pairs)")
        sizes = ", ".join(f"{n}: {self.rate(c):.1%}" for n, c in sorted(self.sizes.items()))
        lines.append(f"worlds by number of kinds: {sizes}")
        return "\n".join(lines)


def draw_configs(strategy: Any, count: int, seed: int = 0, chunk: int = 100) -> list[Any]:
    """``count`` values of ``strategy`` as ``loopsim explore`` draws them: hypothesis's generation phase,
    in chunks of ``chunk`` examples, chunk ``c`` seeded by ``(seed, c)``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hyp_seed

    drawn: list[Any] = []
    number = 0
    while len(drawn) < count:
        @settings(max_examples=min(chunk, count - len(drawn)), database=None, deadline=None,
                  phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
        @hyp_seed(seed * 1_000_003 + number)
        @given(strategy)
        def draw(value: Any) -> None:
            drawn.append(value)

        before = len(drawn)
        draw()
        number += 1
        if len(drawn) == before:  # the space is exhausted
            break
    return drawn[:count]
