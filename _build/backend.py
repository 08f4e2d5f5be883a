# _build/backend.py: the project's build backend - setuptools', plus mypy as a build requirement when
# LOOPSIM_MYPYC=1 asks for the compiled core (setup.py). Imports: setuptools only.
"""setuptools' PEP 517 backend, asking for mypy only when the compiled core is wanted.

A plain ``pip install .`` (or ``-e .``) needs nothing but setuptools and builds
pure Python; ``LOOPSIM_MYPYC=1 pip install .`` also installs the pinned mypy
into the isolated build environment, and setup.py compiles with its mypyc.
"""

from __future__ import annotations

import os

from setuptools import build_meta as _meta
from setuptools.build_meta import *  # noqa: F401,F403 - the standard hooks, unchanged

MYPY = "mypy==2.4.1"  # the mypyc the compiled core is built and tested with


def _compile_requested() -> bool:
    return os.environ.get("LOOPSIM_MYPYC", "0").strip() not in ("", "0")


# setuptools finds requirements by running setup.py, which imports mypyc when compiling: so when the
# compiled core is asked for, name mypy (and nothing setup.py declares: it declares nothing) directly.

def get_requires_for_build_wheel(config_settings=None):  # type: ignore[no-untyped-def]
    return [MYPY] if _compile_requested() else _meta.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None):  # type: ignore[no-untyped-def]
    return [MYPY] if _compile_requested() else _meta.get_requires_for_build_editable(config_settings)
