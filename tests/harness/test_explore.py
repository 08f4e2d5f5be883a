"""Exploration: hypothesis finds the naive proxy's bugs and the planted race, shrinks them, saves scenarios."""

import pytest
from hypothesis.database import InMemoryExampleDatabase

import fakes
from loopsim.cli import main
from loopsim.loop.errors import InputError
from loopsim.explore import discover, example_database, explore, parse_shard
from loopsim.outcome import parse_property, terminates
from scenarios.drivers import delivered_intact
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import load_scenario
from scenarios.drivers import proxy_world, racy_world

# The same world for both proxies: clients give up after 60 s, sessions after 30 s (the naive one has none).
NAIVE = {"app": "naive", "session_timeout": 30.0, "client_timeout": 60.0}
CORRECT = {"app": "proxy", "session_timeout": 30.0, "client_timeout": 60.0}


def test_discover_finds_addresses_and_name_patterns():
    addrs, patterns = discover(proxy_world, {})
    assert addrs == ["server2:80", "proxy:8080"]
    assert patterns == ["client#*", "proxy#*", "proxy:8080", "proxy:8080<-*", "server2:80", "server2:80<-*"]


def test_naive_proxy_data_loss_is_found_shrunk_and_saved(tmp_path):
    report = explore(proxy_world, NAIVE, properties=[delivered_intact], budget=30, seed=0,
                     database=None, out_dir=str(tmp_path))
    [finding] = report.findings
    assert finding.property == "scenarios.drivers:delivered_intact"
    assert "0 of 1 clients got their reply intact" in finding.message
    assert finding.replay_status == "fail"
    sc = load_scenario(finding.path)
    assert sc.script is not None and finding.steps == len(sc.script)
    # shrunk to the one setting it needs, at its smallest: one byte per recv on the proxy's side; and small
    # (45 steps the loop's choices aside). The same on the compiled build (test_compiled runs this suite there):
    # the search is deterministic for a seed and a number of runs, whatever the build's speed.
    assert finding.config == fakes.NetConfig(endpoints=(fakes.Endpoint("proxy#*", max_recv=1),)), finding.config
    assert sum(step.op != "choose" for step in sc.script) <= 48, finding.steps
    assert sc.mode == "simulate" and sc.script is not None
    assert sc.expect.properties == ("scenarios.drivers:delivered_intact",)
    again = run_scenario(sc)
    assert again.status == "fail"
    assert any(f.startswith("properties: scenarios.drivers:delivered_intact: ") for f in again.failures)


def test_naive_proxy_spin_is_found_as_a_livelock(tmp_path):
    report = explore(proxy_world, NAIVE, properties=[terminates], budget=30, seed=0,
                     database=None, out_dir=str(tmp_path))
    [finding] = report.findings
    assert "Livelock" in finding.message and "service_client" in finding.message
    assert finding.steps <= 60, finding.steps
    assert run_scenario(load_scenario(finding.path)).status == "fail"


@pytest.mark.slow  # several seconds: `tox -e slow` (and .ci/run) runs it
def test_the_correct_proxy_survives_the_same_search():
    report = explore(proxy_world, CORRECT, budget=None, max_examples=400, seed=0, database=None)
    assert report.findings == [], report.summary()
    assert report.runs >= 400


def test_the_planted_ordering_bug_is_found_by_exploring_readiness_order(tmp_path):
    report = explore(racy_world, {}, properties=[delivered_intact], budget=30, seed=0, database=None,
                     out_dir=str(tmp_path))
    [finding] = report.findings
    assert finding.config.faults == () and finding.config.endpoints == ()
    # one choice away from the natural order: which handler sees its request first (select or ready order)
    [label] = [label for label, _, value in finding.choices if value]
    assert label in ("select-order", "ready-order")
    assert run_scenario(load_scenario(finding.path)).status == "fail"


def test_shards_split_the_chunks_disjointly_and_cover_the_whole():
    # a chunk of 2 examples, each one world running 4 schedules: 8 runs a chunk
    whole = explore(proxy_world, {}, properties=[delivered_intact], budget=None, max_examples=32,
                    chunk_examples=2, schedules=4, worlds_per_example=1, database=None)
    parts = [explore(proxy_world, {}, properties=[delivered_intact], budget=None, max_examples=16,
                     chunk_examples=2, schedules=4, worlds_per_example=1, shard=(k, 2), database=None)
             for k in (1, 2)]
    assert parts[0].chunks == [0, 2] and parts[1].chunks == [1, 3]
    assert sorted(parts[0].chunks + parts[1].chunks) == whole.chunks == [0, 1, 2, 3]


def test_a_failure_saved_in_the_database_is_tried_first_next_time():
    db = InMemoryExampleDatabase()
    first = explore(racy_world, {}, properties=[delivered_intact], budget=30, seed=0, database=db)
    assert first.findings
    second = explore(racy_world, {}, properties=[delivered_intact], budget=30, seed=7, database=db)
    assert second.first_failure_worlds == 1


def test_parsing_helpers_reject_bad_input():
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "x"):
        with pytest.raises(InputError, match="--shard"):
            parse_shard(bad)
    assert parse_property("finished_within(35)").__name__ == "finished_within(35.0)"
    with pytest.raises(InputError, match="unknown property 'nope'"):
        parse_property("nope")
    assert example_database("none") is None
    with pytest.raises(InputError, match="redis://HOST:PORT"):
        example_database("redis://")


def test_explore_command_writes_scenarios_and_exits_1_on_a_failure(tmp_path, capsys):
    out = tmp_path / "found"
    code = main(["explore", "scenarios.drivers:racy_world", "--property", "scenarios.drivers:delivered_intact",
                 "--budget", "30",
                 "--out", str(out), "--db", "none", "--quiet"])
    assert code == 1
    text = capsys.readouterr().out
    assert "1 failure(s) found" in text and "runs/s" in text
    [path] = list(out.glob("*.toml"))
    assert main(["replay", str(path)]) == 1


def test_explore_command_input_errors_exit_2(capsys):
    assert main(["explore", "scenarios.drivers:proxy_world", "--property", "bogus"]) == 2
    assert main(["explore", "scenarios.drivers:proxy_world", "--shard", "5/2"]) == 2
    assert main(["explore", "no_module_here:f"]) == 2
    assert "cannot import module" in capsys.readouterr().err
