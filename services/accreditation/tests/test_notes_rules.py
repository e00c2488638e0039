"""The rules of the facilitator's notes, without servers: the text, versions, the due date in
working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from spiegel_accreditation.notes import model
from spiegel_accreditation.sessions.model import RuleError


@pytest.mark.parametrize(
    ("ended", "due"),
    [
        # Monday -> the next Monday; Wednesday -> the next Wednesday (a weekend in between)
        (date(2027, 3, 1), date(2027, 3, 8)),
        (date(2027, 3, 3), date(2027, 3, 10)),
        # Friday -> the next Friday; on a Saturday or Sunday -> Friday of the week after
        (date(2027, 3, 5), date(2027, 3, 12)),
        (date(2027, 3, 6), date(2027, 3, 12)),
        (date(2027, 3, 7), date(2027, 3, 12)),
    ],
)
def test_five_working_days_skip_the_weekend(ended: date, due: date) -> None:
    assert model.add_working_days(ended, 5, holidays=False) == due
    assert model.add_working_days(ended, 5) == due  # no holiday in those weeks


def test_dutch_public_holidays_are_skipped_when_asked() -> None:
    # Thursday 22 April 2027: Koningsdag (Tue 27 April) is not a working day.
    assert model.add_working_days(date(2027, 4, 22), 5, holidays=False) == date(2027, 4, 29)
    assert model.add_working_days(date(2027, 4, 22), 5) == date(2027, 4, 30)
    # Christmas 2026 (Friday 25, Saturday 26), New Year's Day 2027 (Friday).
    assert model.add_working_days(date(2026, 12, 23), 5) == date(2026, 12, 31)
    assert model.add_working_days(date(2026, 12, 23), 5, holidays=False) == date(2026, 12, 30)
    assert model.add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)
    assert model.add_working_days(date(2026, 12, 28), 5, holidays=False) == date(2027, 1, 4)
    holidays = model.dutch_holidays(2027)
    assert date(2027, 3, 26) in holidays  # Goede Vrijdag (Easter 2027 is 28 March)
    assert date(2027, 3, 29) in holidays  # Tweede Paasdag
    assert date(2027, 5, 6) in holidays  # Hemelvaartsdag
    assert date(2027, 5, 17) in holidays  # Tweede Pinksterdag
    # Koningsdag on a Sunday (2025) is kept on Saturday 26 April.
    assert date(2025, 4, 26) in model.dutch_holidays(2025)


def test_due_date_counts_from_the_day_the_session_ended_in_amsterdam() -> None:
    # 23:30 UTC on Friday 5 March is already Saturday 6 March in Amsterdam: due Friday 12 March.
    assert model.due_on(datetime(2027, 3, 5, 23, 30, tzinfo=UTC)) == date(2027, 3, 12)
    assert model.due_on(datetime(2027, 3, 5, 15, 0, tzinfo=UTC)) == date(2027, 3, 12)
    assert model.due_on(datetime(2027, 3, 4, 15, 0, tzinfo=UTC)) == date(2027, 3, 11)
    ended = datetime(2027, 3, 1, 17, tzinfo=UTC)  # due Monday 8 March
    assert not model.overdue(ended, datetime(2027, 3, 8, 22, 59, tzinfo=UTC))  # 23:59 in Amsterdam
    assert model.overdue(ended, datetime(2027, 3, 8, 23, 0, tzinfo=UTC))  # Tuesday 00:00


def test_notes_keep_html_as_text_and_line_breaks() -> None:
    typed = "<script>alert(1)</script>\r\nBesproken: <b>feedback</b>\tover & communicatie\n"
    assert (
        model.check_text(typed)
        == "<script>alert(1)</script>\nBesproken: <b>feedback</b>\tover & communicatie\n"
    )


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2028"])
def test_control_characters_are_refused_with_their_place(char: str) -> None:
    with pytest.raises(RuleError) as refused:
        model.check_text(f"ab{char}cd")
    assert refused.value.field == "text"
    assert refused.value.reason.params["position"] == 3


def test_length_is_limited() -> None:
    assert model.check_text("x" * model.MAX_TEXT) == "x" * model.MAX_TEXT
    with pytest.raises(RuleError) as refused:
        model.check_text("x" * (1024 * 1024))
    assert refused.value.field == "text"
    assert refused.value.reason.params["most"] == model.MAX_TEXT


def test_a_save_from_an_older_version_is_refused() -> None:
    model.check_version(3, 3)
    with pytest.raises(RuleError) as refused:
        model.check_version(2, 3)
    assert refused.value.field == "version"
    assert refused.value.reason.params["current"] == 3


def test_empty_notes_are_not_released() -> None:
    model.check_releasable("Besproken: ...")
    for empty in ("", "  \n\t"):
        with pytest.raises(RuleError):
            model.check_releasable(empty)
