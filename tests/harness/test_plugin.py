"""The pytest plugin: scenario files become test items; fixtures fake_net, virtual_clock and loop."""

import importlib
import pathlib
import re

import pytest

import _loopsim_pytestplugin

pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
SLOW = (ROOT / "scenarios" / "slow_server2.toml").read_text()


def test_plugin_module_loads_without_importing_loopsim():
    # Re-executed here so its import-time lines are measured (pytest loads it before coverage starts).
    module = importlib.reload(_loopsim_pytestplugin)
    assert {"pytest_collect_file", "fake_net", "virtual_clock", "loop"} <= set(module.__all__)


def test_a_passing_scenario_file_is_a_passing_test(pytester):
    pytester.makefile(".toml", slow=SLOW)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*slow.toml::slow-server2 PASSED*"])


def test_a_failing_scenario_shows_the_expectation_and_trace_not_internals(pytester):
    pytester.makefile(".toml", slow=SLOW.replace("max_time = 30.0", "max_time = 1.0"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "max_time: took 30.000000 virtual seconds, more than 1.0" in out
    assert "last 12 events of the trace" in out and "30.000000 proxy:8080 close () -> None" in out
    assert "runner.py" not in out and "pytest_items.py" not in out


def test_a_broken_scenario_file_fails_with_file_line_and_key(pytester):
    pytester.makefile(".toml", broken=SLOW.replace("seed = 0", "seed = 1.5"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert re.search(r"broken\.toml:11: network\.seed: must be an integer", result.stdout.str())


def test_other_toml_files_are_not_collected(pytester):
    pytester.makefile(".toml", settings='[tool]\nname = "not a scenario"\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_fixtures_run_loopsim_code_in_virtual_time(pytester):
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    example = re.search(r"```python\n(# test_mine\.py.*?)```", docs, flags=re.S).group(1)
    pytester.makepyfile(test_mine=example + '''

def test_fake_net_is_fresh_and_deterministic(fake_net, loop):
    import loopsim
    server = fake_net.listen(("server2", 80))

    def talk():
        client = fake_net.connect(("server2", 80), name="client")
        conn, _ = yield from loopsim.accept(server)
        yield from loopsim.sendall(client, b"ping")
        data = yield from loopsim.recv(conn, 10)
        for s in (client, conn, server):
            s.close()
        return data

    assert loop.run_until_complete(talk()) == b"ping"
    assert fake_net.open_sockets() == []
''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)


def test_explore_fixture_shards_by_xdist_worker():
    shard = _loopsim_pytestplugin.xdist_shard
    assert shard({}) == (1, 1)
    assert shard({"PYTEST_XDIST_WORKER": "gw2", "PYTEST_XDIST_WORKER_COUNT": "4"}) == (3, 4)
    assert shard({"PYTEST_XDIST_WORKER": "gw9", "PYTEST_XDIST_WORKER_COUNT": "4"}) == (1, 1)
