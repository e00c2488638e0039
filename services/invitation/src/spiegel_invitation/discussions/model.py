"""Invitations to group discussions (groepsbesprekingen): who gets which mail, and when. Pure.

The accreditation service announces each session's state after every change
(`SessionPlanned`, `SessionChanged`, `SessionCancelled`, each with the whole session and its
`version`). From that, here:

- **When** (`invite_at`): a person's first invitation is due `days_ahead` days (the hospital's
  `discussion_invitation_days_ahead`, default 7) before the start; a session planned less than
  that ahead invites at once.
- **Who** (`decide`): planning invites every participant and facilitator. A change concerns
  everyone when the time, the place or the facilitators change (the mail shows all three); a
  swap concerns only the two people swapped: the one leaving gets a cancellation, the one
  joining an invitation. Cancelling sends cancellations. Somebody whose invitation was not
  due yet gets no cancellation (they were never told) and no separate update: their one
  invitation, when it is due, shows the session as it then is.
- **Whether, when it is sent** (`discussion_letter`): a queued invitation goes out only while
  the person still takes part, the session is not cancelled or started, and no later change
  concerning them asked for a newer invitation (that one goes instead). So a reschedule of a
  session whose invitations are still a week away queues a new invitation and the old one
  is passed over: each person gets one invitation, with the latest state.

Every mail has its own key, `discussion:<session>:<version>:<person>`, so a redelivered event
queues nothing twice and the mailer (`mail/mailer.py`) sends each at most once. The calendar
file of every mail to one person about one session has the same UID and the session's
version as its SEQUENCE, so calendar programs update (or cancel) the one event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from spiegel_invitation.mail.due import DEFAULT_LANGUAGE, NO_ADDRESS, Letter, NotYet, Skip, Undeliverable

Document = Mapping[str, Any]

INVITATION = "discussion_invitation"
CANCELLATION = "discussion_cancellation"
TEMPLATES = (INVITATION, CANCELLATION)

PARTICIPANT = "participant"
FACILITATOR = "facilitator"

PLANNED = "planned"
CHANGED = "changed"
CANCELLED = "cancelled"

DEFAULT_DAYS_AHEAD = 7
# A person not in the directory yet: tried again this many times (2 s apart), then failed (no address).
DIRECTORY_WAIT_ATTEMPTS = 15
MAX_DAYS_AHEAD = 60

# Changes that alter what every invitation shows (when, where, who leads).
CONCERNS_EVERYONE = frozenset({"schedule", "place", "facilitators"})


def mail_key(session_id: str, version: int, person_id: str) -> str:
    return f"discussion:{session_id}:{version}:{person_id}"


def invite_at(starts_at: datetime, days_ahead: int, now: datetime) -> datetime:
    """When a first invitation is due: `days_ahead` days before the start, or now if that has passed."""
    return max(now, starts_at - timedelta(days=days_ahead))


def days_ahead_of(tenant: Document | None) -> int:
    """The hospital's setting, within its bounds; 7 when it has none."""
    value = (tenant or {}).get("discussion_invitation_days_ahead")
    if not isinstance(value, int) or isinstance(value, bool):
        return DEFAULT_DAYS_AHEAD
    return min(max(value, 0), MAX_DAYS_AHEAD)


def people_of(session: Document) -> list[dict[str, str]]:
    """Everybody a session's mails go to: participants (with their round), then facilitators."""
    found = [
        {"person_id": p["person_id"], "role": PARTICIPANT, "round_id": p.get("round_id", "")}
        for p in session.get("participants", [])
    ]
    found += [
        {"person_id": f, "role": FACILITATOR, "round_id": ""} for f in session.get("facilitator_ids", [])
    ]
    return found


@dataclass(frozen=True)
class Decision:
    """The session as stored here after an event, and the mails it asks for."""

    state: str
    people: list[dict[str, Any]]
    mails: list[dict[str, Any]] = field(default_factory=list)


def decide(
    previous: Document | None,
    session: Document,
    event: str,
    *,
    changes: Sequence[str] = (),
    days_ahead: int,
    now: datetime,
) -> Decision:
    """What one session event changes here (see the module's docstring).

    `previous`: the session as stored here before (None: its first event seen here);
    `session`: the session after the event (`version`, `starts_at`, `participants`, ...);
    `changes`: for a `changed` event, what changed (`schedule`, `place`, `participants`,
    `facilitators`; none given: treated as everything)."""
    session_id = session["session_id"]
    version = int(session["version"])
    before = {p["person_id"]: p for p in (previous or {}).get("people", [])}
    snapshot = _snapshot(session)
    mails: list[dict[str, Any]] = []

    def cancel(person: Document) -> None:
        # Nobody was told before their invitation was due: nothing to cancel then.
        if person["invite_at"] <= now:
            mails.append(
                {
                    "id": mail_key(session_id, version, person["person_id"]),
                    "template": CANCELLATION,
                    "session_id": session_id,
                    "person_id": person["person_id"],
                    "role": person["role"],
                    "version": version,
                    "due": now,
                    "session": snapshot,
                }
            )

    if event == CANCELLED:
        for person in before.values() if previous else _fresh(session, days_ahead, now, version):
            cancel(person)
        return Decision(state=CANCELLED, people=[], mails=mails)

    everyone = not changes or bool(CONCERNS_EVERYONE & set(changes)) or previous is None
    rescheduled = not changes or "schedule" in changes
    people: list[dict[str, Any]] = []
    for person in people_of(session):
        known = before.get(person["person_id"])
        if known is None:
            record: dict[str, Any] = {
                **person,
                "invite_at": invite_at(session["starts_at"], days_ahead, now),
                "concerned": version,
            }
            update = False
        elif everyone:
            told = known["invite_at"] <= now
            due_at = (
                known["invite_at"]
                if told or not rescheduled
                else invite_at(session["starts_at"], days_ahead, now)
            )
            record = {**person, "invite_at": due_at, "concerned": version}
            update = told
        else:
            people.append({**known, **person})
            continue
        people.append(record)
        mails.append(
            {
                "id": mail_key(session_id, version, person["person_id"]),
                "template": INVITATION,
                "session_id": session_id,
                "person_id": person["person_id"],
                "role": person["role"],
                "version": version,
                "update": update,
                "due": max(now, record["invite_at"]),
            }
        )
    staying = {p["person_id"] for p in people}
    for person_id, known in before.items():
        if person_id not in staying:
            cancel(known)
    return Decision(state=PLANNED, people=people, mails=mails)


def _fresh(session: Document, days_ahead: int, now: datetime, version: int) -> list[dict[str, Any]]:
    """A session seen here first when it is cancelled: who would have been told by now."""
    at = invite_at(session["starts_at"], days_ahead, now)
    return [{**p, "invite_at": at, "concerned": version} for p in people_of(session)]


def _snapshot(session: Document) -> dict[str, Any]:
    """What a cancellation shows of the session it cancels (a later change may move it)."""
    return {k: session.get(k) for k in ("kind", "starts_at", "ends_at", "location", "online_url")}


# -- waiting ------------------------------------------------------------------------------------
# Mails due later stay out of the mail queue (the mailer reads the queue twice a second, and on
# FerretDB every read of it decodes every entry): they wait in the session's own document, whose
# `next_at` the scheduler (`discussions/scheduler.py`) looks at once a tick, as reminders wait.
def next_wake(current: datetime | None, mails: Sequence[Document], now: datetime) -> datetime | None:
    """When the session's document must be looked at again: the sooner of what it waited for
    already and the new mails that are not due yet."""
    candidates = [m["due"] for m in mails if m["due"] > now]
    if current is not None:
        candidates.append(current)
    return min(candidates) if candidates else None


def now_due(
    mails_by_version: Mapping[str, Sequence[Document]], after: datetime | None, now: datetime
) -> list[dict[str, Any]]:
    """The session's mails that fell due after `after` (the last tick that queued them) and by `now`."""
    return [
        dict(m)
        for mails in mails_by_version.values()
        for m in mails
        if m["due"] <= now and (after is None or m["due"] > after)
    ]


def still_waiting(mails_by_version: Mapping[str, Sequence[Document]], now: datetime) -> datetime | None:
    later = [m["due"] for mails in mails_by_version.values() for m in mails if m["due"] > now]
    return min(later) if later else None


# -- sending ------------------------------------------------------------------------------------
def discussion_letter(
    entry: Document,
    *,
    discussion: Document | None,
    person: Document | None,
    facilitators: Sequence[Document | None] = (),
    report_id: str | None = None,
    now: datetime,
) -> Letter:
    """The mail a queued discussion entry asks for, or why not (`Skip`, `Undeliverable`, `NotYet`)."""
    if discussion is None:
        raise NotYet("the session is not recorded yet")
    person_id = entry["person_id"]
    version = int(entry["version"])
    current = {p["person_id"]: p for p in discussion.get("people", [])}
    if entry["template"] == INVITATION:
        if discussion.get("state") == CANCELLED:
            raise Skip("the session is cancelled")
        me = current.get(person_id)
        if me is None:
            raise Skip("no longer taking part")
        if int(me.get("concerned", 0)) > version:
            raise Skip("superseded by a later invitation")
        if discussion["starts_at"] <= now:
            raise Skip("the session has started")
        shown: Document = discussion
        sequence = int(discussion["version"])
        method = "REQUEST"
    elif entry["template"] == CANCELLATION:
        if person_id in current and discussion.get("state") != CANCELLED:
            raise Skip("taking part again")
        shown = entry.get("session") or discussion
        sequence = version
        method = "CANCEL"
    else:
        raise Undeliverable(f"unknown mail template {entry['template']!r}")
    if person is None and int(entry.get("attempt", 0)) < DIRECTORY_WAIT_ATTEMPTS:
        # The gateway's PersonRegistered may come a moment after the session's event.
        raise NotYet("the person is not in the directory yet")
    if person is None:
        raise Undeliverable(NO_ADDRESS)
    if not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    language = person.get("language") or DEFAULT_LANGUAGE
    minutes = int((shown["ends_at"] - shown["starts_at"]).total_seconds() // 60)
    role = entry.get("role", PARTICIPANT)
    context = {
        "role": role,
        "is_update": bool(entry.get("update")),
        "is_group_monitor": shown.get("kind") == "GROUP_MONITOR",
        "starts_at": shown["starts_at"],
        "ends_at": shown["ends_at"],
        "hours": minutes // 60,
        "minutes": minutes % 60,
        "location": shown.get("location") or "",
        "online_url": shown.get("online_url") or "",
        "facilitator_names": [f.get("display_name", "") for f in facilitators if f and f.get("display_name")],
        "report_path": _report_path(report_id) if role == PARTICIPANT else "",
    }
    # A participant's invitation carries their personal check-in link (`followup.py`): it works
    # from the start until the check-in closes (the accreditation service's window, when known).
    with_link = method == "REQUEST" and role == PARTICIPANT and bool(entry.get("token_sealed"))
    if with_link:
        context["checkin_opens_at"] = shown["starts_at"]
        context["checkin_closes_at"] = discussion.get("checkin_closes_at")
    calendar = {
        "method": method,
        "uid": calendar_uid(entry.get("tenant_id", ""), entry["session_id"], person_id),
        "sequence": sequence,
        "starts_at": shown["starts_at"],
        "ends_at": shown["ends_at"],
        "location": context["location"],
        "online_url": context["online_url"],
        "is_group_monitor": context["is_group_monitor"],
    }
    return Letter(
        kind=entry["template"],
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=language,
        context=context,
        calendar=calendar,
        token_sealed=str(entry["token_sealed"]) if with_link else "",
        token_hash=str(entry.get("token_hash") or "") if with_link else "",
    )


def _report_path(report_id: str | None) -> str:
    return f"/rapportages/{quote(report_id, safe='')}" if report_id else "/"


def calendar_uid(tenant_id: str, session_id: str, person_id: str) -> str:
    """One calendar event per session and person, named without any personal data."""
    digest = hashlib.sha256(f"{tenant_id}\x00{session_id}\x00{person_id}".encode()).hexdigest()[:32]
    return f"{digest}@discussions.spiegel"
