"""The rules of a group's action plan, without servers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from spiegel_action_plan.group_plans import model
from spiegel_action_plan.group_plans.model import Action, ReportItem, RuleError
from spiegel_platform.errors import Text

TODAY = date(2027, 3, 10)
MEMBERS = ["ann", "bob"]


def action(**changes: object) -> Action:
    values: dict[str, object] = {
        "action_id": "",
        "description": "Elke maand de overdracht evalueren <b>samen</b>",
        "owner_person_id": "ann",
        "due": TODAY + timedelta(days=90),
        "measure": "minstens 10 evaluaties per jaar",
        "embedding_kind": "standing_agenda_item",
        "embedding_text": "Vast punt op de agenda van het vakgroepoverleg",
        "report_items": (ReportItem("development_point", "st-4", "Overdracht"),),
    }
    values.update(changes)
    return Action(**values)  # type: ignore[arg-type]


def refusal(actions: list[Action], earlier: list[Action] | None = None) -> RuleError:
    with pytest.raises(RuleError) as caught:
        model.check_actions(actions, earlier or [], MEMBERS, TODAY)
    return caught.value


def test_an_action_is_kept_with_an_id_and_its_html_as_text() -> None:
    (kept,) = model.check_actions([action()], [], MEMBERS, TODAY)
    assert kept.action_id and kept.description.endswith("<b>samen</b>")
    assert kept.report_items == (ReportItem("development_point", "st-4", "Overdracht"),)


def test_the_owner_is_a_member_of_the_group() -> None:
    error = refusal([action(owner_person_id="carl")])
    assert error.field == "actions[0].owner_person_id"
    assert error.reason.key == "group_plan.owner_not_member"
    assert "lid van de groep" in Text(error.reason.key, package="spiegel_action_plan").in_language("nl")


def test_an_owner_who_left_keeps_an_action_saved_before_until_it_is_handed_on() -> None:
    saved = action(action_id="a1", owner_person_id="carl")
    (kept,) = model.check_actions([saved], [saved], MEMBERS, TODAY)
    assert kept.owner_person_id == "carl"
    assert (
        refusal([action(action_id="a2", owner_person_id="carl")], [saved]).field
        == "actions[0].owner_person_id"
    )


@pytest.mark.parametrize(
    ("due", "reason"),
    [
        (TODAY - timedelta(days=1), "group_plan.date_in_past"),
        (date(3000, 1, 1), "group_plan.date_too_far"),
        (TODAY + timedelta(days=5 * 366 + 1), "group_plan.date_too_far"),
    ],
)
def test_a_due_date_from_today_up_to_five_years(due: date, reason: str) -> None:
    error = refusal([action(due=due)])
    assert error.field == "actions[0].due" and error.reason.key == reason


def test_a_due_date_saved_before_may_stay_in_the_past() -> None:
    saved = action(action_id="a1", due=TODAY - timedelta(days=30))
    assert model.check_actions([saved], [saved], MEMBERS, TODAY)[0].due == saved.due
    assert model.check_actions([action(due=TODAY)], [], MEMBERS, TODAY)[0].due == TODAY


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("actions[0].description", {"description": "Goed\x00plan"}),
        ("actions[0].measure", {"measure": "meer \u202egesprekken"}),
        ("actions[0].embedding.text", {"embedding_text": "agenda\x1b"}),
        ("actions[0].report_items[0].label", {"report_items": (ReportItem("strength", "s", "een\nregel"),)}),
        ("actions[0].description", {"description": "   "}),
        ("actions[0].embedding.kind", {"embedding_kind": "hope"}),
        ("actions[0].status", {"status": "forgotten"}),
        ("actions[0].report_items[0].kind", {"report_items": (ReportItem("score", "s", "x"),)}),
    ],
)
def test_bad_input_is_refused_naming_the_field(field: str, change: dict[str, object]) -> None:
    assert refusal([action(**change)]).field == field


def test_an_action_twice_and_too_many_actions() -> None:
    assert refusal([action(action_id="a"), action(action_id="a")]).field == "actions[1].action_id"
    assert refusal([action() for _ in range(model.MAX_ACTIONS + 1)]).field == "actions"


def test_the_history_names_who_when_and_what_changed() -> None:
    at = datetime(2027, 3, 10, 12, tzinfo=UTC)
    a1, a2 = action(action_id="a1"), action(action_id="a2")
    changed = action(action_id="a1", status="delayed", measure="anders gemeten", owner_person_id="bob")
    found = model.changes([a1, a2], [changed, action(action_id="a3")], "bob", at)
    assert [(c.what, c.action_id) for c in found] == [
        ("action_changed", "a1"),
        ("action_added", "a3"),
        ("action_removed", "a2"),
    ]
    assert all(c.by == "bob" and c.at == at for c in found)
    fields = {f["field"]: f for f in found[0].fields}
    assert fields["status"] == {"field": "status", "old": "open", "new": "delayed"}
    assert fields["owner_person_id"] == {"field": "owner_person_id", "old": "ann", "new": "bob"}
    assert fields["measure"] == {"field": "measure"}  # a long text: that it changed, not the text
    assert model.changes([a1], [a1], "bob", at) == []


def test_the_check_is_calendar_months_after_adoption() -> None:
    """The adoption's check (checks.model.check_moment, as the group plans use it): calendar months
    later, the end of a shorter month where the day does not exist, at the local hour."""
    from spiegel_action_plan.checks.model import LOCAL_HOUR, check_moment

    def local(moment: datetime) -> tuple[int, int, int, int]:
        seen = moment.astimezone(ZoneInfo("Europe/Amsterdam"))
        return seen.year, seen.month, seen.day, seen.hour

    zone = "Europe/Amsterdam"
    assert local(check_moment(datetime(2027, 3, 10, 9, tzinfo=UTC), 6, zone)) == (2027, 9, 10, LOCAL_HOUR)
    assert local(check_moment(datetime(2027, 8, 31, 9, tzinfo=UTC), 6, zone)) == (2028, 2, 29, LOCAL_HOUR)
    assert local(check_moment(datetime(2027, 11, 30, 9, tzinfo=UTC), 3, zone)) == (2028, 2, 29, LOCAL_HOUR)


def test_the_unfinished_actions_carry_into_the_next_plan() -> None:
    previous = [
        action(action_id="a1", status="open"),
        action(action_id="a2", status="done"),
        action(action_id="a3", status="delayed"),
        action(action_id="a4", status="stopped"),
        action(action_id="a5", status="on_track"),
    ]
    carried = model.carried_over(previous)
    assert [a.carried_from for a in carried] == ["a1", "a3", "a5"]
    assert all(a.action_id not in {"a1", "a3", "a5"} for a in carried)
    round_trip = [Action.of(a.as_dict()) for a in carried]
    assert round_trip == list(carried)
