"""Instruments: the loop calls the hooks an instrument overrides, and only those."""

from __future__ import annotations

import socket

import pytest

import loopsim
from loopsim.loop.instruments import HOOKS


class Recorder(loopsim.Instrument):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def before_run(self):
        self.events.append(("before_run",))

    def after_run(self):
        self.events.append(("after_run",))

    def task_spawned(self, task):
        self.events.append(("spawned", task.name))

    def before_task_step(self, task):
        self.events.append(("step", task.name))

    def after_task_step(self, task):
        self.events.append(("stepped", task.name))

    def task_exited(self, task):
        self.events.append(("exited", task.name, task.done()))

    def before_io_wait(self, timeout):
        self.events.append(("io_wait", timeout))

    def after_io_wait(self, events):
        self.events.append(("io_done", len(events)))


def test_every_hook_is_called_in_order():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    rec = Recorder()

    def child():
        return (yield from loopsim.recv(b, 10))

    def main():
        task = yield from loopsim.spawn(child(), name="child")
        a.send(b"x")
        return (yield from loopsim.join(task))

    try:
        with loopsim.Loop(instruments=[rec]) as loop:
            assert loop.run_until_complete(main()) == b"x"
    finally:
        a.close()
        b.close()

    ev = rec.events
    assert ev[0] == ("spawned", ev[0][1]) and ev[0][1].startswith("main")
    main_name = ev[0][1]
    assert ev[1] == ("before_run",)
    assert ev[-1] == ("after_run",)
    assert ("spawned", "child") in ev
    assert ev.index(("spawned", "child")) < ev.index(("step", "child"))
    # steps come in before/after pairs, one task at a time
    steps = [e for e in ev if e[0] in ("step", "stepped")]
    assert all(steps[i][0] == "step" and steps[i + 1] == ("stepped", steps[i][1]) for i in range(0, len(steps), 2))
    # each task exits once, done, inside a step of its own
    assert ev.count(("exited", "child", True)) == 1
    assert ev.count(("exited", main_name, True)) == 1
    i = ev.index(("exited", "child", True))
    assert ev[i - 1] == ("step", "child") and ev[i + 1] == ("stepped", "child")
    # every select is announced with its timeout and reported with its events
    waits = [e for e in ev if e[0] in ("io_wait", "io_done")]
    assert waits and all(waits[i][0] == "io_wait" and waits[i + 1][0] == "io_done" for i in range(0, len(waits), 2))
    assert any(e[0] == "io_done" and e[1] == 1 for e in waits)  # the recv's socket became ready


def test_an_instrument_that_overrides_nothing_costs_nothing(monkeypatch):
    """The base class's no-op hooks are never even called: the loop skips hooks nobody overrides."""
    calls = []
    for name in HOOKS:
        monkeypatch.setattr(loopsim.Instrument, name, lambda self, *args, _n=name: calls.append(_n))

    class OnlySpawns(loopsim.Instrument):
        def task_spawned(self, task):
            calls.append("overridden task_spawned")

    def main():
        yield from loopsim.sleep(0)
        return 1

    with loopsim.Loop(instruments=[loopsim.Instrument(), OnlySpawns()]) as loop:
        assert loop.run_until_complete(main()) == 1
    assert calls == ["overridden task_spawned"]


@pytest.mark.parametrize("hook", ["before_task_step", "task_exited"])
def test_several_instruments_are_called_in_the_order_given(hook):
    calls = []

    def make(tag):
        return type(f"I{tag}", (loopsim.Instrument,), {hook: lambda self, task: calls.append(tag)})()

    with loopsim.Loop(instruments=[make("first"), make("second")]) as loop:
        loop.run_until_complete(loopsim.sleep(0))
    assert calls[:2] == ["first", "second"]
