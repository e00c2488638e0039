""" "Mijn ontwikkelplan": the specialist's own POPs (the action-plan service's `/pops`).

The action-plan service decides everything (only the owner reaches a POP; anyone else gets
404, shown as "not found"); these pages only show and send. They ask no role of their own: a
coordinator, administrator, facilitator or board member is sent to the service like anyone, which
refuses them, and is told the page is unknown (404), as the API tells them (the gateway audits the
service's refusal from the page's calls). Every POP call is audited by the
gateway as an /api call is (the page hands back its calls). A refused save (a stale version
from a second tab, a date in the past, an invisible character) shows the form again with what
was typed and the service's reason: nothing typed is lost.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import Page, PageError, page_of, problem_text, quoted

_PLAN_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
WHY_KINDS = ("strength", "development_point", "blind_spot", "hidden_strength", "facilitator_note")
STATUSES = ("not_started", "in_progress", "achieved", "stopped")
OUTCOMES = ("achieved", "ongoing", "carried_forward", "dropped")
GOAL_FIELDS = (
    "what",
    "how",
    "by_when",
    "support",
    "evidence",
    "status",
    "why_kind",
    "why_label",
    "why_item",
    "id",
)
# The report's highlights (the aggregation service's `highlights`) as the kinds of a goal's reason.
HIGHLIGHT_KINDS = (
    ("strengths", "strength"),
    ("development", "development_point"),
    ("blind_spots", "blind_spot"),
    ("hidden_strengths", "hidden_strength"),
)


def check_id(plan_id: str) -> None:
    if not _PLAN_ID.match(plan_id):
        raise PageError(404, key="pop_not_found")


def goals_from_form(
    form: dict[str, Any], items: dict[str, dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """The goals typed in the form (`goal-<n>-<field>`), in order; a row without `what` is left
    out (the empty row for a new goal). `items`: the reasons the page offered (`why_item` values:
    report items and released notes, see `reasons`); a value not among them is ignored."""
    numbers = sorted({int(m.group(1)) for key in form if (m := re.match(r"^goal-(\d{1,2})-what$", key))})
    goals = []
    for n in numbers:
        raw = {f: str(form.get(f"goal-{n}-{f}") or "") for f in GOAL_FIELDS}
        if not raw["what"].strip():
            continue
        goal: dict[str, Any] = {
            "what": raw["what"],
            "how": raw["how"],
            "support": raw["support"],
            "evidence": raw["evidence"],
            "status": raw["status"] if raw["status"] in STATUSES else "not_started",
            "by_when": raw["by_when"] or None,
        }
        if raw["id"]:
            goal["id"] = raw["id"]
        item = (items or {}).get(raw["why_item"])
        if item is not None:
            # An item of the owner's own report, or their released notes, picked from the list.
            goal["why"] = [item]
        elif raw["why_label"].strip() and raw["why_kind"] in WHY_KINDS:
            # The owner's own words for a reason the list does not hold.
            goal["why"] = [{"kind": raw["why_kind"], "ref": "own-words", "label": raw["why_label"]}]
        goals.append(goal)
    return goals


def reason_key(kind: str, ref: str) -> str:
    return f"{kind}:{ref}"


async def reasons(page: Page, round_id: str) -> list[dict[str, Any]]:
    """What a goal can be linked to, grouped for the form: the highlights of the owner's own report
    of the POP's round (its newest version; the aggregation service answers only the subject) and
    their facilitator's released notes. Each option: `key` (the form's value), `kind`, `ref`,
    `label`. Nothing when there is no report yet (the owner can still use their own words)."""
    groups: list[dict[str, Any]] = []
    mine = await page.call("aggregation", "GET", "/reports/mine")
    ours = [r for r in (mine.json() if mine.is_success else []) if r.get("round_id") == round_id]
    if ours:
        newest = max(ours, key=lambda r: int(r["version"]))
        body = await page.call("aggregation", "GET", f"/reports/{quoted(newest['report_id'])}")
        found = (body.json() if body.is_success else {}).get("highlights") or {}
        for source, kind in HIGHLIGHT_KINDS:
            options = []
            for item in found.get(source) or []:
                text = item.get("text")
                label = (
                    str(text.get(page.lang) or text.get("nl") or "")
                    if isinstance(text, dict)
                    else str(text or "")
                )
                if label:
                    ref = str(item["id"])
                    options.append(
                        {"key": reason_key(kind, ref), "kind": kind, "ref": ref, "label": label[:200]}
                    )
            if options:
                groups.append({"kind": kind, "options": options})
    notes = await page.call("accreditation", "GET", "/notes/mine")
    released = (notes.json() if notes.is_success else {}).get("notes") or []
    options = []
    for note in released:
        label = page.t("pop_why_note_of", date=page.when(note.get("starts_at")))
        ref = str(note["session_id"])
        options.append(
            {
                "key": reason_key("facilitator_note", ref),
                "kind": "facilitator_note",
                "ref": ref,
                "label": label[:200],
            }
        )
    if options:
        groups.append({"kind": "facilitator_note", "options": options})
    return groups


def offered(groups: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The form's `why_item` values and the reason each stands for."""
    return {
        o["key"]: {"kind": o["kind"], "ref": o["ref"], "label": o["label"]}
        for g in groups
        for o in g["options"]
    }


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def plan_or_404(page: Page, plan_id: str) -> dict[str, Any]:
        check_id(plan_id)
        upstream = await page.call("action-plan", "GET", f"/pops/{quoted(plan_id)}")
        if upstream.status_code == 404:
            raise PageError(404, key="pop_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        plan: dict[str, Any] = upstream.json()
        return plan

    async def show(page: Page, plan: dict[str, Any], status: int = 200, **extra: Any) -> Response:
        previous = None
        if plan.get("review_needed"):
            previous = await page.data("action-plan", "GET", f"/pops/{quoted(plan['id'])}/previous")
        linkable = extra.pop("linkable", None)
        if linkable is None:
            linkable = await reasons(page, str(plan.get("round_id") or ""))
        return page.render(
            "development_plan.html",
            status=status,
            plan=plan,
            previous=previous,
            linkable=linkable,
            reason_key=reason_key,
            why_kinds=WHY_KINDS,
            statuses=STATUSES,
            outcomes=OUTCOMES,
            **extra,
        )

    @api.get("/mijn-ontwikkelplan")
    async def overview(request: Request) -> Response:
        page = await page_of(request)
        page.require()
        listed = await page.call("action-plan", "GET", "/pops/mine")
        if listed.status_code in (403, 404):  # a POP is a specialist's own: for anyone else, unknown
            raise PageError(404, key="pop_not_found")
        if not listed.is_success:
            raise PageError(listed.status_code, problem_text(listed, page.lang))
        plans = listed.json()
        found = await page.data("survey", "GET", "/rounds", query={"limit": 200})
        rounds = (found or {}).get("items", [])
        started = {p["round_id"] for p in plans}
        mine = [
            r
            for r in rounds
            if r.get("kind") == "IFMS"
            and (r.get("subject") or {}).get("subject_id") == page.caller.subject  # type: ignore[union-attr]
            and r["id"] not in started
        ]
        titles = {r["id"]: r.get("title", "") for r in rounds}
        return page.render("development_plans.html", plans=plans, rounds=mine, titles=titles)

    @api.post("/mijn-ontwikkelplan")
    async def start(request: Request) -> Response:
        page = await page_of(request)
        page.require()
        form = await page.form()
        started = await page.call(
            "action-plan", "POST", "/pops", json_body={"round_id": str(form.get("round_id", ""))}
        )
        if started.status_code in (403, 404):
            raise PageError(404, key="pop_not_found")
        if not started.is_success:
            raise PageError(started.status_code, problem_text(started, page.lang))
        made = started.json()
        return page.redirect(f"/mijn-ontwikkelplan/{made['id']}")

    @api.get("/mijn-ontwikkelplan/{plan_id}")
    async def plan(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()  # the service decides: only the owner
        return await show(
            page, await plan_or_404(page, plan_id), saved=request.query_params.get("opgeslagen")
        )

    @api.post("/mijn-ontwikkelplan/{plan_id}")
    async def save(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()  # the service decides: only the owner
        check_id(plan_id)
        form = await page.form()
        try:
            version = int(str(form.get("version", "")))
        except ValueError:
            version = 0
        current = await plan_or_404(page, plan_id)
        linkable = await reasons(page, str(current.get("round_id") or ""))
        typed = {
            "keep_and_extend": str(form.get("keep_and_extend") or ""),
            "goals": goals_from_form(form, offered(linkable)),
        }
        answer = await page.call(
            "action-plan", "PUT", f"/pops/{quoted(plan_id)}", json_body={"version": version, **typed}
        )
        if answer.status_code == 404:
            raise PageError(404, key="pop_not_found")
        if answer.is_success:
            return page.redirect(f"/mijn-ontwikkelplan/{plan_id}", opgeslagen="1")
        # Refused: the form again with what was typed (and the version it was typed on).
        shown = {**current, **typed, "version": version}
        for goal in shown["goals"]:
            goal.setdefault("prompts", [])
        return await show(
            page,
            shown,
            409 if answer.status_code == 409 else 422,
            errors=[problem_text(answer, page.lang)],
            linkable=linkable,
        )

    @api.post("/mijn-ontwikkelplan/{plan_id}/terugblik")
    async def review(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()  # the service decides: only the owner
        current = await plan_or_404(page, plan_id)
        form = await page.form()
        items = [
            {
                "goal_id": key.removeprefix("outcome-"),
                "outcome": str(value),
                "reason": str(form.get(f"reason-{key.removeprefix('outcome-')}") or ""),
            }
            for key, value in form.items()
            if key.startswith("outcome-") and value in OUTCOMES
        ]
        answer = await page.call(
            "action-plan",
            "PUT",
            f"/pops/{quoted(plan_id)}/review",
            json_body={"version": current["version"], "items": items},
        )
        if answer.is_success:
            return page.redirect(f"/mijn-ontwikkelplan/{plan_id}", opgeslagen="1")
        return await show(
            page, current, 422, review_errors=[problem_text(answer, page.lang)], review_form=form
        )

    @api.post("/mijn-ontwikkelplan/{plan_id}/afronden")
    async def complete(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()  # the service decides: only the owner
        current = await plan_or_404(page, plan_id)
        await page.form()  # the CSRF check
        answer = await page.call(
            "action-plan",
            "POST",
            f"/pops/{quoted(plan_id)}/complete",
            json_body={"version": current["version"]},
        )
        if answer.is_success:
            return page.redirect(f"/mijn-ontwikkelplan/{plan_id}", opgeslagen="afgerond")
        return await show(page, current, 422, errors=[problem_text(answer, page.lang)])

    @api.get("/mijn-ontwikkelplan/{plan_id}/pdf")
    async def as_pdf(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()  # the service decides: only the owner
        check_id(plan_id)
        upstream = await page.call("action-plan", "GET", f"/pops/{quoted(plan_id)}/pdf")
        if upstream.status_code == 404:
            raise PageError(404, key="pop_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return Response(
            upstream.content,
            media_type="application/pdf",
            headers={
                "content-disposition": upstream.headers.get("content-disposition", "attachment"),
                "cache-control": "no-store",
            },
        )

    return api
