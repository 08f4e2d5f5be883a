"""Finalization: tasks a run leaves behind end on every exit path, Deadlock included: their finally blocks
run (newest task first), what they close is closed, and their errors are logged once with the task's
name - never printed at garbage collection as "Exception ignored"."""

from __future__ import annotations

import gc
import logging
import math
import socket
import sys

import pytest

import fakes
import loopsim
from loopsim.loop.task import CLOSE_ATTEMPTS


class Boom(Exception):
    pass


@pytest.fixture
def unraisable(monkeypatch):
    """What Python would print as "Exception ignored in ..." (at gc.collect(), after the test's own checks)."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def collected(unraisable) -> list[str]:
    gc.collect()
    return [f"{u.exc_type.__name__}: {u.exc_value} in {u.object!r}" for u in unraisable]


def forever():
    yield from loopsim.sleep(math.inf)


def holder(name, sock, log):
    """Waits forever holding ``sock``; its finally block closes it."""
    try:
        yield from forever()
    finally:
        sock.close()
        log.append(name)


def loop_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "loopsim"]


# -- finally blocks run, sockets are closed ------------------------------------------------------


def test_a_deadlocked_run_closes_the_real_sockets_its_tasks_hold(unraisable):
    pairs = [socket.socketpair() for _ in range(3)]
    log: list[str] = []
    with loopsim.Loop() as loop:
        for i, (a, _) in enumerate(pairs):
            loop.spawn(holder(f"t{i}", a, log), name=f"t{i}")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
        assert loop.tasks() == []
    try:
        assert [a.fileno() for a, _ in pairs] == [-1, -1, -1]
        assert [b.recv(1) for _, b in pairs] == [b"", b"", b""]  # the peers see EOF
    finally:
        for a, b in pairs:
            a.close()
            b.close()
    assert log == ["t2", "t1", "t0"]
    assert collected(unraisable) == []


def test_a_join_cycle_deadlock_under_loopsim_run_finalizes_every_task_newest_first(unraisable):
    log: list[str] = []
    tasks: dict[str, loopsim.Task] = {}
    a, b = socket.socketpair()

    def joiner(name, other):
        try:
            yield from loopsim.sleep(0)
            yield from loopsim.join(tasks[other])
        finally:
            log.append(name)

    def main():
        try:
            tasks["x"] = yield from loopsim.spawn(joiner("x", "y"), name="x")
            tasks["y"] = yield from loopsim.spawn(joiner("y", "x"), name="y")
            tasks["z"] = yield from loopsim.spawn(holder("z", a, log), name="z")
            yield from loopsim.join(tasks["x"])
        finally:
            log.append("main")

    try:
        with pytest.raises(loopsim.Deadlock) as info:
            loopsim.run(main())
        assert a.fileno() == -1
    finally:
        a.close()
        b.close()
    assert [name for name, _, _ in info.value.blocked] == ["main-1", "x", "y", "z"]  # the report: spawn order
    assert log == ["z", "y", "x", "main"]  # finalization: newest first
    assert all(t.cancelled() for t in tasks.values())
    assert collected(unraisable) == []


def test_a_virtual_time_deadlock_closes_the_fake_sockets_in_finally_blocks():
    net = fakes.FakeNetwork(seed=3)
    listener = net.listen(("server", 80))

    def server():
        conn, _ = yield from loopsim.accept(listener)
        try:
            yield from loopsim.recv(conn, 100)  # nobody sends
        finally:
            conn.close()

    def client():
        sock = net.socket("client")
        try:
            yield from loopsim.connect(sock, ("server", 80))
            yield from loopsim.recv(sock, 100)  # nobody answers
        finally:
            sock.close()

    with loopsim.Loop(selector=net.selector(), clock=net.clock) as loop:
        loop.spawn(server(), name="server")
        loop.spawn(client(), name="client")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    listener.close()
    assert net.open_sockets() == []


def test_run_until_complete_leaves_the_other_tasks_for_a_later_run_and_close_finalizes_them(unraisable):
    log: list[str] = []
    a, b = socket.socketpair()

    def main():
        yield from loopsim.spawn(holder("bg", a, log), name="bg")
        yield from loopsim.sleep(0)  # bg starts (a task that never ran has no finally block to run)
        return "done"

    loop = loopsim.Loop()
    try:
        assert loop.run_until_complete(main()) == "done"
        (bg,) = loop.tasks()
        assert log == [] and a.fileno() != -1  # still running: a later run may go on with it
        loop.close()
        assert log == ["bg"] and a.fileno() == -1
        assert bg.cancelled() and loop.tasks() == []
        loop.close()  # twice: nothing more
    finally:
        a.close()
        b.close()
    assert collected(unraisable) == []


def test_leaving_a_with_block_finalizes_the_tasks_left():
    log: list[str] = []
    a, b = socket.socketpair()
    with loopsim.Loop() as loop:
        loop.spawn(holder("bg", a, log), name="bg")
        loop.run_until_complete(loopsim.sleep(0))
    assert log == ["bg"] and a.fileno() == -1
    b.close()


def test_a_run_stopped_by_keyboard_interrupt_finalizes_the_others_first():
    log: list[str] = []
    a, b = socket.socketpair()

    def interrupted():
        yield from loopsim.sleep(0)
        raise KeyboardInterrupt

    with loopsim.Loop() as loop:
        loop.spawn(holder("bg", a, log), name="bg")
        loop.spawn(interrupted(), name="ctrl-c")
        with pytest.raises(KeyboardInterrupt):
            loop.run()
        assert loop.tasks() == []
    assert log == ["bg"] and a.fileno() == -1
    b.close()


def test_an_instrument_that_raises_ends_the_run_and_the_tasks_are_finalized():
    log: list[str] = []
    a, b = socket.socketpair()

    class Stop(loopsim.Instrument):
        def after_task_step(self, task):
            if task.name == "bg":
                raise Boom("instrument says stop")

    with loopsim.Loop(instruments=[Stop()]) as loop:
        loop.spawn(holder("bg", a, log), name="bg")
        with pytest.raises(Boom):
            loop.run()
    assert log == ["bg"] and a.fileno() == -1
    b.close()


def test_instruments_see_every_finalized_task_exit():
    exited: list[tuple[str, bool]] = []

    class Exits(loopsim.Instrument):
        def task_exited(self, task):
            exited.append((task.name, task.cancelled()))

    with loopsim.Loop(instruments=[Exits()]) as loop:
        loop.spawn(forever(), name="a")
        loop.spawn(forever(), name="b")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    assert exited == [("b", True), ("a", True)]


def test_a_finalized_task_says_why_it_ended():
    with loopsim.Loop() as loop:
        task = loop.spawn(forever(), name="a")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    assert str(task.exception()) == "task 'a' was finalized: the run ended by Deadlock"
    with loopsim.Loop() as loop:
        loop.spawn(forever(), name="b")
        loop.run_until_complete(loopsim.sleep(0))
        (task,) = loop.tasks()
    assert str(task.exception()) == "task 'b' was finalized: the loop was closed"


def test_the_loop_can_run_again_after_a_deadlock():
    with loopsim.Loop() as loop:
        loop.spawn(forever(), name="stuck")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
        assert loop.run_until_complete(loopsim.now()) >= 0  # no stale ready task, timer or waiter


def test_closing_a_running_loop_is_a_usage_error_in_the_task():
    def closer(loop):
        loop.close()
        yield

    with loopsim.Loop() as loop:
        with pytest.raises(loopsim.UsageError, match="cannot close a running loop"):
            loop.run_until_complete(closer(loop))


# -- errors in finally blocks are reported once, with the task's name -----------------------------


def test_a_finally_block_that_raises_is_logged_once_with_the_task_name(caplog, unraisable):
    log: list[str] = []

    def messy():
        try:
            yield from forever()
        finally:
            log.append("messy")
            raise Boom("cleanup failed")

    with loopsim.Loop() as loop:
        task = loop.spawn(messy(), name="messy")
        loop.spawn(forever(), name="tidy")
        with pytest.raises(loopsim.Deadlock):  # the run's own error is not replaced
            loop.run()
    assert log == ["messy"]
    records = loop_errors(caplog)
    assert len(records) == 1
    assert records[0].getMessage() == "task 'messy' raised Boom: cleanup failed"
    assert records[0].exc_info[1] is task.exception()
    assert collected(unraisable) == []


def test_an_error_of_finalization_at_close_is_logged_once_and_kept_on_the_task(caplog):
    def messy():
        try:
            yield from forever()
        finally:
            raise Boom("cleanup failed")

    with loopsim.Loop() as loop:
        loop.spawn(messy(), name="messy")
        loop.run_until_complete(loopsim.sleep(0))
        (task,) = loop.tasks()
    assert [r.getMessage() for r in loop_errors(caplog)] == ["task 'messy' raised Boom: cleanup failed"]
    assert isinstance(task.exception(), Boom)


def test_an_error_of_finalization_an_instrument_looks_at_is_not_logged(caplog):
    def messy():
        try:
            yield from forever()
        finally:
            raise Boom("cleanup failed")

    class Look(loopsim.Instrument):
        def task_exited(self, task):
            task.exception()  # looked at: the loop does not log it

    with loopsim.Loop(instruments=[Look()]) as loop:
        loop.spawn(messy(), name="messy")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    assert loop_errors(caplog) == []


def test_a_finally_block_that_waits_is_a_usage_error_naming_the_task(caplog, unraisable):
    log: list[str] = []
    a, b = socket.socketpair()
    a.setblocking(False)

    def polite():
        try:
            yield from forever()
        finally:
            log.append("goodbye")
            yield from loopsim.sendall(a, b"bye")  # the buffer takes it: no wait, so this works
            log.append("sent")
            yield from loopsim.sleep(1)  # a wait: the loop no longer runs
            log.append("never")

    try:
        with loopsim.Loop() as loop:
            task = loop.spawn(polite(), name="polite")
            with pytest.raises(loopsim.Deadlock):
                loop.run()
        assert b.recv(10) == b"bye"
    finally:
        a.close()
        b.close()
    assert log == ["goodbye", "sent"]
    error = task.exception()
    assert isinstance(error, loopsim.UsageError)
    assert str(error) == ("task 'polite' yielded Sleep(seconds=1) in a finally block while it was finalized "
                          "(the run ended by Deadlock); the loop no longer runs then, so a finally block must not wait")
    assert [r.getMessage() for r in loop_errors(caplog)] == [f"task 'polite' raised UsageError: {error}"]
    assert task.gen.gi_frame is None  # finished: nothing left for the garbage collector to close
    assert collected(unraisable) == []


def test_a_waiting_finally_block_in_a_nested_generator_is_finished_too(unraisable):
    log: list[str] = []

    def helper():
        try:
            yield from forever()
        finally:
            log.append("inner finally")
            yield from loopsim.sleep(1)
            log.append("never")

    def outer():
        try:
            yield from helper()
        finally:
            log.append("outer finally")

    with loopsim.Loop() as loop:
        task = loop.spawn(outer(), name="outer")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    assert log == ["inner finally", "outer finally"]
    assert "task 'outer' yielded Sleep(seconds=1)" in str(task.exception())
    assert collected(unraisable) == []


def test_an_error_raised_in_a_nested_finally_block_passes_up_as_yield_from_passes_it(unraisable):
    seen: list[str] = []

    def helper():
        try:
            yield from forever()
        finally:
            raise Boom("inner")

    def outer():
        try:
            yield from helper()
        except Boom as exc:
            seen.append(f"outer saw {exc}")
            raise

    with loopsim.Loop() as loop:
        task = loop.spawn(outer(), name="outer")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    assert seen == ["outer saw inner"]
    assert str(task.exception()) == "inner"
    assert collected(unraisable) == []


def test_a_generator_that_swallows_generator_exit_forever_is_reported_and_left(caplog, unraisable):
    def stubborn():
        while True:
            try:
                yield from forever()
            except GeneratorExit:
                pass

    with loopsim.Loop() as loop:
        task = loop.spawn(stubborn(), name="stubborn")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
    message = str(task.exception())
    assert message.startswith("task 'stubborn' yielded Sleep(seconds=inf) in a finally block")
    assert message.endswith(f"(it kept yielding: left suspended after {CLOSE_ATTEMPTS} GeneratorExits)")
    assert len(loop_errors(caplog)) == 1
    # The one case left to the garbage collector: Python's own close() of it complains there.
    gen, task = task.gen, None
    del gen
    assert [u.split(" in ")[0] for u in collected(unraisable)] == ["RuntimeError: generator ignored GeneratorExit"]


def test_keyboard_interrupt_in_a_finally_block_is_raised_once_every_task_is_finalized():
    log: list[str] = []

    def interrupting():
        try:
            yield from forever()
        finally:
            raise KeyboardInterrupt

    with loopsim.Loop() as loop:
        loop.spawn(holder("older", socket.socket(), log), name="older")
        loop.spawn(interrupting(), name="newer")
        with pytest.raises(KeyboardInterrupt) as info:
            loop.run()
        assert loop.tasks() == []
    assert log == ["older"]  # finalized after the interrupt, before it propagates
    assert isinstance(info.value.__context__, loopsim.Deadlock)


def test_a_finally_block_that_spawns_during_finalization_gets_its_task_finalized_too():
    started: list[str] = []

    def child():
        started.append("child ran")
        yield

    def parent(loop):
        try:
            yield from forever()
        finally:
            loop.spawn(child(), name="child")

    with loopsim.Loop() as loop:
        loop.spawn(parent(loop), name="parent")
        with pytest.raises(loopsim.Deadlock):
            loop.run()
        assert loop.tasks() == []
    assert started == []  # closed before it ever ran


# -- loopsim.run's normal exit: leftovers are cancelled and run, newest first ----------------------


def test_loopsim_run_cancels_leftovers_newest_first_and_their_finally_blocks_may_wait():
    log: list[str] = []

    def leftover(name):
        try:
            yield from forever()
        finally:
            yield from loopsim.sleep(0)  # the loop still runs: a wait is fine here
            log.append(name)

    def main():
        for name in ("a", "b", "c"):
            yield from loopsim.spawn(leftover(name), name=name)
        yield from loopsim.sleep(0)
        return "main done"

    assert loopsim.run(main()) == "main done"
    assert log == ["c", "b", "a"]


def test_loopsim_run_finalizes_leftovers_whose_cleanup_deadlocks(unraisable):
    log: list[str] = []

    def stuck_cleanup():
        try:
            yield from forever()
        finally:
            try:
                yield from forever()  # waits while cancelled: a deadlock of the cleanup run
            finally:
                log.append("finalized")

    def main():
        yield from loopsim.spawn(stuck_cleanup(), name="stuck")
        yield from loopsim.sleep(0)

    with pytest.raises(loopsim.Deadlock, match="'stuck'"):
        loopsim.run(main())
    assert log == ["finalized"]
    assert collected(unraisable) == []
