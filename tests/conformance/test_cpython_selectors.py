"""CPython's own ``Lib/test/test_selectors.py`` run against FakeSelector.

Its ``BaseSelectorTestCase`` and ``ScalableSelectorMixIn`` are imported and
subclassed, bodies unchanged. What the subclass provides: ``SELECTOR`` (a new
``net.selector()``), ``make_socketpair`` (``net.socketpair()``), and the
module's clock and sleep pointed at the network's virtual clock (the test
module reads ``time``/``sleep`` as module globals; they are patched for each
test with ``unittest.mock.patch.object`` and restored after it).

Cases that cannot apply are overridden with a skip saying why; everything
else must pass. The interpreter must ship the ``test`` package (python.org
and pyenv builds do; Debian/Ubuntu put it in ``libpython3.X-testsuite``): if
it does not, the test below fails saying so.
"""

from __future__ import annotations

import sys
import unittest
import unittest.mock

import pytest

import fakes

try:
    from test import test_selectors
except ImportError as exc:  # pragma: no cover - the suite's interpreters ship it
    _MISSING: ImportError | None = exc
else:
    _MISSING = None

_PACKAGE = (f"the interpreter's `test` package (CPython's Lib/test; python.org and pyenv builds include it, "
            f"Debian/Ubuntu ship it as libpython{sys.version_info[0]}.{sys.version_info[1]}-testsuite)")


def test_cpython_test_selectors_is_importable():
    if _MISSING is not None:  # pragma: no cover
        pytest.fail(f"test.test_selectors is not importable ({_MISSING}): install {_PACKAGE}; "
                    "CPython's selector tests are part of the conformance suite, they are not optional")


def cannot_apply(reason: str):  # type: ignore[no-untyped-def]
    """An override of a CPython case that cannot apply to a fake selector, saying why."""
    @unittest.skip(f"cannot apply to FakeSelector: {reason}")
    def case(self):  # type: ignore[no-untyped-def]
        pass  # pragma: no cover
    return case


if _MISSING is None:

    class TestFakeSelectorAgainstCPython(test_selectors.BaseSelectorTestCase,
                                         test_selectors.ScalableSelectorMixIn, unittest.TestCase):
        """CPython's selector test cases, on a FakeNetwork's selector and socket pairs."""

        def setUp(self):  # type: ignore[no-untyped-def]
            self.net = fakes.FakeNetwork(seed=12)
            self.pairs = 0
            for name, value in (("time", self.net.clock.now), ("sleep", self.net.run_for)):
                patcher = unittest.mock.patch.object(test_selectors, name, value)
                patcher.start()
                self.addCleanup(patcher.stop)

        def SELECTOR(self):  # type: ignore[no-untyped-def]  # the cases call self.SELECTOR()
            return self.net.selector()

        def make_socketpair(self):  # type: ignore[no-untyped-def]
            self.pairs += 1
            rd, wr = self.net.socketpair((f"rd{self.pairs}", f"wr{self.pairs}"))
            self.addCleanup(rd.close)
            self.addCleanup(wr.close)
            return rd, wr

        test_unregister_after_fd_close_and_reuse = cannot_apply(
            "it os.dup2()s real fds onto the fake fds; fake fds are not kernel fds and are never reused")
        test_modify_unregister = cannot_apply(
            "it patches the C-level _selector_cls of EpollSelector/PollSelector/DevpollSelector, which a "
            "fake selector does not have (the case skips itself for any other selector)")
        test_select_interrupt_exc = cannot_apply(
            "it needs a real SIGALRM to interrupt a select() blocked in real time; a fake select() never "
            "blocks, it jumps virtual time")
        test_select_interrupt_noraise = cannot_apply(
            "it needs a real SIGALRM to interrupt a select() blocked in real time; a fake select() never "
            "blocks, it jumps virtual time")
