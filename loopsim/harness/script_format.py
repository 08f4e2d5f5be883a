# loopsim.scriptio: script steps and values <-> TOML (the [[script]] rows of a scenario file).
# Owns: toml_value, bytes_to_toml/bytes_from_toml, step_to_toml/step_from_toml. Imports: stdlib, fakes.trace.
"""How a Script (the ordered answers of a run, ``fakes.TraceEvent`` steps) is
written in a scenario file. One ``[[script]]`` table per step::

    [[script]]
    t = 0.0                 # virtual time of the step (informative)
    sock = "client#1"       # the socket's stable name ("select" for the selector, "clock", "loop")
    op = "recv"             # the call: socket, connect_ex, so_error, recv, send, accept, ...
    args = [65536]          # its arguments
    data = "hello"          # the answer, one of: data (bytes as text) | hex (bytes) |
                            #   error (errno name, e.g. "EAGAIN") | result (any other value)

Bytes are written as a TOML string when they are valid UTF-8, else as
``{ hex = "..." }``. A step without an answer key answered ``None``; a
``None`` inside ``args`` (``select(None)``) is written ``{ none = true }``.
"""

from __future__ import annotations

import errno
import json
import math
from typing import Any, Callable

__all__ = ["toml_value", "bytes_to_toml", "bytes_from_toml", "step_to_toml", "step_from_toml"]

ErrorFactory = Callable[[tuple[Any, ...], str], Exception]

_STEP_KEYS = {"t", "sock", "op", "args", "data", "hex", "error", "result"}
_ANSWER_KEYS = ("data", "hex", "error", "result")


def _toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(k: str) -> str:
    return k if k and all(ch.isalnum() and ch.isascii() or ch in "_-" for ch in k) else _toml_string(k)


def bytes_to_toml(data: bytes) -> str:
    """``b"hi"`` -> ``"hi"``; bytes that are not UTF-8 -> ``{ hex = "ff00" }``."""
    try:
        return _toml_string(bytes(data).decode("utf-8"))
    except UnicodeDecodeError:
        return '{ hex = "' + bytes(data).hex() + '" }'


def bytes_from_toml(value: Any, key: tuple[Any, ...], error: ErrorFactory) -> bytes:
    """The inverse of :func:`bytes_to_toml`."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"hex"} and isinstance(value["hex"], str):
        try:
            return bytes.fromhex(value["hex"])
        except ValueError:
            raise error(key + ("hex",), f"{value['hex']!r} is not hexadecimal bytes") from None
    raise error(key, 'bytes must be a string (UTF-8 text) or { hex = "..." }')


def toml_value(value: Any) -> str:
    """A TOML literal for ``value`` (str, int, float, bool, bytes, list/tuple, dict; None in a step)."""
    if value is None:
        return "{ none = true }"  # TOML has no null; step_from_toml reads this back as None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes_to_toml(bytes(value))
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value!r}")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if value == {"none": True}:
        return None
    return value


# Where an op carries bytes: in its first argument, or in its answer.
_BYTES_ARG0 = {"send", "sendall"}
_BYTES_RESULT = {"recv"}


def step_to_toml(step: Any) -> str:
    """The body of one ``[[script]]`` table for a ``fakes.TraceEvent``."""
    lines = [f"t = {toml_value(float(step.t))}", f"sock = {toml_value(step.sock)}", f"op = {toml_value(step.op)}"]
    if step.args:
        lines.append(f"args = {toml_value(list(step.args))}")
    result = step.result
    if result is None:
        pass
    elif isinstance(result, (bytes, bytearray, memoryview)):
        text = bytes_to_toml(bytes(result))
        lines.append(f"hex = {_toml_string(bytes(result).hex())}" if text.startswith("{") else f"data = {text}")
    elif isinstance(result, str) and result.isupper() and result.startswith("E"):  # (an accept answers a tuple)
        lines.append(f"error = {toml_value(result)}")
    else:
        lines.append(f"result = {toml_value(result)}")
    return "\n".join(lines)


def step_from_toml(row: dict[str, Any], index: int, error: ErrorFactory, limits: Any = None) -> Any:
    """A ``fakes.TraceEvent`` from one ``[[script]]`` table (``index`` is its 0-based position).

    Every op's arguments and answer are checked against the shapes in ``fakes/trace.py``
    (see :data:`OPS`); times are bounded by ``limits.seconds`` (a ``loopsim.harness.limits.Limits``).
    """
    from fakes import TraceEvent

    from .limits import Limits, check_number

    horizon = (limits or Limits()).seconds
    key = ("script", index)
    for name in row:
        if name not in _STEP_KEYS:
            raise error(key + (name,), f"unknown key; a step has {', '.join(sorted(_STEP_KEYS))}")
    for name in ("sock", "op"):
        if not isinstance(row.get(name), str) or not row[name]:
            raise error(key + (name,), "missing or not a string; every step names its socket and operation")
    op = row["op"]
    if op not in OPS:
        raise error(key + ("op",), f"unknown operation {op!r}; a step's op is one of {', '.join(OPS)}")
    t = row.get("t", 0.0)
    check_number(t, key + ("t",), error, maximum=horizon, limit_name="seconds", what="a virtual time in seconds")
    args = row.get("args", [])
    if not isinstance(args, list):
        raise error(key + ("args",), "must be an array")
    args = list(_tuples(args))
    if op in _BYTES_ARG0 and args:
        args[0] = bytes_from_toml(args[0], key + ("args",), error)
    answers = [k for k in _ANSWER_KEYS if k in row]
    if len(answers) > 1:
        raise error(key + (answers[1],), f"a step has one answer, but gives both {answers[0]} and {answers[1]}")
    result: Any = None
    kind = answers[0] if answers else None
    if kind is not None:
        value = row[kind]
        if kind == "data":
            result = bytes_from_toml(value, key + ("data",), error)
        elif kind == "hex":
            result = bytes_from_toml({"hex": value}, key, error)
        elif kind == "error":
            if not isinstance(value, str) or not isinstance(getattr(errno, value, None), int) \
                    or not value.startswith("E"):
                raise error(key + ("error",), f"must be an errno name such as \"EAGAIN\", not {value!r}")
            result = value
        else:
            result = _tuples(value)
        if op in _BYTES_RESULT and kind == "result":
            raise error(key + ("result",), f"{op} answers bytes (data = \"...\" or hex) or an error, not result")
    _check_step(op, row["sock"], tuple(args), kind, result, key, error, horizon)
    return TraceEvent(seq=index, t=float(t), sock=row["sock"], op=op, args=tuple(args), result=result)


#: Each op: (what its args are, which answers it may give). See fakes/trace.py.
OPS = {
    "socket": ("[] or [family, type]", ("none",)),
    "connect_ex": ("[address]", ("errno",)),
    "so_error": ("[]", ("errno",)),
    "recv": ("[n]", ("bytes", "error")),
    "send": ("[] or [data]", ("count", "error")),
    "accept": ("[]", ("accepted", "error")),
    "shutdown": ("[how]", ("none", "error")),
    "close": ("[]", ("none",)),
    "dup": ("[]", ("name",)),
    "bind": ("[address]", ("none", "error")),
    "listen": ("[] or [address]", ("none", "error")),
    "select": ("[timeout] (a number or { none = true })", ("ready",)),  # or result = "forever" (a deadlock)
    "clock": ("[from, to]", ("none",)),
    "now": ("[]", ("time",)),
    "choose": ('["label", n] (n >= 2)', ("choice",)),
}

_ANSWER_TEXT = {
    "none": "no answer", "errno": "result = an errno number (0 = success)", "bytes": 'data = "..." or hex',
    "error": 'error = "ENAME"', "count": "result = the number of bytes accepted",
    "accepted": 'result = ["connection name", ["host", port]]',
    "ready": 'result = [["socket name", mask], ...] (mask 1 readable, 2 writable, 3 both) or "forever"',
    "time": "result = the clock reading in seconds",
    "choice": "result = the index chosen, 0 <= result < n",
    "name": 'result = "the new socket\'s name"',
}


def _is_int(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _is_address(value: Any) -> bool:
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
            and _is_int(value[1], 0, 65535))


def _is_time(value: Any, horizon: float) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0 <= value <= horizon)


def _check_step(op: str, sock: str, args: tuple[Any, ...], kind: str | None, result: Any,
                key: tuple[Any, ...], error: ErrorFactory, horizon: float) -> None:
    """The op's args and answer have the shapes strict replay relies on."""
    from .limits import MAX_INT

    shape, answers = OPS[op]
    good_args = {
        "socket": not args or (len(args) == 2 and all(_is_int(a, 0, MAX_INT) for a in args)),
        "connect_ex": len(args) == 1 and _is_address(args[0]),
        "recv": len(args) == 1 and _is_int(args[0], 0, MAX_INT),
        "send": len(args) <= 1,
        "shutdown": len(args) == 1 and _is_int(args[0], 0, 2),
        "bind": len(args) == 1 and _is_address(args[0]),
        "listen": not args or (len(args) == 1 and _is_address(args[0])),
        "select": len(args) == 1 and (args[0] is None or _is_time(args[0], horizon)),
        "clock": len(args) == 2 and all(_is_time(a, horizon) for a in args),
        "choose": len(args) == 2 and isinstance(args[0], str) and _is_int(args[1], 2, MAX_INT),
    }.get(op, not args)
    if not good_args:
        raise error(key + ("args",), f"{op} takes args = {shape}, not {toml_text(list(args))}")
    if op == "clock" and sock != "clock" or op == "select" and sock != "select" \
            or op == "now" and sock != "clock" or op == "choose" and sock != "loop":
        raise error(key + ("sock",), f'a {op} step has sock = "{_OP_SOCK.get(op, "clock")}"')
    given = "none" if kind is None else "error" if kind == "error" else "bytes" if kind in ("data", "hex") else None
    if given is None:  # a result = ...: which answer it is depends on the op
        given = {
            "errno": "errno" if _is_int(result, 0, 4095) else "",
            "count": "count" if _is_int(result, 0, MAX_INT) else "",
            "accepted": "accepted" if (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], str)
                                       and _is_address(result[1])) else "",
            "ready": "ready" if result == "forever" or isinstance(result, tuple) and all(
                isinstance(r, tuple) and len(r) == 2 and isinstance(r[0], str) and _is_int(r[1], 1, 3)
                for r in result) else "",
            "time": "time" if _is_time(result, horizon) else "",
            "choice": "choice" if op == "choose" and _is_int(result, 0, args[1] - 1) else "",
            "name": "name" if isinstance(result, str) and result else "",
        }.get(next((a for a in answers if a not in ("none", "error", "bytes")), ""), "")
    if given not in answers:
        wants = " or ".join(_ANSWER_TEXT[a] for a in answers)
        got = "no answer" if kind is None else f"{kind} = {toml_text(row_value(kind, result))}"
        raise error(key + ((kind,) if kind else ()), f"a {op} step answers {wants}, not {got}")
    if op == "send" and kind != "error" and args and isinstance(args[0], bytes) and result > len(args[0]):
        raise error(key + ("result",), f"a send of {len(args[0])} bytes cannot accept {result}")


_OP_SOCK = {"select": "select", "choose": "loop"}


def row_value(kind: str, value: Any) -> Any:
    return value.hex() if kind == "hex" and isinstance(value, bytes) else value


def toml_text(value: Any) -> str:
    """``value`` as TOML for a message (cut short), never failing."""
    try:
        text = toml_value(list(value) if isinstance(value, tuple) else value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
