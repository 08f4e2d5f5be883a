"""Validation at load: every value a scenario file holds is checked for type and range, within limits
a file can raise, and a driver's arguments against its signature and declaration; one line each."""

import textwrap
import xml.etree.ElementTree as ET

import pytest

from loopsim import InputError, InternalError
from loopsim.harness.cli import main
from loopsim.harness.gate import run_files, write_junit
from loopsim.harness.limits import Limits, trace_estimate
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import ScenarioError, dump_scenario, load_scenario, parse_scenario

SIM = textwrap.dedent('''\
    format = "loopsim-scenario/1"
    [app]
    driver = "scenarios.drivers:proxy_world"
    args = { app = "proxy", size = 100 }
    [network]
    seed = 1
    [[network.link]]
    addr = "server2:80"
    latency = 0.01
    [[network.endpoint]]
    pattern = "*"
    max_send = [1, 7]
    [[network.fault]]
    kind = "refuse"
    target = "nowhere:1"
    at = 5.0
    [expect]
    result = { ok = 1 }
    max_time = 10.0
    ''')

REPLAY = textwrap.dedent('''\
    format = "loopsim-scenario/1"
    [app]
    driver = "scenarios.drivers:proxy_world"
    [[script]]
    sock = "select"
    op = "select"
    args = [0.5]
    result = [["client#1", 1]]
    [[script]]
    sock = "clock"
    op = "clock"
    args = [0.0, 1.0]
    [[script]]
    sock = "clock"
    op = "now"
    result = 1.5
    [[script]]
    sock = "client#1"
    op = "accept"
    result = ["c#2", ["127.0.0.1", 5000]]
    [[script]]
    sock = "client#1"
    op = "connect_ex"
    args = [["server2", 80]]
    result = 115
    [expect]
    sockets_closed = false
    ''')


def load(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return load_scenario(str(path))


def problem(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:")
    return message.split(":", 1)[1]


def test_the_base_files_are_valid(tmp_path):
    assert load(tmp_path, SIM).network["fault"][0]["at"] == 5.0
    assert [s.op for s in load(tmp_path, REPLAY).script] == ["select", "clock", "now", "accept", "connect_ex"]


@pytest.mark.parametrize("old, new, where", [
    ("size = 100", "size = 1000000000", "4: app.args.size: 1000000000 is more than the limit 1048576 "
                                        "(raise it with [limits] bytes = ...)"),
    ("size = 100", "clients = 10000000", "4: app.args.clients: 10000000 is more than the limit 1000"),
    ("size = 100", "clients = 1000, size = 1000000", "4: app.args: 1000 clients x 1000000 bytes is more than"),
    ("size = 100", "size = 100000", "4: app.args: the run would record about"),
    ("size = 100", "delay = nan", "4: app.args.delay: must be a finite number, not nan"),
    ("size = 100", "delay = inf", "4: app.args.delay: must be a finite number, not inf"),
    ("size = 100", "delay = 1e300", "4: app.args.delay: 1e+300 is more than the limit 86400"),
    ("size = 100", "write_gap = -1.0", "4: app.args.write_gap: must be >= 0"),
    ("size = 100", "writes = 1000000", "4: app.args.writes: 1000000 is more than the limit 100000"),
    ("size = 100", 'payload = 5', "4: app.args.payload: must be a string, not an integer"),
    ("size = 100", 'half_close = 1', "4: app.args.half_close: must be true or false, not an integer"),
    ("size = 100", 'clients = true', "4: app.args.clients: must be an integer, not a boolean"),
    ("size = 100", 'colour = 3', "4: app.args.colour: unknown argument; scenarios.drivers:proxy_world takes app,"),
    ('app = "proxy"', 'app = "nginx"', "4: app.args.app: must be one of 'proxy', 'naive', not 'nginx'"),
    ("seed = 1", "seed = -1", "6: network.seed: must be >= 0"),
    ("seed = 1", "seed = 1e3", "6: network.seed: must be an integer, not a float"),
    ("latency = 0.01", "latency = 1e300", "9: network.link[0].latency: 1e+300 is more than the limit 86400"),
    ("latency = 0.01", "latency = inf", "9: network.link[0].latency: Link.latency=inf: must be finite"),
    ("max_send = [1, 7]", "max_send = [1, 3000000000]", "12: network.endpoint[0].max_send: 3000000000 is more"),
    ("at = 5.0", "at = 1e300", "16: network.fault[0].at: 1e+300 is more than the limit 86400"),
    ('addr = "server2:80"', 'addr = "server2:80"\nbandwidth = 1e-300', "9: network.link[0].bandwidth: must be >= 1"),
    ("max_time = 10.0", "max_time = inf", "19: expect.max_time: must be a finite number, not inf"),
    ("max_time = 10.0", "max_time = 1e300", "19: expect.max_time: 1e+300 is more than the limit 86400"),
    ('driver = "scenarios.drivers:proxy_world"', 'driver = "sys:exit"',
     "3: app.driver: app 'sys:exit': 'exit' is a builtin_function_or_method, not a function"),
    ('driver = "scenarios.drivers:proxy_world"', 'driver = "scenarios.drivers:APPS"',
     "3: app.driver: app 'scenarios.drivers:APPS': module 'scenarios.drivers' has no function 'APPS'"),
    ('driver = "scenarios.drivers:proxy_world"', 'driver = "scenarios.apps.echo:nothing"', "3: app.driver:"),
    ("[expect]", '[limits]\nbytes = 0\n[expect]', "18: limits.bytes: must be >= 1"),
    ("[expect]", '[limits]\nspeed = 3\n[expect]', "18: limits.speed: unknown limit; expected one of clients,"),
    ("[expect]", '[limits]\nseconds = inf\n[expect]', "18: limits.seconds: must be a finite number"),
    ("max_time = 10.0", 'properties = ["math:nope"]', "19: expect.properties[0]: property 'math:nope':"),
])
def test_a_bad_value_is_one_line_naming_file_line_and_key(tmp_path, old, new, where):
    assert old in SIM
    assert problem(tmp_path, SIM.replace(old, new, 1)).startswith(where)


@pytest.mark.parametrize("old, new, where", [
    ('result = [["client#1", 1]]', 'result = [1, 2]', '8: script[0].result: a select step answers result = '
                                                     '[["socket name", mask], ...]'),
    ('result = [["client#1", 1]]', 'result = [["client#1", 9]]', "8: script[0].result: a select step"),
    ('result = [["client#1", 1]]', '', "4: script[0]: a select step answers"),
    ("args = [0.0, 1.0]", "", "9: script[1].args: clock takes args = [from, to], not []"),
    ("args = [0.0, 1.0]", "args = [0.0, 1e300]", "12: script[1].args: clock takes args = [from, to], not [0.0, 1e+300]"),
    ("result = 1.5", 'result = "soon"', '16: script[2].result: a now step answers result = the clock reading'),
    ("result = 1.5", "result = nan", "16: script[2].result: a now step"),
    ('result = ["c#2", ["127.0.0.1", 5000]]', 'result = "c#2"', "20: script[3].result: a accept step answers"),
    ("result = 115", "error = \"ECONNREFUSED\"", '25: script[4].error: a connect_ex step answers result = an errno'),
    ('args = [["server2", 80]]', 'args = ["server2"]', "24: script[4].args: connect_ex takes args = [address]"),
    ('op = "connect_ex"\nargs = [["server2", 80]]\nresult = 115', 'op = "dup"\nresult = 3',
     "24: script[4].result: a dup step answers result = \"the new socket's name\", not result = 3"),
    ('op = "now"', 'op = "teleport"', "15: script[2].op: unknown operation 'teleport'"),
    ('sock = "clock"\nop = "now"', 'sock = "x"\nop = "now"', "14: script[2].sock: a now step has sock = \"clock\""),
    ("result = 1.5", "t = 1e300\nresult = 1.5", "16: script[2].t: 1e+300 is more than the limit 86400"),
    ("[expect]", "[limits]\nsteps = 2\n[expect]", "4: script: 5 is more than the limit 2"),
])
def test_script_steps_are_checked_op_by_op(tmp_path, old, new, where):
    assert old in REPLAY
    assert problem(tmp_path, REPLAY.replace(old, new, 1)).startswith(where)


def test_limits_raise_the_defaults_and_round_trip(tmp_path):
    big = SIM.replace("size = 100", "size = 2000000").replace("[1, 7]", "[1000, 7000]").replace("[expect]", "[limits]\nbytes = 3000000\n"
                                                                         "trace_bytes = 100000000000\n[expect]")
    sc = load(tmp_path, big)
    assert sc.limits == Limits(bytes=3_000_000, trace_bytes=100_000_000_000)
    assert parse_scenario(dump_scenario(sc), sc.path) == sc
    assert "more than the limit 3000000" in problem(tmp_path, big.replace("size = 2000000", "size = 3000001"))
    assert trace_estimate(2, 10, None) == 2 * (10 + 256) and trace_estimate(1, 10, 1) == 10 * 266


def test_a_driver_that_takes_no_network_or_returns_no_generator_is_an_input_error(tmp_path, monkeypatch):
    (tmp_path / "my_drivers.py").write_text(textwrap.dedent('''\
        def no_net():
            yield
        def returns_int(net):
            return 3
        def returns_gen(net):
            return (x for x in [])
        def needs(net, *, level):
            yield
        def bad_kind(net, *, n=1):
            yield
        bad_kind.loopsim_args = {"n": "gallons"}
        def bad_property(outcome):
            return 42
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    base = SIM.replace('args = { app = "proxy", size = 100 }', "")
    assert "a driver takes the network as its first argument" in problem(
        tmp_path, base.replace("scenarios.drivers:proxy_world", "my_drivers:no_net"))
    assert "missing argument 'level', which my_drivers:needs requires" in problem(
        tmp_path, base.replace("scenarios.drivers:proxy_world", "my_drivers:needs"))
    assert "kind is 'gallons'" in problem(
        tmp_path, base.replace("scenarios.drivers:proxy_world", "my_drivers:bad_kind").replace(
            '[app]', '[app]\nargs = { n = 2 }'))
    sc = load(tmp_path, base.replace("scenarios.drivers:proxy_world", "my_drivers:returns_int"))
    with pytest.raises(ScenarioError, match=r"app: app 'my_drivers:returns_int' returned int, not a generator"):
        run_scenario(sc)
    assert run_scenario(load(tmp_path, base.replace("scenarios.drivers:proxy_world", "my_drivers:returns_gen")
                             .replace('result = { ok = 1 }', 'sockets_closed = true'))).status == "pass"
    sc = load(tmp_path, SIM.replace("max_time = 10.0", 'properties = ["my_drivers:bad_property"]'))
    with pytest.raises(InputError, match=r"property 'my_drivers:bad_property' returned int 42; a property "
                                            r"returns None when it holds"):
        run_scenario(sc)


def test_nesting_too_deep_for_python_is_a_clean_error(tmp_path):
    deep = SIM.replace("size = 100", "size = 100, extra = " + "[" * 3000 + "]" * 3000)
    message = problem(tmp_path, deep)
    assert "nested too deeply" in message or "not valid TOML" in message or "unknown argument" in message


GOOD_FILE = open("scenarios/slow_server2.toml").read()


def test_the_gate_keeps_going_past_a_broken_a_failing_and_a_crashing_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "exiting_driver.py").write_text(
        "import loopsim\n\ndef world(net):\n    yield from loopsim.sleep(1.0)\n    raise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "a_good.toml").write_text(GOOD_FILE)
    (scen / "b_malformed.toml").write_text(REPLAY.replace('result = [["client#1", 1]]', 'result = [1, 2]'))
    (scen / "c_exits.toml").write_text('format = "loopsim-scenario/1"\n[app]\ndriver = "exiting_driver:world"\n'
                                       '[network]\n[expect]\nmax_time = 5\n')
    (scen / "d_good.toml").write_text(GOOD_FILE.replace('name = "slow-server2"', 'name = "again"'))
    (scen / "e_crashes.toml").write_text(GOOD_FILE.replace('name = "slow-server2"', 'name = "crashes"'))
    import loopsim.harness.gate as gate_module

    real = gate_module.run_scenario

    def run_scenario(sc, *args, **kwargs):  # a bug in loopsim itself, for one file
        if sc.name == "crashes":
            raise InternalError("loopsim failed while running 'crashes'; this is a bug in loopsim, please report it")
        return real(sc, *args, **kwargs)

    monkeypatch.setattr(gate_module, "run_scenario", run_scenario)
    rows = run_files(sorted(str(p) for p in scen.iterdir()))
    assert [(r.name, r.status) for r in rows] == [("slow-server2", "pass"), ("b_malformed.toml", "error"),
                                                  ("c_exits", "fail"), ("again", "pass"), ("crashes", "crash")]
    assert rows[1].detail.startswith(f"{scen / 'b_malformed.toml'}:8: script[0].result:")
    assert "error: the run stopped: SystemExit: 3" in rows[2].detail  # sys.exit fails its scenario only
    assert "CRASH: the run crashed: InternalError" in rows[4].detail and "Traceback" in rows[4].traceback
    junit = tmp_path / "report.xml"
    write_junit(rows, str(junit))
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("5", "2", "1")
    errors = [case.find("error") for case in suite.findall("testcase")]
    assert [e.get("type") if e is not None else None for e in errors] == [None, "input", None, None, "crash"]
    assert main(["gate", str(scen), "--junit", str(tmp_path / "cli.xml")]) == 2
    out = capsys.readouterr()
    assert "2/5 scenarios passed" in out.out and "Traceback" not in out.err


def test_bytes_that_are_not_utf8_and_toml_cut_short_name_their_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(SIM.encode().replace(b"seed = 1", b"seed = \xff1"))
    with pytest.raises(ScenarioError, match=r":6: <file>: not UTF-8 text: byte 0xff at offset"):
        load_scenario(str(path))
    assert problem(tmp_path, SIM + "[unfinished").startswith("20: <toml>: not valid TOML")
