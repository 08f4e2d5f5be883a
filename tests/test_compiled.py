"""The compiled core (``LOOPSIM_MYPYC=1 pip install .``) behaves exactly as the Python source does.

One test: build the compiled package from a copy of this tree with the mypyc
the ``test`` extra installs, then run this whole test suite against it in a
subprocess (without coverage, which cannot see compiled code). The suite's
own run measures the Python source; this one proves the build users get for
speed passes every same test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Builds and type-checks take minutes: `tox -e compiled` / `tox -e typing` (and .ci/run) run them.
pytestmark = pytest.mark.slow
# What building and testing the package needs from the tree (not .git, .venv or build leftovers).
SOURCES = ["pyproject.toml", "setup.py", "_build", "README.md", "LICENSE", "MANIFEST.in", "loopsim", "fakes", "scenarios",
           "_loopsim_pytestplugin.py", "_loopsim_hypothesis.py"]
FOR_TESTS = ["tests", "docs", ".ci", "pyproject.toml", "README.md", "benchmarks", "scenarios", "tools"]  # scenarios: not installed
_IGNORE = shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info", "build", ".hypothesis")


def _copy(names: list[str], dest: Path) -> None:
    for name in names:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=_IGNORE, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / name)


def test_the_compiled_build_passes_the_whole_suite(tmp_path: Path) -> None:
    src, target = tmp_path / "src", tmp_path / "site"
    src.mkdir()
    _copy(SOURCES, src)
    env = {**os.environ, "LOOPSIM_MYPYC": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(src)],
        env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, f"the mypyc build failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    compiled = sorted(p.name.split(".")[0] for p in (target / "fakes").glob("*.so"))
    assert {"network", "selector", "socket", "tcp_calls", "tcp_state"} <= set(compiled), compiled

    _copy(FOR_TESTS, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE", "PYTEST_"))}
    env["PYTHONPATH"] = str(target)
    check = subprocess.run(
        [sys.executable, "-c", "import loopsim, fakes; print(loopsim.COMPILED, fakes.COMPILED, loopsim.__file__)"],
        cwd=target, env=env, capture_output=True, text=True, timeout=120)
    assert check.stdout.split()[:2] == ["True", "True"], check.stdout + check.stderr
    assert check.stdout.split()[2].startswith(str(target)), check.stdout

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "-m", "not slow",
         "--ignore=tests/test_packaging.py",  # builds from the source tree, which an installed copy is not
         "tests", "scenarios"],
        cwd=target, env=env, capture_output=True, text=True, timeout=900)
    tail = suite.stdout[-4000:] + suite.stderr[-2000:]
    assert suite.returncode == 0, f"the suite failed on the compiled build:\n{tail}"
    assert " passed" in suite.stdout and " failed" not in suite.stdout, tail
