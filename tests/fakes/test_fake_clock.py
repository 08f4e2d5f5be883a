"""VirtualClock: exact integer-nanosecond virtual time that never goes backwards."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakes import VirtualClock


def test_starts_where_told_and_reads_seconds():
    assert VirtualClock().now() == 0.0
    clock = VirtualClock(start=1.5)
    assert clock.now() == 1.5
    assert clock.now_ns() == 1_500_000_000


def test_jumps_are_exact():
    clock = VirtualClock()
    for _ in range(10):
        clock.advance(0.1)
    assert clock.now() == 1.0  # float addition would give 0.9999999999999999
    clock.advance(29)
    assert clock.now() == 30.0
    clock.advance_to(30.008)
    assert clock.now() == 30.008


def test_advance_rounds_to_the_nearest_nanosecond():
    clock = VirtualClock()
    clock.advance(1.4e-9)
    assert clock.now_ns() == 1
    clock.advance(0.6e-9)
    assert clock.now_ns() == 2


def test_never_goes_backwards():
    clock = VirtualClock(start=5.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_to(4.0)
    clock.advance_to(5.0)  # staying put is fine
    assert clock.now() == 5.0
    assert clock.advance(0) == 5.0


def test_rejects_nonsense():
    with pytest.raises(ValueError):
        VirtualClock(start=-1)
    with pytest.raises(ValueError):
        VirtualClock().advance(math.inf)
    with pytest.raises(ValueError):
        VirtualClock().advance_to(math.nan)


def test_repr_and_return_values():
    clock = VirtualClock()
    assert clock.advance(2) == 2.0
    assert clock.advance_to_ns(3_000_000_000) == 3.0
    assert repr(clock) == "VirtualClock(now=3.0)"


@pytest.mark.parametrize("seconds", [math.inf, math.nan, 1e300, 1.7976931348623157e308])
def test_out_of_range_times_are_a_value_error_and_the_clock_stays_put(seconds):
    clock = VirtualClock(start=2.0)
    for move in (clock.advance, clock.advance_to):
        with pytest.raises(ValueError, match="finite|out of range"):
            move(seconds)
    with pytest.raises(ValueError, match="out of range: a 401-digit number of ns"):
        clock.advance_to_ns(10**400)
    assert clock.now() == 2.0 and clock.now_ns() == 2_000_000_000
    with pytest.raises(ValueError):
        VirtualClock(start=seconds)


def test_the_largest_times_a_float_of_nanoseconds_holds_are_reached():
    clock = VirtualClock()
    assert clock.advance(1e299) == 1e299
    assert clock.now_ns() == round(1e299 * 1e9)


@given(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True))
def test_advance_by_any_float_moves_exactly_or_is_a_value_error(seconds):
    clock = VirtualClock(start=1.0)
    try:
        now = clock.advance(seconds)
    except ValueError:
        assert not (math.isfinite(seconds) and 0 <= seconds < 1e299)
        assert clock.now_ns() == 1_000_000_000
        return
    assert clock.now_ns() == 1_000_000_000 + round(seconds * 1e9)
    assert now == clock.now() == clock.now_ns() / 1_000_000_000
