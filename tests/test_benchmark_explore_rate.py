"""benchmarks/explore_rate.py measures its peer, the search of another tree, in a fresh process of its own:
the README's explore/before figure rests on that process importing the other tree's loopsim, not this one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("explore_rate", ROOT / "benchmarks" / "explore_rate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["explore_rate"] = module
    spec.loader.exec_module(module)
    return module


def _repo(path: Path) -> Path:
    """A git repository of this tree's packages and drivers, one commit (the tests may run on a copy of the
    tree that has no history, as the compiled build's run does)."""
    import shutil
    import subprocess

    for name in ("loopsim", "fakes", "scenarios"):
        shutil.copytree(ROOT / name, path / name, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tree"], check=True)
    return path


def test_a_commit_is_extracted_and_its_search_measured_in_a_process_that_imports_it(tmp_path, monkeypatch):
    bench = _bench()
    monkeypatch.setattr(bench, "ROOT", _repo(tmp_path / "repo"))
    tree = bench.before_tree("HEAD")
    try:
        assert (tree / "loopsim" / "__init__.py").is_file() and (tree / "scenarios" / "drivers.py").is_file()
        assert bench.before_rate(tree, seed=0, seconds=0.3) > 0
    finally:
        import shutil

        shutil.rmtree(tree)


def test_the_peer_must_import_the_tree_it_names(tmp_path):
    """A folder without a loopsim of its own: the peer process would import the installed one; refused."""
    bench = _bench()
    with pytest.raises(SystemExit, match="imported loopsim from"):
        bench.before_rate(tmp_path, seed=0, seconds=0.1)


def test_an_unknown_commit_is_a_one_line_error(tmp_path, monkeypatch):
    bench = _bench()
    monkeypatch.setattr(bench, "ROOT", _repo(tmp_path / "repo"))
    with pytest.raises(SystemExit, match="--before no-such-commit: cannot read that commit"):
        bench.before_tree("no-such-commit")


def test_the_summary_sets_explore_beside_the_search_before(capsys):
    assert _bench().main(["--seconds", "0.3", "--seeds", "1", "--before", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "explore/before median" in out and "explore/bare" in out and "naive proxy's first failure" in out
