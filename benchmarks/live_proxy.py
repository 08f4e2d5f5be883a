"""Live proxy benchmark: loopsim's correct proxy against an asyncio Protocol proxy, in front of Redis.

What it measures: for each proxy, the throughput (ops/s that ``redis-benchmark -t set,get
-c 50`` reports through it) and the proxy process's own CPU time per request (utime+stime
from /proc/PID/stat, read before and after each run). Both proxies run in their own child
process, forward to the same redis-server, and are measured alternately, ROUNDS rounds.
Printed at the end: the median ratios asyncio/loopsim CPU per request (>= 1.0 means loopsim
spends no more CPU per request than asyncio) and loopsim/asyncio ops/s.

    python benchmarks/live_proxy.py [-n REQUESTS] [--rounds 3]

Needs redis-server and redis-benchmark (installed with apt-get if missing, as root).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 50


# -- the two proxies (each runs in its own child process: this file with --serve) ----------------


def serve_loopsim(upstream_port: int) -> None:
    sys.path.append(str(ROOT))  # after site-packages: an installed (compiled) loopsim wins
    import loopsim
    from scenarios.apps.proxy import proxy_server

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets, as asyncio sets it
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    listener.setblocking(False)
    print(listener.getsockname()[1], flush=True)

    def new_socket() -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    loop = loopsim.Loop()  # the loop's own selector (on Linux its epoll one, polled raw), as asyncio uses its own
    loop.run_until_complete(proxy_server(listener, ("127.0.0.1", upstream_port), new_socket))


def serve_asyncio(upstream_port: int) -> None:
    import asyncio

    class Upstream(asyncio.Protocol):
        def __init__(self, client: Client) -> None:
            self.client = client

        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.client.transport.write(data)

        def eof_received(self):
            if self.client.transport.can_write_eof():
                self.client.transport.write_eof()
            return True

        def connection_lost(self, exc):
            self.client.transport.close()

        def pause_writing(self):
            self.client.transport.pause_reading()

        def resume_writing(self):
            self.client.transport.resume_reading()

    class Client(asyncio.Protocol):
        upstream = None

        def connection_made(self, transport):
            self.transport = transport
            transport.pause_reading()  # until server2 is connected
            asyncio.get_running_loop().create_task(self.connect())

        async def connect(self):
            loop = asyncio.get_running_loop()
            try:
                _, self.upstream = await loop.create_connection(lambda: Upstream(self), "127.0.0.1", upstream_port)
            except OSError:
                self.transport.close()
                return
            self.transport.resume_reading()

        def data_received(self, data):
            self.upstream.transport.write(data)

        def eof_received(self):
            if self.upstream is not None:
                self.upstream.transport.write_eof()
            return True

        def connection_lost(self, exc):
            if self.upstream is not None:
                self.upstream.transport.close()

        def pause_writing(self):
            if self.upstream is not None:
                self.upstream.transport.pause_reading()

        def resume_writing(self):
            if self.upstream is not None:
                self.upstream.transport.resume_reading()

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Client, "127.0.0.1", 0, backlog=512)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


# -- the harness -------------------------------------------------------------------------------------


def ensure_redis() -> None:
    if shutil.which("redis-server") and shutil.which("redis-benchmark"):
        return
    print("installing redis-server and redis-tools with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server", "redis-tools"], check=True, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on port {port}")


def start_proxy(kind: str, upstream_port: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(upstream_port)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    port = int(proc.stdout.readline())
    wait_listening(port, proc, f"{kind} proxy")
    return proc, port


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid``, in seconds (from /proc/PID/stat, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def run_benchmark(port: int, n: int) -> float:
    """Run redis-benchmark through ``port``; returns the mean of the SET and GET requests per second."""
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get", "-c", str(CLIENTS),
                          "-n", str(n), "-q"], capture_output=True, text=True, check=True).stdout
    rates = [float(x) for x in re.findall(r"([\d.]+) requests per second", out.replace("\r", "\n"))]
    if len(rates) != 2:
        raise SystemExit(f"unexpected redis-benchmark output:\n{out}")
    return statistics.mean(rates)


def measure(proc: subprocess.Popen, port: int, n: int) -> tuple[float, float]:
    """(ops/s, CPU microseconds per request) of one redis-benchmark run through a proxy."""
    before = cpu_seconds(proc.pid)
    ops = run_benchmark(port, n)
    cpu = cpu_seconds(proc.pid) - before
    return ops, cpu / (2 * n) * 1e6  # SET and GET: 2n requests


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="requests per redis-benchmark test (default 100000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "UPSTREAM_PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        kind, upstream = args.serve
        {"loopsim": serve_loopsim, "asyncio": serve_asyncio}[kind](int(upstream))
        return

    ensure_redis()
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--daemonize", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [redis]
    try:
        wait_listening(redis_port, redis, "redis-server")
        proxies = {}
        for kind in ("loopsim", "asyncio"):
            proc, port = start_proxy(kind, redis_port)
            procs.append(proc)
            proxies[kind] = (proc, port)
        for kind, (proc, port) in proxies.items():  # warm up (and check the path works)
            measure(proc, port, min(args.n, 5000))
        results: dict[str, list[tuple[float, float]]] = {"loopsim": [], "asyncio": []}
        print(f"redis-benchmark -t set,get -c {CLIENTS} -n {args.n} -q, through each proxy, "
              f"{args.rounds} rounds (alternating)")
        for r in range(args.rounds):
            order = ("loopsim", "asyncio") if r % 2 == 0 else ("asyncio", "loopsim")
            for kind in order:
                proc, port = proxies[kind]
                ops, us = measure(proc, port, args.n)
                results[kind].append((ops, us))
                print(f"  round {r + 1} {kind:8s} {ops:10.0f} ops/s  {us:7.2f} us CPU/request", flush=True)
        cpu_ratios = [a[1] / l[1] for l, a in zip(results["loopsim"], results["asyncio"])]
        ops_ratios = [l[0] / a[0] for l, a in zip(results["loopsim"], results["asyncio"])]
        for kind in ("loopsim", "asyncio"):
            ops = statistics.median(x[0] for x in results[kind])
            us = statistics.median(x[1] for x in results[kind])
            print(f"median {kind:8s} {ops:10.0f} ops/s  {us:7.2f} us CPU/request")
        cpu_ratio, ops_ratio = statistics.median(cpu_ratios), statistics.median(ops_ratios)
        verdict = "PASS" if cpu_ratio >= 1.0 else "FAIL"
        print(f"SUMMARY live_proxy: asyncio/loopsim CPU per request = {cpu_ratio:.2f} (target >= 1.0, {verdict}); "
              f"loopsim/asyncio ops/s = {ops_ratio:.2f}")
    finally:
        for proc in reversed(procs):
            stop(proc)


if __name__ == "__main__":
    main()
