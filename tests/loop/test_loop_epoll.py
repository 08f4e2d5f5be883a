"""The loop's own epoll selector: a complete selectors.BaseSelector, the default on Linux; other selectors via select().

CPython's own Lib/test/test_selectors.py cases run against loopsim.loop.epoll.EpollSelector.
"""

from __future__ import annotations

import selectors
import socket
import sys
import unittest
import unittest.mock

import pytest

import loopsim
from loopsim.loop.epoll import HAVE_EPOLL, EpollSelector, ready_mask

try:
    from test import test_selectors
except ImportError as exc:  # pragma: no cover - the interpreters this project tests with have it
    test_selectors = None
    MISSING = (f"CPython's own selector tests (test.test_selectors) cannot be imported ({exc}): they come with "
               f"CPython's test package - built in with pyenv and python.org installs; on Debian/Ubuntu "
               f"install libpython{sys.version_info.major}.{sys.version_info.minor}-testsuite")

needs_epoll = pytest.mark.skipif(not HAVE_EPOLL, reason="epoll is Linux-only; elsewhere the loop uses DefaultSelector")


def test_cpython_selector_tests_are_importable() -> None:
    if test_selectors is None:  # pragma: no cover
        pytest.fail(MISSING)


if test_selectors is not None:

    class TestEpollSelectorConformance(test_selectors.EpollSelectorTestCase):  # type: ignore[misc,name-defined]
        """CPython's EpollSelector cases (BaseSelectorTestCase, ScalableSelectorMixIn, test_register_file)."""

        SELECTOR = EpollSelector

        def test_modify_unregister(self) -> None:
            # CPython's version patches the stdlib class's private `_selector_cls`; the same check (bpo-30014:
            # a modify that fails leaves the fd unregistered) with this selector's epoll object failing instead.
            with unittest.mock.patch("select.epoll") as epoll:
                epoll.return_value.modify = unittest.mock.Mock(side_effect=ZeroDivisionError)
                s = self.SELECTOR()
                self.addCleanup(s.close)
                rd, wr = self.make_socketpair()
                s.register(rd, selectors.EVENT_READ)
                self.assertEqual(len(s.get_map()), 1)
                with self.assertRaises(ZeroDivisionError):
                    s.modify(rd, selectors.EVENT_WRITE)
                self.assertEqual(len(s.get_map()), 0)


@needs_epoll
def test_poll_and_ready_mask_give_what_select_gives() -> None:
    a, b = socket.socketpair()
    c, d = socket.socketpair()
    with EpollSelector() as sel, a, b, c, d:
        b.send(b"x")  # a: readable and writable
        d.close()  # c: hung up (EPOLLHUP|EPOLLIN): readable and writable, as epoll reports it
        sel.register(a, selectors.EVENT_READ | selectors.EVENT_WRITE, "a")
        sel.register(c, selectors.EVENT_READ, "c")
        by_poll = sorted((sel.keys_by_fd()[fd].data, ready_mask(bits, sel.keys_by_fd()[fd].events))
                         for fd, bits in sel.poll(0))
        by_select = sorted((key.data, mask) for key, mask in sel.select(0))
    assert by_poll == by_select == [("a", selectors.EVENT_READ | selectors.EVENT_WRITE), ("c", selectors.EVENT_READ)]


@needs_epoll
def test_keys_by_fd_is_a_live_read_only_view() -> None:
    a, b = socket.socketpair()
    with EpollSelector() as sel, a, b:
        view = sel.keys_by_fd()
        key = sel.register(a, selectors.EVENT_READ)
        assert view[a.fileno()] is key and len(view) == 1
        with pytest.raises(TypeError):
            view[b.fileno()] = key  # type: ignore[index]
        sel.unregister(a)
        assert a.fileno() not in view


def _echo_once() -> loopsim.loop.ops.Op[bytes]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    try:
        yield from loopsim.sendall(b, b"ping")
        return (yield from loopsim.recv(a, 10))
    finally:
        a.close()
        b.close()


@needs_epoll
def test_the_default_loop_uses_its_own_epoll_selector_and_closes_it() -> None:
    with loopsim.Loop() as loop:
        assert type(loop.selector) is EpollSelector
        assert loop.run_until_complete(_echo_once()) == b"ping"
    assert loop.selector.get_map() is None  # closed with the loop that made it
    with pytest.raises(RuntimeError):
        loop.selector.get_key(0)


class CountingSelect:
    """Wraps a selector's select() (as an instance attribute) and counts the calls."""

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self.calls = 0
        self.inner = selector.select

    def __call__(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self.calls += 1
        return self.inner(timeout)


@pytest.mark.skipif(not hasattr(selectors, "EpollSelector"), reason="the stdlib has no EpollSelector here")
def test_a_stdlib_epoll_selector_passed_in_goes_through_its_public_select() -> None:
    with selectors.EpollSelector() as sel:
        counting = sel.select = CountingSelect(sel)  # type: ignore[method-assign]
        with loopsim.Loop(selector=sel) as loop:
            assert loop.run_until_complete(_echo_once()) == b"ping"
        assert counting.calls >= 1
        assert sel.get_map() is not None  # not the loop's to close


@needs_epoll
def test_a_loopsim_epoll_selector_passed_in_goes_through_its_public_select() -> None:
    class Counting(EpollSelector):
        calls = 0

        def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            Counting.calls += 1
            return super().select(timeout)

    with Counting() as sel:
        with loopsim.Loop(selector=sel) as loop:
            assert loop.run_until_complete(_echo_once()) == b"ping"
        assert Counting.calls >= 1


@needs_epoll
def test_an_io_wait_instrument_makes_the_default_loop_use_select() -> None:
    class Events(loopsim.Instrument):
        def __init__(self) -> None:
            self.seen: list[int] = []

        def after_io_wait(self, events: list[tuple[selectors.SelectorKey, int]]) -> None:
            self.seen.extend(mask for _, mask in events)

    events = Events()
    with loopsim.Loop(instruments=[events]) as loop:
        assert loop.run_until_complete(_echo_once()) == b"ping"
    assert selectors.EVENT_READ in events.seen


@needs_epoll
def test_bad_file_objects_and_events_are_value_errors_as_in_the_stdlib() -> None:
    a, b = socket.socketpair()
    with EpollSelector() as sel, a, b:
        with pytest.raises(ValueError, match="Invalid file object"):
            sel.register(object(), selectors.EVENT_READ)
        sel.register(a, selectors.EVENT_READ, "a")
        with pytest.raises(ValueError, match="Invalid events"):
            sel.modify(a, 8)
        assert sel.get_key(a).events == selectors.EVENT_READ  # a bad modify changes nothing
        same = sel.modify(a, selectors.EVENT_READ, "a")
        assert same == sel.get_key(a) and same.data == "a"
