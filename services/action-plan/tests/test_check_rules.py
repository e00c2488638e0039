"""The group plans' check rules (checks/model.py), without servers: when a check is due (across
daylight saving time, at the end of a month, in the hospital's zone), who gets it, its id, its
reminders, and the answer's refusals by field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from spiegel_action_plan.checks import model
from spiegel_action_plan.checks.model import ActionProgress, Answer, NewAction
from spiegel_action_plan.pops.model import RuleError

AMS = ZoneInfo("Europe/Amsterdam")


def test_adopted_in_winter_time_is_due_at_nine_in_summer_time() -> None:
    adopted = datetime(2026, 3, 1, 9, 0, tzinfo=AMS)  # CET: 08:00 UTC
    due = model.check_moment(adopted, 6, "Europe/Amsterdam")
    assert due == datetime(2026, 9, 1, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert due.astimezone(AMS).hour == 9


def test_adopted_in_summer_time_is_due_at_nine_in_winter_time() -> None:
    adopted = datetime(2026, 6, 15, 16, 30, tzinfo=AMS)
    assert model.check_moment(adopted, 6, "Europe/Amsterdam") == datetime(2026, 12, 15, 8, 0, tzinfo=UTC)


def test_the_local_day_counts_not_the_utc_day() -> None:
    # 00:30 on 1 March in Amsterdam is still 28 February in UTC.
    adopted = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert model.check_moment(adopted, 6, "Europe/Amsterdam") == datetime(2026, 9, 1, 7, 0, tzinfo=UTC)


def test_a_day_the_month_lacks_is_its_last_day() -> None:
    adopted = datetime(2026, 8, 31, 10, 0, tzinfo=AMS)
    assert model.check_moment(adopted, 6, "Europe/Amsterdam").astimezone(AMS).date() == date(2027, 2, 28)


def test_the_hospitals_zone_and_an_unknown_zone() -> None:
    adopted = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert model.check_moment(adopted, 3, "America/Curacao") == datetime(2026, 4, 10, 13, 0, tzinfo=UTC)
    assert model.check_moment(adopted, 3, "Not/AZone") == model.check_moment(adopted, 3, "Europe/Amsterdam")
    assert model.check_moment(adopted, 12, "") == datetime(2027, 1, 10, 8, 0, tzinfo=UTC)


def test_one_check_id_per_plan_and_due_moment() -> None:
    due = datetime(2026, 9, 1, 7, tzinfo=UTC)
    same = model.check_id_of("t1", "p1", due.astimezone(AMS))
    assert model.check_id_of("t1", "p1", due) == same
    assert model.check_id_of("t1", "p1", datetime(2027, 3, 1, 8, tzinfo=UTC)) != same
    assert model.check_id_of("t2", "p1", due) != same


def test_recipients_contact_or_members() -> None:
    group = {"member_person_ids": ["a", "b", "c", "b"], "contact_person_id": "b"}
    assert model.recipients(group, "contact") == ["b"]
    assert model.recipients(group, None) == ["b"]
    assert model.recipients(group, "members") == ["a", "b", "c"]
    assert model.recipients({**group, "contact_person_id": ""}, "contact") == ["a", "b", "c"]
    assert model.recipients(None, "contact") == []


def test_reminders_after_7_14_and_28_days_then_none() -> None:
    made = datetime(2026, 9, 1, 7, tzinfo=UTC)
    assert [model.reminder_at(made, n) for n in (1, 2, 3)] == [
        datetime(2026, 9, 8, 7, tzinfo=UTC),
        datetime(2026, 9, 15, 7, tzinfo=UTC),
        datetime(2026, 9, 29, 7, tzinfo=UTC),
    ]
    assert model.reminder_at(made, 4) is None and model.reminder_at(made, 0) is None


def test_a_reminder_keeps_the_local_hour_across_the_end_of_summer_time() -> None:
    made = datetime(2026, 10, 20, 7, 0, tzinfo=UTC)  # 09:00 CEST
    reminder = model.reminder_at(made, 1, "Europe/Amsterdam")
    assert reminder == datetime(2026, 10, 27, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert reminder is not None and reminder.astimezone(AMS).hour == 9


ACTIONS = [
    {"action_id": "x1", "description": "Vaste agendapunt", "status": "open"},
    {"action_id": "x2", "description": "Protocol", "status": "done"},
]
TODAY = date(2026, 9, 2)


def _answer(*progress: ActionProgress, new: tuple[NewAction, ...] = ()) -> Answer:
    return Answer(progress=progress, still_on_agenda=True, new_actions=new)


def test_a_valid_answer_keeps_html_as_text() -> None:
    kept = model.check_answer(
        _answer(ActionProgress("x1", "delayed", "  <b>later</b>\r\n  ")),
        ACTIONS,
        ["a"],
        TODAY,
    )
    assert kept.progress[0].remark == "<b>later</b>"


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (_answer(), "progress"),  # x1 unanswered
        (_answer(ActionProgress("zz", "done")), "progress[0].action_id"),
        (_answer(ActionProgress("x1", "done"), ActionProgress("x1", "done")), "progress[1].action_id"),
        (_answer(ActionProgress("x1", "finished")), "progress[0].progress"),
        (_answer(ActionProgress("x1", "done", "a\x00b")), "progress[0].remark"),
        (_answer(ActionProgress("x1", "done", "a\u202eb")), "progress[0].remark"),
        (
            _answer(ActionProgress("x1", "done"), new=(NewAction("New", "stranger", TODAY),)),
            "new_actions[0].owner_person_id",
        ),
        (
            _answer(ActionProgress("x1", "done"), new=(NewAction("New", "a", date(2026, 9, 1)),)),
            "new_actions[0].due",
        ),
        (
            _answer(ActionProgress("x1", "done"), new=(NewAction("New", "a", date(3000, 1, 1)),)),
            "new_actions[0].due",
        ),
        (
            _answer(ActionProgress("x1", "done"), new=(NewAction("   ", "a", TODAY),)),
            "new_actions[0].description",
        ),
    ],
)
def test_refusals_name_the_field(answer: Answer, field: str) -> None:
    with pytest.raises(RuleError) as refused:
        model.check_answer(answer, ACTIONS, ["a"], TODAY)
    assert refused.value.field == field


def test_as_document_holds_the_answer() -> None:
    answer = _answer(ActionProgress("x1", "on_track", "ok"), new=(NewAction("Nieuw", "a", TODAY, "m", "e"),))
    doc = model.as_document(model.check_answer(answer, ACTIONS, ["a"], TODAY))
    assert doc["progress"] == [{"action_id": "x1", "progress": "on_track", "remark": "ok"}]
    assert doc["new_actions"][0]["due"] == "2026-09-02" and doc["still_on_agenda"] is True
