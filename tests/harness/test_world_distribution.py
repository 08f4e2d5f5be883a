"""The world coder (bytes -> settings) and the world shrinker explore runs on a failing world.

The coder is what every drawn world goes through (``loopsim.strategies.world_configs`` and explore's
many-worlds-per-example draw); the shrinker is what makes a finding hold only the settings its
failure needs (issue 11, item 5).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import fakes
from loopsim.harness.explore import _world_strategy
from loopsim.harness.search_strategies import strategy_named
from loopsim.harness.world_distribution import WorldCoder, WorldSpace, config_of, magnitudes
from loopsim.harness.world_shrink import minimize_world

SPACE = WorldSpace.of(["server2:80", "proxy:8080"], ["client#*", "proxy#*", "proxy:8080"], serves=["proxy:8080"])
CODERS = [WorldCoder(SPACE, max_faults=1), WorldCoder(SPACE, max_faults=1, swarm=True)]


def test_zero_bytes_and_missing_bytes_are_the_world_without_settings():
    for coder in CODERS:
        assert coder.turns(bytes(coder.width)) == () and coder.turns(b"") == ()
        assert coder.config(()) == fakes.NetConfig()


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_each_field_has_its_own_bytes(data):
    """Lowering the bytes of one setting's slot changes that setting only: a shrinker that lowers bytes
    removes settings one by one, and the settings after it stay where they were."""
    coder = WorldCoder(SPACE, max_faults=3, max_turns=3)
    raw = bytearray(data.draw(st.binary(min_size=coder.width, max_size=coder.width)))
    per_slot = coder.width // 3
    before = coder.turns(bytes(raw))
    slot = data.draw(st.integers(0, 2))
    raw[slot * per_slot:(slot + 1) * per_slot] = bytes(per_slot)
    after = coder.turns(bytes(raw))
    present = [bytes(raw)[i * per_slot + 1] % 2 for i in range(3)]  # (the slot's presence: its first field)
    assert len(after) == sum(present) and set(after) <= set(before)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200), swarm=st.booleans())
def test_every_setting_is_aimed_where_it_takes_effect_and_its_magnitude_in_range(data, swarm):
    coder = WorldCoder(SPACE, max_faults=1, swarm=swarm)
    turns = coder.turns(data)
    for kind, target, variant, mag in turns:
        assert target in SPACE.targets(kind) and 0 <= mag < magnitudes(kind, variant)
        assert not (kind in ("refuse", "black_hole") and target == "proxy:8080")
    assert len(coder.config(turns).faults) <= 1


DRAWN, CODER = _world_strategy(strategy_named("random", worlds=4), lambda net: None, list(SPACE.addrs),
                               list(SPACE.connections), 1)


@settings(max_examples=50, deadline=None)
@given(worlds=DRAWN)
def test_explore_draws_several_worlds_from_one_bytes_draw(worlds):
    coder = CODER
    assert len(worlds) == 4
    for config, seed, turns in worlds:
        assert config == coder.config(turns) and 0 <= seed < 2**32


NEEDED = ("max_send", "proxy#*", 0, 3)  # the failure needs a fixed send limit of 4 bytes or more on proxy#*


def _fails(turns):
    """Fails (says so) when proxy#* sends at most a fixed 4 bytes or more a call; counts its tries."""
    _fails.tries += 1
    config = config_of(turns, max_faults=1)
    limits = [e.max_send for e in config.endpoints if e.pattern == "proxy#*" and isinstance(e.max_send, int)]
    return f"limit {limits[0]}" if limits and limits[0] >= 4 else None


_fails.tries = 0


def test_the_shrunk_world_keeps_only_the_needed_setting_at_its_smallest():
    unneeded = ("latency", "server2:80", 1, 700)  # a latency with jitter: beside the point
    big = ("max_send", "proxy#*", 4, 40)  # the needed kind: a fixed limit of 41 bytes, in a variant not the first
    fault = ("reset", "client#*", 3, 4000)
    assert _fails([unneeded, big, fault]) == "limit 41"
    _fails.tries = 0
    turns, message = minimize_world([unneeded, big, fault], "limit 41", _fails)
    assert turns == (NEEDED,) and message == "limit 4"  # magnitude 0 passes: bisected to the smallest failing
    assert _fails.tries < 40


def test_a_world_with_one_needed_and_one_unneeded_setting_shrinks_to_the_needed_one():
    turns, message = minimize_world([("bandwidth", "proxy:8080", 0, 9000), NEEDED], "limit 4", _fails)
    assert turns == (NEEDED,) and message == "limit 4"


def test_the_shrink_stops_when_its_time_is_spent_and_keeps_a_failing_world():
    calls = []
    start = [("latency", "server2:80", 0, 5), ("max_send", "proxy#*", 0, 30)]
    _fails.tries = 0
    turns, message = minimize_world(start, "first", _fails, spent=lambda: calls.append(1) or len(calls) > 2)
    assert _fails.tries == 1 and turns == (("max_send", "proxy#*", 0, 30),) and message == "limit 31"
    assert _fails(list(turns)) is not None


def test_a_magnitude_is_as_likely_in_each_octave_as_in_any_other():
    """after_bytes (8,193 values in 13 octaves, the last one twice as wide): 4 of 13 lie below 15 bytes;
    with magnitudes uniform it was 15 in 8,193, and nine resets in ten waited for more bytes than a small
    app sends."""
    from loopsim.harness.world_distribution import _scaled

    for span in (2, 3, 5, 64, 2000, 8193):
        values = [_scaled(v, span) for v in range(65536)]
        assert values[0] == 0 and max(values) == span - 1  # every value is reachable, 0 the first
        assert all(a <= b for a, b in zip(values, values[1:]))  # lowering the bytes never raises it
    below = sum(_scaled(v, 8193) < 15 for v in range(65536)) / 65536
    assert abs(below - 4 / 13) < 0.01, below
    assert _scaled(65535, 1) == 0
