"""The public API is typed (``py.typed``): the packages type-check with the mypy the test extra pins.

The compiled build (tests/test_compiled.py) needs this of its own modules; this
checks the whole of loopsim, fakes and the plugins, so the annotations users
see stay true.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Builds and type-checks take minutes: `tox -e compiled` / `tox -e typing` (and .ci/run) run them.
pytestmark = pytest.mark.slow


def test_the_packages_type_check(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "loopsim", "fakes", "_loopsim_pytestplugin.py", "_loopsim_hypothesis.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
