# tools/fuzz_scenarios.py: the scenario-file fuzz campaign, and the mutators the default suite's fuzz test uses.
# Owns: mutate, run_case, classify, the campaign CLI. Imports: stdlib, loopsim.harness (cli, runner, scenario).
"""Feed mutated scenario files to ``loopsim replay`` and count the outcomes.

Every case is a bundled scenario file (or a replay file written from one of
its simulated runs) with structure-aware mutations (a value replaced by an
edge case, a key deleted or added, a step duplicated) or byte-level ones
(bytes flipped, inserted, deleted, lines duplicated, the file cut short).
Each case runs in its own forked process with a 5 s CPU and 2 GiB memory
limit. An outcome is one of:

* ``clean error`` - exit 2 and one line naming the file;
* ``pass`` / ``fail`` - exit 0 / exit 1 (a failed expectation or a divergence);
* ``anything else`` - a traceback, an escaped exception, a multi-line or
  anonymous error, a task killed by the CPU or memory limit, a crash.

    python tools/fuzz_scenarios.py --cases 10000 --seed 1 --jobs 2 [--keep DIR]

prints a table of outcomes by class and the kinds of "anything else" found.
Run it from the root of a loopsim checkout (the bundled drivers import from there).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import glob
import io
import json
import math
import os
import random
import sys
import tempfile
import tomllib
from typing import Any

__all__ = ["mutate", "render", "run_case", "classify", "sources", "replay_source", "POOL"]

CLASSES = ("clean error", "pass", "fail", "anything else")

#: Edge-case values a structure-aware mutation puts in place of a value.
POOL: list[Any] = [
    math.nan, math.inf, -math.inf, 1e300, -1e300, 1e-300, -1, 0, 1, 2, 7, 1000, 10**6, 10**9, 2**31, 2**63 - 1,
    -2**63, 0.5, -0.0, 1.5, True, False, "", "x", "E", "EAGAIN", "ENOPE", "select", "clock", "now", "recv",
    "client#1", "*", "proxy", "naive", "ok", "Deadlock", "Livelock", "scenarios.drivers:nope", "nomodule:f",
    "scenarios.drivers:make_payload", "scenarios.drivers:SERVER2", "scenarios.drivers:echo_world",
    "scenarios.drivers:racy_world", "delivered_intact", "finished_within(1)", "finished_within(nan)",
    "x" * 300, [], [1], [1, 2], [2, 1], [0, 0], [["client#1", 1]], [["nobody", 4]], [1, [2]], ["a", 1],
    {}, {"hex": "zz"}, {"hex": "ff00"}, {"none": True}, {"a": 1}, [{"a": 1}],
]

#: Keys a structure-aware mutation may add, where (a path of dict keys; "*" = an item of the list there).
ADDITIONS: list[tuple[tuple[str, ...], str]] = [
    (("app", "args"), k) for k in ("clients", "size", "payload", "writes", "write_gap", "delay", "read_delay",
                                   "disconnect_after", "session_timeout", "client_timeout", "proxy_grace",
                                   "half_close", "app", "colour")
] + [
    (("network",), "seed"), (("network", "link", "*"), "latency"), (("network", "link", "*"), "bandwidth"),
    (("network", "link", "*"), "backlog"), (("network", "link", "*"), "accept_delay"),
    (("network", "endpoint", "*"), "max_send"), (("network", "endpoint", "*"), "max_recv"),
    (("network", "endpoint", "*"), "sndbuf"), (("network", "fault", "*"), "at"),
    (("network", "fault", "*"), "after_bytes"), (("expect",), "max_time"), (("expect",), "min_time"),
    (("expect",), "error"), (("expect",), "properties"), (("expect",), "tasks"), (("expect",), "received"),
    (("script", "*"), "result"), (("script", "*"), "args"), (("script", "*"), "t"), (("script", "*"), "error"),
    (("script", "*"), "data"), ((), "limits"), ((), "nonsense"),
]


# -- rendering a document as TOML (nan and inf included, which scenario files must reject) -------------

def _key(k: str) -> str:
    return k if k and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in k) else _string(k)


def _string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _inline(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_inline(x)}" for k, x in v.items()) + " }"
    return _string(str(v))


def render(doc: dict[str, Any]) -> str:
    """``doc`` as TOML: tables as [headers], lists of tables as [[arrays]], everything else inline."""
    out: list[str] = []

    def table(path: list[str], t: dict[str, Any]) -> None:
        later = []
        for k, v in t.items():
            if isinstance(v, dict) and path + [k] != ["app", "args"] and k not in ("result", "tasks", "received"):
                later.append(("t", k, v))
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                later.append(("a", k, v))
            else:
                out.append(f"{_key(k)} = {_inline(v)}")
        for kind, k, v in later:
            name = ".".join(_key(p) for p in path + [k])
            if kind == "t":
                out.append(f"\n[{name}]")
                table(path + [k], v)
            else:
                for item in v:
                    out.append(f"\n[[{name}]]")
                    table(path + [k], item)

    table([], doc)
    return "\n".join(out) + "\n"


# -- mutations -------------------------------------------------------------------------------------------

def _slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value``."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.append(path + (k,))
            found += _slots(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.append(path + (i,))
            found += _slots(v, path + (i,))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _near(rng: random.Random, value: Any) -> Any:
    """A value near ``value``: scaled, negated, retyped."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return rng.choice([value * 1000, -value, value + 1, float(value), int(value) if math.isfinite(value) else 0,
                           value * 1e6, str(value)])
    if isinstance(value, str):
        return rng.choice([value + "x", value[:-1], value.upper(), value * 3, value.replace(":", ""), 5])
    if isinstance(value, list):
        return rng.choice([value * 2, value[:-1], list(reversed(value)), [value]])
    return copy.deepcopy(rng.choice(POOL))


def mutate_structure(rng: random.Random, text: str) -> str:
    doc = tomllib.loads(text)
    for _ in range(rng.randint(1, 3)):
        slots = _slots(doc)
        how = rng.random()
        if how < 0.45 and slots:
            path = rng.choice(slots)
            parent = _get(doc, path[:-1])
            parent[path[-1]] = copy.deepcopy(rng.choice(POOL) if rng.random() < 0.6 else _near(rng, parent[path[-1]]))
        elif how < 0.6 and slots:
            path = rng.choice(slots)
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
        elif how < 0.75:
            where, key = rng.choice(ADDITIONS)
            target: Any = doc
            for p in where:
                if p == "*":
                    if not isinstance(target, list) or not target:
                        target = None
                        break
                    target = rng.choice(target)
                elif isinstance(target, dict):
                    target = target.setdefault(p, [{}] if p in ("link", "endpoint", "fault", "script") else {})
                else:
                    target = None
                    break
            if isinstance(target, dict):
                target[key] = copy.deepcopy(rng.choice(POOL))
        else:  # duplicate, drop or swap items of a list of tables (script steps, network rows)
            lists = [p for p in slots if isinstance(_get(doc, p), list) and _get(doc, p)]
            if lists:
                items = _get(doc, rng.choice(lists))
                i, j = rng.randrange(len(items)), rng.randrange(len(items))
                rng.choice([lambda: items.insert(j, copy.deepcopy(items[i])), lambda: items.pop(i),
                            lambda: items.__setitem__(slice(None), items[:i] + items[i + 1:j] + items[i:i + 1]
                                                      + items[j:])])()
    return render(doc)


INSERTS = [b"[", b"]", b"[[", b'"', b"'", b'"""', b"=", b"\n", b"#", b"{", b"}", b",", b".", b"0", b"9" * 12,
           b"-", b"e999", b"nan", b"inf", b"\x00", b"\xff", b"\\", b" ", b"\t", b"\r"]


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf += rng.choice(INSERTS)
            continue
        i = rng.randrange(len(buf))
        how = rng.random()
        if how < 0.25:
            buf[i] ^= 1 << rng.randrange(8)
        elif how < 0.5:
            buf[i:i] = rng.choice(INSERTS)
        elif how < 0.65:
            del buf[i:i + rng.randint(1, 16)]
        elif how < 0.8:
            lines = bytes(buf).split(b"\n")
            k = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[k])
            buf = bytearray(b"\n".join(lines))
        elif how < 0.9:
            j = rng.randrange(len(buf))
            buf[i], buf[j] = buf[j], buf[i]
        else:
            del buf[i:]
    return bytes(buf)


def mutate(rng: random.Random, text: str) -> bytes:
    """One case: a structure-aware or a byte-level mutation of a scenario file's ``text``."""
    if rng.random() < 0.5:
        return mutate_structure(rng, text).encode("utf-8")
    return mutate_bytes(rng, text.encode("utf-8"))


# -- sources ---------------------------------------------------------------------------------------------

def replay_source(path: str) -> str:
    """A replay file (a ``[[script]]`` scenario, as explore writes them) from ``path``'s simulated run."""
    from loopsim.harness.runner import network_for, resolve_driver, run_world
    from loopsim.harness.scenario import Expect, dump_scenario, load_scenario

    sc = load_scenario(path)
    outcome = run_world(resolve_driver(sc.driver), sc.args, network_for(sc), sc.name)
    replay = type(sc)(path=sc.path, name=sc.name + "-replay", description="", driver=sc.driver, args=sc.args,
                      expect=Expect(sockets_closed=True), script=tuple(outcome.trace.events))
    return dump_scenario(replay)


def sources(root: str = "scenarios", replays: int = 3) -> list[str]:
    """The bundled scenario files' texts, and replay files from the ``replays`` smallest of them."""
    files = sorted(glob.glob(os.path.join(root, "*.toml")))
    texts = [open(f, encoding="utf-8").read() for f in files]
    small = sorted(files, key=os.path.getsize)[:replays]
    return texts + [replay_source(f) for f in small if "thousand" not in f]


# -- running one case ------------------------------------------------------------------------------------

def classify(code: int | None, err: str, path: str, escaped: str = "") -> tuple[str, str]:
    """(class, detail) of one ``loopsim replay`` run."""
    if escaped:
        return "anything else", escaped
    lines = err.strip().splitlines()
    bad = next((ln for ln in lines if "Traceback" in ln or "InternalError" in ln or "please report" in ln), None)
    if bad:
        return "anything else", bad.strip()[:160]
    if code == 0:
        return "pass", ""
    if code == 1:
        died = next((ln for ln in lines if "task 'main' died" in ln or "task main died" in ln), None)
        return ("anything else", "main died: " + died.strip()[:140]) if died else ("fail", "")
    if code == 2:
        if len(lines) == 1 and lines[0].startswith(f"loopsim replay: {path}"):
            rest = lines[0][len(f"loopsim replay: {path}"):]
            numbered = rest[:1] == ":" and rest[1:].split(":", 1)[0].isdigit()
            return "clean error", "" if numbered else "names no line: " + rest.lstrip(":").strip()[:100]
        return "anything else", ("error not one line naming the file: " + (lines[0] if lines else "<none>"))[:160]
    return "anything else", f"exit {code}"


def run_case(path: str) -> tuple[str, str]:
    """Run ``loopsim replay path`` in this process and classify it."""
    from loopsim.harness.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["replay", path])
    except BaseException as exc:  # noqa: BLE001 - every escape is a finding
        return classify(None, "", path, f"escaped {type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}")
    return classify(code, err.getvalue(), path)


def _in_child(path: str, cpu_seconds: int, memory: int) -> tuple[str, str]:
    """Fork; the child runs the case under CPU and memory limits; the parent reads its verdict."""
    import resource
    import signal

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            verdict = run_case(path)
        except BaseException as exc:  # noqa: BLE001
            verdict = ("anything else", f"escaped {type(exc).__name__}")
        os.write(write_fd, json.dumps(verdict).encode())
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = {signal.SIGXCPU: "CPU limit (a hang)", signal.SIGKILL: "killed (CPU or memory limit)"}.get(
            sig, signal.Signals(sig).name)
        return "anything else", name
    try:
        cls, detail = json.loads(data)
    except ValueError:
        return "anything else", "no verdict (memory limit?)"
    return cls, detail


def _worker(job: tuple[int, int, str, bool]) -> tuple[int, str, str, bytes]:
    seed, index, tmp, forked = job
    rng = random.Random(f"{seed}:{index}")
    data = mutate(rng, rng.choice(_SOURCES))
    path = os.path.join(tmp, f"case{index}.toml")
    with open(path, "wb") as fh:
        fh.write(data)
    cls, detail = _in_child(path, 5, 2 * 1024**3) if forked else run_case(path)
    os.unlink(path)
    return index, cls, detail, data if cls == "anything else" else b""


_SOURCES: list[str] = []


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", metavar="DIR", help="write the 'anything else' cases here")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    _SOURCES[:] = sources()
    counts: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    unnumbered: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(args.seed, i, tmp, True) for i in range(args.cases)]
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            for done, (index, cls, detail, data) in enumerate(pool.imap_unordered(_worker, jobs, chunksize=20), 1):
                counts[cls] += 1
                if cls == "clean error" and detail:
                    unnumbered[detail.split(":")[1].strip() if detail.count(":") > 1 else detail] += 1
                if cls == "anything else":
                    kinds[detail] += 1
                    if args.keep:
                        os.makedirs(args.keep, exist_ok=True)
                        with open(os.path.join(args.keep, f"case{index}.toml"), "wb") as fh:
                            fh.write(data)
                if done % 1000 == 0:
                    print(f"  {done} cases: {dict(counts)}", file=sys.stderr)
    total = sum(counts.values())
    print(f"{total} cases (seed {args.seed}, {len(_SOURCES)} source files, {args.jobs} processes)")
    print(f"{'outcome':<16}{'cases':>8}")
    for cls in CLASSES:
        print(f"{cls:<16}{counts[cls]:>8}")
    for detail, n in kinds.most_common(30):
        print(f"  {n:>6}  {detail}")
    print(f"clean errors that name no line: {sum(unnumbered.values())}")
    for detail, n in unnumbered.most_common(10):
        print(f"  {n:>6}  {detail}")
    return 1 if counts["anything else"] else 0


if __name__ == "__main__":
    sys.exit(main())
