"""`async def` drivers: scenario files, gate, record, strict replay and explore run asyncio apps as they
run generator apps (loopsim.harness.aio_runner over fakes.aio)."""

import os
import pathlib
import subprocess
import sys

import pytest

import fakes
from loopsim import Deadlock, InputError
from loopsim.harness.cli import main
from loopsim.harness.explore import explore
from loopsim.harness.livelock import HorizonPassed, Livelock
from loopsim.harness.outcome import all_sockets_closed, no_task_died
from loopsim.harness.record import record_scenario
from loopsim.harness.runner import run_scenario, run_world
from loopsim.harness.scenario import load_scenario
from tests.harness import aio_apps

ROOT = pathlib.Path(__file__).resolve().parents[2]
AIO_SCENARIOS = sorted((ROOT / "scenarios").glob("aio_*.toml"))


def run(driver, net=None, **args):
    return run_world(driver, args, net or fakes.FakeNetwork(seed=1), "t", horizon=100.0)


def test_the_bundled_asyncio_proxy_scenarios_pass_in_the_gate(tmp_path, capsys):
    assert len(AIO_SCENARIOS) == 2
    for path in AIO_SCENARIOS:
        (tmp_path / path.name).write_text(path.read_text())
    code = main(["gate", str(tmp_path), "--junit", str(tmp_path / "r.xml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2/2 scenarios passed" in out


def test_the_asyncio_proxy_loses_nothing_to_one_byte_sends_and_closes_every_socket():
    from scenarios.aio_drivers import aio_proxy_world

    net = fakes.FakeNetwork(seed=3)
    net.endpoint("proxy#*", max_send=1)
    net.endpoint("server2:80<-*", max_send=1)
    outcome = run(aio_proxy_world, net, clients=2, size=300)
    assert outcome.error is None
    assert outcome.result == {"clients": 2, "ok": 2}
    assert outcome.received["client#1"] == aio_proxy_world.__globals__["make_payload"](1, None, 300).upper()
    assert all_sockets_closed(outcome) is None and no_task_died(outcome) is None
    sends = [e for e in outcome.trace.events if e.sock.startswith("proxy#") and e.op == "send"]
    assert sends and all(e.result == 1 for e in sends if isinstance(e.result, int))


def test_a_reset_mid_response_is_seen_by_the_client_as_an_early_close():
    sc = load_scenario(str(ROOT / "scenarios" / "aio_proxy_server2_resets.toml"))
    result = run_scenario(sc)
    assert result.passed, result.report()
    assert result.outcome.result == {"clients": 3, "closed": 3}
    assert result.outcome.virtual_time == pytest.approx(0.01)


def test_a_large_write_arrives_whole():
    from scenarios.aio_drivers import aio_proxy_world

    outcome = run(aio_proxy_world, clients=1, size=2_000_000)  # asyncio 3.12+ writes big buffers with sendmsg
    assert outcome.result == {"clients": 1, "ok": 1}
    assert len(outcome.received["client#1"]) == 2_000_000


def test_wait_for_ends_at_the_exact_virtual_instant():
    outcome = run(aio_apps.wait_for_timing)
    assert outcome.result == 2.5
    assert outcome.virtual_time == 2.5
    assert outcome.wall_time < 2.0  # virtual time: not the 2.5 s a real loop would wait


def test_a_deadlock_names_each_waiting_task_and_its_line():
    outcome = run(aio_apps.waits_forever)
    assert isinstance(outcome.error, Deadlock)
    text = str(outcome.error)
    assert "task 'main' waits at" in text and "aio_apps.py" in text and "waits_forever" in text
    assert outcome.tasks["main"].status == "cancelled"  # cancelled, its finally ran
    assert outcome.open_sockets == ["kv:7000<-asyncio->kv:7000#1"]  # what it did not close (the server's side)


def test_a_busy_wait_is_a_livelock_not_a_hang():
    outcome = run_world(aio_apps.spins, {}, fakes.FakeNetwork(seed=1), "t", livelock_limit=1000)
    assert isinstance(outcome.error, Livelock)
    assert "asyncio.sleep(0)" in str(outcome.error) and "task 'main'" in str(outcome.error)


def test_virtual_time_past_the_horizon_stops_the_run():
    outcome = run(aio_apps.ticks_forever)
    assert isinstance(outcome.error, HorizonPassed)
    assert 100.0 < outcome.virtual_time <= 101.0


def test_an_exception_in_a_protocol_callback_is_reported_as_a_died_callback():
    outcome = run(aio_apps.protocol_raises)
    assert outcome.result == "sent"
    assert outcome.tasks["callback#1"].status == "ValueError"
    assert "cannot parse b'hello'" in outcome.tasks["callback#1"].message
    assert "callback#1" in no_task_died(outcome)


def test_unnamed_tasks_are_named_per_loop_so_every_run_names_them_alike():
    first = run(aio_apps.named_tasks).result
    second = run(aio_apps.named_tasks).result
    assert first == second == ["Task-1", "Task-2", "Task-3", "mine"]


def test_arguments_the_async_driver_does_not_take_are_an_input_error():
    with pytest.raises(InputError, match="app args for kv_world"):
        run(aio_apps.kv_world, colour="red")


def test_record_live_then_replay_strictly(tmp_path):
    out = tmp_path / "aio.toml"
    recorded = record_scenario("scenarios.aio_drivers:aio_proxy_world", {"clients": 2, "size": 5000}, str(out))
    assert recorded.replay_status == "pass"
    sc = load_scenario(str(out))
    assert sc.expect.result == {"clients": 2, "ok": 2}
    assert main(["replay", "--strict", str(out)]) == 0
    text = out.read_text().replace("args = { clients = 2, size = 5000 }", "args = { clients = 2, size = 4999 }")
    out.write_text(text)
    assert main(["replay", "--strict", str(out)]) == 1  # the code sends other bytes: a divergence


def test_a_script_that_diverges_while_the_loop_is_made_is_a_divergence_not_a_crash(tmp_path):
    """The asyncio loop's self-pipe is the run's first step: a script whose first step differs diverges there,
    before the driver runs (found by tests/harness/test_fuzz_scenarios.py)."""
    out = tmp_path / "aio.toml"
    record_scenario("scenarios.aio_drivers:aio_proxy_world", {"clients": 1, "size": 100}, str(out))
    text = out.read_text()
    assert 'sock = "asyncio:self-pipe-writer"' in text
    out.write_text(text.replace('sock = "asyncio:self-pipe-writer"', 'sock = "asyncio:self-pipe-writes"', 1))
    result = run_scenario(load_scenario(str(out)), strict=True)
    assert result.status == "divergence" and "self-pipe" in result.report(), result.report()
    assert main(["replay", "--strict", str(out)]) == 1

    # nothing is left half made: the driver's coroutine, never started, is closed (no "never awaited" at
    # garbage collection), and the loop whose self-pipe diverged counts as closed (its __del__ has no
    # self-pipe to take apart)
    import inspect

    from fakes.aio import FakeEventLoop
    from loopsim.harness.aio_runner import run_async_world
    from loopsim.harness.runner import network_for
    from scenarios.aio_drivers import aio_proxy_world

    coro = aio_proxy_world(fakes.FakeNetwork(), clients=1, size=100)
    _, main_task, error = run_async_world(coro, network_for(load_scenario(str(out)), strict=True), None, None)
    assert main_task is None and isinstance(error, fakes.Divergence)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED
    made = []

    class Seen(FakeEventLoop):
        def __init__(self, *args, **kwargs):
            made.append(self)
            super().__init__(*args, **kwargs)

    with pytest.raises(fakes.Divergence):
        Seen(network_for(load_scenario(str(out)), strict=True))
    assert made[0].is_closed()
    made[0].__del__()  # (raised AttributeError: no attribute '_ssock')


def test_explore_finds_the_framing_bug_of_an_asyncio_server_and_not_in_its_twin(tmp_path):
    report = explore(aio_apps.kv_world, {}, properties=[aio_apps.whole_request], budget=20, max_examples=300,
                     out_dir=str(tmp_path))
    assert report.findings, report.summary()
    finding = report.findings[0]
    assert finding.replay_status == "fail" and finding.strict_status == "fail"
    assert main(["replay", finding.path]) == 1  # the finding replays: it fails while the bug is there
    twin = explore(aio_apps.kv_world, {"fixed": True}, properties=[aio_apps.whole_request], max_examples=60,
                   budget=None)
    assert not twin.findings, twin.summary()


def test_the_same_seed_gives_the_same_asyncio_trace_in_any_process():
    code = ("import sys; sys.path.insert(0, '.'); from loopsim.harness.runner import run_scenario; "
            "from loopsim.harness.scenario import load_scenario; "
            "r = run_scenario(load_scenario('scenarios/aio_proxy_server2_resets.toml')); "
            "print(r.outcome.trace.to_text())")
    texts = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(texts) == 1 and len(next(iter(texts)).splitlines()) > 100


def test_tasks_left_at_the_end_are_cancelled_and_that_is_no_death():
    outcome = run(aio_apps.leaves_a_handler_running)
    assert outcome.result == "left"
    statuses = sorted(t.status for t in outcome.tasks.values() if t.name != "main")
    assert statuses.count("cancelled") == 1 and set(statuses) <= {"ok", "cancelled"}  # the handler; asyncio's own
    assert no_task_died(outcome) is None  # (3.11's start_server callback raising CancelledError is not counted)
