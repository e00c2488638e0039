"""The rules of check-in, attendance, the evaluation and the themes, without servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from spiegel_accreditation.attendance import model
from spiegel_accreditation.sessions.model import RuleError
from spiegel_accreditation.themes.model import MAX_THEMES, Theme, check_themes

START = datetime(2027, 3, 1, 14, tzinfo=UTC)
END = START + timedelta(hours=3)
WINDOW = timedelta(days=14)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("123456789", "00123456789"),
        ("1234567890", "01234567890"),
        ("12345678901", "12345678901"),
        ("123 456 789", "00123456789"),
        ("1.234.567.89", "00123456789"),
    ],
)
def test_big_numbers_are_eleven_digits_of_text(typed: str, stored: str) -> None:
    assert model.parse_big_number(typed, None) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12345678A01", "alleen uit cijfers"),
        ("123456789012", "12"),
        ("=123456789", "="),
        ("12345678", "8"),
        ("-123456789", "-"),
    ],
)
def test_anything_else_is_refused_naming_the_field_and_why(typed: str, reason: str) -> None:
    with pytest.raises(RuleError) as refused:
        model.parse_big_number(typed, "00123456789")
    assert refused.value.field == "big_number"
    assert reason in str(refused.value.reason)
    assert "BIG" in refused.value.reason.in_language("en")


def test_an_empty_big_number_is_the_remembered_one_or_refused() -> None:
    assert model.parse_big_number("  ", "00123456789") == "00123456789"
    with pytest.raises(RuleError) as refused:
        model.parse_big_number(None, None)
    assert refused.value.field == "big_number"


def test_the_check_in_window_is_from_the_start_until_the_days_after_the_end() -> None:
    model.check_window(START, END, now=START, window=WINDOW)
    model.check_window(START, END, now=END + WINDOW, window=WINDOW)
    for moment, words in (
        (START - timedelta(minutes=1), "vanaf het begin"),
        (END + WINDOW + timedelta(seconds=1), "14 dagen"),
    ):
        with pytest.raises(RuleError) as refused:
            model.check_window(START, END, now=moment, window=WINDOW)
        assert refused.value.field == "session" and words in str(refused.value.reason)


def test_the_evaluation_is_on_a_scale_of_one_to_five_with_a_remark() -> None:
    evaluation = model.parse_evaluation({"useful": 4, "safe": None}, "  Goed  ")
    assert evaluation.answers == {"useful": 4} and evaluation.remark == "Goed"
    assert model.parse_evaluation({}, "").empty
    for answers, field in (
        ({"useful": 6}, "evaluation.answers.useful"),
        ({"useful": 0}, "evaluation.answers.useful"),
        ({"useful": True}, "evaluation.answers.useful"),
        ({"useful": "4"}, "evaluation.answers.useful"),
        ({"other": 3}, "evaluation.answers.other"),
    ):
        with pytest.raises(RuleError) as refused:
            model.parse_evaluation(answers, "")
        assert refused.value.field == field
    for remark in ("x" * (model.MAX_REMARK + 1), "a\u202eb"):
        with pytest.raises(RuleError) as refused:
            model.parse_evaluation({}, remark)
        assert refused.value.field == "evaluation.remark"


def test_a_facilitator_marks_present_partial_with_hours_or_absent_with_a_reason() -> None:
    minutes = model.session_minutes(START, END)
    assert model.check_mark("present", None, "", minutes_in_session=minutes) == model.Mark("present", 180, "")
    assert model.check_mark("partial", 1.5, "later", minutes_in_session=minutes).minutes == 90
    assert model.check_mark("absent", 2, "ziek", minutes_in_session=minutes).minutes == 0
    for status, hours, reason, field in (
        ("partial", 1.5, "", "reason"),
        ("absent", None, " ", "reason"),
        ("partial", None, "x", "hours"),
        ("partial", 3, "x", "hours"),
        ("partial", 0, "x", "hours"),
        ("partial", 1.1, "x", "hours"),
        ("late", None, "x", "status"),
    ):
        with pytest.raises(RuleError) as refused:
            model.check_mark(status, hours, reason, minutes_in_session=minutes)
        assert refused.value.field == field, (status, hours, reason)


CLOSED = datetime(2026, 11, 1, tzinfo=UTC)
AFTER = {"closes_at": CLOSED, "now": CLOSED + timedelta(seconds=1)}


def test_the_evaluation_is_shown_from_four_answers_and_says_nothing_before() -> None:
    three = [{"answers": {"useful": 4}, "remark": "b"}] * 3
    assert model.summary(three, **AFTER) == {"shown": False, "threshold": 4}
    assert model.summary(three, 6, **AFTER) == {"shown": False, "threshold": 6}
    # An empty evaluation does not count.
    assert not model.summary([*three, {"answers": {}, "remark": ""}], **AFTER)["shown"]
    four = [*three, {"answers": {"useful": 2, "safe": 5}, "remark": "A"}]
    shown = model.summary(four, **AFTER)
    assert shown["shown"] and shown["answered"] == 4
    assert shown["statements"]["useful"] == {
        "answered": 4,
        "average": 3.5,
        "counts": {"1": 0, "2": 1, "3": 0, "4": 3, "5": 0},
    }
    # Remarks in alphabetical order, nothing of the order they came in.
    assert shown["remarks"] == ["A", "b", "b", "b"]


def test_the_evaluation_is_shown_only_once_the_checkin_window_has_closed() -> None:
    """Shown while answers may still come, the 4th and 5th readings would tell the 5th answer
    by their difference: before the window closes nothing is shown, whatever the number."""
    five = [{"answers": {"useful": score}, "remark": f"r{score}"} for score in (1, 2, 3, 4, 5)]
    for now in (CLOSED - timedelta(days=13), CLOSED - timedelta(seconds=1)):
        hidden = model.summary(five, closes_at=CLOSED, now=now)
        assert hidden == {"shown": False, "threshold": 4, "available_from": CLOSED.isoformat()}
    assert model.summary(five, closes_at=CLOSED, now=CLOSED)["answered"] == 5
    # After the window the floor still holds.
    assert model.summary(five[:3], closes_at=CLOSED, now=CLOSED) == {"shown": False, "threshold": 4}


def test_themes_are_checked_and_kept_once() -> None:
    kept = check_themes(
        [Theme("communicatie", "  Communicatie   met collega's "), Theme("t2", "Leiderschap")]
    )
    assert kept[0] == Theme("communicatie", "Communicatie met collega's")
    for themes, field in (
        ([Theme("a b", "x")], "themes[0].theme_id"),
        ([Theme("a", "x"), Theme("a", "y")], "themes[1].theme_id"),
        ([Theme("a", "")], "themes[0].name"),
        ([Theme("a", "x\u200f")], "themes[0].name"),
        ([Theme(f"t{i}", "x") for i in range(MAX_THEMES + 1)], "themes"),
    ):
        with pytest.raises(RuleError) as refused:
            check_themes(themes)
        assert refused.value.field == field


def test_the_follow_up_goes_to_those_not_checked_in_each_once() -> None:
    people = ["a", "b", "c", "b"]
    assert model.followup_recipients(people, {"b"}) == ["a", "c"]
    assert model.followup_recipients(people, {"a", "b", "c"}) == []


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (END, False),  # the moment it ends: those still in the room check in with the QR code
        (END + timedelta(minutes=59), False),
        (END + timedelta(hours=1), True),
        (END + WINDOW - timedelta(seconds=1), True),
        (END + WINDOW, False),  # a link mailed now would open nothing
    ],
)
def test_the_follow_up_is_decided_after_the_end_within_the_window(now: datetime, due: bool) -> None:
    assert model.followup_due(END, now=now, after=timedelta(hours=1), window=WINDOW) is due
