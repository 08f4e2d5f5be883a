"""The pytest plugin: scenario files become test items; fixtures fake_net, virtual_clock and loop."""

import ast
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


LOOP_TESTS = '''
import pytest
import loopsim

def worker():
    yield from loopsim.sleep(1)
    raise ValueError("lost the state")

def test_a_task_died_unobserved(loop):
    loop.spawn(worker(), name="worker")
    loop.run()

def test_its_error_was_looked_at(loop):
    def main():
        task = yield from loopsim.spawn(worker(), name="worker")
        try:
            yield from loopsim.join(task)
        except ValueError:
            return "seen"
    assert loop.run_until_complete(main()) == "seen"

def test_a_task_is_left(loop):
    loop.spawn(worker(), name="forgotten")

def test_a_socket_is_left_open(loop, fake_net):
    fake_net.listen(("server2", 80))

@pytest.mark.loopsim_leaks_ok
def test_that_means_it(loop, fake_net):
    fake_net.listen(("server2", 80))
    loop.spawn(worker(), name="forgotten")
'''


def test_the_loop_fixture_fails_a_test_for_a_dead_task_a_task_left_or_an_open_socket(pytester):
    pytester.makepyfile(test_loops=LOOP_TESTS)
    result = pytester.runpytest("--strict-markers", "-rf")
    result.assert_outcomes(passed=2, failed=3)
    out = result.stdout.str()
    assert "a task died and nobody looked at its error: task 'worker' raised ValueError: lost the state" in out
    assert re.search(r"tasks left: 'forgotten' \(at .*test_loops\.py:\d+\)", out)
    assert "sockets left open: server2:80" in out
    assert "opt out with @pytest.mark.loopsim_leaks_ok" in out


EXPLORE_TEST = '''
import os
from scenarios.drivers import delivered_intact, racy_world

def test_search(loopsim_explore):
    # small chunks: the search spans several, so a worker searching only some of them would differ
    report = loopsim_explore(racy_world, {}, properties=[delivered_intact], max_examples=300, chunk_examples=2,
                              schedules=1, worlds_per_example=1)  # one run per example, as before amortising
    verdict = [(s.property, s.runs, s.verdict.split(" ")[0]) for s in report.searches], report.chunks
    with open(os.environ["VERDICT_FILE"], "w") as fh:
        fh.write(repr(verdict))
'''


@pytest.mark.slow  # several seconds: `tox -e slow` (and .ci/run) runs it
def test_the_explore_fixture_gives_the_same_verdict_with_and_without_xdist(pytester, monkeypatch):
    pytester.makepyfile(test_search=EXPLORE_TEST)
    verdicts = []
    for i, extra in enumerate(((), ("-p", "xdist", "-n", "2"))):
        path = pytester.path / f"verdict-{i}.txt"
        monkeypatch.setenv("VERDICT_FILE", str(path))
        monkeypatch.setenv("PYTHONPATH", str(ROOT))  # a subprocess: the bundled drivers import from the checkout
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *extra)
        result.assert_outcomes(passed=1)
        verdicts.append(path.read_text())
    assert verdicts[0] == verdicts[1]
    searches, chunks = ast.literal_eval(verdicts[0])
    assert searches[0][2] == "FAILED" and len(chunks) >= 2  # found, after a search that spanned chunks


def test_a_findings_folder_is_collected_only_when_named(pytester):
    found = pytester.mkdir("found")
    (found / ".loopsim-found").write_text("findings\n")
    (found / "slow.toml").write_text(SLOW.replace("max_time = 30.0", "max_time = 1.0"))
    assert pytester.runpytest().ret == pytest.ExitCode.NO_TESTS_COLLECTED
    pytester.runpytest("found").assert_outcomes(failed=1)
    pytester.runpytest(str(found / "slow.toml")).assert_outcomes(failed=1)


def test_explore_writes_the_marker_the_plugin_knows(tmp_path):
    from loopsim.harness.explore import FOUND_MARKER, explore
    from scenarios.drivers import delivered_intact, racy_world

    assert FOUND_MARKER == _loopsim_pytestplugin.FOUND_MARKER
    explore(racy_world, {}, properties=[delivered_intact], budget=30, database=None, out_dir=str(tmp_path))
    assert (tmp_path / FOUND_MARKER).is_file()
