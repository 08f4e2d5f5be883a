"""Choosers: the one source of the fake world's choices; 0 / lo is the simplest answer."""

import random

from fakes import Chooser, DefaultChooser, RandomChooser, RecordingChooser


def test_random_chooser_is_reproducible_and_in_range():
    a, b = RandomChooser(7), RandomChooser(7)
    seq_a = [a.index("x", 5) for _ in range(50)] + [a.integer("y", 3, 9) for _ in range(50)]
    seq_b = [b.index("x", 5) for _ in range(50)] + [b.integer("y", 3, 9) for _ in range(50)]
    assert seq_a == seq_b
    assert all(0 <= v < 5 for v in seq_a[:50]) and all(3 <= v <= 9 for v in seq_a[50:])
    assert len(set(seq_a[:50])) > 1


def test_random_chooser_does_not_touch_the_global_random():
    random.seed(1)
    expected = random.random()
    random.seed(1)
    RandomChooser(2).index("x", 10)
    assert random.random() == expected


def test_single_options_draw_nothing():
    c = RandomChooser(1)
    state = c._state()
    assert c.index("x", 1) == 0
    assert c.integer("y", 4, 4) == 4
    assert c._state() == state


def test_default_chooser_is_the_simplest_world():
    c = DefaultChooser()
    assert c.index("select-order", 9) == 0
    assert c.integer("recv-size", 3, 100) == 3
    assert repr(c) == "DefaultChooser()"


def test_recording_chooser_records_every_choice():
    c = RecordingChooser(DefaultChooser())
    c.index("select-order", 3)
    c.integer("recv-size", 2, 8)
    assert c.choices == [("select-order", 3, 0), ("recv-size", (2, 8), 2)]
    assert "2 choices" in repr(c)


def test_all_are_choosers():
    for c in (RandomChooser(0), DefaultChooser(), RecordingChooser(DefaultChooser())):
        assert isinstance(c, Chooser)
    assert repr(RandomChooser(3)) == "RandomChooser(seed=3)"
