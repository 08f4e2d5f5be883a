"""A deadlock is reported as loopsim.Deadlock naming every blocked task, where it waits and for what."""

from __future__ import annotations

import pytest

import loopsim


def line_of(func, marker: str) -> int:
    """The line number of the first source line of ``func`` containing ``marker``."""
    import inspect

    lines, start = inspect.getsourcelines(func)
    for offset, text in enumerate(lines):
        if marker in text:
            return start + offset
    raise AssertionError(marker)


def test_two_tasks_joining_each_other_is_a_deadlock_naming_both_with_file_and_line():
    tasks = {}

    def a():
        yield from loopsim.sleep(0)
        yield from loopsim.join(tasks["b"])  # a waits here

    def b():
        yield from loopsim.sleep(0)
        yield from loopsim.join(tasks["a"])  # b waits here

    with loopsim.Loop() as loop:
        tasks["a"] = loop.spawn(a(), name="a")
        tasks["b"] = loop.spawn(b(), name="b")
        with pytest.raises(loopsim.Deadlock) as info:
            loop.run()
    err = info.value
    assert isinstance(err, loopsim.AppError)
    assert err.blocked == [
        ("a", f"{__file__}:{line_of(a, 'a waits here')}", "task 'b' to finish"),
        ("b", f"{__file__}:{line_of(b, 'b waits here')}", "task 'a' to finish"),
    ]
    message = str(err)
    for name, where, what in err.blocked:
        assert f"task {name!r} at {where} waits for {what}" in message


def test_a_join_on_a_task_that_waits_forever_on_a_join_is_a_deadlock():
    tasks = {}

    def top():
        yield from loopsim.join(tasks["middle"])  # top waits

    def middle():
        yield from loopsim.join(tasks["bottom"])  # middle waits

    def bottom():
        yield from loopsim.sleep(0)
        yield from loopsim.join(tasks["middle"])  # bottom waits

    with loopsim.Loop() as loop:
        for name, gen in [("top", top()), ("middle", middle()), ("bottom", bottom())]:
            tasks[name] = loop.spawn(gen, name=name)
        with pytest.raises(loopsim.Deadlock) as info:
            loop.run()
    blocked = {name: (where, what) for name, where, what in info.value.blocked}
    assert blocked == {
        "top": (f"{__file__}:{line_of(top, 'top waits')}", "task 'middle' to finish"),
        "middle": (f"{__file__}:{line_of(middle, 'middle waits')}", "task 'bottom' to finish"),
        "bottom": (f"{__file__}:{line_of(bottom, 'bottom waits')}", "task 'middle' to finish"),
    }


def test_deadlock_through_loopsim_run_names_the_main_task():
    def main():
        me = yield from loopsim.current_task()
        helper = yield from loopsim.spawn(joiner(me), name="helper")
        yield from loopsim.join(helper)  # main waits

    def joiner(task):
        yield from loopsim.join(task)

    with pytest.raises(loopsim.Deadlock) as info:
        loopsim.run(main())
    names = [name for name, _, _ in info.value.blocked]
    assert names[1] == "helper" and names[0].startswith("main")
    assert info.value.blocked[0][1] == f"{__file__}:{line_of(main, 'main waits')}"


def test_a_deadlock_beside_sleeping_tasks_is_reported_once_the_sleepers_are_done():
    """A timer that will fire is not a deadlock; when only the joiners are left, it is."""
    tasks = {}
    log = []

    def sleeper():
        yield from loopsim.sleep(0.001)
        log.append("slept")

    def a():
        yield from loopsim.join(tasks["b"])

    def b():
        yield from loopsim.join(tasks["a"])

    with loopsim.Loop() as loop:
        loop.spawn(sleeper(), name="sleeper")
        tasks["a"] = loop.spawn(a(), name="a")
        tasks["b"] = loop.spawn(b(), name="b")
        with pytest.raises(loopsim.Deadlock) as info:
            loop.run()
    assert log == ["slept"]
    assert [n for n, _, _ in info.value.blocked] == ["a", "b"]
