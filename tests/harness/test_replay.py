"""Strict replay: a recorded run replays exactly; any other behaviour is a Divergence that says where."""

import dataclasses
import glob
import pathlib

import pytest

import fakes
from fakes import Divergence, ReplayNetwork, TraceEvent
from loopsim.harness.runner import network_for, resolve_driver, run_world
from loopsim.harness.scenario import load_scenario

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUNDLED = sorted(glob.glob(str(ROOT / "scenarios" / "*.toml")))


def simulate(path):
    sc = load_scenario(path)
    return sc, run_world(resolve_driver(sc.driver), sc.args, network_for(sc), sc.name)


@pytest.mark.parametrize("path", [p for p in BUNDLED if "spins" not in p and "thousand" not in p],
                         ids=lambda p: pathlib.Path(p).stem)
def test_every_bundled_simulation_replays_to_the_identical_trace(path):
    sc, simulated = simulate(path)
    net = ReplayNetwork(simulated.trace.events)
    replayed = run_world(resolve_driver(sc.driver), sc.args, net, sc.name)
    assert replayed.error is None
    assert net.remaining() == []
    assert replayed.trace.to_text() == simulated.trace.to_text()
    assert replayed.result == simulated.result
    assert replayed.received == simulated.received
    assert replayed.virtual_time == simulated.virtual_time


def small_run():
    sc, outcome = simulate(str(ROOT / "scenarios" / "correct_proxy_partial_send.toml"))
    return sc, list(outcome.trace.events)


def replay(sc, script, **args):
    net = ReplayNetwork(script)
    outcome = run_world(resolve_driver(sc.driver), {**sc.args, **args}, net, sc.name)
    return net, outcome


def test_sending_different_bytes_diverges_at_that_step_with_context():
    sc, script = small_run()
    net, outcome = replay(sc, script, size=999)  # the client's request is one byte shorter
    assert isinstance(outcome.error, Divergence)
    err = outcome.error
    assert err.expected is not None and err.expected.op == "send"
    assert script[err.step] == err.expected
    text = str(err)
    assert f"divergence at step {err.step}" in text
    assert "the code called send(" in text and "different bytes" in text
    assert "the steps before it:" in text and len(err.recent) == 6


def test_calling_another_operation_diverges():
    sc, script = small_run()
    i = next(i for i, e in enumerate(script) if e.op == "recv" and isinstance(e.result, bytes))
    script[i] = dataclasses.replace(script[i], op="so_error", args=(), result=0)
    net, outcome = replay(sc, script)
    assert isinstance(outcome.error, Divergence)
    assert outcome.error.step == i
    assert "the script expected so_error() on" in str(outcome.error)
    assert "but the code called recv(65536)" in str(outcome.error)


def test_running_past_the_end_of_the_script_diverges():
    sc, script = small_run()
    net, outcome = replay(sc, script[:20])
    assert isinstance(outcome.error, Divergence)
    assert outcome.error.step == 20 and outcome.error.expected is None
    assert "the script expected the end of the script" in str(outcome.error)


def test_stopping_with_steps_left_diverges():
    sc, script = small_run()
    extra = TraceEvent(len(script), 0.0, "client#9", "recv", (100,), b"late")
    net, outcome = replay(sc, script + [extra])
    assert isinstance(outcome.error, Divergence)
    assert outcome.error.expected == extra
    assert "finished its run" in str(outcome.error)
    assert "1 steps of the script were never asked for" in str(outcome.error)


def test_a_select_naming_an_unregistered_socket_diverges():
    sc, script = small_run()
    i = next(i for i, e in enumerate(script) if e.op == "select" and e.result)
    script[i] = dataclasses.replace(script[i], result=(("nobody", 1),))
    net, outcome = replay(sc, script)
    assert isinstance(outcome.error, Divergence)
    assert "has no registered socket named 'nobody'" in str(outcome.error)


def test_divergence_is_sticky_so_catching_it_does_not_hide_it():
    net = ReplayNetwork([TraceEvent(0, 0.0, "a", "socket", (2, 1), None)])
    with pytest.raises(Divergence):
        net.socket("b")
    with pytest.raises(Divergence) as again:
        net.socket("a")
    assert again.value is net.divergence


def test_errno_answers_raise_the_matching_oserror_and_bytes_come_back():
    script = [
        TraceEvent(0, 0.0, "s", "socket", (2, 1), None),
        TraceEvent(1, 0.0, "s", "connect_ex", (("server2", 80),), 115),
        TraceEvent(2, 0.0, "s", "recv", (10,), "EAGAIN"),
        TraceEvent(3, 0.0, "s", "recv", (10,), b"hi"),
        TraceEvent(4, 0.0, "s", "recv", (10,), "ECONNRESET"),
        TraceEvent(5, 0.0, "s", "send", (b"x",), "EPIPE"),
        TraceEvent(6, 0.0, "s", "close", (), None),
    ]
    net = ReplayNetwork(script)
    s = net.connect(("server2", 80), name="s")
    with pytest.raises(BlockingIOError):
        s.recv(10)
    assert s.recv(10) == b"hi"
    with pytest.raises(ConnectionResetError):
        s.recv(10)
    with pytest.raises(BrokenPipeError):
        s.send(b"x")
    assert s.getpeername() == ("server2", 80)
    s.close()
    assert net.finish() is None and net.open_sockets() == []
    assert net.trace.to_text().splitlines()[2] == "0.000000 s recv (10,) -> 'EAGAIN'"


def test_clock_jumps_replay_at_the_recorded_instants():
    sc, outcome = simulate(str(ROOT / "scenarios" / "slow_server2.toml"))
    assert [e.args for e in outcome.trace.events if e.op == "clock"] == [(0.0, 30.0)]
    net = ReplayNetwork(outcome.trace.events)
    again = run_world(resolve_driver(sc.driver), sc.args, net, sc.name)
    assert again.virtual_time == 30.0 and again.error is None


def test_a_clock_jump_longer_than_the_code_waits_diverges():
    sc, script = small_run()
    i = next(i for i, e in enumerate(script) if e.op == "select" and e.args == (0.0,))
    script.insert(i, TraceEvent(i, 0.0, "clock", "clock", (0.0, 99.0), None))
    net, outcome = replay(sc, script)
    assert isinstance(outcome.error, Divergence)
    assert "jumps further than the code waits" in str(outcome.error)


def test_fakes_exports_the_replay_names():
    assert fakes.ReplayNetwork is ReplayNetwork and fakes.Divergence is Divergence
