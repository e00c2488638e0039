"""A suspended hospital (`suspension.model` and its use in `mail.due`): the rules alone, no servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from spiegel_invitation.mail import due
from spiegel_invitation.mail.due import Skip
from spiegel_invitation.suspension import model

T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
SUSPENDED = {"suspended": True, "suspended_at": T0}
RESUMED = {"suspended": False, "suspended_at": T0, "resumed_at": T0 + timedelta(days=14)}
ROUND = {"id": "r1", "title": "IFMS", "kind": "IFMS", "status": "open", "closes_at": T0 + timedelta(days=30)}
ASSIGNMENT: dict[str, Any] = {
    "id": "a1",
    "round_id": "r1",
    "email": "piet@umc.example",
    "name": "Piet Jansen",
    "token_sealed": "s",
    "token_hash": "h",
    "expires_at": T0 + timedelta(days=30),
}


def test_the_moments_change_only_with_the_status() -> None:
    assert model.status_change(None, True, T0) == {"suspended": True, "suspended_at": T0}
    assert model.status_change({"suspended": False}, True, T0) == {"suspended": True, "suspended_at": T0}
    later = T0 + timedelta(days=1)
    # Announced again (a rename while suspended, a redelivery): the suspension's start stays.
    assert model.status_change(SUSPENDED, True, later) == {"suspended": True}
    assert model.status_change(SUSPENDED, False, later) == {"suspended": False, "resumed_at": later}
    assert model.status_change(RESUMED, False, later) == {"suspended": False}
    assert model.reactivated(SUSPENDED, False) and not model.reactivated(RESUMED, False)
    assert not model.reactivated(SUSPENDED, True) and not model.reactivated(None, False)


@pytest.mark.parametrize(
    ("due_at", "tenant", "missed"),
    [
        (T0 + timedelta(days=7), RESUMED, True),  # came due during the suspension
        (T0 - timedelta(hours=1), RESUMED, True),  # due just before it, still pending at its start
        (T0 + timedelta(days=15), RESUMED, False),  # after the reactivation: on schedule
        (T0 + timedelta(days=7), {"suspended": False}, False),  # never suspended
        (T0 + timedelta(days=7), None, False),
        (T0 + timedelta(days=7), {**RESUMED, "suspended": True}, False),  # suspended again: it waits
        ((T0 + timedelta(days=7)).replace(tzinfo=None), RESUMED, True),  # naive UTC from a database
    ],
)
def test_a_scheduled_reminder_due_before_the_reactivation_is_passed_over(
    due_at: datetime, tenant: dict[str, Any] | None, missed: bool
) -> None:
    assert model.missed_reminder(due_at, tenant) is missed


def test_a_held_reminder_is_dropped_but_a_held_invitation_is_sent() -> None:
    queued_before = T0 - timedelta(minutes=5)
    held_reminder = {
        "id": "a1:reminder:1",
        "template": "reminder",
        "assignment_id": "a1",
        "queued_at": queued_before,
    }
    with pytest.raises(Skip, match="suspended"):
        due.letter(held_reminder, tenant=RESUMED, assignment=ASSIGNMENT, round_doc=ROUND)
    chase = {**held_reminder, "id": "a1:manual:x"}
    with pytest.raises(Skip, match="suspended"):
        due.letter(chase, tenant=RESUMED, assignment=ASSIGNMENT, round_doc=ROUND)
    # A reminder asked for after the reactivation goes; so does one where nothing was suspended.
    fresh = {**held_reminder, "queued_at": RESUMED["resumed_at"] + timedelta(days=1)}
    assert due.letter(fresh, tenant=RESUMED, assignment=ASSIGNMENT, round_doc=ROUND).kind == "reminder"
    assert due.letter(held_reminder, tenant={}, assignment=ASSIGNMENT, round_doc=ROUND).kind == "reminder"
    # The invitation held as long is what the person needs to take part: it goes.
    invitation = {
        "id": "a1:invitation",
        "template": "invitation",
        "assignment_id": "a1",
        "queued_at": queued_before,
    }
    assert due.letter(invitation, tenant=RESUMED, assignment=ASSIGNMENT, round_doc=ROUND).kind == "invitation"
    # ... unless the round closed meanwhile.
    with pytest.raises(Skip, match="closed"):
        due.letter(invitation, tenant=RESUMED, assignment=ASSIGNMENT, round_doc={**ROUND, "status": "closed"})
