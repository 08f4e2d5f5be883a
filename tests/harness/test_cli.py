"""The loopsim command, in-process: exit 0 pass, 1 failure or divergence, 2 usage or input error."""

import importlib
import pathlib
import shutil
import sys
import types
import xml.etree.ElementTree as ET

import pytest

import loopsim
import loopsim.harness.cli as cli
from loopsim.cli import main
from loopsim.harness.cli.arguments import parse_key_values
from loopsim.harness.scenario import load_scenario

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.toml"))


def copy(tmp_path, *names):
    for name in names:
        shutil.copy(SCENARIOS / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("command", ["demo", "replay", "gate", "record", "explore", "chaos", "fidelity", "timeline", "diff"])
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert f"usage: loopsim {command}" in capsys.readouterr().out


def test_each_command_is_its_own_module_and_the_parser_offers_exactly_those(capsys):
    assert cli.COMMANDS == ("demo", "replay", "gate", "record", "explore", "chaos", "fidelity", "timeline", "diff")
    for name, command in zip(cli.COMMANDS, cli.commands()):
        assert importlib.import_module(f"loopsim.harness.cli.{name}").COMMAND is command
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    assert all(f"    {name}  " in listed for name in cli.COMMANDS)


def test_adding_a_command_is_one_module_and_one_name(monkeypatch, capsys):
    def run(args):
        print(f"hello {args.who}")
        return cli.EXIT_FAILURE

    module = types.ModuleType("loopsim.harness.cli.hello")
    module.COMMAND = cli.Command("hello", "say hello", "Say hello to WHO.",
                                 lambda parser: parser.add_argument("who"), run)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, "hello"))
    assert main(["hello", "world"]) == 1
    assert capsys.readouterr().out == "hello world\n"


def test_key_values_are_toml_or_bare_words():
    assert parse_key_values(["clients=3", 'app="proxy"', "mode=fast", "delay=0.5", "on=true", "xs=[1, 2]"]) == {
        "clients": 3, "app": "proxy", "mode": "fast", "delay": 0.5, "on": True, "xs": [1, 2]}
    for bad in ("clients", "=3", "not-a-name=1"):
        with pytest.raises(ValueError, match="is not KEY=VALUE"):
            parse_key_values([bad])


def test_no_command_and_bad_options_are_usage_errors(capsys):
    assert main([]) == 2
    assert main(["gate", "--no-such-option"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_gate_passes_on_the_bundled_scenarios_and_writes_junit(tmp_path, capsys):
    assert len(BUNDLED) >= 12
    report = tmp_path / "report.xml"
    assert main(["gate", str(SCENARIOS), "--junit", str(report)]) == 0
    out = capsys.readouterr().out
    assert f"{len(BUNDLED)}/{len(BUNDLED)} scenarios passed" in out
    assert "slow-server2" in out and "pass (known bug reproduced)" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("tests") == str(len(BUNDLED)) and suite.get("failures") == "0"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    slow = cases["slow-server2"].find("properties/property")
    assert slow.get("name") == "virtual_time" and float(slow.get("value")) == 30.0


def test_gate_exits_1_on_a_failed_expectation_and_shows_why(tmp_path, capsys):
    copy(tmp_path, "slow_server2.toml")
    path = tmp_path / "slow_server2.toml"
    path.write_text(path.read_text().replace("max_time = 30.0", "max_time = 29.0"))
    report = tmp_path / "r.xml"
    assert main(["gate", str(tmp_path), "--junit", str(report)]) == 1
    captured = capsys.readouterr()
    assert "fail" in captured.out
    assert "max_time: took 30.000000 virtual seconds, more than 29.0" in captured.err
    assert "last 12 events of the trace" in captured.err
    failure = ET.parse(report).getroot().find("testsuite/testcase/failure")
    assert failure.get("type") == "fail" and "max_time" in failure.get("message")


def test_gate_exits_2_on_a_broken_file_with_a_one_line_error(tmp_path, capsys):
    copy(tmp_path, "slow_server2.toml", "server2_refuses.toml")
    bad = tmp_path / "server2_refuses.toml"
    bad.write_text(bad.read_text().replace('kind = "refuse"', 'kind = "explode"'))
    assert main(["gate", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "1/2 scenarios passed" in captured.out
    line = [ln for ln in captured.err.splitlines() if "server2_refuses.toml:" in ln]
    assert len(line) == 1 and ":15: network.fault[0].kind:" in line[0]
    assert "Traceback" not in captured.err


def test_gate_on_a_missing_or_empty_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["gate", str(tmp_path / "nope")]) == 2
    assert main(["gate", str(tmp_path)]) == 2
    assert "no scenario files" in capsys.readouterr().err


def test_replay_runs_files_and_prints_traces(capsys):
    assert main(["replay", str(SCENARIOS / "server2_refuses.toml"), "--trace"]) == 0
    out = capsys.readouterr().out
    assert "server2-refuses-connections: pass" in out
    assert "proxy#1 so_error () -> 111" in out


def test_replay_exits_1_on_a_divergence(tmp_path, capsys):
    out = tmp_path / "rec.toml"
    assert main(["record", "--out", str(out), "--", "scenarios.drivers:proxy_world", "size=100"]) == 0
    text = out.read_text()
    out.write_text(text.replace("args = { size = 100 }", "args = { size = 99 }"))
    capsys.readouterr()
    assert main(["replay", str(out)]) == 1
    err = capsys.readouterr().err
    assert "DIVERGENCE" in err and "divergence at step" in err


def test_replay_of_a_bad_file_is_an_input_error(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('format = "loopsim-scenario/1"\n[app]\ndriver = "no.such.module:f"\n[network]\n[expect]\nmax_time = 1\n')
    assert main(["replay", str(bad)]) == 2
    assert "cannot import module 'no.such.module'" in capsys.readouterr().err


def test_record_then_replay_round_trips_a_live_run(tmp_path, capsys):
    out = tmp_path / "live.toml"
    assert main(["record", "--out", str(out), "--name", "live-three", "--",
                 "scenarios.drivers:proxy_world", "clients=3", "size=2000", 'app="proxy"']) == 0
    assert "replay: pass" in capsys.readouterr().out
    sc = load_scenario(out)
    assert sc.name == "live-three" and sc.mode == "replay"
    assert sc.args == {"clients": 3, "size": 2000, "app": "proxy"}
    assert sc.expect.result == {"clients": 3, "ok": 3}
    ops = {step.op for step in sc.script}
    assert {"socket", "connect_ex", "accept", "recv", "send", "select", "now", "close"} <= ops
    assert main(["replay", str(out)]) == 0


@pytest.mark.parametrize("argv, message", [
    (["scenarios.drivers:nothing_here"], "has no function 'nothing_here'"),
    (["scenarios.drivers:proxy_world", "clients"], "is not KEY=VALUE"),
    (["scenarios.drivers:proxy_world", "colour=3"], "unexpected keyword argument 'colour'"),
])
def test_record_input_errors_exit_2(tmp_path, capsys, argv, message):
    assert main(["record", "--out", str(tmp_path / "x.toml"), "--", *argv]) == 2
    assert message in capsys.readouterr().err


def test_demo_serves_every_client(capsys):
    assert main(["demo", "--clients", "5", "--payload", "1000", "--delay", "0"]) == 0
    assert "proxy served 5/5 clients" in capsys.readouterr().out
    assert main(["demo", "--clients", "0"]) == 2


def test_version_names_the_installed_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"loopsim {loopsim.__version__}" == f"loopsim {version('loopsim')}"
