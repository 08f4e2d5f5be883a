"""The examples in the README and docs/ run as written."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path):
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), flags=re.S | re.M)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_examples_in_docs_run(path, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for i, code in enumerate(python_blocks(path)):
        exec(compile(code, f"{path.name}[python block {i}]", "exec"), {"__name__": f"doc_{path.stem}_{i}"})


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```sh\n(.*?)^```", readme, flags=re.S | re.M)
    test_cmd = [b.strip() for b in blocks if "pytest" in b]
    assert len(test_cmd) == 1, "the README gives exactly one test command"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd[0] in [line.strip() for line in ci]


def test_the_documented_scenario_format_example_is_a_valid_scenario():
    from loopsim.harness.scenario import parse_scenario

    text = (ROOT / "docs" / "scenarios.md").read_text()
    [example] = re.findall(r"^```toml\n(.*?)^```", text, flags=re.S | re.M)
    sc = parse_scenario(example, "docs/scenarios.md")
    assert sc.mode == "simulate" and sc.network["fault"] and sc.expect.max_time == 30.0
