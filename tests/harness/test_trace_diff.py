"""`loopsim diff A B`: the first differing event of two runs or traces, with context; exit 0/1/2."""

import dataclasses
import pathlib

import pytest

from fakes import TraceEvent
from loopsim.cli import main
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import load_scenario
from loopsim.harness.trace_diff import TraceSide, first_difference, format_difference

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAIVE = str(ROOT / "scenarios" / "naive_proxy_partial_send.toml")


def trace_lines(seed):
    sc = dataclasses.replace(load_scenario(NAIVE), seed=seed)
    return [e.to_text() for e in run_scenario(sc).outcome.trace.events]


def test_two_seeds_of_a_bundled_scenario_differ_where_their_traces_part(capsys):
    a, b = trace_lines(10), trace_lines(1)
    index = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    assert main(["diff", NAIVE, NAIVE, "--seed-a", "10", "--seed-b", "1", "--context", "3"]) == 1
    out = capsys.readouterr().out
    assert f"first difference at event {index} (after {index} identical events)" in out
    assert f"  A [{index}] {a[index]}" in out and f"  B [{index}] {b[index]}" in out
    shown = [line for line in out.splitlines() if line.startswith("    [")]
    assert [line.split("] ", 1)[1] for line in shown] == a[index - 3:index]
    assert "(seed 10)" in out and "(seed 1)" in out


def test_the_same_seed_is_identical(capsys):
    assert main(["diff", NAIVE, NAIVE]) == 0
    assert f"identical: {len(trace_lines(10))} events" in capsys.readouterr().out


def test_a_trace_file_against_the_run_it_came_from(tmp_path, capsys):
    assert main(["replay", "--trace", NAIVE]) == 0
    trace = tmp_path / "a.trace"
    trace.write_text(capsys.readouterr().out)
    assert main(["diff", str(trace), NAIVE]) == 0
    capsys.readouterr()
    lines = trace.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(" -> 100"))  # the naive proxy's partial send
    lines[at] = lines[at][:-len("100")] + "99"
    trace.write_text("\n".join(lines) + "\n")
    assert main(["diff", str(trace), NAIVE, "--context", "0"]) == 1
    out = capsys.readouterr().out
    assert f"first difference at event {at - 1}" in out and "-> 99" in out  # (line 0 is replay's own header)


def test_one_run_ending_early_is_a_difference(tmp_path, capsys):
    trace = tmp_path / "short.trace"
    trace.write_text("\n".join(trace_lines(10)[:12]) + "\n")
    assert main(["diff", NAIVE, str(trace)]) == 1
    assert "B [12] (the run ends here: 12 events)" in capsys.readouterr().out


def test_events_that_read_the_same_but_differ_in_bytes_not_shown():
    def side(payload):
        events = [TraceEvent(0, 0.0, "c", "send", (payload,), len(payload))]
        return TraceSide("x", [e.to_text() for e in events], events)

    a, b = side(b"x" * 60), side(b"x" * 50 + b"y" * 10)
    assert a.lines == b.lines and first_difference(a, b) == 0
    identical, report = format_difference(a, b)
    assert not identical and "the args differ at byte 50" in report


@pytest.mark.parametrize("make, argv, message", [
    (None, ["{tmp}/missing.toml", NAIVE], "{tmp}/missing.toml: no such file"),
    ("garbage", ["{tmp}/bad.trace", NAIVE], "{tmp}/bad.trace:2: not a trace line"),
    ("empty", ["{tmp}/bad.trace", NAIVE], "{tmp}/bad.trace: no trace events"),
    ("toml", [NAIVE, "{tmp}/bad.toml"], "{tmp}/bad.toml:"),
    ("garbage", ["{tmp}/bad.trace", NAIVE, "--seed-a", "3"], "{tmp}/bad.trace: --seed and --strict"),
    (None, [NAIVE, NAIVE, "--context", "-1"], "--context must be >= 0"),
])
def test_bad_input_exits_2_naming_the_file(tmp_path, capsys, make, argv, message):
    if make == "garbage":
        (tmp_path / "bad.trace").write_text("0.000000 a recv (1,) -> 'EAGAIN'\nthis is not a trace\n")
    elif make == "empty":
        (tmp_path / "bad.trace").write_text("\n\n")
    elif make == "toml":
        (tmp_path / "bad.toml").write_text('format = "loopsim-scenario/1"\n[app]\ndriver = "nocolon"\n')
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["diff", *argv]) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_seed_on_a_script_only_file_is_an_input_error(tmp_path, capsys):
    from loopsim.harness.script_format import step_to_toml

    events = run_scenario(load_scenario(NAIVE)).outcome.trace.events
    text = pathlib.Path(NAIVE).read_text()
    text = text[:text.index("[network]")] + text[text.index("[expect]"):]
    path = tmp_path / "script.toml"
    path.write_text(text + "".join(f"\n[[script]]\n{step_to_toml(e)}\n" for e in events))
    assert main(["diff", str(path), NAIVE]) == 0  # the exact run replays to the same trace
    capsys.readouterr()
    assert main(["diff", str(path), NAIVE, "--seed-a", "2"]) == 2
    assert "network.seed" in capsys.readouterr().err
