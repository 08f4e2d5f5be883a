# _loopsim_pytestplugin: loopsim's pytest plugin (entry point pytest11 "loopsim"), top level so that
# loading it imports nothing of loopsim (as hypothesis does): coverage of loopsim stays honest and
# start-up stays cheap. Owns: the hooks and fixtures. Imports: pytest; loopsim and fakes lazily.
"""loopsim's pytest plugin, loaded automatically once loopsim is installed.

* Collects scenario files (``*.toml`` whose head declares
  ``format = "loopsim-scenario/1"``) as test items.
* Fixtures for your own tests: ``fake_net`` (a ``fakes.FakeNetwork(seed=0)``),
  ``virtual_clock`` (its clock) and ``loop`` (a ``loopsim.Loop`` over them,
  closed after the test).
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

__all__ = ["pytest_collect_file", "fake_net", "virtual_clock", "loop"]

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
    from loopsim.pytest_items import ScenarioFile

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
