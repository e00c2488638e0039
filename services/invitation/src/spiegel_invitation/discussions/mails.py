"""Sending one queued discussion mail: what the mailer reads for it, and its words and calendar file.

The mailer (`mail/mailer.py`) asks `letter_for` (documents read once per batch through its
cache, the decision by `model.discussion_letter`), renders the templates
`discussion_invitation` / `discussion_cancellation` with `addressed`, and attaches `attachment`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from spiegel_platform.i18n import format_moment
from spiegel_platform.storage.repository import TenantRepository

from spiegel_invitation.discussions.calendar import calendar_file, zone
from spiegel_invitation.discussions.model import PARTICIPANT, discussion_letter
from spiegel_invitation.mail.due import Letter
from spiegel_invitation.mail.render import LANGUAGES, RenderedMail
from spiegel_invitation.mail.tokens import checkin_path
from spiegel_invitation.storage import Store

Document = dict[str, Any]
Read = Callable[[TenantRepository, str], Awaitable[Document | None]]


async def letter_for(store: Store, entry: Document, read: Read, *, now: datetime | None = None) -> Letter:
    """Read what a discussion mail needs (the session, the person, the facilitators, the
    participant's report) and let the rules decide."""
    discussion = await read(store.discussions, entry["session_id"])
    person = await read(store.people, entry["person_id"])
    facilitators = [await read(store.people, f) for f in (discussion or {}).get("facilitator_ids", [])]
    report_id = None
    if discussion and entry.get("role") == PARTICIPANT:
        mine = next((p for p in discussion.get("people", []) if p["person_id"] == entry["person_id"]), None)
        if mine and mine.get("round_id"):
            report_id = await _report_of(store, mine["round_id"])
    return discussion_letter(
        entry,
        discussion=discussion,
        person=person,
        facilitators=facilitators,
        report_id=report_id,
        now=now or datetime.now(UTC),
    )


async def _report_of(store: Store, round_id: str) -> str | None:
    """The newest report of the participant's round (a small collection: one per round)."""
    found = await store.reports.find({"round_id": round_id}, limit=1, sort=[("version", -1)])
    return str(found[0]["id"]) if found else None


def addressed(
    mail: Letter, *, base: str, tenant_name: str, time_zone: str | None, token: str | None = None
) -> dict[str, Any]:
    """The templates' values: times in the hospital's zone and the reader's words, full links
    (`token`: the participant's opened check-in link, see `followup.py`)."""
    context = dict(mail.context)
    lang = mail.language if mail.language in LANGUAGES else "nl"
    local = zone(time_zone)
    starts, ends = context.pop("starts_at").astimezone(local), context.pop("ends_at").astimezone(local)
    path = context.pop("report_path", "")
    opens, closes = context.pop("checkin_opens_at", None), context.pop("checkin_closes_at", None)
    context |= {"checkin_link": "", "checkin_opens": "", "checkin_closes": ""}
    if token is not None and opens is not None:
        context["checkin_link"] = base + checkin_path(token)
        context["checkin_opens"] = _moment(opens, local, lang)
        context["checkin_closes"] = _moment(closes, local, lang) if closes is not None else ""
    return context | {
        "date": format_moment(starts, "EEEE d MMMM y", lang),
        "start_time": format_moment(starts, "HH:mm", lang),
        "end_time": format_moment(ends, "HH:mm", lang),
        "report_link": base + path if path else "",
        "tenant_name": tenant_name,
        "recipient_name": mail.to_name,
    }


def _moment(moment: datetime, local: Any, lang: str) -> str:
    at = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(local)
    return format_moment(at, "EEEE d MMMM y, HH:mm", lang)


def without_checkin_link(context: dict[str, Any]) -> dict[str, Any] | None:
    """The values for the calendar event's description (the mail's plain text without the personal
    link: a calendar is more often shared than a mailbox); None when the mail has no link."""
    if not context.get("checkin_link"):
        return None
    return {**context, "checkin_link": ""}


def attachment(
    mail: Letter,
    rendered: RenderedMail,
    *,
    organizer: str,
    time_zone: str | None,
    description: str | None = None,
) -> tuple[str, bytes] | None:
    """(METHOD, .ics) for the message; the event's description is the mail's plain text (or
    `description`: that text without the personal check-in link)."""
    if mail.calendar is None:
        return None
    ics = calendar_file(
        mail.calendar,
        language=mail.language,
        organizer=organizer,
        attendee=mail.to,
        attendee_name=mail.to_name,
        description=rendered.text if description is None else description,
        time_zone=time_zone,
    )
    return str(mail.calendar["method"]), ics
