"""Which people a group plan names (`people/directory.py` `named_in`): pure, no servers."""

from __future__ import annotations

from spiegel_action_plan.people.directory import named_in


def test_the_people_a_plan_shows() -> None:
    group = {"member_person_ids": ["ann", "bob"], "contact_person_id": "cas"}
    plan = {
        "actions": [{"owner_person_id": "bob"}, {"owner_person_id": "left-the-group"}],
        "history": [
            {"by": "ann", "what": "created"},
            {"by": "fac", "what": "action_added"},
            {
                "by": "bob",
                "what": "action_changed",
                "fields": [
                    {"field": "owner_person_id", "old": "old-owner", "new": "bob"},
                    {"field": "status", "old": "open", "new": "done"},
                ],
            },
        ],
    }
    assert named_in(plan, group) == ["ann", "bob", "cas", "fac", "left-the-group", "old-owner"]


def test_nobody_else() -> None:
    # No contact person, no actions, no history: the members only; a status is no person.
    assert named_in({}, {"member_person_ids": ["ann"], "contact_person_id": None}) == ["ann"]
    assert named_in({"history": [{"by": "", "fields": [{"field": "due", "old": "x"}]}]}, {}) == []
