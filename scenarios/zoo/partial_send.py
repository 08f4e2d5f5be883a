# scenarios.zoo.partial_send: the bug "one send() is not sendall()" - the tail of a partial send is dropped.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""Partial send drops the tail.

Bug: the proxy forwards the request to server2 and the reply to the client
with one ``loopsim.send`` each, which, like ``socket.send``, may take only
part of the data; the rest is silently dropped. server2 never sees the
request's newline, so no reply line comes back and the client waits in
vain (or, on the way back, gets a truncated reply).

Fix (``fixed``): ``loopsim.sendall``, which sends until everything went.

Exposed by: the per-call send size (an endpoint's ``max_send`` on the
proxy's sockets, or a small ``sndbuf``/``rcvbuf`` on the path), choice label
``send-size``. Property: ``replies_intact``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, close_all, connected, pick, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "send size (max_send) or small buffers"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "scenarios.zoo.properties:replies_intact"


def _session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any],
             sendall: bool) -> Generator[Any, Any, None]:
    upstream = None
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return  # the client left before its request was complete
        upstream = yield from connected(new_socket, upstream_addr)
        if sendall:
            yield from loopsim.sendall(upstream, request)
        else:
            yield from loopsim.send(upstream, request)  # the bug: may send only part of it
        reply = yield from read_line(upstream)
        if sendall:
            yield from loopsim.sendall(client, reply)
        else:
            yield from loopsim.send(client, reply)  # the bug, on the way back
    except OSError:
        return  # refused, reset: the client sees its connection close
    finally:
        close_all(upstream, client)


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy with one ``send`` per message."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, False))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy with ``sendall``."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, True))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = (PROPERTY,)  # type: ignore[attr-defined]
