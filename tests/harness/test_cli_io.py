"""The CLI's own I/O errors are one line and exit 2 (never a traceback with exit 1, which reads as a finding)."""

import os
import pathlib
import subprocess
import sys

from loopsim.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
RAN = []


def marker_driver(net):
    """Notes that it ran: the checks below must come before the (live) run."""
    RAN.append(1)
    yield from ()
    return {}


def _one_line(text):
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_record_into_a_missing_folder_fails_before_the_live_run(tmp_path, capsys):
    RAN.clear()
    out = tmp_path / "no" / "such" / "run.toml"
    assert main(["record", "--out", str(out), "--", f"{__name__}:marker_driver"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("loopsim record: --out ") and "no such folder" in line
    assert RAN == [] and not out.parent.exists()


def test_gate_junit_into_a_missing_folder_fails_before_running(tmp_path, capsys):
    (tmp_path / "s.toml").write_text((ROOT / "scenarios" / "slow_server2.toml").read_text())
    junit = tmp_path / "missing" / "report.xml"
    assert main(["gate", str(tmp_path), "--junit", str(junit)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran: no table
    assert "no such folder" in _one_line(captured.err)


def test_an_unreachable_redis_database_is_one_line(capsys):
    code = main(["explore", "scenarios.drivers:proxy_world", "--db", "redis://127.0.0.1:1", "--examples", "1",
                 "--quiet"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("loopsim explore: --db 'redis://127.0.0.1:1': cannot reach Redis")


def test_exploring_without_hypothesis_says_which_extra_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # `import hypothesis` now fails as if not installed
    for name in ("loopsim.harness.explore", "loopsim.harness.strategies"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert main(["explore", "scenarios.drivers:proxy_world", "--examples", "1"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "hypothesis" in line and "pip install 'loopsim[explore]'" in line


def test_replay_trace_into_a_closed_pipe_exits_quietly():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "loopsim.cli", "replay", "--trace",
                             str(ROOT / "scenarios" / "thousand_clients.toml")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline()  # like `| head -1`: read a line, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert err == ""
