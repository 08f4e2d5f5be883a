# scenarios.zoo.starvation: the bug "an accept loop that polls" - it never lets the loop wait, starving every timer.
# Owns: bug, fixed, world. Imports: loopsim (loop layer), scenarios.zoo.world.
"""Starvation: an unfair accept loop that never lets the loop wait.

Bug: the proxy's accept loop polls the listening socket - ``accept()``, and
on ``EAGAIN`` a ``sleep(0)`` "to let the sessions run" - instead of waiting
for it to become readable. The loop always has a ready task, so it never
blocks in ``select``: every task waiting for time to pass (a client's
start, a timeout, a connection on its way) is starved, for good in virtual
time; in a real loop the accept loop also burns a core for nothing.

Fix (``fixed``, the reference ``world.proxy``): ``loopsim.accept``, which
waits until a connection is there.

Exposed by: anything that makes a client arrive later than the first tick -
the clients' own start times (one millisecond apart in the generic world),
a latency or an accept delay on the proxy's link. Property: the generic
``terminates`` (the livelock guard: 100,000 task resumes at one instant).
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from .world import ARGS, CLIENTS, pick, proxy, session, zoo_world

__all__ = ["bug", "fixed", "world", "PROPERTY", "CHOICE"]

CHOICE = "none: the clients' start times"  # the choice point that exposes the bug (docs/zoo.md)
PROPERTY = "terminates"


def bug(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The proxy whose accept loop polls with ``sleep(0)``."""
    sessions: list[loopsim.Task] = []
    try:
        while len(sessions) < max_sessions:
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                yield from loopsim.sleep(0)  # the bug: "yield to the others" - but never let the loop wait
                continue
            conn.setblocking(False)
            sessions.append((yield from loopsim.spawn(session(conn, upstream_addr, new_socket),
                                                      name=f"session-{len(sessions) + 1}")))
        for task in sessions:
            yield from loopsim.join(task)
        return len(sessions)
    finally:
        for task in sessions:
            task.cancel()


fixed = proxy  # the reference proxy: its accept loop is world.serve's


def world(net: Any, *, app: str = "bug", clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """The zoo's generic world around this module's ``bug`` or ``fixed`` proxy."""
    return (yield from zoo_world(net, pick(app, bug, fixed), clients))


world.loopsim_args = ARGS  # type: ignore[attr-defined]
world.loopsim_properties = ("scenarios.zoo.properties:replies_intact",)  # type: ignore[attr-defined]
