"""What a run may do is bounded, and what goes wrong in the code a scenario names is that scenario's
failure or input error - never the end of the process: a run past the virtual-time horizon stops, a
driver that calls sys.exit fails its scenario, a driver rejecting its arguments in its first step is an
input error naming the file, and a property that returns a non-string is an input error naming the file."""

import sys

import pytest

import loopsim
from loopsim.harness.runner import run_scenario
from loopsim.outcome import terminates
from loopsim.harness.scenario import ScenarioError, parse_scenario

HERE = "tests.harness.test_run_bounds"


def exits(net):
    yield from loopsim.sleep(1)
    sys.exit(3)


def forever(net):
    while True:
        yield from loopsim.sleep(60)


def picky(net, mode="a"):
    if mode not in ("a", "b"):
        raise ValueError(f"mode must be 'a' or 'b', not {mode!r}")
    yield from loopsim.sleep(0)
    return {"mode": mode}


def fails_later(net):
    yield from loopsim.sleep(1)
    raise ValueError("a bug after the first wait is the code's, not the arguments'")


def answers_42(outcome):
    return 42


def scenario(driver, args="", expect='result = { mode = "a" }', limits=""):
    text = (f'format = "loopsim-scenario/1"\nname = "{driver}"\n[app]\ndriver = "{HERE}:{driver}"\n{args}\n'
            f'[network]\nseed = 0\n[expect]\n{expect}\n{limits}')
    return parse_scenario(text, f"{driver}.toml")


def test_a_run_past_the_virtual_time_horizon_stops_with_a_failure():
    result = run_scenario(scenario("forever"))
    assert result.status == "fail"
    assert type(result.outcome.error).__name__ == "HorizonPassed"
    assert result.outcome.virtual_time == pytest.approx(86_460.0)  # the first select past a day
    assert "raise [limits] seconds" in str(result.outcome.error)


def test_limits_seconds_moves_the_horizon():
    result = run_scenario(scenario("forever", limits="[limits]\nseconds = 600"))
    assert type(result.outcome.error).__name__ == "HorizonPassed"
    assert result.outcome.virtual_time == pytest.approx(660.0)


def test_sys_exit_in_the_code_under_test_fails_the_scenario_not_the_process():
    result = run_scenario(scenario("exits"))
    assert result.status == "fail"
    assert isinstance(result.outcome.error, SystemExit)
    assert any("SystemExit: 3" in f for f in result.failures)


def test_a_driver_rejecting_its_arguments_is_an_input_error_naming_the_file():
    with pytest.raises(ScenarioError, match=r"^picky.toml: app: app args for picky: the driver rejected them: "
                                            r"ValueError: mode must be 'a' or 'b', not 'c'"):
        run_scenario(scenario("picky", args='args = { mode = "c" }'))


def test_an_error_after_the_drivers_first_wait_is_the_codes_failure():
    result = run_scenario(scenario("fails_later", expect="max_time = 5"))
    assert result.status == "fail"
    assert result.outcome.tasks["main"].status == "ValueError"


def test_a_property_returning_a_non_string_is_an_input_error_naming_the_file():
    with pytest.raises(ScenarioError, match=r"^picky.toml: expect.properties: property .*answers_42.* returned int"):
        run_scenario(scenario("picky", expect=f'properties = ["{HERE}:answers_42"]'))


def raises(outcome):
    raise RuntimeError("the property's own bug")


def test_a_property_that_raises_is_an_input_error_in_the_gate_and_in_explore():
    with pytest.raises(ScenarioError, match=r"^picky.toml: expect.properties: property .*raises.* raised "
                                            r"RuntimeError: the property's own bug"):
        run_scenario(scenario("picky", expect=f'properties = ["{HERE}:raises"]'))
    from loopsim.explore import explore
    from loopsim.loop.errors import InputError

    with pytest.raises(InputError, match=r"property .*raises raised RuntimeError: the property's own bug \(on run 1"):
        explore(picky, {}, properties=[raises], budget=None, max_examples=3, database=None)


class _BrokenSelector:
    """A selector whose select fails as no selector should: what a bug in loopsim or the fakes looks like."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def select(self, timeout=None):
        raise RuntimeError("select broke")


def test_a_failure_inside_loopsim_is_an_internal_error_asking_for_a_report():
    import fakes
    from loopsim.harness.runner import run_world
    from loopsim.loop.errors import InternalError

    class BrokenNetwork(fakes.FakeNetwork):
        def selector(self):
            return _BrokenSelector(super().selector())

    net = BrokenNetwork(seed=0)
    with pytest.raises(InternalError, match=r"loopsim failed while running 'broken': RuntimeError: select broke; "
                                            r"this is a bug in loopsim, please report it"):
        run_world(forever, {}, net, name="broken")


def test_a_failure_inside_the_search_is_an_internal_error(monkeypatch):
    from loopsim.explore import explore
    from loopsim.loop.errors import InternalError

    def broken_run(*args, **kwargs):
        raise RuntimeError("the world broke")

    monkeypatch.setattr("loopsim.harness.explore.run_schedule", broken_run)
    with pytest.raises(InternalError, match=r"the search of terminates failed: RuntimeError: the world broke"):
        explore(picky, {}, properties=[terminates], budget=None, max_examples=3, database=None)
