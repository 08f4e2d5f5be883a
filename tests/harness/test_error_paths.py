"""Error-path coverage: which except/finally blocks of the code under test ran, after which faults."""

import sys
import textwrap

import pytest

from loopsim.harness.cli import main
from loopsim.harness.error_paths import ErrorPathRecorder, find_handlers
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import load_scenario

# A small server of my own (not one of the bundled apps), as a package of its own.
APP = '''
import loopsim

ADDR = ("kv", 7000)


def handle(conn):
    try:
        data = yield from loopsim.recv(conn, 1024)
        yield from loopsim.sendall(conn, data.upper())
    except ConnectionResetError:
        return "reset"
    except (BrokenPipeError, OSError) as exc:
        return "other"
    finally:
        conn.close()
    return "ok"


def client(net, payload):
    sock = net.socket("client#1")
    try:
        yield from loopsim.connect(sock, ADDR)
    except ConnectionRefusedError:
        sock.close()
        return "refused"
    try:
        yield from loopsim.sendall(sock, payload)
        reply = yield from loopsim.recv(sock, 1024)
    except OSError:
        reply = b""
    sock.close()
    return reply


def world(net, payload="hello"):
    listener = net.listen(ADDR)
    try:
        c = yield from loopsim.spawn(client(net, payload.encode()), name="client")
        try:
            conn, _ = yield from loopsim.timeout(1.0, loopsim.accept(listener))
        except loopsim.Timeout:
            return {"client": (yield from loopsim.join(c))}
        server = yield from loopsim.spawn(handle(conn), name="server")
        return {"client": (yield from loopsim.join(c)), "server": (yield from loopsim.join(server))}
    finally:
        listener.close()
'''


def scenario(fault="", name="kv"):
    return textwrap.dedent(f'''\
        format = "loopsim-scenario/1"
        name = "{name}"
        [app]
        driver = "kvapp.server:world"
        [network]
        seed = 1
        {fault}
        [expect]
        sockets_closed = true
        ''')


@pytest.fixture
def app(tmp_path, monkeypatch):
    pkg = tmp_path / "kvapp"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "server.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg / "server.py"
    for name in [n for n in sys.modules if n.split(".")[0] == "kvapp"]:
        del sys.modules[name]


def test_find_handlers_reads_every_except_and_finally_with_its_line(app):
    handlers = find_handlers(str(app))
    assert [(h.line, h.label) for h in handlers] == [
        (11, "except ConnectionResetError"), (13, "except (BrokenPipeError, OSError) as exc"), (15, "finally"),
        (24, "except ConnectionRefusedError"), (30, "except OSError"), (42, "except loopsim.Timeout"),
        (46, "finally")]
    assert find_handlers(str(app) + ".missing") == []


def test_a_handler_is_reported_after_the_fault_that_sent_the_code_there(app, tmp_path):
    reset = tmp_path / "reset.toml"
    reset.write_text(scenario('[[network.fault]]\nkind = "reset"\ntarget = "client#*"\nafter_bytes = 0'))
    clean = tmp_path / "clean.toml"
    clean.write_text(scenario())
    recorder = ErrorPathRecorder()
    for path in (clean, reset):
        recorder.run(load_scenario(str(path)), run_scenario)
    by_label = {h.label: h for h in recorder.paths.handlers}
    after = recorder.paths.after
    handle_finally = next(h for h in recorder.paths.handlers if h.line == 15)
    assert after[handle_finally] == {"no fault": 1, "reset": 1}  # it ran in both runs
    reset_handler = by_label["except ConnectionResetError"]
    assert reset_handler not in after or "no fault" not in after[reset_handler]
    never = {h.label for h in recorder.paths.never_ran()}
    assert "except ConnectionRefusedError" in never and "except loopsim.Timeout" in never
    table = recorder.paths.table(root=str(tmp_path))
    assert "never ran" in table and "kvapp/server.py:24  except ConnectionRefusedError" in table


def test_a_refused_connect_runs_the_refusal_handler_and_the_accept_timeout(app, tmp_path):
    refused = tmp_path / "refuse.toml"
    refused.write_text(scenario('[[network.fault]]\nkind = "refuse"\ntarget = "kv:7000"'))
    recorder = ErrorPathRecorder()
    result = recorder.run(load_scenario(str(refused)), run_scenario)
    assert result.outcome.result == {"client": "refused"}
    ran = {h.label: recorder.paths.after[h] for h in recorder.paths.handlers if h in recorder.paths.runs}
    assert ran["except ConnectionRefusedError"] == {"refuse": 1}
    assert ran["except loopsim.Timeout"] == {"refuse": 1}


def test_recording_puts_the_previous_trace_function_back(app, tmp_path):
    path = tmp_path / "clean.toml"
    path.write_text(scenario())
    before = sys.gettrace()
    ErrorPathRecorder().run(load_scenario(str(path)), run_scenario)
    assert sys.gettrace() is before
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:  # 3.12+: the tool id is given back
        assert all(monitoring.get_tool(t) != "loopsim error paths" for t in range(6))


def test_gate_fault_coverage_prints_the_error_paths(app, tmp_path, capsys):
    gate_dir = tmp_path / "gate"
    gate_dir.mkdir()
    (gate_dir / "reset.toml").write_text(
        scenario('[[network.fault]]\nkind = "reset"\ntarget = "client#*"\nafter_bytes = 0'))
    (gate_dir / "refuse.toml").write_text(scenario('[[network.fault]]\nkind = "refuse"\ntarget = "kv:7000"',
                                                  name="kv-refused"))
    assert main(["gate", str(gate_dir), "--fault-coverage"]) == 0
    out = capsys.readouterr().out
    assert "error paths:" in out and "of 7 except/finally blocks of the code under test ran" in out
    assert "except ConnectionRefusedError" in out and "refuse x1" in out
