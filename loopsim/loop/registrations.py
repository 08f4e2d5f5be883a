# loopsim.loop.registrations: the selector's registrations, kept in line with the tasks waiting on sockets.
# Owns: Registrations (a component of Loop: each socket's SocketWaiters, the dirty list, register/modify/
# unregister, the sweep for sockets closed under a waiter), SWEEP_EVERY. Imports: stdlib,
# loopsim.loop.{errors,task,waits}.
"""The selector's interest set, kept exactly as the waiting tasks want it.

:class:`Registrations` holds one :class:`~loopsim.loop.waits.SocketWaiters`
per awaited socket. When a socket's waiters change it is marked *dirty*
(:meth:`Registrations.mark_dirty`); before each select, :meth:`Registrations.sync`
registers, modifies or unregisters only those sockets, and only when what they
wait for changed. A socket closed while a task waits on it (epoll forgets a
closed fd silently) is found here - when its registration changes, and by the
sweep the loop schedules (:meth:`note_steps`, :meth:`sweep_closed`) - and its
waiter gets a ``UsageError``.
"""

from __future__ import annotations

import selectors
from collections import deque
from typing import Any, Callable

from .errors import BadRequest, UsageError
from .task import Task
from .waits import SocketWaiters, describe_socket

__all__ = ["Registrations", "SWEEP_EVERY"]

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE
_DIRECTION = {EVENT_READ: "read", EVENT_WRITE: "write", EVENT_READ | EVENT_WRITE: "read or write"}

# A kernel does not tell anyone when a registered socket is closed (epoll just forgets it),
# so after tasks ran the loop checks its awaited sockets for closed ones, at most this often
# (seconds of clock time): amortised, a few fileno() calls per second per awaited socket.
SWEEP_EVERY = 0.1


class Registrations:
    """The registrations of one loop's ``selector``: who waits on each socket, and what is registered.

    ``ready`` is the loop's ready queue (waiters of a closed socket are put
    there, with the error to throw); ``now`` its clock; ``real_time`` whether
    that clock is the real one (then the sweep is timed, else counted in task steps).
    """

    def __init__(self, selector: selectors.BaseSelector, ready: deque[Task], now: Callable[[], float],
                 real_time: bool) -> None:
        self.selector = selector
        self.by_socket: dict[Any, SocketWaiters] = {}  # every awaited socket (and ones not yet unregistered)
        self.dirty: list[SocketWaiters] = []  # whose waiters changed since the last sync
        # When the next sweep for closed sockets is due (None: no task ran since the last one; a real clock only).
        self.sweep_due: float | None = None
        self._ready = ready
        self._now = now
        self._real_time = real_time
        self._unswept = 0  # task steps since the last sweep, with a virtual clock

    def mark_dirty(self, waiters: SocketWaiters) -> None:
        """``waiters`` changed: queue it for the next :meth:`sync` (once)."""
        if not waiters.dirty:
            waiters.dirty = True
            self.dirty.append(waiters)

    # -- a task starts or stops waiting ---------------------------------------------------------

    def wait(self, task: Task, sock: Any, events: int) -> None:
        """``task`` waits until ``sock`` is ready for ``events`` (read, write, or either for a bare yield).

        Raises, for the task to see: ``BadRequest`` if ``sock`` has no usable
        ``fileno()``, ``UsageError`` if it is closed or another task already
        waits on it in that direction.
        """
        waiters = self.by_socket.get(sock)
        if waiters is None or sock.fileno() < 0:
            waiters = self._waiters_of(task, sock)
        other = (waiters.reader if events & EVENT_READ else None) or (waiters.writer if events & EVENT_WRITE else None)
        if other is not None:
            raise UsageError(
                f"task {task.name!r} and task {other.name!r} both wait to {_DIRECTION[events]} "
                f"{describe_socket(sock)}; only one task may wait for each direction of a socket at a time")
        if events & EVENT_READ:
            waiters.reader = task
        if events & EVENT_WRITE:
            waiters.writer = task
        task._wait = waiters
        if waiters.mask & events != events:
            self.mark_dirty(waiters)

    def remove(self, task: Task, waiters: SocketWaiters) -> None:
        """``task`` (cancelled) no longer waits on ``waiters``' socket."""
        if waiters.reader is task:
            waiters.reader = None
        if waiters.writer is task:
            waiters.writer = None
        self.mark_dirty(waiters)

    def _waiters_of(self, task: Task, sock: Any) -> SocketWaiters:
        """The SocketWaiters of ``sock``, made at its first wait; checks it is an open socket."""
        waiters = self.by_socket.get(sock)
        try:
            fd = sock.fileno()
        except Exception:
            raise BadRequest(f"task {task.name!r} waited on {sock!r}, which is not a socket (no usable fileno())") from None
        if fd < 0:
            raise UsageError(f"task {task.name!r} waited on {describe_socket(sock)}, which is closed")
        if waiters is None:
            waiters = self.by_socket[sock] = SocketWaiters(sock, fd)
        return waiters

    # -- before each select ----------------------------------------------------------------------

    def sync(self) -> None:
        """Bring the selector in line with the waiters of every socket whose waiters changed."""
        dirty, self.dirty = self.dirty, []
        selector = self.selector
        for waiters in dirty:
            waiters.dirty = False
            want = (EVENT_READ if waiters.reader is not None else 0) | (EVENT_WRITE if waiters.writer is not None else 0)
            if want == waiters.mask:  # the usual case: the woken task waits on it again
                if want == 0:
                    self.by_socket.pop(waiters.sock, None)
                continue
            sock = waiters.sock
            if sock.fileno() < 0:  # closed since it was last looked at: tell its waiters now
                self._drop_closed(waiters)
                continue
            if want == 0:
                selector.unregister(sock)
                del self.by_socket[sock]
            elif waiters.mask == 0:
                try:
                    selector.register(sock, want, waiters)
                except KeyError:  # the fd is still registered: for a socket closed since?
                    if not self._evict_stale(sock):
                        self._fail_waiters(waiters, describe_socket(sock), "which is already registered in the "
                                           "selector by someone else; a socket must be registered by the loop alone")
                        continue
                    selector.register(sock, want, waiters)
            else:
                selector.modify(sock, want, waiters)
            waiters.mask = want

    # -- sockets closed under a waiter -----------------------------------------------------------

    def note_steps(self, n: int) -> None:
        """``n`` tasks are about to run: schedule the sweep for sockets closed under a waiter."""
        if self._real_time:  # a real clock: at most every SWEEP_EVERY seconds
            if self.sweep_due is None:
                self.sweep_due = self._now() + SWEEP_EVERY
        else:  # a virtual clock: once per as many task steps as sockets awaited (O(1) a step)
            self._unswept += n
            if self._unswept >= len(self.by_socket):
                self._unswept = 0
                self.sweep_closed()

    def sweep_closed(self) -> None:
        """Find the awaited sockets closed under their waiters; wake those waiters with a UsageError."""
        self.sweep_due = None
        for waiters in [w for w in self.by_socket.values() if w.sock.fileno() < 0]:
            self._drop_closed(waiters)

    def _drop_closed(self, waiters: SocketWaiters) -> None:
        """A socket was closed while registered: forget it and tell whoever waits on it."""
        if waiters.mask:
            try:  # by fd: a closed socket object would cost the selector a scan of its whole map
                self.selector.unregister(waiters.fd)
            except (KeyError, ValueError, OSError, AttributeError, TypeError):
                try:
                    self.selector.unregister(waiters.sock)
                except (KeyError, ValueError, OSError):
                    pass
            waiters.mask = 0
        if waiters.reader is None and waiters.writer is None:  # closed after its last wait: nobody to tell
            self.by_socket.pop(waiters.sock, None)
            return
        what = describe_socket(waiters.sock)
        if what == "<closed socket>":
            what = f"<closed socket, fd {waiters.fd}>"
        self._fail_waiters(waiters, what, "which was closed while it waited")

    def _fail_waiters(self, waiters: SocketWaiters, what: str, why: str) -> None:
        """Forget ``waiters`` and throw a UsageError ("task ... waited on ``what``, ``why``") into each of its tasks."""
        self.by_socket.pop(waiters.sock, None)
        tasks = [t for t in (waiters.reader, waiters.writer) if t is not None]
        if len(tasks) == 2 and tasks[0] is tasks[1]:
            del tasks[1]
        for task in tasks:
            task._wait = None
            task._throw = UsageError(f"task {task.name!r} waited on {what}, {why}")
            self._ready.append(task)
        waiters.reader = waiters.writer = None

    def _evict_stale(self, sock: Any) -> bool:
        """The fd of ``sock`` is still registered: drop it if it was a socket closed since; else False."""
        key = self.selector.get_map().get(sock.fileno())
        old = getattr(key, "data", None)
        if isinstance(old, SocketWaiters) and old.sock.fileno() < 0:
            self._drop_closed(old)
            return True
        return False
