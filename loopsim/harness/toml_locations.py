# loopsim.harness.toml_locations: find the line a TOML key is on, so input errors can say FILE:LINE: key.
# Owns: KeyLines (key path -> line number), format_path. Imports: stdlib only. Harness layer.
"""``tomllib`` parses but does not say where a value came from; :class:`KeyLines` does.

It is a small tokenizer run once over a document tomllib has already accepted,
in one pass (linear in the size of the text, whatever the text holds). It
knows basic and literal strings, multi-line strings (a ``[x]`` or ``k = 1``
inside one is text, not a table or a key), comments, ``[tables]``,
``[[arrays.of.tables]]`` (counted, nested ones too), dotted and quoted keys,
inline tables and arrays (``args = { x = 1 }`` gives ``args.x`` its own line,
``max_send = [1, 7]`` gives ``max_send[1]`` its own). Paths are as tomllib
reports them: ``("network", "fault", 1, "at")``.
"""

from __future__ import annotations

import tomllib
from typing import Union

__all__ = ["KeyLines", "Path", "format_path"]

PathItem = Union[str, int]
Path = tuple[PathItem, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SPACE = frozenset(" \t\r")
_SCALAR_END = frozenset(",]}#\n")


def format_path(path: Path) -> str:
    """``("network", "fault", 1, "kind")`` -> ``network.fault[1].kind``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += ("." if out else "") + item
    return out or "<top level>"


class _Frame:
    """An open inline array (``index`` counts its items) or inline table (``index`` is -1)."""

    __slots__ = ("path", "index")

    def __init__(self, path: Path, index: int) -> None:
        self.path, self.index = path, index


class KeyLines:
    """Maps key paths of a TOML document to 1-based line numbers (one linear pass over ``text``)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        self._text = text
        self._pos = 0
        self._line = 1
        self._aot: dict[Path, int] = {}  # array of tables (resolved path) -> index of its last element
        self._stack: list[_Frame] = []
        try:
            self._document()
        except IndexError:  # pragma: no cover - only on text tomllib rejects; keep what was found
            pass
        del self._text, self._stack

    def __contains__(self, path: object) -> bool:
        """True if ``path`` itself (not only a prefix of it) has a line."""
        return path in self._lines

    def line(self, path: Path) -> int | None:
        """The line of ``path`` or of its longest known prefix; None if nothing matches."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None

    # -- recording ---------------------------------------------------------------------------

    def _record(self, path: Path, line: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], line)

    def _resolve(self, names: tuple[str, ...]) -> Path:
        """A header's names with the current element index of every array of tables they pass."""
        out: Path = ()
        for name in names:
            out += (name,)
            last = self._aot.get(out)
            if last is not None:
                out += (last,)
        return out

    # -- the document ------------------------------------------------------------------------

    def _document(self) -> None:
        text, n = self._text, len(self._text)
        table: Path = ()
        while True:
            self._skip_blank(newlines=True)
            if self._pos >= n:
                return
            line = self._line
            if text[self._pos] == "[":
                double = text.startswith("[[", self._pos)
                self._pos += 2 if double else 1
                names = tuple(self._key())
                self._pos += 2 if double else 1  # "]]" or "]"
                if double:
                    array = self._resolve(names[:-1]) + names[-1:]
                    index = self._aot.get(array, -1) + 1
                    self._aot[array] = index
                    table = array + (index,)
                else:
                    table = self._resolve(names)
                self._record(table, line)
                continue
            path = table + tuple(self._key())
            self._record(path, line)
            self._skip_blank(newlines=False)
            self._pos += 1  # "="
            self._value(path)

    def _value(self, path: Path) -> None:
        """Skip one value at the position (after ``=``), recording the keys and items inside it."""
        text, n = self._text, len(self._text)
        self._skip_blank(newlines=False)
        self._one(path)
        while self._stack and self._pos < n:
            frame = self._stack[-1]
            self._skip_blank(newlines=True)
            if self._pos >= n:
                return
            ch = text[self._pos]
            if ch in "]}":
                self._pos += 1
                self._stack.pop()
            elif ch == ",":
                self._pos += 1
            elif frame.index >= 0:  # an array item
                item = frame.path + (frame.index,)
                frame.index += 1
                self._record(item, self._line)
                self._one(item)
            else:  # a key of an inline table
                line = self._line
                key = frame.path + tuple(self._key())
                self._record(key, line)
                self._skip_blank(newlines=False)
                self._pos += 1  # "="
                self._skip_blank(newlines=False)
                self._one(key)

    def _one(self, path: Path) -> None:
        """A scalar or string is skipped; an array or inline table is opened on the stack."""
        text = self._text
        ch = text[self._pos]
        if ch == "[":
            self._pos += 1
            self._stack.append(_Frame(path, 0))
        elif ch == "{":
            self._pos += 1
            self._stack.append(_Frame(path, -1))
        elif ch in "\"'":
            self._string()
        else:  # number, boolean, date-time (which may hold one space): up to a delimiter
            n = len(text)
            pos = self._pos
            while pos < n and text[pos] not in _SCALAR_END:
                pos += 1
            self._pos = pos

    # -- tokens ------------------------------------------------------------------------------

    def _skip_blank(self, newlines: bool) -> None:
        """Spaces, tabs, comments and (if ``newlines``) line ends."""
        text, n = self._text, len(self._text)
        pos = self._pos
        while pos < n:
            ch = text[pos]
            if ch in _SPACE:
                pos += 1
            elif ch == "#":
                end = text.find("\n", pos)
                pos = n if end < 0 else end
            elif ch == "\n" and newlines:
                self._line += 1
                pos += 1
            else:
                break
        self._pos = pos

    def _key(self) -> list[str]:
        """A possibly dotted key of bare and quoted parts."""
        text, n = self._text, len(self._text)
        parts: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            if self._pos >= n:
                return parts
            ch = text[self._pos]
            if ch in "\"'":
                start = self._pos
                self._string()
                raw = text[start:self._pos]
                parts.append(raw[1:-1] if "\\" not in raw else tomllib.loads(f"k = {raw}")["k"])
            else:
                start = pos = self._pos
                while pos < n and text[pos] in _BARE:
                    pos += 1
                self._pos = pos
                parts.append(text[start:pos])
            self._skip_blank(newlines=False)
            if self._pos < n and text[self._pos] == ".":
                self._pos += 1
                continue
            return parts

    def _string(self) -> None:
        """Skip a basic, literal or multi-line string, counting the lines it spans."""
        text = self._text
        quote = text[self._pos]
        if text.startswith(quote * 3, self._pos):
            start = self._pos + 3
            pos = self._find_close(quote * 3, start, escapes=quote == '"')
            for _ in range(2):  # a multi-line string may end with one or two quotes: """a"""""
                if text.startswith(quote, pos + 3):
                    pos += 1
            end = pos + 3
        else:
            start = self._pos + 1
            end = self._find_close(quote, start, escapes=quote == '"') + 1
        self._line += text.count("\n", self._pos, end)
        self._pos = end

    def _find_close(self, closing: str, pos: int, escapes: bool) -> int:
        """Where ``closing`` next occurs outside a backslash escape (at or after ``pos``)."""
        text = self._text
        end = text.find(closing, pos)
        while escapes and end >= 0:
            slash = text.find("\\", pos, end)
            if slash < 0:
                break
            pos = slash + 2  # skip the escaped character; each span of text is searched once
            if pos > end:
                end = text.find(closing, pos)
        return len(text) if end < 0 else end
