# scenarios.zoo.jitter_race: the bug "replies are owed in connection order" - a pipelined upstream mixes up replies
# when two clients' requests arrive in the other order. Owns: bug, fixed, world. Imports: loopsim, scenarios.zoo.world.
"""A race that needs timing jitter between two connections.

The proxy keeps one connection to server2 and pipelines every client's
request on it; server2 answers the requests in the order they came, and a
dispatcher task hands each reply line to the client at the head of a queue
of waiting clients.

Bug: a client takes its place in that queue when its connection is
accepted, while its request goes upstream when it has arrived. Whenever the
requests arrive in connection order the two orders agree and every client
gets its own reply. When a later client's request overtakes an earlier
one's - the connections' timing differs by a millisecond - the replies go to
the wrong clients. (A client that leaves before its request is complete
gives up its place: that path is handled.)

Fix (``fixed``): a client takes its place in the queue in the same step as
its request is handed to the upstream writer, so both follow one order.

Exposed by: per-connection or per-segment latency jitter (the clients of
the generic world start a millisecond apart, over identical links, so
without jitter their requests arrive in connection order, at different
instants - the select order cannot swap them); or, rarely, by requests that
pile up unread and are then read in another order: a slow connect to
server2 keeps the proxy from accepting until all three requests are there,
and the select order with ranged per-call receive sizes decides whose is
complete first. Property: ``replies_intact``.
"""

from __future__ import annotations

import socket
from collections import deque
from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, BUFSIZE, CLIENTS, close_all, connected, pick, read_line, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "latency jitter; rarely select order + recv sizes after a slow start"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "scenarios.zoo.properties:replies_intact"


class _Pipeline:
    """The shared upstream connection, the clients owed a reply (in reply order), the last queued send."""

    def __init__(self, upstream: Any) -> None:
        self.upstream = upstream
        self.waiting: deque[Any] = deque()
        self.last_send: loopsim.Task | None = None


def _send_after(previous: loopsim.Task | None, upstream: Any, request: bytes) -> Generator[Any, Any, None]:
    """Send ``request`` upstream once the previous request is sent: one writer at a time."""
    if previous is not None:
        try:
            yield from loopsim.join(previous)
        except Exception:
            pass  # its error is its own
    try:
        yield from loopsim.sendall(upstream, request)
    except OSError:
        pass  # the upstream failed: the dispatcher closes the clients owed a reply


def _dispatch(pipe: _Pipeline) -> Generator[Any, Any, None]:
    """Hand each reply line from server2 to the client at the head of the queue, then close that client."""
    buffer = b""
    try:
        while True:
            data = yield from loopsim.recv(pipe.upstream, BUFSIZE)
            if not data:
                return
            buffer += data
            while b"\n" in buffer and pipe.waiting:
                line, buffer = buffer.split(b"\n", 1)
                client = pipe.waiting.popleft()
                try:
                    yield from loopsim.sendall(client, line + b"\n")
                except OSError:
                    pass  # that client is gone
                finally:
                    client.close()
    except OSError:
        return  # server2 failed: the server closes the clients still waiting


def _session(client: Any, pipe: _Pipeline, queued_at_accept: bool) -> Generator[Any, Any, None]:
    handed_over = queued_at_accept  # whoever is in pipe.waiting is closed by the dispatcher or the server
    try:
        try:
            request = yield from read_line(client)
        except OSError:
            request = b""
        if not request.endswith(b"\n"):
            if queued_at_accept:
                pipe.waiting.remove(client)  # the client left: it gives up its place
                handed_over = False
            return
        if not queued_at_accept:
            pipe.waiting.append(client)  # the fix: its place in the same step as its request's
            handed_over = True
        pipe.last_send = yield from loopsim.spawn(_send_after(pipe.last_send, pipe.upstream, request),
                                                  name="send-upstream")
    finally:
        if not handed_over:
            client.close()


def _server(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int,
            queued_at_accept: bool) -> Generator[Any, Any, int]:
    tasks: list[loopsim.Task] = []
    pipe = _Pipeline(None)
    try:
        try:
            pipe.upstream = yield from connected(new_socket, upstream_addr)
        except OSError:
            pass  # server2 unreachable: each client is closed when it comes
        if pipe.upstream is not None:
            tasks.append((yield from loopsim.spawn(_dispatch(pipe), name="dispatch")))
        sessions = []
        for i in range(1, max_sessions + 1):
            conn, _ = yield from loopsim.accept(listener)
            if pipe.upstream is None:
                conn.close()
                continue
            if queued_at_accept:
                pipe.waiting.append(conn)  # the bug: its place in reply order is its connection order
            sessions.append((yield from loopsim.spawn(_session(conn, pipe, queued_at_accept), name=f"session-{i}")))
        tasks += sessions
        for task in sessions:
            yield from loopsim.join(task)
        if pipe.last_send is not None:
            yield from loopsim.join(pipe.last_send)
        if pipe.upstream is not None:
            try:
                pipe.upstream.shutdown(socket.SHUT_WR)  # no more requests: server2 answers the rest, then EOF
            except OSError:
                pass
            yield from loopsim.join(tasks[0])
        return max_sessions
    finally:
        for task in tasks:
            task.cancel()
        if pipe.last_send is not None:
            pipe.last_send.cancel()
        close_all(pipe.upstream, *pipe.waiting)


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The pipelining proxy that queues a client for its reply when it connects."""
    return (yield from _server(listener, upstream_addr, new_socket, max_sessions, True))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The pipelining proxy that queues a client for its reply when its request goes upstream."""
    return (yield from _server(listener, upstream_addr, new_socket, max_sessions, False))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = (PROPERTY,)  # type: ignore[attr-defined]
