"""A report in the page (the aggregation service's HTML with its charts) and its PDF.

The aggregation service renders the report (autoescaped; comments are text) and
serves it as a fragment for this purpose (`/reports/{id}/fragment`: the report
without page, inline styles or language links, which the CSP here forbids); it is
shown inside this site's layout with the same styles from static/spiegel.css.
Nothing here parses HTML. The aggregation service decides who may read what
(subject, members, coordinators, facilitators of a discussion session) and which
groups may be shown (the anonymity rules); every read is audited like an /api read.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from markupsafe import Markup

from spiegel_web.core import COORDINATING, Page, PageError, page_of, problem_text, quoted

_REPORT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


def fragment(content: bytes) -> Markup:
    """The aggregation service's fragment, shown as it came (it is autoescaped there)."""
    text = content.decode("utf-8", errors="replace")
    return Markup(text)  # noqa: S704 - autoescaped by the aggregation service


# Who may ask for a report at all (the aggregation service decides which): not the board, which
# reads no report (it follows the groups' action plans).
READERS = ("specialist", "facilitator", *COORDINATING)


def check_id(report_id: str) -> None:
    if not _REPORT_ID.match(report_id):
        raise PageError(404, key="no_report")


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def fetch(page: Page, report_id: str, kind: str) -> Response | bytes:
        upstream = await page.call(
            "aggregation", "GET", f"/reports/{quoted(report_id)}/{kind}", query={"lang": page.lang}
        )
        if upstream.status_code == 404:
            raise PageError(404, key="no_report")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return upstream.content

    @api.get("/rapportages/{report_id}")
    async def report(report_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require(*READERS)
        check_id(report_id)
        content = await fetch(page, report_id, "fragment")
        assert isinstance(content, bytes)
        return page.render("report.html", report_id=report_id, body=fragment(content))

    @api.get("/rapportages/{report_id}/pdf")
    async def report_pdf(report_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require(*READERS)
        check_id(report_id)
        content = await fetch(page, report_id, "pdf")
        assert isinstance(content, bytes)
        name = re.sub(r"[^A-Za-z0-9_.-]", "-", report_id)
        return Response(
            content,
            media_type="application/pdf",
            headers={
                "content-disposition": f'attachment; filename="spiegel-{name}-{page.lang}.pdf"',
                "cache-control": "no-store",
            },
        )

    @api.get("/bespreking/{session_id}/voorbereiding")
    async def preparation(session_id: str, request: Request) -> Response:
        """The facilitator's preparation of a discussion session: two services, each with its own
        data, asked with the caller's token. The aggregation service's preparation from the
        participants' reports (the session's facilitators and coordinators; it follows the
        accreditation's sessions), and for a facilitator of the session the themes each
        participant chose (the accreditation service's; coordinators may not see them)."""
        page = await page_of(request)
        page.require("facilitator", "coordinator", "tenant_admin")
        check_id(session_id)
        upstream = await page.call(
            "aggregation",
            "GET",
            f"/sessions/{quoted(session_id)}/preparation/fragment",
            query={"lang": page.lang},
        )
        if upstream.status_code == 404:
            raise PageError(404, key="checkin_no_session")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        session, themes = None, None
        found = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}")
        if found.is_success:
            session = found.json()
        caller = page.caller
        if session is not None and caller is not None and caller.subject in session["facilitator_ids"]:
            chosen = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}/themes")
            attendance = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}/attendance")
            if chosen.is_success:
                names = (
                    {p["person_id"]: p.get("name") for p in attendance.json()["participants"]}
                    if attendance.is_success
                    else {}
                )
                themes = [
                    {"name": names.get(p["person_id"]) or p["person_id"], "themes": p["themes"]}
                    for p in chosen.json()["participants"]
                ]
        return page.render(
            "preparation.html", body=fragment(upstream.content), session=session, themes=themes
        )

    return api
