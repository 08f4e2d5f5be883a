# scenarios.demo: a live demonstration - the correct proxy on loopback serving a burst of clients.
# Owns: run_demo. Imports: loopsim (loop layer), scenarios.apps, stdlib. `loopsim demo` names it by string.
"""``loopsim demo``: real sockets, real selector, one loop running server2, the proxy and clients."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Generator

import loopsim
from loopsim import Loop

__all__ = ["DemoResult", "run_demo", "loopback_listener"]


def loopback_listener(backlog: int = 1024) -> socket.socket:
    """A non-blocking TCP listener on 127.0.0.1 with an ephemeral port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class DemoResult:
    clients: int
    payload: int
    delay: float
    ok: int
    bytes_in: int
    bytes_out: int
    wall: float

    def summary(self) -> str:
        return (f"proxy served {self.ok}/{self.clients} clients on 127.0.0.1 "
                f"({self.payload} bytes each, server2 delay {self.delay}s): "
                f"{self.bytes_out} bytes out, {self.bytes_in} bytes back intact, {self.wall:.3f}s wall")


def _client(addr: Any, payload: bytes) -> Generator[Any, Any, bytes]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        yield from loopsim.connect(sock, addr)
        yield from loopsim.sendall(sock, payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while data := (yield from loopsim.recv(sock, 65536)):
            chunks.append(data)
        return b"".join(chunks)
    finally:
        sock.close()


def run_demo(clients: int = 50, payload: int = 10_000, delay: float = 0.05) -> DemoResult:
    """Run server2 (upper-casing, ``delay`` per chunk), the correct proxy and ``clients`` clients."""
    from .apps.echo import upper_server
    from .apps.proxy import proxy_server

    def new_socket() -> socket.socket:
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)

    def main() -> Generator[Any, Any, int]:
        s2 = loopback_listener()
        front = loopback_listener()
        try:
            yield from loopsim.spawn(upper_server(s2, delay, clients), name="server2")
            proxy = yield from loopsim.spawn(proxy_server(front, s2.getsockname(), new_socket, clients), name="proxy")
            tasks = []
            for i in range(clients):
                body = (b"client %d says hello; " % i) * (payload // 20 + 1)
                tasks.append((body[:payload], (yield from loopsim.spawn(_client(front.getsockname(), body[:payload]),
                                                                     name=f"client-{i}"))))
            ok = 0
            for body, task in tasks:
                if (yield from loopsim.join(task)) == body.upper():
                    ok += 1
            yield from loopsim.join(proxy)
            return ok
        finally:
            s2.close()
            front.close()

    start = time.perf_counter()
    with Loop() as loop:
        ok = loop.run_until_complete(main())
        loop.run()
    wall = time.perf_counter() - start
    return DemoResult(clients, payload, delay, ok, ok * payload, clients * payload, wall)
