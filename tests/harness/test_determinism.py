"""The determinism self-check: a file run in fresh processes with different PYTHONHASHSEEDs gives the same trace,
and a driver whose output depends on the hash seed is caught, naming the first event that differs."""

import pytest

from loopsim.cli import main
from loopsim.explore import explore
from loopsim.harness.determinism import check_file, first_difference, trace_digest
from loopsim.loop.errors import InputError
from loopsim.outcome import no_task_died

from tests.harness.hash_ordered_driver import hash_ordered

SCENARIO = """format = "loopsim-scenario/1"
name = "hash-ordered"

[app]
driver = "tests.harness.hash_ordered_driver:hash_ordered"
args = {{ ordered = {ordered} }}

[network]
seed = 0

[expect]
properties = ["no_task_died"]
"""


def _file(tmp_path, ordered):
    path = tmp_path / f"hash_ordered_{ordered}.toml"
    path.write_text(SCENARIO.format(ordered="true" if ordered else "false"))
    return str(path)


def test_first_difference_names_the_first_differing_position():
    assert first_difference(["a", "b"], ["a", "b"]) is None
    diff = first_difference(["a", "b", "c"], ["a", "x", "c"])
    assert (diff.index, diff.first, diff.second) == (1, "b", "x")
    assert "event 2 differs" in diff.describe()
    longer = first_difference(["a"], ["a", "b"])
    assert (longer.index, longer.first, longer.second) == (1, None, "b")
    assert "the run had ended" in longer.describe()
    assert trace_digest(["a"]) != trace_digest(["b"]) and len(trace_digest([])) == 64


def test_a_deterministic_file_has_the_same_trace_in_fresh_processes(tmp_path):
    check = check_file(_file(tmp_path, ordered=True))
    assert check.same, check.describe()
    assert [seed for seed, _, _, _ in check.runs] == [1, 2]
    assert check.describe().startswith("deterministic: the same trace in 2 fresh processes")


def test_a_driver_iterating_a_set_of_strings_is_caught_naming_the_event(tmp_path):
    check = check_file(_file(tmp_path, ordered=False))
    assert not check.same
    text = check.describe()
    assert text.startswith("NOT deterministic") and "PYTHONHASHSEED=1: " in text and "PYTHONHASHSEED=2: " in text
    # the first word sent differs: 'epsilon' with hash seed 1, 'beta' with 2 (CPython's str hash)
    assert "client#1 send" in check.difference.first and "epsilon" in check.difference.first
    assert "beta" in check.difference.second


def test_replay_twice_exit_codes(tmp_path, capsys):
    assert main(["replay", "--twice", _file(tmp_path, ordered=True)]) == 0
    assert "deterministic: the same trace" in capsys.readouterr().out
    assert main(["replay", "--twice", _file(tmp_path, ordered=False)]) == 1
    assert "NOT deterministic" in capsys.readouterr().out
    broken = tmp_path / "broken.toml"
    broken.write_text(SCENARIO.format(ordered="true").replace("hash_ordered_driver:hash_ordered", "nowhere:f"))
    assert main(["replay", "--twice", str(broken)]) == 2


def test_a_failing_child_is_an_input_error_naming_the_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("not toml [")
    with pytest.raises(InputError, match="broken.toml: the determinism check's run"):
        check_file(str(broken))


def test_explore_checks_its_findings_in_fresh_processes(tmp_path):
    ok = explore(hash_ordered, {"ordered": True, "crash": True}, properties=[no_task_died], budget=None,
                 max_examples=20, database=None, out_dir=str(tmp_path / "a"), check_determinism=True)
    [finding] = ok.findings
    assert finding.determinism.same and "deterministic: the same trace" in ok.summary()
    bad = explore(hash_ordered, {"crash": True}, properties=[no_task_died], budget=None, max_examples=20,
                  database=None, out_dir=str(tmp_path / "b"), check_determinism=True)
    [finding] = bad.findings
    assert not finding.determinism.same and "NOT deterministic" in bad.summary()
    with pytest.raises(InputError, match="give out_dir"):
        explore(hash_ordered, {}, check_determinism=True)


def test_explore_check_determinism_flag(tmp_path, capsys):
    code = main(["explore", "tests.harness.hash_ordered_driver:hash_ordered", "crash=true",
                 "--property", "no_task_died",
                 "--examples", "10", "--db", "none", "--quiet", "--out", str(tmp_path), "--check-determinism"])
    assert code == 1
    assert "NOT deterministic" in capsys.readouterr().out


def test_the_fresh_process_prints_its_trace_as_one_json_line(tmp_path, capsys):
    import json

    from loopsim.harness.determinism import child_main

    assert child_main([_file(tmp_path, ordered=True)]) == 0
    data = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert data["status"] == "pass" and data["digest"] == trace_digest(data["lines"]) and data["lines"]
    assert child_main([str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
