""" "Plan van aanpak": a group's action plan after its Groepsmonitor (the action-plan service's
`/group-plans`).

The action-plan service decides who reaches a plan (the group's current members; anyone else
gets 404, shown as "not found", and audited by the gateway); these pages only show and send.
Members: their groups' plans, the actions (add, edit), adopt, close, the history. Coordinators
and tenant admins: the status of each group's plan (never its actions). A refused save (a stale
version from a member's save meanwhile, a date in the past, an owner who is not a member, an
invisible character) shows the form again with what was typed and the service's reason: nothing
typed is lost. No script needed: every step is a form.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from markupsafe import Markup, escape

from spiegel_web.core import Page, PageError, page_of, problem_text, quoted

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATUSES = ("open", "on_track", "delayed", "done", "stopped")
EMBEDDINGS = ("standing_agenda_item", "protocol", "responsible_person", "other")
ITEM_KINDS = ("strength", "development_point", "suggestion", "discussion_point", "other")
FIELDS = (
    "action_id",
    "description",
    "owner_person_id",
    "due",
    "measure",
    "embedding_kind",
    "embedding_text",
    "status",
    "item_kind",
    "item_label",
)


def names(plan: dict[str, Any], person_ids: Iterable[str]) -> dict[str, str]:
    """The people's display names as the action-plan service gave them with the plan (`people`:
    to whoever it lets read the plan, a member or the facilitator during the session); an id it
    gave no name for stays an id. Also the check page's (plan_checks.py)."""
    known = plan.get("people") or {}
    return {p: str(known.get(p) or p) for p in person_ids}


def check_id(plan_id: str) -> None:
    if not _ID.match(plan_id):
        raise PageError(404, key="gplan_not_found")


def actions_from_form(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The actions typed in the form (`action-<n>-<field>`), in order; a row without a description
    is left out (the empty row for a new action)."""
    numbers = sorted(
        {int(m.group(1)) for key in form if (m := re.match(r"^action-(\d{1,2})-description$", key))}
    )
    actions = []
    for n in numbers:
        raw = {f: str(form.get(f"action-{n}-{f}") or "") for f in FIELDS}
        if not raw["description"].strip():
            continue
        action: dict[str, Any] = {
            "description": raw["description"],
            "owner_person_id": raw["owner_person_id"],
            "due": raw["due"],
            "measure": raw["measure"],
            "embedding": {
                "kind": raw["embedding_kind"] if raw["embedding_kind"] in EMBEDDINGS else "other",
                "text": raw["embedding_text"],
            },
            "status": raw["status"] if raw["status"] in STATUSES else "open",
            "report_items": [],
        }
        if raw["action_id"]:
            action["action_id"] = raw["action_id"]
        if raw["item_label"].strip() and raw["item_kind"] in ITEM_KINDS:
            # The group's own words for the report's point (the page offers no item ids).
            action["report_items"] = [
                {"kind": raw["item_kind"], "ref": "own-words", "label": raw["item_label"]}
            ]
        actions.append(action)
    return actions


DECISIONS = ("adopt", "adapt", "abandon")
CYCLE_FIELDS = ("cycle_id", "change", "prediction", "done", "observed", "result", "decision")


def cycles_from_form(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The cycles typed in the form (`cycle-<n>-<field>`), in order; a row without a change is
    left out (the empty row for a next cycle)."""
    numbers = sorted({int(m.group(1)) for key in form if (m := re.match(r"^cycle-(\d{1,2})-change$", key))})
    cycles = []
    for n in numbers:
        raw = {f: str(form.get(f"cycle-{n}-{f}") or "") for f in CYCLE_FIELDS}
        if not raw["change"].strip():
            continue
        if raw["decision"] not in DECISIONS:
            raw["decision"] = ""
        if not raw["cycle_id"]:
            raw.pop("cycle_id")
        cycles.append(raw)
    return cycles


def points_from_form(form: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The measure's points typed in the form (`point-<n>-on|value|note`); a row without a date and
    value is left out. A value that is not a number: the row's field name (shown as the reason)."""
    numbers = sorted({int(m.group(1)) for key in form if (m := re.match(r"^point-(\d{1,3})-on$", key))})
    points: list[dict[str, Any]] = []
    bad = ""
    for n in numbers:
        on, value = str(form.get(f"point-{n}-on") or ""), str(form.get(f"point-{n}-value") or "").strip()
        if not on and not value:
            continue
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            bad = bad or f"measurements[{len(points)}].value"
            number = 0.0
        points.append({"on": on, "value": number, "note": str(form.get(f"point-{n}-note") or "")})
    return points, bad


def run_chart(points: list[dict[str, Any]], label: str, median_label: str) -> Markup:
    """A run chart as inline SVG, drawn here (no script): the points in date order joined by a line,
    the median as a dashed line, the first and last date and the lowest and highest value written
    on the axes. Every text is escaped."""
    if not points:
        return Markup("")
    width, height, left, right, top, bottom = 400, 240, 48, 12, 16, 40
    days = [date.fromisoformat(str(p["on"])).toordinal() for p in points]
    values = [float(p["value"]) for p in points]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    first, last = min(days), max(days)
    span = max(last - first, 1)

    def x(day: int) -> float:
        return (
            left + (day - first) / span * (width - left - right)
            if last > first
            else (left + width - right) / 2
        )

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * (height - top - bottom)

    median = statistics.median(values)
    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, values, strict=True))
    dots = "".join(
        f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="4">'
        f"<title>{escape(p['on'])}: {escape(f'{v:g}')}</title></circle>"
        for d, v, p in zip(days, values, points, strict=True)
    )
    axis = 'stroke="currentColor" stroke-width="1"'
    svg = (
        f'<svg class="run-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}"'
        f' xmlns="http://www.w3.org/2000/svg" width="100%" preserveAspectRatio="xMinYMin meet">'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" {axis}/>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" {axis}/>'
        f'<line class="median" x1="{left}" y1="{y(median):.1f}" x2="{width - right}" y2="{y(median):.1f}"'
        f' stroke="currentColor" stroke-dasharray="6 4" opacity="0.6"/>'
        f'<text x="{width - right}" y="{y(median) - 4:.1f}" text-anchor="end" font-size="14">'
        f"{escape(median_label)} {escape(f'{median:g}')}</text>"
        f'<polyline points="{line}" fill="none" stroke="currentColor" stroke-width="2"/>'
        f"{dots}"
        f'<text x="{left - 6}" y="{y(high) + 4:.1f}" text-anchor="end" font-size="14">'
        f"{escape(f'{high:g}')}</text>"
        f'<text x="{left - 6}" y="{y(low) + 4:.1f}" text-anchor="end" font-size="14">'
        f"{escape(f'{low:g}')}</text>"
        f'<text x="{left}" y="{height - bottom + 18}" font-size="14">'
        f"{escape(date.fromordinal(first).isoformat())}</text>"
        f'<text x="{width - right}" y="{height - bottom + 18}" text-anchor="end" font-size="14">'
        f"{escape(date.fromordinal(last).isoformat())}</text>"
        "</svg>"
    )
    return Markup(svg)  # noqa: S704 (built here; every text in it is escaped)


def _refused(answer: Any) -> bool:
    return answer.status_code in (403, 404)


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def plan_or_404(page: Page, plan_id: str) -> dict[str, Any]:
        check_id(plan_id)
        upstream = await page.call("action-plan", "GET", f"/group-plans/{quoted(plan_id)}")
        if upstream.status_code == 404:
            raise PageError(404, key="gplan_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        plan: dict[str, Any] = upstream.json()
        return plan

    async def show(page: Page, plan: dict[str, Any], status: int = 200, **extra: Any) -> Response:
        owners = {a.get("owner_person_id", "") for a in plan["actions"]}
        people = names(plan, sorted(set(plan["members"]) | owners))
        return page.render(
            "group_plans/plan.html",
            status=status,
            plan=plan,
            people=people,
            statuses=STATUSES,
            embeddings=EMBEDDINGS,
            item_kinds=ITEM_KINDS,
            **extra,
        )

    @api.get("/groepsplannen")
    async def overview(request: Request) -> Response:
        page = await page_of(request)
        page.require()
        mine = await page.call("action-plan", "GET", "/group-plans/mine")
        groups = mine.json() if mine.is_success else []
        per_group = None
        if page.is_coordinator:
            found = await page.call("action-plan", "GET", "/group-plans/status")
            per_group = found.json() if found.is_success else None
        if not groups and per_group is None:
            raise PageError(404, key="gplan_not_found")
        return page.render("group_plans/index.html", groups=groups, per_group=per_group)

    @api.post("/groepsplannen")
    async def start(request: Request) -> Response:
        page = await page_of(request)
        page.require()
        form = await page.form()
        started = await page.call(
            "action-plan",
            "POST",
            "/group-plans",
            json_body={"group_id": str(form.get("group_id", "")), "round_id": str(form.get("round_id", ""))},
        )
        if _refused(started):
            raise PageError(404, key="gplan_not_found")
        if not started.is_success:
            raise PageError(started.status_code, problem_text(started, page.lang))
        return page.redirect(f"/groepsplannen/{started.json()['plan_id']}")

    @api.get("/groepsplannen/{plan_id}")
    async def plan(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()  # the service decides: the group's members
        return await show(
            page, await plan_or_404(page, plan_id), saved=request.query_params.get("opgeslagen")
        )

    @api.post("/groepsplannen/{plan_id}")
    async def save(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()
        check_id(plan_id)
        form = await page.form()
        try:
            version = int(str(form.get("version", "")))
        except ValueError:
            version = 0
        typed = actions_from_form(form)
        answer = await page.call(
            "action-plan",
            "PUT",
            f"/group-plans/{quoted(plan_id)}",
            json_body={"version": max(version, 1), "actions": typed},
        )
        if answer.status_code == 404:
            raise PageError(404, key="gplan_not_found")
        if answer.is_success:
            return page.redirect(f"/groepsplannen/{plan_id}", opgeslagen="1")
        # Refused: the form again with what was typed (and the version it was typed on).
        current = await plan_or_404(page, plan_id)
        shown = {**current, "actions": typed, "version": version}
        return await show(
            page, shown, 409 if answer.status_code == 409 else 422, errors=[problem_text(answer, page.lang)]
        )

    async def step(page: Page, plan_id: str, what: str, done: str) -> Response:
        current = await plan_or_404(page, plan_id)
        await page.form()  # the CSRF check
        answer = await page.call(
            "action-plan",
            "POST",
            f"/group-plans/{quoted(plan_id)}/{what}",
            json_body={"version": current["version"]},
        )
        if answer.is_success:
            return page.redirect(f"/groepsplannen/{plan_id}", opgeslagen=done)
        return await show(
            page,
            current,
            answer.status_code if answer.status_code < 500 else 422,
            errors=[problem_text(answer, page.lang)],
        )

    @api.post("/groepsplannen/{plan_id}/vaststellen")
    async def adopt(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()
        return await step(page, plan_id, "adopt", "vastgesteld")

    @api.post("/groepsplannen/{plan_id}/afsluiten")
    async def close(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()
        return await step(page, plan_id, "close", "afgesloten")

    async def show_cycles(page: Page, found: dict[str, Any], status: int = 200, **extra: Any) -> Response:
        return page.render(
            "group_plans/cycles.html",
            status=status,
            found=found,
            decisions=DECISIONS,
            chart=run_chart(found["measurements"], page.t("pdsa_chart_label"), page.t("pdsa_median")),
            **extra,
        )

    async def cycles_or_404(page: Page, plan_id: str, action_id: str) -> dict[str, Any]:
        check_id(plan_id)
        check_id(action_id)
        upstream = await page.call(
            "action-plan", "GET", f"/group-plans/{quoted(plan_id)}/actions/{quoted(action_id)}/cycles"
        )
        if upstream.status_code == 404:
            raise PageError(404, key="gplan_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        found: dict[str, Any] = upstream.json()
        return found

    @api.get("/groepsplannen/{plan_id}/acties/{action_id}")
    async def cycles(plan_id: str, action_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()
        found = await cycles_or_404(page, plan_id, action_id)
        return await show_cycles(page, found, saved=request.query_params.get("opgeslagen"))

    @api.post("/groepsplannen/{plan_id}/acties/{action_id}")
    async def save_cycles(plan_id: str, action_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()
        check_id(plan_id)
        check_id(action_id)
        form = await page.form()
        try:
            version = int(str(form.get("version", "")))
        except ValueError:
            version = 0
        typed_cycles = cycles_from_form(form)
        typed_points, bad = points_from_form(form)
        answer = None
        if not bad:
            answer = await page.call(
                "action-plan",
                "PUT",
                f"/group-plans/{quoted(plan_id)}/actions/{quoted(action_id)}/cycles",
                json_body={"version": max(version, 1), "cycles": typed_cycles, "measurements": typed_points},
            )
            if answer.status_code == 404:
                raise PageError(404, key="gplan_not_found")
            if answer.is_success:
                return page.redirect(f"/groepsplannen/{plan_id}/acties/{action_id}", opgeslagen="1")
        current = await cycles_or_404(page, plan_id, action_id)
        shown = {
            **current,
            "version": version,
            "cycles": [{**c, "stage": ""} for c in typed_cycles],
            "measurements": [p for p in typed_points if re.match(r"^\d{4}-\d{2}-\d{2}$", str(p["on"]))],
        }
        reason = page.t("pdsa_bad_number", field=bad) if answer is None else problem_text(answer, page.lang)
        status = 409 if answer is not None and answer.status_code == 409 else 422
        # The points as typed (a value that is not a number too), so nothing typed is lost.
        as_typed = [
            {
                "on": str(form.get(f"point-{n}-on") or ""),
                "value": str(form.get(f"point-{n}-value") or ""),
                "note": str(form.get(f"point-{n}-note") or ""),
            }
            for n in range(len([k for k in form if re.match(r"^point-\d{1,3}-on$", k)]))
        ]
        as_typed = [p for p in as_typed if p["on"] or p["value"]]
        return await show_cycles(page, shown, status, errors=[reason], typed_points=as_typed)

    @api.get("/groepsplannen/{plan_id}/geschiedenis")
    async def history(plan_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require()
        current = await plan_or_404(page, plan_id)
        entries = await page.data("action-plan", "GET", f"/group-plans/{quoted(plan_id)}/history")
        shown = set(current["members"]) | set(current.get("people") or ()) | {e["by"] for e in entries}
        people = names(current, sorted(shown))
        return page.render(
            "group_plans/history.html", plan=current, entries=list(reversed(entries)), people=people
        )

    return api
