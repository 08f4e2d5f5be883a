"""Fault-path coverage: the fakes count how often each injected fault fired, the gate reports it, and
`loopsim gate --require-fault-coverage` fails (exit 1) when a scenario's fault never fired."""

from __future__ import annotations

from pathlib import Path

import pytest

import fakes
from loopsim.cli import main
from loopsim.harness.gate import faults_never_fired, format_fault_coverage, run_files

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def connected(net: fakes.FakeNetwork, addr: tuple[str, int]) -> tuple[fakes.FakeSocket, fakes.FakeSocket]:
    listener = net.listen(addr) if not net.open_sockets() else next(s for s in net.open_sockets()
                                                                    if s.name == f"{addr[0]}:{addr[1]}")
    client = net.connect(addr)
    server, _ = listener.accept()
    server.setblocking(False)
    return client, server


def test_each_fault_counts_the_connections_it_struck_and_the_connects_it_met() -> None:
    net = fakes.FakeNetwork(config=fakes.NetConfig(faults=(
        fakes.Fault("reset", "server2:80<-*", after_bytes=100),
        fakes.Fault("reset", "server2:80<-*", after_bytes=100),  # the same: the connection is reset already
        fakes.Fault("half_close", "client-*", at=1.0),  # matches no socket
        fakes.Fault("half_close", "socket-*", at=0.5),  # the client sockets open at 0.5
    )))
    assert net.faults_fired() == (0, 0, 0, 0)
    _, server = connected(net, ("server2", 80))
    assert server.send(b"x" * 200) == 100
    connected(net, ("server2", 80))
    net.selector().select(3.0)  # time passes: the timed faults fire
    assert net.faults_fired() == (1, 0, 0, 1)  # the first client's connection was reset: nothing to half-close
    net.fault("refuse", "db:1")
    for _ in range(2):
        net.connect(("db", 1))
    assert net.faults_fired() == (1, 0, 0, 1, 2)


def test_a_network_without_faults_counts_nothing() -> None:
    assert fakes.FakeNetwork().faults_fired() == ()


def write(tmp_path: Path, name: str, target: str) -> None:
    (tmp_path / f"{name}.toml").write_text(f"""format = "loopsim-scenario/1"
name = "{name}"
[app]
driver = "scenarios.drivers:proxy_world"
args = {{ app = "proxy", size = 1000 }}
[network]
[[network.fault]]
kind = "reset"
target = "{target}"
after_bytes = 100
[expect]
sockets_closed = true
""")


def test_the_gate_reports_which_faults_fired_and_can_require_each_to(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "fires", "server2:80<-*")
    write(tmp_path, "misses", "server3:80<-*")  # the scenario's story never reaches its fault
    rows = run_files(sorted(str(p) for p in tmp_path.glob("*.toml")))
    assert [row.faults for row in rows] == [(("reset", "server2:80<-*", 1),), (("reset", "server3:80<-*", 0),)]
    assert faults_never_fired(rows) == [f"{tmp_path}/misses.toml: network.fault[0] (reset server3:80<-*) never fired"]
    table = format_fault_coverage(rows)
    assert table.splitlines()[0] == "fault coverage:"
    assert table.splitlines()[-1].split() == ["misses", "network.fault[0]", "reset", "server3:80<-*", "0"]

    assert main(["gate", str(tmp_path), "--fault-coverage"]) == 0  # reported, not required
    assert "server3:80<-*      0" in capsys.readouterr().out
    assert main(["gate", str(tmp_path), "--require-fault-coverage"]) == 1
    err = capsys.readouterr().err
    assert "--require-fault-coverage: " in err and "misses.toml: network.fault[0] (reset server3:80<-*) never fired" in err
    (tmp_path / "misses.toml").unlink()
    assert main(["gate", str(tmp_path), "--require-fault-coverage"]) == 0


def test_every_fault_of_the_bundled_scenarios_fires() -> None:
    paths = [str(p) for p in sorted(SCENARIOS.glob("server2_*.toml"))]
    rows = run_files(paths)
    assert faults_never_fired(rows) == []
    assert sum(len(row.faults) for row in rows) >= 3
    assert format_fault_coverage(rows[:0]) == "fault coverage: no scenario injects a fault"


def test_fault_tally_counts_injected_fired_and_never_fired() -> None:
    from loopsim.harness.fault_tally import FaultTally

    tally = FaultTally()
    reset, refuse = fakes.Fault("reset", "a#*", after_bytes=5), fakes.Fault("refuse", "b:1")
    tally.add((reset, refuse), (2, 0))
    tally.add((reset,), (0,))
    tally.add((), ())
    assert tally.runs == 3 and tally.injected == {("reset", "a#*"): 2, ("refuse", "b:1"): 1}
    assert tally.fired_runs == {("reset", "a#*"): 1} and tally.fired == {("reset", "a#*"): 2}
    assert tally.never_fired() == [("refuse", "b:1")]
    table = tally.table()
    assert table.splitlines()[0] == "fault coverage: 3 runs, 2 distinct faults injected 3 times"
    assert table.splitlines()[-1] == "never fired (1): refuse b:1"
    assert FaultTally().table() == "fault coverage: 0 runs, no fault injected"


def test_explore_reports_which_faults_fired_and_which_error_paths_ran_after_them(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The naive proxy's unhandled refusal: the search's refusals on server2 fire, the correct proxy's
    `except ConnectionRefusedError` runs after them; the numbers add up to the runs searched."""
    from loopsim.explore import explore
    from loopsim.outcome import no_task_died

    from scenarios.drivers import proxy_world

    report = explore(proxy_world, {"app": "proxy"}, properties=[no_task_died], budget=None, max_examples=300,
                     seed=0, database=None, fault_coverage=True)
    tally, paths = report.faults, report.error_paths
    assert tally.runs == report.runs == 300
    assert tally.fired_runs[("refuse", "server2:80")] >= 1
    assert all(tally.fired_runs.get(k, 0) <= n for k, n in tally.injected.items())
    refused = [h for h in paths.handlers if h.label == "except ConnectionRefusedError"
               and h.path.endswith("scenarios/apps/proxy.py")]
    assert refused and "refuse" in paths.after[refused[0]]
    plain = explore(proxy_world, {"app": "proxy"}, properties=[no_task_died], budget=None, max_examples=6,
                    database=None)
    assert plain.faults is None and plain.error_paths is None  # only when asked: tracing costs

    assert main(["explore", "scenarios.drivers:proxy_world", "--property", "no_task_died", "--examples", "60",
                 "--db", "none", "--quiet", "--fault-coverage"]) == 0
    out = capsys.readouterr().out
    assert "fault coverage: 60 runs" in out and "error paths: " in out and "scenarios/apps/proxy.py:" in out
