"""The timeline page in a real browser: headless Chromium loads it, a screenshot shows the lanes where the
layout puts them, in their colours, and the DOM after the page's script ran names every task and socket.

Chromium is a test dependency (Debian: `apt-get install -y chromium`; .ci/run installs it): without it these
tests fail, saying how to install it."""

import html
import pathlib
import re
import shutil
import struct
import subprocess
import time
import zlib

import pytest

from loopsim.harness.runner import run_scenario
from loopsim.harness.scenario import load_scenario
from loopsim.harness.timeline import timeline_for_scenario
from loopsim.harness.timeline_html import COLORS, LAYOUT, render_html

from .test_timeline import NAIVE, world_file

INSTALL = "apt-get install -y chromium (Debian/Ubuntu; .ci/run does it when it is missing)"


def find_chromium():
    """The Chromium to run; a missing one fails the test (never skips it), saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"the browser tests need headless Chromium, which is not installed: {INSTALL}")


@pytest.fixture(scope="module")
def chromium():
    return find_chromium()


def test_a_missing_chromium_fails_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"not installed: apt-get install -y chromium"):
        find_chromium()


def browse(chromium, page, *flags, timeout=60, url_suffix=""):
    """Run headless Chromium on a local page; its stdout."""
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--force-device-scale-factor=1", "--disable-extensions", "--user-data-dir=" + str(page.parent / "profile"),
           *flags, page.as_uri() + url_suffix]
    done = subprocess.run(cmd, capture_output=True, timeout=timeout, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def read_png(path):
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes): (width, height, bytes per
    pixel, the unfiltered rows). Stdlib only: zlib and struct."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def rgb(name):
    value = COLORS[name]
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))


def lane_row(i, offset=None):
    """The screenshot row through the middle of lane ``i`` (or ``offset`` pixels into it)."""
    top = LAYOUT["top"] + LAYOUT["axis"] + i * (LAYOUT["lane"] + LAYOUT["gap"])
    return top + (LAYOUT["lane"] // 2 if offset is None else offset)


def test_the_screenshot_shows_a_lane_per_task_and_socket_in_its_colours(chromium, tmp_path):
    tl = timeline_for_scenario(load_scenario(NAIVE))
    page = tmp_path / "naive.html"
    page.write_text(render_html(tl))
    lanes = 1 + len(tl.tasks) + len(tl.sockets)  # select, tasks, sockets (no faults in this scenario)
    height = lane_row(lanes) + 20
    shot = tmp_path / "shot.png"
    browse(chromium, page, f"--screenshot={shot}", f"--window-size=1000,{height}")
    width, h, bpp, rows = read_png(shot)
    assert (width, h) == (1000, height)

    def colours(row):
        line = rows[row]
        return {tuple(line[i:i + 3]) for i in range(LAYOUT["label"] * bpp, len(line), bpp)}

    assert rgb("select") in colours(lane_row(0))
    for i, task in enumerate(tl.tasks, 1):
        seen = colours(lane_row(i))
        assert rgb("run") in seen, task.name  # every task ran at least once
        if task.end is not None and task.segments[-1].state == "done":
            assert rgb(f"done-{task.end}") in seen, task.name
        assert rgb("run") not in colours(lane_row(i, -LAYOUT["gap"] // 2)), f"{task.name}: drawn outside its lane"
    calls = {rgb(k) for k in ("data", "sent", "partial", "eagain", "eof", "reset", "accept", "life")}
    for i, sock in enumerate(tl.sockets, 1 + len(tl.tasks)):
        assert calls & colours(lane_row(i, LAYOUT["lane"] // 4 + 1)), sock.name
        assert rgb("run") not in colours(lane_row(i)), sock.name
    proxy = 1 + len(tl.tasks) + [s.name for s in tl.sockets].index("proxy#1")
    assert rgb("partial") in colours(lane_row(proxy))  # the naive proxy's partial send, where the data is lost


def test_the_dom_names_every_task_and_socket_and_hovering_a_call_shows_its_event(chromium, tmp_path):
    sc = load_scenario(NAIVE)
    outcome = run_scenario(sc).outcome
    tl = timeline_for_scenario(sc)
    page = tmp_path / "naive.html"
    page.write_text(render_html(tl))
    lane = 1 + len(tl.tasks) + [s.name for s in tl.sockets].index("proxy#1")
    (partial,) = [m for m in tl.sockets[lane - 1 - len(tl.tasks)].marks if m.kind == "partial"]
    width = 1000
    x = LAYOUT["label"] + (partial.x + 0.5) / tl.steps * (width - LAYOUT["label"])
    y = lane_row(lane) - LAYOUT["top"]
    dom = browse(chromium, page, "--dump-dom", f"--window-size={width},600", url_suffix=f"#hover={x:.1f},{y}")
    assert re.search(r'data-render-ms="[0-9.]+"', dom), "the page's script did not run to its end"
    lane_labels = re.findall(r'<text [^>]*class="lane-task"[^>]*>([^<]*)</text>', dom)
    for name in outcome.tasks:
        assert f'<td class="name">{html.escape(name)}</td>' in dom
        assert any(label.startswith(html.escape(name) + " ") for label in lane_labels), name
    for sock in {e.sock for e in outcome.trace.events} - {"select", "clock", "loop"}:
        assert f'<td class="name">{html.escape(sock)}</td>' in dom
    tip = re.search(r'<div id="tip"[^>]*>(.*?)</div>', dom, re.S).group(1)
    event = tl.events[partial.seq]
    assert html.escape(f"[{event.seq}] {event.to_text()}", quote=False) in tip
    assert "(task service_client-1)" in tip


@pytest.mark.slow
def test_a_page_of_10000_events_loads_fast_and_stays_small(chromium, tmp_path):
    path = world_file(tmp_path, clients=6, words=280)
    tl = timeline_for_scenario(load_scenario(path))
    assert len(tl.events) >= 10_000
    page = tmp_path / "big.html"
    page.write_text(render_html(tl))
    start = time.perf_counter()
    dom = browse(chromium, page, "--dump-dom", "--window-size=1400,900")
    wall = time.perf_counter() - start
    render_ms = float(re.search(r'data-render-ms="([0-9.]+)"', dom).group(1))
    nodes = int(re.search(r'data-nodes="([0-9]+)"', dom).group(1))
    print(f"{len(tl.events)} events: script {render_ms:.1f} ms, {nodes} SVG nodes, chromium wall {wall:.2f} s")
    assert nodes < 3000  # aggregated per pixel column: not one node per event
    for task in tl.tasks:
        assert f'<td class="name">{html.escape(task.name)}</td>' in dom
    ticks = re.findall(r">step (\d+) t=", dom)
    assert int(ticks[-1]) > 8000  # the whole run
    zoomed = browse(chromium, page.with_name("big.html"), "--dump-dom", "--window-size=1400,900",
                    url_suffix="#from=5000&to=5040")
    ticks = [int(t) for t in re.findall(r">step (\d+) t=", zoomed)]
    assert ticks and 5000 <= min(ticks) and max(ticks) <= 5040, ticks
    assert int(re.search(r'data-nodes="([0-9]+)"', zoomed).group(1)) < 3000


# Dispatched by the page itself right after its own script ran, as a user's hand would: four ctrl+wheel notches
# at one point of the chart, then a 300 px drag to the left; the span in view (window.loopsimTimeline.view())
# is noted in the DOM before, after the zoom and after the drag.
GESTURES = """<script>
(function () {
  var svg = document.getElementById("chart"), box = svg.getBoundingClientRect();
  var x = box.left + %(x)d, y = box.top + 40;
  function note(name) { document.body.setAttribute("data-view-" + name, window.loopsimTimeline.view().join(",")); }
  note("before");
  for (var i = 0; i < 4; i++)
    svg.dispatchEvent(new WheelEvent("wheel", {deltaY: -100, ctrlKey: true, clientX: x, clientY: y,
                                               bubbles: true, cancelable: true}));
  note("zoomed");
  svg.dispatchEvent(new MouseEvent("mousedown", {clientX: x, clientY: y, bubbles: true, cancelable: true}));
  svg.dispatchEvent(new MouseEvent("mousemove", {clientX: x - 300, clientY: y, bubbles: true}));
  svg.dispatchEvent(new MouseEvent("mouseup", {clientX: x - 300, clientY: y, bubbles: true}));
  note("dragged");
  document.body.setAttribute("data-width", document.documentElement.clientWidth);
})();
</script>
"""


def test_ctrl_wheel_zooms_in_where_the_pointer_is_and_a_drag_pans(chromium, tmp_path):
    tl = timeline_for_scenario(load_scenario(world_file(tmp_path, clients=2, words=40)))
    x = 700  # pixels from the chart's left edge
    page = tmp_path / "gestures.html"
    page.write_text(render_html(tl).replace("</body>", GESTURES % {"x": x} + "</body>"))
    dom = browse(chromium, page, "--dump-dom", "--window-size=1200,700")

    def noted(name):
        found = re.search(rf'data-{name}="([-0-9.e,]*)"', dom)
        assert found, f"the page did not note {name}"
        return [float(v) for v in found.group(1).split(",")]

    (a0, b0), (a1, b1), (a2, b2) = noted("view-before"), noted("view-zoomed"), noted("view-dragged")
    width = max(400.0, noted("width")[0])
    chart = width - LAYOUT["label"]
    at = (x - LAYOUT["label"]) / chart  # where the pointer is, as a fraction of the chart's width
    assert (a0, b0) == (0, tl.steps)  # the whole run
    assert b1 - a1 == pytest.approx(0.8 ** 4 * tl.steps)  # four notches of 0.8
    assert a1 + at * (b1 - a1) == pytest.approx(at * tl.steps)  # the step under the pointer stays under it
    assert b2 - a2 == pytest.approx(b1 - a1)  # a drag keeps the zoom ...
    assert a2 - a1 == pytest.approx(300 / chart * (b1 - a1))  # ... and moves the view by what was dragged
