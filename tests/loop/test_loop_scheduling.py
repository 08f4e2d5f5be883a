"""The ready order: FIFO by default, or the order an injected scheduling policy picks (loopsim.loop.scheduling)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

import loopsim
from loopsim.loop.scheduling import READY_ORDER


def stepper(log, name, steps):
    """Logs its name, then yields sleep(0), ``steps`` times."""
    for _ in range(steps):
        log.append(name)
        yield from loopsim.sleep(0)


class LastPolicy:
    """Always the task that became ready last; keeps what it was offered."""

    def __init__(self):
        self.offered = []

    def pick(self, ready):
        self.offered.append([task.name for task in ready])
        return len(ready) - 1


class ListPolicy:
    """Answers from a list of indices (each taken modulo the batch size), then FIFO."""

    def __init__(self, picks):
        self.picks = list(picks)

    def pick(self, ready):
        return self.picks.pop(0) % len(ready) if self.picks else 0


def run_tasks(policy, specs):
    log = []
    loop = loopsim.Loop(policy=policy)
    for name, steps in specs:
        loop.spawn(stepper(log, name, steps), name=name)
    loop.run()
    loop.close()
    return log


def test_without_a_policy_the_batch_runs_in_fifo_order():
    assert run_tasks(None, [("a", 2), ("b", 2), ("c", 2)]) == ["a", "b", "c"] * 2


def test_a_policy_that_picks_the_last_task_reverses_each_batch():
    policy = LastPolicy()
    log = run_tasks(policy, [("a", 2), ("b", 2), ("c", 2)])
    # tick 1 runs c, b, a (they re-queue in that order); tick 2 reverses that again
    assert log == ["c", "b", "a", "a", "b", "c"]
    # asked once per task while two or more are left, with the tasks not yet run, in FIFO order
    assert policy.offered[:4] == [["a", "b", "c"], ["a", "b"], ["c", "b", "a"], ["c", "b"]]


def test_a_batch_of_one_task_does_not_ask_the_policy():
    policy = LastPolicy()
    assert run_tasks(policy, [("solo", 5)]) == ["solo"] * 5
    assert policy.offered == []


def test_tasks_made_ready_during_a_batch_are_offered_in_the_next_tick():
    policy = LastPolicy()
    log = []

    def parent():
        log.append("parent")
        yield from loopsim.spawn(stepper(log, "child", 1), name="child")
        yield from loopsim.sleep(0)

    loop = loopsim.Loop(policy=policy)
    loop.spawn(parent(), name="parent")
    loop.spawn(stepper(log, "other", 1), name="other")
    loop.run()
    loop.close()
    # the child, spawned during the first batch, is first offered in the second
    assert policy.offered[:2] == [["parent", "other"], ["other", "child", "parent"]]
    assert log == ["other", "parent", "child"]


def rounds(names, picks):
    """The order of each round of len(names) tasks that each sleep(0) in a loop, as the picks decide."""
    order, out, picks = list(names), [], list(picks)
    while len(out) < 3 * len(names):
        left, ran = list(order), []
        while left:
            i = (picks.pop(0) % len(left) if picks else 0) if len(left) > 1 else 0
            ran.append(left.pop(i))
        out += ran
        order = ran  # each task re-queued itself as it ran
    return out


@given(n=st.integers(1, 5), picks=st.lists(st.integers(0, 10), max_size=30))
def test_each_tick_runs_the_permutation_of_its_batch_that_the_picks_name(n, picks):
    names = [f"t{i}" for i in range(n)]
    log = run_tasks(ListPolicy(picks), [(name, 3) for name in names])
    assert log == rounds(names, picks)


def withdraw(account, amount, work):
    """A check-then-set across a yield: the balance may have changed when it is set."""
    for _ in range(work):
        yield from loopsim.sleep(0)
    if account["balance"] >= amount:  # check
        yield from loopsim.sleep(0)  # (writes the audit log)
        account["balance"] -= amount  # set


def overdrawn(policy):
    account = {"balance": 100}
    loop = loopsim.Loop(policy=policy)
    loop.spawn(withdraw(account, 100, 0), name="a")
    loop.spawn(withdraw(account, 100, 1), name="b")
    loop.run()
    loop.close()
    return account["balance"] < 0


def test_a_check_then_set_race_is_found_only_by_choosing_the_ready_order():
    assert not overdrawn(None)  # FIFO: "a" checks and sets before "b" checks
    assert not overdrawn(ListPolicy([0] * 10))  # a policy that always picks 0 is FIFO
    found = [picks for picks in itertools.product([0, 1], repeat=3) if overdrawn(ListPolicy(picks))]
    # found exactly when "b" checks before "a" sets: any order but FIFO in the first two ticks
    assert found and all(picks[:2] != (0, 0) for picks in found)


class RecordingIndexChooser:
    def __init__(self, answers):
        self.asked, self.answers = [], list(answers)

    def index(self, label, n):
        self.asked.append((label, n))
        return self.answers.pop(0) if self.answers else 0


def test_chooser_policy_asks_the_chooser_for_a_ready_order_index():
    chooser = RecordingIndexChooser([2, 1])
    log = run_tasks(loopsim.ChooserPolicy(chooser), [("a", 1), ("b", 1), ("c", 1)])
    assert log == ["c", "b", "a"]
    assert chooser.asked[:2] == [(READY_ORDER, 3), (READY_ORDER, 2)] and READY_ORDER == "ready-order"


def test_a_chooser_policy_answering_zero_is_fifo():
    assert run_tasks(loopsim.ChooserPolicy(RecordingIndexChooser([])), [("a", 2), ("b", 2)]) == ["a", "b"] * 2


def test_loopsim_run_takes_a_policy():
    log = []

    def main():
        yield from loopsim.spawn(stepper(log, "x", 1), name="x")
        yield from loopsim.spawn(stepper(log, "y", 1), name="y")
        yield from loopsim.sleep(0)

    loopsim.run(main(), policy=LastPolicy())
    assert log == ["y", "x"]


@pytest.mark.parametrize("bad", [-1, 2, True, 1.0, None])
def test_a_policy_returning_a_bad_index_is_a_usage_error_and_the_tasks_are_finalized(bad):
    log = []

    class Bad:
        calls = 0

        def pick(self, ready):  # FIFO for the first batch, so both tasks have started
            self.calls += 1
            return 0 if self.calls == 1 else bad

    def task(name):
        try:
            yield from loopsim.sleep(0)
        finally:
            log.append(name)

    loop = loopsim.Loop(policy=Bad())
    loop.spawn(task("a"), name="a")
    loop.spawn(task("b"), name="b")
    with pytest.raises(loopsim.UsageError, match=rf"picked {bad!r} from 2 ready tasks"):
        loop.run()
    loop.close()
    assert sorted(log) == ["a", "b"]


def test_a_policy_that_raises_ends_the_run_and_the_tasks_are_finalized():
    log = []

    class Broken:
        def pick(self, ready):
            raise RuntimeError("policy bug")

    loop = loopsim.Loop(policy=Broken())
    for name in "ab":
        loop.spawn(stepper(log, name, 3), name=name)
    with pytest.raises(RuntimeError, match="policy bug"):
        loop.run()
    loop.close()
    assert loop.tasks() == []


def test_a_policy_without_pick_and_a_chooser_without_index_are_type_errors():
    with pytest.raises(TypeError, match="no pick"):
        loopsim.Loop(policy=object())
    with pytest.raises(TypeError, match="index"):
        loopsim.ChooserPolicy(object())


def test_the_protocol_is_runtime_checkable():
    assert isinstance(LastPolicy(), loopsim.SchedulingPolicy)
    assert isinstance(loopsim.ChooserPolicy(RecordingIndexChooser([])), loopsim.SchedulingPolicy)
    assert repr(loopsim.ChooserPolicy(RecordingIndexChooser([]))).startswith("ChooserPolicy(")
