"""The coordinator's rounds: create (IFMS for many specialists at once, a Groepsmonitor for a group),
the list, one round's progress per group and person, open, remind, extend, close, and the reports.

The survey service owns rounds (created as drafts here): each step calls that one
service. The invitation service learns of a new round from the survey's
RoundCreated event, so nominations can be checked and imported before it opens;
a page that comes too soon for that waits briefly (web/preparing.py). Opening the
round (survey) makes the invitation service send the links.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from spiegel_web.core import (
    COORDINATING,
    MAX_LENGTH,
    ROUND_FIELDS,
    Page,
    PageError,
    page_of,
    problem_text,
    quoted,
    too_long,
)
from spiegel_web.preparing import REFRESH_S, RoundPreparing, from_invitation, preparing_page

CLOSING_HOUR = time(17, 0)
_GROUP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_DAYS = 366


def closing_time(value: object, zone: str) -> datetime | None:
    """A date from the form -> 17:00 that day in the hospital's time zone; None if not a future date."""
    try:
        day = date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    moment = datetime.combine(day, CLOSING_HOUR, tzinfo=ZoneInfo(zone))
    now = datetime.now(ZoneInfo(zone))
    if moment <= now or moment > now + timedelta(days=MAX_DAYS):
        return None
    return moment


@dataclass(frozen=True)
class Specialist:
    person_id: str
    display_name: str
    email: str


async def specialists(page: Page) -> list[Specialist]:
    """The hospital's active specialists, from the gateway (it owns people): GET /people."""
    people = await page.data("gateway", "GET", "/people")
    found = [
        Specialist(p["person_id"], p["display_name"], p.get("email", ""))
        for p in people
        if "specialist" in p.get("roles", []) and p.get("active")
    ]
    return sorted(found, key=lambda p: p.display_name.lower())


async def groups_to_choose(page: Page) -> list[dict[str, Any]]:
    """The hospital's groups (the gateway's), for a Groepsmonitor; none when the gateway is away."""
    upstream = await page.call("gateway", "GET", "/groups")
    return list(upstream.json()) if upstream.is_success else []


async def group_of(page: Page, group_id: str) -> dict[str, Any] | None:
    """One group of this hospital with its current members; None when unknown here (another
    hospital's group id is unknown too)."""
    if not _GROUP_ID.match(group_id):
        return None
    upstream = await page.call("gateway", "GET", f"/groups/{quoted(group_id)}")
    if upstream.status_code == 404:
        return None
    if not upstream.is_success:
        raise PageError(upstream.status_code, problem_text(upstream, page.lang))
    found: dict[str, Any] = upstream.json()
    return found


def from_group(group: dict[str, Any]) -> dict[str, Any]:
    """The Groepsmonitor form's fields a group fills in: the group, its name, its current members."""
    return {
        "group_id": group["group_id"],
        "group_name": group["name"],
        "members": [m["person_id"] for m in group["members"]],
    }


def _week_after(closes_at: str) -> str:
    """The extension the form offers: a week after the current closing date."""
    try:
        return (date.fromisoformat(closes_at[:10]) + timedelta(days=7)).isoformat()
    except ValueError:
        return (date.today() + timedelta(days=7)).isoformat()


def open_warnings(page: Page, listed: dict[str, Any]) -> list[str]:
    """The invitation service's warnings about groups with too few nominees, for the open step:
    only groups in use (a group nobody was nominated in is simply not asked)."""
    return [
        str(w.get("message_en") if page.lang == "en" else w.get("message")) or ""
        for w in listed.get("group_warnings") or []
        if w.get("nominees")
    ]


async def nominee_warnings(page: Page, round_id: str) -> list[str]:
    try:
        listed = await page.data("invitation", "GET", f"/rounds/{quoted(round_id)}/nominations")
    except PageError:
        return []
    return open_warnings(page, listed)


def chosen(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])][:300]


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def coordinator(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    @api.get("/rondes")
    async def rounds(request: Request) -> Response:
        page = await coordinator(request)
        status = request.query_params.get("status")
        found = await page.data(
            "survey",
            "GET",
            "/rounds",
            query={"limit": 200, "status": status if status in ("draft", "open", "closed") else None},
        )
        return page.render(
            "rounds/list.html",
            rounds=found.get("items", []),
            total=found.get("total", 0),
            filter_status=status,
            created=request.query_params.get("aangemaakt"),
        )

    async def new_form(page: Page, status: int = 200, **extra: Any) -> Response:
        default_close = (date.today() + timedelta(days=21)).isoformat()
        gm: dict[str, Any] = {
            "title": f"Groepsmonitor {default_close[:4]}",
            "closes_on": default_close,
            "members": [],
            **extra.pop("gm", {}),
        }
        return page.render(
            "rounds/new.html",
            status=status,
            specialists=await specialists(page),
            groups=await groups_to_choose(page),
            default_close=default_close,
            gm=gm,
            **extra,
        )

    @api.get("/rondes/nieuw")
    async def new_round(request: Request) -> Response:
        page = await coordinator(request)
        group_id = request.query_params.get("groep", "")
        if not group_id:
            return await new_form(page)
        # From a group's page: the Groepsmonitor form filled in with the group and its members.
        group = await group_of(page, group_id)
        if group is None:
            return await new_form(page, gm_errors=[page.t("error_group_unknown")])
        return await new_form(page, gm=from_group(group))

    @api.post("/rondes/nieuw/ifms")
    async def create_ifms(request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        errors = too_long(page, form, ROUND_FIELDS)
        title = str(form.get("title") or "").strip()[: MAX_LENGTH["title"]]
        closes = closing_time(form.get("closes_on"), page.tenant.time_zone)
        known = {p.person_id: p for p in await specialists(page)}
        picked = [known[i] for i in chosen(form, "specialists") if i in known]
        if not title:
            errors.append(page.t("error_title"))
        if closes is None:
            errors.append(page.t("error_closes"))
        if not picked:
            errors.append(page.t("error_pick_specialists"))
        flex_nl = str(form.get("flex_label") or "").strip()[: MAX_LENGTH["flex_label"]]
        flex = {"flex_label_nl": flex_nl} if flex_nl else {}
        kept = {**form, "specialists": chosen(form, "specialists")}
        if errors:
            return await new_form(page, 422, ifms_errors=errors, ifms_form=kept)
        assert closes is not None
        upstream = await page.call(
            "survey",
            "POST",
            "/rounds/ifms-batch",
            json_body={
                "title": title,
                "closes_at": closes.isoformat(),
                "specialists": [
                    {"subject_id": p.person_id, "display_name": p.display_name, **flex} for p in picked
                ],
            },
        )
        if not upstream.is_success:
            return await new_form(page, 422, ifms_errors=[problem_text(upstream, page.lang)], ifms_form=kept)
        created = json.loads(upstream.content)
        return page.redirect("/rondes", aangemaakt=str(len(created)))

    @api.post("/rondes/nieuw/groepsmonitor")
    async def create_group_monitor(request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        errors = too_long(page, form, ROUND_FIELDS)
        # What was typed, shown again as it was on every refusal (a text too long whole, with
        # its length named by `too_long`: never cut short unseen).
        gm: dict[str, Any] = {
            "title": str(form.get("title") or ""),
            "group_id": str(form.get("group_id") or "").strip()[:64],
            "group_name": str(form.get("group_name") or ""),
            "closes_on": str(form.get("closes_on") or "")[:10],
            "members": chosen(form, "members"),
            "include_patients": form.get("include_patients") == "1",
        }
        group = await group_of(page, gm["group_id"]) if gm["group_id"] else None
        if gm["group_id"] and group is None:
            errors.append(page.t("error_group_unknown"))
        if form.get("action") == "load":
            # "Take over this group's members": the form again, the group's name and members filled in.
            if group is not None:
                gm = {**gm, **from_group(group)}
            return await new_form(page, 422 if errors else 200, gm_errors=errors, gm=gm)
        title = gm["title"].strip()
        group_name = gm["group_name"].strip() or (group["name"] if group else "")
        closes = closing_time(gm["closes_on"], page.tenant.time_zone)
        known = {p.person_id for p in await specialists(page)}
        picked = gm["members"]
        if group is not None and not picked:
            picked = [m["person_id"] for m in group["members"]]  # the group's members, as prefilled
        members = [m for m in picked if m in known]
        if not title:
            errors.append(page.t("error_title"))
        if not group_name:
            errors.append(page.t("error_group_name"))
        if closes is None:
            errors.append(page.t("error_closes"))
        if len(members) < 2:
            errors.append(page.t("error_pick_members"))
        if errors:
            return await new_form(page, 422, gm_errors=errors, gm=gm)
        assert closes is not None
        upstream = await page.call(
            "survey",
            "POST",
            "/rounds",
            json_body={
                "kind": "GROUP_MONITOR",
                "title": title,
                "subject": {
                    "subject_id": "group-" + uuid.uuid4().hex[:12],
                    "display_name": group_name,
                    "member_ids": members,
                },
                "closes_at": closes.isoformat(),
                "include_patients": gm["include_patients"],
                **({"group_id": group["group_id"]} if group else {}),
            },
        )
        if not upstream.is_success:
            return await new_form(page, 422, gm_errors=[problem_text(upstream, page.lang)], gm=gm)
        created = json.loads(upstream.content)
        return page.redirect(f"/rondes/{quoted(created['id'])}", aangemaakt="1")

    @api.get("/rondes/{round_id}")
    async def round_page(round_id: str, request: Request) -> Response:
        return await show_round(await coordinator(request), round_id)

    async def show_round(page: Page, round_id: str, status: int = 200, **extra: Any) -> Response:
        request = page.request
        found = await page.data("survey", "GET", f"/rounds/{quoted(round_id)}")
        progress = None
        preparing = False
        try:
            # The survey has the round; if it was just created, the invitation service may not yet.
            progress = await from_invitation(page, round_id, "/progress", known=True)
        except RoundPreparing:
            preparing = True
        except PageError:
            progress = None
        versions = []
        if found["status"] == "closed":
            try:
                versions = await page.data("aggregation", "GET", f"/rounds/{quoted(round_id)}/reports")
            except PageError:
                versions = []
        message = request.query_params.get("bericht")
        # Opening sends the invitations: groups with too few nominees are named at that step.
        warnings = (
            await nominee_warnings(page, round_id) if found["status"] == "draft" and not preparing else []
        )
        response = page.render(
            "rounds/detail.html",
            status=status,
            open_warnings=warnings,
            round=found,
            progress=progress,
            preparing=preparing,
            versions=versions,
            message=message,
            groups=[g for g in found["respondent_groups"]],
            next_week=_week_after(found["closes_at"]),
            **extra,
        )
        if preparing:
            response.headers["refresh"] = str(REFRESH_S)
        return response

    @api.post("/rondes/{round_id}/openen")
    async def open_round(round_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        if form.get("accept_few") != "1" and await nominee_warnings(page, round_id):
            return await show_round(page, round_id, 422, open_problem=page.t("error_accept_few"))
        await page.data("survey", "POST", f"/rounds/{quoted(round_id)}/open")
        return page.redirect(f"/rondes/{quoted(round_id)}", bericht="opened")

    async def refused(page: Page, round_id: str, **problem: str) -> Response:
        """The round's page again with the refused form's reason and what was typed (422); a plain
        problem page when the round itself cannot be shown."""
        try:
            return await show_round(page, round_id, 422, **problem)
        except PageError:
            reason = problem.get("extend_problem") or problem.get("close_problem") or ""
            raise PageError(422, reason) from None

    @api.post("/rondes/{round_id}/sluiten")
    async def close_round(round_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        if form.get("confirm") != "1":
            return await refused(page, round_id, close_problem=page.t("error_confirm_close"))
        await page.data("survey", "POST", f"/rounds/{quoted(round_id)}/close")
        return page.redirect(f"/rondes/{quoted(round_id)}", bericht="closed")

    @api.post("/rondes/{round_id}/verlengen")
    async def extend_round(round_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        closes = closing_time(form.get("closes_on"), page.tenant.time_zone)
        if closes is None:
            typed = str(form.get("closes_on") or "")[:10]
            return await refused(page, round_id, extend_problem=page.t("error_closes"), extend_value=typed)
        await page.data(
            "survey",
            "POST",
            f"/rounds/{quoted(round_id)}/extend",
            json_body={"closes_at": closes.isoformat()},
        )
        return page.redirect(f"/rondes/{quoted(round_id)}", bericht="extended")

    @api.post("/rondes/{round_id}/herinneren")
    async def remind(round_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        group = str(form.get("group") or "") or None
        answer = await page.data(
            "invitation",
            "POST",
            f"/rounds/{quoted(round_id)}/reminders",
            json_body={"group": group, "request_id": uuid.uuid4().hex},
        )
        skipped = sum((answer.get("skipped") or {}).values())
        return page.redirect(
            f"/rondes/{quoted(round_id)}",
            bericht="reminded",
            aantal=answer.get("queued", 0),
            overgeslagen=skipped or None,
        )

    @api.post("/rondes/{round_id}/uitnodigingen/{assignment_id}/opnieuw")
    async def resend(round_id: str, assignment_id: str, request: Request) -> Response:
        page = await coordinator(request)
        await page.form()
        sent = await page.call(
            "invitation", "POST", f"/rounds/{quoted(round_id)}/invitations/{quoted(assignment_id)}/resend"
        )
        if sent.status_code == 409:  # the reminder rules per person: too soon, or the maximum reached
            return await show_round(page, round_id, 409, resend_problem=problem_text(sent, page.lang))
        if not sent.is_success:
            raise PageError(sent.status_code, problem_text(sent, page.lang))
        return page.redirect(f"/rondes/{quoted(round_id)}", bericht="resent")

    @api.get("/rondes/{round_id}/sjabloon.xlsx")
    async def template(round_id: str, request: Request) -> Response:
        page = await page_of(request)
        page.require("specialist", *COORDINATING)
        path = f"/rounds/{quoted(round_id)}/nominations/template.xlsx"
        upstream = await page.call("invitation", "GET", path, headers={"accept": "*/*"})
        if upstream.status_code == 404:
            try:
                await from_invitation(page, round_id)  # a round just created: waited for briefly
            except RoundPreparing:
                return preparing_page(page, round_id)
            upstream = await page.call("invitation", "GET", path, headers={"accept": "*/*"})
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return Response(
            upstream.content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "content-disposition": upstream.headers.get(
                    "content-disposition", 'attachment; filename="nominaties.xlsx"'
                ),
                "cache-control": "no-store",
            },
        )

    return api
