"""Group discussions (groepsbesprekingen) in the pages: a person's own sessions, with add-to-calendar.

"Mijn groepsbesprekingen" lists the sessions a specialist takes part in or a facilitator leads,
from the invitation service (`/me/discussions`: the sessions as the accreditation service
announced them, the ones the caller is in). Each has a calendar file to download: the invitation
service's, with the same UID and SEQUENCE as the invitation mail's, so a calendar that has the
mailed event keeps one event. Somebody else's session is unknown (404), as is another hospital's.

The coordinator's planning pages (choose specialists, the split proposal, the session page with
reschedule, place, swap and cancel) are `planning.py`.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, PageError, page_of, problem_text, quoted

_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
# Who has discussions of their own: specialists and facilitators (a coordinator may be either).
PEOPLE = ("specialist", "facilitator", *COORDINATING)


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/groepsbesprekingen/mijn")
    async def mine(request: Request) -> Response:
        page = await page_of(request)
        page.require(*PEOPLE)
        found = await page.data("invitation", "GET", "/me/discussions")
        return page.render("discussions/mine.html", discussions=found.get("discussions", []))

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
