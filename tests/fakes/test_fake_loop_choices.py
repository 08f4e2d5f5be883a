"""The loop's ready order on the fakes: drawn from the network's chooser, a step of the trace, replayed strictly."""

from __future__ import annotations

import dataclasses

import pytest

import fakes
import loopsim
from loopsim.harness.runner import run_world
from loopsim.harness.scenario import Expect, Scenario, dump_scenario, parse_scenario
from loopsim.harness.world_choices import ListChooser
from scenarios.drivers import racy_world


def two_workers(net):
    """Two tasks that each make a socket after a sleep(0): which socket comes first is the ready order."""
    made = []

    def worker(name):
        yield from loopsim.sleep(0)
        sock = net.socket(name)
        made.append(name)
        sock.close()

    a = yield from loopsim.spawn(worker("a"), name="a")
    b = yield from loopsim.spawn(worker("b"), name="b")
    yield from loopsim.join(a)
    yield from loopsim.join(b)
    return made


def choose_steps(trace):
    return [(e.sock, e.op, e.args, e.result) for e in trace.events if e.op == "choose"]


def test_a_simulated_run_draws_the_ready_order_from_the_chooser_and_traces_each_choice():
    fifo = run_world(two_workers, {}, fakes.FakeNetwork(chooser=fakes.DefaultChooser()))
    assert fifo.result == ["a", "b"]
    swapped = run_world(two_workers, {}, fakes.FakeNetwork(chooser=ListChooser({"ready-order": [0, 1]})))
    assert swapped.result == ["b", "a"]
    assert ("loop", "choose", ("ready-order", 2), 1) in choose_steps(swapped.trace)
    assert all(step[2][0] == "ready-order" and step[2][1] >= 2 for step in choose_steps(swapped.trace))


def test_the_choices_are_recorded_by_label_like_the_others():
    recorder = fakes.RecordingChooser(ListChooser({"ready-order": [0, 1]}))
    run_world(two_workers, {}, fakes.FakeNetwork(chooser=recorder))
    assert ("ready-order", 2, 1) in recorder.choices
    again = run_world(two_workers, {}, fakes.FakeNetwork(chooser=ListChooser(recorder.choices)))
    assert again.result == ["b", "a"]


def test_strict_replay_of_a_run_with_ready_order_choices_reproduces_its_trace_byte_for_byte():
    world = fakes.FakeNetwork(chooser=ListChooser({"ready-order": [1, 1, 1]}))
    first = run_world(racy_world, {"clients": 3}, world)
    assert any(result for *_, result in choose_steps(first.trace))  # a run off the FIFO order
    replayed = run_world(racy_world, {"clients": 3}, fakes.ReplayNetwork(first.trace.events))
    assert replayed.error is None
    assert replayed.trace.to_text() == first.trace.to_text()
    assert replayed.result == first.result


def test_a_scenario_file_keeps_the_choose_steps_and_replays_them_strictly(tmp_path):
    from loopsim.harness.runner import run_scenario

    first = run_world(two_workers, {}, fakes.FakeNetwork(chooser=ListChooser({"ready-order": [0, 1]})))
    sc = Scenario(path=str(tmp_path / "f.toml"), name="f", description="", driver=f"{__name__}:two_workers",
                  args={}, expect=Expect(result={}), script=tuple(first.trace.events))
    text = dump_scenario(sc)
    assert 'sock = "loop"' in text and 'op = "choose"' in text
    loaded = parse_scenario(text, sc.path)
    assert [dataclasses.astuple(e)[2:] for e in loaded.script] == [dataclasses.astuple(e)[2:] for e in sc.script]
    result = run_scenario(loaded, strict=True)
    assert result.status == "pass", result.report()
    assert result.outcome.result == ["b", "a"]
    assert result.outcome.trace.to_text() == first.trace.to_text()


def script_of(chooser):
    return list(run_world(two_workers, {}, fakes.FakeNetwork(chooser=chooser)).trace.events)


def test_a_replay_whose_code_runs_another_order_diverges():
    script = script_of(ListChooser({"ready-order": [0, 1]}))
    edited = [dataclasses.replace(e, result=0) if e.op == "choose" else e for e in script]
    outcome = run_world(two_workers, {}, fakes.ReplayNetwork(edited))
    assert isinstance(outcome.error, fakes.Divergence)  # FIFO now: socket "a" made where the script has "b"


def test_a_choose_step_among_another_number_of_tasks_is_a_divergence():
    script = script_of(ListChooser({"ready-order": [0, 1]}))
    edited = [dataclasses.replace(e, args=("ready-order", 3)) if e.op == "choose" else e for e in script]
    outcome = run_world(two_workers, {}, fakes.ReplayNetwork(edited))
    assert isinstance(outcome.error, fakes.Divergence)
    assert "chose among 2 ready tasks (ready-order)" in str(outcome.error)
    assert "a different choice" in str(outcome.error)


def test_a_choose_step_whose_answer_is_out_of_range_is_a_divergence():
    script = script_of(ListChooser({"ready-order": [0, 1]}))
    edited = [dataclasses.replace(e, result=5) if e.op == "choose" else e for e in script]
    outcome = run_world(two_workers, {}, fakes.ReplayNetwork(edited))
    assert isinstance(outcome.error, fakes.Divergence) and "not in 0..1" in str(outcome.error)


def test_a_script_without_choose_steps_replays_in_fifo_order_and_traces_none():
    # a live recording has none: the live loop runs FIFO
    script = [e for e in script_of(fakes.DefaultChooser()) if e.op != "choose"]
    outcome = run_world(two_workers, {}, fakes.ReplayNetwork(script))
    assert outcome.error is None and outcome.result == ["a", "b"]
    assert choose_steps(outcome.trace) == []


def test_a_missing_choose_step_is_a_divergence_when_the_code_reaches_it():
    script = script_of(ListChooser({"ready-order": [0, 1]}))
    # the script says "choose" where the code (never asked: one task ready) makes a socket
    pos = next(i for i, e in enumerate(script) if e.op == "socket")
    edited = script[:pos] + [dataclasses.replace(script[pos], sock="loop", op="choose",
                                                 args=("ready-order", 2), result=1)] + script[pos:]
    outcome = run_world(two_workers, {}, fakes.ReplayNetwork(edited))
    assert isinstance(outcome.error, fakes.Divergence)


def test_an_explicit_policy_takes_the_place_of_the_networks_choice():
    class SecondTime:
        calls = 0

        def pick(self, ready):  # the last task, the second time it is asked (the workers' second step)
            self.calls += 1
            return len(ready) - 1 if self.calls == 2 else 0

    outcome = run_world(two_workers, {}, fakes.FakeNetwork(chooser=fakes.DefaultChooser()), policy=SecondTime())
    assert outcome.result == ["b", "a"]
    # its picks are trace steps too, so a strict replay of the run (which ignores any policy) reproduces it
    assert [result for *_, result in choose_steps(outcome.trace)] == [0, 1]
    replayed = run_world(two_workers, {}, fakes.ReplayNetwork(outcome.trace.events), policy=SecondTime())
    assert replayed.error is None and replayed.result == ["b", "a"]
    assert replayed.trace.to_text() == outcome.trace.to_text()
    assert "SecondTime" in repr(fakes.FakeNetwork().loop_chooser.follow(SecondTime()))


def test_the_loop_chooser_works_with_the_trace_off():
    net = fakes.FakeNetwork(chooser=ListChooser({"ready-order": [1]}), trace=False)
    assert net.loop_chooser.index("ready-order", 2) == 1
    assert "LoopChooser" in repr(net.loop_chooser)
    assert repr(fakes.ReplayNetwork([]).loop_chooser) == "ScriptLoopChooser()"


@pytest.mark.parametrize("bad, problem", [
    ('args = ["ready-order"]', "choose takes args"),
    ('args = ["ready-order", 1]', "choose takes args"),
    ('args = ["ready-order", 2]\nresult = 2', "a choose step answers"),
    ('args = ["ready-order", 2]\nresult = 1\nsock = "x"', 'a choose step has sock = "loop"'),
])
def test_a_bad_choose_step_in_a_scenario_file_names_the_key(bad, problem):
    from loopsim.harness.scenario import ScenarioError

    row = {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in bad.splitlines())}
    row.setdefault("sock", '"loop"')
    text = (f'format = "loopsim-scenario/1"\nname = "x"\n[app]\ndriver = "{__name__}:two_workers"\n\n'
            '[[script]]\nt = 0.0\n'
            + f'op = "choose"\n' + "".join(f"{k} = {v}\n" for k, v in row.items()))
    with pytest.raises(ScenarioError, match=problem) as info:
        parse_scenario(text, "bad.toml")
    assert "bad.toml:" in str(info.value)
