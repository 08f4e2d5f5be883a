# loopsim.harness.choice_shrink: shrinking a failing run's recorded choices towards the simplest answers.
# Owns: minimize_choices. Imports: stdlib only (the caller runs each candidate).
"""A failing run found with seeded random choices has many non-default
answers, most of them not needed. :func:`minimize_choices` sets them to the
simplest answer (0, ``lo``) one at a time, keeping each change under which the
run still fails, so a finding keeps only the choices its failure needs (as
hypothesis's shrinking of its own data would). Each candidate is replayed by
label (a ``ListChooser``), exactly as a finding file is, and the choices kept
are those its run really made.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__ = ["minimize_choices"]

Choice = tuple[str, Any, int]
Attempt = Callable[[list[Choice]], "tuple[str, list[Choice]] | None"]


def _simplest(choice: Choice) -> int:
    _, options, _ = choice
    return int(options[0]) if isinstance(options, tuple) else 0


def minimize_choices(message: str, choices: Sequence[Choice], attempt: Attempt,
                     spent: Callable[[], bool], max_attempts: int = 1000) -> tuple[str, list[Choice], int]:
    """``(message, choices, attempts)``: simpler choices that still fail.

    ``attempt(candidate)`` runs the world answering ``candidate`` by label and
    returns ``(message, the choices the run made)`` if it still fails, else
    ``None``. First all-simplest is tried, then each non-simplest answer in
    turn, until ``spent()`` or ``max_attempts``.
    """
    current = list(choices)
    attempts = 0
    if any(c[2] != _simplest(c) for c in current):
        attempts += 1
        found = attempt([])
        if found is not None:
            return found[0], found[1], attempts
    i = 0
    while i < len(current) and attempts < max_attempts and not spent():
        label, options, value = current[i]
        simplest = _simplest(current[i])
        if value == simplest:
            i += 1
            continue
        candidate = current[:i] + [(label, options, simplest)] + current[i + 1:]
        attempts += 1
        found = attempt(candidate)
        if found is not None:
            message, current = found[0], list(found[1])
        else:
            i += 1
    return message, current, attempts
