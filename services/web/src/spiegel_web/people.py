"""A hospital's people, for its administrators and coordinators: the list (search, filters, pages),
adding one, changing one (name, e-mail address, roles, profile), switching an account off and on,
and the activation mail again.

The gateway owns people: every page calls its API (`/people`) as the caller, and the gateway
decides (who may grant which role, an administrator must stay, an address once per hospital,
switching off ends every session and API token). A refusal is shown on the form, with what was
typed kept.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, Page, PageError, form_number, page_of, problem_text, quoted

PAGE_SIZE = 25
ROLES = ("specialist", "coordinator", "facilitator", "tenant_admin", "board")
STATUSES = ("active", "not_activated", "inactive")
EMPLOYMENTS = ("employed", "self_employed")
LIMITS = {"display_name": 200, "email": 320, "specialism": 100, "big_number": 30}


def _one(form: dict[str, Any], name: str) -> str:
    """A field posted once, as text (a field posted twice is its first value)."""
    value = form.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def person_form(form: dict[str, Any]) -> dict[str, Any]:
    """What the form says, as typed (whole: a text longer than its field takes is refused with its
    length, never cut short unseen); a choice that is none of the form's is noted in `invalid`."""
    chosen = form.get("roles") or []
    chosen = chosen if isinstance(chosen, list) else [chosen]
    employment, language = _one(form, "employment"), _one(form, "language")
    invalid = [r for r in chosen if r not in ROLES]
    if employment and employment not in EMPLOYMENTS:
        invalid.append(employment)
    if language and language not in ("nl", "en"):  # absent: the default, Dutch
        invalid.append(language)
    return {
        **{name: _one(form, name) for name in LIMITS},
        "roles": [r for r in ROLES if r in chosen],
        "employment": employment if employment in EMPLOYMENTS else "",
        "language": language if language in ("nl", "en") else "nl",
        "invalid": invalid,
    }


def form_problems(page: Page, entry: dict[str, Any]) -> list[str]:
    """What the page itself can tell before asking the gateway (which checks everything again)."""
    problems = []
    if not entry["display_name"].strip():
        problems.append(page.t("people_error_name"))
    if not entry["email"].strip():
        problems.append(page.t("people_error_email"))
    if not entry["roles"]:
        problems.append(page.t("people_error_roles"))
    for name, most in LIMITS.items():
        if len(entry[name]) > most:
            problems.append(page.t("people_error_too_long", field=page.t(f"people_field_{name}"), most=most))
    if entry.get("invalid"):
        problems.append(page.t("people_error_choice", value=", ".join(entry["invalid"])[:80]))
    return problems


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def manager(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    async def groups_of(page: Page, member: str | None = None) -> list[dict[str, Any]]:
        """The hospital's groups, without their members (for the filter), or those of one person."""
        found: list[dict[str, Any]] = await page.data(
            "gateway", "GET", "/groups", query={"brief": "true", "member": member}
        )
        return found

    async def person_of(page: Page, person_id: str) -> dict[str, Any]:
        # Another hospital's person (or none): the gateway answers 404, shown as a page.
        person: dict[str, Any] = await page.data("gateway", "GET", f"/people/{quoted(person_id)}")
        return person

    @api.get("/mensen")
    async def people(request: Request) -> Response:
        page = await manager(request)
        query = request.query_params
        search = query.get("zoek", "")[:200]
        role = query.get("rol") if query.get("rol") in ROLES else None
        status = query.get("status") if query.get("status") in STATUSES else None
        number = max(1, min(form_number(query.get("pagina", "1")) or 1, 100_000))
        wanted_group = query.get("groep", "")[:64] or None
        # The people and the groups for the filter at once (two calls to the gateway).
        upstream, groups = await asyncio.gather(
            page.call(
                "gateway",
                "GET",
                "/people",
                query={
                    "q": search or None,
                    "role": role,
                    "status": status,
                    "group": wanted_group,
                    "offset": (number - 1) * PAGE_SIZE,
                    "limit": PAGE_SIZE,
                },
            ),
            groups_of(page),
        )
        group = wanted_group if wanted_group in {g["group_id"] for g in groups} else None
        if upstream.status_code == 404 and wanted_group and group is None:
            return page.redirect("/mensen", zoek=search, rol=role, status=status)  # a group that is gone
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        total = int(upstream.headers.get("x-total-count", "0") or 0)
        return page.render(
            "people/list.html",
            people=upstream.json(),
            total=total,
            search=search,
            role=role,
            filter_status=status,
            group=group,
            groups=groups,
            number=number,
            pages=max(1, math.ceil(total / PAGE_SIZE)),
            roles=ROLES,
            statuses=STATUSES,
            message=query.get("bericht"),
        )

    @api.get("/mensen/nieuw")
    async def new(request: Request) -> Response:
        page = await manager(request)
        return page.render(
            "people/form.html", entry={"roles": ["specialist"], "language": page.lang}, person=None
        )

    @api.post("/mensen/nieuw")
    async def add(request: Request) -> Response:
        page = await manager(request)
        entry = person_form(await page.form())
        problems = form_problems(page, entry)
        if problems:
            return page.render("people/form.html", status=422, entry=entry, person=None, problems=problems)
        body = {
            "display_name": entry["display_name"],
            "email": entry["email"].strip(),
            "roles": entry["roles"],
            "language": entry["language"],
            "specialism": entry["specialism"].strip() or None,
            "employment": entry["employment"] or None,
            "big_number": entry["big_number"].strip() or None,
        }
        created = await page.call("gateway", "POST", "/people", json_body=body)
        if not created.is_success:
            status = created.status_code if created.status_code in (403, 409, 422) else 422
            return page.render(
                "people/form.html",
                status=status,
                entry=entry,
                person=None,
                problems=[problem_text(created, page.lang)],
            )
        return page.redirect(f"/mensen/{quoted(created.json()['person_id'])}", bericht="added")

    @api.get("/mensen/{person_id}")
    async def person(person_id: str, request: Request) -> Response:
        page = await manager(request)
        found = await person_of(page, person_id)
        entry = {**found, **{k: found.get(k) or "" for k in ("specialism", "employment", "big_number")}}
        return page.render(
            "people/form.html", entry=entry, person=found, message=request.query_params.get("bericht")
        )

    @api.post("/mensen/{person_id}")
    async def change(person_id: str, request: Request) -> Response:
        page = await manager(request)
        form = await page.form()
        found = await person_of(page, person_id)
        entry = person_form(form)
        problems = form_problems(page, entry)
        if problems:
            return page.render("people/form.html", status=422, entry=entry, person=found, problems=problems)
        # Only what changed: a change of roles (even to the same roles) ends the person's sessions.
        body: dict[str, Any] = {}
        if entry["display_name"] != found["display_name"]:
            body["display_name"] = entry["display_name"]
        if entry["email"].strip().lower() != found["email"]:
            body["email"] = entry["email"].strip()
        if set(entry["roles"]) != set(found["roles"]):
            body["roles"] = entry["roles"]
        if entry["language"] != found["language"]:
            body["language"] = entry["language"]
        for name in ("specialism", "employment", "big_number"):
            if entry[name].strip() != (found.get(name) or ""):
                body[name] = entry[name].strip()
        if body:
            changed = await page.call("gateway", "PATCH", f"/people/{quoted(person_id)}", json_body=body)
            if not changed.is_success:
                status = changed.status_code if changed.status_code in (403, 409, 422) else 422
                return page.render(
                    "people/form.html",
                    status=status,
                    entry=entry,
                    person=found,
                    problems=[problem_text(changed, page.lang)],
                )
        return page.redirect(f"/mensen/{quoted(person_id)}", bericht="saved")

    async def switch(request: Request, person_id: str, active: bool) -> Response:
        page = await manager(request)
        await page.form()
        found = await person_of(page, person_id)
        changed = await page.call(
            "gateway", "PATCH", f"/people/{quoted(person_id)}", json_body={"active": active}
        )
        if not changed.is_success:
            entry = {**found, **{k: found.get(k) or "" for k in ("specialism", "employment", "big_number")}}
            return page.render(
                "people/form.html",
                status=changed.status_code if changed.status_code in (403, 409, 422) else 422,
                entry=entry,
                person=found,
                problems=[problem_text(changed, page.lang)],
            )
        return page.redirect(f"/mensen/{quoted(person_id)}", bericht="activated" if active else "deactivated")

    @api.post("/mensen/{person_id}/deactiveren")
    async def deactivate(person_id: str, request: Request) -> Response:
        return await switch(request, person_id, False)

    @api.post("/mensen/{person_id}/activeren")
    async def reactivate(person_id: str, request: Request) -> Response:
        return await switch(request, person_id, True)

    @api.post("/mensen/{person_id}/activatiemail")
    async def activation_mail(person_id: str, request: Request) -> Response:
        page = await manager(request)
        await page.form()
        sent = await page.call("gateway", "POST", f"/people/{quoted(person_id)}/verification-mail")
        if sent.status_code == 409:  # sent a moment ago, or the maximum for this address reached
            found = await person_of(page, person_id)
            entry = {**found, **{k: found.get(k) or "" for k in ("specialism", "employment", "big_number")}}
            return page.render(
                "people/form.html",
                status=409,
                entry=entry,
                person=found,
                problems=[problem_text(sent, page.lang)],
            )
        if not sent.is_success:
            raise PageError(sent.status_code, problem_text(sent, page.lang))
        return page.redirect(f"/mensen/{quoted(person_id)}", bericht="mail_sent")

    return api
