# loopsim.harness.error_paths: which except/finally blocks of the code under test ran, and after which injected
# faults. Owns: Handler, find_handlers, code_under_test, ErrorPathRecorder, ErrorPaths. Imports: stdlib (ast, sys),
# loopsim.harness.callables.
"""Error-path coverage.

A fault a scenario injects is only worth something if the code's error
handling runs because of it. :class:`ErrorPathRecorder` watches the code
under test (the driver's package: its modules' files, found by
:func:`code_under_test`) while scenarios run, and notes each ``except`` and
``finally`` block (:func:`find_handlers`, from the source's syntax tree) whose
body starts to run, with the fault kinds that had fired in that run by then
(read from the network as the block is entered). :class:`ErrorPaths` then
says, per block: how often it ran, after which fault kinds (or "no fault"),
and which blocks never ran at all - the error paths the scenarios never reach.

Tracing: ``sys.monitoring`` LINE events on Python 3.12+ (lines of other code
are disabled at their first event, so they cost nothing after), ``sys.settrace``
on 3.11 (a local tracer only for frames of the code under test). The
previous trace function is put back afterwards.
"""

from __future__ import annotations

import ast
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["Handler", "find_handlers", "code_under_test", "ErrorPathRecorder", "ErrorPaths", "NO_FAULT"]

NO_FAULT = "no fault"


@dataclass(frozen=True)
class Handler:
    """One ``except`` or ``finally`` block: where it is, what it says, the line its body starts on."""

    path: str
    line: int  # the line of the `except ...:` / `finally:` (the body's first line minus what precedes it)
    label: str  # "except ConnectionResetError", "except (OSError, ValueError) as exc", "except", "finally"
    body_line: int

    def where(self, root: str | None = None) -> str:
        path = os.path.relpath(self.path, root) if root else self.path
        return f"{path}:{self.line}"


def _label(handler: ast.ExceptHandler, source: str) -> str:
    if handler.type is None:
        return "except"
    text = ast.get_source_segment(source, handler.type) or "?"
    return f"except {text}" + (f" as {handler.name}" if handler.name else "")


def find_handlers(path: str) -> list[Handler]:
    """The except and finally blocks of the Python file ``path``, in source order ([] if unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        tree = ast.parse(source, path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Try, ast.TryStar)):
            for h in node.handlers:
                found.append(Handler(path, h.lineno, _label(h, source), h.body[0].lineno))
            if node.finalbody:
                first = node.finalbody[0].lineno
                found.append(Handler(path, _finally_line(source, first), "finally", first))
    return sorted(set(found), key=lambda h: (h.path, h.line, h.label))


def _finally_line(source: str, body_line: int) -> int:
    """The line of the ``finally:`` keyword: the nearest line above the body that starts with it."""
    lines = source.splitlines()
    for n in range(body_line - 1, 0, -1):
        if lines[n - 1].strip().startswith("finally"):
            return n
    return body_line


def code_under_test(module_names: Iterable[str]) -> list[str]:
    """The source files of the loaded modules in the top-level packages of ``module_names`` (e.g. the
    driver's ``scenarios.drivers`` -> every loaded ``scenarios.*``), excluding loopsim's and fakes'."""
    tops = {name.split(".")[0] for name in module_names} - {"loopsim", "fakes"}
    files = set()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in tops:
            path = getattr(module, "__file__", None)
            if isinstance(path, str) and path.endswith(".py"):
                files.add(os.path.abspath(path))
    return sorted(files)


@dataclass
class ErrorPaths:
    """What a recorder saw: per handler, how often it ran and after which fault kinds."""

    handlers: list[Handler]
    runs: dict[Handler, int] = field(default_factory=dict)
    after: dict[Handler, dict[str, int]] = field(default_factory=dict)  # handler -> fault kind -> runs

    def never_ran(self) -> list[Handler]:
        return [h for h in self.handlers if h not in self.runs]

    def table(self, root: str | None = None) -> str:
        """Each handler that ran (where, what, runs, after which faults), then those that never did."""
        if not self.handlers:
            return "error paths: no except/finally block in the code under test"
        ran = [h for h in self.handlers if h in self.runs]
        rows = [(h.where(root), h.label, str(self.runs[h]),
                 ", ".join(f"{kind} x{n}" for kind, n in sorted(self.after[h].items()))) for h in ran]
        lines = [f"error paths: {len(ran)} of {len(self.handlers)} except/finally blocks of the code under test ran"]
        if rows:
            head = ("block", "handler", "runs", "after")
            widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
            for r in [head, tuple("-" * w for w in widths), *rows]:
                lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        never = self.never_ran()
        if never:
            lines.append(f"never ran ({len(never)}):")
            lines += [f"  {h.where(root)}  {h.label}" for h in never]
        return "\n".join(lines)


class ErrorPathRecorder:
    """Notes the handlers of ``files`` that run while :meth:`recording` (a context manager) is active."""

    def __init__(self, files: Iterable[str] = ()) -> None:
        self.files: set[str] = set()
        self.paths = ErrorPaths([])
        self._starts: dict[tuple[str, int], list[Handler]] = {}
        self._kinds: Callable[[], Iterable[str]] = lambda: ()
        self.add_files(files)

    def add_files(self, files: Iterable[str]) -> None:
        """Watch these files too (absolute paths; their handlers are added in source order)."""
        new = sorted({os.path.abspath(f) for f in files} - self.files)
        if not new:
            return
        self.files.update(new)
        handlers = [h for f in new for h in find_handlers(f)]
        self.paths.handlers = sorted(self.paths.handlers + handlers, key=lambda h: (h.path, h.line, h.label))
        for h in handlers:
            self._starts.setdefault((h.path, h.body_line), []).append(h)

    def run(self, sc: Any, run_scenario: Callable[..., Any]) -> Any:
        """``run_scenario(sc, observe=...)`` while recording, the code under test being the package of the
        scenario's driver and properties; fault kinds read from the scenario's network as handlers run."""
        from .callables import import_spec

        import_spec(sc.driver, "app")  # imports the code under test, so its modules are known
        specs = [sc.driver, *[p for p in getattr(sc.expect, "properties", ()) if isinstance(p, str)]]
        self.add_files(code_under_test(spec.split(":")[0] for spec in specs if ":" in spec))
        net: list[Any] = []
        config_faults = lambda: tuple(getattr(net[0].config, "faults", ())) if net else ()  # noqa: E731

        def fired() -> list[str]:
            counts = getattr(net[0], "faults_fired", None) if net else None
            if not callable(counts):
                return []
            return [f.kind for f, n in zip(config_faults(), counts()) if n]

        with self.recording(fired):
            return run_scenario(sc, observe=net.append)

    def _hit(self, path: str, line: int) -> None:
        handlers = self._starts.get((path, line))
        if not handlers:
            return
        kinds = sorted(set(self._kinds())) or [NO_FAULT]
        for h in handlers:
            self.paths.runs[h] = self.paths.runs.get(h, 0) + 1
            after = self.paths.after.setdefault(h, {})
            for kind in kinds:
                after[kind] = after.get(kind, 0) + 1

    def recording(self, fired_kinds: Callable[[], Iterable[str]]) -> "_Recording":
        """Record while the ``with`` block runs; ``fired_kinds()`` gives the kinds of the faults fired so far."""
        self._kinds = fired_kinds
        return _Recording(self)


class _Recording:
    def __init__(self, recorder: ErrorPathRecorder) -> None:
        self.recorder = recorder
        self._previous: Any = None
        self._tool: int | None = None

    def __enter__(self) -> ErrorPathRecorder:
        rec = self.recorder
        files, starts, hit = rec.files, rec._starts, rec._hit
        known: dict[str, bool] = {}  # co_filename (as imported: maybe relative) -> one of the files?

        def ours(path: str) -> bool:
            mine = known.get(path)
            if mine is None:
                mine = known[path] = os.path.abspath(path) in files
            return mine
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:  # Python 3.12+
            tool = next((t for t in range(6) if monitoring.get_tool(t) is None), None)
            if tool is not None:
                monitoring.use_tool_id(tool, "loopsim error paths")
                disable = monitoring.DISABLE

                def on_line(code: Any, line: int) -> Any:
                    path = code.co_filename
                    if not ours(path) or (os.path.abspath(path), line) not in starts:
                        return disable
                    hit(os.path.abspath(path), line)
                    return None

                monitoring.register_callback(tool, monitoring.events.LINE, on_line)
                monitoring.set_events(tool, monitoring.events.LINE)
                monitoring.restart_events()
                self._tool = tool
                return rec

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                hit(os.path.abspath(frame.f_code.co_filename), frame.f_lineno)
            return local

        def global_trace(frame: Any, event: str, arg: Any) -> Any:
            return local if ours(frame.f_code.co_filename) else None

        self._previous = sys.gettrace()
        sys.settrace(global_trace)
        return rec

    def __exit__(self, *exc: object) -> None:
        if self._tool is not None:
            monitoring = sys.monitoring  # type: ignore[attr-defined]
            monitoring.set_events(self._tool, 0)
            monitoring.register_callback(self._tool, monitoring.events.LINE, None)
            monitoring.free_tool_id(self._tool)
            self._tool = None
        else:
            sys.settrace(self._previous)
        self.recorder._kinds = lambda: ()
