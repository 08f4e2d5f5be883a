# loopsim.spec: resolve "module:function" specs (drivers, properties) with errors that say what is missing.
# Owns: import_spec. Imports: stdlib, loopsim.errors.
"""``"scenarios.drivers:proxy_world"`` -> the function, or an :class:`InputError` naming the part at fault."""

from __future__ import annotations

import importlib
from typing import Any, Callable

from loopsim.loop.errors import InputError

__all__ = ["import_spec"]


def import_spec(spec: str, what: str = "app") -> Callable[..., Any]:
    """Import ``"module:function"``; raise :class:`InputError` saying what is missing."""
    module_name, sep, func_name = spec.partition(":")
    if not sep or not module_name or not func_name:
        raise InputError(f"{what} {spec!r}: expected the form module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"{what} {spec!r}: cannot import module {module_name!r}: {exc}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise InputError(f"{what} {spec!r}: module {module_name!r} has no function {func_name!r}")
    return func  # type: ignore[no-any-return]
