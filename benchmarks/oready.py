"""O(ready) benchmark: one proxy session's cost beside 10 and beside 5,000 idle connections.

What it measures: in one loopsim loop on its default selector (on Linux the loop's own
epoll selector, loopsim/loop/epoll.py), a client task sends a request through the correct
proxy (scenarios.apps.proxy.proxy_server) to an upper-casing server2
(scenarios.apps.echo.upper_server) and reads the reply, all over loopback TCP; one session
at a time, SESSIONS times. Beside them sit IDLE real socketpairs, each with a task
waiting to read. The time per session (the process's CPU time, user + system: everything
runs in this one process, and CPU time is not disturbed by other processes on a shared
machine as wall time is) is measured with 10 and with 5,000 idle connections, alternately,
ROUNDS rounds; the summary is the ratio of the medians
(5000-idle / 10-idle). A loop whose tick costs O(ready) gives about 1.0; target <= 1.3.

    python benchmarks/oready.py [--sessions 2000] [--rounds 3] [--idle 5000]

Raises the soft RLIMIT_NOFILE to the hard limit (5,000 idle socketpairs are 10,000 fds).
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after site-packages

import loopsim  # noqa: E402
from scenarios.apps.echo import upper_server  # noqa: E402
from scenarios.apps.proxy import proxy_server  # noqa: E402

REQUEST = b"get the value of key:000042, please\r\n" * 4


def listening() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def client(addr) -> loopsim.loop.ops.Op[bytes]:
    sock = socket.socket()
    sock.setblocking(False)
    try:
        yield from loopsim.connect(sock, addr)
        yield from loopsim.sendall(sock, REQUEST)
        sock.shutdown(socket.SHUT_WR)
        reply = bytearray()
        while data := (yield from loopsim.recv(sock, 65536)):
            reply += data
        return bytes(reply)
    finally:
        sock.close()


def idle_reader(sock: socket.socket) -> loopsim.loop.ops.Op[None]:
    yield from loopsim.recv(sock, 1)  # nothing ever comes: it waits until cancelled


def time_sessions(n_idle: int, sessions: int) -> float:
    """CPU seconds per proxy session beside ``n_idle`` idle waiting connections."""
    pairs = []
    for _ in range(n_idle):
        a, b = socket.socketpair()
        a.setblocking(False)
        pairs.append((a, b))
    proxy_l, server2_l = listening(), listening()
    result = {}

    def main():
        idle = []
        for a, _ in pairs:
            idle.append((yield from loopsim.spawn(idle_reader(a))))
        servers = [
            (yield from loopsim.spawn(upper_server(server2_l), name="server2")),
            (yield from loopsim.spawn(proxy_server(proxy_l, server2_l.getsockname(), socket.socket), name="proxy")),
        ]
        addr = proxy_l.getsockname()
        for _ in range(20):  # warm up: every idle reader is registered, caches are hot
            assert (yield from loopsim.join((yield from loopsim.spawn(client(addr))))) == REQUEST.upper()
        start = time.process_time()
        for _ in range(sessions):
            reply = yield from loopsim.join((yield from loopsim.spawn(client(addr))))
            if reply != REQUEST.upper():
                raise SystemExit(f"wrong reply: {reply[:60]!r}")
        result["per_session"] = (time.process_time() - start) / sessions
        for task in idle + servers:
            task.cancel()

    try:
        loopsim.run(main())
    finally:
        proxy_l.close()
        server2_l.close()
        for a, b in pairs:
            a.close()
            b.close()
    return result["per_session"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=int, default=5000)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = 2 * args.idle + 100
    if hard != resource.RLIM_INFINITY and need > hard:
        raise SystemExit(f"{args.idle} idle socketpairs need {need} fds; the hard limit is {hard}")

    few, many = 10, args.idle
    times: dict[int, list[float]] = {few: [], many: []}
    print(f"{args.sessions} proxy sessions (client -> proxy -> server2 -> back, loopback TCP, one loop), "
          f"beside {few} and {many} idle connections, {args.rounds} rounds (alternating)")
    for r in range(args.rounds):
        for n in ((few, many) if r % 2 == 0 else (many, few)):
            t = time_sessions(n, args.sessions)
            times[n].append(t)
            print(f"  round {r + 1} idle={n:5d}  {t * 1e6:8.1f} us CPU/session", flush=True)
    a, b = statistics.median(times[few]), statistics.median(times[many])
    ratio = b / a
    print(f"median idle={few}: {a * 1e6:.1f} us CPU/session; idle={many}: {b * 1e6:.1f} us CPU/session")
    verdict = "PASS" if ratio <= 1.3 else "FAIL"
    print(f"SUMMARY oready: time per session {many}-idle / {few}-idle = {ratio:.2f} (target <= 1.3, {verdict})")


if __name__ == "__main__":
    main()
