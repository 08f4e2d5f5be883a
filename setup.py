# setup.py: the optional compiled core. Everything else about the package is in pyproject.toml.
"""``LOOPSIM_MYPYC=1 pip install .`` compiles the hot path - the loop and the
simulated network - with mypyc (a C compiler and the Python headers needed);
without it the package is pure Python. Both behave the same; the test suite
runs the compiled build too (tests/test_compiled.py).
"""

import os

from setuptools import setup

# The modules of the select -> resume path and of the simulated socket calls. Not compiled: the
# public API's input checking (config, errors), the fault registry (faults: its kinds are subclassed in
# Python), the operations tasks `yield from` (ops: real generators, so tracebacks and Task.where show their frames) and the harness, which stay plain Python.
COMPILED_MODULES = [
    "loopsim/loop/requests.py", "loopsim/loop/waits.py", "loopsim/loop/task.py", "loopsim/loop/registrations.py",
    "loopsim/loop/epoll.py", "loopsim/loop/eventloop.py",
    "fakes/clock.py", "fakes/prng.py", "fakes/trace.py", "fakes/socket.py", "fakes/socket_table.py",
    "fakes/timeline.py", "fakes/tcp_state.py", "fakes/tcp_segments.py", "fakes/tcp_calls.py", "fakes/network.py",
    "fakes/selector.py",
]


def ext_modules():  # type: ignore[no-untyped-def]
    if os.environ.get("LOOPSIM_MYPYC", "0").strip() in ("", "0"):
        return []
    from mypyc.build import mypycify

    return mypycify(COMPILED_MODULES, opt_level="3")


setup(ext_modules=ext_modules())
