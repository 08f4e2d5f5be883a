# scenarios.zoo.lost_update: the bug "read, wait, write back" - concurrent sessions lose counter updates.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""A lost update across a yield.

Bug: the proxy counts the sessions it served. Each session reads the counter
when it starts (to number itself in its log line), does its exchange with
server2 - which waits - and writes ``number + 1`` back when it is done. Two
sessions whose exchanges overlap read the same number, and the second write
undoes the first: the counter says fewer sessions were served than clients
got their replies.

Fix (``fixed``): read and write in one step, with no yield between -
``stats["served"] += 1`` once the reply is sent.

Exposed by: anything that makes two sessions overlap in time - a latency on
server2's link (``server2:80``) longer than the millisecond between two
clients, a slow link; in worlds where all sessions are instantaneous (the
default), they never overlap. Property: ``counter_consistent``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, close_all, connected, pick, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "latency on server2"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "scenarios.zoo.properties:counter_consistent"


def _session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any], stats: dict[str, int],
             racy: bool) -> Generator[Any, Any, None]:
    upstream = None
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return
        number = stats["served"] + 1  # this session's number, for the log
        upstream = yield from connected(new_socket, upstream_addr)
        yield from loopsim.sendall(upstream, request)
        reply = yield from read_line(upstream)
        yield from loopsim.sendall(client, reply)
        if racy:
            stats["served"] = number  # the bug: a write-back of what was read before the yields
        else:
            stats["served"] += 1  # read and written in one step
    except OSError:
        return
    finally:
        close_all(upstream, client)


def _server(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int,
            racy: bool) -> Generator[Any, Any, dict[str, int]]:
    stats = {"served": 0}
    yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, stats, racy)
    return stats


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any],
        max_sessions: int) -> Generator[Any, Any, dict[str, int]]:
    """The proxy whose sessions write back a counter they read before waiting."""
    return (yield from _server(listener, upstream_addr, new_socket, max_sessions, True))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any],
          max_sessions: int) -> Generator[Any, Any, dict[str, int]]:
    """The proxy that increments the counter in one step."""
    return (yield from _server(listener, upstream_addr, new_socket, max_sessions, False))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact", PROPERTY)  # type: ignore[attr-defined]
