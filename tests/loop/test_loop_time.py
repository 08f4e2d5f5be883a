"""Time: sleep, now and timeout on an injected clock that only the test (or select) moves."""

from __future__ import annotations

import selectors

import pytest

import loopsim


class ManualClock:
    """A clock the test moves by hand: the loop's only time source here."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


class BlockedForever(Exception):
    would_block_forever = True  # the fakes' way to say "nothing can ever become ready"


class JumpSelector(selectors.BaseSelector):
    """No sockets: select(timeout) jumps the clock by timeout (plus ``overshoot``), as a fake selector does."""

    def __init__(self, clock: ManualClock, overshoot: float = 0.0) -> None:
        self.clock = clock
        self.overshoot = overshoot
        self.timeouts: list[float | None] = []

    def register(self, fileobj, events, data=None):  # pragma: no cover - never used here
        raise AssertionError("no sockets in these tests")

    def unregister(self, fileobj):  # pragma: no cover
        raise AssertionError("no sockets in these tests")

    def select(self, timeout=None):
        self.timeouts.append(timeout)
        if timeout is None:
            raise BlockedForever("nothing is in flight")
        if timeout > 0:
            self.clock.t += timeout + self.overshoot
        return []

    def get_map(self):
        return {}


@pytest.fixture
def clock():
    return ManualClock(100.0)


@pytest.fixture
def selector(clock):
    return JumpSelector(clock)


def run(gen, clock, selector):
    return loopsim.run(gen, selector=selector, clock=clock)


# -- now and sleep ---------------------------------------------------------------------------


def test_now_reads_the_injected_clock(clock, selector):
    def main():
        first = yield from loopsim.now()
        clock.t += 2.5
        return first, (yield from loopsim.now())

    assert run(main(), clock, selector) == (100.0, 102.5)


def test_sleep_waits_exactly_its_duration_on_the_clock(clock, selector):
    def main():
        yield from loopsim.sleep(1.5)
        return (yield from loopsim.now())

    assert run(main(), clock, selector) == 101.5
    assert [t for t in selector.timeouts if t] == [1.5]  # one wait, of exactly the sleep


def test_sleepers_wake_in_deadline_order(clock, selector):
    log = []

    def sleeper(name, seconds):
        yield from loopsim.sleep(seconds)
        log.append((name, clock.now()))

    def main():
        tasks = []
        for name, seconds in [("c", 3), ("a", 1), ("b", 2)]:
            tasks.append((yield from loopsim.spawn(sleeper(name, seconds))))
        for task in tasks:
            yield from loopsim.join(task)

    run(main(), clock, selector)
    assert log == [("a", 101.0), ("b", 102.0), ("c", 103.0)]


def test_sleep_zero_lets_the_other_ready_tasks_run_without_time_passing(clock, selector):
    log = []

    def worker(name):
        for i in range(2):
            log.append(f"{name}{i}")
            yield from loopsim.sleep(0)

    with loopsim.Loop(selector=selector, clock=clock) as loop:
        loop.spawn(worker("a"))
        loop.spawn(worker("b"))
        loop.run()
    assert log == ["a0", "b0", "a1", "b1"]
    assert clock.t == 100.0


def test_a_sleeper_whose_clock_moved_past_its_deadline_wakes_at_the_next_tick(clock, selector):
    log = []

    def sleeper():
        yield from loopsim.sleep(10)
        log.append("woke")

    def mover():
        yield from loopsim.sleep(0)
        clock.t += 10  # someone else moved time (as a real clock does while tasks run)
        log.append("moved")

    with loopsim.Loop(selector=selector, clock=clock) as loop:
        loop.spawn(sleeper())
        loop.spawn(mover())
        loop.run()
    assert log == ["moved", "woke"]
    assert clock.t == 110.0  # no select had to wait


# -- timeout ----------------------------------------------------------------------------------


def test_timeout_that_does_not_expire_returns_the_value(clock, selector):
    def work():
        yield from loopsim.sleep(1)
        return "done"

    def main():
        result = yield from loopsim.timeout(5, work())
        yield from loopsim.sleep(10)  # well past the old deadline: nothing fires
        return result

    assert run(main(), clock, selector) == "done"
    assert clock.t == 111.0


def test_timeout_raises_timeout_at_the_deadline_after_running_inner_finally(clock, selector):
    log = []

    def work():
        try:
            yield from loopsim.sleep(60)
            log.append("not reached")
        finally:
            log.append(("inner finally", clock.now()))

    def main():
        with pytest.raises(loopsim.Timeout) as info:
            yield from loopsim.timeout(2, work())
        assert isinstance(info.value, TimeoutError)
        return (yield from loopsim.now())

    assert run(main(), clock, selector) == 102.0
    assert log == [("inner finally", 102.0)]


def test_timeout_inner_code_sees_cancelled_not_timeout(clock, selector):
    seen = []

    def work():
        try:
            yield from loopsim.sleep(60)
        except BaseException as exc:
            seen.append(type(exc))
            raise

    def main():
        with pytest.raises(loopsim.Timeout):
            yield from loopsim.timeout(1, work())

    run(main(), clock, selector)
    assert seen == [loopsim.Cancelled]


def test_nested_timeouts_the_inner_one_fires_first(clock, selector):
    log = []

    def main():
        def inner_work():
            try:
                yield from loopsim.sleep(60)
            finally:
                log.append("inner work finally")

        def outer_work():
            try:
                yield from loopsim.timeout(1, inner_work())
            except loopsim.Timeout:
                log.append(("inner timeout", clock.now()))
            yield from loopsim.sleep(1)
            return "outer went on"

        return (yield from loopsim.timeout(5, outer_work()))

    assert run(main(), clock, selector) == "outer went on"
    assert log == ["inner work finally", ("inner timeout", 101.0)]


def test_nested_timeouts_the_outer_one_fires_first(clock, selector):
    log = []

    def main():
        def inner_work():
            try:
                yield from loopsim.sleep(60)
            finally:
                log.append("inner work finally")

        def outer_work():
            try:
                yield from loopsim.timeout(5, inner_work())
            except loopsim.Timeout:  # pragma: no cover - would be the bug
                log.append("inner scope wrongly raised Timeout")
            finally:
                log.append("outer work finally")

        with pytest.raises(loopsim.Timeout):
            yield from loopsim.timeout(1, outer_work())
        return (yield from loopsim.now())

    assert run(main(), clock, selector) == 101.0
    assert log == ["inner work finally", "outer work finally"]


def test_a_cancel_that_arrives_before_a_deadline_is_not_lost_to_the_timeout(clock, selector):
    """A task cancelled while its deadline also passes ends Cancelled; the timeout does not swallow it."""

    def victim():
        try:
            yield from loopsim.timeout(1, loopsim.sleep(60))
        except loopsim.Timeout:
            return "swallowed the cancel"

    def main():
        task = yield from loopsim.spawn(victim())
        yield from loopsim.sleep(0)
        clock.t += 5  # the victim's deadline passes ...
        task.cancel()  # ... and it is cancelled before it runs again
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)
        return task.cancelled()

    assert run(main(), clock, selector) is True


def test_a_deadline_then_a_cancel_in_the_same_tick_give_timeout_then_cancelled(clock, selector):
    log = []

    def victim():
        try:
            yield from loopsim.timeout(1, loopsim.sleep(60))
        except loopsim.Timeout:
            log.append("timed out")
        yield from loopsim.sleep(0)  # the explicit cancel is delivered here
        log.append("not reached")

    def main():
        task = yield from loopsim.spawn(victim())
        yield from loopsim.sleep(1)  # the victim's deadline passes in this same tick ...
        task.cancel()  # ... and then it is cancelled as well: both reach it, in that order
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)

    run(main(), clock, selector)
    assert log == ["timed out"]


def test_a_timeout_around_a_finished_task_leaves_no_timer_that_delays_a_deadlock(clock, selector):
    """After ``timeout(30, ...)`` returns, its stale deadline must not postpone a Deadlock report."""

    def main():
        yield from loopsim.timeout(30, loopsim.sleep(0))
        me = yield from loopsim.current_task()
        other = yield from loopsim.spawn(joins(me))
        yield from loopsim.join(other)

    def joins(task):
        yield from loopsim.join(task)

    with pytest.raises(loopsim.Deadlock):
        run(main(), clock, selector)
    assert clock.t == 100.0  # reported at once, not after 30 s of (possibly real) time


def test_a_cancelled_sleep_leaves_no_timer_behind(clock, selector):
    def main():
        sleeper = yield from loopsim.spawn(loopsim.sleep(3600))
        yield from loopsim.sleep(0)
        sleeper.cancel()
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(sleeper)
        return (yield from loopsim.now())

    assert run(main(), clock, selector) == 100.0
    assert 3600 not in selector.timeouts


def test_a_selector_that_knows_nothing_is_in_flight_turns_a_wait_into_deadlock():
    clock = ManualClock()

    class NothingInFlight(JumpSelector):
        def register(self, fileobj, events, data=None):
            return selectors.SelectorKey(fileobj, fileobj.fileno(), events, data)

        def select(self, timeout=None):
            if timeout is None:
                raise BlockedForever("no socket can become ready")
            return []

    def main():
        yield from loopsim.sleep(0)
        yield from loopsim.wait_readable(FakeSock())

    class FakeSock:
        name = "server2:80"

        def fileno(self):
            return 99

    loop = loopsim.Loop(selector=NothingInFlight(clock), clock=clock)
    with pytest.raises(loopsim.Deadlock, match="server2:80 to be readable"):
        loop.run_until_complete(main())


def test_clock_without_now_is_rejected():
    with pytest.raises(TypeError, match="now()"):
        loopsim.Loop(clock=object())
