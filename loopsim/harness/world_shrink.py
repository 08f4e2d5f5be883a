# loopsim.harness.world_shrink: shrinking a failing world's settings to those its failure needs.
# Owns: minimize_world. Imports: stdlib, loopsim.harness.world_distribution (Turn, magnitudes).
"""Shrink the settings of a failing world (``loopsim explore``, after the search).

The search draws many worlds in one example, so hypothesis's shrinker (which
lowers the example's bytes one at a time, and runs every world of the example
for each try) is the wrong tool for the one world that failed. This shrinks
that world directly, at the level of its settings
(:data:`~loopsim.harness.world_distribution.Turn`), until no single step
keeps it failing:

1. drop each setting in turn (every setting the failure does not need goes);
2. lower each setting's variant (a fixed limit rather than a range, the first
   trigger) towards 0;
3. lower each setting's magnitude: 0 (the kind's mildest value) if that still
   fails, else the smallest that fails by bisection.

and again from 1 while a pass changed anything. ``attempt(turns)`` runs the
world of ``turns`` and returns what its failure says (anything truthy), or
None when it passes. Each try is one call; ``spent()`` stops the shrink early
(what is kept then still fails).
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

from .world_distribution import Turn, magnitudes

__all__ = ["minimize_world"]

R = TypeVar("R")


def minimize_world(turns: Sequence[Turn], failure: R, attempt: Callable[[tuple[Turn, ...]], R | None],
                   spent: Callable[[], bool] = lambda: False) -> tuple[tuple[Turn, ...], R]:
    """The smallest settings found that still fail, and the last failure they gave (``failure`` if none did)."""
    best = tuple(turns)
    found = failure

    def tried(candidate: tuple[Turn, ...]) -> bool:
        nonlocal best, found
        if spent():
            return False
        result = attempt(candidate)
        if result is None:
            return False
        best, found = candidate, result
        return True

    changed = True
    while changed and not spent():
        changed = False
        i = 0
        while i < len(best):  # 1. drop a setting
            if not tried(best[:i] + best[i + 1:]):
                i += 1
            else:
                changed = True
        for i in range(len(best)):  # 2. a simpler variant
            kind, target, variant, mag = best[i]
            for lower in range(variant):
                if tried(_with(best, i, (kind, target, lower, mag % magnitudes(kind, lower)))):
                    changed = True
                    break
        for i in range(len(best)):  # 3. a milder magnitude
            kind, target, variant, mag = best[i]
            if mag == 0 or tried(_with(best, i, (kind, target, variant, 0))):
                changed = changed or mag != 0
                continue
            passes, fails = 0, mag  # bisect: 0 passes, mag fails
            while fails - passes > 1 and not spent():
                mid = (passes + fails) // 2
                if tried(_with(best, i, (kind, target, variant, mid))):
                    fails, changed = mid, True
                else:
                    passes = mid
    return best, found


def _with(turns: tuple[Turn, ...], i: int, turn: Turn) -> tuple[Turn, ...]:
    return turns[:i] + (turn,) + turns[i + 1:]
