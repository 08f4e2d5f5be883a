# loopsim.strategies: hypothesis strategies for fake worlds - network configs, faults, schedules, payloads.
# Owns: the public strategies, World, DataChooser, PoolChooser, knobs (re-exports ListChooser, choice_table and the
# world distribution's setting_kinds, served_addresses, WorldSpace). Imports: hypothesis, faker (lazily), fakes,
# loopsim.harness.{runner,outcome,world_choices,world_distribution}. Harness layer: the loop never imports this.
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
send/recv limits), the faults, and - through :class:`PoolChooser` (in
:func:`worlds`) or :class:`DataChooser` - every choice the network makes while
running (which ready socket ``select`` reports first, how many bytes one
``recv`` returns). Hypothesis therefore shrinks a
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
from .world_distribution import WorldCoder, WorldSpace, served_addresses, setting_kinds

__all__ = ["World", "DataChooser", "PoolChooser", "ListChooser", "choice_table", "links", "endpoints", "faults", "fault_plans", "net_configs",
           "schedules", "world_configs", "knobs", "setting_kinds", "served_addresses", "WorldSpace", "worlds", "networks", "payloads", "http_requests", "seeds"]

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


class PoolChooser:
    """A ``fakes.Chooser`` answering from ``pool``, bytes drawn from hypothesis before the run (so they shrink).

    Each answer takes the next byte (as many as the options need: two for up to 65536):
    ``index(label, n)`` is the value mod ``n``, ``integer(label, lo, hi)`` is
    ``lo`` plus the value mod ``hi - lo + 1``, so a zero byte is the default
    answer (0, ``lo``), and so is every answer after the last byte: hypothesis
    shrinks a failure to the fewest answers that are not the default. :func:`worlds` draws the pool with the world, before
    the run, so a simpler world that asks more questions than the one it was
    shrunk from still gets answers: :class:`DataChooser`'s draws during the run
    would run past the example hypothesis is shrinking, and it would keep a
    setting the failure does not need (a 1 ms delay that happens to break a tie).
    """

    def __init__(self, pool: bytes) -> None:
        self.pool = bytes(pool)
        self._at = 0

    def rewound(self) -> PoolChooser:
        """The same pool, from its first byte (for another run of the same world)."""
        return PoolChooser(self.pool)

    def _value(self, options: int) -> int:
        pool = self.pool
        if options <= 1 or self._at >= len(pool):
            return 0
        width = ((options - 1).bit_length() + 7) // 8
        value = int.from_bytes(pool[self._at:self._at + width], "big")
        self._at += width
        return value % options

    def index(self, label: str, n: int) -> int:
        return self._value(n)

    def integer(self, label: str, lo: int, hi: int) -> int:
        return lo + self._value(hi - lo + 1)

    def __repr__(self) -> str:
        return f"PoolChooser({self.pool.hex() or 'empty'})"


@dataclass
class World:
    """A simulated world: a network configuration and the source of its run-time choices."""

    config: fakes.NetConfig
    chooser: Any = field(default_factory=fakes.DefaultChooser)
    choices: list[tuple[str, Any, int]] = field(default_factory=list)  # filled by run()

    def network(self, trace: bool = False) -> fakes.FakeNetwork:
        """A fresh FakeNetwork of this world; its choices are recorded in :attr:`choices`."""
        chooser = self.chooser.rewound() if isinstance(self.chooser, PoolChooser) else self.chooser
        recorder = fakes.RecordingChooser(chooser)
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


# -- the world distribution (loopsim.harness.world_distribution; docs/explore.md, "The world distribution") --


def knobs() -> tuple[str, ...]:
    """The earlier name of :func:`setting_kinds`."""
    return setting_kinds()


def world_configs(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",), max_faults: int = 1,
                  max_turns: int = 3, *, serves: Sequence[str] = (),
                  swarm: bool = False) -> st.SearchStrategy[fakes.NetConfig]:
    """A NetConfig of a few settings: a latency here, a send limit there, a fault.

    Every kind of setting (:func:`setting_kinds`) is equally likely, and each
    aims only where it takes effect (:class:`WorldSpace`: link settings at
    the listening ``addrs``, buffers, per-call limits and connection faults at
    the connections' socket-name ``patterns``, connect faults at the addresses
    not in ``serves``). Without ``swarm``: up to ``max_turns`` settings, each
    of a kind drawn from all of them. With ``swarm``: each kind is first
    switched on or off, and every kind that is on gives one setting (so rare
    combinations - a small send buffer, a small receive limit and a ranged
    recv - come up together); ``max_turns`` is not used. Either way at most
    ``max_faults`` faults, and every setting shrinks away unless the failure
    needs it. Hypothesis draws the world's bytes and
    :class:`~loopsim.harness.world_distribution.WorldCoder` reads the settings
    from them, as ``loopsim explore`` does. :func:`net_configs` draws every
    field instead.
    """
    coder = WorldCoder(WorldSpace.of(addrs, patterns, serves), max_faults, max_turns, swarm)
    return st.binary(min_size=coder.width, max_size=coder.width).map(lambda data: coder.config(coder.turns(data)))


def worlds(addrs: Sequence[str] = ("*",), patterns: Sequence[str] = ("*",), max_faults: int = 1,
           max_turns: int = 3, *, serves: Sequence[str] = (), swarm: bool = False,
           max_choices: int = 256) -> st.SearchStrategy[World]:
    """A :class:`World`: a network config (:func:`world_configs`, with its keywords) and its run-time
    choices, a :class:`PoolChooser` of up to ``max_choices`` bytes drawn with it."""
    return st.builds(World, world_configs(addrs, patterns, max_faults, max_turns, serves=serves, swarm=swarm),
                     st.binary(max_size=max_choices).map(PoolChooser))


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
