"""Bad use of the loop is an error in the offending task, never a dead loop or a hang."""

from __future__ import annotations

import socket

import pytest

import loopsim


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


class ManualClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


# -- yielding what the loop does not understand ------------------------------------------------


@pytest.mark.parametrize("bad", [42, None, "recv", b"bytes"])
def test_yielding_an_unknown_value_throws_bad_request_into_that_task(bad):
    def confused():
        yield bad

    def main():
        task = yield from loopsim.spawn(confused(), name="confused")
        with pytest.raises(loopsim.BadRequest) as info:
            yield from loopsim.join(task)
        return info.value

    err = loopsim.run(main())
    assert isinstance(err, TypeError)
    assert isinstance(err, loopsim.UsageError)
    assert "'confused'" in str(err)
    assert repr(bad) in str(err)


def test_a_task_may_catch_bad_request_and_go_on():
    def forgot_yield_from():
        try:
            yield loopsim.sleep(0)  # a generator, not a request: `yield from` was meant
        except TypeError as exc:
            assert "generator" in str(exc)
        yield from loopsim.sleep(0)
        return "recovered"

    assert loopsim.run(forgot_yield_from()) == "recovered"


def test_bad_request_in_one_task_does_not_stop_the_loop_or_the_others(caplog):
    log = []

    def confused():
        yield object()

    def worker():
        for i in range(3):
            yield from loopsim.sleep(0)
            log.append(i)

    with loopsim.Loop() as loop:
        bad = loop.spawn(confused(), name="confused")
        good = loop.spawn(worker(), name="worker")
        loop.run()
    assert log == [0, 1, 2]
    assert good.result() is None
    assert isinstance(bad.exception(), loopsim.BadRequest)
    assert "'confused'" in caplog.text


def test_waiting_on_something_without_a_fileno_is_a_bad_request():
    class NotASocket:
        def fileno(self):
            raise OSError("no")

    def main():
        with pytest.raises(loopsim.BadRequest, match="not a socket"):
            yield from loopsim.wait_readable(NotASocket())

    loopsim.run(main())


def test_join_of_something_not_a_task_is_a_bad_request():
    def main():
        with pytest.raises(loopsim.BadRequest, match="needs a Task"):
            yield from loopsim.join("task-1")

    loopsim.run(main())


# -- two waiters on the same socket and direction --------------------------------------------


@pytest.mark.parametrize("op", ["read", "write", "either"])
def test_two_tasks_waiting_on_the_same_socket_is_a_usage_error_naming_both(pair, op):
    a, _ = pair
    if op == "write":
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        while True:
            try:
                a.send(b"x" * 65536)
            except BlockingIOError:
                break

    def waiter():
        if op == "read":
            yield from loopsim.wait_readable(a)
        elif op == "write":
            yield from loopsim.wait_writable(a)
        else:
            yield from loopsim.wait_readable(a)  # the bare yield below conflicts with a reader

    def second():
        if op == "either":
            yield a
        else:
            yield from waiter()

    def main():
        first = yield from loopsim.spawn(waiter(), name="first")
        yield from loopsim.sleep(0)
        late = yield from loopsim.spawn(second(), name="second")
        with pytest.raises(loopsim.UsageError) as info:
            yield from loopsim.join(late)
        first.cancel()
        return str(info.value)

    message = loopsim.run(main())
    assert "'first'" in message and "'second'" in message


# -- closed sockets --------------------------------------------------------------------------------


def test_waiting_on_a_closed_socket_is_a_usage_error(pair):
    a, _ = pair
    a.close()

    def main():
        with pytest.raises(loopsim.UsageError, match="closed"):
            yield from loopsim.recv(a, 10)
        return "went on"

    assert loopsim.run(main()) == "went on"


def test_waiting_again_on_a_socket_closed_since_the_last_wait_is_a_usage_error_at_once(pair):
    a, b = pair

    def main():
        b.send(b"one")
        assert (yield from loopsim.recv(a, 10)) == b"one"  # a is registered with the selector now
        a.close()
        with pytest.raises(loopsim.UsageError, match="which is closed"):
            yield from loopsim.recv(a, 10)
        return "went on"

    assert loopsim.run(main()) == "went on"


@pytest.mark.parametrize("later", [False, True], ids=["same-tick", "later-tick"])
def test_socket_closed_by_another_task_while_a_task_waits_on_it(pair, later):
    """The waiter gets a UsageError naming what happened, rather than waiting forever."""
    a, _ = pair
    log = []

    def waiter():
        try:
            yield from loopsim.recv(a, 10)
        except loopsim.UsageError as exc:
            log.append(str(exc))
            return "told"

    def closer():
        if later:
            for _ in range(3):
                yield from loopsim.sleep(0)  # the waiter is registered with the selector by now
        a.close()
        return "closed"
        yield  # pragma: no cover - makes this a generator

    def main():
        w = yield from loopsim.spawn(waiter(), name="waiter")
        c = yield from loopsim.spawn(closer(), name="closer")
        return (yield from loopsim.join(w)), (yield from loopsim.join(c))

    assert loopsim.run(main()) == ("told", "closed")
    assert "'waiter'" in log[0] and "closed while it waited" in log[0]


def test_socket_closed_while_waited_on_with_a_timer_pending_is_found_by_the_sweep():
    """Even while other timers keep the loop busy, a waiter on a closed socket is told, on the clock."""
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        log = []

        def waiter():
            try:
                yield from loopsim.wait_readable(a)
            except loopsim.UsageError:
                log.append(("told", (yield from loopsim.now())))

        def closer():
            yield from loopsim.sleep(0.001)
            a.close()
            yield from loopsim.sleep(10)  # a long timer: the loop does not wait it out to notice

        def main():
            w = yield from loopsim.spawn(waiter())
            c = yield from loopsim.spawn(closer())
            yield from loopsim.join(w)
            c.cancel()

        loopsim.run(main())
        assert len(log) == 1 and log[0][0] == "told"
    finally:
        a.close()
        b.close()


def test_a_new_socket_reusing_the_fd_of_a_closed_waited_socket_works(pair):
    a, b = pair
    log = []

    def waiter():
        try:
            yield from loopsim.wait_readable(a)
        except loopsim.UsageError:
            log.append("told")

    def main():
        w = yield from loopsim.spawn(waiter())
        yield from loopsim.sleep(0)
        yield from loopsim.sleep(0)
        fd = a.fileno()
        a.close()
        c, d = socket.socketpair()  # c very likely reuses fd
        c.setblocking(False)
        try:
            d.send(b"new")
            data = yield from loopsim.recv(c, 10)
            log.append((c.fileno() == fd, data))
        finally:
            c.close()
            d.close()
        yield from loopsim.join(w)

    loopsim.run(main())
    assert "told" in log
    assert (True, b"new") in log or (False, b"new") in log


# -- join on itself ----------------------------------------------------------------------------


def test_join_on_itself_is_a_usage_error():
    def main():
        me = yield from loopsim.current_task()
        with pytest.raises(loopsim.UsageError, match="join itself"):
            yield from loopsim.join(me)
        return "went on"

    assert loopsim.run(main()) == "went on"


# -- using the loop wrongly from outside ----------------------------------------------------------


def test_running_a_running_loop_is_a_usage_error():
    def main(loop):
        with pytest.raises(loopsim.UsageError, match="already running"):
            loop.run()
        yield from loopsim.sleep(0)

    with loopsim.Loop() as loop:
        loop.run_until_complete(main(loop))


def test_running_a_closed_loop_is_a_usage_error():
    loop = loopsim.Loop()
    loop.close()
    loop.close()  # idempotent
    with pytest.raises(loopsim.UsageError, match="closed"):
        loop.run_until_complete(loopsim.sleep(0))


def test_a_socket_registered_by_someone_else_is_a_usage_error(pair):
    a, _ = pair

    def main(selector):
        selector.register(a, 1)  # not through the loop
        with pytest.raises(loopsim.UsageError, match="someone else"):
            yield from loopsim.wait_readable(a)
            yield from loopsim.sleep(0)
        selector.unregister(a)

    import selectors

    with selectors.DefaultSelector() as selector:
        loopsim.run(main(selector), selector=selector)
