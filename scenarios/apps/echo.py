# scenarios.apps.echo: an echo server and a slow upper-casing "server2" on loopsim's loop layer.
# Owns: echo_server, echo_session, upper_server, upper_session. Imports: loopsim (loop layer).
"""Servers the proxies talk to: an echo server, and server2 (upper-cases, optionally slowly)."""

from __future__ import annotations

from typing import Any, Generator

import loopsim

__all__ = ["echo_server", "echo_session", "upper_server", "upper_session", "BUFSIZE"]

BUFSIZE = 65536


def echo_session(conn: Any) -> Generator[Any, Any, int]:
    """Echo every byte back until EOF; returns the number of bytes echoed. Closes ``conn``."""
    total = 0
    try:
        while True:
            data = yield from loopsim.recv(conn, BUFSIZE)
            if not data:
                return total
            yield from loopsim.sendall(conn, data)
            total += len(data)
    except OSError:
        return total
    finally:
        conn.close()


def upper_session(conn: Any, delay: float = 0.0) -> Generator[Any, Any, int]:
    """server2: reply to each chunk with it upper-cased, ``delay`` seconds later, until EOF."""
    total = 0
    try:
        while True:
            data = yield from loopsim.recv(conn, BUFSIZE)
            if not data:
                return total
            if delay:
                yield from loopsim.sleep(delay)
            yield from loopsim.sendall(conn, data.upper())
            total += len(data)
    except OSError:
        return total
    finally:
        conn.close()


def _serve(listener: Any, make_session: Any, max_sessions: int | None, name: str) -> Generator[Any, Any, int]:
    sessions = []
    served = 0
    while max_sessions is None or served < max_sessions:
        conn, _ = yield from loopsim.accept(listener)
        served += 1
        sessions.append((yield from loopsim.spawn(make_session(conn), name=f"{name}-{served}")))
    for task in sessions:
        yield from loopsim.join(task)
    return served


def echo_server(listener: Any, max_sessions: int | None = None) -> Generator[Any, Any, int]:
    """Accept clients and echo to each; returns the number served once ``max_sessions`` are done."""
    return (yield from _serve(listener, echo_session, max_sessions, "echo"))


def upper_server(listener: Any, delay: float = 0.0, max_sessions: int | None = None) -> Generator[Any, Any, int]:
    """server2: accept clients and upper-case what each sends, ``delay`` seconds per chunk."""
    return (yield from _serve(listener, lambda conn: upper_session(conn, delay), max_sessions, "server2"))
