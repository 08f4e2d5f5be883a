"""explore's strategies: random (amortised), pct, swarm, systematic; each finds what it should, systematic counts
its schedules exactly, and the command line selects them."""

import pytest

import fakes
import loopsim
from loopsim.cli import main
from loopsim.explore import explore
from loopsim.harness.runner import run_scenario, run_world
from loopsim.harness.scenario import load_scenario
from loopsim.harness.search_strategies import PCTPolicy, Schedule, Strategy, strategy_named
from loopsim.harness.systematic import DeviationChooser, enumerate_schedules
from loopsim.loop.errors import InputError
from loopsim.outcome import no_task_died


def _warm(cache):
    yield from loopsim.sleep(0)  # (a real one would fetch something)
    cache["config"] = "warm"


def _log(lines):
    yield from loopsim.sleep(0)
    lines.append("logged")


def _read(cache, warmer):
    yield from loopsim.sleep(0)
    if warmer is not None:
        yield from loopsim.join(warmer)  # the fix: wait for the warmer
    return cache["config"]  # KeyError when it runs before the warmer


def cache_race(net, fixed=False):
    """Three tasks ready together: the reader assumes the warmer ran first (true in FIFO order only)."""
    cache, lines = {}, []
    warmer = yield from loopsim.spawn(_warm(cache), name="warmer")
    logger = yield from loopsim.spawn(_log(lines), name="logger")
    reader = yield from loopsim.spawn(_read(cache, warmer if fixed else None), name="reader")
    for task in (warmer, logger, reader):
        try:
            yield from loopsim.join(task)
        except KeyError:
            pass  # the reader's death is what no_task_died reports
    return {"lines": len(lines)}


def _step(k):
    yield from loopsim.sleep(0)


def three_steps(net):
    """Three tasks, each ready in two ticks: 3! orders per tick, 36 schedules in all."""
    tasks = []
    for name in "abc":
        tasks.append((yield from loopsim.spawn(_step(name), name=name)))
    for task in tasks:
        yield from loopsim.join(task)


def _fifo(driver, **args):
    return run_world(driver, args, fakes.FakeNetwork(seed=0, chooser=fakes.DefaultChooser()), "fifo")


def test_the_race_needs_an_order_other_than_fifo():
    assert no_task_died(_fifo(cache_race)) is None
    assert no_task_died(_fifo(cache_race, fixed=True)) is None


def test_pct_finds_the_ordering_bug_among_three_tasks(tmp_path):
    report = explore(cache_race, {}, properties=[no_task_died], strategy="pct", budget=None, max_examples=200,
                     database=None, out_dir=str(tmp_path))
    [finding] = report.findings
    assert "reader: KeyError" in finding.message
    assert report.strategy.startswith("strategy pct:") and "3 change points" in report.strategy
    assert finding.schedule.startswith("PCT schedule")
    # shrunk to the ready order: which task runs first (one or two picks)
    assert {label for label, _, value in finding.choices if value} == {"ready-order"}
    assert run_scenario(load_scenario(finding.path)).status == "fail"  # the file replays the order


def test_pct_priorities_decide_the_order_and_change_points_lower_one():
    class T:
        def __init__(self, name):
            self.name = name

    a, b, c = T("a"), T("b"), T("c")
    orders = set()
    for seed in range(40):
        policy = PCTPolicy(fakes.RandomChooser(seed), change_points=0, horizon=10)
        first = [a, b, c][policy.pick([a, b, c])]
        assert [a, b, c][policy.pick([a, b, c])] is first  # the same priorities at every step
        orders.add(first.name)
    assert orders == {"a", "b", "c"}
    lowered = PCTPolicy(fakes.RandomChooser(0), change_points=1, horizon=1)  # the change point is step 1
    top = PCTPolicy(fakes.RandomChooser(0), change_points=0, horizon=1).pick([a, b, c])
    assert lowered.pick([a, b, c]) != top


def test_schedules_are_values_the_same_run_comes_from_the_same_value():
    strategy = Strategy("random", schedules=4)
    assert strategy.schedule(7, 0) == Schedule("default")
    assert strategy.schedule(7, 1) == Schedule("random", 29) != strategy.schedule(8, 1)
    record_a, record_b = [], []
    from loopsim.harness.search_strategies import run_schedule
    from scenarios.drivers import racy_world

    for record in (record_a, record_b):
        run_schedule(racy_world, {}, fakes.NetConfig(), Schedule("random", 3), record=record)
    assert record_a == record_b and any(value for _, _, value in record_a)


def test_random_runs_several_schedules_per_world():
    from scenarios.drivers import delivered_intact, proxy_world

    report = explore(proxy_world, {}, properties=[delivered_intact], budget=None, max_examples=64, schedules=4,
                     database=None)
    assert report.runs == 64 and report.worlds <= 16
    assert "4 schedules per world" in report.strategy and "runs/CPU-s" in report.summary()


def test_systematic_finds_a_one_deviation_bug_with_one_deviation(tmp_path):
    report = explore(cache_race, {}, properties=[no_task_died], strategy="systematic", deviations=2, budget=None,
                     database=None, out_dir=str(tmp_path))
    [finding] = report.findings
    assert "reader: KeyError" in finding.message
    assert finding.schedule == "a schedule with 1 deviation(s) from the default"
    assert len([value for _, _, value in finding.choices if value]) == 1
    assert run_scenario(load_scenario(finding.path)).status == "fail"
    assert "passed" not in report.summary()  # a failure: no claim of a proof


def test_systematic_with_no_deviation_runs_only_the_default_schedule():
    report = explore(cache_race, {}, properties=[no_task_died], strategy="systematic", deviations=0, budget=None,
                     database=None)
    assert report.findings == [] and report.runs == 1
    assert "systematic: all 1 schedules up to 0 deviations passed" in report.summary()


@pytest.mark.parametrize("k, total, levels", [(0, 1, [1]), (1, 7, [1, 6]), (2, 20, [1, 6, 13]),
                                              (4, 36, [1, 6, 13, 12, 4])])
def test_systematic_proves_a_small_program_and_counts_its_schedules_exactly(k, total, levels):
    # three_steps asks two ticks x (pick of 3, then pick of 2): alternatives 2, 1, 2, 1 per choice point, so
    # the schedules with d deviations are the x^d coefficient of ((1 + 2x)(1 + x))^2 = 1 + 6x + 13x^2 + 12x^3
    # + 4x^4, and all of them are 3! * 3! = 36.
    report = explore(three_steps, {}, properties=[no_task_died], strategy="systematic", deviations=k,
                     budget=None, database=None)
    enum = report.enumeration
    assert enum.complete and enum.ran == total == report.runs and enum.levels == levels
    assert f"systematic: all {total} schedules up to {k} deviation" in report.summary()
    assert "a bounded proof" in report.summary()


def test_systematic_proves_the_fixed_twin_for_every_schedule():
    report = explore(cache_race, {"fixed": True}, properties=[no_task_died], strategy="systematic",
                     deviations=3, budget=None, database=None)
    assert report.findings == [] and report.enumeration.complete
    assert "passed (a bounded proof" in report.summary()


def test_systematic_out_of_budget_says_how_many_of_how_many():
    report = explore(three_steps, {}, properties=[no_task_died], strategy="systematic", deviations=2,
                     budget=None, max_examples=10, database=None)
    enum = report.enumeration
    assert not enum.complete and enum.ran == 10
    assert "ran 10 of 20 schedules up to 2 deviations (budget spent; not all of them: no proof)" in report.summary()
    assert "passed" not in report.summary()


def test_enumeration_with_a_lower_level_unfinished_says_at_least():
    def run(chooser):
        chooser.index("x", 3)
        chooser.index("y", 2)
        return False

    calls = iter(range(100))
    enum = enumerate_schedules(run, 2, lambda: next(calls) >= 2)
    assert (enum.ran, enum.levels, enum.exact) == (2, [1, 3], False)
    assert "ran 2 of at least 4 schedules up to 2 deviations" in enum.describe()


def test_a_driver_that_is_not_deterministic_is_an_input_error_in_systematic():
    chooser = DeviationChooser({0: 5})
    assert chooser.index("x", 3) == 0 and "cannot take the value 5" in chooser.mismatch


def test_strategy_names_and_parameters_are_checked():
    with pytest.raises(InputError, match="unknown strategy 'nope': choose one of random, pct, swarm, systematic"):
        strategy_named("nope")
    for bad in ({"schedules": 0}, {"worlds": 0}, {"change_points": -1}, {"deviations": -1}):
        with pytest.raises(InputError):
            strategy_named("random", **bad)
    with pytest.raises(InputError, match="no --shard"):
        explore(three_steps, {}, strategy="systematic", shard=(1, 2), database=None)


DRIVER = "tests.harness.test_explore_strategies:cache_race"


def test_the_strategy_flag_exit_codes(tmp_path, capsys):
    common = ["--property", "no_task_died", "--db", "none", "--quiet", "--out", str(tmp_path)]
    assert main(["explore", DRIVER, "--strategy", "systematic", "--deviations", "1", *common]) == 1
    out = capsys.readouterr().out
    assert "strategy systematic" in out and "1 failure(s) found" in out
    assert main(["explore", DRIVER, "fixed=true", "--strategy", "systematic", "--deviations", "2", *common]) == 0
    assert "passed (a bounded proof" in capsys.readouterr().out
    assert main(["explore", DRIVER, "--strategy", "pct", "--change-points", "1", "--examples", "300", *common]) == 1
    assert "strategy pct" in capsys.readouterr().out
    assert main(["explore", DRIVER, "--strategy", "bogus", *common]) == 2
    assert "unknown strategy 'bogus': choose one of random, pct, swarm, systematic" in capsys.readouterr().err
    assert main(["explore", DRIVER, "--strategy", "random", "--schedules", "0", *common]) == 2


def test_swarm_asks_the_world_coder_for_its_swarm_mode(monkeypatch):
    from loopsim.harness import explore as engine
    from loopsim.harness.world_distribution import WorldCoder
    from scenarios.drivers import delivered_intact, proxy_world

    asked = []

    class Recorded(WorldCoder):
        def __init__(self, space, max_faults=1, max_turns=3, swarm=False):
            super().__init__(space, max_faults, max_turns, swarm)
            asked.append((swarm, space.connect_targets))

    monkeypatch.setattr(engine, "WorldCoder", Recorded)
    report = explore(proxy_world, {}, properties=[delivered_intact], strategy="swarm", budget=None,
                     max_examples=12, database=None)
    assert asked == [(True, ("server2:80",))]  # swarm worlds; no connect fault on the address the driver serves
    assert report.strategy.startswith("strategy swarm: hypothesis draws swarm worlds") and report.runs == 12
    explore(proxy_world, {}, properties=[delivered_intact], budget=None, max_examples=6, database=None)
    assert asked[-1] == (False, ("server2:80",))


@pytest.mark.slow
def test_swarm_finds_the_naive_proxys_loss():
    from scenarios.drivers import delivered_intact, proxy_world

    report = explore(proxy_world, {"app": "naive"}, properties=[delivered_intact], strategy="swarm", budget=None,
                     max_examples=400, database=None)
    assert report.findings, report.summary()
