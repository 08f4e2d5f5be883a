# scenarios.zoo.timeout_leak: the bug "except Exception does not see a cancellation" - a timeout leaks a socket.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""A timeout that cancels but leaks.

Bug: the proxy bounds its upstream exchange with ``loopsim.timeout``, and
the exchange closes its upstream socket on success and in ``except
Exception`` on failure. A timeout throws ``loopsim.Cancelled`` into the
exchange, and ``Cancelled`` is a ``BaseException`` (as in asyncio and
trio): the ``except Exception`` does not run, the socket stays open. The
client is answered (a clean close), so only the leak shows.

Fix (``fixed``): close the socket in a ``finally``, which runs on
cancellation too.

Exposed by: anything that makes the timeout fire - a ``black_hole`` fault on
server2's address (``server2:80``). Property: the generic
``all_sockets_closed``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, SESSION_TIMEOUT, connected, pick, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "black_hole fault on server2"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "all_sockets_closed"


def _bug_exchange(request: bytes, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, bytes]:
    upstream = yield from connected(new_socket, upstream_addr)
    try:
        yield from loopsim.sendall(upstream, request)
        reply = yield from read_line(upstream)
    except Exception:  # the bug: a timeout's Cancelled is a BaseException and passes by
        upstream.close()
        raise
    upstream.close()
    return reply


def _fixed_exchange(request: bytes, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, bytes]:
    upstream = yield from connected(new_socket, upstream_addr)
    try:
        yield from loopsim.sendall(upstream, request)
        return (yield from read_line(upstream))
    finally:  # runs on cancellation too
        upstream.close()


def _session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any], exchange: Any) -> Generator[Any, Any, None]:
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return
        reply = yield from loopsim.timeout(SESSION_TIMEOUT, exchange(request, upstream_addr, new_socket))
        yield from loopsim.sendall(client, reply)
    except (OSError, loopsim.Timeout):
        return  # the client sees a clean close
    finally:
        client.close()


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy whose timed-out exchange leaks its upstream socket."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, _bug_exchange))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy whose exchange closes its socket in a ``finally``."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, _fixed_exchange))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact",  # type: ignore[attr-defined]
                            "scenarios.zoo.properties:answered_in_time")
