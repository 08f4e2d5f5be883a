"""Running the loop: run(), run_until_complete(), loopsim.run(), and how task errors are reported."""

from __future__ import annotations

import logging
import selectors
import socket

import pytest

import loopsim


class Boom(Exception):
    pass


def crash(msg, checkpoints=1):
    for _ in range(checkpoints):
        yield from loopsim.sleep(0)
    raise Boom(msg)


def count(log, name, n=3):
    for i in range(n):
        yield from loopsim.sleep(0)
        log.append(f"{name}{i}")
    return n


# -- one task's exception does not stop the others ------------------------------------------------


def test_one_task_exception_does_not_stop_the_others(caplog):
    log = []
    with loopsim.Loop() as loop:
        loop.spawn(crash("first one dies"), name="crasher")
        survivor = loop.spawn(count(log, "s"), name="survivor")
        loop.run()
    assert survivor.result() == 3
    assert log == ["s0", "s1", "s2"]


def test_run_logs_an_unobserved_task_error_with_the_task_name(caplog):
    with loopsim.Loop() as loop:
        loop.spawn(crash("nobody joined me"), name="lonely-crasher")
        with caplog.at_level(logging.ERROR, logger="loopsim"):
            loop.run()
    records = [r for r in caplog.records if r.name == "loopsim"]
    assert len(records) == 1
    assert "lonely-crasher" in records[0].getMessage()
    assert "Boom" in records[0].getMessage() and "nobody joined me" in records[0].getMessage()
    assert records[0].exc_info[0] is Boom  # the traceback is in the log


def test_run_does_not_log_an_error_that_a_task_joined(caplog):
    def parent():
        child = yield from loopsim.spawn(crash("seen"), name="child")
        with pytest.raises(Boom):
            yield from loopsim.join(child)

    with loopsim.Loop() as loop:
        loop.spawn(parent())
        loop.run()
    assert [r for r in caplog.records if r.name == "loopsim"] == []


def test_run_does_not_log_cancelled_tasks(caplog):
    def parent():
        child = yield from loopsim.spawn(loopsim.sleep(3600))
        yield from loopsim.sleep(0)
        child.cancel()

    with loopsim.Loop() as loop:
        loop.spawn(parent())
        loop.run()
    assert [r for r in caplog.records if r.name == "loopsim"] == []


def test_an_error_reported_once_is_not_reported_again(caplog):
    with loopsim.Loop() as loop:
        loop.spawn(crash("once"), name="c")
        loop.run()
        loop.spawn(count([], "x", 1))
        loop.run()
    assert len([r for r in caplog.records if r.name == "loopsim"]) == 1


# -- run_until_complete ---------------------------------------------------------------------------


def test_run_until_complete_returns_the_value():
    with loopsim.Loop() as loop:
        assert loop.run_until_complete(count([], "x")) == 3


def test_run_until_complete_raises_the_error_and_does_not_also_log_it(caplog):
    with loopsim.Loop() as loop:
        with pytest.raises(Boom, match="main failed"):
            loop.run_until_complete(crash("main failed"))
    assert [r for r in caplog.records if r.name == "loopsim"] == []


def test_run_until_complete_stops_when_its_task_ends_and_leaves_the_others():
    log = []
    with loopsim.Loop() as loop:
        other = loop.spawn(count(log, "o", 10))
        assert loop.run_until_complete(count([], "m", 2)) == 2
        assert not other.done()
        loop.run()
        assert other.result() == 10


def test_a_loop_can_run_again_after_it_finished():
    with loopsim.Loop() as loop:
        assert loop.run_until_complete(count([], "a", 1)) == 1
        assert loop.run_until_complete(count([], "b", 2)) == 2


def test_a_given_selector_is_not_closed_by_the_loop():
    with selectors.DefaultSelector() as selector:
        with loopsim.Loop(selector=selector) as loop:
            loop.run_until_complete(count([], "x", 1))
        assert selector.get_map() is not None  # still open


# -- loopsim.run --------------------------------------------------------------------------------


def test_loopsim_run_returns_the_value_and_raises_the_error():
    assert loopsim.run(count([], "x")) == 3
    with pytest.raises(Boom):
        loopsim.run(crash("main"))


def test_loopsim_run_cancels_leftover_tasks_and_runs_their_finally_blocks():
    log = []

    def leftover(name):
        try:
            yield from loopsim.sleep(3600)
        finally:
            log.append(f"{name} cleaned up")

    def main():
        yield from loopsim.spawn(leftover("a"))
        yield from loopsim.spawn(leftover("b"))
        yield from loopsim.sleep(0)
        return "main done"

    assert loopsim.run(main()) == "main done"
    assert sorted(log) == ["a cleaned up", "b cleaned up"]


def test_loopsim_run_leftover_finally_blocks_may_still_use_the_loop():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)

    def leftover():
        try:
            yield from loopsim.recv(a, 10)
        finally:
            yield from loopsim.sendall(a, b"bye")  # a graceful goodbye still runs
            a.close()

    def main():
        yield from loopsim.spawn(leftover())
        yield from loopsim.sleep(0)

    try:
        loopsim.run(main())
        assert b.recv(10) == b"bye"
        assert a.fileno() == -1
    finally:
        a.close()
        b.close()


def test_loopsim_run_leftovers_that_crash_while_cleaning_up_are_logged(caplog):
    def leftover():
        try:
            yield from loopsim.sleep(3600)
        finally:
            raise Boom("cleanup failed")

    def main():
        yield from loopsim.spawn(leftover(), name="messy")
        yield from loopsim.sleep(0)
        return 1

    assert loopsim.run(main()) == 1
    assert "messy" in caplog.text and "cleanup failed" in caplog.text


def test_keyboard_interrupt_in_a_task_stops_the_loop():
    def interrupted():
        yield from loopsim.sleep(0)
        raise KeyboardInterrupt

    with loopsim.Loop() as loop:
        task = loop.spawn(interrupted())
        with pytest.raises(KeyboardInterrupt):
            loop.run()
        assert task.done()
