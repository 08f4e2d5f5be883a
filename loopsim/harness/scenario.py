# loopsim.harness.scenario: the scenario file format (TOML, versioned): load, validate, write.
# Owns: Scenario, Expect, load_scenario, ScenarioError. Imports: stdlib, loopsim.loop.errors,
# loopsim.harness.{toml_locations,script_format,limits,callables}, fakes (config classes).
"""Scenario files: one failure story each, in TOML. The format is documented in
``docs/scenarios.md``; this module is its only reader and writer.

Every problem in a file is a :class:`ScenarioError` whose message reads
``FILE:LINE: key: what is wrong`` (the line when it can be found). Every value
is checked for type and range before anything runs, against the file's
:class:`~loopsim.harness.limits.Limits`; :func:`load_scenario` also imports the
driver (a scenario file names code to run) and checks its arguments.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from loopsim.loop.errors import InputError
from .limits import MAX_INT, Limits, check_driver_args, check_number, parse_limits
from .toml_locations import KeyLines, Path, format_path

__all__ = ["FORMAT", "Scenario", "Expect", "ScenarioError", "load_scenario", "is_scenario_file",
           "parse_scenario", "dump_scenario"]

FORMAT = "loopsim-scenario/1"

_TOP_KEYS = {"format", "name", "description", "known_bug", "app", "network", "script", "expect", "limits"}
_APP_KEYS = {"driver", "args"}
_NETWORK_KEYS = {"seed", "choices", "link", "endpoint", "fault"}
_EXPECT_KEYS = {"received", "result", "tasks", "max_time", "min_time", "sockets_closed", "error", "properties"}


class ScenarioError(InputError):
    """A scenario file is wrong. ``str()`` is ``FILE:LINE: key: what is wrong``."""

    def __init__(self, path: str, line: int | None, key: str, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {problem}")
        self.path, self.line, self.key, self.problem = path, line, key, problem


@dataclass(frozen=True)
class Expect:
    """What must hold after the run. Empty fields are not checked."""

    received: dict[str, bytes] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)
    max_time: float | None = None
    min_time: float | None = None
    sockets_closed: bool = True
    error: str | None = None  # the error that must stop the run: "Deadlock", "Livelock"
    properties: tuple[str, ...] = ()  # properties that must hold: "delivered_intact", "module:function"


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: ``network`` (a world, simulated), ``script`` (strict replay), or both (a finding
    of ``loopsim explore``: its world is simulated by default, its script replayed by ``--strict``)."""

    path: str
    name: str
    description: str
    driver: str
    args: dict[str, Any]
    expect: Expect
    seed: int = 0
    network: dict[str, Any] | None = None  # {"link": [...], "endpoint": [...], "fault": [...]}
    script: tuple[Any, ...] | None = None  # fakes.TraceEvent steps
    choices: dict[str, tuple[int, ...]] | None = None  # [network.choices]: label -> its answers, in order
    known_bug: str | None = None
    limits: Limits = field(default_factory=Limits)

    @property
    def mode(self) -> str:
        """How the file runs by default: "simulate" (it has a world) or "replay" (only a script)."""
        return "replay" if self.network is None else "simulate"


def is_scenario_file(path: str | os.PathLike[str]) -> bool:
    """True for a ``.toml`` file that declares ``format = "loopsim-scenario/..."``."""
    if not str(path).endswith(".toml"):
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return '"loopsim-scenario/' in head and "format" in head


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file; raise :class:`ScenarioError` naming file, line and key."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ScenarioError(path, None, "<file>", f"cannot read it: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, data.count(b"\n", 0, exc.start) + 1, "<file>",
                            f"not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}") from None
    return parse_scenario(text, path, import_code=True)


class _Checker:
    """Validation helpers that know the file and where each key is."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = KeyLines(text)

    def error(self, key: Path, problem: str) -> ScenarioError:
        return ScenarioError(self.path, self.lines.line(key), format_path(key), problem)

    def table(self, value: Any, key: Path) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, not {_kind(value)}")
        return value

    def known(self, table: dict[str, Any], allowed: set[str], key: Path) -> None:
        for name in table:
            if name not in allowed:
                raise self.error(key + (name,), f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def typed(self, value: Any, types: tuple[type, ...], key: Path, what: str) -> Any:
        if isinstance(value, bool) and bool not in types:
            raise self.error(key, f"must be {what}, not a boolean")
        if not isinstance(value, types):
            raise self.error(key, f"must be {what}, not {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(key, f"must be a finite number, not {value}")
        return value


def _kind(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a float"}.get(type(value), type(value).__name__)


def parse_scenario(text: str, path: str = "<scenario>", *, import_code: bool = False) -> Scenario:
    """Parse scenario TOML ``text`` (``path`` is used in error messages).

    With ``import_code``, also import the driver and the ``module:function`` properties and
    check the driver's arguments against its signature and declared limits.
    """
    try:
        return _parse(text, path, import_code)
    except RecursionError:
        raise ScenarioError(path, None, "<toml>", "values are nested too deeply") from None


def _parse(text: str, path: str, import_code: bool) -> Scenario:
    from . import script_format as script_mod

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = None
        if "(at line " in msg:
            try:
                line = int(msg.split("(at line ")[1].split(",")[0])
            except ValueError:  # pragma: no cover - tomllib's message format changed
                line = None
        elif "(at end of document)" in msg:
            line = text.count("\n") + (not text.endswith("\n"))
        raise ScenarioError(path, line, "<toml>", f"not valid TOML: {msg}") from None
    c = _Checker(path, text)
    c.known(doc, _TOP_KEYS, ())
    limits = parse_limits(c.table(doc.get("limits", {}), ("limits",)), c.error)
    fmt = doc.get("format")
    if fmt is None:
        raise c.error(("format",), f'missing; the first line of a scenario is format = "{FORMAT}"')
    if fmt != FORMAT:
        raise c.error(("format",), f"unsupported format {fmt!r}; this loopsim reads {FORMAT!r}")
    name = c.typed(doc.get("name", os.path.splitext(os.path.basename(path))[0]), (str,), ("name",), "a string")
    description = c.typed(doc.get("description", ""), (str,), ("description",), "a string")
    known_bug = doc.get("known_bug")
    if known_bug is not None:
        c.typed(known_bug, (str,), ("known_bug",), "a string describing the bug the scenario reproduces")

    if "app" not in doc:
        raise c.error(("app",), 'missing; say which app to run: [app] driver = "module:function"')
    app = c.table(doc["app"], ("app",))
    c.known(app, _APP_KEYS, ("app",))
    driver = app.get("driver")
    if driver is None:
        raise c.error(("app", "driver"), 'missing; give the app as driver = "module:function"')
    c.typed(driver, (str,), ("app", "driver"), 'a string "module:function"')
    if driver.count(":") != 1 or not all(driver.split(":")):
        raise c.error(("app", "driver"), f'{driver!r} is not of the form "module:function"')
    args = c.table(app.get("args", {}), ("app", "args"))

    has_net, has_script = "network" in doc, "script" in doc
    if not has_net and not has_script:
        raise c.error(("app",), "give [network] (simulate a world), [[script]] (strict replay), or both (a finding: "
                                "the world is simulated, loopsim replay --strict replays the script)")
    seed = 0
    network = None
    steps = None
    choices = None
    if has_net:
        net = c.table(doc["network"], ("network",))
        c.known(net, _NETWORK_KEYS, ("network",))
        seed = check_number(net.get("seed", 0), ("network", "seed"), c.error, integer=True, maximum=2**64 - 1,
                            what="an integer")
        network = {}
        for section in ("link", "endpoint", "fault"):
            rows = net.get(section, [])
            if not isinstance(rows, list):
                raise c.error(("network", section), f"must be an array of tables: [[network.{section}]]")
            network[section] = [dict(c.table(row, ("network", section, i))) for i, row in enumerate(rows)]
        _check_network(c, network, limits)
        if "choices" in net:
            choices = _parse_choices(c, net["choices"], limits)
    if has_script:
        rows = doc["script"]
        if not isinstance(rows, list) or not rows:
            raise c.error(("script",), "must be a non-empty array of steps: [[script]]")
        check_number(len(rows), ("script",), c.error, maximum=limits.steps, limit_name="steps",
                     what="a number of steps")
        steps = tuple(script_mod.step_from_toml(c.table(row, ("script", i)), i, c.error, limits)
                      for i, row in enumerate(rows))

    if "expect" not in doc:
        raise c.error(("expect",), "missing; a scenario must say what has to hold: [expect] ...")
    expect = _parse_expect(c, c.table(doc["expect"], ("expect",)), limits)
    sc = Scenario(path=path, name=name, description=description, driver=driver, args=dict(args),
                  expect=expect, seed=seed, network=network, script=steps, choices=choices, known_bug=known_bug,
                  limits=limits)
    if import_code:
        _check_code(c, sc)
    return sc


def _parse_choices(c: _Checker, value: Any, limits: Limits) -> dict[str, tuple[int, ...]]:
    """``[network.choices]``: each label's answers, in order - arrays of integers >= 0."""
    table = c.table(value, ("network", "choices"))
    choices: dict[str, tuple[int, ...]] = {}
    for label, answers in table.items():
        key = ("network", "choices", label)
        if not isinstance(answers, list):
            raise c.error(key, f"must be an array of the answers, in order (integers >= 0), not {_kind(answers)}")
        check_number(len(answers), key, c.error, maximum=limits.steps, limit_name="steps",
                     what="a number of answers")
        for i, answer in enumerate(answers):
            check_number(answer, key + (i,), c.error, integer=True, maximum=MAX_INT,
                         what="an integer >= 0 (an answer of the chooser)")
        choices[label] = tuple(answers)
    return choices


def _smallest_chunk(network: dict[str, list[dict[str, Any]]] | None) -> int | None:
    """The fewest bytes one send/recv may move by the network's endpoint rules (None: no rule)."""
    sizes = []
    for row in (network or {}).get("endpoint", []):
        for name in ("max_send", "max_recv", "sndbuf", "rcvbuf"):
            value = row.get(name)
            if value is not None:
                sizes.append(value[0] if isinstance(value, tuple) else value)
    return min(sizes) if sizes else None


def _check_code(c: _Checker, sc: Scenario) -> None:
    """Import the driver and the module:function properties; check the driver's arguments."""
    from .callables import import_spec
    from .outcome import parse_property

    try:
        driver = import_spec(sc.driver, "app")
    except InputError as exc:
        raise c.error(("app", "driver"), str(exc)) from None
    check_driver_args(getattr(driver, "__wrapped__", driver), sc.driver, sc.args, sc.limits, c.error,
                      _smallest_chunk(sc.network))
    for i, spec in enumerate(sc.expect.properties):
        if ":" in spec:
            try:
                parse_property(spec)
            except InputError as exc:
                raise c.error(("expect", "properties", i), str(exc)) from None


# Fields of the network's rows that are durations (bounded by limits.seconds) and their other bounds.
_DURATIONS = {"latency", "jitter", "accept_delay", "at"}
_RANGES: dict[str, tuple[float, float]] = {"bandwidth": (1.0, 1e18), "after_bytes": (0, 2**63 - 1)}


def _check_network(c: _Checker, network: dict[str, list[dict[str, Any]]], limits: Limits) -> None:
    """Check every [[network.*]] row against the fakes' config classes and the limits."""
    import dataclasses

    import fakes

    classes = {"link": fakes.Link, "endpoint": fakes.Endpoint, "fault": fakes.Fault}
    for section, rows in network.items():
        cls = classes[section]
        allowed = {f.name for f in dataclasses.fields(cls)}
        for i, row in enumerate(rows):
            key = ("network", section, i)
            c.known(row, allowed, key)
            for name, value in row.items():
                if isinstance(value, list):
                    row[name] = tuple(value)
            try:
                cls(**row)
            except (TypeError, ValueError) as exc:
                bad = next((k for k in row if k in str(exc)), None)
                raise c.error(key + ((bad,) if bad else ()), str(exc)) from None
            for name, value in row.items():
                items = value if isinstance(value, tuple) else (value,)
                for item in items:
                    if isinstance(item, bool) or not isinstance(item, (int, float)):
                        continue
                    if name in _DURATIONS:
                        check_number(item, key + (name,), c.error, maximum=limits.seconds, limit_name="seconds")
                    elif name in _RANGES:
                        lo, hi = _RANGES[name]
                        check_number(item, key + (name,), c.error, minimum=lo, maximum=hi)
                    else:
                        check_number(item, key + (name,), c.error, maximum=MAX_INT)


def _parse_expect(c: _Checker, table: dict[str, Any], limits: Limits) -> Expect:
    from .script_format import bytes_from_toml

    c.known(table, _EXPECT_KEYS, ("expect",))
    if not table:
        raise c.error(("expect",), "is empty; say what has to hold (received, result, tasks, max_time, ...)")
    received = {}
    for sock, value in c.table(table.get("received", {}), ("expect", "received")).items():
        received[sock] = bytes_from_toml(value, ("expect", "received", sock), lambda k, p: c.error(k, p))
    result = c.table(table.get("result", {}), ("expect", "result"))
    tasks = c.table(table.get("tasks", {}), ("expect", "tasks"))
    for name, value in tasks.items():
        c.typed(value, (str,), ("expect", "tasks", name), '"ok", "cancelled" or an exception class name')
    times = {}
    for key in ("max_time", "min_time"):
        if key in table:
            value = check_number(table[key], ("expect", key), c.error, maximum=limits.seconds,
                                 limit_name="seconds", what="a number of virtual seconds")
            times[key] = float(value)
    closed = c.typed(table.get("sockets_closed", True), (bool,), ("expect", "sockets_closed"), "true or false")
    error = table.get("error")
    if error is not None and error not in ("Deadlock", "Livelock"):
        raise c.error(("expect", "error"), f'must be "Deadlock" or "Livelock" (the error that stops the run), '
                                           f"not {error!r}")
    props = table.get("properties", [])
    if not isinstance(props, list) or not all(isinstance(p, str) for p in props):
        raise c.error(("expect", "properties"), 'must be an array of property names, e.g. ["delivered_intact"]')
    for i, spec in enumerate(props):
        if ":" not in spec and not _known_property(spec):
            raise c.error(("expect", "properties"), f"unknown property {spec!r} (item {i}); use terminates, "
                          "no_task_died, delivered_intact, all_sockets_closed, finished_within(T) or module:function")
    return Expect(received=received, result=dict(result), tasks=dict(tasks), sockets_closed=closed,
                  error=error, properties=tuple(props), **times)


def _known_property(spec: str) -> bool:
    from .outcome import parse_property

    try:
        parse_property(spec)
    except InputError:
        return False
    return True


def dump_scenario(sc: Scenario) -> str:
    """Render ``sc`` as scenario TOML that :func:`parse_scenario` reads back to an equal scenario."""
    from .script_format import bytes_to_toml, step_to_toml, toml_value

    out = [f"format = {toml_value(FORMAT)}", f"name = {toml_value(sc.name)}"]
    if sc.description:
        out.append(f"description = {toml_value(sc.description)}")
    if sc.known_bug:
        out.append(f"known_bug = {toml_value(sc.known_bug)}")
    if sc.limits != Limits():
        out += ["", "[limits]"] + [f"{k} = {toml_value(v)}" for k, v in vars(sc.limits).items()
                                   if v != getattr(Limits(), k)]
    out += ["", "[app]", f"driver = {toml_value(sc.driver)}", f"args = {toml_value(sc.args)}"]
    if sc.network is not None:
        out += ["", "[network]", f"seed = {sc.seed}"]
        if sc.choices is not None:  # even empty: every choice the simplest (without it: from the seed)
            out += ["", "[network.choices]"]
            out += [f"{label if re.fullmatch(r'[A-Za-z0-9_-]+', label) else toml_value(label)} = "
                    f"{toml_value(list(answers))}" for label, answers in sc.choices.items()]
        for section in ("link", "endpoint", "fault"):
            for row in sc.network.get(section, []):
                out += ["", f"[[network.{section}]]"]
                out += [f"{k} = {toml_value(v)}" for k, v in row.items()]
    e = sc.expect
    out += ["", "[expect]"]
    if e.max_time is not None:
        out.append(f"max_time = {toml_value(e.max_time)}")
    if e.min_time is not None:
        out.append(f"min_time = {toml_value(e.min_time)}")
    out.append(f"sockets_closed = {toml_value(e.sockets_closed)}")
    if e.error:
        out.append(f"error = {toml_value(e.error)}")
    if e.properties:
        out.append(f"properties = {toml_value(list(e.properties))}")
    if e.result:
        out.append(f"result = {toml_value(e.result)}")
    if e.tasks:
        out.append(f"tasks = {toml_value(e.tasks)}")
    if e.received:
        out.append("received = { " + ", ".join(
            f"{toml_value(k)} = {bytes_to_toml(v)}" for k, v in e.received.items()) + " }")
    if sc.script is not None:
        for step in sc.script:
            out += ["", "[[script]]", step_to_toml(step)]
    return "\n".join(out) + "\n"
