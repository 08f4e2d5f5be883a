# _loopsim_pytestplugin: loopsim's pytest plugin (entry point pytest11 "loopsim"), top level so that
# loading it imports nothing of loopsim (as hypothesis does): coverage of loopsim stays honest and
# start-up stays cheap. Owns: the collection hooks, the fixtures and the loop fixture's checks. Imports: pytest; lazily
# fakes, loopsim (Loop), loopsim.explore and loopsim.harness.pytest_items.
"""loopsim's pytest plugin, loaded automatically once loopsim is installed.

* Collects scenario files (``*.toml`` whose head declares
  ``format = "loopsim-scenario/1"``) as test items.
* Fixtures for your own tests: ``fake_net`` (a ``fakes.FakeNetwork(seed=0)``),
  ``virtual_clock`` (its clock), ``loop`` (a ``loopsim.Loop`` over them,
  closed after the test, failing it for a task's unobserved error, tasks left
  or open sockets) and ``loopsim_explore`` (the failure search of ``loopsim
  explore``, writing what it finds under the test's tmp_path).
* Does not collect a folder ``loopsim explore`` wrote findings into (it holds
  a ``.loopsim-found`` file) unless the folder or a file in it is named on
  the command line: promote a finding by moving it where your tests are.

Inside a hypothesis ``@given`` test, draw the network instead
(``loopsim.strategies.networks()``): every choice it makes then comes from
hypothesis, which shrinks it.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Iterator

import pytest

__all__ = ["pytest_collect_file", "pytest_configure", "pytest_runtest_call", "pytest_ignore_collect", "fake_net",
           "virtual_clock", "loop", "loopsim_explore", "FOUND_MARKER"]

_MARK = b'"loopsim-scenario/'


def pytest_collect_file(file_path: Any, parent: Any) -> Any:
    if file_path.suffix != ".toml":
        return None
    try:
        with open(file_path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if _MARK not in head:
        return None
    from loopsim.harness.pytest_items import ScenarioFile

    return ScenarioFile.from_parent(parent, path=file_path)


@pytest.fixture
def fake_net() -> Any:
    """A fresh ``fakes.FakeNetwork(seed=0)``: virtual time at 0.0, no faults configured."""
    import fakes

    return fakes.FakeNetwork(seed=0)


@pytest.fixture
def virtual_clock(fake_net: Any) -> Any:
    """``fake_net``'s ``VirtualClock`` (starts at 0.0; moves only when every task waits)."""
    return fake_net.clock


# A task's unobserved error is logged by the loop (logger "loopsim") when its run ends; the loop
# fixture collects those records and fails the test with them.
class _LoopWatch(logging.Handler):
    """The loop fixture's checks: unobserved task errors (logged by the loop), tasks left, open sockets."""

    def __init__(self, loop: Any, net: Any) -> None:
        super().__init__(logging.ERROR)
        self.loop, self.net = loop, net
        self.died: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.died.append(record.getMessage())

    def problems(self) -> list[str]:
        out = [f"a task died and nobody looked at its error: {line}" for line in self.died]
        left = self.loop.tasks()
        if left:
            out.append("tasks left: " + ", ".join(f"{t.name!r} (at {t.where()})" for t in left))
        sockets = [s.name for s in self.net.open_sockets()]
        if sockets:
            out.append("sockets left open: " + ", ".join(sockets))
        return out


_WATCH = pytest.StashKey["_LoopWatch"]()
_OPT_OUT = "loopsim_leaks_ok"


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", f"{_OPT_OUT}: the loop fixture does not fail the test for tasks left, "
                                       "open sockets or a task's unobserved error (for tests that mean them)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: Any) -> Any:
    """After a test that used ``loop``: fail it for what the loop fixture checks (see :func:`loop`)."""
    result = yield
    watch = item.stash.get(_WATCH, None)
    if watch is not None and item.get_closest_marker(_OPT_OUT) is None:
        problems = watch.problems()
        if problems:
            pytest.fail(f"loop fixture (opt out with @pytest.mark.{_OPT_OUT}):\n  " + "\n  ".join(problems),
                        pytrace=False)
    return result


@pytest.fixture
def loop(fake_net: Any, request: Any) -> Iterator[Any]:
    """A ``loopsim.Loop`` over ``fake_net``'s selector and clock, closed after the test.

    The test fails (naming the task and its error, the tasks or the sockets) when a
    task the loop ran died with an error nobody looked at (``join``, ``result()``,
    ``exception()``), when tasks are left at the end of the test, or when
    ``fake_net`` has open sockets; ``@pytest.mark.loopsim_leaks_ok`` opts out.
    """
    from loopsim import Loop

    with Loop(selector=fake_net.selector(), clock=fake_net.clock) as lp:
        watch = _LoopWatch(lp, fake_net)
        log = logging.getLogger("loopsim")
        log.addHandler(watch)
        request.node.stash[_WATCH] = watch
        try:
            yield lp
        finally:
            log.removeHandler(watch)


@pytest.fixture
def loopsim_explore(tmp_path: Any) -> Any:
    """``loopsim.explore.explore`` with test-friendly defaults: 200 examples per property, no time
    budget, no example database, scenarios written under ``tmp_path / "found"``. Returns the
    ExploreReport.

    The verdict does not depend on pytest-xdist: under ``-n N`` the whole test runs on one
    worker, which searches everything (pass ``shard=(K, N)`` to split a search yourself).
    """
    import functools

    from loopsim.explore import explore

    return functools.partial(explore, budget=None, max_examples=200, database=None,
                             out_dir=str(tmp_path / "found"))


# explore writes this file into its output folder (loopsim.harness.explore.FOUND_MARKER): such a
# folder is not collected unless it (or a file in it) is named on the command line.
FOUND_MARKER = ".loopsim-found"


def pytest_ignore_collect(collection_path: Any, config: Any) -> bool | None:
    if not os.path.isfile(os.path.join(collection_path, FOUND_MARKER)):
        return None
    here = os.path.abspath(collection_path)
    for arg in config.args:
        named = os.path.abspath(str(arg).split("::")[0])
        if named == here or named.startswith(here + os.sep):
            return None  # the user asked for it
    return True
