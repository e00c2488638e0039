"""Group discussions (groepsbesprekingen) in the pages: "Mijn groepsbesprekingen", one page.

- `GET /mijn-besprekingen` (specialists, facilitators; coordinators see their own too): every
  session one leads or takes part in, upcoming (and under way) first, soonest first, then the past
  ones of the last 12 months, latest first. Per session: when, where or the online link, the kind
  (IFMS or Groepsmonitor), the role, and the actions that apply: the calendar file, the themes and
  the check-in (taking part), the facilitator's page, the preparation and the QR code (leading),
  the released notes (after the session). The overviews of one's notes and declarations are linked
  for a participant.
- `GET /groepsbesprekingen/mijn`: the former address of this page (an invitation mail, a
  bookmark): 303 to `/mijn-besprekingen`.
- `GET /groepsbesprekingen/{id}/agenda.ics`: the calendar file, the invitation service's, with the
  same UID and SEQUENCE as the invitation mail's, so a calendar that has the mailed event keeps one
  event. Somebody else's session is unknown (404), as is another hospital's.

One source for the list: the accreditation service owns the sessions (`/sessions?mine=true`:
one's own whatever one's roles). The invitation service knows a session only once it has read the
accreditation's event, so its `/me/discussions` is merged in by session id: a session it has gets
the calendar link and the facilitators' names; one it does not have yet (just planned) gets no
calendar link rather than a link to a 404. When the invitation service cannot be asked, every
upcoming session gets the link (the file's route answers 404 for one it does not know).

The coordinator's planning pages (choose specialists, the split proposal, the session page with
reschedule, place, swap and cancel) are `planning.py`; the session's own pages `checkin.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, PageError, page_of, problem_text, quoted
from spiegel_web.dashboard import optional

_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
# Who has discussions of their own: specialists and facilitators (a coordinator may be either).
PEOPLE = ("specialist", "facilitator", *COORDINATING)
PAGE = "/mijn-besprekingen"
# How far back the past sessions go: their notes and declarations are found after the session.
PAST = timedelta(days=365)
# The check-in link is offered from shortly before the check-in opens (the check-in page says when
# it does) until it closes: both moments are the accreditation service's (`checkin_opens_at`,
# `checkin_closes_at`: the session's start and its end plus the hospital's check-in window).
CHECKIN_FROM = timedelta(hours=1)


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class MySession:
    """A session as "Mijn groepsbesprekingen" shows it to one person."""

    id: str
    kind: str  # IFMS, GROUP_MONITOR
    starts_at: str
    ends_at: str
    location: str
    online_url: str
    leading: bool
    taking_part: bool
    under_way: bool
    calendar: bool
    themes: bool
    checkin: bool
    notes: bool
    facilitator_names: list[str] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        return [r for r, on in (("facilitator", self.leading), ("participant", self.taking_part)) if on]


def arrange(
    sessions: list[dict[str, Any]],
    subject: str,
    *,
    now: datetime,
    invited: list[dict[str, Any]] | None,
    released: set[str],
) -> tuple[list[MySession], list[MySession]]:
    """(upcoming, past) of `subject`'s own planned sessions.

    `sessions`: the accreditation's; only those `subject` leads or takes part in are kept (whatever
    the service answered). `invited`: the invitation service's `/me/discussions`, None when it could
    not be asked (then every upcoming session offers the calendar file). `released`: the ids of the
    sessions whose notes for `subject` are released."""
    known = None if invited is None else {d["session_id"]: d for d in invited}
    upcoming: list[MySession] = []
    past: list[MySession] = []
    for doc in sessions:
        if doc.get("state", "planned") != "planned":
            continue
        leading = subject in doc.get("facilitator_ids", ())
        taking_part = any(p.get("person_id") == subject for p in doc.get("participants", ()))
        if not leading and not taking_part:
            continue
        starts, ends = _moment(doc["starts_at"]), _moment(doc["ends_at"])
        ahead = ends >= now
        if not ahead and ends < now - PAST:
            continue
        invitation = None if known is None else known.get(doc["id"])
        row = MySession(
            id=str(doc["id"]),
            kind=str(doc.get("kind") or "IFMS"),
            starts_at=str(doc["starts_at"]),
            ends_at=str(doc["ends_at"]),
            location=str(doc.get("location") or ""),
            online_url=str(doc.get("online_url") or ""),
            leading=leading,
            taking_part=taking_part,
            under_way=starts <= now <= ends,
            calendar=ahead and (known is None or invitation is not None),
            themes=taking_part and ahead,
            checkin=taking_part
            and _moment(doc.get("checkin_opens_at") or starts) - CHECKIN_FROM
            <= now
            <= _moment(doc["checkin_closes_at"]),
            notes=taking_part and doc["id"] in released,
            facilitator_names=list((invitation or {}).get("facilitator_names") or []),
        )
        (upcoming if ahead else past).append(row)
    upcoming.sort(key=lambda s: (_moment(s.starts_at), s.id))
    past.sort(key=lambda s: (_moment(s.starts_at), s.id), reverse=True)
    return upcoming, past


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get(PAGE)
    async def mine(request: Request) -> Response:
        page = await page_of(request)
        caller = page.require(*PEOPLE)
        sessions = await page.data(
            "accreditation", "GET", "/sessions", query={"state": "planned", "mine": "true"}
        )
        invited = await optional(page, "invitation", "/me/discussions")
        # Released notes: asked only when the person took part in a session that is over.
        now = datetime.now(UTC)
        took_part = any(
            _moment(s["ends_at"]) < now
            and any(p.get("person_id") == caller.subject for p in s["participants"])
            for s in sessions
        )
        notes = await optional(page, "accreditation", "/notes/mine") if took_part else None
        upcoming, past = arrange(
            sessions,
            caller.subject,
            now=now,
            invited=None if invited is None else invited.get("discussions", []),
            released={n["session_id"] for n in (notes or {}).get("notes", [])},
        )
        return page.render(
            "discussions/mine.html",
            upcoming=upcoming,
            past=past,
            participant=page.is_specialist,
        )

    @api.get("/groepsbesprekingen/mijn")
    async def former_address(request: Request) -> Response:
        page = await page_of(request)
        page.require(*PEOPLE)
        return page.redirect(PAGE)

    @api.get("/groepsbesprekingen/{session_id}/agenda.ics")
    async def calendar_file(session_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require(*PEOPLE)
        if not _SESSION_ID.match(session_id):
            raise PageError(404, key="no_discussion")
        upstream = await page.call(
            "invitation",
            "GET",
            f"/me/discussions/{quoted(session_id)}/calendar.ics",
            headers={"accept": "text/calendar"},
        )
        if upstream.status_code == 404:
            raise PageError(404, key="no_discussion")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return Response(
            upstream.content,
            media_type="text/calendar; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="groepsbespreking.ics"',
                "cache-control": "no-store",
            },
        )

    return api
