"""Latency jitter: per connection and per segment, drawn from the network's chooser, never reordering a connection."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fakes
import loopsim
from fakes import ConfigError, FakeNetwork, Link, NetConfig
from loopsim.harness.runner import run_world
from loopsim.harness.world_choices import ListChooser
from tests.harness.test_validation import SIM, problem

ROOT = Path(__file__).resolve().parent.parent.parent


def counter_world(net, gap=0.005, work=0.002):
    """Two clients, ``gap`` apart, each ask a server to increment a counter; the server reads the counter,
    takes ``work`` seconds (a yield), then writes it back: a lost update if the two requests arrive
    less than ``work`` apart. Returns the counter."""
    listener = net.listen(("counter", 7000))
    state = {"count": 0}

    def session(conn):
        try:
            if (yield from loopsim.recv(conn, 100)):
                seen = state["count"]
                yield from loopsim.sleep(work)
                state["count"] = seen + 1
                yield from loopsim.sendall(conn, b"ok")
        finally:
            conn.close()

    def server():
        sessions = []
        for _ in range(2):
            conn, _ = yield from loopsim.accept(listener)
            sessions.append((yield from loopsim.spawn(session(conn))))
        for task in sessions:
            yield from loopsim.join(task)

    def client(i, delay):
        yield from loopsim.sleep(delay)
        sock = net.socket(f"client#{i}")
        try:
            yield from loopsim.connect(sock, ("counter", 7000))
            yield from loopsim.sendall(sock, b"inc")
            yield from loopsim.recv(sock, 2)
        finally:
            sock.close()

    tasks = [(yield from loopsim.spawn(server(), name="server"))]
    tasks.append((yield from loopsim.spawn(client(1, 0.0), name="client-1")))
    tasks.append((yield from loopsim.spawn(client(2, gap), name="client-2")))
    for task in tasks:
        yield from loopsim.join(task)
    listener.close()
    return state["count"]


def counter_net(jitter, chooser=None, seed=0):
    return FakeNetwork(seed=seed, chooser=chooser,
                       config=NetConfig(links=(Link("counter:7000", latency=0.001, jitter=jitter),)))


def test_without_jitter_requests_5_ms_apart_never_lose_an_update():
    assert all(run_world(counter_world, {}, counter_net(0.0, seed=seed)).result == 2 for seed in range(30))


def test_jitter_brings_two_clients_arrivals_within_2_ms_and_the_lost_update_is_found():
    # client 1's connection 2 ms slower (each way): its request lands 1 ms before client 2's
    slow_first = ListChooser({"jitter-conn": [2000]})
    assert run_world(counter_world, {}, counter_net(0.005, slow_first)).result == 1
    found = [seed for seed in range(60) if run_world(counter_world, {}, counter_net(0.005, seed=seed)).result == 1]
    assert found  # and a seeded search reaches it without being told how


def test_jitter_zero_draws_nothing_and_jitter_draws_per_connection_and_per_segment():
    quiet = fakes.RecordingChooser(fakes.DefaultChooser())
    run_world(counter_world, {}, counter_net(0.0, quiet))
    assert not any(label.startswith("jitter") for label, *_ in quiet.choices)
    noisy = fakes.RecordingChooser(fakes.DefaultChooser())
    run_world(counter_world, {}, counter_net(0.005, noisy))
    labels = [label for label, *_ in noisy.choices]
    assert labels.count("jitter-conn") == 2  # one per connection
    assert labels.count("jitter-segment") >= 4  # a request and a reply each way, FINs
    assert all(options == (0, 5000) for label, options, _ in noisy.choices if label.startswith("jitter"))


def test_a_connection_offset_delays_the_connect_and_both_directions():
    net = FakeNetwork(chooser=ListChooser({"jitter-conn": [3000]}))
    net.link("*", latency=0.001, jitter=0.005)
    listener = net.listen(("s", 1))
    client = net.connect(("s", 1))
    net.run_for(0.0039)
    with pytest.raises(BlockingIOError):
        listener.accept()
    net.run_for(0.0002)  # t = 4.1 ms: the SYN came (1 + 3 ms)
    server, _ = listener.accept()
    server.setblocking(False)
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    client.send(b"x")
    net.run_for(0.0039)
    with pytest.raises(BlockingIOError):
        server.recv(10)
    net.run_for(0.0002)
    assert server.recv(10) == b"x"  # 4 ms later: latency + this connection's offset
    for sock in (client, server, listener):
        sock.close()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=12),
       gaps=st.lists(st.integers(0, 4000), max_size=12), jitter=st.sampled_from([0.0001, 0.003, 0.02]),
       bandwidth=st.sampled_from([None, 200_000.0]))
def test_bytes_on_one_connection_arrive_in_order_whatever_the_jitter(seed, sizes, gaps, jitter, bandwidth):
    net = FakeNetwork(seed=seed)
    net.link("*", latency=0.002, jitter=jitter, bandwidth=bandwidth)
    a, b = net.socketpair()
    sent = b""
    got = b""
    for i, size in enumerate(sizes):
        chunk = (b"%d:" % i + b"x" * size)[:size]
        sent += chunk[:a.send(chunk)]
        net.run_for(gaps[i] * 1e-6 if i < len(gaps) else 0.0)
        try:
            got += b.recv(1 << 20)
        except BlockingIOError:
            pass
    a.shutdown(socket.SHUT_WR)
    net.run_for(10.0)
    while chunk := b.recv(1 << 20):
        got += chunk
    assert got == sent
    a.close()
    b.close()


def test_two_connections_arrivals_interleave_but_each_stays_in_order():
    orders = set()
    for seed in range(40):
        net = FakeNetwork(seed=seed)
        net.link("*", latency=0.001, jitter=0.004)
        listener = net.listen(("s", 1))
        clients = [net.connect(("s", 1), name=f"c{i}") for i in range(2)]
        net.run_for(0.02)
        servers = [listener.accept()[0] for _ in clients]
        for server in servers:
            server.setblocking(False)
        by_peer = {s.getpeername(): s for s in servers}
        for part in range(3):
            for i, c in enumerate(clients):
                c.send(b"%d%d" % (i, part))
        arrivals = []
        for _ in range(2000):
            if not net.advance(net.clock.now_ns() + 10**9):
                break
            for c in clients:
                server = by_peer[c.getsockname()]
                try:
                    arrivals.append(server.recv(100))
                except BlockingIOError:
                    pass
        joined = b"".join(arrivals)
        for i in range(2):
            mine = b"".join(a for a in arrivals if a[:1] == b"%d" % i)
            assert mine == b"%d0%d1%d2" % (i, i, i)  # one connection: in order
        orders.add(bytes(a[0] for a in arrivals))
        assert len(joined) == 12
        for sock in [*clients, *servers, listener]:
            sock.close()
    assert len(orders) > 1  # the two connections' segments interleave differently


def trace_hash(seed):
    net = counter_net(0.005, seed=seed)
    return hashlib.sha256(run_world(counter_world, {}, net).trace.to_text().encode()).hexdigest()


def test_the_same_seed_gives_the_same_trace_in_a_fresh_process_whatever_the_hash_seed():
    code = textwrap.dedent("""
        import sys
        from tests.fakes.test_fake_jitter import trace_hash
        print(trace_hash(int(sys.argv[1])))
    """)
    here = trace_hash(7)
    assert here == trace_hash(7) and here != trace_hash(8)
    for hash_seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env = {k: v for k, v in env.items() if not k.startswith(("COV_CORE", "COVERAGE"))}
        out = subprocess.run([sys.executable, "-c", code, "7"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip() == here


@pytest.mark.parametrize("bad, message", [
    (-0.001, "must be >= 0"), (float("inf"), "must be finite"), (float("nan"), "must be finite"),
    ("1ms", "must be a number"), (True, "must be a number"),
])
def test_a_bad_jitter_is_a_config_error_naming_the_field(bad, message):
    with pytest.raises(ConfigError, match=message) as info:
        Link("*", jitter=bad)
    assert "Link.jitter" in str(info.value)


@pytest.mark.parametrize("new, where", [
    ("latency = 0.01\njitter = -0.5", "10: network.link[0].jitter: Link.jitter=-0.5: must be >= 0"),
    ("latency = 0.01\njitter = 1e300", "10: network.link[0].jitter: 1e+300 is more than the limit 86400"),
    ('latency = 0.01\njitter = "2ms"', "10: network.link[0].jitter: Link.jitter='2ms': must be a number"),
])
def test_a_bad_jitter_in_a_scenario_file_names_the_file_line_and_key(tmp_path, new, where):
    assert "latency = 0.01" in SIM
    assert problem(tmp_path, SIM.replace("latency = 0.01", new, 1)).startswith(where)


def test_a_scenario_link_takes_a_jitter(tmp_path):
    from loopsim.harness.runner import net_config
    from loopsim.harness.scenario import load_scenario

    path = tmp_path / "s.toml"
    path.write_text(SIM.replace("latency = 0.01", "latency = 0.01\njitter = 0.002", 1))
    assert net_config(load_scenario(str(path))).links[0].jitter == 0.002
