# loopsim.loop._compiled: what the optional mypyc build of the loop layer needs from its source.
# Owns: mypyc_attr (a no-op unless mypy_extensions is installed). Imports: stdlib (mypy_extensions if present).
"""The optional compiled core (see the README, "Speed: the compiled core").

``LOOPSIM_MYPYC=1 pip install .`` compiles the hot modules of the loop layer with
mypyc; a plain install runs them as Python. Behaviour is the same either way.
``mypyc_attr(allow_interpreted_subclasses=True)`` marks the classes users may
subclass; without mypy_extensions (a plain install) it does nothing.
"""

from __future__ import annotations

from typing import Any

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # pragma: no cover - mypy_extensions is present wherever mypyc compiles
    def mypyc_attr(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        return lambda cls: cls

__all__ = ["mypyc_attr"]
