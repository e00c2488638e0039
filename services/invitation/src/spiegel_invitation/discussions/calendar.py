"""The iCalendar file (RFC 5545, iTIP RFC 5546) sent with every discussion mail, by `icalendar`.

One event per session and person: the UID (`model.calendar_uid`) never changes, SEQUENCE is
the session's version, so a calendar program applies an update or a cancellation to the event
it already has. An invitation is METHOD:REQUEST with STATUS:CONFIRMED; a cancellation
METHOD:CANCEL with STATUS:CANCELLED. Times carry the hospital's time zone (TZID with its
VTIMEZONE), so the meeting stays at 14:00 local time across a change to or from summer time.
The file holds no content of the discussion: when, where, who leads, how to prepare.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from spiegel_platform.i18n import translator

from spiegel_invitation.mail.render import PACKAGE

DEFAULT_TIME_ZONE = "Europe/Amsterdam"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def calendar_file(
    spec: Mapping[str, Any],
    *,
    language: str,
    organizer: str,
    attendee: str,
    attendee_name: str,
    description: str,
    time_zone: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The .ics of one discussion mail (`spec`: `Letter.calendar`)."""
    texts = translator(language, (PACKAGE,))
    local = zone(time_zone)
    cancel = spec["method"] == "CANCEL"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Spiegel//Groepsbespreking//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", spec["method"])
    event = icalendar.Event()
    event.add("uid", spec["uid"])
    event.add("sequence", int(spec["sequence"]))
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", spec["starts_at"].astimezone(local))
    event.add("dtend", spec["ends_at"].astimezone(local))
    kind = (
        "mail.discussion.calendar_title_gm"
        if spec.get("is_group_monitor")
        else "mail.discussion.calendar_title"
    )
    event.add("summary", texts.gettext(kind))
    place = spec.get("location") or spec.get("online_url") or ""
    if place:
        event.add("location", place)
    if spec.get("online_url"):
        event.add("url", spec["online_url"])
    event.add("description", description)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer_name, organizer_address = parseaddr(organizer)
    event.add(
        "organizer", f"mailto:{organizer_address}", parameters={"CN": organizer_name or organizer_address}
    )
    if attendee:
        event.add(
            "attendee",
            f"mailto:{attendee}",
            parameters={
                "CN": attendee_name or attendee,
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "FALSE",
            },
        )
    calendar.add_component(event)
    # The zone's rules around the meeting only (not every change since 1970).
    first = spec["starts_at"].astimezone(local).date()
    calendar.add_missing_timezones(
        first_date=first - timedelta(days=366), last_date=first + timedelta(days=366)
    )
    return bytes(calendar.to_ical())
