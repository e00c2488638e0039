"""The rules of a group action plan's periodic check (issue 20, point 5): pure, no I/O.

- **When**: `interval_months` (the hospital's setting, default 6) after the plan was adopted
  (then after each answered check), on that local calendar day in the hospital's time zone at
  `LOCAL_HOUR` (09:00), stored in UTC: a plan adopted on 1 March at 09:00 in Amsterdam (CET,
  08:00 UTC) is due on 1 September at 09:00 (CEST, 07:00 UTC). A day the month lacks (31
  August + 6 months) is the month's last day.
- **Who**: the group's contact person, or every member (`recipients`: the hospital's setting);
  a group without a contact person: every member.
- **Which check**: the check of a plan's due moment has one id (`check_id_of`), so every pass
  and every process that finds the plan due makes the same check; its unique insert is the claim.
- **Reminders**: `REMINDER_DAYS` after the check was made, each once, until it is answered.
- **The answer**: per action its progress (done, on track, delayed, stopped) with a remark;
  whether the plan is still on the group's agenda; new actions (owner among the members).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from spiegel_platform.errors import Text

from spiegel_action_plan.pops.model import RuleError, check_text

OPEN = "open"
COMPLETED = "completed"
ADOPTED = "adopted"
CLOSED = "closed"
PROGRESS = ("done", "on_track", "delayed", "stopped")
RECIPIENT_SETTINGS = ("contact", "members")
DEFAULT_RECIPIENTS: Literal["contact", "members"] = "contact"
DEFAULT_INTERVAL_MONTHS = 6
DEFAULT_TIME_ZONE = "Europe/Amsterdam"
LOCAL_HOUR = 9
# Reminders after the check was made (days), each once; none once it is answered.
REMINDER_DAYS = (7, 14, 28)
MAX_NEW_ACTIONS = 20
HORIZON = timedelta(days=5 * 366)
REMARK_LENGTH = 2000
ACTION_TEXT_LENGTH = 2000


def zone(name: str | None) -> ZoneInfo:
    """The hospital's time zone (Amsterdam when unknown or not a zone)."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def check_moment(start: datetime, months: int, time_zone: str | None) -> datetime:
    """`months` after `start`, on that local day at LOCAL_HOUR in the hospital's zone, in UTC."""
    tz = zone(time_zone)
    local_day = start.astimezone(tz).date() + relativedelta(months=months)
    return datetime.combine(local_day, time(LOCAL_HOUR), tzinfo=tz).astimezone(UTC)


def check_id_of(tenant_id: str, plan_id: str, due_at: datetime) -> str:
    """One check per plan and due moment: whoever finds the plan due makes this id."""
    moment = due_at.astimezone(UTC).isoformat(timespec="seconds")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spiegel-plan-check:{tenant_id}:{plan_id}:{moment}"))


def recipients(group: Mapping[str, Any] | None, setting: str | None) -> list[str]:
    """Who is asked: the contact person, or (setting "members", or no contact) every member."""
    if not group:
        return []
    members = [str(p) for p in dict.fromkeys(group.get("member_person_ids") or []) if p]
    contact = str(group.get("contact_person_id") or "")
    if (setting or DEFAULT_RECIPIENTS) == "contact" and contact:
        return [contact]
    return members or ([contact] if contact else [])


def reminder_at(created_at: datetime, number: int, time_zone: str | None = None) -> datetime | None:
    """When reminder `number` (1, 2, ...) of a check made at `created_at` is due: whole days later
    at the same local time in the hospital's zone (across a change to or from summer time too),
    in UTC; None: no more."""
    if number < 1 or number > len(REMINDER_DAYS):
        return None
    local = created_at.astimezone(zone(time_zone))
    # Adding days to a zoned moment keeps its wall-clock time; the offset follows the new day.
    return (local + timedelta(days=REMINDER_DAYS[number - 1])).astimezone(UTC)


@dataclass(frozen=True)
class ActionProgress:
    action_id: str
    progress: str
    remark: str = ""


@dataclass(frozen=True)
class NewAction:
    description: str
    owner_person_id: str
    due: date
    measure: str = ""
    embedding: str = ""


@dataclass(frozen=True)
class Answer:
    progress: tuple[ActionProgress, ...]
    still_on_agenda: bool
    new_actions: tuple[NewAction, ...] = ()
    remark: str = ""


def check_answer(
    answer: Answer, actions: Sequence[Mapping[str, Any]], members: Sequence[str], today: date
) -> Answer:
    """The answer as kept, or a RuleError naming the field: every action of the plan answered
    once (those done or stopped before may be left out), no unknown action, texts without
    hidden characters, new actions owned by a member and due from today up to five years."""
    known = {str(a.get("action_id")): a for a in actions}
    seen: set[str] = set()
    kept: list[ActionProgress] = []
    for i, item in enumerate(answer.progress):
        where = f"progress[{i}]"
        if item.action_id not in known:
            raise RuleError(f"{where}.action_id", Text("check.unknown_action"))
        if item.action_id in seen:
            raise RuleError(f"{where}.action_id", Text("check.action_twice"))
        if item.progress not in PROGRESS:
            raise RuleError(f"{where}.progress", Text("check.unknown_progress"))
        seen.add(item.action_id)
        kept.append(ActionProgress(item.action_id, item.progress, _text(f"{where}.remark", item.remark)))
    for action_id, action in known.items():
        if action_id not in seen and action.get("status") not in ("done", "stopped"):
            raise RuleError("progress", Text("check.action_missing", description=_short(action)))
    new: list[NewAction] = []
    for i, added in enumerate(answer.new_actions):
        where = f"new_actions[{i}]"
        description = _text(f"{where}.description", added.description)
        if not description:
            raise RuleError(f"{where}.description", Text("check.required"))
        if added.owner_person_id not in members:
            raise RuleError(f"{where}.owner_person_id", Text("check.owner_not_member"))
        if added.due < today or added.due > today + HORIZON:
            raise RuleError(f"{where}.due", Text("check.due_out_of_range"))
        new.append(
            NewAction(
                description,
                added.owner_person_id,
                added.due,
                _text(f"{where}.measure", added.measure),
                _text(f"{where}.embedding", added.embedding),
            )
        )
    return Answer(tuple(kept), answer.still_on_agenda, tuple(new), _text("remark", answer.remark))


def _text(field: str, value: str) -> str:
    return check_text(field, value)


def _short(action: Mapping[str, Any]) -> str:
    text = str(action.get("description") or action.get("action_id") or "")
    return text if len(text) <= 60 else text[:57] + "..."


def as_document(answer: Answer) -> dict[str, Any]:
    """The answer as stored in the check (the plan's history)."""
    return {
        "progress": [
            {"action_id": p.action_id, "progress": p.progress, "remark": p.remark} for p in answer.progress
        ],
        "still_on_agenda": answer.still_on_agenda,
        "remark": answer.remark,
        "new_actions": [
            {
                "description": n.description,
                "owner_person_id": n.owner_person_id,
                "due": n.due.isoformat(),
                "measure": n.measure,
                "embedding": n.embedding,
            }
            for n in answer.new_actions
        ],
    }
