# scenarios.zoo.busy_wait: the bug "wait for either readiness when you mean to read" - a spin on writability.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""Spinning on writability (a busy-wait).

Bug: the proxy waits for server2's reply with the seed's bare ``yield
sock``, which wakes when the socket is readable *or writable*, and retries
``recv`` on ``EAGAIN``. A connected socket with room in its send buffer is
always writable: until the reply arrives, the session wakes on every tick,
finds nothing to read and waits again - a busy loop that burns a core in a
real loop and keeps a simulated one at one instant.

Fix (``fixed``): ``loopsim.recv``, which waits for readability only.

Exposed by: anything that makes the reply take time - a ``latency`` on
server2's link (``server2:80``) or a slow link. Property: the generic
``terminates`` (the livelock guard reports the spin).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, BUFSIZE, CLIENTS, close_all, connected, pick, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "latency on server2"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "terminates"


def _spin_read_line(sock: Any) -> Generator[Any, Any, bytes]:
    chunks: list[bytes] = []
    while True:
        yield sock  # the bug: wakes when readable OR writable
        try:
            data = sock.recv(BUFSIZE)
        except BlockingIOError:
            continue  # woke because it was writable: spin
        if not data:
            break
        chunks.append(data)
        if b"\n" in data:
            break
    return b"".join(chunks)


def _session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any], spin: bool) -> Generator[Any, Any, None]:
    upstream = None
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return
        upstream = yield from connected(new_socket, upstream_addr)
        yield from loopsim.sendall(upstream, request)
        reply = yield from (_spin_read_line(upstream) if spin else read_line(upstream))
        yield from loopsim.sendall(client, reply)
    except OSError:
        return
    finally:
        close_all(upstream, client)


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that waits for the reply with a bare ``yield sock``."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, True))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that waits for readability."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, False))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact",)  # type: ignore[attr-defined]
