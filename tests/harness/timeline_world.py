# tests.harness.timeline_world: a small server of the tests' own (not a bundled scenario) for the timeline tests.
# Owns: world (the driver), SERVER. Imports: loopsim.
"""A word-count server: each client sends words, the server answers the count of bytes it got and closes.

``clients`` clients connect; ``words`` words each. Client ``crash`` (if > 0)
raises after its reply (a task ending in an error); a sleeper task is cancelled
at the end (a task ending cancelled). With one-byte segments
(``max_send = 1``) a few clients make thousands of events.
"""

from __future__ import annotations

from typing import Any, Generator

import loopsim

__all__ = ["world", "SERVER"]

SERVER = ("counter", 7)


def _serve(conn: Any) -> Generator[Any, Any, int]:
    got = 0
    try:
        while True:
            data = yield from loopsim.recv(conn, 4096)
            if not data:
                break
            got += len(data)
        yield from loopsim.sendall(conn, b"%d\n" % got)
        return got
    finally:
        conn.close()


def _server(listener: Any, clients: int) -> Generator[Any, Any, int]:
    served = []
    for _ in range(clients):
        conn, _addr = yield from loopsim.accept(listener)
        served.append((yield from loopsim.spawn(_serve(conn), name=f"serve-{conn.name}")))
    total = 0
    for task in served:
        try:
            total += yield from loopsim.join(task)
        except OSError:  # that client's connection was reset: the others still count
            pass
    return total


def _client(net: Any, i: int, words: int, crash: bool) -> Generator[Any, Any, int]:
    sock = net.socket(f"client#{i}")
    try:
        yield from loopsim.connect(sock, SERVER)
        body = b"".join(b"word%d " % n for n in range(words))
        yield from loopsim.sendall(sock, body)
        sock.shutdown(1)
        reply = b""
        while True:
            data = yield from loopsim.recv(sock, 4096)
            if not data:
                break
            reply += data
        if crash:
            raise RuntimeError(f"client {i} chose to crash after reading {reply!r}")
        return int(reply)
    finally:
        sock.close()


def _sleeper() -> Generator[Any, Any, None]:
    yield from loopsim.sleep(3600.0)


def world(net: Any, *, clients: int = 2, words: int = 3, crash: int = 0) -> Generator[Any, Any, dict[str, int]]:
    """The server, ``clients`` clients and a sleeper; returns ``{"clients": n, "ok": k, "total": bytes}``."""
    listener = net.listen(SERVER)
    try:
        sleeper = yield from loopsim.spawn(_sleeper(), name="sleeper")
        server = yield from loopsim.spawn(_server(listener, clients), name="server")
        tasks = []
        for i in range(1, clients + 1):
            tasks.append((yield from loopsim.spawn(_client(net, i, words, i == crash), name=f"client-{i}")))
        ok = 0
        for task in tasks:
            try:
                yield from loopsim.join(task)
                ok += 1
            except (RuntimeError, OSError):
                pass
        total = yield from loopsim.join(server)
        sleeper.cancel()
        return {"clients": clients, "ok": ok, "total": total}
    finally:
        listener.close()


world.loopsim_args = {"clients": "clients", "words": "count", "crash": "count"}  # type: ignore[attr-defined]
