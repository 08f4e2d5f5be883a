"""Durations (sleep, timeout): NaN and too-long values are a UsageError in the task, inf is no deadline,
on the real clock and on a virtual one; no duration ever spins, overflows or kills the loop."""

from __future__ import annotations

import math
import selectors
import socket
import threading
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fakes
import loopsim
from loopsim.loop.durations import MAX_DURATION, MAX_WAIT

ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)


class Selects(loopsim.Instrument):
    """Counts the loop's selects, so that a test sees a wait that spins."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def before_io_wait(self, timeout):
        self.timeouts.append(timeout)


def sleeper(seconds):
    yield from loopsim.sleep(seconds)
    return "woke"


def timed(seconds, inner):
    return (yield from loopsim.timeout(seconds, inner))


def virtual_loop(*instruments):
    net = fakes.FakeNetwork(seed=1)
    return net, loopsim.Loop(selector=net.selector(), clock=net.clock, instruments=instruments)


# -- NaN ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["sleep", "timeout"])
@pytest.mark.parametrize("clock", ["real", "virtual"])
def test_nan_is_a_usage_error_raised_in_the_task_naming_it_and_the_value(op, clock):
    def task():
        try:
            if op == "sleep":
                yield from loopsim.sleep(math.nan)
            else:
                yield from loopsim.timeout(math.nan, sleeper(0))
        except loopsim.UsageError as exc:  # raised at the yield: the task can catch it and go on
            yield from loopsim.sleep(0)
            return str(exc)
        return "no error"

    if clock == "real":
        with loopsim.Loop() as loop:
            message = loop.run_until_complete(task())
    else:
        net, loop = virtual_loop()
        with loop:
            message = loop.run_until_complete(task())
        assert net.clock.now() == 0.0
    assert message.startswith("task 'task-1': ")
    assert f"{op}(nan)" in message and "cannot be NaN" in message and "math.inf" in message


# -- inf: no deadline --------------------------------------------------------------------------------


def test_sleep_inf_alone_is_a_deadlock_naming_the_task_on_the_real_clock():
    with loopsim.Loop() as loop:
        loop.spawn(sleeper(math.inf), name="napper")
        with pytest.raises(loopsim.Deadlock) as info:
            loop.run()
    assert info.value.blocked[0][0] == "napper"
    assert info.value.blocked[0][2] == "the end of sleep(inf), which never comes"
    assert "task 'napper' at " in str(info.value)


def test_sleep_inf_alone_is_a_deadlock_on_the_virtual_clock_and_time_stands_still():
    net, loop = virtual_loop()
    with loop:
        loop.spawn(sleeper(math.inf), name="napper")
        with pytest.raises(loopsim.Deadlock) as info:
            loop.run()
    assert [name for name, _, _ in info.value.blocked] == ["napper"]
    assert net.clock.now() == 0.0


def test_sleep_inf_ends_by_cancellation_only():
    def main():
        napper = yield from loopsim.spawn(sleeper(math.inf), name="napper")
        yield from loopsim.sleep(5)
        assert not napper.done()
        napper.cancel()
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(napper)
        return (yield from loopsim.now())

    net, loop = virtual_loop()
    with loop:
        assert loop.run_until_complete(main()) == 5.0


@pytest.mark.parametrize("clock", ["real", "virtual"])
def test_timeout_inf_never_fires(clock):
    if clock == "real":
        with loopsim.Loop() as loop:
            assert loop.run_until_complete(timed(math.inf, sleeper(0.01))) == "woke"
        return
    net, loop = virtual_loop()
    with loop:
        assert loop.run_until_complete(timed(math.inf, sleeper(MAX_DURATION))) == "woke"
    assert net.clock.now() == MAX_DURATION


def test_timeout_inf_around_a_wait_that_never_ends_is_a_deadlock_not_a_timeout():
    net, loop = virtual_loop()
    with loop:
        with pytest.raises(loopsim.Deadlock):
            loop.run_until_complete(timed(math.inf, sleeper(math.inf)))


def test_a_timeout_inside_timeout_inf_still_fires():
    net, loop = virtual_loop()
    with loop:
        with pytest.raises(loopsim.Timeout):
            loop.run_until_complete(timed(math.inf, timed(3, sleeper(math.inf))))
    assert net.clock.now() == 3.0


# -- too long --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [MAX_DURATION * 1.0000001, 1e300, 1.7976931348623157e308, 10**400,
                                     Fraction(10**400, 3)])
@pytest.mark.parametrize("op", ["sleep", "timeout"])
def test_a_finite_duration_above_the_limit_is_a_usage_error_naming_the_limit(op, seconds):
    def task():
        if op == "sleep":
            yield from loopsim.sleep(seconds)
        else:
            yield from loopsim.timeout(seconds, sleeper(0))

    for loop in (loopsim.Loop(), virtual_loop()[1]):
        with loop:
            with pytest.raises(loopsim.UsageError) as info:
                loop.run_until_complete(task())
        message = str(info.value)
        assert message.startswith(f"task 'task-{1}': {op}(")
        assert "longer than the loop's limit of 1e+09 s" in message and "math.inf" in message
        assert len(message) < 200  # a 400-digit int is cut short


def test_the_limit_itself_is_accepted_and_reached_exactly_in_virtual_time():
    net, loop = virtual_loop()
    with loop:
        assert loop.run_until_complete(sleeper(MAX_DURATION)) == "woke"
        assert loop.run_until_complete(timed(MAX_DURATION, sleeper(1))) == "woke"
    assert net.clock.now() == MAX_DURATION + 1


# -- zero or less, and what is not a number ----------------------------------------------------------


@pytest.mark.parametrize("seconds", [0, 0.0, -0.0, -1, -math.inf, -1e300, -(10**400)])
def test_zero_or_less_does_not_wait_and_a_timeout_of_it_expires_at_the_next_yield(seconds):
    net, loop = virtual_loop()
    with loop:
        assert loop.run_until_complete(sleeper(seconds)) == "woke"
        with pytest.raises(loopsim.Timeout):
            loop.run_until_complete(timed(seconds, sleeper(1)))
    assert net.clock.now() == 0.0


@pytest.mark.parametrize("seconds", ["1", None, b"1", True, 1j])
@pytest.mark.parametrize("op", ["sleep", "timeout"])
def test_a_duration_that_is_not_a_real_number_is_a_bad_request_naming_the_task(op, seconds):
    def task():
        if op == "sleep":
            yield from loopsim.sleep(seconds)
        else:
            yield from loopsim.timeout(seconds, sleeper(0))

    with loopsim.Loop() as loop:
        with pytest.raises(loopsim.BadRequest, match=rf"^task 'task-1': {op}\(\) needs a number of seconds, got "):
            loop.run_until_complete(task())


def test_other_real_numbers_are_durations():
    net, loop = virtual_loop()
    with loop:
        loop.run_until_complete(sleeper(Fraction(1, 4)))
        with pytest.raises(loopsim.Timeout):
            loop.run_until_complete(timed(Fraction(1, 2), sleeper(1)))
    assert net.clock.now() == 0.75


# -- every float, on both clocks ------------------------------------------------------------------


def expected(seconds: float) -> str:
    if math.isnan(seconds) or (math.isfinite(seconds) and seconds > MAX_DURATION):
        return "usage error"
    if seconds == math.inf:
        return "forever"
    return "sleeps"


@settings(max_examples=300, deadline=None)
@given(ANY_FLOAT)
def test_any_float_sleep_on_the_virtual_clock(seconds):
    selects = Selects()
    net, loop = virtual_loop(selects)
    with loop:
        kind = expected(seconds)
        if kind == "usage error":
            with pytest.raises(loopsim.UsageError, match=r"^task 'sleeper-1': sleep\("):
                loop.run_until_complete(sleeper(seconds))
            assert net.clock.now() == 0.0
        elif kind == "forever":
            with pytest.raises(loopsim.Deadlock, match="'sleeper-1' at .* waits for the end of sleep"):
                loop.run_until_complete(sleeper(seconds))
        else:
            assert loop.run_until_complete(sleeper(seconds)) == "woke"
            waited = max(seconds, 0.0)
            assert net.clock.now() >= waited - 1e-9
            assert net.clock.now() <= waited * (1 + 1e-15) + 2e-9
    assert len(selects.timeouts) <= 3  # a jump or two, never a spin


@settings(max_examples=300, deadline=None)
@given(ANY_FLOAT, st.floats(min_value=0, max_value=MAX_DURATION))
def test_any_float_timeout_on_the_virtual_clock(seconds, work):
    selects = Selects()
    net, loop = virtual_loop(selects)
    with loop:
        kind = expected(seconds)
        if kind == "usage error":
            with pytest.raises(loopsim.UsageError, match=r"^task 'timed-1': timeout\("):
                loop.run_until_complete(timed(seconds, sleeper(work)))
        elif kind == "forever" or (seconds > work + 1e-6 * work + 1e-6):
            assert loop.run_until_complete(timed(seconds, sleeper(work))) == "woke"
            assert net.clock.now() >= work - 1e-9
        elif seconds < work - 1e-6 * work - 1e-6:
            with pytest.raises(loopsim.Timeout):
                loop.run_until_complete(timed(seconds, sleeper(work)))
            assert net.clock.now() <= max(seconds, 0.0) * (1 + 1e-15) + 2e-9
        else:  # too close to call at float precision: either is right, neither may hang or crash
            try:
                loop.run_until_complete(timed(seconds, sleeper(work)))
            except loopsim.Timeout:
                pass
    assert len(selects.timeouts) <= 4


@settings(max_examples=200, deadline=None)
@given(ANY_FLOAT)
def test_any_float_on_the_real_clock_never_overflows_spins_or_kills_the_loop(seconds):
    """Real time: values up to a millisecond are really slept; longer ones are cancelled after parking."""

    def main():
        task = yield from loopsim.spawn(sleeper(seconds), name="sleeper")
        scoped = yield from loopsim.spawn(timed(seconds, sleeper(0)), name="scoped")
        for _ in range(3):
            yield from loopsim.sleep(0)
        if not (0 < seconds <= 1e-3):
            task.cancel()
        outcomes = []
        for t in (task, scoped):
            try:
                outcomes.append((yield from loopsim.join(t)))
            except (loopsim.UsageError, loopsim.Cancelled, loopsim.Timeout) as exc:
                outcomes.append(type(exc).__name__)
        return outcomes

    slept, scoped = loopsim.run(main())
    kind = expected(seconds)
    if kind == "usage error":
        assert (slept, scoped) == ("UsageError", "UsageError")
    elif seconds <= 0:
        assert (slept, scoped) == ("woke", "Timeout")
    elif seconds <= 1e-3:
        assert slept == "woke" and scoped in ("woke", "Timeout")
    else:
        assert slept == "Cancelled"
        assert scoped == "woke" if seconds >= 60 else scoped in ("woke", "Timeout")


# -- one select never waits longer than a system selector can -------------------------------------


class ManualClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


class JumpingSelectSelector(selectors.SelectSelector):
    """A standard-library selector whose select jumps a manual clock instead of waiting."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock
        self.timeouts: list[float | None] = []

    def select(self, timeout=None):
        self.timeouts.append(timeout)
        assert timeout is not None
        self.clock.t += timeout
        return []


def test_a_long_sleep_on_a_system_selector_is_several_selects_of_at_most_a_day():
    clock = ManualClock()
    with JumpingSelectSelector(clock) as selector, loopsim.Loop(selector=selector, clock=clock) as loop:
        loop.run_until_complete(sleeper(3 * MAX_WAIT + 5))
    assert selector.timeouts == [0.0, MAX_WAIT, MAX_WAIT, MAX_WAIT, pytest.approx(5)]  # (0: the first tick)
    assert clock.t == pytest.approx(3 * MAX_WAIT + 5)


def test_a_fake_selector_gets_the_whole_wait_in_one_select():
    selects = Selects()
    net, loop = virtual_loop(selects)
    with loop:
        loop.run_until_complete(sleeper(30 * MAX_WAIT))
    assert selects.timeouts == [0.0, 30 * MAX_WAIT]
    assert net.clock.now() == 30 * MAX_WAIT


@pytest.mark.parametrize("make_selector", [None, selectors.DefaultSelector, selectors.SelectSelector,
                                           getattr(selectors, "PollSelector", selectors.SelectSelector)])
def test_a_month_long_timer_on_a_real_selector_does_not_overflow_its_timeout(make_selector):
    """epoll and poll hold ~24.8 days: the loop must not ask them for a month (OverflowError before).

    A task waits on a socket that a thread makes readable after 0.3 s, so that the loop, once its sweep
    for closed sockets is done (0.1 s), selects with the month-long timer as its only deadline.
    """
    a, b = socket.socketpair()
    a.setblocking(False)
    later = threading.Timer(0.3, b.send, (b"x",))

    def month():
        yield from loopsim.sleep(31 * 86400)

    def main():
        napper = yield from loopsim.spawn(month(), name="month")
        data = yield from loopsim.timeout(31 * 86400, loopsim.recv(a, 1))  # a month-long deadline too
        napper.cancel()
        return data

    selects = Selects()
    selector = make_selector() if make_selector else None
    try:
        with loopsim.Loop(selector=selector, instruments=[selects]) as loop:
            later.start()
            assert loop.run_until_complete(main()) == b"x"
    finally:
        later.cancel()
        a.close()
        b.close()
        if selector is not None:
            selector.close()
    assert max(t for t in selects.timeouts if t is not None) == MAX_WAIT


def test_a_real_sleep_with_no_socket_awaited_waits_in_one_select_not_a_spin():
    selects = Selects()
    with loopsim.Loop(instruments=[selects]) as loop:
        loop.run_until_complete(sleeper(0.3))
    assert len(selects.timeouts) <= 3  # before: one select of 0.1 s, then ~100,000 of 0 s until the timer
