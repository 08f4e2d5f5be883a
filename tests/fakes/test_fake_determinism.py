"""Same seed and configuration -> the same trace, byte for byte, in any process and hash seed."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

SESSION = r'''
import socket, sys
import fakes, loopsim
from scenarios.apps.echo import upper_server
from scenarios.apps.proxy import proxy_server

net = fakes.FakeNetwork(seed=int(sys.argv[1]))
net.link("server2:80", latency=0.004, bandwidth=2_000_000, accept_delay=0.01)
net.link("*", latency=0.001)
net.endpoint("*", sndbuf=3000, rcvbuf=2000, max_recv=(1, 1500), max_send=(100, 2500))
net.fault("reset", "proxy->server2#3", after_bytes=5000)
net.fault("half_close", "client4", at=0.02)
server2, proxy = net.listen(("server2", 80)), net.listen(("proxy", 8080))
loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
loop.spawn(upper_server(server2, delay=1.5, max_sessions=6), name="server2")
loop.spawn(proxy_server(proxy, ("server2", 80), net.socket_factory("proxy->server2"), max_sessions=6,
                        session_timeout=20), name="proxy")

def client(i):
    sock = net.socket(f"client{i}")
    got = []
    def reader():
        try:
            while data := (yield from loopsim.recv(sock, 4096)):
                got.append(data)
        except OSError:
            pass
    try:
        yield from loopsim.connect(sock, ("proxy", 8080))
        task = yield from loopsim.spawn(reader())
        try:
            yield from loopsim.sendall(sock, bytes([97 + i]) * (4000 * i + 10))
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        yield from loopsim.join(task)
    finally:
        sock.close()

for i in range(6):
    loop.spawn(client(i), name=f"client{i}")
loop.run()
server2.close(); proxy.close()
assert net.open_sockets() == []
sys.stdout.write(net.trace.to_text())
'''


def run_session(seed: int, hashseed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    done = subprocess.run([sys.executable, "-c", SESSION, str(seed)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_trace_is_byte_identical_across_processes_and_hash_seeds():
    first = run_session(7, "0")
    second = run_session(7, "12345")
    assert first == second
    assert first.count("\n") > 200
    for op in ("select", "clock", "recv", "send", "accept", "connect_ex", "so_error", "shutdown", "close"):
        assert f" {op} " in first, op
    assert "ECONNRESET" in first and "EAGAIN" in first


def test_another_seed_gives_another_trace():
    assert run_session(8, "0") != run_session(7, "0")
