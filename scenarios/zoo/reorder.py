# scenarios.zoo.reorder: the bug "one task per chunk" - chunks forwarded by separate tasks arrive out of order.
# Owns: bug, fixed, world, CHUNK. Imports: loopsim (loop layer), scenarios.zoo.world.
"""Chunks reordered by one task per chunk.

Bug: to forward the request "without waiting", the proxy spawns a task per
chunk it reads from the client (it reads ``CHUNK`` bytes at a time, every
chunk that is there, then waits for more), each task sending its chunk to
server2 with ``sendall``. A FIFO loop runs the tasks in the order they were
spawned, and while every send completes at once the chunks go in order. As
soon as one chunk's ``sendall`` must wait for buffer space, the next chunk's
task sends first and its bytes overtake the rest of the earlier chunk; and a
loop that runs ready tasks in another order sends the chunks in that order.
server2 gets the request scrambled, the client a corrupted reply.

Fix (``fixed``): one writer - the session sends each chunk itself, in order,
before reading the next.

Exposed by: the ready-order choice point (the chunk tasks of one request
are ready at the same tick), or a full send buffer on the upstream
connection - which takes two settings at once, a small ``sndbuf`` on the
proxy's socket (``proxy#*``) *and* a small ``rcvbuf`` on server2's
(``server2:80<-*``), since a direction holds the sum of both. A per-call
``max_send`` alone does not: ``sendall`` takes the next piece at once.
Property: ``replies_intact``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, close_all, connected, pick, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE", "CHUNK"]

CHOICE = "ready order; or sndbuf and rcvbuf at once"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "scenarios.zoo.properties:replies_intact"
CHUNK = 64  # the proxy's read size (a request is 129 bytes: three chunks)


def _forward(upstream: Any, chunk: bytes) -> Generator[Any, Any, None]:
    try:
        yield from loopsim.sendall(upstream, chunk)
    except OSError:
        pass  # the upstream failed: the session sees it when it reads the reply


def _session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any], per_chunk_tasks: bool) -> Generator[Any, Any, None]:
    upstream = None
    senders: list[loopsim.Task] = []
    try:
        upstream = yield from connected(new_socket, upstream_addr)
        complete = False
        while not complete:
            yield from loopsim.wait_readable(client)
            while not complete:  # take every chunk that is there, then wait for more
                try:
                    chunk = client.recv(CHUNK)
                except BlockingIOError:
                    break
                if not chunk:
                    return  # the client left before its request was complete
                if per_chunk_tasks:
                    senders.append((yield from loopsim.spawn(_forward(upstream, chunk), name="forward-chunk")))  # the bug
                else:
                    yield from loopsim.sendall(upstream, chunk)  # in order, one writer
                complete = chunk.endswith(b"\n")
        for sender in senders:
            yield from loopsim.join(sender)
        reply = yield from read_line(upstream)
        yield from loopsim.sendall(client, reply)
    except OSError:
        return
    finally:
        for sender in senders:
            sender.cancel()
        close_all(upstream, client)


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that forwards each chunk by a task of its own."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, True))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that forwards the chunks itself, in order."""
    return (yield from serve(listener, max_sessions, _session, upstream_addr, new_socket, False))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = (PROPERTY,)  # type: ignore[attr-defined]
