"""VirtualClock: exact integer-nanosecond virtual time that never goes backwards."""

import math

import pytest

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
