# scenarios.apps.racy: a server with a planted ordering bug - right only if clients are served in arrival order.
# Owns: racy_server. Imports: loopsim (loop layer).
"""A planted ordering bug, for exploration to find.

The server hands out "tickets": each session waits for its client's request,
then takes the next ticket number from shared state. The author assumed that
the client that connected first is always served first, and returns the
ticket log in that belief; it is only wrong when ``select`` reports the
second client's request before the first client's - one interleaving of
many, which only an exploration of readiness order finds.
"""

from __future__ import annotations

from typing import Any, Generator

import loopsim

__all__ = ["racy_server"]


def racy_server(listener: Any, clients: int) -> Generator[Any, Any, list[str]]:
    """Serve ``clients`` clients; returns who got which ticket, in ticket order."""
    log: list[str] = []
    sessions = []
    for i in range(1, clients + 1):
        conn, _ = yield from loopsim.accept(listener)
        sessions.append((yield from loopsim.spawn(_session(conn, log), name=f"ticket-session-{i}")))
    for task in sessions:
        yield from loopsim.join(task)
    return log


def _session(conn: Any, log: list[str]) -> Generator[Any, Any, None]:
    try:
        request = yield from loopsim.recv(conn, 100)
        ticket = len(log) + 1
        log.append(request.decode())
        yield from loopsim.sendall(conn, b"ticket %d" % ticket)
    finally:
        conn.close()
