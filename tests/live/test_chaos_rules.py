"""The chaos proxy's decisions (loopsim.harness.chaos_rules): pure logic, no sockets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes import Endpoint, Fault, Link, NetConfig
from fakes.faults import ConnectionFault, DataFault, register, unregister
from loopsim.harness.chaos_rules import (
    BLACK_HOLE,
    FORWARD,
    REFUSE,
    ChaosRuleError,
    ChaosRules,
    Direction,
    SocketRules,
    derive_upstream,
)

sizes = st.one_of(st.none(), st.integers(1, 50), st.tuples(st.integers(1, 20), st.integers(20, 60)))


def rules(*items: object, seed: int = 0, upstream: str = "server2:80") -> ChaosRules:
    config = NetConfig(links=tuple(i for i in items if isinstance(i, Link)),
                       endpoints=tuple(i for i in items if isinstance(i, Endpoint)),
                       faults=tuple(i for i in items if isinstance(i, Fault)))
    return ChaosRules(config, upstream, seed=seed)


def pieces(direction: Direction, total: int, room: int = 10**6, now: float = 0.0) -> list[tuple[int, tuple[str, ...]]]:
    """Read ``total`` bytes the way the proxy does (each read returns all it asked for)."""
    out = []
    while total > 0:
        n = min(direction.read_size(room), total)
        piece = direction.take(b"x" * n, now)
        out.append((len(piece.data), tuple(s.where for s in piece.strikes)))
        total -= n
    return out


@given(send=sizes, recv=sizes, seed=st.integers(0, 2**32), total=st.integers(1, 2000), room=st.integers(1, 100))
@settings(max_examples=60, deadline=None)
def test_pieces_respect_the_sizes_and_the_same_seed_gives_the_same_pieces(send, recv, seed, total, room) -> None:
    make = lambda: rules(Endpoint("server2:80<-*", max_send=send), Endpoint("client#*", max_recv=recv),  # noqa: E731
                         seed=seed).connection(1, 0.0).to_client
    first = pieces(make(), total, room)
    assert first == pieces(make(), total, room)  # seeded: the same decisions
    assert sum(n for n, _ in first) == total
    hi = min(v[1] if isinstance(v, tuple) else v for v in (send, recv, room) if v is not None)
    assert all(1 <= n <= hi for n, _ in first)


def test_each_direction_and_connection_draws_from_its_own_stream() -> None:
    r = rules(Endpoint("*", max_send=(1, 1000)), seed=3)
    one, two = r.connection(1, 0.0), r.connection(2, 0.0)
    draws = lambda d: [d.read_size(10**6) for _ in range(20)]  # noqa: E731
    assert draws(one.to_client) != draws(two.to_client)
    assert draws(r.connection(1, 0.0).to_client) == draws(r.connection(1, 0.0).to_client)
    assert draws(one.to_server) != draws(r.connection(1, 0.0).to_client)


@given(threshold=st.integers(1, 500), send=sizes, total=st.integers(1, 800))
@settings(max_examples=60, deadline=None)
def test_a_piece_ends_exactly_at_each_after_bytes_threshold(threshold, send, total) -> None:
    r = rules(Endpoint("server2:80<-*", max_send=send), Fault("reset", "server2:80<-*", after_bytes=threshold))
    got = pieces(r.connection(1, 0.0).to_client, total)
    ends = [sum(n for n, _ in got[:i + 1]) for i in range(len(got))]
    struck = [end for end, (_, strikes) in zip(ends, got) if strikes]
    assert struck == ([threshold] if total >= threshold else [])
    assert threshold in ends or total < threshold


def test_after_bytes_zero_strikes_at_start_and_faults_address_their_side() -> None:
    r = rules(Fault("half_close", "client#*", after_bytes=0), Fault("reset", "server2:80<-*", at=2.0))
    plan = r.connection(1, 0.5)
    assert [s.where for s in plan.at_start] == ["network.fault[0]"]
    assert plan.at_start[0].target == "client#1" and plan.direction_of(plan.at_start[0]) is plan.to_server
    assert [(s.where, s.at, s.target) for s in plan.timed] == [("network.fault[1]", 2.0, "server2:80<-client#1")]
    assert plan.direction_of(plan.timed[0]) is plan.to_client
    assert r.connection(2, 2.5).timed == ()  # a timed fault fires once, on the connections open then


@given(latency=st.floats(0, 1), bandwidth=st.one_of(st.none(), st.floats(10, 1e6)),
       reads=st.lists(st.tuples(st.floats(0, 0.5), st.integers(1, 500)), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_due_times_keep_order_add_the_latency_and_the_serialization(latency, bandwidth, reads) -> None:
    d = rules(Link("server2:80", latency=latency, bandwidth=bandwidth)).connection(1, 0.0).to_client
    now, last, total = 0.0, 0.0, 0
    for gap, n in reads:
        now += gap
        total += n
        due = d.take(b"x" * n, now).due
        assert due >= last and due >= now + latency - 1e-9
        if bandwidth is not None:
            assert due >= total / bandwidth + latency - 1e-9
        last = due


@dataclass(frozen=True)
class JitterLink(Link):
    jitter: float = 0.0


def test_jitter_is_drawn_within_its_bound_seeded_and_in_order() -> None:
    def dues(seed: int) -> list[float]:
        r = ChaosRules(NetConfig(links=(JitterLink("server2:80", latency=0.1, jitter=0.05),)), "server2:80",
                       seed=seed)
        d = r.connection(1, 0.0).to_client
        return [d.take(b"x", i * 0.01).due for i in range(50)]

    first = dues(1)
    assert first == dues(1) and first != dues(2)
    assert first == sorted(first)
    assert all(0.1 + i * 0.01 - 1e-9 <= due for i, due in enumerate(first))
    assert any(due > 0.1 + i * 0.01 + 1e-6 for i, due in enumerate(first))  # some jitter was drawn
    assert all(due <= 0.2 + 49 * 0.01 + 1e-9 for due in first)  # the connection's draw and the piece's


def test_a_connection_jitter_is_drawn_once_and_delays_its_connect_and_both_ways() -> None:
    r = ChaosRules(NetConfig(links=(JitterLink("server2:80", latency=0.1, jitter=0.05),)), "server2:80", seed=4)
    plans = [r.connection(n, 0.0) for n in range(1, 6)]
    delays = [p.connect_delay for p in plans]
    assert all(0.1 <= d <= 0.15 for d in delays) and len(set(delays)) > 1
    assert all(p.to_client.latency == p.to_server.latency == p.connect_delay for p in plans)
    assert [p.connect_delay for p in (r.connection(n, 0.0) for n in range(1, 6))] == delays


def test_no_link_no_delay_and_buffer_capacity_is_sndbuf_plus_rcvbuf() -> None:
    r = rules(Endpoint("server2:80<-*", sndbuf=1000), Endpoint("client#*", rcvbuf=500, sndbuf=7))
    plan = r.connection(1, 0.0)
    assert plan.to_client.capacity == 1500
    assert plan.to_server.capacity == 7 + 262144
    assert plan.to_client.take(b"abc", 3.0).due == 3.0
    assert plan.server == SocketRules("server2:80<-client#1", sndbuf=1000)


def test_later_endpoint_rules_override_the_fields_they_set() -> None:
    r = rules(Endpoint("*", max_send=5, rcvbuf=9), Endpoint("server2:80<-*", max_send=2))
    assert r.socket_rules("server2:80<-client#4") == SocketRules("server2:80<-client#4", rcvbuf=9, max_send=2)
    assert r.socket_rules("client#4") == SocketRules("client#4", rcvbuf=9, max_send=5)


def test_connect_faults_decide_from_their_time_on_first_listed_first() -> None:
    r = rules(Fault("black_hole", "server2:*", at=1.0), Fault("refuse", "server2:80", at=2.0))
    assert r.connect_decision(0.5) == (FORWARD, None)
    assert r.connect_decision(1.5) == (BLACK_HOLE, "network.fault[0]")
    assert r.connect_decision(3.0) == (BLACK_HOLE, "network.fault[0]")  # the first listed wins
    assert r.refused_from() is None
    assert rules(Fault("refuse", "server2:80", at=2.0)).refused_from() == 2.0
    assert rules(Fault("refuse", "server2:80")).refused_from() == 0.0
    assert rules(Fault("refuse", "server2:80"), upstream="db:5432").refused_from() is None
    later = rules(Fault("refuse", "server2:80"), Fault("black_hole", "server2:80", at=1.0))
    assert later.connect_decision(0.0) == (REFUSE, "network.fault[0]")
    assert later.refused_from() == 0.0
    switching = rules(Fault("black_hole", "server2:80", at=5.0), Fault("refuse", "server2:80", at=1.0))
    assert switching.connect_decision(2.0)[0] == REFUSE and switching.connect_decision(6.0)[0] == BLACK_HOLE
    assert switching.refused_from() is None  # refused for a while only: the listener must stay


class Garbage(DataFault):
    name = "chaos-test-garbage"
    summary = "bytes become '?'"

    def alter(self, data: bytes) -> bytes:
        return b"?" * len(data)


class Stall(ConnectionFault):
    name = "chaos-test-stall"
    summary = "a kind the live proxy does not know"


def test_data_faults_alter_the_bytes_after_their_threshold_or_time() -> None:
    register(Garbage())
    try:
        r = rules(Fault("chaos-test-garbage", "server2:80<-*", after_bytes=3),
                  Fault("chaos-test-garbage", "client#*", at=1.0))
        plan = r.connection(1, 0.0)
        d = plan.to_client
        assert d.read_size(100) == 3
        first = d.take(b"abc", 0.0)
        assert first.data == b"abc" and [s.where for s in first.strikes] == ["network.fault[0]"]
        assert d.take(b"def", 0.0).data == b"???"
        up = plan.to_server
        assert up.take(b"ab", 0.5).data == b"ab" and up.take(b"cd", 1.0).data == b"??"
        assert plan.timed == ()  # a data fault needs no timer: the rules alter the bytes
    finally:
        unregister("chaos-test-garbage")


def test_a_fault_kind_that_cannot_be_applied_live_is_an_input_error_naming_the_row() -> None:
    register(Stall())
    try:
        with pytest.raises(ChaosRuleError) as info:
            rules(Fault("reset", "*", at=1.0), Fault("chaos-test-stall", "*", at=1.0))
        assert info.value.key == ("network", "fault", 1, "kind")
        assert str(info.value).startswith("network.fault[1].kind: 'chaos-test-stall' cannot be applied")
    finally:
        unregister("chaos-test-stall")


def test_the_upstream_name_comes_from_the_rules_or_must_be_given() -> None:
    assert derive_upstream(NetConfig(endpoints=(Endpoint("server2:80<-*", max_send=1),))) == "server2:80"
    assert derive_upstream(NetConfig(links=(Link("db:5432"),), faults=(Fault("refuse", "db:5432"),))) == "db:5432"
    assert derive_upstream(NetConfig(endpoints=(Endpoint("*", max_send=1),), faults=(Fault("refuse", "*:80"),))) is None
    with pytest.raises(ChaosRuleError, match=r"several addresses \(a:1, b:2\); say which one .* --as"):
        derive_upstream(NetConfig(links=(Link("a:1"), Link("b:2"))))
    with pytest.raises(ChaosRuleError, match="name no address"):
        ChaosRules.from_rows({"endpoint": [{"pattern": "*", "max_send": 1}]}, None)
    assert ChaosRules.from_rows({"link": [{"addr": "x:1", "latency": 0.5}]}, None).link.latency == 0.5
    assert ChaosRules.from_rows({"link": [{"addr": "x:1", "latency": 0.5}]}, "y:2").link.latency == 0.0


def test_describe_says_what_applies_and_what_matches_nothing() -> None:
    lines = rules(Link("server2:80", latency=1), Link("db:1"), Endpoint("server2:80<-*", max_send=1),
                  Endpoint("proxy#*", max_send=1), Fault("refuse", "db:1"), Fault("reset", "*", at=1.0)).describe()
    assert lines == [
        "network.link[0] server2:80: applies",
        "network.link[1] db:1: does not apply (the upstream is server2:80)",
        "network.endpoint[0] server2:80<-*: applies to server2:80<-client#1",
        "network.endpoint[1] proxy#*: matches none of this proxy's sockets (server2:80<-client#1, client#1)",
        "network.fault[0] refuse db:1: matches none of this proxy's sockets",
        "network.fault[1] reset *: applies to server2:80<-client#1 and client#1",
    ]
