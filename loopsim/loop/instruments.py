# loopsim.loop.instruments: no-op observation hooks the loop calls (trace, recording, debugging).
# Owns: Instrument (the hooks), HOOKS (their names), Hooks (the overriding ones, for the loop).
# Imports: stdlib, loopsim.loop.task (types only).
"""Observation hooks, in the spirit of trio's instruments.

Subclass :class:`Instrument`, override the hooks you want, and pass instances
as ``Loop(instruments=[...])``. Every hook is a no-op by default; the loop
only calls the hooks that some instrument actually overrides, so an unused
hook costs nothing on the hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from .task import Task

__all__ = ["Instrument", "HOOKS", "Hooks"]

HOOKS = (
    "before_run",
    "after_run",
    "task_spawned",
    "before_task_step",
    "after_task_step",
    "task_exited",
    "before_io_wait",
    "after_io_wait",
)


class Instrument:
    """Base class of loop instruments; every hook does nothing."""

    def before_run(self) -> None:
        """The loop is about to start running tasks."""

    def after_run(self) -> None:
        """The loop has no task left (or stopped on an error)."""

    def task_spawned(self, task: Task) -> None:
        """``task`` was created."""

    def before_task_step(self, task: Task) -> None:
        """``task`` is about to be resumed."""

    def after_task_step(self, task: Task) -> None:
        """``task`` yielded, returned or raised."""

    def task_exited(self, task: Task) -> None:
        """``task`` finished (returned, raised or was cancelled)."""

    def before_io_wait(self, timeout: float | None) -> None:
        """The loop is about to call ``selector.select(timeout)``."""

    def after_io_wait(self, events: list[tuple[Any, int]]) -> None:
        """``select`` returned these ``(key, mask)`` pairs."""


class Hooks:
    """For each hook name, the list of overriding bound methods (often empty).

    ``hooks.before_task_step`` is a list; the loop writes
    ``for h in hooks.before_task_step: h(task)``, which is free when empty.
    """

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        instruments = list(instruments)
        for name in HOOKS:
            methods: list[Callable[..., None]] = []
            for inst in instruments:
                base = getattr(Instrument, name)
                if getattr(type(inst), name, base) is not base:
                    methods.append(getattr(inst, name))
            setattr(self, name, methods)

    def __getattr__(self, name: str) -> list[Callable[..., None]]:  # pragma: no cover - typing aid
        raise AttributeError(name)
