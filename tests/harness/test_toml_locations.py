"""KeyLines: every key path tomllib reports gets the line that holds the key, in time linear in the text."""

import json
import time
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from loopsim.harness.toml_locations import KeyLines, format_path

BARE = "abcXYZ019_-"
keys = st.text(alphabet=BARE + ' ."\'\\[]#=\n\té', max_size=6)
tricky_strings = st.sampled_from([
    "[fake]\nx = 1", "[[script]]\nop = 'recv'", 'a = "b"', "'''", '"""', "\\", "# not a comment",
    "[" + " " * 50 + "x", "line\nline\n", "\"quoted\"", "}{][", "a.b.c = 1",
])
strings = st.text(max_size=12) | tricky_strings
scalars = (st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
           | st.booleans() | strings)


def tables(inner):
    return st.dictionaries(keys, inner, max_size=4)


documents = st.dictionaries(keys, st.recursive(
    scalars | st.lists(scalars, max_size=3),
    lambda inner: tables(inner) | st.lists(tables(inner), min_size=1, max_size=3),
    max_leaves=8), max_size=4)


def render_key(key):
    return key if key and all(ch in BARE for ch in key) else basic(key)


def basic(s):
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


class Renderer:
    """Writes a document as TOML in styles drawn from ``draw``: headers, arrays of tables, inline
    tables, dotted keys, basic/literal/multi-line strings, comments, multi-line arrays."""

    def __init__(self, draw):
        self.draw = draw
        self.out = []

    def choice(self, *options):
        return self.draw(st.sampled_from(options))

    def string(self, s):
        style = self.choice("basic", "literal", "multi", "multi_literal")
        printable = all(ch == "\n" or (ch >= " " and ch != "\x7f") for ch in s)
        if style == "literal" and printable and "'" not in s and "\n" not in s:
            return f"'{s}'"
        if style == "multi_literal" and printable and "'" not in s:
            return f"'''\n{s}'''"
        if style == "multi":
            body = basic(s)[1:-1].replace("\\n", "\n")
            return f'"""\n{body}"""'
        return basic(s)

    def value(self, v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, list):
            items = [self.value(x) for x in v]
            if items and self.choice(False, True):
                return "[\n" + "".join(f"  {item},  # item\n" for item in items) + "]"
            return "[" + ", ".join(items) + "]"
        return "{ " + ", ".join(f"{render_key(k)} = {self.value(x)}" for k, x in v.items()) + " }"

    def table(self, path, table):
        sections = []
        for k, v in table.items():
            name = render_key(k)
            if isinstance(v, dict) and self.choice("header", "inline", "dotted") != "inline":
                if all(not isinstance(x, (dict, list)) for x in v.values()) and v and self.choice(False, True):
                    for k2, x in v.items():
                        self.out.append(f"{name} . {render_key(k2)} = {self.value(x)}")
                    continue
                sections.append(("table", path + [name], v))
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and self.choice(True, False):
                sections.append(("array", path + [name], v))
            else:
                self.out.append(f"{name} = {self.value(v)}" + self.choice("", "  # a comment"))
        for kind, sub, v in sections:
            self.out.append(self.choice("", "# ---"))
            if kind == "table":
                self.out.append("[" + ".".join(sub) + "]")
                self.table(sub, v)
            else:
                for element in v:
                    self.out.append("[[ " + " . ".join(sub) + " ]]")
                    self.table(sub, element)


def paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from paths(v, prefix + (i,))


@settings(max_examples=60, deadline=None)
@given(documents, st.data())
def test_every_key_path_tomllib_reports_gets_the_line_holding_the_key(doc, data):
    r = Renderer(data.draw)
    r.table([], doc)
    text = "\n".join(r.out) + "\n"
    assert tomllib.loads(text) == doc, text  # the renderer wrote what it meant to
    lines = KeyLines(text)
    source = text.split("\n")
    for path in paths(doc):
        assert path in lines, (format_path(path), text)
        line = source[lines.line(path) - 1]
        last = next(p for p in reversed(path) if isinstance(p, str))
        if path[-1] == last:
            assert render_key(last) in line, (format_path(path), lines.line(path), text)


def test_strings_comments_and_headers_in_text_are_not_keys():
    text = ('a = """\n[fake]\nx = 1"""\nb = \'\'\'\n[[script]]\'\'\'\n# [c]\nc = "# not = a key"\n'
            '[t]  # comment\n"quoted.key" = { p = [1, { q = 2 }] }\nd = "x\\""  \n')
    lines = KeyLines(text)
    assert ("fake",) not in lines and ("x",) not in lines and ("script",) not in lines
    assert [lines.line(p) for p in [("a",), ("b",), ("c",), ("t",), ("t", "quoted.key", "p", 1, "q"), ("t", "d")]] \
        == [1, 4, 7, 8, 9, 10]


def test_nested_arrays_of_tables_are_counted_per_parent():
    text = "[[a]]\n[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n[[a]]\n[[a.b]]\nx = 3\n[a.c]\ny = 1\n"
    lines = KeyLines(text)
    assert lines.line(("a", 0, "b", 1, "x")) == 5
    assert lines.line(("a", 1, "b", 0, "x")) == 8
    assert lines.line(("a", 1, "c", "y")) == 10
    assert lines.line(("a", 1, "b", 0, "nope")) == 7
    assert lines.line(("zzz",)) is None


def big_file(copies):
    """A valid scenario-like file: many tables, and in a multi-line string the line that made the old
    regular expression backtrack cubically ('[' + spaces + 'x')."""
    parts = ['format = "loopsim-scenario/1"', 'description = """', "[" + " " * (40 * copies) + "x", '"""']
    for i in range(copies):
        parts += ["[[network.link]]", f'addr = "host{i}:80"', "latency = 0.01  # one way",
                  f"args = {{ size = {i}, name = 'n{i}', list = [1, 2, 3] }}"]
    return "\n".join(parts) + "\n"


def test_a_large_file_is_indexed_in_time_proportional_to_its_size():
    def cost(text):
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            lines = KeyLines(text)
            best = min(best, time.process_time() - start)
        return best, lines

    small, large = big_file(500), big_file(2000)
    assert len(large) > 3.9 * len(small)
    (t_small, _), (t_large, lines) = cost(small), cost(large)
    assert lines.line(("network", "link", 1999, "args", "list", 2)) == 4 + 4 * 1999 + 4
    # linear: ~4x; the regular expression this replaced took ~64x (cubic in the line's length)
    assert t_large < 16 * max(t_small, 1e-3)
