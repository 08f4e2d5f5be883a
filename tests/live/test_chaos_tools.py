"""`loopsim chaos` in front of real servers, driven by real clients nobody here wrote.

curl against ``python -m http.server`` and redis-cli / redis-benchmark against redis-server, each
through the chaos proxy with (a) a reset after N bytes, (b) one-byte segments, (c) 200 ms latency,
checking what the client sees. The proxy runs in this process (a thread), on ephemeral ports; every
server and client is a subprocess with a timeout, killed and reaped even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from loopsim.harness.chaos_proxy import ChaosProxy
from loopsim.harness.chaos_rules import ChaosRules
from loopsim.harness.scenario import parse_scenario

pytestmark = pytest.mark.live

TIMEOUT = 20.0  # no client or server may hang a test longer than this
INSTALL = {"curl": "apt-get install curl", "redis-server": "apt-get install redis-server",
           "redis-cli": "apt-get install redis-tools", "redis-benchmark": "apt-get install redis-tools"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; these tests need it: {INSTALL[name]} (.ci/run installs it)")
    return path


def scenario(network: str, upstream: str = "server2:80") -> str:
    return f"""format = "loopsim-scenario/1"
[app]
driver = "scenarios.drivers:proxy_world"
[network]
seed = 7
{network}
[expect]
result = {{ ok = 1 }}
"""


@contextlib.contextmanager
def chaos(network: str, upstream: tuple[str, int], trace: Path, as_name: str | None = None
          ) -> Iterator[tuple[int, ChaosProxy]]:
    """A chaos proxy with these ``[network]`` rules in a thread, listening on an ephemeral port."""
    sc = parse_scenario(scenario(network), "test.toml")
    assert sc.network is not None
    rules = ChaosRules.from_rows(sc.network, as_name, seed=sc.seed)
    with open(trace, "w", encoding="utf-8") as out:
        proxy = ChaosProxy(rules, ("127.0.0.1", 0), upstream, out)
        _, port = proxy.open()
        wake, stop = socket.socketpair()
        thread = threading.Thread(target=proxy.run, args=(stop,), daemon=True)
        thread.start()
        try:
            yield port, proxy
        finally:
            wake.send(b"x")
            thread.join(TIMEOUT)
            wake.close()
            stop.close()
            assert not thread.is_alive(), "the proxy did not stop"
            assert proxy.listener is None


@contextlib.contextmanager
def process(args: list[str], **kwargs: object) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(args, text=True, **kwargs)  # type: ignore[call-overload]
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_connectable(port: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)


def sends(trace: Path, sock: str) -> list[int]:
    """The byte counts of every send the proxy made on ``sock``, from its trace."""
    pattern = re.compile(rf"^\S+ {re.escape(sock)} send \(<(\d+) bytes")
    return [int(m.group(1)) for line in trace.read_text().splitlines() if (m := pattern.match(line))]


# -- curl against python -m http.server ------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 12  # 3072 bytes, every byte value


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    root = tmp_path_factory.mktemp("www")
    (root / "file.bin").write_bytes(PAYLOAD)
    with process([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        match = re.search(r"port (\d+)", line)
        assert match, line
        yield ("127.0.0.1", int(match.group(1)))


def curl(port: int, out: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """curl the file through the proxy; its result and the bytes it received (headers and body)."""
    result = run([tool("curl"), "-s", "-o", str(out), "-w", "%{size_header} %{size_download}",
                  "--max-time", str(TIMEOUT), f"http://127.0.0.1:{port}/file.bin"])
    header, body = result.stdout.split()
    return result, int(header) + int(body)


def test_curl_sees_a_reset_after_n_bytes(http_server: tuple[str, int], tmp_path: Path) -> None:
    rules = '[[network.fault]]\nkind = "reset"\ntarget = "server2:80<-*"\nafter_bytes = 1000'
    with chaos(rules, http_server, tmp_path / "trace") as (port, _):
        result, received = curl(port, tmp_path / "got")
    assert result.returncode == 56, result  # CURLE_RECV_ERROR: "Connection reset by peer"
    assert received == 1000
    assert sum(sends(tmp_path / "trace", "server2:80<-client#1")) == 1000
    assert "server2:80<-client#1 fault ('reset', 'after_bytes', 1000) -> 'network.fault[0]'" in (
        tmp_path / "trace").read_text()


def test_curl_gets_the_whole_file_in_one_byte_segments(http_server: tuple[str, int], tmp_path: Path) -> None:
    rules = '[[network.endpoint]]\npattern = "server2:80<-*"\nmax_send = 1'
    with chaos(rules, http_server, tmp_path / "trace") as (port, _):
        result, received = curl(port, tmp_path / "got")
    assert result.returncode == 0, result
    assert (tmp_path / "got").read_bytes() == PAYLOAD
    counts = sends(tmp_path / "trace", "server2:80<-client#1")
    assert counts == [1] * received  # one send per byte, headers and body
    assert received > len(PAYLOAD)


def test_curl_through_200ms_latency_takes_two_latencies_or_more(http_server: tuple[str, int],
                                                                tmp_path: Path) -> None:
    rules = '[[network.link]]\naddr = "server2:80"\nlatency = 0.2'
    with chaos(rules, http_server, tmp_path / "trace") as (port, _):
        start = time.monotonic()
        result, _ = curl(port, tmp_path / "got")
        elapsed = time.monotonic() - start
    assert result.returncode == 0, result
    assert (tmp_path / "got").read_bytes() == PAYLOAD
    assert elapsed >= 0.4  # the request waits 200 ms on its way, the reply 200 ms on its way back
    assert re.search(r"client#1 delay \(\d+,\) -> ", (tmp_path / "trace").read_text())


# -- redis-cli and redis-benchmark against redis-server --------------------------------------------

VALUE = "v" * 1000


@pytest.fixture(scope="module")
def redis() -> Iterator[tuple[str, int]]:
    port = free_port()
    with process([tool("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        wait_connectable(port)
        result = run([tool("redis-cli"), "-p", str(port), "set", "k", VALUE])
        assert result.stdout.strip() == "OK", result
        yield ("127.0.0.1", port)


def test_redis_cli_sees_a_reset_after_n_bytes(redis: tuple[str, int], tmp_path: Path) -> None:
    rules = '[[network.fault]]\nkind = "reset"\ntarget = "redis:6379<-*"\nafter_bytes = 100'
    with chaos(rules, redis, tmp_path / "trace", as_name="redis:6379") as (port, _):
        small = run([tool("redis-cli"), "-p", str(port), "ping"])
        big = run([tool("redis-cli"), "-p", str(port), "get", "k"])
    assert small.stdout.strip() == "PONG"  # 7 bytes: under the threshold
    assert big.returncode != 0 and "Connection reset by peer" in big.stderr, big
    assert VALUE not in big.stdout
    assert sends(tmp_path / "trace", "redis:6379<-client#2") and sum(sends(tmp_path / "trace",
                                                                        "redis:6379<-client#2")) == 100


def test_redis_benchmark_stops_on_a_reset(redis: tuple[str, int], tmp_path: Path) -> None:
    rules = '[[network.fault]]\nkind = "reset"\ntarget = "redis:6379<-*"\nafter_bytes = 2000'
    with chaos(rules, redis, tmp_path / "trace", as_name="redis:6379") as (port, _):
        result = run([tool("redis-benchmark"), "-p", str(port), "-n", "1000", "-c", "1", "-t", "ping", "-q"])
    assert result.returncode != 0, result
    assert "Connection reset by peer" in result.stdout + result.stderr, result


def test_redis_in_one_byte_segments_both_ways(redis: tuple[str, int], tmp_path: Path) -> None:
    rules = '[[network.endpoint]]\npattern = "*"\nmax_send = 1'
    with chaos(rules, redis, tmp_path / "trace", as_name="redis:6379") as (port, proxy):
        got = run([tool("redis-cli"), "-p", str(port), "get", "k"])
        bench = run([tool("redis-benchmark"), "-p", str(port), "-n", "200", "-c", "2", "-t", "set,get", "-q"])
    assert got.returncode == 0 and got.stdout.strip() == VALUE, got
    assert bench.returncode == 0, bench
    assert re.search(r"SET: [\d.]+ requests per second", bench.stdout), bench.stdout
    assert re.search(r"GET: [\d.]+ requests per second", bench.stdout), bench.stdout
    trace = tmp_path / "trace"
    assert set(sends(trace, "redis:6379<-client#1")) == {1}  # redis's reply, a byte per segment
    assert set(sends(trace, "client#1")) == {1}  # redis-cli's command, a byte per segment
    assert proxy.connections >= 3  # redis-cli, and redis-benchmark's clients


def test_redis_cli_through_200ms_latency(redis: tuple[str, int], tmp_path: Path) -> None:
    rules = '[[network.link]]\naddr = "redis:6379"\nlatency = 0.2'
    with chaos(rules, redis, tmp_path / "trace") as (port, _):
        start = time.monotonic()
        result = run([tool("redis-cli"), "-p", str(port), "ping"])
        elapsed = time.monotonic() - start
    assert result.stdout.strip() == "PONG", result
    assert elapsed >= 0.4


# -- the command itself: a subprocess, stopped by a signal ----------------------------------------

@pytest.mark.parametrize("sig", ["SIGTERM", pytest.param("SIGINT", marks=pytest.mark.slow)])
def test_the_command_stops_on_a_signal_and_closes_every_socket(http_server: tuple[str, int], tmp_path: Path,
                                                               sig: str) -> None:
    import signal

    path = tmp_path / "s.toml"
    path.write_text(scenario('[[network.fault]]\nkind = "black_hole"\ntarget = "server2:80"'))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    with process([sys.executable, "-m", "loopsim.cli", "chaos", str(path), "--listen", "127.0.0.1:0",
                  "--upstream", f"{http_server[0]}:{http_server[1]}", "--trace", str(tmp_path / "trace")],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        line = proc.stdout.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+) as server2:80", line).group(1))  # type: ignore[union-attr]
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as held:
            held.sendall(b"GET / HTTP/1.0\r\n\r\n")  # swallowed: a black hole never answers
            held.settimeout(0.3)
            with pytest.raises(socket.timeout):
                held.recv(1)
            proc.send_signal(getattr(signal, sig))
            held.settimeout(TIMEOUT)
            assert held.recv(1) == b""  # the proxy closed its side on the way out
            assert proc.wait(TIMEOUT) == 0
        assert "stopped after 1 connection(s)" in proc.stdout.read()
    trace = (tmp_path / "trace").read_text()
    assert "server2:80<-client#1 decide ('connect',) -> ('black_hole', 'network.fault[0]')" in trace
    assert "server2:80<-client#1 close () -> None" in trace
    assert trace.rstrip().endswith("server2:80 close () -> None")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
