"""The start page of a signed-in person: "te doen", "mijn rapportages en evaluaties", own rounds.

Everything comes from the services with the person's own service token: the
invitation service's /me/todo and /me/history, the aggregation service's
/reports/mine, the survey's rounds about the person, and per open round the
counts per group (a subject sees counts only, never who). A member of the medical staff board
(role `board`, and no other) gets a link to the groups' action plans' progress (`board.py`) and
that they read nothing else; no service is asked anything for this page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_platform.auth import roles

from spiegel_web.core import Page, PageError, page_of, quoted


async def optional(page: Page, service: str, path: str, **kwargs: Any) -> Any:
    """A part of a page that may be missing when its service is away (the rest still shows)."""
    try:
        return await page.data(service, "GET", path, **kwargs)
    except PageError:
        return None


async def own_rounds(page: Page) -> list[dict[str, Any]]:
    caller = page.caller
    assert caller is not None
    found = await optional(page, "survey", "/rounds", query={"limit": 50})
    rounds = [r for r in (found or {}).get("items", []) if r["status"] in ("draft", "open")]
    mine = []
    for item in rounds:
        is_subject = item["kind"] == "IFMS" and item["subject"]["subject_id"] == caller.subject
        progress = None
        if item["status"] == "open":
            progress = await optional(page, "invitation", f"/rounds/{quoted(item['id'])}/progress")
        mine.append({**item, "is_subject": is_subject, "progress": progress})
    return mine


def led_ahead(sessions: list[dict[str, Any]], subject: str, now: datetime) -> list[dict[str, Any]]:
    """The sessions `subject` leads that have not ended yet, as the accreditation service ordered
    them (soonest first): the start page's preparation links. Past ones are on "Mijn
    groepsbesprekingen"."""

    def ends(session: dict[str, Any]) -> datetime:
        moment = datetime.fromisoformat(str(session["ends_at"]))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    return [s for s in sessions if subject in s.get("facilitator_ids", ()) and ends(s) >= now]


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/start")
    async def start(request: Request) -> Response:
        page = await page_of(request)
        page.require()
        if set(page.roles) <= {roles.BOARD}:
            # The board reads nothing of the services today: it asks them nothing, and is told what
            # this page will show.
            return page.render("board.html")
        todo = await optional(page, "invitation", "/me/todo")
        history = await optional(page, "invitation", "/me/history")
        reports = await optional(page, "aggregation", "/reports/mine")
        rounds = await own_rounds(page) if page.is_specialist else []
        # The groups a specialist is a member of (the gateway's; a coordinator finds them under Groepen).
        my_groups = (
            await optional(page, "gateway", "/groups")
            if page.is_specialist and not page.is_coordinator
            else None
        )
        # The discussion sessions a facilitator leads that are still ahead (the accreditation
        # service plans them), each with its preparation.
        leading = None
        if "facilitator" in page.roles:
            planned = await optional(
                page, "accreditation", "/sessions", query={"state": "planned", "mine": "true"}
            )
            caller = page.caller
            assert caller is not None
            leading = led_ahead(planned or [], caller.subject, datetime.now(UTC))
        return page.render(
            "dashboard.html",
            is_board=roles.BOARD in page.roles,
            todo=None if todo is None else todo.get("items", []),
            evaluations=None if history is None else history.get("evaluations", []),
            reports=reports,
            rounds=rounds,
            leading_sessions=leading,
            my_groups=my_groups,
        )

    return api
