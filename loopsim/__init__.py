# loopsim: the package users import. Its public names are the loop layer's (loopsim/loop/, stdlib only);
# the harness (loopsim/harness/: scenarios, gate, explore, CLI, pytest items) is imported on demand.
# Owns: the public names. Imports: loopsim.loop only; never the harness, fakes, pytest or hypothesis.
"""loopsim: a generator event loop, and a harness that runs it deterministically.

Tasks are generators that ``yield from`` loopsim's operations::

    import loopsim

    def echo(conn):
        while data := (yield from loopsim.recv(conn, 65536)):
            yield from loopsim.sendall(conn, data)
        conn.close()

The same loop runs on real sockets (``selectors.DefaultSelector``) or on the
fakes (``fakes.FakeNetwork``) in virtual time: ``Loop(selector=..., clock=...)``.
"""

from __future__ import annotations

from .loop import *  # noqa: F401,F403 - the loop layer's public names (loopsim/loop/__init__.py)
from .loop import __all__ as _loop_names
from .loop import eventloop as _eventloop_module

__all__ = [*_loop_names, "COMPILED"]

__version__ = "0.1.0"

#: True when the loop was compiled with mypyc (``LOOPSIM_MYPYC=1 pip install .``; see the README).
COMPILED: bool = not _eventloop_module.__file__.endswith(".py")
