"""The timeline of a run: its lanes (tasks, sockets), faults, divergence; the HTML page, the Perfetto JSON,
`loopsim timeline` and `loopsim gate --html` (in-process, exit codes). The browser test is test_timeline_browser."""

import html
import json
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from loopsim.cli import main
from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import load_scenario
from loopsim.harness.script_format import step_to_toml
from loopsim.harness.timeline import classify, is_socket_wait, timeline_for_scenario
from loopsim.harness.timeline_html import COLORS, render_html
from loopsim.harness.timeline_perfetto import perfetto_events, render_perfetto

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAIVE = ROOT / "scenarios" / "naive_proxy_partial_send.toml"

WORLD = """format = "loopsim-scenario/1"
name = "{name}"
[app]
driver = "tests.harness.timeline_world:world"
args = {{ clients = {clients}, words = {words}, crash = 2 }}
[network]
seed = 3
[[network.endpoint]]
pattern = "*"
max_send = {max_send}
[[network.fault]]
kind = "reset"
target = "client#3"
after_bytes = 50
[expect]
result = {{ clients = {clients}, ok = {ok} }}
tasks = {{ "client-2" = "RuntimeError", "client-3" = "ConnectionResetError", "serve-counter:7<-client#3" = "ConnectionResetError", "sleeper" = "cancelled" }}
"""


def world_file(tmp_path, name="word-count", clients=3, words=20, max_send=1, ok=None):
    path = tmp_path / f"{name}.toml"
    ok = clients - 2 if ok is None else ok
    path.write_text(WORLD.format(name=name, clients=clients, words=words, max_send=max_send, ok=ok))
    return path


@pytest.fixture
def naive():
    return timeline_for_scenario(load_scenario(NAIVE))


@pytest.fixture
def words(tmp_path):
    path = world_file(tmp_path)
    return load_scenario(path), timeline_for_scenario(load_scenario(path))


def test_a_lane_per_task_the_run_had_with_its_end(words):
    sc, tl = words
    outcome = run_scenario(sc).outcome
    assert sorted(t.name for t in tl.tasks) == sorted(outcome.tasks)
    ends = {t.name: t.end for t in tl.tasks}
    assert ends["client-2"] == ends["client-3"] == "error" and ends["sleeper"] == "cancelled"
    assert ends["main"] == ends["client-1"] == "ok"
    by_name = {t.name: t for t in tl.tasks}
    assert by_name["main"].end_detail == repr(outcome.result)
    assert by_name["client-3"].end_detail.startswith("ConnectionResetError: ")


def test_task_segments_tile_the_run_and_every_call_falls_in_a_step_of_its_task(words):
    _, tl = words
    runs = {}
    for task in tl.tasks:
        segs = task.segments
        assert all(a.x1 == b.x0 for a, b in zip(segs, segs[1:])), task.name
        assert all(s.x0 < s.x1 for s in segs) and segs[-1].x1 <= tl.steps
        runs[task.name] = [(s.x0, s.x1) for s in segs if s.state == "run"]
        if task.end is not None:
            assert segs[-1].state == "done" and segs[-1].x0 == task.end_x
    assert set(tl.event_task) - {""} <= set(runs)
    for event, x, task in zip(tl.events, tl.event_x, tl.event_task):
        if task:
            assert any(a <= x < b for a, b in runs[task]), (event, task)
        else:
            assert event.op in ("select", "clock", "choose"), event  # (choose: the loop's ready-order pick)


def test_a_task_waiting_on_a_socket_calls_it_when_woken(words):
    _, tl = words
    checked = 0
    for task in tl.tasks:
        for wait, run in zip(task.segments, task.segments[1:]):
            if wait.state != "wait" or not is_socket_wait(wait.detail) or run.state != "run":
                continue
            sock = wait.detail.rsplit(" to be ", 1)[0]
            first = next((e for e, x in zip(tl.events, tl.event_x) if run.x0 <= x < run.x1), None)
            if first is not None:
                assert first.sock == sock, (task.name, wait, first)
                checked += 1
    assert checked >= 6
    waits = {s.detail for t in tl.tasks for s in t.segments if s.state == "wait"}
    assert "task 'client-1' to finish" in waits  # main joins its clients in turn
    assert not any(is_socket_wait(w) for w in waits if w.startswith("task "))


def test_socket_lanes_hold_every_call_with_its_answer(naive):
    names = [e.sock for e in naive.events if e.sock not in ("select", "clock", "loop")]
    assert [s.name for s in naive.sockets] == list(dict.fromkeys(names))
    proxy = next(s for s in naive.sockets if s.name == "proxy#1")
    assert [m.kind for m in proxy.marks] == ["life", "connect", "partial", "eagain", "data", "life"]
    assert sum(len(s.marks) for s in naive.sockets) == len(names)


def test_bytes_in_flight_are_what_a_socket_sent_and_its_peer_has_not_received(naive):
    lanes = {s.name: s for s in naive.sockets}
    assert lanes["proxy#1"].peer == "server2:80<-proxy#1" and lanes["client#1"].peer == "proxy:8080<-client#1"
    # the naive proxy's one partial send: 100 of the 1000 bytes leave, server2 reads them, the rest is lost
    assert [b for _, b in lanes["proxy#1"].inflight] == [100, 0]
    assert max(b for _, b in lanes["client#1"].inflight) == 1000 and lanes["client#1"].inflight[-1][1] == 0


def test_a_byte_count_fault_is_marked_at_the_send_that_reached_it(words):
    _, tl = words
    (mark,) = tl.faults
    event = tl.events[mark.seq]
    assert event.sock == "client#3" and event.op == "send"
    sent = sum(e.result for e in tl.events[:mark.seq + 1]
               if e.sock == "client#3" and e.op == "send" and isinstance(e.result, int))
    assert sent == 50 and "reset" in mark.label
    assert mark.x == tl.event_x[mark.seq]


def test_classify_names_each_kind_of_answer(naive):
    kinds = {classify(e) for e in naive.events if e.sock not in ("select", "clock", "loop")}
    assert {"partial", "eagain", "eof", "data", "sent", "accept", "connect", "life"} <= kinds


def test_a_strict_replay_that_diverges_shows_where(tmp_path):
    path = world_file(tmp_path, words=3, max_send=4)
    run = run_scenario(load_scenario(path)).outcome
    steps = "".join(f"\n[[script]]\n{step_to_toml(e)}\n" for e in run.trace.events)
    path.write_text(path.read_text().replace("words = 3", "words = 4") + steps)
    tl = timeline_for_scenario(load_scenario(path), strict=True)
    assert tl.status == "divergence" and tl.divergence is not None
    assert tl.divergence.label.startswith("divergence at step ")
    assert tl.divergence.x == tl.steps - 1
    page = render_html(tl)
    assert "divergence at step" in page and "(strict replay)" in tl.title


def test_the_page_is_self_contained_and_names_every_task_and_socket(naive):
    page = render_html(naive)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no network fetch
    assert "@import" not in page and "url(" not in page and "@font-face" not in page
    assert page.count("<details open>") == 2  # a short run's tables are open; a long one's are closed
    outcome = run_scenario(load_scenario(NAIVE)).outcome
    for name in outcome.tasks:
        assert f'<td class="name">{html.escape(name)}</td>' in page
    for sock in {e.sock for e in outcome.trace.events} - {"select", "clock", "loop"}:
        assert f'<td class="name">{html.escape(sock)}</td>' in page
    data = json.loads(re.search(r'<script type="application/json" id="loopsim-data">(.*?)</script>', page,
                                re.S).group(1))
    assert len(data["events"]) == len(outcome.trace.events)
    assert [e[3] for e in data["events"]] == [e.to_text() for e in outcome.trace.events]


def test_text_from_the_run_cannot_break_out_of_the_page(tmp_path, naive):
    naive.tasks[0].name = "</script><script>alert(1)</script>"
    naive.tasks[0].end_detail = "<b>&"
    page = render_html(naive)
    assert "<script>alert(1)" not in page and "<b>&" not in page
    assert page.count("</script>") == 2  # the data and the code


def test_the_page_is_the_same_in_every_process(tmp_path):
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"p{seed}.html"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", "import sys; from loopsim.cli import main; sys.exit(main())", "timeline", str(NAIVE), "--out", str(out)], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]


@pytest.mark.parametrize("axis", ["steps", "time"])
def test_perfetto_json_is_chrome_trace_event_format(words, axis):
    _, tl = words
    doc = json.loads(render_perfetto(tl, axis))
    events = doc["traceEvents"]
    assert events and doc["displayTimeUnit"] in ("ms", "ns")
    last: dict = {}
    names = {}
    for e in events:
        assert e["ph"] in ("M", "X", "i", "C") and isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int) and isinstance(e["name"], str)
        if e["ph"] == "M":
            if e["name"] == "thread_name":
                names[(e["pid"], e["tid"])] = e["args"]["name"]
            continue
        if e["ph"] == "X":
            assert e["dur"] >= 0
        if e["ph"] == "i":
            assert e["s"] in ("t", "p", "g")
        track = (e["pid"], e["tid"], e["ph"] == "C" and e["name"])
        assert e["ts"] >= last.get(track, 0), (e, last.get(track))
        last[track] = e["ts"]
    assert {t.name for t in tl.tasks} <= set(names.values())
    assert {s.name for s in tl.sockets} <= set(names.values())


def test_perfetto_rejects_an_unknown_axis(naive):
    with pytest.raises(ValueError, match="axis"):
        perfetto_events(naive, "wall")


def test_timeline_command_writes_the_page_and_exits_by_the_verdict(tmp_path, capsys):
    out = tmp_path / "run.html"
    assert main(["timeline", str(NAIVE), "--out", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert "timeline written to" in capsys.readouterr().out
    failing = world_file(tmp_path, name="wrong", ok=99)
    assert main(["timeline", str(failing), "--out", str(out)]) == 1
    assert "wrong" in out.read_text()


def test_timeline_command_writes_perfetto_json(tmp_path):
    out = tmp_path / "run.json"
    assert main(["timeline", str(NAIVE), "--out", str(out), "--format", "perfetto", "--axis", "time"]) == 0
    assert json.loads(out.read_text())["otherData"]["axis"] == "time"


def test_timeline_command_seed_changes_the_world(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["timeline", str(NAIVE), "--out", str(a), "--format", "perfetto", "--seed", "10"]) == 0
    assert main(["timeline", str(NAIVE), "--out", str(b), "--format", "perfetto", "--seed", "1"]) == 0
    assert a.read_text() != b.read_text() and "seed 1)" in b.read_text()


@pytest.mark.parametrize("argv, message", [
    (["missing.toml", "--out", "{tmp}/x.html"], "missing.toml"),
    (["{naive}", "--out", "{tmp}/no/such/x.html"], "no such folder"),
    (["{naive}", "--out", "{tmp}/x.html", "--format", "png"], "invalid choice"),
])
def test_timeline_command_bad_input_exits_2_naming_it(tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path, naive=NAIVE) for a in argv]
    assert main(["timeline", *argv]) == 2
    assert message in capsys.readouterr().err


def test_timeline_command_seed_needs_a_world(tmp_path, capsys):
    path = world_file(tmp_path, words=3, max_send=4)
    run = run_scenario(load_scenario(path)).outcome
    text = path.read_text()
    script_only = text[:text.index("[network]")] + text[text.index("[expect]"):]
    path.write_text(script_only + "".join(f"\n[[script]]\n{step_to_toml(e)}\n" for e in run.trace.events))
    assert main(["timeline", str(path), "--out", str(tmp_path / "x.html"), "--seed", "4"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "network.seed" in err


def test_timeline_command_cannot_write_out(tmp_path, capsys):
    out = tmp_path / "dir.html"
    out.mkdir()
    assert main(["timeline", str(NAIVE), "--out", str(out)]) == 2
    assert "cannot write it" in capsys.readouterr().err


def test_gate_html_writes_a_page_per_failing_scenario_linked_from_junit(tmp_path, capsys):
    scenarios = tmp_path / "sc"
    scenarios.mkdir()
    world_file(scenarios, name="passes")
    world_file(scenarios, name="fails one", ok=99)
    world_file(scenarios, name="fails-two", ok=98)
    junit, html_dir = tmp_path / "report.xml", tmp_path / "pages"
    assert main(["gate", str(scenarios), "--junit", str(junit), "--html", str(html_dir)]) == 1
    assert sorted(os.listdir(html_dir)) == ["fails-one.html", "fails-two.html"]
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["passes"].find("system-out") is None
    for name, page in (("fails one", "fails-one.html"), ("fails-two", "fails-two.html")):
        props = {p.get("name"): p.get("value") for p in cases[name].iter("property")}
        assert (junit.parent / props["timeline"]).resolve() == (html_dir / page).resolve()
        assert f"[[ATTACHMENT|{html_dir / page}]]" in cases[name].find("system-out").text
        assert name in (html_dir / page).read_text()
    assert "timelines of 2 failing scenarios written" in capsys.readouterr().out


def test_gate_html_into_a_missing_parent_is_a_usage_error(tmp_path, capsys):
    assert main(["gate", str(NAIVE), "--html", str(tmp_path / "no" / "pages")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_gate_html_that_cannot_be_created_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "pages").write_text("a file")
    assert main(["gate", str(NAIVE), "--html", str(tmp_path / "pages")]) == 2
    assert "cannot create it" in capsys.readouterr().err


def test_a_refused_address_is_marked_at_each_connect_to_it():
    tl = timeline_for_scenario(load_scenario(ROOT / "scenarios" / "server2_refuses.toml"))
    connects = [e for e in tl.events if e.op == "connect_ex" and e.args[0] == ("server2", 80)]
    assert connects and [tl.events[m.seq] for m in tl.faults] == connects
    assert all("refuse server2:80" in m.label for m in tl.faults)


def test_a_timed_fault_is_marked_at_the_first_event_at_its_time(tmp_path):
    text = (ROOT / "scenarios" / "slow_server2.toml").read_text()
    path = tmp_path / "timed.toml"
    path.write_text(text.replace("[expect]", '[[network.fault]]\nkind = "reset"\ntarget = "client#*"\nat = 12.5\n\n'
                                             "[expect]"))
    tl = timeline_for_scenario(load_scenario(path))
    (mark,) = tl.faults
    first = next(e for e in tl.events if e.t >= 12.5)
    assert tl.events[mark.seq] is first and "at t=12.5" in mark.label
    assert tl.times[mark.x] >= 12.5 > tl.times[mark.x - 1]
