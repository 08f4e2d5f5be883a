# loopsim.harness.timeline_html: a Timeline as one self-contained HTML page (inline SVG drawn by inline JS).
# Owns: render_html, page_data, LAYOUT, COLORS. Imports: stdlib, loopsim.harness.timeline.
"""The timeline page: no network fetch, no external font, one file.

The page holds the run as JSON and a small script that draws only what is in
view: for each visible lane, the segments and calls falling in one pixel
column are merged into that column (the most telling state wins: running over
waiting, a reset over a partial send over EAGAIN), so a run of 10,000 events
costs a few hundred SVG nodes at any zoom. Ctrl+wheel or W/S zoom, drag,
shift+wheel or A/D pan; hovering shows the trace event; ``page.html#from=A&to=B``
opens it zoomed on steps A to B (``&axis=time``: on virtual time; ``&hover=X,Y`` shows the
hover text at chart point X,Y, for tests); ``window.loopsimTimeline.view()`` is the
span in view, for scripts. Below the chart, plain HTML tables name every task
(with its end) and every socket.

The chart starts :data:`LAYOUT` ``["top"]`` pixels from the top of the page,
and lane ``i`` spans ``top + axis + i * (lane + gap)`` for ``lane`` pixels, in
:data:`COLORS`; the browser test reads a screenshot by exactly this.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .timeline import Timeline, is_socket_wait

__all__ = ["render_html", "page_data", "LAYOUT", "COLORS", "TASK_STATES", "MARK_KINDS", "OPEN_TABLES"]

#: Pixel layout of the chart (CSS pixels).
LAYOUT = {"top": 82, "axis": 28, "lane": 16, "gap": 6, "label": 230}

#: State and call colours, as the page draws them (opaque, so a screenshot shows exactly these).
COLORS = {
    "ready": "#eef1f4", "run": "#1f9d55", "wait": "#f0b429", "idle": "#a7b6d6",
    "done-ok": "#d3d9e0", "done-error": "#e66a6a", "done-cancelled": "#a58fe0",
    "data": "#3a66db", "sent": "#2680c2", "partial": "#f35627", "eagain": "#e8c547", "eof": "#52606d",
    "reset": "#c81e1e", "accept": "#147d64", "connect": "#147d64", "life": "#9aa5b1",
    "select": "#7b61ff", "select-none": "#d3cdfb", "fault": "#c81e1e", "divergence": "#d6336c",
    "flight": "#bcd3f7",
}

#: Up to this many tasks and sockets, the tables below the chart are open when the page loads.
OPEN_TABLES = 400

#: Task states in drawing priority (a pixel column holding several shows the last).
TASK_STATES = ("done-ok", "done-cancelled", "done-error", "ready", "idle", "wait", "run")
#: Call kinds in drawing priority.
MARK_KINDS = ("life", "select-none", "accept", "connect", "sent", "data", "eof", "eagain", "select", "partial",
              "reset", "fault")

_LEGEND = (("run", "running"), ("wait", "waiting on a socket"), ("idle", "waiting (join, sleep, its turn)"),
           ("done-ok", "returned"), ("done-error", "raised"), ("done-cancelled", "cancelled"),
           ("flight", "bytes in flight"), ("data", "recv data"), ("sent", "send (all)"),
           ("partial", "partial send"), ("eagain", "EAGAIN"), ("eof", "EOF"), ("reset", "error answer (reset...)"),
           ("select", "select: ready"), ("fault", "fault"), ("divergence", "divergence"))


def _task_state(segment_state: str, detail: str, end: str | None) -> str:
    if segment_state == "wait":
        return "wait" if is_socket_wait(detail) else "idle"
    if segment_state == "done":
        return f"done-{end or 'ok'}"
    return segment_state


def page_data(tl: Timeline) -> dict[str, Any]:
    """The JSON the page's script draws (compact: states and kinds are indexes into the lists it carries)."""
    strings: dict[str, int] = {"": 0}

    def ref(text: str) -> int:
        return strings.setdefault(text, len(strings))

    lanes: list[dict[str, Any]] = []
    if tl.faults or tl.divergence is not None:
        marks = [[m.x, MARK_KINDS.index("fault"), m.seq, ref(m.label)] for m in tl.faults]
        lanes.append({"kind": "faults", "name": "faults", "marks": marks})
    lanes.append({"kind": "select", "name": "select", "marks": [
        [m.x, MARK_KINDS.index("select" if not m.label.endswith("-> ()") else "select-none"), m.seq, 0]
        for m in tl.selects]})
    for task in tl.tasks:
        segs = [[s.x0, s.x1, TASK_STATES.index(_task_state(s.state, s.detail, task.end)), ref(s.detail)]
                for s in task.segments]
        lanes.append({"kind": "task", "name": task.name, "end": task.end or "", "endDetail": task.end_detail,
                      "endX": task.end_x, "segs": segs})
    for sock in tl.sockets:
        lanes.append({"kind": "socket", "name": sock.name, "peer": sock.peer or "",
                      "marks": [[m.x, MARK_KINDS.index(m.kind), m.seq, 0] for m in sock.marks],
                      "flight": [list(p) for p in sock.inflight]})
    events = [[e.seq, x, task, e.to_text()] for e, x, task in zip(tl.events, tl.event_x, tl.event_task)]
    divergence = None if tl.divergence is None else [tl.divergence.x, tl.divergence.label]
    return {"title": tl.title, "status": tl.status, "times": tl.times, "events": events, "lanes": lanes,
            "strings": list(strings), "states": list(TASK_STATES), "kinds": list(MARK_KINDS), "colors": COLORS,
            "layout": LAYOUT, "divergence": divergence}


def _json_for_script(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<`` can close it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("<", "\\u003c")


def _tables(tl: Timeline) -> str:
    esc = html.escape
    rows = []
    for task in tl.tasks:
        end = task.end or "(had not ended)"
        rows.append(f'<tr class="task"><td class="name">{esc(task.name)}</td><td class="end-{esc(end)}">{esc(end)}'
                    f'</td><td><code>{esc(task.end_detail)}</code></td></tr>')
    sock_rows = []
    for sock in tl.sockets:
        counts: dict[str, int] = {}
        for m in sock.marks:
            counts[m.kind] = counts.get(m.kind, 0) + 1
        calls = ", ".join(f"{k} {counts[k]}" for k in MARK_KINDS if k in counts)
        peak = max((b for _, b in sock.inflight), default=0)
        sock_rows.append(f'<tr class="socket"><td class="name">{esc(sock.name)}</td><td>{esc(sock.peer or "-")}</td>'
                         f'<td>{len(sock.marks)}</td><td>{esc(calls)}</td><td>{peak}</td></tr>')
    faults = "".join(f"<li>step {m.x}: {esc(m.label)}</li>" for m in tl.faults) or "<li>none</li>"
    # open unless long: a closed <details> is in the DOM but not laid out, so a page of thousands of lanes loads fast
    shown = " open" if len(tl.tasks) + len(tl.sockets) <= OPEN_TABLES else ""
    return (f'<details{shown}><summary>Tasks ({len(tl.tasks)})</summary><table id="tasks"><tr><th>task</th>'
            f'<th>end</th><th>value or error</th></tr>{"".join(rows)}</table></details>'
            f'<details{shown}><summary>Sockets ({len(tl.sockets)})</summary><table id="sockets"><tr><th>socket</th>'
            f'<th>peer</th><th>calls</th><th>answers</th><th>most bytes in flight</th></tr>{"".join(sock_rows)}'
            f'</table></details><h2>Faults</h2><ul id="faults">{faults}</ul>')


def render_html(tl: Timeline) -> str:
    """The whole page for ``tl`` (byte-identical for the same run)."""
    esc = html.escape
    problems = [*tl.failures] + ([tl.error] if tl.error and tl.error not in " ".join(tl.failures) else [])
    problem_html = "".join(f"<li>{esc(p.splitlines()[0] if p else p)}</li>" for p in problems)
    status = tl.status
    if tl.known_bug:
        status += " (known bug reproduced)" if tl.status == "pass" else ""
        problem_html += f'<li class="known">known bug: {esc(" ".join(tl.known_bug.split()))}</li>'
        details = f"<h2>Known bug</h2><p>{esc(tl.known_bug)}</p>"
    else:
        details = ""
    legend = "".join(f'<span class="key"><i style="background:{COLORS[k]}"></i>{esc(text)}</span>'
                     for k, text in _LEGEND)
    details += "".join(f"<pre>{esc(p)}</pre>" for p in problems)
    return _PAGE.format(
        title=esc(tl.title), status_class=esc(tl.status), status=esc(status), problems=problem_html, legend=legend, top=LAYOUT["top"],
        details=details, tables=_tables(tl), data=_json_for_script(page_data(tl)), script=_SCRIPT,
        events=len(tl.events), steps=tl.steps)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>loopsim timeline: {title}</title>
<style>
body {{ margin: 0; font: 12px/1.4 system-ui, sans-serif; color: #1f2933; background: #fff; }}
#head {{ height: {top}px; box-sizing: border-box; padding: 4px 8px; overflow: hidden; border-bottom: 1px solid #ddd; }}
#head h1 {{ font-size: 14px; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
#head ul {{ margin: 0; padding-left: 16px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #c81e1e; }}
#head li.known {{ color: #52606d; overflow: hidden; text-overflow: ellipsis; }}
.status-pass {{ color: #1f9d55; }} .status-fail, .status-divergence {{ color: #c81e1e; }}
#bar {{ position: absolute; top: 2px; right: 8px; background: #fff; }}
#bar button {{ font: inherit; }}
.key {{ margin-right: 10px; white-space: nowrap; }} .key i {{ display: inline-block; width: 10px; height: 10px; margin-right: 3px; }}
#chart {{ display: block; }}
#tip {{ position: fixed; pointer-events: none; background: #1f2933; color: #fff; padding: 4px 6px; font: 11px monospace;
  white-space: pre; max-width: 80vw; overflow: hidden; display: none; z-index: 2; }}
#below {{ padding: 8px; }} summary {{ font-size: 1.3em; font-weight: bold; margin: 8px 0; cursor: pointer; }} table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: 1px 6px; text-align: left; }}
.end-error {{ color: #c81e1e; }} .end-cancelled {{ color: #6b4fbb; }}
</style></head>
<body data-events="{events}" data-steps="{steps}">
<div id="head"><h1>{title}: <span class="status-{status_class}">{status}</span></h1><ul>{problems}</ul>
<div class="legend">{legend}</div>
<div id="bar"><button id="zin" title="zoom in (W, ctrl+wheel)">+</button><button id="zout" title="zoom out (S)">-</button>
<button id="fit" title="show the whole run">fit</button><button id="axis" title="x axis: steps or virtual time">axis: steps</button></div></div>
<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="100" height="100" role="img" aria-label="timeline"></svg>
<div id="tip"></div>
<div id="below">{details}{tables}</div>
<script type="application/json" id="loopsim-data">{data}</script>
<script>{script}</script>
</body></html>
"""

_SCRIPT = r"""
(function () {
"use strict";
var t0 = performance.now();
var D = JSON.parse(document.getElementById("loopsim-data").textContent);
var L = D.layout, C = D.colors, lanes = D.lanes, T = D.times, N = T.length;
var svg = document.getElementById("chart"), tip = document.getElementById("tip");
var mode = "steps", view, pending = false;
function pos(x) { return mode === "steps" ? x : T[Math.max(0, Math.min(x, N - 1))]; }
function full() { var a = pos(0), b = mode === "steps" ? N : T[N - 1]; return [a, b > a ? b : a + 1]; }
var hash = {};
location.hash.slice(1).split("&").forEach(function (kv) { var p = kv.split("="); if (p.length === 2) hash[p[0]] = p[1]; });
if (hash.axis === "time") { mode = "time"; document.getElementById("axis").textContent = "axis: virtual time"; }
view = full();
if (isFinite(+hash.from) && isFinite(+hash.to) && +hash.to > +hash.from && hash.from !== "") view = [+hash.from, +hash.to];
function W() { return Math.max(400, document.documentElement.clientWidth); }
function toPx(u, w) { return L.label + (u - view[0]) / (view[1] - view[0]) * (w - L.label); }
function toU(px, w) { return view[0] + (px - L.label) / (w - L.label) * (view[1] - view[0]); }
function laneY(i) { return L.axis + i * (L.lane + L.gap); }
function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
function first(list, key) { /* index of the first item whose end (pos) reaches the view */
  var lo = 0, hi = list.length;
  while (lo < hi) { var m = (lo + hi) >> 1; if (pos(key(list[m])) < view[0]) lo = m + 1; else hi = m; }
  return lo;
}
function runs(cols, names, y, h, out) { /* one rect per run of equal columns */
  var w = cols.length, c = 0;
  while (c < w) {
    var v = cols[c], s = c;
    while (c < w && cols[c] === v) c++;
    if (v >= 0) out.push('<rect x="' + (L.label + s) + '" y="' + y + '" width="' + (c - s) + '" height="' + h +
                         '" fill="' + C[names[v]] + '"/>');
  }
}
function columns(w) { var a = new Int8Array(Math.max(1, w - L.label)); a.fill(-1); return a; }
function paint(cols, a, b, v) {
  var n = cols.length, ca = Math.max(0, Math.floor(a - L.label)), cb = Math.min(n, Math.max(ca + 1, Math.ceil(b - L.label)));
  for (var c = ca; c < cb; c++) if (v > cols[c]) cols[c] = v;
}
function drawTask(lane, y, w, out) {
  var segs = lane.segs, cols = columns(w), i = first(segs, function (s) { return s[1]; });
  for (; i < segs.length; i++) {
    var s = segs[i], a = toPx(pos(s[0]), w);
    if (a > w) break;
    paint(cols, a, toPx(pos(s[1]), w), s[2]);
  }
  runs(cols, D.states, y, L.lane, out);
}
function drawMarks(lane, y, w, out) {
  var marks = lane.marks, cols = columns(w), i = first(marks, function (m) { return m[0] + 1; });
  for (; i < marks.length; i++) {
    var m = marks[i], a = toPx(pos(m[0]), w), b = toPx(pos(m[0] + 1), w);
    if (a > w) break;
    if (b - a < 3) { a -= 1; b = a + 3; }
    paint(cols, a, b, m[1]);
  }
  var f = lane.flight;
  if (f && f.length) { /* bytes in flight: a step area under the calls, scaled to the lane's peak */
    var peak = 1, fc = columns(w);
    for (var k = 0; k < f.length; k++) if (f[k][1] > peak) peak = f[k][1];
    var j = Math.max(0, first(f, function (p) { return p[0]; }) - 1), h = [];
    for (; j < f.length; j++) {
      var p = f[j], pa = toPx(pos(p[0]), w), pb = j + 1 < f.length ? toPx(pos(f[j + 1][0]), w) : w;
      if (pa > w) break;
      if (p[1] > 0) paint(fc, pa, pb, Math.max(1, Math.round(p[1] / peak * L.lane)));
    }
    var n = fc.length, c = 0;
    while (c < n) {
      var v = fc[c], s = c;
      while (c < n && fc[c] === v) c++;
      if (v > 0) h.push('<rect x="' + (L.label + s) + '" y="' + (y + L.lane - v) + '" width="' + (c - s) +
                        '" height="' + v + '" fill="' + C.flight + '"/>');
    }
    out.push(h.join(""));
  }
  runs(cols, D.kinds, y + Math.floor(L.lane / 4), Math.ceil(L.lane / 2), out);
}
function label(lane) {
  if (lane.kind === "task") return lane.name + (lane.end ? " \u2192 " + lane.end : " (running)");
  if (lane.kind === "socket") return lane.name;
  return lane.name;
}
function axis(w, out) {
  var span = view[1] - view[0], raw = span / 8, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
  [1, 2, 5, 10].some(function (k) { step = k * mag; return k * mag >= raw; });
  if (mode === "steps") step = Math.max(1, Math.round(step));
  var h = laneY(lanes.length);
  for (var u = Math.ceil(view[0] / step) * step; u <= view[1]; u += step) {
    var x = toPx(u, w), text = mode === "steps" ? "step " + Math.round(u) + " t=" + T[Math.min(N - 1, Math.round(u))].toFixed(3)
                                                : u.toFixed(Math.max(0, -Math.floor(Math.log10(step)))) + " s";
    out.push('<line x1="' + x + '" x2="' + x + '" y1="14" y2="' + h + '" stroke="#eef0f3"/><text x="' + (x + 2) +
             '" y="12" fill="#52606d">' + esc(text) + "</text>");
  }
}
function vline(x, w, color, out, dash) {
  var px = toPx(pos(x), w);
  if (px < L.label || px > w) return;
  out.push('<line x1="' + px + '" x2="' + px + '" y1="' + L.axis + '" y2="' + laneY(lanes.length) + '" stroke="' + color +
           '" stroke-width="' + (dash ? 1 : 3) + '"' + (dash ? ' stroke-dasharray="3,3"' : "") + "/>");
}
function render() {
  pending = false;
  var w = W(), out = [], top = svg.getBoundingClientRect().top;
  var lo = Math.max(0, Math.floor((-top - 40 - L.axis) / (L.lane + L.gap))), hi = Math.min(lanes.length,
      Math.ceil((window.innerHeight - top - L.axis) / (L.lane + L.gap)) + 1);
  svg.setAttribute("width", w);
  svg.setAttribute("height", laneY(lanes.length) + 8);
  axis(w, out);
  for (var i = lo; i < hi; i++) {
    var lane = lanes[i], y = laneY(i);
    if (i % 2) out.push('<rect x="0" y="' + (y - L.gap / 2) + '" width="' + w + '" height="' + (L.lane + L.gap) + '" fill="#f8f9fb"/>');
    if (lane.kind === "task") drawTask(lane, y, w, out); else drawMarks(lane, y, w, out);
    out.push('<text x="4" y="' + (y + L.lane - 4) + '" class="lane-' + lane.kind + '" fill="#1f2933">' +
             esc(label(lane).slice(0, 34)) + "</text>");
  }
  lanes.forEach(function (lane) { if (lane.kind === "faults") lane.marks.forEach(function (m) { vline(m[0], w, C.fault, out, true); }); });
  if (D.divergence) vline(D.divergence[0], w, C.divergence, out, false);
  svg.innerHTML = out.join("");
  document.body.setAttribute("data-nodes", svg.childNodes.length);
}
function later() { if (!pending) { pending = true; requestAnimationFrame(render); } }
function zoom(f, at) {
  var w = W(), u = at === undefined ? (view[0] + view[1]) / 2 : toU(at, w), all = full();
  var a = u - (u - view[0]) * f, b = u + (view[1] - u) * f, minSpan = mode === "steps" ? 10 : (all[1] - all[0]) / 1e6;
  if (b - a < minSpan) { a = u - minSpan / 2; b = u + minSpan / 2; }
  if (b - a > all[1] - all[0]) { a = all[0]; b = all[1]; }
  view = [a, b]; later();
}
function pan(frac) {
  var all = full(), d = (view[1] - view[0]) * frac, a = view[0] + d, b = view[1] + d;
  if (a < all[0]) { b += all[0] - a; a = all[0]; } if (b > all[1]) { a -= b - all[1]; b = all[1]; }
  view = [Math.max(all[0], a), b]; later();
}
function near(list, end, prio, u, slack) { /* the item at u (within slack) highest in priority */
  var best = null, i = Math.max(0, first(list, end) - 1);
  for (; i < list.length; i++) {
    var it = list[i];
    if (pos(it[0]) > u + slack) break;
    if (pos(end(it)) >= u - slack && (best === null || it[prio] >= best[prio])) best = it;
  }
  return best;
}
function eventText(seq) { var e = D.events[seq]; return e ? "[" + e[0] + "] " + e[3] + (e[2] ? "   (task " + e[2] + ")" : "") : ""; }
function stepEvents(x0, x1) {
  var ev = D.events, lo = 0, hi = ev.length, out = [];
  while (lo < hi) { var m = (lo + hi) >> 1; if (ev[m][1] < x0) lo = m + 1; else hi = m; }
  for (var i = lo; i < ev.length && ev[i][1] < x1 && out.length < 12; i++) out.push("  " + eventText(i));
  return out;
}
function hover(e) {
  var r = svg.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top, w = W();
  var i = Math.floor((y - L.axis + L.gap / 2) / (L.lane + L.gap)), lane = lanes[i], text = "";
  if (lane && x >= L.label) {
    var u = toU(x, w), slack = 2 * (view[1] - view[0]) / (w - L.label);
    if (lane.kind === "task") {
      var s = near(lane.segs, function (s) { return s[1]; }, 2, u, slack / 2);
      if (s) {
        var st = D.states[s[2]], what = D.strings[s[3]];
        text = lane.name + ": " + st + (what ? ", waiting for " + what : "") + "  steps " + s[0] + "-" + s[1] + "  t=" +
               T[Math.min(N - 1, s[0])].toFixed(6);
        if (st === "run") text += "\n" + stepEvents(s[0], s[1]).join("\n");
        if (st.indexOf("done") === 0) text += "\n  " + lane.end + ": " + lane.endDetail;
      }
    } else {
      var m = near(lane.marks, function (m) { return m[0] + 1; }, 1, u, slack);
      if (m) text = (lane.kind === "faults" ? D.strings[m[3]] + "\n" : "") + eventText(m[2]);
      if (lane.kind === "socket" && lane.peer) text += (text ? "\n" : "") + "peer: " + lane.peer;
    }
  } else if (lane) {
    text = lane.kind + " " + lane.name + (lane.kind === "task" ? "\nend: " + (lane.end || "had not ended") + " " + lane.endDetail : "");
  }
  if (D.divergence && lane && Math.abs(toPx(pos(D.divergence[0]), w) - x) < 4) text = D.divergence[1] + (text ? "\n" + text : "");
  if (!text) { tip.style.display = "none"; return; }
  tip.textContent = text; tip.style.display = "block";
  tip.style.left = Math.min(e.clientX + 12, window.innerWidth - tip.offsetWidth - 4) + "px"; tip.style.top = (e.clientY + 14) + "px";
}
var drag = null;
svg.addEventListener("mousedown", function (e) { drag = [e.clientX, view[0], view[1]]; e.preventDefault(); });
window.addEventListener("mouseup", function () { drag = null; });
window.addEventListener("mousemove", function (e) {
  if (drag) {
    var w = W(), d = (e.clientX - drag[0]) / (w - L.label) * (drag[2] - drag[1]), all = full();
    var a = drag[1] - d, b = drag[2] - d;
    if (a < all[0]) { b += all[0] - a; a = all[0]; } if (b > all[1]) { a -= b - all[1]; b = all[1]; }
    view = [a, b]; later();
  }
  if (e.target === svg || svg.contains(e.target)) hover(e); else tip.style.display = "none";
});
svg.addEventListener("wheel", function (e) {
  if (e.ctrlKey || e.metaKey) { e.preventDefault(); zoom(e.deltaY > 0 ? 1.25 : 0.8, e.clientX - svg.getBoundingClientRect().left); }
  else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) { e.preventDefault(); pan((e.deltaX || e.deltaY) > 0 ? 0.1 : -0.1); }
}, { passive: false });
window.addEventListener("keydown", function (e) {
  var k = e.key.toLowerCase();
  if (k === "w") zoom(0.8); else if (k === "s") zoom(1.25); else if (k === "a") pan(-0.1); else if (k === "d") pan(0.1);
});
document.getElementById("zin").onclick = function () { zoom(0.5); };
document.getElementById("zout").onclick = function () { zoom(2); };
document.getElementById("fit").onclick = function () { view = full(); later(); };
document.getElementById("axis").onclick = function () {
  mode = mode === "steps" ? "time" : "steps"; view = full(); this.textContent = "axis: " + (mode === "steps" ? "steps" : "virtual time"); later();
};
window.addEventListener("scroll", later); window.addEventListener("resize", later);
/* for scripts (a test, a bookmarklet): the span in view, in steps or virtual seconds as the axis shows */
window.loopsimTimeline = { view: function () { return view.slice(); }, axis: function () { return mode; } };
render();
document.body.setAttribute("data-render-ms", (performance.now() - t0).toFixed(1));
if (hash.hover) { /* #hover=X,Y: hover there once drawn (chart coordinates), so a headless browser can check it */
  var at = hash.hover.split(","), box = svg.getBoundingClientRect();
  hover({ clientX: box.left + (+at[0]), clientY: box.top + (+at[1]) });
}
})();
"""
