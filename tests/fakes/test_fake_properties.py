"""Property-based tests: whatever the buffers, chunking, latency and bandwidth, bytes arrive intact."""

from __future__ import annotations

import selectors
import socket

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import loopsim
from fakes import Endpoint, FakeNetwork, Link, NetConfig
from scenarios.apps.echo import upper_server
from scenarios.apps.proxy import proxy_server

R, W = selectors.EVENT_READ, selectors.EVENT_WRITE

sizes = st.one_of(st.none(), st.integers(1, 5000),
                  st.tuples(st.integers(1, 3000), st.integers(0, 3000)).map(lambda t: (t[0], t[0] + t[1])))
buffers = st.one_of(st.none(), st.integers(1, 20000))
endpoints = st.builds(Endpoint, pattern=st.sampled_from(["*", "a", "b", "client*", "proxy*", "*server2*"]),
                      sndbuf=buffers, rcvbuf=buffers, max_recv=sizes, max_send=sizes)
links = st.builds(Link, addr=st.sampled_from(["*", "server2:80", "proxy:8080"]),
                  latency=st.sampled_from([0.0, 0.0005, 0.01, 0.25]),
                  bandwidth=st.sampled_from([None, 1e5, 1e7]),
                  accept_delay=st.sampled_from([0.0, 0.0, 0.1]))
configs = st.builds(NetConfig, links=st.lists(links, max_size=2), endpoints=st.lists(endpoints, max_size=3))
_PATTERN = bytes(range(251)) * 800  # 200800 bytes, no period of 256: misordered chunks show
payloads = st.one_of(st.binary(max_size=300),
                     st.one_of(st.sampled_from([4096, 65537, 200_000]), st.integers(0, 200_000))
                     .map(lambda n: _PATTERN[:n]))

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cheap_enough(config, *data):
    """Keep each example to a few thousand socket calls: 200 KB in 1-byte pieces takes a minute
    under coverage and proves nothing more than 4 KB in 1-byte pieces does."""
    smallest = 7000
    for ep in config.endpoints:
        for limit in (ep.max_recv, ep.max_send, ep.sndbuf, ep.rcvbuf):
            if limit is not None:
                smallest = min(smallest, limit if isinstance(limit, int) else limit[0])
    return sum(len(d) for d in data) / smallest <= 4000


@SETTINGS
@given(config=configs, seed=st.integers(0, 2**16), there=payloads, back=payloads)
def test_a_socketpair_carries_every_byte_in_order_both_ways(config, seed, there, back):
    assume(cheap_enough(config, there, back))
    net = FakeNetwork(seed=seed, config=config, trace=False)
    a, b = net.socketpair(("a", "b"))
    sel = net.selector()
    out = {a: memoryview(there), b: memoryview(back)}
    got = {a: bytearray(), b: bytearray()}
    eof = {a: False, b: False}
    for sock in (a, b):
        sel.register(sock, R | W)
    while not (eof[a] and eof[b]):
        for key, mask in sel.select():
            sock = key.fileobj
            if mask & W and sock in out:
                data = out[sock]
                if data:
                    out[sock] = data[sock.send(data):]
                else:
                    sock.shutdown(socket.SHUT_WR)
                    del out[sock]
                    if eof[sock]:
                        sel.unregister(sock)  # done both ways (EOF stays readable: don't wait on it)
                    else:
                        sel.modify(sock, R)
            if mask & R and not eof[sock]:
                chunk = sock.recv(7000)
                got[sock] += chunk
                eof[sock] = not chunk
                if eof[sock]:
                    if sock in out:
                        sel.modify(sock, W)
                    else:
                        sel.unregister(sock)
    assert bytes(got[b]) == there
    assert bytes(got[a]) == back
    sel.close()
    a.close()
    b.close()
    assert net.open_sockets() == []


@SETTINGS
@given(config=configs, seed=st.integers(0, 2**16), payload=payloads)
def test_the_proxy_delivers_every_byte_through_any_network(config, seed, payload):
    assume(cheap_enough(config, payload, payload))
    net = FakeNetwork(seed=seed, config=config, trace=False)
    server2, proxy = net.listen(("server2", 80)), net.listen(("proxy", 8080))
    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    loop.spawn(upper_server(server2, max_sessions=1))
    loop.spawn(proxy_server(proxy, ("server2", 80), net.socket_factory("proxy->server2"), max_sessions=1))
    got: list[bytes] = []

    def client():
        sock = net.socket("client")

        def reader():
            while data := (yield from loopsim.recv(sock, 65536)):
                got.append(data)

        try:
            yield from loopsim.connect(sock, ("proxy", 8080))
            task = yield from loopsim.spawn(reader())
            yield from loopsim.sendall(sock, payload)
            sock.shutdown(socket.SHUT_WR)
            yield from loopsim.join(task)
        finally:
            sock.close()

    loop.spawn(client())
    loop.run()
    server2.close()
    proxy.close()
    assert b"".join(got) == payload.upper()
    assert net.open_sockets() == []


@settings(max_examples=20, deadline=None)
@given(config=configs, seed=st.integers(0, 2**16), payload=payloads)
def test_the_same_seed_and_config_give_the_same_trace(config, seed, payload):
    assume(cheap_enough(config, payload))
    def run():
        net = FakeNetwork(seed=seed, config=config)
        a, b = net.socketpair(("a", "b"))
        sel = net.selector()
        sel.register(b, R)
        view = memoryview(payload)
        while view:
            try:
                view = view[a.send(view):]
                blocked = False
            except BlockingIOError:
                blocked = True
            for _ in sel.select(None if blocked else 0):
                b.recv(4096)
        return net.trace.to_text()

    assert run() == run()
