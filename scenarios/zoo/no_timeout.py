# scenarios.zoo.no_timeout: the bug "wait for server2 forever" - a black-holed upstream hangs the session.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""No timeout on a black-holed upstream.

Bug: the proxy waits for server2's reply without a deadline. When server2's
address swallows everything (a firewall dropping packets, a dead host
behind a load balancer: the connect succeeds, nothing ever comes back), the
session waits forever, holding the client, who eventually gives up.

Fix (``fixed``): the whole session under ``loopsim.timeout(SESSION_TIMEOUT,
...)``; when it fires, the client's connection is closed, a clean answer it
can act on.

Exposed by: a ``black_hole`` fault on server2's address (``server2:80``).
Property: ``answered_in_time`` (every client got its reply or a clean close
before it gave up).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, SESSION_TIMEOUT, pick, serve, session, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "black_hole fault on server2"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "scenarios.zoo.properties:answered_in_time"


def _bug_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    yield from session(client, upstream_addr, new_socket)  # the bug: no deadline


def _fixed_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    try:
        yield from loopsim.timeout(SESSION_TIMEOUT, session(client, upstream_addr, new_socket))
    except loopsim.Timeout:
        pass  # the session's finally closed both sockets: the client sees a clean close


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy without a session deadline."""
    return (yield from serve(listener, max_sessions, _bug_session, upstream_addr, new_socket))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy whose sessions end after ``SESSION_TIMEOUT`` seconds at most."""
    return (yield from serve(listener, max_sessions, _fixed_session, upstream_addr, new_socket))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact", PROPERTY)  # type: ignore[attr-defined]
