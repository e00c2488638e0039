"""Nominating respondents for a round, per group: the specialist for their own round, or a coordinator.

The invitation service checks every nominee (e-mail, duplicates, fatigue, ...)
and gives the group warnings (fewer than 6 nominees; fewer than the anonymity floor of completions
keep a group out of the report). The page shows them as they come back, and
its small script warns while the form is filled in (static/spiegel.js).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_platform.anonymity import MIN_GROUP_SIZE

from spiegel_web.core import (
    COORDINATING,
    NOMINEE_FIELDS,
    Page,
    PageError,
    page_of,
    problem_text,
    quoted,
    too_long,
)
from spiegel_web.preparing import RoundPreparing, from_invitation, preparing_page

ADVISED = 6
REPORTED = MIN_GROUP_SIZE


def group_counts(nominations: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in nominations:
        if entry.get("status", "active") == "active":
            counts[entry["group"]] = counts.get(entry["group"], 0) + 1
    return counts


def warning_text(page: Page, warning: dict[str, Any]) -> str:
    return str(warning.get("message_en") if page.lang == "en" else warning.get("message")) or ""


async def load(page: Page, round_id: str) -> dict[str, Any]:
    # A round just created may not have reached the invitation service yet: waited for briefly.
    view = await from_invitation(page, round_id)
    listed = await page.data("invitation", "GET", f"/rounds/{quoted(round_id)}/nominations")
    progress = None
    if view.get("status") == "open":
        try:
            progress = await page.data("invitation", "GET", f"/rounds/{quoted(round_id)}/progress")
        except PageError:
            progress = None
    return {"view": view, "listed": listed, "progress": progress}


def render(page: Page, round_id: str, loaded: dict[str, Any], status: int = 200, **extra: Any) -> Response:
    view, listed = loaded["view"], loaded["listed"]
    groups = [g for g in view.get("groups") or [] if not g.get("is_self")]
    counts = group_counts(listed.get("nominations", []))
    completed = {}
    for row in (loaded.get("progress") or {}).get("groups", []):
        completed[row["group"]] = row.get("completed", 0)
    return page.render(
        "nominations.html",
        status=status,
        round_id=round_id,
        view=view,
        groups=groups,
        counts=counts,
        completed=completed,
        progress=loaded.get("progress"),
        nominations=[n for n in listed.get("nominations", []) if n.get("status", "active") == "active"],
        warnings=[warning_text(page, w) for w in listed.get("group_warnings", [])],
        counts_json=json.dumps({g["code"]: counts.get(g["code"], 0) for g in groups}),
        advised=ADVISED,
        reported=REPORTED,
        **extra,
    )


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/rondes/{round_id}/nominaties")
    async def nominations(round_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require("specialist", *COORDINATING)
        try:
            loaded = await load(page, round_id)
        except RoundPreparing:
            return preparing_page(page, round_id)
        return render(page, round_id, loaded, added=request.query_params.get("toegevoegd"))

    @api.post("/rondes/{round_id}/nominaties")
    async def nominate(round_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require("specialist", *COORDINATING)
        form = await page.form()
        entry = {
            "group": str(form.get("group") or "")[:100],
            "name": str(form.get("name") or "").strip(),
            "email": str(form.get("email") or "").strip(),
            "language": str(form.get("language") or "")[:20],
            "accept_warnings": form.get("accept_warnings") == "1",
        }
        longer = too_long(page, entry, NOMINEE_FIELDS)
        if longer:  # refused here, with what was typed kept, rather than cut short unseen
            loaded = await load(page, round_id)
            return render(page, round_id, loaded, status=422, entry=entry, problems=longer)
        upstream = await page.call(
            "invitation", "POST", f"/rounds/{quoted(round_id)}/nominations", json_body=entry
        )
        if upstream.is_success:
            return page.redirect(f"/rondes/{quoted(round_id)}/nominaties", toegevoegd=entry["name"])
        if upstream.status_code != 422:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        body = json.loads(upstream.content or b"{}")
        detail = body.get("detail", body) if isinstance(body, dict) else {}
        problems = detail.get("problems", []) if isinstance(detail, dict) else []
        texts = [
            (p.get("message_en") if page.lang == "en" else p.get("message")) or p.get("message", "")
            for p in problems
        ] or [problem_text(upstream, page.lang)]
        only_warnings = bool(problems) and all(p.get("severity") != "error" for p in problems)
        return render(
            page,
            round_id,
            await load(page, round_id),
            status=422,
            entry=entry,
            problems=texts,
            only_warnings=only_warnings,
        )

    @api.post("/rondes/{round_id}/nominaties/{assignment_id}/intrekken")
    async def withdraw(round_id: str, assignment_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require("specialist", *COORDINATING)
        await page.form()
        await page.data(
            "invitation", "DELETE", f"/rounds/{quoted(round_id)}/nominations/{quoted(assignment_id)}"
        )
        return page.redirect(f"/rondes/{quoted(round_id)}/nominaties")

    return api
