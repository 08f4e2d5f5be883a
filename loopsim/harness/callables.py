# loopsim.harness.callables: resolve "module:function" specs (drivers, properties) and check what they are.
# Owns: import_spec, check_driver, checked_property. Imports: stdlib, loopsim.loop.errors.
"""``"scenarios.drivers:proxy_world"`` -> the function, or an :class:`InputError` naming the part at fault.

A scenario file names code to import and run, as a ``conftest.py`` does: the
import runs the module's top level. What can be checked without running the
function is checked here: a driver must be a Python function (not a class, a
builtin such as ``sys:exit`` or ``os:system``, or another callable object), and
a property's answer must be ``str | None``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Any, Callable

from loopsim.loop.errors import InputError

__all__ = ["import_spec", "check_driver", "checked_property"]


def import_spec(spec: str, what: str = "app") -> Callable[..., Any]:
    """Import ``"module:function"``; raise :class:`InputError` saying what is missing.

    An app or property must be a function defined in Python (``def`` or ``async def``); a
    property comes back wrapped by :func:`checked_property`.
    """
    module_name, sep, func_name = spec.partition(":")
    if not sep or not module_name or not func_name:
        raise InputError(f"{what} {spec!r}: expected the form module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"{what} {spec!r}: cannot import module {module_name!r}: {exc}") from None
    except (Exception, SystemExit) as exc:  # the module's own code failed while importing
        raise InputError(f"{what} {spec!r}: importing module {module_name!r} raised "
                         f"{type(exc).__name__}: {exc}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise InputError(f"{what} {spec!r}: module {module_name!r} has no function {func_name!r}")
    if what in ("app", "property") and not inspect.isfunction(func):
        raise InputError(f"{what} {spec!r}: {func_name!r} is a {type(func).__name__}, not a function "
                         f"defined with def or async def")
    if what == "app":
        return check_driver(func, spec)
    if what == "property":
        return checked_property(func, spec)
    return func  # type: ignore[no-any-return]


def check_driver(func: Callable[..., Any], spec: str) -> Callable[..., Any]:
    """A driver is ``function(net, **args)`` returning the main task's generator (or coroutine).

    It must take the network as its first argument. A generator or ``async def`` function is
    returned as it is; a plain function comes back wrapped so that returning anything but a
    generator or a coroutine is an :class:`InputError` naming the driver.
    """
    params = list(inspect.signature(func).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if not positional:
        raise InputError(f"app {spec!r}: a driver takes the network as its first argument: "
                         f"def {func.__name__}(net, **args)")
    if inspect.isgeneratorfunction(func) or inspect.iscoroutinefunction(func):
        return func

    @functools.wraps(func)
    def driver(*args: Any, **kwargs: Any) -> Any:
        main = func(*args, **kwargs)
        if not (inspect.isgenerator(main) or inspect.iscoroutine(main)):
            raise InputError(f"app {spec!r} returned {type(main).__name__}, not a generator or a coroutine: "
                             "a driver returns the main task (def with yield, or async def)")
        return main

    return driver


def checked_property(func: Callable[..., Any], spec: str) -> Callable[..., Any]:
    """``func`` wrapped so that an answer other than ``str | None`` is an :class:`InputError`."""

    @functools.wraps(func)
    def prop(outcome: Any) -> str | None:
        answer = func(outcome)
        if answer is not None and not isinstance(answer, str):
            raise InputError(f"property {spec!r} returned {type(answer).__name__} {answer!r}; a property "
                             "returns None when it holds, or a string saying what is wrong")
        return answer

    return prop
