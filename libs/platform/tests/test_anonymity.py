"""The anonymity floor: one number, raised by settings, never lowered."""

from __future__ import annotations

from spiegel_platform.anonymity import MIN_GROUP_SIZE, threshold


def test_the_floor_is_four() -> None:
    assert MIN_GROUP_SIZE == 4


def test_unset_settings_leave_the_floor() -> None:
    assert threshold() == MIN_GROUP_SIZE
    assert threshold(None, 0) == MIN_GROUP_SIZE


def test_a_setting_raises_the_threshold_but_never_lowers_it() -> None:
    assert threshold(6) == 6
    assert threshold(5, None, 7) == 7
    assert threshold(2) == MIN_GROUP_SIZE
    assert threshold(-1) == MIN_GROUP_SIZE
