"""Attendance of a discussion session and the meeting's evaluation: the rules. Pure: no I/O.

- A participant checks in (QR code at the end of the meeting, or the follow-up link) from the
  session's start until `window` after its end (14 days by default), once: a second check-in
  is "already checked in" (and may correct the BIG number).
- The BIG number is the platform's rule (`spiegel_platform.big_numbers`): 11 digits as text, 9
  or 10 get leading zeros, spaces and dots ignored, anything else refused with the reason.
- The evaluation of the meeting: a few statements on a 1-5 scale and an open remark, all
  optional. It is stored apart from who gave it (attendance/service.py) and shown to the
  facilitators and the hospital only when at least the anonymity floor (4) answered.
- A facilitator marks a participant present, partly present (with the hours present, less than
  the session lasted) or absent, with a reason (required unless present).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from spiegel_platform import anonymity
from spiegel_platform.big_numbers import BigNumberError, big_number
from spiegel_platform.errors import Text
from spiegel_platform.names import is_hidden_control

from spiegel_accreditation.sessions.model import PACKAGE, RuleError

PRESENT = "present"
PARTIAL = "partial"
ABSENT = "absent"
STATUSES = (PRESENT, PARTIAL, ABSENT)
Status = Literal["present", "partial", "absent"]

CHECK_IN = "check_in"
FACILITATOR = "facilitator"

# The statements of the evaluation (their texts are the web pages' `checkin_statement_<key>`).
STATEMENTS = ("prepared", "safe", "useful", "facilitation", "recommend")
SCALE = (1, 2, 3, 4, 5)
MAX_REMARK = 1000
MAX_REASON = 500
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Hours present are given in quarters of an hour.
QUARTER = 0.25


def _text(key: str, **params: object) -> Text:
    return Text(key, package=PACKAGE, **params)


def check_window(starts_at: datetime, ends_at: datetime, *, now: datetime, window: timedelta) -> None:
    """Check-in is open from the start until `window` after the end."""
    if now < starts_at:
        # The moment in Dutch time, as the invitation shows it (a participant reads it on a phone).
        opens = starts_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
        raise RuleError("session", _text("checkin.not_yet_open", opens=opens))
    if now > ends_at + window:
        raise RuleError("session", _text("checkin.window_closed", days=window.days))


def closes_at(ends_at: datetime, window: timedelta) -> datetime:
    return ends_at + window


def parse_big_number(value: str | None, remembered: str | None) -> str:
    """The BIG number as stored; the remembered one when none is typed."""
    if value is None or not value.strip():
        if remembered:
            return remembered
        raise RuleError("big_number", _text("checkin.big_number_missing"))
    try:
        return big_number(value)
    except BigNumberError as error:
        raise RuleError("big_number", error.reason) from None


@dataclass(frozen=True)
class Evaluation:
    """One participant's evaluation of the meeting (no identity)."""

    answers: Mapping[str, int] = field(default_factory=dict)
    remark: str = ""

    @property
    def empty(self) -> bool:
        return not self.answers and not self.remark


def _clean_text(value: str, field_name: str, most: int) -> str:
    text = value.strip()
    if len(text) > most:
        raise RuleError(field_name, _text("checkin.too_long", most=most, length=len(text)))
    if any(is_hidden_control(c) for c in text if c not in "\n\t"):
        raise RuleError(field_name, _text("checkin.control_characters"))
    return text


def parse_evaluation(answers: Mapping[str, Any], remark: str) -> Evaluation:
    kept: dict[str, int] = {}
    for key, value in answers.items():
        if key not in STATEMENTS:
            raise RuleError(f"evaluation.answers.{key}", _text("checkin.statement_unknown"))
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise RuleError(f"evaluation.answers.{key}", _text("checkin.scale", lowest=1, highest=5))
        kept[key] = value
    return Evaluation(kept, _clean_text(remark, "evaluation.remark", MAX_REMARK))


def session_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return max(0, int((ends_at - starts_at).total_seconds() // 60))


@dataclass(frozen=True)
class Mark:
    status: str
    minutes: int
    reason: str


def check_mark(status: str, hours: float | None, reason: str, *, minutes_in_session: int) -> Mark:
    """A facilitator's record of one participant's attendance."""
    if status not in STATUSES:
        raise RuleError("status", _text("attendance.status_unknown"))
    why = _clean_text(reason, "reason", MAX_REASON)
    if status != PRESENT and not why:
        raise RuleError("reason", _text("attendance.reason_missing"))
    if status == PRESENT:
        return Mark(PRESENT, minutes_in_session, why)
    if status == ABSENT:
        return Mark(ABSENT, 0, why)
    session_hours = minutes_in_session / 60
    if hours is None or not math.isfinite(hours):
        raise RuleError("hours", _text("attendance.hours_missing"))
    if hours <= 0 or hours >= session_hours:
        raise RuleError("hours", _text("attendance.hours_range", most=f"{session_hours:g}"))
    if abs(hours / QUARTER - round(hours / QUARTER)) > 1e-9:
        raise RuleError("hours", _text("attendance.hours_quarters"))
    return Mark(PARTIAL, round(hours * 60), why)


def summary(
    evaluations: Iterable[Mapping[str, Any]], *settings: int | None, closes_at: datetime, now: datetime
) -> dict[str, Any]:
    """What the facilitators and the hospital see of a session's evaluations: nothing (not even
    how many) while the check-in window is open (`available_from`: when it closes), nor below the
    anonymity floor; after both, the averages, the counts per point of the scale and the remarks
    in alphabetical order (nothing of the order they were given in).

    Why the window: shown as soon as the floor was reached, a reader who looked after the 4th
    and again after the 5th answer would learn the 5th by the difference. Once the window has
    closed no answer can be added, so every reading is the same one."""
    floor = anonymity.threshold(*settings)
    if now < closes_at:
        return {"shown": False, "threshold": floor, "available_from": closes_at.isoformat()}
    given = [e for e in evaluations if e.get("answers") or e.get("remark")]
    if len(given) < floor:
        return {"shown": False, "threshold": floor}
    statements = {}
    for key in STATEMENTS:
        scores = [int(e["answers"][key]) for e in given if key in (e.get("answers") or {})]
        statements[key] = {
            "answered": len(scores),
            "average": round(sum(scores) / len(scores), 1) if scores else None,
            "counts": {str(point): scores.count(point) for point in SCALE},
        }
    remarks = sorted((str(e["remark"]) for e in given if e.get("remark")), key=str.casefold)
    return {
        "shown": True,
        "threshold": floor,
        "answered": len(given),
        "statements": statements,
        "remarks": remarks,
    }


def followup_recipients(participant_ids: Sequence[str], checked_in: Collection[str]) -> list[str]:
    """Who gets the follow-up mail with a personal check-in link after a session: every
    participant who has not checked in themselves (a facilitator's mark is no check-in: the BIG
    number and the evaluation come from the participant), each once, in the session's order."""
    return [p for p in dict.fromkeys(participant_ids) if p not in checked_in]


def followup_due(ends_at: datetime, *, now: datetime, after: timedelta, window: timedelta) -> bool:
    """The follow-up is decided once the session has ended (plus `after`) and while check-in is
    still open: a link mailed after the window would open nothing."""
    return ends_at + after <= now < closes_at(ends_at, window)
