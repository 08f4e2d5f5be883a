"""Each property is searched on its own, with its own share of the budget; properties are importable by name."""

import io

import pytest

import loopsim
from loopsim.explore import explore
from loopsim.loop.errors import InputError
from loopsim.outcome import DEFAULT_PROPERTIES, all_sockets_closed, no_task_died, parse_property, terminates
from scenarios.drivers import proxy_world


def _worker():
    yield from loopsim.sleep(0.001)
    raise ValueError("the worker lost its state")


def dies_quietly(net):
    """A driver whose only bug is a task dying: every run terminates and closes its sockets."""
    task = yield from loopsim.spawn(_worker(), name="worker")
    yield from loopsim.sleep(0.01)
    return {"worker_done": task.done()}


def test_a_bug_only_the_second_property_catches_is_found_within_the_budget():
    report = explore(dies_quietly, {}, properties=[terminates, no_task_died], budget=2.0, database=None)
    first, second = report.searches
    assert (first.property, first.verdict) == ("terminates", "held")
    assert second.property == "no_task_died" and second.finding is not None
    assert "worker: ValueError: the worker lost its state" in second.finding.message
    assert first.runs > 0 and first.elapsed < 2.0


def test_examples_is_per_property_and_exact():
    report = explore(proxy_world, {"session_timeout": 1.0}, properties=[terminates, all_sockets_closed],
                     budget=None, max_examples=7,
                     chunk_examples=5, database=None)
    assert [(s.property, s.runs, s.verdict) for s in report.searches] == [
        ("terminates", 7, "held"), ("all_sockets_closed", 7, "held")]
    assert report.runs == 14


def test_the_budget_bounds_the_whole_call():
    report = explore(proxy_world, {"app": "naive"}, budget=1.5, database=None)
    assert [s.property for s in report.searches] == [*DEFAULT_PROPERTIES, "scenarios.drivers:delivered_intact"]
    assert report.elapsed < 1.5 + 1.0, report.summary()


def test_the_summary_is_a_table_of_every_property_searched(tmp_path):
    report = explore(dies_quietly, {}, properties=[terminates, no_task_died], budget=None, max_examples=20,
                     database=None, out_dir=str(tmp_path))
    table = report.summary().splitlines()
    header = next(line for line in table if line.startswith("property"))
    assert header.split() == ["property", "runs", "time", "result"]
    assert any(line.startswith("terminates") and line.split()[1] == "20" and line.endswith("held")
               for line in table)
    assert any(line.startswith("no_task_died") and f"FAILED -> {tmp_path}" in line for line in table)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_names_the_property_and_redraws_only_on_a_terminal():
    plain, tty = io.StringIO(), _Terminal()
    for stream in (plain, tty):
        explore(proxy_world, {"session_timeout": 1.0}, properties=[terminates, no_task_died], budget=None, max_examples=5,
                database=None, progress=stream)
    lines = plain.getvalue().splitlines()
    assert "\r" not in plain.getvalue() and len(lines) == 2
    assert lines[0].startswith("[1/2] terminates: held after 5 runs in ")
    assert lines[1].startswith("[2/2] no_task_died: held after 5 runs in ")
    assert "\r[1/2] terminates: held after 5 runs" in tty.getvalue()


def test_default_properties_are_generic():
    assert DEFAULT_PROPERTIES == ("terminates", "no_task_died", "all_sockets_closed")
    with pytest.raises(InputError, match="unknown property 'delivered_intact'"):
        parse_property("delivered_intact")
    from scenarios.drivers import delivered_intact

    assert parse_property("scenarios.drivers:delivered_intact").__wrapped__ is delivered_intact


def test_a_driver_declares_its_own_properties_after_the_generic_defaults():
    from loopsim.outcome import default_properties
    from scenarios.drivers import delivered_intact

    props = default_properties(proxy_world)
    assert [getattr(p, "__name__", "") for p in props[:3]] == list(DEFAULT_PROPERTIES)
    assert props[3].__wrapped__ is delivered_intact and len(props) == 4
    assert len(default_properties(dies_quietly)) == 3  # declares none


@pytest.mark.slow
def test_the_drivers_own_property_is_searched_after_the_defaults_and_finds_the_loss():
    report = explore(proxy_world, {"app": "naive", "clients": 1}, budget=None, max_examples=1500, database=None)
    assert [s.property for s in report.searches] == [*DEFAULT_PROPERTIES, "scenarios.drivers:delivered_intact"]
    assert report.searches[-1].finding is not None  # the naive proxy's partial send loses data


@pytest.mark.parametrize("declared, why", [
    ("scenarios.drivers:delivered_intact", "must be a tuple of property names"),
    ((42,), "must be a tuple of property names"),
    (("no_such_module_xyz:prop",), "loopsim_properties: property 'no_such_module_xyz:prop'"),
])
def test_a_bad_property_declaration_is_an_input_error(declared, why):
    from loopsim.outcome import default_properties

    def driver(net):
        yield from loopsim.sleep(0)

    driver.loopsim_properties = declared
    with pytest.raises(InputError, match=why):
        default_properties(driver)


def _in_main(outcome):
    return None


_in_main.__module__ = "__main__"


def _nested():
    def inner(outcome):
        return None

    return inner


@pytest.mark.parametrize("prop, why", [
    (lambda outcome: None, "<lambda>"),
    (_in_main, "__main__:_in_main"),
    (_nested(), "_nested.<locals>.inner"),
])
def test_a_property_not_importable_by_name_is_refused_before_the_search(prop, why):
    runs = []

    def driver(net):  # never run: the error comes first
        runs.append(1)
        yield from loopsim.sleep(0)

    with pytest.raises(InputError, match="cannot be named by module:function") as err:
        explore(driver, {}, properties=[prop], budget=None, max_examples=1, database=None)
    assert why in str(err.value) and "\n" not in str(err.value)
    assert runs == []


def client_got_its_reply(outcome):
    """A user's property over the bytes received (the search runs without the full trace)."""
    if outcome.faults or outcome.error is not None:
        return None
    got = outcome.received.get("client#1", b"")
    return None if got == b"HELLO, SERVER2" else f"client#1 received {got!r}"


def test_a_property_over_received_bytes_has_the_same_verdict_in_the_search_and_on_replay(tmp_path):
    from loopsim.harness.runner import run_scenario
    from loopsim.harness.scenario import load_scenario

    held = explore(proxy_world, {"app": "proxy"}, properties=[client_got_its_reply], budget=None,
                   max_examples=30, database=None)
    assert held.findings == [] and held.runs == 30
    found = explore(proxy_world, {"app": "naive", "client_timeout": 60.0}, properties=[client_got_its_reply],
                    budget=30, database=None, out_dir=str(tmp_path))
    [finding] = found.findings
    assert finding.message.startswith("client#1 received ")
    result = run_scenario(load_scenario(finding.path))
    assert result.status == "fail"
    assert any(f.startswith(f"properties: {__name__}:client_got_its_reply: client#1 received ")
               for f in result.failures), result.failures
