# _loopsim_pytestplugin: loopsim's pytest plugin (entry point pytest11 "loopsim"), top level so that
# loading it imports nothing of loopsim (as hypothesis does): coverage of loopsim stays honest and
# start-up stays cheap. Owns: the collection hook, the fixtures, xdist_shard. Imports: pytest; lazily
# fakes, loopsim (Loop), loopsim.explore and loopsim.harness.pytest_items.
"""loopsim's pytest plugin, loaded automatically once loopsim is installed.

* Collects scenario files (``*.toml`` whose head declares
  ``format = "loopsim-scenario/1"``) as test items.
* Fixtures for your own tests: ``fake_net`` (a ``fakes.FakeNetwork(seed=0)``),
  ``virtual_clock`` (its clock), ``loop`` (a ``loopsim.Loop`` over them,
  closed after the test) and ``loopsim_explore`` (the failure search of
  ``loopsim explore``, writing what it finds under the test's tmp_path).

Inside a hypothesis ``@given`` test, draw the network instead
(``loopsim.strategies.networks()``): every choice it makes then comes from
hypothesis, which shrinks it.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

__all__ = ["pytest_collect_file", "fake_net", "virtual_clock", "loop", "loopsim_explore", "xdist_shard"]

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


@pytest.fixture
def loop(fake_net: Any) -> Iterator[Any]:
    """A ``loopsim.Loop`` over ``fake_net``'s selector and clock, closed after the test."""
    from loopsim import Loop

    with Loop(selector=fake_net.selector(), clock=fake_net.clock) as lp:
        yield lp


@pytest.fixture
def loopsim_explore(tmp_path: Any) -> Any:
    """``loopsim.explore.explore`` with test-friendly defaults: 200 examples, no time budget, no
    example database, scenarios written under ``tmp_path / "found"``. Returns the ExploreReport.

    Under pytest-xdist, worker K of N searches shard K/N (``PYTEST_XDIST_WORKER``), so the
    workers split one search instead of repeating it.
    """
    import functools

    from loopsim.explore import explore

    return functools.partial(explore, budget=None, max_examples=200, database=None,
                             out_dir=str(tmp_path / "found"), shard=xdist_shard(os.environ))


def xdist_shard(environ: Any) -> tuple[int, int]:
    """``(K, N)`` for pytest-xdist worker ``gw{K-1}`` of N; ``(1, 1)`` outside xdist."""
    worker, count = environ.get("PYTEST_XDIST_WORKER", ""), environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if worker.startswith("gw") and worker[2:].isdigit() and count.isdigit() and int(worker[2:]) < int(count):
        return int(worker[2:]) + 1, int(count)
    return 1, 1
