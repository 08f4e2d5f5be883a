"""Scenario files: parsing, validation errors that name FILE:LINE: key, and the round trip."""

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fakes
from loopsim.harness.scenario import FORMAT, Expect, Scenario, ScenarioError, dump_scenario, load_scenario, parse_scenario
from loopsim.harness.script_format import bytes_from_toml, bytes_to_toml, toml_value
from loopsim.harness.toml_locations import KeyLines

GOOD = textwrap.dedent('''\
    format = "loopsim-scenario/1"
    name = "slow-server2"
    description = "server2 answers after 30 s"

    [app]
    driver = "scenarios.drivers:proxy_world"
    args = { delay = 30.0 }

    [network]
    seed = 3

    [[network.link]]
    addr = "server2:80"
    latency = 0.01

    [[network.endpoint]]
    pattern = "server2:80<-*"
    max_send = [1, 7]

    [expect]
    max_time = 31.0
    result = { ok = 1 }
    tasks = { "client-1" = "ok" }
    received = { "client#1" = "HELLO, SERVER2" }
    ''')


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_valid_file_loads_with_every_field(tmp_path):
    sc = load_scenario(write(tmp_path, GOOD))
    assert sc.name == "slow-server2"
    assert sc.mode == "simulate"
    assert sc.driver == "scenarios.drivers:proxy_world"
    assert sc.args == {"delay": 30.0}
    assert sc.seed == 3
    assert sc.network["link"] == [{"addr": "server2:80", "latency": 0.01}]
    assert sc.network["endpoint"] == [{"pattern": "server2:80<-*", "max_send": (1, 7)}]
    assert sc.expect == Expect(received={"client#1": b"HELLO, SERVER2"}, result={"ok": 1},
                               tasks={"client-1": "ok"}, max_time=31.0)


@pytest.mark.parametrize("bad, line, key, words", [
    (GOOD.replace('latency = 0.01', 'latncy = 0.01'), 14, "network.link[0].latncy", "unknown key"),
    (GOOD.replace('seed = 3', 'seed = "three"'), 10, "network.seed", "must be an integer"),
    (GOOD.replace('max_time = 31.0', 'max_time = -1'), 21, "expect.max_time", ">= 0"),
    (GOOD.replace('driver = "scenarios.drivers:proxy_world"', 'driver = "nocolon"'), 6, "app.driver",
     "module:function"),
    (GOOD.replace('format = "loopsim-scenario/1"', 'format = "loopsim-scenario/9"'), 1, "format", "unsupported"),
    (GOOD.replace('tasks = { "client-1" = "ok" }', 'tasks = { "client-1" = 3 }'), 23, 'expect.tasks.client-1',
     "exception class name"),
    (GOOD.replace('[expect]', '[expectations]'), 20, "expectations", "unknown key"),
    (GOOD.replace('name = "slow-server2"', 'name = "slow-server2'), 2, "<toml>", "not valid TOML"),
    (GOOD.replace('pattern = "server2:80<-*"', 'pattern = "server2:80<-*"\nsndbuf = -5'), 18,
     "network.endpoint[0].sndbuf", "must be >= 1"),
])
def test_errors_name_file_line_and_key(tmp_path, bad, line, key, words):
    path = write(tmp_path, bad)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: {key}: "), message
    assert words in message
    assert "\n" not in message


def test_missing_sections_are_reported(tmp_path):
    no_expect = GOOD[: GOOD.index("[expect]")]
    with pytest.raises(ScenarioError, match=r"expect: missing"):
        parse_scenario(no_expect, "x.toml")
    with pytest.raises(ScenarioError, match=r"give \[network\] \(simulate a world\), \[\[script\]\]"):
        parse_scenario(GOOD[: GOOD.index("[network]")] + GOOD[GOOD.index("[expect]"):], "x.toml")
    with pytest.raises(ScenarioError, match=r"format: missing"):
        parse_scenario(GOOD.replace('format = "loopsim-scenario/1"\n', ""), "x.toml")
    with pytest.raises(ScenarioError, match=r"<file>: cannot read it"):
        load_scenario(str(fakes.__file__) + ".does-not-exist.toml")


def test_script_steps_parse_bytes_errors_and_results():
    text = textwrap.dedent('''\
        format = "loopsim-scenario/1"
        [app]
        driver = "m:f"
        [[script]]
        sock = "client#1"
        op = "recv"
        args = [100]
        data = "hi"
        [[script]]
        sock = "client#1"
        op = "recv"
        args = [100]
        error = "EAGAIN"
        [[script]]
        t = 1.5
        sock = "select"
        op = "select"
        args = [0.5]
        result = [["client#1", 1]]
        [[script]]
        sock = "proxy#1"
        op = "send"
        args = [{ hex = "ff00" }]
        result = 2
        [expect]
        sockets_closed = false
        ''')
    sc = parse_scenario(text)
    assert sc.mode == "replay"
    recv, again, select, send = sc.script
    assert (recv.sock, recv.op, recv.args, recv.result) == ("client#1", "recv", (100,), b"hi")
    assert again.result == "EAGAIN"
    assert (select.t, select.result) == (1.5, (("client#1", 1),))
    assert send.args == (b"\xff\x00",) and send.result == 2
    with pytest.raises(ScenarioError, match=r":9: script\[0\]\.error: a step has one answer"):
        parse_scenario(text.replace('data = "hi"', 'data = "hi"\nerror = "EAGAIN"'), "f.toml")
    with pytest.raises(ScenarioError, match=r"script\[1\]\.error: must be an errno name"):
        parse_scenario(text.replace('error = "EAGAIN"', 'error = "oops"'), "f.toml")


def test_dump_then_parse_gives_the_same_scenario(tmp_path):
    sc = load_scenario(write(tmp_path, GOOD))
    again = parse_scenario(dump_scenario(sc), sc.path)
    assert again == sc


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=32).map(lambda s: s.encode("utf-8")))
def test_bytes_round_trip_through_toml(data):
    import tomllib

    doc = tomllib.loads(f"v = {bytes_to_toml(data)}")
    assert bytes_from_toml(doc["v"], ("v",), lambda k, p: ValueError(p)) == data


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none().map(lambda _: 0) | st.booleans() | st.integers(-2**63, 2**63 - 1)
                    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3),
                    max_leaves=8))
def test_toml_values_round_trip(value):
    import tomllib

    assert tomllib.loads(f"v = {toml_value(value)}")["v"] == value


def test_keylines_finds_tables_arrays_and_dotted_keys():
    lines = KeyLines('a = 1\n[t]\nb.c = 2\n[[arr]]\nx = 1\n[[arr]]\nx = 2\n')
    assert lines.line(("a",)) == 1
    assert lines.line(("t", "b", "c")) == 3
    assert lines.line(("arr", 1, "x")) == 7
    assert lines.line(("arr", 1, "nope")) == 6
    assert lines.line(("zzz",)) is None


def test_scenario_dataclass_reports_its_mode():
    sc = Scenario(path="p", name="n", description="", driver="m:f", args={}, expect=Expect(), script=())
    assert sc.mode == "replay"
    assert FORMAT == "loopsim-scenario/1"
