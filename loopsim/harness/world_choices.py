# loopsim.harness.world_choices: a world's run-time choices kept by label - the chooser that answers them again.
# Owns: ListChooser, choice_table. Imports: stdlib only (no hypothesis: the gate replays worlds without it).
"""The run-time choices of a simulated world, by label.

Every nondeterministic choice of a :class:`fakes.FakeNetwork` is one call to
its chooser with a label (``"select-order"``, ``"recv-size"``,
``"send-size"``). A finding file keeps the choices of its failing run as a
table ``{label: [value, ...]}`` under ``[network.choices]``; re-simulating
the file answers them again with :class:`ListChooser`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

__all__ = ["ListChooser", "choice_table"]


class ListChooser:
    """Gives back recorded choices by label, in order; once a label's are used up, the simplest answers.

    ``choices`` is what a :class:`fakes.RecordingChooser` recorded, ``[(label,
    options, value), ...]``, or a finding file's table ``{label: [value, ...]}``
    (:func:`choice_table`). Each label's values are answered in their order,
    whatever the other labels ask in between, so code that asks a few more or
    fewer questions still gets the answers meant for it; a value out of the
    range asked for, or a question with no recorded answer left, gets the
    :class:`fakes.DefaultChooser`'s answer (0, ``lo``).
    """

    def __init__(self, choices: Sequence[tuple[str, Any, int]] | Mapping[str, Sequence[int]]) -> None:
        if isinstance(choices, Mapping):
            self.table = {label: list(values) for label, values in choices.items()}
        else:
            self.table = choice_table(choices, trim=False)
        self._used: dict[str, int] = {}

    def _next(self, label: str, default: int) -> int:
        values = self.table.get(label)
        pos = self._used.get(label, 0)
        if values is None or pos >= len(values):
            return default
        self._used[label] = pos + 1
        return values[pos]

    def index(self, label: str, n: int) -> int:
        value = self._next(label, 0)
        return value if 0 <= value < n else 0

    def integer(self, label: str, lo: int, hi: int) -> int:
        value = self._next(label, lo)
        return value if lo <= value <= hi else lo

    def __repr__(self) -> str:
        return f"ListChooser({sum(len(v) for v in self.table.values())} choices)"


def choice_table(choices: Sequence[tuple[str, Any, int]], trim: bool = True) -> dict[str, list[int]]:
    """Recorded choices ``[(label, options, value), ...]`` as ``{label: [value, ...]}``, labels in first-asked order.

    With ``trim``, each label's trailing simplest answers (0 for an index, ``lo``
    for an integer) are dropped: :class:`ListChooser` gives those anyway. A
    label whose answers were all the simplest does not appear.
    """
    table: dict[str, list[int]] = {}
    simplest: dict[str, list[bool]] = {}
    for label, options, value in choices:
        table.setdefault(label, []).append(value)
        lo = options[0] if isinstance(options, tuple) else 0
        simplest.setdefault(label, []).append(value == lo)
    if trim:
        for label in list(table):
            flags = simplest[label]
            keep = len(flags)
            while keep and flags[keep - 1]:
                keep -= 1
            if keep:
                del table[label][keep:]
            else:
                del table[label]
    return table
