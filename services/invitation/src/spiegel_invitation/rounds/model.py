"""Rounds as the invitation service sees them: groups, the self-evaluation, reminders. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

IFMS = "IFMS"
GROUP_MONITOR = "GROUP_MONITOR"
MIN_NOMINEES_ADVISED = 6


class Group(BaseModel):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    label_nl: str = Field("", max_length=100)
    label_en: str = Field("", max_length=100)
    is_self: bool = False


DEFAULT_IFMS_GROUPS = [
    Group(code="self", label_nl="Zelfevaluatie", label_en="Self-evaluation", is_self=True),
    Group(code="colleagues", label_nl="Collega medisch specialisten", label_en="Colleague specialists"),
    Group(code="staff", label_nl="Medewerkers", label_en="Staff"),
    Group(code="flex", label_nl="Vrije groep", label_en="Flexible group"),
]
DEFAULT_GROUP_MONITOR_GROUPS = [
    Group(code="members", label_nl="Leden van de groep", label_en="Group members", is_self=True),
    Group(code="colleagues", label_nl="Collega medisch specialisten", label_en="Colleague specialists"),
    Group(code="staff", label_nl="Medewerkers", label_en="Staff"),
    Group(code="managers", label_nl="Managers", label_en="Managers"),
    Group(code="partners", label_nl="Verwijzers en partners", label_en="Referrers and partners"),
]


def default_groups(kind: str) -> list[Group]:
    return DEFAULT_GROUP_MONITOR_GROUPS if kind == GROUP_MONITOR else DEFAULT_IFMS_GROUPS


def self_group(groups: list[dict[str, Any]]) -> str:
    for group in groups:
        if group.get("is_self"):
            return str(group["code"])
    return "self"


def nominee_groups(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups a nominee may be put in (never the self group)."""
    return [g for g in groups if not g.get("is_self")]


def self_assignment_id(round_id: str, person_id: str) -> str:
    # Deterministic: a redelivered RoundOpened finds the same assignment.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spiegel:self:{round_id}:{person_id}"))


def self_people(round_view: dict[str, Any]) -> list[str]:
    """Who gets a self-evaluation: the subject (IFMS) or every member (Groepsmonitor)."""
    if round_view.get("kind") == GROUP_MONITOR:
        return [m for m in round_view.get("member_ids") or [] if m]
    subject = round_view.get("subject_id")
    return [subject] if subject else []


@dataclass(frozen=True)
class ReminderPolicy:
    max_reminders: int = 3
    interval_days: float = 7.0
    quiet_days: float = 1.0  # none in the last day before closing
    # Between two reminders to one person, scheduled or by hand: a button pressed twice sends one.
    min_interval_hours: float = 24.0

    def due_times(self, opens_at: datetime, closes_at: datetime) -> list[datetime]:
        times = []
        for number in range(1, self.max_reminders + 1):
            due = opens_at + timedelta(days=self.interval_days * number)
            if due > closes_at - timedelta(days=self.quiet_days):
                break
            times.append(due)
        return times

    def next_after(self, opens_at: datetime, closes_at: datetime, done: int) -> tuple[int, datetime] | None:
        """The next scheduled reminder after `done` reminders: (its number, when)."""
        times = self.due_times(opens_at, closes_at)
        if done >= len(times):
            return None
        return done + 1, times[done]

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None, fallback: ReminderPolicy | None = None) -> ReminderPolicy:
        base = fallback or cls()
        if not doc:
            return base
        return cls(
            max_reminders=int(doc.get("max_reminders", base.max_reminders)),
            interval_days=float(doc.get("interval_days", base.interval_days)),
            quiet_days=float(doc.get("quiet_days", base.quiet_days)),
            min_interval_hours=float(doc.get("min_interval_hours", base.min_interval_hours)),
        )

    def as_doc(self) -> dict[str, Any]:
        return {
            "max_reminders": self.max_reminders,
            "interval_days": self.interval_days,
            "quiet_days": self.quiet_days,
            "min_interval_hours": self.min_interval_hours,
        }


def periods_overlap(
    a_start: datetime | None, a_end: datetime | None, b_start: datetime | None, b_end: datetime | None
) -> bool:
    """Open-ended where a bound is unknown (a draft round without dates overlaps everything)."""
    if a_end is not None and b_start is not None and a_end < b_start:
        return False
    return not (b_end is not None and a_start is not None and b_end < a_start)
