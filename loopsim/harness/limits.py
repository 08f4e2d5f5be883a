# loopsim.harness.limits: how much simulated work a scenario file may ask for, and the driver-argument checks.
# Owns: Limits, parse_limits, check_number, check_driver_args, ARG_KINDS. Imports: stdlib only. Harness layer.
"""A scenario's simulated work is bounded, so that a typo (``size = 1000000000``)
is a one-line error at load, not gigabytes. The defaults (:class:`Limits`) can
be raised per file with a ``[limits]`` table; see ``docs/scenarios.md``.

Driver arguments are free-form; a driver says what its arguments mean with a
``loopsim_args`` attribute: ``{"clients": "clients", "size": "bytes",
"delay": "seconds", "writes": "count", "app": ("proxy", "naive")}`` (a kind
from :data:`ARG_KINDS`, or a tuple of the allowed values). Types come from the
driver's annotations (``int``, ``float``, ``str``, ``bool``, ``X | None``).
"""

from __future__ import annotations

import inspect
import math
import typing
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Limits", "LIMIT_CEILINGS", "ARG_KINDS", "MAX_INT", "parse_limits", "check_number",
           "check_driver_args", "trace_estimate"]

ErrorFactory = Callable[[tuple[Any, ...], str], Exception]

#: What a ``loopsim_args`` entry may say an argument is: a number of clients, a size in bytes (per
#: client; a string counts its UTF-8 length), a duration in virtual seconds, or a count of steps.
ARG_KINDS = ("clients", "bytes", "seconds", "count")

#: The largest integer a size, a count or an errno in a scenario file may be (the kernel's int).
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Limits:
    """The bounds a scenario is checked against at load (``[limits]`` raises them)."""

    clients: int = 1000              #: a "clients" driver argument
    bytes: int = 1_048_576           #: a "bytes" driver argument (one client's payload)
    total_bytes: int = 16_777_216    #: clients x bytes
    trace_bytes: int = 268_435_456   #: the estimated size of what the run records (see trace_estimate)
    seconds: float = 86_400.0        #: any duration or time: args, latencies, faults, expectations, steps
    steps: int = 100_000             #: [[script]] steps, and a "count" driver argument


#: How far ``[limits]`` may raise each bound (beyond these the clocks and counters lose meaning).
LIMIT_CEILINGS = {"clients": 10**7, "bytes": 2**40, "total_bytes": 2**44, "trace_bytes": 2**46,
                  "seconds": 1e12, "steps": 10**9}


def parse_limits(table: dict[str, Any], error: ErrorFactory) -> Limits:
    """The ``[limits]`` table: each key raises (or lowers) one default."""
    values: dict[str, Any] = {}
    for name, value in table.items():
        key = ("limits", name)
        if name not in LIMIT_CEILINGS:
            raise error(key, f"unknown limit; expected one of {', '.join(LIMIT_CEILINGS)}")
        ceiling = LIMIT_CEILINGS[name]
        integer = name != "seconds"
        values[name] = check_number(value, key, error, integer=integer, minimum=1, maximum=ceiling,
                                    what="a positive integer" if integer else "a number of seconds > 0")
    return Limits(**values)


def check_number(value: Any, key: tuple[Any, ...], error: ErrorFactory, *, integer: bool = False,
                 minimum: float = 0, maximum: float | None = None, what: str = "",
                 limit_name: str | None = None) -> Any:
    """``value`` is a (finite) number within ``[minimum, maximum]``; returns it."""
    what = what or ("an integer" if integer else "a number")
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        kind = "a boolean" if isinstance(value, bool) else _kind(value)
        raise error(key, f"must be {what}, not {kind}")
    if isinstance(value, float) and not math.isfinite(value):
        raise error(key, f"must be a finite number, not {value}")
    if value < minimum:
        raise error(key, f"must be >= {minimum:g}, not {value!r}")
    if maximum is not None and value > maximum:
        hint = f" (raise it with [limits] {limit_name} = ...)" if limit_name else ""
        shown = f"{maximum}" if isinstance(maximum, int) else f"{maximum:g}"
        raise error(key, f"{value!r} is more than the limit {shown}{hint}")
    return value


def _kind(value: Any) -> str:
    return {dict: "a table", list: "an array", tuple: "an array", str: "a string", int: "an integer",
            float: "a float"}.get(type(value), type(value).__name__)


def _accepted_types(hint: Any) -> tuple[type, ...] | None:
    """The TOML-representable types an annotation accepts, or None if it is not one we check."""
    if hint is int:
        return (int,)
    if hint is float:
        return (int, float)
    if hint in (str, bool):
        return (hint,)
    args = typing.get_args(hint)
    if args and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _accepted_types(inner[0])
    return None


def check_driver_args(driver: Callable[..., Any], spec: str, args: dict[str, Any], limits: Limits,
                      error: ErrorFactory, smallest_chunk: int | None) -> None:
    """``args`` fit ``driver``'s signature, annotations and ``loopsim_args`` declaration, within ``limits``."""
    params = list(inspect.signature(driver).parameters.values())[1:]  # the first one is the network
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    named = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for name in args:
        if name not in named and not takes_any:
            raise error(("app", "args", name), f"unknown argument; {spec} takes "
                        f"{', '.join(named) or 'no arguments'}")
    for name, p in named.items():
        if p.default is p.empty and name not in args:
            raise error(("app", "args"), f"missing argument {name!r}, which {spec} requires")
    try:
        hints = typing.get_type_hints(driver)
    except Exception:  # annotations that do not evaluate: nothing to check types against
        hints = {}
    for name, value in args.items():
        accepted = _accepted_types(hints.get(name))
        if accepted is not None and (not isinstance(value, accepted)
                                     or (isinstance(value, bool) and bool not in accepted)):
            what = " or ".join({int: "an integer", float: "a number", str: "a string",
                                bool: "true or false"}[t] for t in accepted if not (t is int and float in accepted))
            raise error(("app", "args", name), f"must be {what}, not {_kind(value)}"
                        if not isinstance(value, bool) else f"must be {what}, not a boolean")
    declared = getattr(driver, "loopsim_args", None) or {}
    values = {name: (args[name] if name in args else p.default) for name, p in named.items()}
    clients, payload = 1, 0
    for name, kind in declared.items():
        if name not in values:
            continue
        value, key = values[name], ("app", "args", name)
        if name not in args:  # a default: counts towards the totals, is not checked
            if kind == "clients" and isinstance(value, int):
                clients = value
            elif kind == "bytes" and isinstance(value, (int, str)):
                payload = max(payload, len(value.encode("utf-8")) if isinstance(value, str) else value)
        elif isinstance(kind, tuple):
            if value not in kind:
                raise error(key, f"must be one of {', '.join(map(repr, kind))}, not {value!r}")
        elif kind == "clients":
            clients = check_number(value, key, error, integer=True, maximum=limits.clients, limit_name="clients")
        elif kind == "bytes":
            size = len(value.encode("utf-8")) if isinstance(value, str) else value
            check_number(size, key, error, integer=True, maximum=limits.bytes, limit_name="bytes",
                         what="a size in bytes")
            payload = max(payload, size)
        elif kind == "seconds":
            check_number(value, key, error, maximum=limits.seconds, limit_name="seconds",
                         what="a number of virtual seconds")
        elif kind == "count":
            check_number(value, key, error, integer=True, maximum=limits.steps, limit_name="steps")
        else:
            raise error(key, f"{spec}.loopsim_args says its kind is {kind!r}; a kind is one of "
                        f"{', '.join(ARG_KINDS)} or a tuple of the allowed values")
    if clients * payload > limits.total_bytes:
        raise error(("app", "args"), f"{clients} clients x {payload} bytes is more than the limit "
                    f"{limits.total_bytes} (raise it with [limits] total_bytes = ...)")
    estimate = trace_estimate(clients, payload, smallest_chunk)
    if estimate > limits.trace_bytes:
        raise error(("app", "args"), f"the run would record about {estimate} bytes ({clients} clients x "
                    f"{payload} bytes in pieces of {smallest_chunk or payload or 1}), more than the limit "
                    f"{limits.trace_bytes} (raise it with [limits] trace_bytes = ...)")


def trace_estimate(clients: int, payload: int, smallest_chunk: int | None) -> int:
    """About what a run records: each client's payload goes in ``payload / chunk`` calls, and each
    send attempt records what is left to send (plus ~256 bytes per recorded call)."""
    chunk = max(1, min(payload, smallest_chunk) if smallest_chunk else payload)
    calls = -(-max(payload, 1) // chunk)
    return clients * calls * (payload + 256)
