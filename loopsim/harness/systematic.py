# loopsim.harness.systematic: the bounded exhaustive search - every schedule with up to k deviations from the
# default choices, in increasing number of deviations. Owns: DeviationChooser, Enumeration, enumerate_schedules.
# Imports: stdlib only (the caller runs each schedule).
"""Systematic exploration: all schedules up to ``k`` deviations.

A run's choice points are the questions its chooser is asked, in order
(``select-order``, ``ready-order``, ``recv-size``, ...). Every question has a
default answer (index 0: FIFO, the order things became ready; ``lo`` for an
integer). A *deviation* is a non-default answer at one position. Since a run
is deterministic, the questions up to a position are the same in every run
that answers them the same way, so a schedule is named by its deviations
``((position, value), ...)`` with increasing positions, and two different
names are two different runs.

:func:`enumerate_schedules` runs the default schedule, notes its choice
points, then every schedule with one deviation (at each point, each
non-default answer), noting each one's choice points after its deviation,
then every schedule with two, and so on up to ``k``: breadth first, so the
first failure found has the fewest deviations. When it finishes, every
schedule with at most ``k`` deviations has run: for that world, a bounded
proof. The number of schedules of a level is known once the level before it
has run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

__all__ = ["DeviationChooser", "Enumeration", "enumerate_schedules", "alternatives"]

Choice = tuple[str, Any, int]  # (label, n or (lo, hi), value), as fakes.RecordingChooser records


def alternatives(options: Any) -> int:
    """How many non-default answers a choice point has: ``n - 1`` of an index, ``hi - lo`` of an integer."""
    if isinstance(options, tuple):
        return int(options[1] - options[0])
    return int(options) - 1


class DeviationChooser:
    """A chooser (and, through the network's ``loop_chooser``, the ready order) answering every question with
    its default except at the positions of ``deviations`` (position -> value). :attr:`choices` records every question
    and its answer; :attr:`mismatch` says where a deviation met a question it could not answer (the
    driver is not deterministic)."""

    __slots__ = ("deviations", "choices", "mismatch")

    def __init__(self, deviations: Mapping[int, int] | None = None) -> None:
        self.deviations = dict(deviations or {})
        self.choices: list[Choice] = []
        self.mismatch: str | None = None

    def _answer(self, label: str, options: Any, default: int, lo: int, hi: int) -> int:
        pos = len(self.choices)
        value = self.deviations.get(pos, default)
        if not lo <= value <= hi:
            if self.mismatch is None:
                self.mismatch = (f"choice {pos} ({label}, {options}) cannot take the value {value} an earlier run "
                                 "gave it at the same position")
            value = default
        self.choices.append((label, options, value))
        return value

    def index(self, label: str, n: int) -> int:
        return self._answer(label, n, 0, 0, n - 1)

    def integer(self, label: str, lo: int, hi: int) -> int:
        return self._answer(label, (lo, hi), lo, lo, hi)

    def __repr__(self) -> str:
        return f"DeviationChooser({len(self.deviations)} deviations, {len(self.choices)} choices)"


@dataclass
class Enumeration:
    """How far :func:`enumerate_schedules` got.

    ``levels[d]`` is the number of schedules with exactly ``d`` deviations (known
    for every level listed); ``ran`` how many schedules ran; ``complete`` that
    every schedule up to ``k`` deviations ran; ``stopped`` why it stopped early.
    """

    k: int
    ran: int = 0
    levels: list[int] = field(default_factory=list)
    complete: bool = False
    stopped: str = ""

    @property
    def known(self) -> int:
        """The schedules counted so far (all of them once the last level is listed)."""
        return sum(self.levels)

    @property
    def exact(self) -> bool:
        """Whether :attr:`known` is the number of schedules up to ``k`` deviations."""
        return len(self.levels) == self.k + 1

    def describe(self) -> str:
        """``"all 6 schedules up to 2 deviations ran"`` only when it finished, else how many of how many."""
        upto = f"up to {self.k} deviation{'s' if self.k != 1 else ''}"
        if self.complete:
            return f"all {self.ran} schedules {upto} ran"
        of = f"{self.known}" if self.exact else f"at least {self.known}"
        return f"ran {self.ran} of {of} schedules {upto} ({self.stopped}; not all of them: no proof)"


def _children(devs: tuple[tuple[int, int], ...], choices: list[Choice]) -> Iterator[tuple[tuple[int, int], ...]]:
    """The schedules with one more deviation than ``devs``, after its last one, in increasing position and value."""
    start = devs[-1][0] + 1 if devs else 0
    for pos in range(start, len(choices)):
        _, options, _ = choices[pos]
        base = options[0] if isinstance(options, tuple) else 0
        for value in range(base + 1, base + 1 + alternatives(options)):
            yield devs + ((pos, value),)


def _count(devs: tuple[tuple[int, int], ...], choices: list[Choice]) -> int:
    start = devs[-1][0] + 1 if devs else 0
    return sum(alternatives(choices[pos][1]) for pos in range(start, len(choices)))


def enumerate_schedules(run: Callable[[DeviationChooser], bool], k: int,
                        spent: Callable[[], bool]) -> Enumeration:
    """Run every schedule with up to ``k`` deviations, fewest first.

    ``run(chooser)`` runs one schedule answering from ``chooser`` and returns
    True to stop (everything searched for has failed). ``spent()`` is asked
    before each run: True stops the enumeration (the budget is spent).
    """
    result = Enumeration(k)
    parents: list[tuple[tuple[tuple[int, int], ...], list[Choice]]] = []
    for depth in range(k + 1):
        if depth == 0:
            level: Iterator[tuple[tuple[int, int], ...]] = iter([()])
            result.levels.append(1)
        else:
            result.levels.append(sum(_count(devs, choices) for devs, choices in parents))
            level = (child for devs, choices in parents for child in _children(devs, choices))
        ran: list[tuple[tuple[tuple[int, int], ...], list[Choice]]] = []
        for devs in level:
            if spent():
                result.stopped = "budget spent"
                return result
            chooser = DeviationChooser(dict(devs))
            stop = run(chooser)
            result.ran += 1
            if depth < k:
                ran.append((devs, chooser.choices))
            if stop:
                result.stopped = "every property failed"
                return result
        parents = ran
        if not parents or all(_count(devs, choices) == 0 for devs, choices in parents):
            # no deeper schedule exists: the remaining levels are empty
            result.levels += [0] * (k - depth)
            break
    result.complete = True
    return result
