# scenarios.zoo.check_then_act: the bug "the spawned task claims the slot" - a check races its own helper task.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""A check-then-act race between tasks.

Bug: to overlap server2's connect with reading the request, the session
spawns a *connect-ahead* task, which puts its new socket in the session's
slot and connects it. Once the request is read, the session checks the
slot: if the connect-ahead has not started (the slot is empty) it does not
wait for it, and opens a connection of its own (the act). The slot is
filled by the spawned task in its first step, so the check is right only if
the loop runs the connect-ahead before the session's next step. A FIFO loop
always does (the task was ready first); a loop free to run ready tasks in
another order (as a real loop under another scheduler, or after a change
elsewhere, may) lets the session check first: two upstream connections are
opened, and the connect-ahead's is never closed.

Fix (``fixed``): the session fills the slot itself before it spawns the
connect (claim, then hand over), and always waits for it - nothing depends
on which ready task runs first.

Exposed by: the ready-order choice point only (which of the tasks ready at
one tick runs first): the session and its connect-ahead are ready at the
same tick, and no network setting changes their order. Property: the
generic ``all_sockets_closed``.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, close_all, connected, pick, read_line, serve, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "ready order only"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "all_sockets_closed"


class _Slot:
    """The session's upstream connection, once someone has opened it."""

    __slots__ = ("sock",)

    def __init__(self) -> None:
        self.sock: Any = None


def _connect(sock: Any, upstream_addr: Any) -> Generator[Any, Any, OSError | None]:
    """Connect ``sock``; the error, if it failed, is returned to whoever joins (a task that raises has died)."""
    try:
        yield from loopsim.connect(sock, upstream_addr)
    except OSError as exc:
        return exc
    return None


def _connect_ahead(slot: _Slot, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, OSError | None]:
    slot.sock = new_socket()  # the bug's claim: made by the spawned task, whenever it first runs
    slot.sock.setblocking(False)
    return (yield from _connect(slot.sock, upstream_addr))


def _bug_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    slot = _Slot()
    own = None
    ahead = yield from loopsim.spawn(_connect_ahead(slot, upstream_addr, new_socket), name="connect-ahead")
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return
        if slot.sock is None:  # check: the connect-ahead has not started - do not wait for it
            own = upstream = yield from connected(new_socket, upstream_addr)  # act
        else:
            error = yield from loopsim.join(ahead)
            if error is not None:
                raise error
            upstream = slot.sock
        yield from loopsim.sendall(upstream, request)
        reply = yield from read_line(upstream)
        yield from loopsim.sendall(client, reply)
    except OSError:
        return
    finally:
        if own is None:
            ahead.cancel()
            close_all(slot.sock)
        close_all(own, client)  # with its own connection, the session forgets the connect-ahead's


def _fixed_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    upstream = new_socket()  # claimed before the connect is handed to a task
    upstream.setblocking(False)
    ahead = yield from loopsim.spawn(_connect(upstream, upstream_addr), name="connect-ahead")
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return
        error = yield from loopsim.join(ahead)  # always wait for it: no check of how far it got
        if error is not None:
            raise error
        yield from loopsim.sendall(upstream, request)
        reply = yield from read_line(upstream)
        yield from loopsim.sendall(client, reply)
    except OSError:
        return
    finally:
        ahead.cancel()
        close_all(upstream, client)


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy whose connect-ahead task claims the slot itself."""
    return (yield from serve(listener, max_sessions, _bug_session, upstream_addr, new_socket))


def fixed(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy that claims the slot before spawning the connect."""
    return (yield from serve(listener, max_sessions, _fixed_session, upstream_addr, new_socket))


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact",)  # type: ignore[attr-defined]
