# fakes.selector: FakeSelector, a selectors.BaseSelector over fake sockets, O(ready) and in virtual time.
# Owns: FakeSelector. Imports: stdlib, fakes.{errors,socket,clock}; talks to the world only through fakes.backend.
"""A fake ``selectors`` selector.

:class:`FakeSelector` has the stdlib's API and error behaviour, and it is
level-triggered like ``select``/``epoll``. It takes what a stdlib selector
takes: a fake socket, its int fd, or any object whose ``fileno()`` is a fake
socket's fd (``key.fileobj`` is the object given, ``key.fd`` the fd). Errors:
registering an fd already registered (through any object) -> ``KeyError``;
bad events, a negative fd or an object without a usable ``fileno()`` ->
``ValueError``; an fd that is no open fake socket of this network (a real
fd, say) -> ``ValueError`` naming it; unregistering or modifying what is not
registered -> ``KeyError``; ``get_key`` on a closed selector ->
``RuntimeError``. Fake fds start at :data:`fakes.socket.FIRST_FD` (2**30),
far above any fd the kernel hands out in practice, so they never collide
with real ones.

It never scans its sockets: the backend calls it back whenever a watched
socket's readiness changes, and it keeps the ready keys in an
insertion-ordered dict, so ``select()`` costs in proportion to what is ready.
When several keys are ready at once, the order reported is drawn from the
backend's chooser (label ``"select-order"``, ``n - 1`` draws for ``n`` ready
keys, of ``n``, ``n - 1``, ..., 2 options: a Fisher-Yates shuffle from the
front, O(n); all zeros = the order they became ready). A single ready key
draws nothing.

Time: ``select(timeout)`` with nothing ready asks the backend to jump the
virtual clock to its next scheduled event, or to ``now + timeout`` if that
comes first (``timeout=0``: no time passes), and returns what is ready then.
``select(None)`` with nothing ready and nothing scheduled raises
:class:`~fakes.WouldBlockForever`, listing the registered sockets and what
each waits for: a real program would hang there.
"""

from __future__ import annotations

import selectors
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Iterator

from ._compiled import mypyc_attr
from .clock import to_ns
from .errors import WouldBlockForever
from .trace import FOREVER
from .socket import FIRST_FD, FakeSocket

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["FakeSelector"]

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE
_ALL = EVENT_READ | EVENT_WRITE
SelectorKey = selectors.SelectorKey
_new_key = tuple.__new__  # SelectorKey(...) minus the namedtuple's Python-level __new__: same object
_WANTS = {EVENT_READ: "readable", EVENT_WRITE: "writable", _ALL: "readable or writable"}


class _KeyMap(Mapping):  # type: ignore[type-arg]
    """``get_map()``: file object (or fd) -> SelectorKey; iterates fds in registration order."""

    __slots__ = ("_sel",)

    def __init__(self, sel: FakeSelector) -> None:
        self._sel = sel

    def __len__(self) -> int:
        return len(self._sel._keys)

    def __getitem__(self, fileobj: Any) -> selectors.SelectorKey:
        sel = self._sel
        try:
            return sel._keys[sel._lookup(fileobj)]
        except (KeyError, ValueError):
            raise KeyError(f"{fileobj!r} is not registered") from None

    def __iter__(self) -> Iterator[int]:
        return (key.fd for key in list(self._sel._keys.values()))


def _events_ok(events: Any) -> bool:
    return isinstance(events, int) and 0 < events <= _ALL


@mypyc_attr(allow_interpreted_subclasses=True)
class FakeSelector(selectors.BaseSelector):
    """A selector over the fake sockets of one backend (``net.selector()``).

    It accepts what the stdlib's selectors accept: a fake socket, its int fd,
    or any object whose ``fileno()`` is a fake socket's fd; ``key.fileobj`` is
    the object given. Fake fds are numbered from :data:`fakes.socket.FIRST_FD`
    up, never reused: no fake fd is ever a real one.
    """

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._keys: dict[FakeSocket, selectors.SelectorKey] = {}  # socket -> key, in registration order
        self._fds: dict[int, FakeSocket] = {}  # fd -> socket, to unregister a closed socket by fd
        self._ready: dict[FakeSocket, tuple[selectors.SelectorKey, int]] = {}  # what select returns, ready
        self._map = _KeyMap(self)
        self._deliver_due = backend.deliver_due
        self._closed = False

    # -- the backend's callback ------------------------------------------------------------

    def _on_readiness(self, sock: FakeSocket, mask: int) -> None:
        key = self._keys.get(sock)
        if key is None:
            return
        mask &= key.events
        if mask:
            self._ready[sock] = (key, mask)
        else:
            self._ready.pop(sock, None)

    # -- file objects -------------------------------------------------------------------------

    @staticmethod
    def _fd_of(fileobj: Any) -> int:
        """The fd of ``fileobj`` as the stdlib computes it (ValueError for a bad one)."""
        if isinstance(fileobj, int):
            fd = fileobj
        else:
            try:
                fd = int(fileobj.fileno())
            except (AttributeError, TypeError, ValueError):
                raise ValueError(f"Invalid file object: {fileobj!r}") from None
        if fd < 0:
            raise ValueError(f"Invalid file descriptor: {fd}")
        return fd

    def _lookup(self, fileobj: Any) -> FakeSocket:
        """The registered socket ``fileobj`` names: KeyError if none is, ValueError for a bad
        file object that is not registered either (as the stdlib's selectors do)."""
        if fileobj.__class__ is FakeSocket and fileobj in self._keys:
            return fileobj  # type: ignore[no-any-return]
        try:
            sock = self._fds.get(self._fd_of(fileobj))
        except ValueError:
            for sock, key in self._keys.items():  # closed since: found by identity, as the stdlib does
                if key.fileobj is fileobj:
                    return sock
            raise
        if sock is None:
            raise KeyError(f"{fileobj!r} is not registered")
        return sock

    def _resolve(self, fileobj: Any) -> FakeSocket:
        """The open fake socket of this backend that ``fileobj`` is or whose fd it has."""
        if isinstance(fileobj, FakeSocket):
            if fileobj._backend is not self._backend:
                raise ValueError(f"{fileobj!r} belongs to another network than this selector")
            self._fd_of(fileobj)
            return fileobj
        fd = self._fd_of(fileobj)
        sock = self._backend.socket_for_fd(fd)
        if sock is None:
            raise ValueError(
                f"a FakeSelector watches fake sockets only, not {fileobj!r}: fd {fd} is no open fake "
                f"socket of this network (fake fds start at {FIRST_FD})")
        return sock

    # -- registration ------------------------------------------------------------------------

    def register(self, fileobj: Any, events: Any, data: Any = None) -> selectors.SelectorKey:  # events: as given
        keys = self._keys
        # The usual case (a live fake socket of this network, int events) skips the checks' calls.
        if (fileobj.__class__ is FakeSocket and events.__class__ is int and 0 < events <= _ALL
                and not self._closed and fileobj._backend is self._backend and fileobj._fd >= 0):
            sock: FakeSocket = fileobj
        else:
            if self._closed:
                raise ValueError("I/O operation on closed selector")
            if not _events_ok(events):
                raise ValueError(f"Invalid events: {events!r}")
            sock = self._resolve(fileobj)
        if sock in keys:
            raise KeyError(f"{fileobj!r} (or its fd {sock._fd}) is already registered")
        fd = sock._fd
        key = keys[sock] = _new_key(SelectorKey, (fileobj, fd, events, data))
        self._fds[fd] = sock
        backend = self._backend
        backend.watch(sock, self._on_readiness)  # a bound method made per call: no self-reference kept
        mask = backend.sock_readiness(sock) & events
        if mask:
            self._ready[sock] = (key, mask)
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        sock = self._lookup(fileobj)
        key = self._keys.pop(sock)
        del self._fds[key.fd]
        self._ready.pop(sock, None)
        self._backend.unwatch(sock, self._on_readiness)  # equal to the one watched
        return key

    def modify(self, fileobj: Any, events: Any, data: Any = None) -> selectors.SelectorKey:
        sock = self._lookup(fileobj)
        key = self._keys[sock]
        if not _events_ok(events):
            raise ValueError(f"Invalid events: {events!r}")
        if events != key.events:
            key = _new_key(SelectorKey, (key.fileobj, key.fd, events, data))
            self._keys[sock] = key
            if sock._fd >= 0:
                mask = self._backend.sock_readiness(sock) & events
                if mask:
                    self._ready[sock] = (key, mask)
                else:
                    self._ready.pop(sock, None)
        elif data is not key.data:
            key = key._replace(data=data)
            self._keys[sock] = key
            ready = self._ready.get(sock)
            if ready is not None:
                self._ready[sock] = (key, ready[1])
        return key

    def get_map(self) -> Mapping[Any, selectors.SelectorKey] | None:  # type: ignore[override]
        return None if self._closed else self._map

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        unwatch, callback = self._backend.unwatch, self._on_readiness
        for sock in self._keys:
            unwatch(sock, callback)
        self._keys.clear()
        self._fds.clear()
        self._ready.clear()

    # -- select ------------------------------------------------------------------------------

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """The ready keys as ``[(key, events)]``, jumping virtual time while none is ready."""
        if self._closed:
            raise ValueError("I/O operation on closed selector")
        self._deliver_due()
        backend = self._backend
        ready = self._ready
        if not ready:
            if timeout is None:
                deadline = None
            else:
                now = backend.clock.now_ns()
                deadline = now + to_ns(timeout) if timeout > 0 else now
            while not ready:
                if not backend.advance(deadline):
                    if deadline is None:
                        trace = backend.trace
                        if trace is not None:  # a step of the script, so a deadlock replays exactly
                            trace.add("select", "select", (timeout,), FOREVER)
                        raise WouldBlockForever(self._forever())
                    break
        result = list(ready.values())  # (key, events) in the order they became ready
        n = len(result)
        if n > 1:
            # Fisher-Yates from the front, O(n): position p takes the j-th of the n - p keys not
            # placed yet (j = 0: the next in the order they became ready), so all-zero choices keep
            # that order and every choice sequence gives a different permutation.
            choose = backend.chooser.index
            for p in range(n - 1):
                j = choose("select-order", n - p)
                if j:
                    q = p + j
                    result[p], result[q] = result[q], result[p]
        trace = backend.trace
        if trace is not None:
            fds = self._fds
            trace.add("select", "select", (timeout,), tuple([(fds[key.fd].name, m) for key, m in result]))
        return result

    def _forever(self) -> str:
        now = self._backend.clock.now()
        head = (f"select(None) would block forever at virtual time {now:.6f}s: no registered socket "
                "is ready and nothing is scheduled in the network (no data, connect, accept or fault "
                "in flight)")
        if not self._keys:
            return head + "; no socket is registered"
        describe = self._backend.sock_describe
        waits = ", ".join(
            f"{sock.name} to be {_WANTS[key.events]} ({describe(sock) if sock.fileno() >= 0 else 'closed'})"
            for sock, key in self._keys.items())
        return f"{head}; registered: {waits}"

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._keys)} registered, {len(self._ready)} ready"
        return f"<FakeSelector {state}>"
