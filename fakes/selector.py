# fakes.selector: FakeSelector, a selectors.BaseSelector over fake sockets, O(ready) and in virtual time.
# Owns: FakeSelector. Imports: stdlib, fakes.{errors,socket,clock}; talks to the world only through fakes.backend.
"""A fake ``selectors`` selector.

:class:`FakeSelector` has the stdlib's API and error behaviour (register
twice -> ``KeyError``, bad events -> ``ValueError``, unknown socket ->
``KeyError``, closed selector -> ``RuntimeError`` from ``get_key``), and it is
level-triggered like ``select``/``epoll``.

It never scans its sockets: the backend calls it back whenever a watched
socket's readiness changes, and it keeps the ready keys in an
insertion-ordered dict, so ``select()`` costs in proportion to what is ready.
When several keys are ready at once, the order reported is drawn from the
backend's chooser (label ``"select-order"``; index 0 = the order they became
ready). A single ready key draws nothing.

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
from .socket import FakeSocket

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

    __slots__ = ("_keys", "_fds")

    def __init__(self, keys: dict[FakeSocket, selectors.SelectorKey], fds: dict[int, FakeSocket]) -> None:
        self._keys = keys
        self._fds = fds

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, fileobj: Any) -> selectors.SelectorKey:
        if isinstance(fileobj, FakeSocket):
            key = self._keys.get(fileobj)
        else:
            sock = self._fds.get(fileobj) if isinstance(fileobj, int) else None
            key = None if sock is None else self._keys.get(sock)
        if key is None:
            raise KeyError(f"{fileobj!r} is not registered")
        return key

    def __iter__(self) -> Iterator[int]:
        return (key.fd for key in list(self._keys.values()))


@mypyc_attr(allow_interpreted_subclasses=True)
class FakeSelector(selectors.BaseSelector):
    """A selector over the fake sockets of one backend (``net.selector()``)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._keys: dict[FakeSocket, selectors.SelectorKey] = {}
        self._fds: dict[int, FakeSocket] = {}  # fd -> socket, to unregister a closed socket by fd
        self._ready: dict[FakeSocket, int] = {}
        self._map = _KeyMap(self._keys, self._fds)
        self._deliver_due = backend.deliver_due
        self._closed = False

    # -- the backend's callback ------------------------------------------------------------

    def _on_readiness(self, sock: FakeSocket, mask: int) -> None:
        key = self._keys.get(sock)
        if key is None:
            return
        mask &= key.events
        if mask:
            self._ready[sock] = mask
        else:
            self._ready.pop(sock, None)

    # -- registration ------------------------------------------------------------------------

    def _lookup(self, fileobj: Any) -> FakeSocket:
        if isinstance(fileobj, FakeSocket):
            return fileobj
        if isinstance(fileobj, int):
            sock = self._fds.get(fileobj)
            if sock is not None:
                return sock
        raise KeyError(f"{fileobj!r} is not registered")

    def register(self, fileobj: Any, events: Any, data: Any = None) -> selectors.SelectorKey:  # events: as given
        # The usual case (a live fake socket of this network, int events) skips the checks' calls.
        if not (fileobj.__class__ is FakeSocket and events.__class__ is int and 0 < events <= _ALL
                and not self._closed and fileobj._backend is self._backend and fileobj._fd >= 0):
            self._check_register(fileobj, events)
        keys = self._keys
        if fileobj in keys:
            raise KeyError(f"{fileobj!r} is already registered")
        fd = fileobj.fileno()
        key = keys[fileobj] = _new_key(SelectorKey, (fileobj, fd, events, data))
        self._fds[fd] = fileobj
        backend = self._backend
        backend.watch(fileobj, self._on_readiness)  # a bound method made per call: no self-reference kept
        mask = backend.sock_readiness(fileobj) & events
        if mask:
            self._ready[fileobj] = mask
        return key

    def _check_register(self, fileobj: Any, events: Any) -> None:
        """The errors ``register`` raises, as the standard library's selectors raise them."""
        if self._closed:
            raise ValueError("I/O operation on closed selector")
        if not isinstance(events, int) or not events or events & ~_ALL:
            raise ValueError(f"Invalid events: {events!r}")
        if not isinstance(fileobj, FakeSocket):
            if not hasattr(fileobj, "fileno") and not isinstance(fileobj, int):
                raise ValueError(f"Invalid file object: {fileobj!r}")
            raise ValueError(f"a FakeSelector watches fake sockets only, not {fileobj!r}")
        if fileobj._backend is not self._backend:
            raise ValueError(f"{fileobj!r} belongs to another network than this selector")
        fd = fileobj.fileno()
        if fd < 0:
            raise ValueError(f"Invalid file descriptor: {fd}")

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        sock = fileobj if fileobj.__class__ is FakeSocket else self._lookup(fileobj)
        key = self._keys.pop(sock, None)
        if key is None:
            raise KeyError(f"{fileobj!r} is not registered")
        del self._fds[key.fd]
        self._ready.pop(sock, None)
        self._backend.unwatch(sock, self._on_readiness)  # equal to the one watched
        return key

    def modify(self, fileobj: Any, events: Any, data: Any = None) -> selectors.SelectorKey:
        sock = self._lookup(fileobj)
        key = self._keys.get(sock)
        if key is None:
            raise KeyError(f"{fileobj!r} is not registered")
        if not isinstance(events, int) or not events or events & ~_ALL:
            raise ValueError(f"Invalid events: {events!r}")
        if events != key.events:
            key = _new_key(SelectorKey, (sock, key.fd, events, data))
            self._keys[sock] = key
            if sock.fileno() >= 0:
                mask = self._backend.sock_readiness(sock) & events
                if mask:
                    self._ready[sock] = mask
                else:
                    self._ready.pop(sock, None)
        elif data is not key.data:
            key = key._replace(data=data)
            self._keys[sock] = key
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
                        raise WouldBlockForever(self._forever())
                    break
        keys = self._keys
        n = len(ready)
        if n == 1:
            for sock, mask in ready.items():
                result = [(keys[sock], mask)]
        elif n == 0:
            result = []
        else:
            items = list(ready.items())
            choose = backend.chooser.index
            result = []
            while len(items) > 1:
                sock, mask = items.pop(choose("select-order", len(items)))
                result.append((keys[sock], mask))
            sock, mask = items[0]
            result.append((keys[sock], mask))
        trace = backend.trace
        if trace is not None:
            trace.add("select", "select", (timeout,), tuple([(key.fileobj.name, m) for key, m in result]))  # type: ignore[union-attr]
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
