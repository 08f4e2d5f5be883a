# loopsim.strategies: hypothesis strategies for fake worlds - network configs, faults, schedules, payloads.
# Owns: the public strategies, World, DataChooser (re-exports ListChooser, choice_table). Imports: hypothesis,
# faker (lazily), fakes, loopsim.harness.{runner,outcome,world_choices}. Harness layer: the loop never imports this.
"""Hypothesis strategies for testing event-loop code in simulated worlds.

Compose them in your own ``@given`` tests::

    from hypothesis import given, settings
    from loopsim import strategies as ls
    from scenarios.drivers import delivered_intact, proxy_world

    @settings(max_examples=50, deadline=None)
    @given(world=ls.worlds(addrs=["server2:80", "proxy:8080"], patterns=["proxy#*", "server2:80<-*"]))
    def test_proxy_delivers(world):
        outcome = world.run(proxy_world, {"size": 300})
        assert delivered_intact(outcome) is None

Everything that can go differently in a simulated run is drawn from
hypothesis: the network configuration (latency, bandwidth, buffers, per-call
send/recv limits), the faults, and - through :class:`DataChooser` - every
choice the network makes while running (which ready socket ``select`` reports
first, how many bytes one ``recv`` returns). Hypothesis therefore shrinks a
failure towards the simplest world: fewest faults, smallest delays, the
default order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from hypothesis import strategies as st

import fakes

from .outcome import Outcome
from .world_choices import ListChooser, choice_table

__all__ = ["World", "DataChooser", "ListChooser", "choice_table", "links", "endpoints", "faults", "fault_plans", "net_configs",
           "schedules", "world_configs", "knobs", "worlds", "networks", "payloads", "http_requests", "seeds"]

_MS = 1000.0


class DataChooser:
    """A ``fakes.Chooser`` whose answers are drawn from hypothesis (so they shrink).

    ``source`` is a hypothesis ``DataObject`` (``st.data()``) or the ``draw``
    of an ``@st.composite`` strategy. After ``limit`` draws it answers the
    defaults (0, ``lo``): a long run (thousands of one-byte recvs) must not
    overrun hypothesis's buffer.
    """

    def __init__(self, source: Any, limit: int = 100) -> None:
        self._draw = getattr(source, "draw", source)
        self._left = limit

    def index(self, label: str, n: int) -> int:
        if self._left <= 0:
            return 0
        self._left -= 1
        return self._draw(st.integers(0, n - 1))  # type: ignore[no-any-return]

    def integer(self, label: str, lo: int, hi: int) -> int:
        if self._left <= 0:
            return lo
        self._left -= 1
        return self._draw(st.integers(lo, hi))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return "DataChooser(<hypothesis data>)"


@dataclass
class World:
    """A simulated world: a network configuration and the source of its run-time choices."""

    config: fakes.NetConfig
    chooser: Any = field(default_factory=fakes.DefaultChooser)
    choices: list[tuple[str, Any, int]] = field(default_factory=list)  # filled by run()

    def network(self, trace: bool = False) -> fakes.FakeNetwork:
        """A fresh FakeNetwork of this world; its choices are recorded in :attr:`choices`."""
        recorder = fakes.RecordingChooser(self.chooser)
        self.choices = recorder.choices
        return fakes.FakeNetwork(config=self.config, chooser=recorder, trace=trace)

    def run(self, driver: Callable[..., Any], args: dict[str, Any] | None = None, *, trace: bool = False,
            name: str = "explored") -> Outcome:
        """Run ``driver(net, **args)`` in this world (see :func:`loopsim.runner.run_world`)."""
        from .runner import run_world

        return run_world(driver, dict(args or {}), self.network(trace), name)

    def replayed(self) -> World:
        """The same world with the choices of the last run replayed (for a traced re-run)."""
        return World(self.config, ListChooser(self.choices))


def _ms(max_ms: int) -> st.SearchStrategy[float]:
    return st.integers(0, max_ms).map(lambda ms: ms / _MS)


def links(addrs: Sequence[str] = ("*",), max_latency_ms: int = 2000) -> st.SearchStrategy[fakes.Link]:
    """``fakes.Link`` for one of ``addrs``: latency, bandwidth and accept delay (shrink to none)."""
    return st.builds(
        fakes.Link,
        addr=st.sampled_from(list(addrs)),
        latency=_ms(max_latency_ms),
        bandwidth=st.none() | st.integers(1_000, 10_000_000).map(float),
        accept_delay=_ms(max_latency_ms // 4),
    )


def _size(limit: int) -> st.SearchStrategy[Any]:
    one = st.integers(1, limit)
    return st.none() | one | st.tuples(one, one).map(lambda t: (min(t), max(t)))


def endpoints(patterns: Sequence[str] = ("*",), max_limit: int = 64) -> st.SearchStrategy[fakes.Endpoint]:
    """``fakes.Endpoint`` for one of ``patterns``: buffers and per-call send/recv limits (ranges too)."""
    buf = st.none() | st.integers(1, 65536)
    return st.builds(fakes.Endpoint, pattern=st.sampled_from(list(patterns)), sndbuf=buf, rcvbuf=buf,
                     max_recv=_size(max_limit), max_send=_size(max_limit))


def faults(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",),
           max_time_ms: int = 5000, max_bytes: int = 4096) -> st.SearchStrategy[fakes.Fault]:
    """One ``fakes.Fault`` of any registered kind (``fakes.fault_kinds()``): a socket-name target from
    ``patterns`` or an address from ``addrs``, as the kind says, and when, as its triggers allow."""
    values = {"after_bytes": st.integers(0, max_bytes), "at": _ms(max_time_ms)}

    def of_kind(kind: fakes.FaultKind) -> st.SearchStrategy[fakes.Fault]:
        whens = [st.builds(lambda v, t=trigger: {t: v}, values[trigger]) for trigger in kind.triggers]
        when = st.one_of(whens) if kind.trigger_required else st.just({}) | st.one_of(whens)
        targets = addrs if kind.target == fakes.faults.ADDRESS else patterns
        return st.builds(lambda target, w: fakes.Fault(kind=kind.name, target=target, **w),
                         st.sampled_from(list(targets)), when)

    return st.sampled_from(fakes.fault_kinds()).flatmap(of_kind)


def fault_plans(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",),
                max_faults: int = 2) -> st.SearchStrategy[tuple[fakes.Fault, ...]]:
    """Zero to ``max_faults`` faults (shrinks to none)."""
    return st.lists(faults(addrs, patterns), max_size=max_faults).map(tuple)


def net_configs(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",), max_faults: int = 1,
                max_rules: int = 2) -> st.SearchStrategy[fakes.NetConfig]:
    """A whole ``fakes.NetConfig``: links, endpoint rules and a fault plan (shrinks to the default network)."""
    return st.builds(
        fakes.NetConfig,
        links=st.lists(links(addrs), max_size=max_rules).map(tuple),
        endpoints=st.lists(endpoints(patterns), max_size=max_rules).map(tuple),
        faults=fault_plans(addrs, patterns, max_faults),
    )


@st.composite
def _schedule(draw: Any) -> DataChooser:
    return DataChooser(draw(st.data()))


def schedules() -> st.SearchStrategy[DataChooser]:
    """A chooser drawing every run-time choice (readiness order, chunk sizes) from hypothesis."""
    return _schedule()


# The knobs worlds() turns, mildest first (hypothesis shrinks a knob's index towards 0): the network's
# settings, then one knob per registered fault kind and trigger (a kind whose trigger is optional: one
# knob, no trigger), in registry order.
_SETTING_KNOBS = ("latency", "max_send", "max_recv", "max_send_range", "max_recv_range", "rcvbuf", "sndbuf",
                  "bandwidth", "accept_delay")
_ADDR_SETTINGS = {"latency", "bandwidth", "accept_delay"}
_MAGNITUDES = 65536
# a trigger's value from a knob's magnitude (0 = the mildest)
_TRIGGER_VALUES: dict[str, Callable[[int], Any]] = {"after_bytes": lambda mag: mag % 8193,
                                                      "at": lambda mag: (mag % 5001) / _MS}


def _fault_knobs() -> list[tuple[str, fakes.FaultKind, str | None]]:
    """``(knob name, kind, trigger)`` for every registered fault kind: ``reset_after_bytes``, ``refuse``..."""
    knobs: list[tuple[str, fakes.FaultKind, str | None]] = []
    for kind in fakes.fault_kinds():
        if kind.trigger_required:
            knobs += [(f"{kind.name}_{trigger}", kind, trigger) for trigger in kind.triggers]
        else:
            knobs.append((kind.name, kind, None))
    return knobs


def knobs() -> tuple[str, ...]:
    """The names of the knobs :func:`world_configs` turns, in order (the fault kinds registered now)."""
    return _SETTING_KNOBS + tuple(name for name, _, _ in _fault_knobs())


def _world_config(turns: list[tuple[int, int, int]], addrs: Sequence[str], patterns: Sequence[str],
                  max_faults: int) -> fakes.NetConfig:
    """Decode knob turns ``(knob, target, magnitude)`` into a NetConfig (magnitude 0 = the mildest)."""
    fault_knobs = _fault_knobs()
    link_fields: dict[str, dict[str, Any]] = {}
    endpoints_: list[fakes.Endpoint] = []
    faults_: list[fakes.Fault] = []
    for knob_i, target_i, mag in turns:
        if knob_i >= len(_SETTING_KNOBS):
            if len(faults_) < max_faults and knob_i - len(_SETTING_KNOBS) < len(fault_knobs):
                _, kind, trigger = fault_knobs[knob_i - len(_SETTING_KNOBS)]
                targets = addrs if kind.target == fakes.faults.ADDRESS else patterns
                when = {} if trigger is None else {trigger: _TRIGGER_VALUES[trigger](mag)}
                faults_.append(fakes.Fault(kind=kind.name, target=targets[target_i % len(targets)], **when))
            continue
        knob = _SETTING_KNOBS[knob_i]
        target = addrs[target_i % len(addrs)] if knob in _ADDR_SETTINGS else patterns[target_i % len(patterns)]
        size = 1 + mag % 64
        if knob in ("latency", "accept_delay"):
            link_fields.setdefault(target, {})[knob] = (mag % 2001) / _MS
        elif knob == "bandwidth":
            link_fields.setdefault(target, {})["bandwidth"] = float(1000 + 1000 * (mag % 10_000))
        elif knob in ("max_send", "max_recv"):
            endpoints_.append(fakes.Endpoint(pattern=target, **{knob: size}))
        elif knob in ("max_send_range", "max_recv_range"):
            ranged: dict[str, Any] = {knob[:-6]: (1, size)}
            endpoints_.append(fakes.Endpoint(pattern=target, **ranged))
        else:  # rcvbuf, sndbuf
            endpoints_.append(fakes.Endpoint(pattern=target, **{knob: 1 + mag}))
    links_ = tuple(fakes.Link(addr=addr, **fields) for addr, fields in link_fields.items())
    return fakes.NetConfig(links=links_, endpoints=tuple(endpoints_), faults=tuple(faults_))


def world_configs(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",), max_faults: int = 1,
                  max_turns: int = 3) -> st.SearchStrategy[fakes.NetConfig]:
    """A NetConfig as up to ``max_turns`` knob turns: a latency here, a send limit there, one fault.

    The compact form :func:`worlds` uses: few draws per example (fast to
    explore) and each turn shrinks away, or to its mildest knob and the
    smallest magnitude. :func:`net_configs` draws every field instead.
    """
    width = max(len(addrs), len(patterns))
    # One integer per turn, knob-major: shrinking it shrinks the knob first, then the target,
    # then the magnitude (and one draw a turn keeps exploration fast).
    turn = st.integers(0, len(knobs()) * width * _MAGNITUDES - 1).map(
        lambda v: (v // (width * _MAGNITUDES), v // _MAGNITUDES % width, v % _MAGNITUDES))
    return st.lists(turn, max_size=max_turns).map(
        lambda turns: _world_config(turns, list(addrs), list(patterns), max_faults))


def worlds(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",), max_faults: int = 1,
           max_turns: int = 3) -> st.SearchStrategy[World]:
    """A :class:`World`: a network config (:func:`world_configs`) and a hypothesis-driven schedule."""
    configs = world_configs(addrs, patterns, max_faults, max_turns)

    @st.composite
    def world(draw: Any) -> World:
        return World(draw(configs), DataChooser(draw))  # the schedule draws as the run goes

    return world()


def networks(config: st.SearchStrategy[fakes.NetConfig] | None = None,
             trace: bool = True) -> st.SearchStrategy[fakes.FakeNetwork]:
    """A ``fakes.FakeNetwork`` whose every run-time choice is drawn from hypothesis.

    ``config`` defaults to the plain network (no faults, no limits); pass
    :func:`net_configs` to vary that too.
    """
    configs = st.just(fakes.NetConfig()) if config is None else config
    return st.builds(lambda c, chooser: fakes.FakeNetwork(config=c, chooser=chooser, trace=trace),
                     configs, schedules())


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``FakeNetwork(seed=...)`` (shrink to 0)."""
    return st.integers(0, 2**32 - 1)


def payloads(max_size: int = 4096) -> st.SearchStrategy[bytes]:
    """Request bodies: arbitrary bytes, or realistic HTTP-like requests (see :func:`http_requests`)."""
    return st.binary(min_size=1, max_size=max_size) | http_requests()


def http_requests() -> st.SearchStrategy[bytes]:
    """Realistic HTTP/1.1 requests made by faker (names, addresses, user agents), seeded by hypothesis."""
    return st.integers(0, 2**31 - 1).map(_http_request)


def _http_request(seed: int) -> bytes:
    from faker import Faker

    fake = Faker()
    fake.seed_instance(seed)
    body = f"name={fake.name()}&address={fake.address()}".replace("\n", ", ").encode()
    head = (f"POST /{fake.uri_path()} HTTP/1.1\r\nHost: {fake.domain_name()}\r\n"
            f"User-Agent: {fake.user_agent()}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body
