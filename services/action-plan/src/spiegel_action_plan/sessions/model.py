"""Who facilitates a group's discussion now: the rule behind the facilitator's access to the
group's action plan (pure, `tests/test_facilitator_window_rules.py`).

A Groepsmonitor session's facilitator may read and edit the plan of the group the session is
about from the session's start until `EDIT_MARGIN` after its end, and at no other time; a
cancelled session gives nothing. The group is the session's own `group_id`: the accreditation
service refuses a Groepsmonitor session whose group is not its round's subject (the group the
survey's round names), so it is the group discussed even when members joined or left since
(comparing the participants with the group's current members would break on the first change).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

# After the session's end the facilitator may still finish the plan with the group for this long
# (the discussion overran, the plan is typed out afterwards); then it is the members' alone.
EDIT_MARGIN = timedelta(hours=2)

PLANNED = "planned"
CANCELLED = "cancelled"
GROUP_MONITOR = 2  # spiegel.accreditation.v1.SessionKind.SESSION_KIND_GROUP_MONITOR


def session_of(
    *,
    session_id: str,
    version: int,
    group_id: str,
    facilitator_ids: Sequence[str],
    starts_at: datetime | None,
    ends_at: datetime | None,
    state: str,
) -> dict[str, Any]:
    """What is kept of a Groepsmonitor session: ids, times, state (no participants, no place)."""
    return {
        "id": session_id,
        "session_id": session_id,
        "version": version,
        "group_id": group_id,
        "facilitator_ids": list(dict.fromkeys(facilitator_ids)),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "state": state,
    }


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def facilitating(session: Mapping[str, Any] | None, person_id: str, group_id: str, now: datetime) -> bool:
    """Whether `person_id` facilitates this planned session about `group_id` at `now` (its start
    up to its end plus the margin)."""
    if session is None or session.get("state") != PLANNED or not person_id:
        return False
    if session.get("group_id") != group_id or person_id not in session.get("facilitator_ids", ()):
        return False
    starts, ends = session.get("starts_at"), session.get("ends_at")
    if starts is None or ends is None:
        return False
    return _utc(starts) <= now <= _utc(ends) + EDIT_MARGIN
