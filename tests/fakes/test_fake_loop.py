"""The loopsim loop and the example apps on the fakes, in virtual time."""

from __future__ import annotations

import socket

import pytest

import fakes
import loopsim
from fakes import Endpoint, FakeNetwork
from scenarios.apps.echo import echo_server, upper_server
from scenarios.apps.naive_proxy import naive_server
from scenarios.apps.proxy import proxy_server, proxy_session

PROXY, SERVER2 = ("proxy", 8080), ("server2", 80)


def client(net, name, payload, results, addr=PROXY):
    """Connect, send ``payload``, half-close, read to EOF; record (reply, time, error)."""
    sock = net.socket(name)
    reply, error = b"", None
    try:
        yield from loopsim.connect(sock, addr)
        yield from loopsim.sendall(sock, payload)
        sock.shutdown(socket.SHUT_WR)
        while True:
            data = yield from loopsim.recv(sock, 65536)
            if not data:
                break
            reply += data
    except OSError as exc:
        error = exc
    finally:
        sock.close()
    results[name] = (reply, net.clock.now(), error)


def proxied(net, *, delay=0.0, session_timeout=None, clients=1, payload=b"hello", app=proxy_server):
    """Run server2 (upper-casing after ``delay``), the proxy and ``clients`` clients to the end."""
    server2 = net.listen(SERVER2)
    proxy = net.listen(PROXY)
    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    loop.spawn(upper_server(server2, delay=delay, max_sessions=clients), name="server2")
    kwargs = {"session_timeout": session_timeout} if app is proxy_server else {}
    loop.spawn(app(proxy, SERVER2, net.socket_factory("proxy->server2"), max_sessions=clients, **kwargs),
               name="proxy")
    results: dict = {}
    for i in range(clients):
        loop.spawn(client(net, f"client{i}", payload, results), name=f"client{i}")
    loop.run()
    server2.close()
    proxy.close()
    return results


def test_a_30s_slow_server2_costs_virtual_time_only():
    net = FakeNetwork()
    results = proxied(net, delay=30)
    assert results["client0"] == (b"HELLO", 30.0, None)
    assert net.clock.now() == 30.0
    assert net.open_sockets() == []


def test_latencies_add_up_exactly():
    net = FakeNetwork()
    net.link("proxy:8080", latency=0.001)
    net.link("server2:80", latency=0.002)
    results = proxied(net, delay=30)
    # connect 1ms; data reaches the proxy at 2ms, server2 at 5ms (the proxy's connect took 2ms from 1ms);
    # server2 replies 30s later; the reply needs 2ms + 1ms back.
    assert results["client0"] == (b"HELLO", 30.008, None)
    assert net.open_sockets() == []


def test_a_session_timeout_fires_at_the_exact_virtual_instant():
    net = FakeNetwork()
    results = proxied(net, delay=30, session_timeout=5)
    assert results["client0"] == (b"", 5.0, None)
    assert net.open_sockets() == []


def test_loopsim_timeout_on_a_socket_that_never_answers():
    net = FakeNetwork()
    a, b = net.socketpair()

    def main():
        yield from loopsim.sleep(1.25)
        try:
            yield from loopsim.timeout(2.5, loopsim.recv(a, 10))
        except loopsim.Timeout:
            return net.clock.now()

    assert loopsim.run(main(), selector=net.selector(), clock=net.clock) == 3.75
    a.close()
    b.close()


def test_a_virtual_time_deadlock_is_an_error_naming_every_blocked_task():
    net = FakeNetwork()
    listener = net.listen(SERVER2)

    def server():
        conn, _ = yield from loopsim.accept(listener)
        try:
            yield from loopsim.recv(conn, 100)  # waits for a request nobody sends
        finally:
            conn.close()

    def talker():
        sock = net.socket("client")
        try:
            yield from loopsim.connect(sock, SERVER2)
            yield from loopsim.recv(sock, 100)  # waits for a reply nobody sends
        finally:
            sock.close()

    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    loop.spawn(server(), name="server")
    loop.spawn(talker(), name="talker")
    with pytest.raises(loopsim.Deadlock) as info:
        loop.run()
    message = str(info.value)
    assert "would block forever" in message
    assert "client to be readable (connected to server2:80)" in message
    names = [name for name, where, what in info.value.blocked]
    assert names == ["server", "talker"]
    for name, where, what in info.value.blocked:
        assert "test_fake_loop.py:" in where
        assert "to be readable" in what
    assert isinstance(info.value.__cause__, fakes.WouldBlockForever)


def test_the_naive_proxy_loses_data_on_a_partial_send_and_the_correct_one_does_not():
    payload = b"hello world, this is more than one send"
    net = FakeNetwork()
    net.endpoint("proxy->server2*", max_send=4)
    results = proxied(net, payload=payload, app=naive_server)
    assert results["client0"][0] == b"HELL"
    net = FakeNetwork()
    net.endpoint("proxy->server2*", max_send=4)
    results = proxied(net, payload=payload)
    assert results["client0"][0] == payload.upper()
    assert net.open_sockets() == []


def duplex_client(net, name, payload, results, addr):
    """Send and read at the same time (a reader task), so that full buffers cannot deadlock it."""
    sock = net.socket(name)
    chunks: list[bytes] = []

    def reader():
        while data := (yield from loopsim.recv(sock, 65536)):
            chunks.append(data)

    try:
        yield from loopsim.connect(sock, addr)
        task = yield from loopsim.spawn(reader(), name=f"{name}-reader")
        yield from loopsim.sendall(sock, payload)
        sock.shutdown(socket.SHUT_WR)
        yield from loopsim.join(task)
    finally:
        sock.close()
    results[name] = b"".join(chunks)


def echo_run(net, payloads, make_client):
    listener = net.listen(("echo", 7))
    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    loop.spawn(echo_server(listener, max_sessions=len(payloads)), name="echo")
    results: dict = {}
    for name, payload in payloads.items():
        loop.spawn(make_client(net, name, payload, results, addr=("echo", 7)), name=name)
    try:
        loop.run()
    finally:
        listener.close()
    return results


def small_buffers(seed):
    net = FakeNetwork(seed=seed)
    net.link("*", latency=0.003, bandwidth=10_000_000)
    net.endpoint("*", max_recv=(1, 3000), max_send=(1, 3000), sndbuf=4096, rcvbuf=4096)
    return net


def test_many_echo_clients_with_random_chunking_and_latency_get_every_byte_back():
    net = small_buffers(seed=42)
    payloads = {f"client{i}": bytes([i]) * (1000 * i + 1) for i in range(20)}
    results = echo_run(net, payloads, duplex_client)
    assert results == payloads
    assert net.open_sockets() == []
    assert net.clock.now() > 0.006


def test_sending_everything_before_reading_deadlocks_once_the_buffers_fill():
    # Real TCP hangs here too: the echo server blocks sending to a client that is still sending.
    net = small_buffers(seed=1)
    with pytest.raises(loopsim.Deadlock) as info:
        echo_run(net, {"client": b"x" * 100_000}, client)
    assert "send buffer full" in str(info.value)
    assert [name for name, _, _ in info.value.blocked] == ["echo", "client", "echo-1"]


def test_a_reset_upstream_ends_the_session_and_closes_everything():
    net = FakeNetwork()
    net.fault("reset", "server2:80<-*", after_bytes=2)
    results = proxied(net, payload=b"hello")
    reply, _, error = results["client0"]
    assert reply == b"HE"
    assert error is None or isinstance(error, ConnectionResetError)
    assert net.open_sockets() == []


def test_a_refused_upstream_closes_the_client_cleanly():
    net = FakeNetwork()
    net.fault("refuse", "server2:80")
    proxy = net.listen(PROXY)
    new_socket = net.socket_factory("proxy->server2")
    results: dict = {}

    def accept_one():
        conn, _ = yield from loopsim.accept(proxy)
        return (yield from proxy_session(conn, SERVER2, new_socket))

    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    session = loop.spawn(accept_one())
    loop.spawn(client(net, "client", b"hi", results))
    loop.run()
    proxy.close()
    assert session.result() == "refused"
    assert results["client"][0] == b""
    assert net.open_sockets() == []


def test_a_black_holed_upstream_ends_with_the_session_timeout():
    net = FakeNetwork()
    net.fault("black_hole", "server2:80")
    proxy = net.listen(PROXY)
    results: dict = {}
    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    server = loop.spawn(proxy_server(proxy, SERVER2, net.socket_factory("proxy->server2"), max_sessions=1,
                                     session_timeout=7.5))
    loop.spawn(client(net, "client", b"hi", results))
    loop.run()
    proxy.close()
    assert server.result() == 1
    assert results["client"] == (b"", 7.5, None)
    assert net.open_sockets() == []


def test_a_task_may_wait_on_a_socket_closed_by_another():
    net = FakeNetwork()
    a, b = net.socketpair()

    def waiter():
        try:
            yield from loopsim.recv(a, 1)
        except loopsim.UsageError:
            return "told"

    def closer():
        yield from loopsim.sleep(1)
        a.close()

    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    task = loop.spawn(waiter())
    loop.spawn(closer())
    loop.run()
    b.close()
    assert task.result() == "told"
