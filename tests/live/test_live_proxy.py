"""The correct proxy on real loopback sockets, in front of a real slow server2 in another process.

Clients are loopsim tasks in the proxy's loop; server2 (tests/live_server2.py) is a
separate process on blocking sockets that replies upper-cased after a delay. Every
test checks that the process has exactly the file descriptors it had before.
"""

from __future__ import annotations

import gc
import os
import pathlib
import random
import socket
import subprocess
import sys

import pytest

import loopsim
from scenarios.apps.proxy import proxy_server

pytestmark = pytest.mark.live

SERVER2 = pathlib.Path(__file__).with_name("live_server2.py")
DELAY = 0.02  # server2's normal think time
SLOW_DELAY = 30.0  # for requests starting with b"SLOW": longer than any test waits
GUARD = 15.0  # no test may hang: the whole exchange runs under this timeout


@pytest.fixture(scope="module")
def server2():
    proc = subprocess.Popen([sys.executable, str(SERVER2), str(DELAY), str(SLOW_DELAY)],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield ("127.0.0.1", port)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def open_fds() -> set[str]:
    gc.collect()
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_leaks():
    """The test ends with the same open fds it began with, and every socket it made closed."""
    made: list[socket.socket] = []
    before = open_fds()
    yield made
    assert all(s.fileno() == -1 for s in made), [s for s in made if s.fileno() != -1]
    assert open_fds() == before


@pytest.fixture
def refused_addr():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    addr = probe.getsockname()
    probe.close()  # nothing listens there: connects are refused
    return addr


def new_socket(made):
    def make():
        sock = socket.socket()
        made.append(sock)
        return sock
    return make


def listening_socket(made):
    sock = new_socket(made)()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def client(addr, request, made, close_after=None, reset=False):
    """Send ``request``, half-close, read the reply to EOF. With ``close_after``: send that much, then go."""
    sock = new_socket(made)()
    sock.setblocking(False)
    try:
        yield from loopsim.connect(sock, addr)
        if close_after is not None:
            yield from loopsim.sendall(sock, request[:close_after])
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return "left"
        yield from loopsim.sendall(sock, request)
        sock.shutdown(socket.SHUT_WR)
        reply = bytearray()
        while data := (yield from loopsim.recv(sock, 65536)):
            reply += data
        return bytes(reply)
    finally:
        sock.close()


def payload(size: int, rng: random.Random) -> bytes:
    return bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz0123456789 \n", k=size))


def run_proxy(made, upstream, requests, session_timeout=None, per_client=None):
    """Serve len(requests) clients through proxy_server; returns (the clients' results, sessions served)."""
    listener = listening_socket(made)
    addr = listener.getsockname()

    def main():
        proxy = yield from loopsim.spawn(proxy_server(
            listener, upstream, new_socket(made), max_sessions=len(requests), session_timeout=session_timeout))
        clients = []
        for i, req in enumerate(requests):
            kw = (per_client or {}).get(i, {})
            clients.append((yield from loopsim.spawn(client(addr, req, made, **kw), name=f"client-{i}")))
        results = []
        for c in clients:
            results.append((yield from loopsim.join(c)))
        return results, (yield from loopsim.join(proxy))

    try:
        return loopsim.run(loopsim.timeout(GUARD, main()))
    finally:
        listener.close()


def test_one_client_gets_its_reply_upper_cased(server2, no_leaks):
    results, served = run_proxy(no_leaks, server2, [b"hello, server2"])
    assert results == [b"HELLO, SERVER2"]
    assert served == 1


@pytest.mark.parametrize("size", [10, 1000, 65536 + 1, 1_000_000])
def test_one_client_payload_sizes_arrive_intact(server2, no_leaks, size):
    request = payload(size, random.Random(size))
    results, _ = run_proxy(no_leaks, server2, [request])
    assert results == [request.upper()]


def test_fifty_concurrent_clients_with_payloads_from_10_bytes_to_1_mb(server2, no_leaks):
    rng = random.Random(50)
    sizes = [10, 1_000_000] + [int(10 ** rng.uniform(1, 6)) for _ in range(48)]
    requests = [payload(n, rng) for n in sizes]
    results, served = run_proxy(no_leaks, server2, requests)
    assert served == 50
    for i, (req, got) in enumerate(zip(requests, results)):
        assert got == req.upper(), f"client {i} ({len(req)} bytes) got {len(got)} bytes"


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
def test_a_client_that_disconnects_mid_request_does_not_affect_the_others(server2, no_leaks, reset):
    rng = random.Random(7)
    requests = [payload(200_000, rng) for _ in range(5)]
    results, served = run_proxy(no_leaks, server2, requests,
                                per_client={2: {"close_after": 50_000, "reset": reset}})
    assert served == 5  # the proxy finished the broken session too (and closed its sockets)
    assert results[2] == "left"
    for i in (0, 1, 3, 4):
        assert results[i] == requests[i].upper()


@pytest.mark.parametrize("sends", [False, True], ids=["silent-client", "client-with-request"])
def test_server2_refusing_closes_the_client_without_a_reply(refused_addr, no_leaks, sends):
    """A client that sent nothing gets a clean EOF. One whose request is still unread may see the
    close as a reset (real TCP resets when unread data is dropped; scenarios/server2_refuses.toml
    shows the same): either way it is told at once and gets no data."""

    def one_client(addr):
        sock = new_socket(no_leaks)()
        sock.setblocking(False)
        try:
            yield from loopsim.connect(sock, addr)
            if sends:
                yield from loopsim.sendall(sock, b"request")
                sock.shutdown(socket.SHUT_WR)
            try:
                return (yield from loopsim.recv(sock, 100))
            except ConnectionResetError:
                return "reset"
        finally:
            sock.close()

    def main():
        listener = listening_socket(no_leaks)
        try:
            proxy = yield from loopsim.spawn(proxy_server(listener, refused_addr, new_socket(no_leaks), max_sessions=3))
            replies = []
            for _ in range(3):
                replies.append((yield from one_client(listener.getsockname())))
            return replies, (yield from loopsim.join(proxy))
        finally:
            listener.close()

    replies, served = loopsim.run(loopsim.timeout(GUARD, main()))
    assert served == 3
    if sends:
        assert all(r in (b"", "reset") for r in replies), replies
    else:
        assert replies == [b"", b"", b""]


def test_session_timeout_closes_a_slow_session_and_spares_the_fast_ones(server2, no_leaks):
    requests = [b"fast one", b"SLOW: server2 takes 30 s", b"fast two"]
    results, served = run_proxy(no_leaks, server2, requests, session_timeout=1.0)
    assert served == 3
    assert results == [b"FAST ONE", b"", b"FAST TWO"]  # the slow client got a clean close, no reply


def test_cancelling_the_proxy_and_its_sessions_closes_every_socket(server2, no_leaks):
    listener = listening_socket(no_leaks)
    addr = listener.getsockname()
    n = 5

    def main(loop):
        proxy = yield from loopsim.spawn(proxy_server(listener, server2, new_socket(no_leaks)))
        clients = []
        for i in range(n):
            clients.append((yield from loopsim.spawn(client(addr, b"SLOW request %d" % i, no_leaks))))
        # wait until every session is connected to server2 and has forwarded its whole request
        while not (names(loop).count("server2->client") == n and "client->server2" not in names(loop)):
            yield from loopsim.sleep(0.005)
        proxy.cancel()
        for task in loop.tasks():
            if task.name.startswith("session-"):
                task.cancel()
        results = []
        for c in clients:
            results.append((yield from loopsim.join(c)))
        return results, proxy.cancelled()

    def names(loop):
        return [t.name for t in loop.tasks()]

    try:
        with loopsim.Loop() as loop:
            results, proxy_cancelled = loop.run_until_complete(loopsim.timeout(GUARD, main(loop)))
            assert loop.tasks() == []  # sessions and their pumps all ended
    finally:
        listener.close()
    assert proxy_cancelled
    assert results == [b""] * n  # each client saw its connection closed cleanly


def test_loopsim_run_cancels_leftover_sessions_and_closes_their_sockets(server2, no_leaks):
    """The proxy is left running when main returns: loopsim.run cancels it and every session."""
    listener = listening_socket(no_leaks)
    addr = listener.getsockname()
    replies = []

    def slow_client():
        sock = new_socket(no_leaks)()
        sock.setblocking(False)
        try:
            yield from loopsim.connect(sock, addr)
            yield from loopsim.sendall(sock, b"SLOW")
            sock.shutdown(socket.SHUT_WR)
            replies.append((yield from loopsim.recv(sock, 100)))
        finally:
            sock.close()

    def main():
        yield from loopsim.spawn(proxy_server(listener, server2, new_socket(no_leaks)))
        c = yield from loopsim.spawn(slow_client())
        yield from loopsim.sleep(0.1)
        return c

    try:
        task = loopsim.run(main())
    finally:
        listener.close()
    assert task.cancelled()  # the waiting client was a leftover too
    assert replies == []


def test_a_proxy_out_of_file_descriptors_still_closes_the_client(server2, no_leaks, caplog):
    """new_socket() failing (EMFILE) ends that session with an error, and its client is not leaked."""

    def no_more_sockets():
        raise OSError(24, "Too many open files")

    def main():
        listener = listening_socket(no_leaks)
        try:
            proxy = yield from loopsim.spawn(proxy_server(listener, server2, no_more_sockets, max_sessions=1))
            sock = new_socket(no_leaks)()
            sock.setblocking(False)
            try:
                yield from loopsim.connect(sock, listener.getsockname())
                reply = yield from loopsim.recv(sock, 100)
            finally:
                sock.close()
            with pytest.raises(OSError):
                yield from loopsim.join(proxy)  # proxy_server joins its session, which failed
            return reply
        finally:
            listener.close()

    assert loopsim.run(loopsim.timeout(GUARD, main())) == b""
