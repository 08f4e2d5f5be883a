# scenarios.zoo.refused_leak: the bug "close on the happy path only" - a refused connect leaks its socket.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""A socket leak on a refused connect.

Bug: when server2 refuses the connection, the proxy closes the client's
socket and returns, forgetting the upstream socket it created for the
connect: it stays open (on a real system: one file descriptor lost per
refused request, until the process runs out).

Fix (``fixed``, the reference ``world.proxy``): close the upstream socket
in a ``finally`` that covers the connect too.

Exposed by: a ``refuse`` fault on server2's address (``server2:80``).
Property: the generic ``all_sockets_closed``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, pick, proxy, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "refuse fault on server2"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "all_sockets_closed"


def _bug_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return
        upstream = new_socket()
        upstream.setblocking(False)
        try:
            yield from loopsim.connect(upstream, upstream_addr)
        except OSError:
            return  # the bug: upstream is closed only once connected (the try/finally below)
        try:
            yield from loopsim.sendall(upstream, request)
            reply = yield from read_line(upstream)
            yield from loopsim.sendall(client, reply)
        finally:
            upstream.close()
    except OSError:
        return
    finally:
        client.close()


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that leaks the upstream socket of a refused connect."""
    return (yield from serve(listener, max_sessions, _bug_session, upstream_addr, new_socket))


fixed = proxy  # the reference proxy: one try/finally around the connect and the exchange


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact",)  # type: ignore[attr-defined]
