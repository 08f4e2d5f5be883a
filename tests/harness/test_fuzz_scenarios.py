"""Mutated scenario files (structure-aware and byte-level) end as a clean one-line error naming the file,
a pass or a fail: never a traceback, an InternalError, a hang or a huge allocation.

The mutators are tools/fuzz_scenarios.py's (the long campaign runs each case in a subprocess under CPU
and memory limits); here hypothesis drives them in-process, each case under a CPU-time alarm.
"""

import importlib.util
import random
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("fuzz_scenarios", ROOT / "tools" / "fuzz_scenarios.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))
CASE_SECONDS = 5


class Hang(BaseException):
    """Raised by the alarm: a case used more than CASE_SECONDS of CPU time."""


@pytest.fixture(scope="module")
def texts():
    return [p.read_text() for p in BUNDLED if "thousand" not in p.name] + [fuzz.replay_source(str(BUNDLED[0]))]


def run_with_alarm(path):
    def ring(signum, frame):
        raise Hang()

    # CPU time (ITIMER_PROF), not wall time: a loaded machine must not turn a slow case into a "hang"
    old = signal.signal(signal.SIGPROF, ring)
    signal.setitimer(signal.ITIMER_PROF, CASE_SECONDS)
    try:
        cls, detail = fuzz.run_case(str(path))
    except Hang:
        cls, detail = "anything else", "escaped Hang"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
    return (cls, f"hang: more than {CASE_SECONDS} CPU s") if detail.startswith("escaped Hang") else (cls, detail)


def check(tmp_path, data):
    path = tmp_path / "case.toml"
    path.write_bytes(data)
    cls, detail = run_with_alarm(path)
    assert cls in ("clean error", "pass", "fail"), (detail, data.decode("utf-8", "replace"))
    return cls


# (tools/fuzz_scenarios.py runs the long campaign)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


@FUZZ
@given(st.randoms(use_true_random=False), st.integers(0, 10**6))
def test_structure_aware_mutations(tmp_path, texts, rng, pick):
    check(tmp_path, fuzz.mutate_structure(rng, texts[pick % len(texts)]).encode())


@FUZZ
@given(st.randoms(use_true_random=False), st.integers(0, 10**6))
def test_byte_level_mutations(tmp_path, texts, rng, pick):
    check(tmp_path, fuzz.mutate_bytes(rng, texts[pick % len(texts)].encode()))


def test_the_classifier_tells_clean_errors_from_everything_else(tmp_path):
    p = "f.toml"
    assert fuzz.classify(2, "loopsim replay: f.toml:3: app: wrong\n", p) == ("clean error", "")
    assert fuzz.classify(2, "loopsim replay: app 'x': wrong\n", p)[0] == "anything else"
    assert fuzz.classify(2, "loopsim replay: f.toml:3: a\nmore\n", p)[0] == "anything else"
    assert fuzz.classify(1, "Traceback (most recent call last):\n", p)[0] == "anything else"
    assert fuzz.classify(1, "  - task 'main' died: ValueError: x\n", p)[0] == "anything else"
    assert fuzz.classify(0, "", p) == ("pass", "") and fuzz.classify(1, "  - max_time: took\n", p) == ("fail", "")
    assert fuzz.classify(None, "", p, "escaped SystemExit: 3") == ("anything else", "escaped SystemExit: 3")
    # a driver that spins forever is caught by the alarm, not a hung test
    (tmp_path / "spin_driver.py").write_text("def world(net):\n    while True:\n        pass\n    yield\n")
    import sys
    sys.path.insert(0, str(tmp_path))
    try:
        case = tmp_path / "spin.toml"
        case.write_text('format = "loopsim-scenario/1"\n[app]\ndriver = "spin_driver:world"\n[network]\n'
                        '[expect]\nmax_time = 1\n')
        global CASE_SECONDS
        CASE_SECONDS, saved = 0.5, CASE_SECONDS
        try:
            assert run_with_alarm(case) == ("anything else", "hang: more than 0.5 CPU s")
        finally:
            CASE_SECONDS = saved
    finally:
        sys.path.remove(str(tmp_path))


def test_mutations_are_deterministic_for_a_seed(texts):
    a = fuzz.mutate(random.Random("7:3"), texts[0])
    assert a == fuzz.mutate(random.Random("7:3"), texts[0])
    assert fuzz.render({"a": 1, "t": {"x": float("nan")}, "arr": [{"y": "z"}]}) == \
        'a = 1\n\n[t]\nx = nan\n\n[[arr]]\ny = "z"\n'
