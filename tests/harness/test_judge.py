"""The gate's judge: every named check fails on exactly the outcome that breaks its rule, and no other."""

import dataclasses
import pathlib
import re

import pytest

from loopsim.harness.judge import CHECKS, judge
from loopsim.harness.outcome import Outcome, TaskOutcome
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import Expect, load_scenario
from loopsim.loop.errors import Deadlock

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Every check has something to look at, and everything holds.
EXPECT = Expect(received={"client#1": b"HELLO"}, result={"clients": 1, "ok": 1}, tasks={"worker": "ValueError"},
                min_time=1.0, max_time=2.0, sockets_closed=True, properties=("scenarios.drivers:delivered_intact",))


def passing_outcome():
    return Outcome(name="judged", result={"clients": 1, "ok": 1}, received={"client#1": b"HELLO"},
                   tasks={"main": TaskOutcome("main", "ok"), "worker": TaskOutcome("worker", "ValueError", "bad"),
                          "helper": TaskOutcome("helper", "cancelled")},
                   virtual_time=1.5, open_sockets=[])


def outcome_with(**changes):
    return dataclasses.replace(passing_outcome(), **changes)


# For each check, an (expect, outcome) that breaks its rule and nothing else, and the failure it reports.
BROKEN = {
    "error": [(EXPECT, outcome_with(error=Deadlock("every task waits", [])),
               "error: the run stopped: Deadlock: every task waits"),
              (dataclasses.replace(EXPECT, error="Livelock"), passing_outcome(),
               "error: expected the run to stop with Livelock, but it ran to the end")],
    "received": [(EXPECT, outcome_with(received={"client#1": b"HELL"}),
                  "received: 'client#1' expected b'HELLO', got b'HELL'"),
                 (EXPECT, outcome_with(received={}), "received: 'client#1' expected b'HELLO', got b''")],
    "result": [(dataclasses.replace(EXPECT, result={"clients": 1, "ok": 1, "timeout": 2}), passing_outcome(),
                "result: result {'clients': 1, 'ok': 1} differs from the expected")],
    "tasks": [(EXPECT, outcome_with(tasks={"main": TaskOutcome("main", "ok"), "worker": TaskOutcome("worker", "ok")}),
               "tasks: 'worker' expected ValueError, got ok"),
              (EXPECT, outcome_with(tasks={"main": TaskOutcome("main", "ok")}),
               "tasks: 'worker' expected ValueError, but no task of that name ended")],
    "task_died": [(EXPECT, outcome_with(tasks={**passing_outcome().tasks, "other": TaskOutcome("other", "OSError")}),
                   "task_died: task 'other' died: OSError (list it under [expect] tasks")],
    "min_time": [(EXPECT, outcome_with(virtual_time=0.5),
                  "min_time: took 0.500000 virtual seconds, less than 1.0")],
    "max_time": [(EXPECT, outcome_with(virtual_time=2.5),
                  "max_time: took 2.500000 virtual seconds, more than 2.0")],
    "sockets_closed": [(EXPECT, outcome_with(open_sockets=["proxy#1"]), "sockets_closed: sockets left open: proxy#1")],
    "properties": [(EXPECT, outcome_with(result={"clients": 1, "ok": 1, "corrupt": 1}),
                    "properties: scenarios.drivers:delivered_intact: 1 of 1 clients got corrupted replies")],
}

CASES = [pytest.param(name, expect, outcome, message, id=f"{name}-{i}")
         for name, cases in BROKEN.items() for i, (expect, outcome, message) in enumerate(cases)]


def failing_checks(expect, outcome):
    return [check.name for check in CHECKS if list(check.failures(expect, outcome))]


def test_the_reference_outcome_passes_every_check():
    assert failing_checks(EXPECT, passing_outcome()) == []
    assert judge(EXPECT, passing_outcome()) == []


@pytest.mark.parametrize("name, expect, outcome, message", CASES)
def test_each_check_fails_alone_and_says_its_name(name, expect, outcome, message):
    assert failing_checks(expect, outcome) == [name]
    [failure] = judge(expect, outcome)
    assert failure.startswith(f"{name}: ") and failure.startswith(message), failure


def test_every_check_has_a_breaking_case():
    assert list(BROKEN) == [check.name for check in CHECKS]


def test_checks_have_unique_names_and_a_docstring():
    names = [check.name for check in CHECKS]
    assert len(set(names)) == len(names)
    assert all(type(check).__doc__ for check in CHECKS)


def test_the_checks_cover_every_expect_key_and_only_those():
    fields = {f.name for f in dataclasses.fields(Expect)}
    read = {key for check in CHECKS for key in check.keys}
    assert read == fields, f"[expect] keys no check reads: {fields - read}; keys that do not exist: {read - fields}"


def test_a_run_that_is_not_allowed_to_stop_fails_only_the_error_check_even_with_an_unset_sockets_rule():
    outcome = outcome_with(error=Deadlock("stuck", []), open_sockets=["proxy#1"])
    assert failing_checks(dataclasses.replace(EXPECT, sockets_closed=False), outcome) == ["error"]


def test_failures_are_reported_in_the_order_of_the_list():
    outcome = outcome_with(virtual_time=9.0, open_sockets=["a"], received={})
    assert [f.split(":")[0] for f in judge(EXPECT, outcome)] == ["received", "max_time", "sockets_closed"]


def test_run_scenario_judges_with_the_list(tmp_path):
    text = (ROOT / "scenarios" / "slow_server2.toml").read_text()
    path = tmp_path / "s.toml"
    path.write_text(re.sub(r"max_time = [0-9.]+", "max_time = 29.0", text))
    result = run_scenario(load_scenario(path))
    assert result.status == "fail" and result.failures[0].startswith("max_time: took 30.000000")


def test_the_docs_list_every_check_with_its_key():
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    for check in CHECKS:
        assert re.search(rf"^\| `{check.name}` \| {' '.join(f'`{k}`' for k in check.keys)} \|", docs, re.M), check.name
