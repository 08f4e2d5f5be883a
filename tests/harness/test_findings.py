"""A finding is one file with the shrunk world (re-simulated by default) and the exact run (--strict):
find -> fix -> green -> revert -> red, on the bundled naive proxy."""

import pytest

import loopsim
from loopsim.cli import main
from loopsim.explore import explore
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import ScenarioError, load_scenario, parse_scenario
from loopsim.outcome import terminates
from scenarios.drivers import delivered_intact, proxy_world

pytest_plugins = ["pytester"]

NAIVE = {"app": "naive", "session_timeout": 30.0, "client_timeout": 60.0}


@pytest.fixture(scope="module", params=[delivered_intact, terminates], ids=["partial-send", "spin"])
def finding(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("found")
    report = explore(proxy_world, NAIVE, properties=[request.param], budget=30, seed=0, database=None,
                     out_dir=str(out))
    [found] = report.findings
    return found


def test_the_file_holds_the_world_and_the_exact_run(finding):
    sc = load_scenario(finding.path)
    assert sc.network is not None and sc.script is not None and sc.choices is not None
    assert sc.expect.properties == (finding.property,)
    assert len(sc.script) == finding.steps
    assert (finding.replay_status, finding.strict_status) == ("fail", "fail")


def test_find_fix_green_revert_red(finding, capsys):
    path = finding.path
    naive = open(path, encoding="utf-8").read()
    assert 'app = "naive"' in naive
    assert main(["replay", path]) == 1  # found: red while the bug is there
    assert main(["replay", "--strict", path]) == 1
    with open(path, "w", encoding="utf-8") as fh:  # the fix: the correct proxy
        fh.write(naive.replace('app = "naive"', 'app = "proxy"'))
    capsys.readouterr()
    assert main(["replay", path]) == 0, capsys.readouterr().err  # green
    assert main(["replay", "--strict", path]) == 1  # the exact run no longer matches the code
    assert "DIVERGENCE" in capsys.readouterr().err
    with open(path, "w", encoding="utf-8") as fh:  # the fix reverted
        fh.write(naive)
    assert main(["replay", path]) == 1  # red again
    assert main(["gate", str(__import__("os").path.dirname(path))]) == 1


def test_the_gate_and_pytest_re_simulate_the_world(finding, pytester):
    naive = open(finding.path, encoding="utf-8").read()
    pytester.makefile(".toml", found=naive)
    pytester.runpytest().assert_outcomes(failed=1)
    pytester.makefile(".toml", found=naive.replace('app = "naive"', 'app = "proxy"'))
    pytester.runpytest().assert_outcomes(passed=1)
    assert main(["gate", str(pytester.path)]) == 0


def test_strict_on_a_file_without_a_script_is_an_input_error(tmp_path, capsys):
    import pathlib

    slow = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "slow_server2.toml"
    assert main(["replay", "--strict", str(slow)]) == 2
    assert "--strict replays a [[script]]" in capsys.readouterr().err


def _silent_server(listener):
    conn, _ = yield from loopsim.accept(listener)
    try:
        yield from loopsim.recv(conn, 100)  # waits for a request that never comes
    finally:
        conn.close()


def waits_forever(net):
    """Client and server each wait for the other to speak first: a deadlock in every world."""
    listener = net.listen(("server", 7))
    try:
        server = yield from loopsim.spawn(_silent_server(listener), name="server")
        sock = net.socket("client")
        try:
            yield from loopsim.connect(sock, ("server", 7))
            yield from loopsim.recv(sock, 100)
        finally:
            sock.close()
        yield from loopsim.join(server)
    finally:
        listener.close()


def test_a_deadlock_finding_replays_exactly(tmp_path):
    import fakes

    report = explore(waits_forever, {}, properties=[terminates], budget=30, database=None, out_dir=str(tmp_path))
    [found] = report.findings
    assert "Deadlock" in found.message
    sc = load_scenario(found.path)
    for strict in (False, True):
        result = run_scenario(sc, strict=strict)
        assert result.status == "fail", result.report()
        assert type(result.outcome.error).__name__ == "Deadlock"
    # the select(None) that found nothing ready is a step of the script (the generators' finally blocks follow)
    assert any(s.op == "select" and s.result == fakes.FOREVER for s in sc.script)
    assert found.strict_status == "fail"


WORLD = """format = "loopsim-scenario/1"

[app]
driver = "scenarios.drivers:proxy_world"

[network]
seed = 0

[network.choices]
select-order = CHOICES

[expect]
properties = ["terminates"]
"""


@pytest.mark.parametrize("choices, message", [
    ('"1, 0"', "test.toml:10: network.choices.select-order: must be an array of the answers"),
    ("[1, -1]", "test.toml:10: network.choices.select-order[1]: must be >= 0, not -1"),
    ("[1, 0.5]", "test.toml:10: network.choices.select-order[1]: must be an integer >= 0"),
    ("[true]", "test.toml:10: network.choices.select-order[0]: must be an integer >= 0 (an answer of the chooser), "
               "not a boolean"),
])
def test_bad_choices_are_reported_with_file_line_and_key(choices, message):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(WORLD.replace("CHOICES", choices), "test.toml")
    assert str(err.value).startswith(message), str(err.value)


def test_choices_must_be_a_table():
    text = WORLD.replace("[network.choices]\nselect-order = CHOICES\n", "choices = 3\n")
    with pytest.raises(ScenarioError, match=r"test.toml:9: network.choices: must be a table, not an integer"):
        parse_scenario(text, "test.toml")


def test_choices_round_trip_and_missing_ones_get_the_simplest_answer(tmp_path):
    from loopsim.harness.scenario import dump_scenario

    sc = parse_scenario(WORLD.replace("CHOICES", "[1, 0, 2]"), str(tmp_path / "w.toml"))
    assert sc.choices == {"select-order": (1, 0, 2)} and sc.mode == "simulate"
    assert parse_scenario(dump_scenario(sc), sc.path) == sc
    from loopsim.harness.world_choices import ListChooser

    chooser = ListChooser(sc.choices)
    assert [chooser.index("select-order", 3) for _ in range(5)] == [1, 0, 2, 0, 0]  # then the simplest
    assert chooser.integer("recv-size", 4, 9) == 4  # a label the file lacks
    assert ListChooser({"select-order": [5]}).index("select-order", 2) == 0  # out of range: the simplest
