# loopsim.harness.pytest_items: the pytest collector and item for scenario files (used by _loopsim_pytestplugin).
# Owns: ScenarioFile, ScenarioItem, ScenarioFailed. Imports: pytest; lazily loopsim.loop.errors and
# loopsim.harness.{scenario,runner}.
"""Scenario files as pytest items: a failing scenario shows the failed
expectation or the divergence and the tail of the trace, not plugin internals;
a broken file shows ``FILE:LINE: key: what is wrong``.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

__all__ = ["ScenarioFile", "ScenarioItem", "ScenarioFailed"]


class ScenarioFailed(Exception):
    """A scenario's expectations failed or it diverged from its script."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.report())
        self.result = result


class ScenarioFile(pytest.File):
    """A scenario file: one test item."""

    def collect(self) -> Iterator[pytest.Item]:
        from loopsim.loop.errors import InputError
        from .scenario import load_scenario

        try:
            scenario = load_scenario(self.path)
        except InputError as exc:
            yield ScenarioItem.from_parent(self, name=self.path.stem, scenario=None, problem=exc)
            return
        yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario, problem=None)


class ScenarioItem(pytest.Item):
    """Runs one scenario; fails with its report."""

    def __init__(self, *, scenario: Any, problem: BaseException | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.problem = problem

    def runtest(self) -> None:
        from .runner import run_scenario

        if self.problem is not None:
            raise self.problem
        result = run_scenario(self.scenario)
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from loopsim.loop.errors import InputError

        if isinstance(excinfo.value, (ScenarioFailed, InputError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, 0, f"scenario: {self.name}"
