# loopsim.tomlpos: find the line a TOML key is on, so input errors can say FILE:LINE: key.
# Owns: KeyLines (key path -> line number). Imports: stdlib only. Harness layer.
"""``tomllib`` parses but does not say where a value came from; this does, well
enough for error messages: tables (``[a.b]``), arrays of tables (``[[a.b]]``,
counted), ``key = value`` lines and dotted keys. Keys inside an inline table
(``args = { x = 1 }``) report the inline table's line.
"""

from __future__ import annotations

import re
from typing import Union

__all__ = ["KeyLines", "Path", "format_path"]

PathItem = Union[str, int]
Path = tuple[PathItem, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", raw)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def format_path(path: Path) -> str:
    """``("network", "fault", 1, "kind")`` -> ``network.fault[1].kind``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += ("." if out else "") + item
    return out or "<top level>"


class KeyLines:
    """Maps key paths of a TOML document to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: Path = ()
        for lineno, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                names = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    index = counts.get(names, 0)
                    counts[names] = index + 1
                    table = names + (index,)
                else:
                    table = names
                self._lines.setdefault(table, lineno)
                continue
            key = _KEY.match(line)
            if key:
                path = table + tuple(_split_key(key.group(1)))
                self._lines.setdefault(path, lineno)

    def line(self, path: Path) -> int | None:
        """The line of ``path`` or of its longest known prefix; None if nothing matches."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None
