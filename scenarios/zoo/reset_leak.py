# scenarios.zoo.reset_leak: the bug "return on error, close on success" - a reset mid-response leaks both sockets.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""A socket leak on another error path: a reset in the middle of the exchange.

Bug: the proxy closes its two sockets at the end of the exchange, and
catches ``OSError`` around the exchange to turn a reset into a quiet end of
the session - by returning before the close. A peer that resets mid-response
(server2 crashing while it answers, a client vanishing) leaks both sockets.
A refused connect is handled right, so this is another path than
``refused_leak``'s.

Fix (``fixed``, the reference ``world.proxy``): the closes in a ``finally``.

Exposed by: a ``reset`` fault on a socket of the exchange (server2's side,
``server2:80<-*``, after some bytes of the reply; or the client's).
Property: the generic ``all_sockets_closed``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, connected, pick, proxy, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "reset fault mid-exchange"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "all_sockets_closed"


def _bug_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    try:
        request = yield from read_line(client)
    except OSError:
        client.close()
        return
    if not request.endswith(b"\n"):
        client.close()
        return
    try:
        upstream = yield from connected(new_socket, upstream_addr)
    except OSError:
        client.close()  # a refused connect: handled
        return
    try:
        yield from loopsim.sendall(upstream, request)
        reply = yield from read_line(upstream)
        yield from loopsim.sendall(client, reply)
    except OSError:
        return  # the bug: a reset mid-exchange returns before the closes below
    upstream.close()
    client.close()


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that leaks both sockets when a peer resets mid-exchange."""
    return (yield from serve(listener, max_sessions, _bug_session, upstream_addr, new_socket))


fixed = proxy  # the reference proxy: its closes are in a finally


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact",)  # type: ignore[attr-defined]
