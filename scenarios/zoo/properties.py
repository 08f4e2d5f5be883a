# scenarios.zoo.properties: what a user of the zoo's apps checks about a run (plain loopsim properties).
# Owns: replies_intact, answered_in_time, counter_consistent. Imports: nothing (they read an Outcome's fields).
"""Properties over the outcome of a zoo world (``scenarios.zoo.properties:NAME``).

Each returns ``None`` when it holds, else what is wrong. A run that stopped
early (deadlock, livelock) has no result and passes here: that is the generic
``terminates``'s to report.
"""

from __future__ import annotations

from typing import Any

__all__ = ["replies_intact", "answered_in_time", "counter_consistent"]

PROXY_ADDRESS = "proxy:8080"


def _counts(outcome: Any) -> tuple[dict[str, int] | None, str | None]:
    if outcome.error is not None:
        return None, None
    result = outcome.result
    if not isinstance(result, dict) or not isinstance(result.get("clients"), int):
        return None, f"the driver returned {result!r}, not a {{'clients': n, 'ok': k, ...}} count"
    return result, None


def replies_intact(outcome: Any) -> str | None:
    """No client got wrong bytes; in a world without faults, every client got its whole reply."""
    result, wrong = _counts(outcome)
    if result is None:
        return wrong
    if result.get("corrupt", 0):
        return f"{result['corrupt']} of {result['clients']} clients got a corrupted reply: {result}"
    if not outcome.faults and result.get("ok", 0) != result["clients"]:
        return f"{result.get('ok', 0)} of {result['clients']} clients got their reply intact in a world without faults: {result}"
    return None


def answered_in_time(outcome: Any) -> str | None:
    """Every client got its reply or a clean close before it gave up waiting.

    Except when the world black-holes the app's own address: then no app
    can answer (the client's bytes never reach it), and a client waiting in
    vain is the network's doing.
    """
    result, wrong = _counts(outcome)
    if result is None:
        return wrong
    if any(f.kind == "black_hole" and f.target in (PROXY_ADDRESS, "*") for f in outcome.faults):
        return None
    if result.get("timeout", 0):
        return f"{result['timeout']} of {result['clients']} clients gave up waiting for an answer: {result}"
    return None


def counter_consistent(outcome: Any) -> str | None:
    """The app's ``served`` counter counts at least every client that got its reply, and at most every client."""
    result, wrong = _counts(outcome)
    if result is None:
        return wrong
    if "served" not in result:
        if result.get("proxy_stuck") or result.get("proxy_died"):
            return None  # the app never returned its counter: others properties say why
        return f"the app reported no 'served' counter: {result}"
    served, ok = result["served"], result.get("ok", 0)
    if not ok <= served <= result["clients"]:
        return f"the app counted {served} served, but {ok} of {result['clients']} clients got their reply: {result}"
    return None
