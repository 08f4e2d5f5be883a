# loopsim.loop.scheduling: which of the tasks ready at a tick runs next - the injected scheduling policy.
# Owns: SchedulingPolicy (protocol), ChooserPolicy, IndexChooser (protocol). Imports: stdlib only; never fakes:
# a ChooserPolicy takes any object with an index(label, n) method (the fakes' Chooser is one).
"""Scheduling policies: the ready order of :class:`~loopsim.Loop`.

``Loop(policy=None)`` runs the tasks ready at a tick in FIFO order (the order
they became ready). A *policy* is any object with ``pick(ready) -> int``:
while the batch of tasks ready at the start of a tick has two or more tasks
not yet run, the loop calls ``pick`` once before each task it runs, with
those tasks in FIFO order, and runs ``ready[i]`` next. With one task left it
runs that one without asking. ``pick`` must not change ``ready`` (the loop
owns it) and must return ``0 <= i < len(ready)``; anything else is a
:class:`~loopsim.UsageError`.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from .task import Task

__all__ = ["SchedulingPolicy", "ChooserPolicy", "IndexChooser", "READY_ORDER"]

#: The label a :class:`ChooserPolicy` asks its chooser with.
READY_ORDER = "ready-order"


@runtime_checkable
class SchedulingPolicy(Protocol):
    """Chooses which of the ready tasks runs next."""

    def pick(self, ready: Sequence[Task]) -> int:
        """The index into ``ready`` (the batch's tasks not yet run, FIFO order, two or more) of the task to run next."""
        ...


class IndexChooser(Protocol):
    """What a :class:`ChooserPolicy` asks: ``index(label, n)`` returns ``0 <= i < n``, 0 the simplest answer."""

    def index(self, label: str, n: int) -> int:
        ...


class ChooserPolicy:
    """A policy that asks ``chooser.index("ready-order", len(ready))``.

    0 means FIFO, so a chooser that answers 0 (the fakes' ``DefaultChooser``,
    or hypothesis shrinking its data) keeps the loop's default order, and a
    recorded chooser replays the same order.
    """

    __slots__ = ("chooser",)

    def __init__(self, chooser: IndexChooser) -> None:
        if not callable(getattr(chooser, "index", None)):
            raise TypeError(f"ChooserPolicy needs an object with an index(label, n) method, got {chooser!r}")
        self.chooser = chooser

    def pick(self, ready: Sequence[Task]) -> int:
        return self.chooser.index(READY_ORDER, len(ready))

    def __repr__(self) -> str:
        return f"ChooserPolicy({self.chooser!r})"
