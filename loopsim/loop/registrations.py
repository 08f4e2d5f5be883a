# loopsim.interest: keeping the selector's registrations in line with the waiting tasks (a Loop mixin).
# Owns: Interest (sync of register/modify/unregister, sockets closed under a waiter). Imports: stdlib,
# loopsim.{errors,task,waits}.
"""The selector's interest set, kept exactly as the waiting tasks want it.

``Loop`` marks a socket's registration *dirty* when its waiters change;
before each select, :meth:`Interest._sync_interest` registers, modifies or
unregisters only those sockets, and only when what they wait for changed. A
socket closed while a task waits on it (epoll forgets a closed fd silently)
is found here and the waiter gets a ``UsageError``.
"""

from __future__ import annotations

import selectors
from collections import deque
from typing import Any, Callable

from ._compiled import mypyc_attr
from .errors import UsageError
from .task import Task
from .waits import Reg as _Reg
from .waits import describe_socket

__all__ = ["Interest"]

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE


@mypyc_attr(allow_interpreted_subclasses=True)
class Interest:
    """Mixin for :class:`~loopsim.Loop`: the registration bookkeeping around ``selector``."""

    selector: selectors.BaseSelector
    _regs: dict[Any, _Reg]
    _dirty: list[_Reg]
    _ready: deque[Task]
    _sweep_due: float | None

    def _sync_interest(self) -> None:
        """Bring the selector in line with the waiters of every socket whose waiters changed."""
        dirty, self._dirty = self._dirty, []
        selector = self.selector
        for reg in dirty:
            reg.dirty = False
            want = (EVENT_READ if reg.reader is not None else 0) | (EVENT_WRITE if reg.writer is not None else 0)
            if want == reg.mask:  # the usual case: the woken task waits on it again
                if want == 0:
                    self._regs.pop(reg.sock, None)
                continue
            sock = reg.sock
            if sock.fileno() < 0:  # closed since it was last looked at: tell its waiters now
                self._drop_closed(reg)
                continue
            if want == 0:
                selector.unregister(sock)
                del self._regs[sock]
            elif reg.mask == 0:
                try:
                    selector.register(sock, want, reg)
                except KeyError:  # the fd is still registered: for a socket closed since?
                    if not self._evict_stale(sock):
                        what = describe_socket(sock)
                        self._fail_waiters(reg, lambda task: (
                            f"task {task.name!r} waited on {what}, which is already registered in the "
                            "selector by someone else; a socket must be registered by the loop alone"))
                        continue
                    selector.register(sock, want, reg)
            else:
                selector.modify(sock, want, reg)
            reg.mask = want

    def _sweep_closed(self) -> None:
        """Find the awaited sockets closed under their waiters (see ``_SWEEP_EVERY``)."""
        self._sweep_due = None
        for reg in [r for r in self._regs.values() if r.sock.fileno() < 0]:
            self._drop_closed(reg)

    def _drop_closed(self, reg: _Reg) -> None:
        """A socket was closed while registered: forget it and tell whoever waits on it."""
        if reg.mask:
            try:  # by fd: a closed socket object would cost the selector a scan of its whole map
                self.selector.unregister(reg.fd)
            except (KeyError, ValueError, OSError, AttributeError, TypeError):
                try:
                    self.selector.unregister(reg.sock)
                except (KeyError, ValueError, OSError):
                    pass
            reg.mask = 0
        if reg.reader is None and reg.writer is None:  # closed after its last wait: nobody to tell
            self._regs.pop(reg.sock, None)
            return
        what = describe_socket(reg.sock)
        if what == "<closed socket>":
            what = f"<closed socket, fd {reg.fd}>"
        self._fail_waiters(reg, lambda task: f"task {task.name!r} waited on {what}, which was closed while it waited")

    def _fail_waiters(self, reg: _Reg, message: Callable[[Task], str]) -> None:
        """Forget ``reg`` and throw a UsageError into each task waiting on it."""
        self._regs.pop(reg.sock, None)
        waiters = [t for t in (reg.reader, reg.writer) if t is not None]
        if len(waiters) == 2 and waiters[0] is waiters[1]:
            del waiters[1]
        for task in waiters:
            task._wait = None
            task._throw = UsageError(message(task))
            self._ready.append(task)
        reg.reader = reg.writer = None

    def _evict_stale(self, sock: Any) -> bool:
        """The fd of ``sock`` is still registered: drop it if it was a socket closed since; else False."""
        key = self.selector.get_map().get(sock.fileno())
        old = getattr(key, "data", None)
        if isinstance(old, _Reg) and old.sock.fileno() < 0:
            self._drop_closed(old)
            return True
        return False
