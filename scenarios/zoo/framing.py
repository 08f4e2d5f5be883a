# scenarios.zoo.framing: the bug "one recv() is one message" - a request split in two is cut short.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""Assuming one ``recv`` is the whole request (message framing).

Bug: the proxy takes what one ``recv`` returns as the client's whole
request, and what one ``recv`` returns from server2 as the whole reply. TCP
is a byte stream: a message may arrive in pieces. When it does, the proxy
forwards the first piece only and the client gets a truncated reply.

Fix (``fixed``, the reference ``world.proxy``): read until the message's
end, here the line's ``\\n`` (``read_line``), in both directions.

Exposed by: the per-call receive size (an endpoint's ``max_recv`` on the
proxy's sockets, choice label ``recv-size``), or anything that makes a
message arrive in several segments (the client's ``max_send`` with a
latency or bandwidth). Property: ``replies_intact``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, BUFSIZE, CLIENTS, close_all, connected, pick, proxy, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "recv size (max_recv)"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "scenarios.zoo.properties:replies_intact"


def _bug_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    upstream = None
    try:
        request = yield from loopsim.recv(client, BUFSIZE)  # the bug: one recv taken for the whole request
        if not request:
            return
        upstream = yield from connected(new_socket, upstream_addr)
        yield from loopsim.sendall(upstream, request)
        reply = yield from loopsim.recv(upstream, BUFSIZE)  # ... and for the whole reply
        yield from loopsim.sendall(client, reply)
    except OSError:
        return
    finally:
        close_all(upstream, client)


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that reads one ``recv`` per message."""
    return (yield from serve(listener, max_sessions, _bug_session, upstream_addr, new_socket))


fixed = proxy  # the reference proxy: it reads up to each message's end (world.read_line)


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = (PROPERTY,)  # type: ignore[attr-defined]
