"""asyncio on the fake network: net.event_loop(), streams on named addresses, virtual time, faults.

Also pins the asyncio internals fakes.aio relies on (the self-pipe made by
``_make_self_pipe``): run this file on every Python the project supports.
"""

from __future__ import annotations

import asyncio
import selectors
import time

import pytest

import fakes
from fakes.aio import FakeEventLoop


def run(net, main):
    """``main(net)`` on a new event loop of ``net``; the loop is closed after."""
    loop = net.event_loop()
    try:
        return loop.run_until_complete(main(net))
    finally:
        loop.close()


async def _upper(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


async def _echo_session(net, payload=b"hello, server2", port=80):
    server = await asyncio.start_server(_upper, "server2", port)
    reader, writer = await asyncio.open_connection("server2", port)
    writer.write(payload)
    writer.write_eof()
    got = await reader.read()
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return got


def test_event_loop_is_an_asyncio_selector_loop_over_the_fake_selector_in_virtual_time():
    net = fakes.FakeNetwork()
    loop = net.event_loop()
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert isinstance(loop, asyncio.SelectorEventLoop) and isinstance(loop, FakeEventLoop)
        net.clock.advance(12.5)
        assert loop.time() == 12.5
    finally:
        loop.close()
    assert loop.is_closed()


def test_streams_echo_through_start_server_and_open_connection_on_named_addresses():
    net = fakes.FakeNetwork(seed=1)
    assert run(net, _echo_session) == b"HELLO, SERVER2"
    names = {e.sock for e in net.trace.events}
    assert {"server2:80", "asyncio->server2:80#1", "server2:80<-asyncio->server2:80#1"} <= names
    assert net.open_sockets() == []  # every socket the loop and the streams made is closed


def test_sleep_30_costs_virtual_time_only():
    async def main(net):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.sleep(30)
        return loop.time() - t0

    net = fakes.FakeNetwork()
    start = time.perf_counter()
    assert run(net, main) == 30.0
    assert net.clock.now() == 30.0
    assert time.perf_counter() - start < 5  # not 30 real seconds (a generous bound for a busy machine)


def test_wait_for_times_out_at_the_exact_virtual_instant():
    async def main(net):
        done = asyncio.Event()

        async def silent(reader, writer):  # reads, never answers, until the client goes
            await reader.read()
            writer.close()
            await writer.wait_closed()
            done.set()

        server = await asyncio.start_server(silent, "server2", 80)
        reader, writer = await asyncio.open_connection("server2", 80)
        await asyncio.sleep(1.25)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), 2.5)
        when = asyncio.get_running_loop().time()
        writer.close()
        await writer.wait_closed()
        await done.wait()
        server.close()
        await server.wait_closed()
        return when

    net = fakes.FakeNetwork()
    assert run(net, main) == 3.75
    assert net.open_sockets() == []


def test_latency_costs_virtual_time():
    net = fakes.FakeNetwork()
    net.link("server2:80", latency=0.5)

    async def main(net):
        t0 = asyncio.get_running_loop().time()
        got = await _echo_session(net)
        return got, asyncio.get_running_loop().time() - t0

    got, took = run(net, main)
    assert got == b"HELLO, SERVER2"
    assert took == 1.5  # the connect takes one latency (0.5), the data 0.5 there and 0.5 back


def test_partial_sends_of_one_byte_all_arrive():
    net = fakes.FakeNetwork(seed=2)
    net.endpoint("asyncio->*", max_send=1)
    payload = bytes(range(256)) * 4
    assert run(net, lambda net: _echo_session(net, payload)) == payload.upper()
    sends = [e.result for e in net.trace.events if e.sock == "asyncio->server2:80#1" and e.op == "send"]
    assert len(sends) >= len(payload) and set(sends) <= {1, "EAGAIN"}


def test_a_large_write_arrives_whole():
    # 2 MiB, more than the send buffers hold: on 3.12+ the transport finishes it with sendmsg
    net = fakes.FakeNetwork(seed=3)
    payload = bytes(i % 251 for i in range(2 * 1024 * 1024))

    async def main(net):
        got = []

        async def sink(reader, writer):
            got.append(await reader.read())
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(sink, "server2", 80)
        reader, writer = await asyncio.open_connection("server2", 80)
        writer.write(payload)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        while not got:
            await asyncio.sleep(0.001)
        server.close()
        await server.wait_closed()
        return got[0]

    got = run(net, main)
    assert len(got) == len(payload) and got == payload
    assert net.open_sockets() == []


def test_a_reset_mid_response_reaches_the_client_as_connection_reset():
    net = fakes.FakeNetwork(seed=4)
    net.fault("reset", "server2:80<-*", after_bytes=1000)

    async def main(net):
        done = asyncio.Event()

        async def big(reader, writer):
            await reader.read(10)
            writer.write(b"r" * 100_000)
            with pytest.raises(ConnectionResetError):
                await writer.drain()
            writer.close()
            done.set()

        server = await asyncio.start_server(big, "server2", 80)
        reader, writer = await asyncio.open_connection("server2", 80)
        writer.write(b"GET")
        received = 0
        with pytest.raises(ConnectionResetError):
            while chunk := await reader.read(100):
                received += len(chunk)
        writer.close()
        await done.wait()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # the transports' connection_lost callbacks close their sockets
        return received

    assert run(net, main) <= 1000
    assert net.open_sockets() == []


def test_a_refused_connect_raises_connection_refused():
    async def main(net):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("nobody", 81)

    net = fakes.FakeNetwork()
    run(net, main)
    assert net.open_sockets() == []


def test_waiting_for_what_can_never_happen_raises_would_block_forever():
    async def main(net):
        accepted = []
        server = await asyncio.start_server(lambda r, w: accepted.append(w), "server2", 80)
        reader, writer = await asyncio.open_connection("server2", 80)
        try:
            await reader.read(1)  # no timer, nothing in flight: a real loop would hang here
        finally:
            for w in (writer, *accepted):
                w.close()
            server.close()

    net = fakes.FakeNetwork()
    with asyncio.Runner(loop_factory=net.event_loop) as runner:  # its close() cancels what is left
        with pytest.raises(fakes.WouldBlockForever, match="would block forever"):
            runner.run(main(net))
    assert net.open_sockets() == []  # the cancelled main's finally closed them


def test_the_same_seed_gives_the_same_trace():
    def trace(seed):
        net = fakes.FakeNetwork(seed=seed)
        net.endpoint("*", max_send=(1, 50), max_recv=(1, 50))

        async def main(net):
            server = await asyncio.start_server(_upper, "server2", 80)

            async def client(i):
                reader, writer = await asyncio.open_connection("server2", 80)
                writer.write(f"client {i} ".encode() * 20)
                writer.write_eof()
                data = await reader.read()
                writer.close()
                await writer.wait_closed()
                return data

            got = await asyncio.gather(*(client(i) for i in range(5)))
            server.close()
            await server.wait_closed()
            return got

        got = run(net, main)
        assert got == [f"CLIENT {i} ".encode() * 20 for i in range(5)]
        return "\n".join(e.to_text() for e in net.trace.events)

    assert trace(7) == trace(7)
    assert len({trace(seed) for seed in range(4)}) > 1  # the seed does choose


def test_getaddrinfo_answers_names_without_dns():
    async def main(net):
        loop = asyncio.get_running_loop()
        (fam, kind, proto, _, addr), = await loop.getaddrinfo("server2", "80")
        assert (addr, kind) == (("server2", 80), __import__("socket").SOCK_STREAM)
        assert (await loop.getaddrinfo(None, 8080, flags=__import__("socket").AI_PASSIVE))[0][4] == ("0.0.0.0", 8080)
        assert (await loop.getaddrinfo("::1", 1))[0][4] == ("::1", 1, 0, 0)
        with pytest.raises(OSError):
            await loop.getaddrinfo("server2", "http")  # no services database either
        with pytest.raises(OSError):
            await loop.getaddrinfo("server2", 53, type=__import__("socket").SOCK_DGRAM)
        assert await loop.getnameinfo(("server2", 80)) == ("server2", "80")

    run(fakes.FakeNetwork(), main)


def test_a_second_server_on_the_same_address_fails_to_bind():
    async def main(net):
        server = await asyncio.start_server(_upper, "server2", 80)
        with pytest.raises(OSError, match="error while attempting to bind on address"):
            await asyncio.start_server(_upper, "server2", 80)
        server.close()
        await server.wait_closed()

    net = fakes.FakeNetwork()
    run(net, main)
    assert net.open_sockets() == []


def test_signal_handlers_are_refused_clearly():
    net = fakes.FakeNetwork()
    loop = net.event_loop()
    try:
        with pytest.raises(NotImplementedError, match="virtual time"):
            loop.add_signal_handler(2, lambda: None)
    finally:
        loop.close()


def test_asyncio_runner_takes_the_loop_as_its_factory():
    net = fakes.FakeNetwork()
    with asyncio.Runner(loop_factory=net.event_loop) as runner:
        assert runner.run(_echo_session(net)) == b"HELLO, SERVER2"
    assert net.open_sockets() == []


# -- the asyncio internals fakes.aio relies on (see its module doc) -------------------------------


def test_the_self_pipe_is_a_fake_socket_pair_registered_in_the_fake_selector():
    net = fakes.FakeNetwork()
    loop = net.event_loop()  # on a Python whose loop did not call _make_self_pipe, the real
    try:                     # socketpair's fd would be refused by the fake selector right here
        names = [s.name for s in net.open_sockets()]
        assert names == ["asyncio:self-pipe", "asyncio:self-pipe-writer"]
        reader = net.open_sockets()[0]
        (key,) = loop._selector.get_map().values()  # the only registration: the self-pipe's reader
        assert key.fd == reader.fileno() >= fakes.socket.FIRST_FD and key.events == selectors.EVENT_READ
    finally:
        loop.close()
    assert net.open_sockets() == []  # _close_self_pipe closed both


def test_call_soon_threadsafe_wakes_the_loop_through_the_fake_self_pipe():
    async def main(net):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.call_soon_threadsafe(fut.set_result, "woken")
        return await fut

    net = fakes.FakeNetwork()
    assert run(net, main) == "woken"
    ops = [(e.sock, e.op) for e in net.trace.events if e.sock.startswith("asyncio:self-pipe")]
    assert ("asyncio:self-pipe-writer", "send") in ops and ("asyncio:self-pipe", "recv") in ops


ASYNC_SESSION = r'''
import asyncio, sys
import fakes

net = fakes.FakeNetwork(seed=int(sys.argv[1]))
net.link("server2:80", latency=0.003)
net.endpoint("*", sndbuf=2000, rcvbuf=1000, max_recv=(1, 700), max_send=(1, 900))
net.fault("reset", "server2:80<-asyncio->server2:80#4", after_bytes=3000)

async def upper(reader, writer):
    try:
        while data := await reader.read(4096):
            writer.write(data.upper())
            await writer.drain()
    except ConnectionResetError:
        pass
    finally:
        writer.close()

async def client(i):
    reader, writer = await asyncio.open_connection("server2", 80)
    try:
        writer.write(bytes([97 + i]) * (2000 * i + 10))
        writer.write_eof()
        return len(await reader.read())
    except ConnectionResetError:
        return "reset"
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(upper, "server2", 80)
    got = await asyncio.gather(*(client(i) for i in range(6)))
    server.close()
    await server.wait_closed()
    await asyncio.sleep(0.1)
    return got

with asyncio.Runner(loop_factory=net.event_loop) as runner:
    print(runner.run(main()))
assert net.open_sockets() == [], net.open_sockets()
sys.stdout.write(net.trace.to_text())
'''


def _async_session(seed, hashseed):
    import os
    import pathlib
    import subprocess
    import sys

    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    done = subprocess.run([sys.executable, "-c", ASYNC_SESSION, str(seed)], env=env, capture_output=True,
                          text=True, timeout=60, cwd=pathlib.Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_asyncio_trace_is_byte_identical_across_processes_and_hash_seeds():
    first = _async_session(5, "0")
    assert first == _async_session(5, "4242")
    assert "'reset'" in first.splitlines()[0] and first.count("\n") > 200
    assert " EAGAIN" in first or "'EAGAIN'" in first
    assert _async_session(6, "0") != first


def test_create_connection_and_create_server_take_a_fake_socket_given_as_sock():
    async def main(net):
        loop = asyncio.get_running_loop()
        listener = net.socket("my-listener")
        listener.bind(("server3", 90))
        server = await asyncio.start_server(_upper, sock=listener)
        sock = net.socket("my-client")
        await loop.sock_connect(sock, ("server3", 90))
        reader, writer = await asyncio.open_connection(sock=sock)
        with pytest.raises(ValueError, match="can not be specified at the same time"):
            await asyncio.open_connection("server3", 90, sock=sock)
        with pytest.raises(ValueError, match="can not be specified at the same time"):
            await asyncio.start_server(_upper, "server3", 91, sock=listener)
        writer.write(b"own sockets")
        writer.write_eof()
        got = await reader.read()
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return got

    net = fakes.FakeNetwork()
    assert run(net, main) == b"OWN SOCKETS"
    assert {"my-listener", "my-client", "my-listener<-my-client"} <= {e.sock for e in net.trace.events}


def test_local_addr_binds_the_client_socket():
    async def main(net):
        server = await asyncio.start_server(_upper, "server2", 80)
        reader, writer = await asyncio.open_connection("server2", 80, local_addr=("client-host", 5555))
        assert writer.get_extra_info("sockname") == ("client-host", 5555)
        assert writer.get_extra_info("peername") == ("server2", 80)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    run(fakes.FakeNetwork(), main)
