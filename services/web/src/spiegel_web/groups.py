"""The hospital's groups (vakgroepen, maatschappen), for coordinators and tenant admins: the list
with a form to add one, and one group's page (name, kind, specialism, contact person; members added
and removed; the history of who joined and left, when and by whom).

The gateway owns groups (its API `/groups`, called as the signed-in person): it checks every
change (names unique per hospital, members only specialists of this hospital, another hospital's
group or person unknown) and announces it. A refusal shows the form again with what was typed and
the gateway's reason, in the reader's language.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, Page, PageError, page_of, problem_text, quoted
from spiegel_web.rounds import chosen, specialists

MAX_NAME = 120  # the gateway's limits (groups/model.py)
MAX_SPECIALISM = 120
KINDS = ("vakgroep", "maatschap")
_GROUP_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_group_id(group_id: str) -> None:
    if not _GROUP_ID.match(group_id):
        raise PageError(404, key="no_group")


async def people(page: Page) -> list[dict[str, Any]]:
    """The hospital's active people (a contact person may be anyone of them), by name."""
    found = await page.data("gateway", "GET", "/people")
    return sorted((p for p in found if p.get("active")), key=lambda p: str(p["display_name"]).lower())


def form_problems(page: Page, form: dict[str, Any]) -> list[str]:
    """What the pages can say at once (the gateway checks everything again)."""
    errors = []
    name = str(form.get("name") or "")
    if not name.strip():
        errors.append(page.t("groups_error_name"))
    elif len(name.strip()) > MAX_NAME:
        errors.append(page.t("groups_error_name_long", max=MAX_NAME))
    if len(str(form.get("specialism") or "").strip()) > MAX_SPECIALISM:
        errors.append(page.t("groups_error_specialism_long", max=MAX_SPECIALISM))
    if str(form.get("kind") or "vakgroep") not in KINDS:
        errors.append(page.t("groups_error_kind"))
    return errors


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def coordinator(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    async def list_page(page: Page, status: int = 200, **extra: Any) -> Response:
        groups = await page.data("gateway", "GET", "/groups")
        return page.render(
            "groups/list.html",
            status=status,
            groups=groups,
            specialists=await specialists(page),
            people=await people(page),
            max_name=MAX_NAME,
            max_specialism=MAX_SPECIALISM,
            **extra,
        )

    @api.get("/groepen")
    async def groups(request: Request) -> Response:
        page = await coordinator(request)
        return await list_page(page, created=request.query_params.get("aangemaakt"))

    @api.post("/groepen")
    async def create(request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        errors = form_problems(page, form)
        if errors:
            return await list_page(page, 422, errors=errors, form=form, picked=chosen(form, "members"))
        upstream = await page.call(
            "gateway",
            "POST",
            "/groups",
            json_body={
                "name": str(form.get("name") or "").strip(),
                "kind": str(form.get("kind") or "vakgroep"),
                "specialism": str(form.get("specialism") or "").strip(),
                "contact_person_id": str(form.get("contact_person_id") or "") or None,
                "member_person_ids": chosen(form, "members"),
            },
        )
        if not upstream.is_success:
            return await list_page(
                page,
                422,
                errors=[problem_text(upstream, page.lang)],
                form=form,
                picked=chosen(form, "members"),
            )
        created = upstream.json()
        return page.redirect(f"/groepen/{quoted(created['group_id'])}", bericht="created")

    async def group_page(page: Page, group_id: str, status: int = 200, **extra: Any) -> Response:
        check_group_id(group_id)
        upstream = await page.call("gateway", "GET", f"/groups/{quoted(group_id)}")
        if upstream.status_code == 404:
            raise PageError(404, key="no_group")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        group = upstream.json()
        history = (await page.data("gateway", "GET", f"/groups/{quoted(group_id)}/history"))["entries"]
        members = {m["person_id"] for m in group["members"]}
        return page.render(
            "groups/detail.html",
            status=status,
            group=group,
            history=list(reversed(history)),  # the latest change first
            candidates=[p for p in await specialists(page) if p.person_id not in members],
            people=await people(page),
            max_name=MAX_NAME,
            max_specialism=MAX_SPECIALISM,
            **extra,
        )

    @api.get("/groepen/{group_id}")
    async def group(group_id: str, request: Request) -> Response:
        page = await coordinator(request)
        return await group_page(page, group_id, message=request.query_params.get("bericht"))

    @api.post("/groepen/{group_id}")
    async def change(group_id: str, request: Request) -> Response:
        page = await coordinator(request)
        check_group_id(group_id)
        form = await page.form()
        errors = form_problems(page, form)
        if errors:
            return await group_page(page, group_id, 422, errors=errors, form=form)
        upstream = await page.call(
            "gateway",
            "PATCH",
            f"/groups/{quoted(group_id)}",
            json_body={
                "name": str(form.get("name") or "").strip(),
                "kind": str(form.get("kind") or "vakgroep"),
                "specialism": str(form.get("specialism") or "").strip(),
                "contact_person_id": str(form.get("contact_person_id") or ""),
            },
        )
        if upstream.status_code == 404:
            raise PageError(404, key="no_group")
        if not upstream.is_success:
            return await group_page(
                page, group_id, 422, errors=[problem_text(upstream, page.lang)], form=form
            )
        return page.redirect(f"/groepen/{quoted(group_id)}", bericht="saved")

    @api.post("/groepen/{group_id}/leden")
    async def add_member(group_id: str, request: Request) -> Response:
        page = await coordinator(request)
        check_group_id(group_id)
        form = await page.form()
        person_id = str(form.get("person_id") or "").strip()
        if not person_id:
            return await group_page(page, group_id, 422, member_errors=[page.t("groups_error_pick_member")])
        upstream = await page.call(
            "gateway", "POST", f"/groups/{quoted(group_id)}/members", json_body={"person_id": person_id[:64]}
        )
        if upstream.status_code == 404:
            raise PageError(404, key="no_group")
        if not upstream.is_success:
            return await group_page(page, group_id, 422, member_errors=[problem_text(upstream, page.lang)])
        return page.redirect(f"/groepen/{quoted(group_id)}", bericht="member_added")

    @api.post("/groepen/{group_id}/leden/{person_id}/verwijderen")
    async def remove_member(group_id: str, person_id: str, request: Request) -> Response:
        page = await coordinator(request)
        check_group_id(group_id)
        await page.form()
        upstream = await page.call(
            "gateway", "DELETE", f"/groups/{quoted(group_id)}/members/{quoted(person_id[:64])}"
        )
        if upstream.status_code == 404:
            raise PageError(404, key="no_group")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return page.redirect(f"/groepen/{quoted(group_id)}", bericht="member_removed")

    return api
