"""The bug zoo (scenarios/zoo, docs/zoo.md): every twin holds in its generic world, every bug shows in a world
that exposes it and is found by explore, and the zoo's properties fail exactly when they should."""

import importlib
import inspect
from pathlib import Path

import pytest

import fakes
from fakes import Endpoint, Fault, Link, NetConfig
from loopsim.explore import explore
from loopsim.harness.runner import run_world
from loopsim.loop.errors import InputError
from loopsim.outcome import Outcome, default_properties, parse_property, property_spec
from scenarios.zoo import BUGS
from scenarios.zoo.properties import answered_in_time, counter_consistent, replies_intact

ZOO = Path(__file__).resolve().parents[2] / "scenarios" / "zoo"
SHARED = {"__init__", "world", "properties"}


def _module(bug):
    return importlib.import_module(f"scenarios.zoo.{bug}")


def _failures(module, app, config=None, seed=None):
    """(property spec, message) for every property the driver declares that fails in this world: seeded (every
    choice drawn at random), or with ``seed=None`` the simplest choices (``fakes.DefaultChooser``: the order
    sockets became ready, FIFO ready order, the smallest sizes), so that only ``config`` exposes the bug."""
    config = config or NetConfig()
    net = (fakes.FakeNetwork(config=config, chooser=fakes.DefaultChooser()) if seed is None
           else fakes.FakeNetwork(seed=seed, config=config))
    outcome = run_world(module.world, {"app": app}, net, "zoo")
    failed = []
    for prop in default_properties(module.world):
        message = prop(outcome)
        if message:
            failed.append((getattr(prop, "__name__", str(prop)), message))
    return failed


def test_the_zoo_lists_every_bug_module_and_each_says_its_bug_fix_and_choice_point():
    files = sorted(p.stem for p in ZOO.glob("*.py") if p.stem not in SHARED)
    assert sorted(BUGS) == files
    assert len(BUGS) >= 12
    for bug in BUGS:
        module = _module(bug)
        doc = inspect.getdoc(module)
        for part in ("Bug:", "Fix (``fixed``", "Exposed by:"):
            assert part in doc, f"{bug}: its docstring lacks {part!r}"
        assert callable(module.bug) and callable(module.fixed)
        assert module.world.loopsim_args == {"app": ("bug", "fixed"), "clients": "clients"}
        assert module.PROPERTY in [property_spec(p) for p in default_properties(module.world)], bug
        assert module.CHOICE


@pytest.mark.parametrize("bug", BUGS)
def test_every_twin_holds_every_property_of_its_driver_in_seeded_worlds(bug):
    module = _module(bug)
    for seed in range(3):
        assert _failures(module, "fixed", seed=seed) == [], (bug, seed)


# A world that exposes each bug the current choice points can reach (docs/zoo.md): one setting, or two.
EXPOSING = {
    "partial_send": NetConfig(endpoints=(Endpoint("proxy#*", max_send=10),)),
    "framing": NetConfig(endpoints=(Endpoint("proxy:8080<-*", max_recv=10),)),
    "no_timeout": NetConfig(faults=(Fault(kind="black_hole", target="server2:80"),)),
    "refused_leak": NetConfig(faults=(Fault(kind="refuse", target="server2:80"),)),
    "reset_leak": NetConfig(faults=(Fault(kind="reset", target="server2:80<-*", after_bytes=10),)),
    "timeout_leak": NetConfig(faults=(Fault(kind="black_hole", target="server2:80"),)),
    "reorder": NetConfig(endpoints=(Endpoint("proxy#*", sndbuf=16), Endpoint("server2:80<-*", rcvbuf=16))),
    "busy_wait": NetConfig(links=(Link("server2:80", latency=0.01),)),
    "starvation": NetConfig(links=(Link("proxy:8080", latency=0.01),)),
    "lost_update": NetConfig(links=(Link("server2:80", latency=0.01),)),
    # client 1's request trickles in (one byte per round trip), so client 2's overtakes it: what jitter does
    "jitter_race": NetConfig(links=(Link("proxy:8080", latency=0.01),),
                             endpoints=(Endpoint("client#1", sndbuf=1), Endpoint("proxy:8080<-client#1", rcvbuf=1))),
}
# Not reachable by a network setting: the session and its connect-ahead task are ready at the same tick, and only
# the ready-order choice point (Loop(policy=...)) runs the session first.
NEEDS_READY_ORDER = {"check_then_act"}


def test_every_bug_has_an_exposing_world_or_an_exposing_ready_order():
    assert set(EXPOSING) | NEEDS_READY_ORDER == set(BUGS)


class LastFirst:
    """A scheduling policy: of the tasks ready at a tick, the newest runs first."""

    def pick(self, ready):
        return len(ready) - 1


@pytest.mark.parametrize("bug", sorted(NEEDS_READY_ORDER))
def test_the_ready_order_exposes_the_race_and_its_twin_holds_in_any_order(bug):
    module = _module(bug)

    def failures(app, policy):
        net = fakes.FakeNetwork(chooser=fakes.DefaultChooser())
        outcome = run_world(module.world, {"app": app}, net, "zoo", policy=policy)
        return [getattr(p, "__name__", str(p)) for p in default_properties(module.world) if p(outcome)]

    assert failures("bug", None) == []  # FIFO hides it
    assert "all_sockets_closed" in failures("bug", LastFirst())  # the session checked before its helper ran
    assert failures("fixed", LastFirst()) == [] and failures("fixed", None) == []


@pytest.mark.parametrize("bug", sorted(set(EXPOSING) - {"starvation"}))
def test_the_bug_fails_and_its_twin_holds_in_the_world_that_exposes_it(bug):
    module = _module(bug)
    assert _failures(module, "bug") == []  # the default world, with the simplest choices, hides it
    failed = _failures(module, "bug", EXPOSING[bug])
    assert failed, f"{bug}: no property failed in {EXPOSING[bug]}"
    assert _failures(module, "fixed", EXPOSING[bug]) == []


def test_each_bug_breaks_its_own_property_in_its_exposing_world():
    expected = {
        "partial_send": "replies_intact", "framing": "replies_intact", "no_timeout": "answered_in_time",
        "refused_leak": "all_sockets_closed", "reset_leak": "all_sockets_closed",
        "timeout_leak": "all_sockets_closed", "busy_wait": "terminates", "lost_update": "counter_consistent",
        "jitter_race": "replies_intact", "reorder": "no_task_died",  # two writers waiting on one socket
    }
    for bug, name in expected.items():
        failed = dict(_failures(_module(bug), "bug", EXPOSING[bug]))
        assert name in failed, (bug, failed)


@pytest.mark.slow
def test_the_starving_accept_loop_livelocks_at_the_first_instant_and_its_twin_does_not():
    module = _module("starvation")
    failed = dict(_failures(module, "bug"))
    assert "terminates" in failed and "100000 task resumes" in failed["terminates"]
    assert _failures(module, "fixed", EXPOSING["starvation"]) == []


def test_a_zoo_driver_rejects_an_unknown_app_as_an_input_error():
    with pytest.raises(InputError, match="app must be one of"):
        run_world(_module("framing").world, {"app": "buggy"}, fakes.FakeNetwork(), "zoo")


# explore on the current choice points. The search is deterministic for a seed and an example count, but which
# seed finds a bug early moves whenever a choice point is added (every choice is a draw): each bug is hunted from
# the seed that found it early here, then from the others in turn. benchmarks/bug_zoo.py measures every seed.
QUICK = {"framing": 2, "busy_wait": 0, "lost_update": 0}
SLOWER = {"partial_send": 5, "no_timeout": 0, "reset_leak": 0, "timeout_leak": 0, "refused_leak": 2, "jitter_race": 4, "starvation": 0}


def _hunt(bug, first_seed, examples, seeds=5):
    module = _module(bug)
    tried = []
    for seed in [first_seed, *(s for s in range(seeds) if s != first_seed)]:
        report = explore(module.world, {"app": "bug"}, properties=[parse_property(module.PROPERTY)], budget=None,
                         max_examples=examples, database=None, seed=seed)
        if report.findings:
            return report.findings
        tried.append(f"seed {seed}: {report.runs} runs")
    return tried


@pytest.mark.parametrize("bug", sorted(QUICK))
def test_explore_finds_the_bug(bug):
    found = _hunt(bug, QUICK[bug], 400)
    assert not isinstance(found[0], str), found


@pytest.mark.slow
@pytest.mark.parametrize("bug", sorted(SLOWER))
def test_explore_finds_the_slower_bugs(bug):
    found = _hunt(bug, SLOWER[bug], 1500)
    assert not isinstance(found[0], str), found


@pytest.mark.slow
@pytest.mark.parametrize("bug", BUGS)
def test_explore_finds_no_failure_of_a_twin(bug):
    module = _module(bug)
    report = explore(module.world, {"app": "fixed"}, budget=None, max_examples=100, database=None, seed=0)
    assert not report.findings, report.summary()


def _outcome(result, faults=(), error=None):
    return Outcome(name="zoo", result=result, faults=tuple(faults), error=error)


def test_replies_intact_fails_on_wrong_bytes_and_on_a_missing_reply_without_faults():
    assert replies_intact(_outcome({"clients": 2, "ok": 2})) is None
    assert "got a corrupted reply" in replies_intact(_outcome({"clients": 2, "ok": 1, "corrupt": 1}))
    assert "1 of 2 clients got their reply intact" in replies_intact(_outcome({"clients": 2, "ok": 1, "closed": 1}))
    reset = Fault(kind="reset", target="client#*", after_bytes=3)
    assert replies_intact(_outcome({"clients": 2, "ok": 1, "reset": 1}, [reset])) is None
    assert "got a corrupted reply" in replies_intact(_outcome({"clients": 2, "corrupt": 1}, [reset]))
    assert "not a {'clients': n" in replies_intact(_outcome(None))
    assert replies_intact(_outcome(None, error=RuntimeError("deadlock"))) is None  # terminates' to report


def test_answered_in_time_fails_on_a_client_that_gave_up_unless_the_app_itself_is_black_holed():
    assert answered_in_time(_outcome({"clients": 2, "ok": 1, "closed": 1})) is None
    s2_hole = Fault(kind="black_hole", target="server2:80")
    assert "1 of 2 clients gave up" in answered_in_time(_outcome({"clients": 2, "ok": 1, "timeout": 1}, [s2_hole]))
    proxy_hole = Fault(kind="black_hole", target="proxy:8080")
    assert answered_in_time(_outcome({"clients": 2, "timeout": 2}, [proxy_hole])) is None
    assert "not a {'clients': n" in answered_in_time(_outcome([]))


def test_counter_consistent_fails_on_a_lost_update_and_on_a_missing_counter():
    assert counter_consistent(_outcome({"clients": 3, "ok": 2, "reset": 1, "served": 3})) is None
    assert "counted 1 served, but 3 of 3" in counter_consistent(_outcome({"clients": 3, "ok": 3, "served": 1}))
    assert "counted 4 served" in counter_consistent(_outcome({"clients": 3, "ok": 3, "served": 4}))
    assert "no 'served' counter" in counter_consistent(_outcome({"clients": 3, "ok": 3}))
    assert counter_consistent(_outcome({"clients": 3, "timeout": 3, "proxy_stuck": 1})) is None
