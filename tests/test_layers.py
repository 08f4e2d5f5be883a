"""The three layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) are kept,
each contract breaks when the import it forbids is added, and the loop layer and fakes import the
standard library only."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())", "--no-cache"]
# What the stdlib-only layers may import beyond the standard library: the no-op shim of the optional
# compiled build imports mypy_extensions when it is there (loopsim/loop/_compiled.py, fakes/_compiled.py).
ALLOWED_EXTERNAL = {"mypy_extensions"}


def lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(LINT, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_layer_contracts_are_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "4 kept, 0 broken" in result.stdout


def _tree(tmp_path: Path) -> Path:
    for name in ("loopsim", "fakes", "scenarios"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("module, line, contract", [
    ("fakes/clock.py", "import loopsim", "fakes stands alone"),
    ("fakes/clock.py", "import hypothesis", "fakes stands alone"),
    ("loopsim/loop/task.py", "import fakes", "the loop layer"),
    ("loopsim/loop/task.py", "import pytest", "the loop layer"),
    ("loopsim/harness/gate.py", "import scenarios.drivers", "loopsim never imports the bundled scenarios"),
    ("loopsim/loop/clock.py", "import loopsim.harness.gate", "the harness sits on"),
], ids=["fakes->loopsim", "fakes->hypothesis", "loop->fakes", "loop->pytest", "loopsim->scenarios",
        "loop->harness"])
def test_each_contract_breaks_on_the_import_it_forbids(tmp_path: Path, module: str, line: str,
                                                       contract: str) -> None:
    tree = _tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # the forbidden import\n")
    result = lint(tree)
    assert result.returncode == 1, result.stdout[-3000:]
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith(" BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), result.stdout[-3000:]


@pytest.mark.parametrize("layer", ["loopsim.loop", "fakes"])
def test_the_stdlib_only_layers_import_only_the_standard_library(layer: str) -> None:
    graph = grimp.build_graph("loopsim", "fakes", include_external_packages=True)
    external = set()
    for module in sorted(graph.find_descendants(layer) | {layer}):
        for imported in graph.find_modules_directly_imported_by(module):
            top = imported.split(".")[0]
            if top not in ("loopsim", "fakes"):
                external.add(top)
    assert external - set(sys.stdlib_module_names) <= ALLOWED_EXTERNAL, sorted(external)
