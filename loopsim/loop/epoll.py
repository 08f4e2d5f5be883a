# loopsim.loop.epoll: the loop's own epoll selector (Linux), a complete selectors.BaseSelector.
# Owns: EpollSelector, HAVE_EPOLL, ready_mask, READABLE_BITS, WRITABLE_BITS. Imports: stdlib,
# loopsim.loop._compiled.
"""An epoll-backed ``selectors.BaseSelector`` that the loop owns, as trio's
EpollIOManager owns its epoll.

It behaves as the standard library's ``selectors.EpollSelector`` does (the
same errors: ``ValueError`` for bad events or a bad file descriptor,
``KeyError`` for a file object registered twice or not registered,
``RuntimeError`` from ``get_key`` once closed; CPython's own
``test_selectors`` cases run against it in tests/loop/test_loop_epoll.py) and
adds one method for the event loop's hot path: :meth:`EpollSelector.poll`,
epoll's raw answer, which the loop turns into ``(key, mask)`` itself in the
same pass that wakes the waiting tasks, instead of building the list that
``select`` returns first. The loop reads nothing private of the stdlib.
"""

from __future__ import annotations

import math
import select
import selectors
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Iterator

from ._compiled import mypyc_attr

__all__ = ["EpollSelector", "HAVE_EPOLL", "ready_mask", "READABLE_BITS", "WRITABLE_BITS"]

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE
SelectorKey = selectors.SelectorKey

HAVE_EPOLL: bool = hasattr(select, "epoll")
_EPOLLIN: int = getattr(select, "EPOLLIN", 1)
_EPOLLOUT: int = getattr(select, "EPOLLOUT", 4)
# As the stdlib's EpollSelector reads epoll's answer: any bit but EPOLLOUT (EPOLLIN, EPOLLERR, EPOLLHUP, ...)
# makes a fd readable, any bit but EPOLLIN writable.
READABLE_BITS: int = ~_EPOLLOUT
WRITABLE_BITS: int = ~_EPOLLIN


def ready_mask(epoll_events: int, registered: int) -> int:
    """What ``select`` reports for epoll's ``epoll_events`` on a key registered for ``registered``.

    As the stdlib's EpollSelector: see READABLE_BITS and WRITABLE_BITS; then
    only what the key asked for.
    """
    return ((EVENT_WRITE if epoll_events & WRITABLE_BITS else 0)
            | (EVENT_READ if epoll_events & READABLE_BITS else 0)) & registered


def _fd_of(fileobj: Any) -> int:
    """The file descriptor of ``fileobj`` (an int or an object with ``fileno()``); ValueError if none."""
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


class _KeyMap(Mapping):  # type: ignore[type-arg]
    """``get_map()``: file object (or fd) -> SelectorKey, read-only and live; iterates the fds."""

    __slots__ = ("_selector",)

    def __init__(self, selector: EpollSelector) -> None:
        self._selector = selector

    def __len__(self) -> int:
        return len(self._selector._keys)

    def __getitem__(self, fileobj: Any) -> selectors.SelectorKey:
        selector = self._selector
        try:
            return selector._keys[selector._lookup(fileobj)]
        except KeyError:
            raise KeyError(f"{fileobj!r} is not registered") from None

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._selector._keys))


@mypyc_attr(allow_interpreted_subclasses=True)
class EpollSelector(selectors.BaseSelector):
    """A selector over one epoll object, with :meth:`poll` for callers that convert its answer themselves."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._keys: dict[int, selectors.SelectorKey] = {}
        self._by_fd: Mapping[int, selectors.SelectorKey] = MappingProxyType(self._keys)
        self._map: _KeyMap | None = _KeyMap(self)

    def _lookup(self, fileobj: Any) -> int:
        """``fileobj``'s fd; for a file object closed since it was registered, the fd it was registered with."""
        try:
            return _fd_of(fileobj)
        except ValueError:
            for key in self._keys.values():  # as the stdlib does: a closed socket is still unregistrable
                if key.fileobj is fileobj:
                    return key.fd
            raise

    # -- selectors.BaseSelector ------------------------------------------------------

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        if not events or events & ~(EVENT_READ | EVENT_WRITE):
            raise ValueError(f"Invalid events: {events!r}")
        fd = self._lookup(fileobj)
        if fd in self._keys:
            raise KeyError(f"{fileobj!r} (FD {fd}) is already registered")
        key = SelectorKey(fileobj, fd, events, data)
        self._epoll.register(fd, _epoll_events(events))  # OSError (e.g. EPERM for a regular file): not registered
        self._keys[fd] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        try:
            key = self._keys.pop(self._lookup(fileobj))
        except KeyError:
            raise KeyError(f"{fileobj!r} is not registered") from None
        try:
            self._epoll.unregister(key.fd)
        except OSError:  # the fd was closed (EBADF) or closed and reused (ENOENT): epoll forgot it already
            pass
        return key

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        try:
            key = self._keys[self._lookup(fileobj)]
        except KeyError:
            raise KeyError(f"{fileobj!r} is not registered") from None
        if events != key.events:
            if not events or events & ~(EVENT_READ | EVENT_WRITE):
                raise ValueError(f"Invalid events: {events!r}")
            try:
                self._epoll.modify(key.fd, _epoll_events(events))
            except BaseException:
                self.unregister(fileobj)  # as the stdlib (bpo-30014): a failed modify leaves it unregistered
                raise
            key = key._replace(events=events, data=data)
        elif data is not key.data:
            key = key._replace(data=data)
        self._keys[key.fd] = key
        return key

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        keys = self._keys
        ready = []
        for fd, epoll_events in self.poll(timeout):
            key = keys.get(fd)
            if key is not None:
                ready.append((key, ready_mask(epoll_events, key.events)))
        return ready

    def close(self) -> None:
        self._epoll.close()
        self._keys.clear()
        self._map = None

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        if self._map is None:
            raise RuntimeError("Selector is closed")
        return self._map[fileobj]

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._map  # type: ignore[return-value]  # None once closed, as the stdlib's

    def fileno(self) -> int:
        """The epoll object's file descriptor (as the stdlib's EpollSelector has)."""
        return self._epoll.fileno()

    # -- the raw poll the loop uses ------------------------------------------------------

    def poll(self, timeout: float | None = None) -> list[tuple[int, int]]:
        """epoll's own answer for ``select(timeout)``: ``(fd, epoll event bits)`` pairs, unconverted.

        ``select`` is this plus, for each pair, ``key = keys_by_fd().get(fd)``
        (skipped if None) and ``ready_mask(bits, key.events)``. Same timeout
        rules as ``select``: None waits forever, <= 0 not at all, else rounded
        up to the millisecond (epoll's resolution) so that it never returns early.
        """
        if timeout is None:
            t = -1.0
        elif timeout <= 0:
            t = 0.0
        else:
            t = math.ceil(timeout * 1e3) * 1e-3
        return self._epoll.poll(t, len(self._keys) or 1)

    def keys_by_fd(self) -> Mapping[int, selectors.SelectorKey]:
        """The registered keys by file descriptor: a live, read-only view (what :meth:`poll`'s fds name)."""
        return self._by_fd


def _epoll_events(events: int) -> int:
    return (_EPOLLIN if events & EVENT_READ else 0) | (_EPOLLOUT if events & EVENT_WRITE else 0)
