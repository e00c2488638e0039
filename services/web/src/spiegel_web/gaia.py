"""The coordinator's accreditation pages of a discussion session (issue 19, point 5): GAIA.

- `GET /bespreking/{id}/accreditatie` (coordinators, tenant admins): the session's accreditation
  (set with `POST /bespreking/{id}/accreditatie`: activity number, points, association, period,
  deadline, for the session or its whole series), the downloads for GAIA, and every participant's
  attendance and registration status (set with `POST /bespreking/{id}/accreditatie/status`, for
  the ticked participants or everyone who attended the whole session).
- `GET /bespreking/{id}/accreditatie/{export}` (big-numbers.txt, attendance.csv, .xlsx, .xml)
  and `GET /bespreking/{id}/accreditatie/bewijs/{person}.pdf`: the files, as the accreditation
  service makes them.
- `GET /nog-te-registreren`: the sessions whose attendance is not yet registered, deadline first.
- `GET /verenigingen` (coordinators, tenant admins): the hospital's registration deadline per
  association (wetenschappelijke vereniging); `POST /verenigingen` sets one (name, days),
  `POST /verenigingen/verwijderen` (`association_id`) removes one (its sessions go back to 6 weeks).

The accreditation service decides who may (coordinators and tenant admins of the hospital); a
refused form shows again with what was typed and the reason at its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, Page, PageError, page_of, problem_text, quoted

EXPORTS = {
    "big-numbers.txt": "text/plain; charset=utf-8",
    "attendance.csv": "text/csv; charset=utf-8",
    "attendance.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "attendance.xml": "application/xml",
}
FIELDS = (
    "activity_number",
    "points",
    "association",
    "valid_from",
    "valid_until",
    "deadline_days",
    "provider",
    "scope",
)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _field_of(upstream: Any) -> str:
    try:
        return str((upstream.json() or {}).get("field") or "")
    except ValueError:
        return ""


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def coordinator(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    async def accreditation_page(page: Page, session_id: str, status: int = 200, **extra: Any) -> Response:
        upstream = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}/accreditation")
        if upstream.status_code == 404:
            raise PageError(404, key="checkin_no_session")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        overview = upstream.json()
        current = overview.get("accreditation") or {}
        # The deadline field holds the accreditation's own deadline only: empty follows the
        # association's (or the default), so saving again does not freeze it.
        shown = {**current, "deadline_days": current.get("deadline_days_own")}
        form = extra.pop("form", None) or {
            k: "" if shown.get(k) is None else str(shown.get(k)) for k in FIELDS
        }
        return page.render(
            "gaia/session.html",
            status=status,
            overview=overview,
            accreditation=current,
            form=form,
            exports=list(EXPORTS),
            **extra,
        )

    @api.get("/bespreking/{session_id}/accreditatie")
    async def show(session_id: str, request: Request) -> Response:
        page = await coordinator(request)
        return await accreditation_page(page, session_id, message=request.query_params.get("bericht"))

    @api.post("/bespreking/{session_id}/accreditatie")
    async def set_accreditation(session_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        typed = {k: _text(form, k)[:2000] for k in FIELDS}
        errors: list[tuple[str, str]] = []
        body: dict[str, Any] = {
            "activity_number": typed["activity_number"][:100],
            "association": typed["association"],
            "provider": typed["provider"],
            "scope": "series" if typed["scope"] == "series" else "session",
        }
        for name, kind in (("points", float), ("deadline_days", int)):
            raw = typed[name].strip().replace(",", ".")
            if not raw:
                continue
            try:
                body[name] = kind(raw)
            except ValueError:
                errors.append((name, page.t("gaia_error_number")))
        for name in ("valid_from", "valid_until"):
            if not typed[name]:
                errors.append((name, page.t("gaia_error_date")))
            else:
                body[name] = typed[name]
        if "points" not in body and not any(f == "points" for f, _ in errors):
            errors.append(("points", page.t("gaia_error_number")))
        if not errors:
            upstream = await page.call(
                "accreditation", "PUT", f"/sessions/{quoted(session_id)}/accreditation", json_body=body
            )
            if upstream.is_success:
                return page.redirect(f"/bespreking/{quoted(session_id)}/accreditatie", bericht="saved")
            if upstream.status_code not in (409, 422):
                raise PageError(upstream.status_code, problem_text(upstream, page.lang))
            errors.append((_field_of(upstream), problem_text(upstream, page.lang)))
        return await accreditation_page(page, session_id, 422, errors=errors, form=typed)

    @api.post("/bespreking/{session_id}/accreditatie/status")
    async def set_status(session_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        chosen = form.get("person_ids") or []
        chosen = [chosen] if isinstance(chosen, str) else [c for c in chosen if isinstance(c, str)]
        body: dict[str, Any] = {
            "status": _text(form, "status"),
            "reason": _text(form, "reason")[:2000],
        }
        if _text(form, "registered_on"):
            body["registered_on"] = _text(form, "registered_on")
        if _text(form, "everyone") != "1":
            if not chosen:
                return await accreditation_page(
                    page, session_id, 422, status_errors=[page.t("gaia_error_none_chosen")], status_form=form
                )
            body["person_ids"] = chosen
        upstream = await page.call(
            "accreditation", "PUT", f"/sessions/{quoted(session_id)}/gaia/registrations", json_body=body
        )
        if upstream.is_success:
            return page.redirect(f"/bespreking/{quoted(session_id)}/accreditatie", bericht="status")
        if upstream.status_code not in (409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return await accreditation_page(
            page,
            session_id,
            422,
            status_errors=[problem_text(upstream, page.lang)],
            status_form=form,
            status_chosen=chosen,
        )

    async def download(page: Page, path: str, media_type: str) -> Response:
        upstream = await page.call("accreditation", "GET", path, headers={"accept": "*/*"})
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return Response(
            upstream.content,
            media_type=media_type,
            headers={
                "content-disposition": upstream.headers.get("content-disposition", "attachment"),
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
            },
        )

    @api.get("/bespreking/{session_id}/accreditatie/bewijs/{person_id}.pdf")
    async def certificate(session_id: str, person_id: str, request: Request) -> Response:
        page = await coordinator(request)
        path = f"/sessions/{quoted(session_id)}/gaia/certificates/{quoted(person_id)}.pdf"
        return await download(page, path, "application/pdf")

    @api.get("/bespreking/{session_id}/accreditatie/{export}")
    async def export(session_id: str, export: str, request: Request) -> Response:
        page = await coordinator(request)
        if export not in EXPORTS:
            raise PageError(404, key="gaia_no_export")
        return await download(page, f"/sessions/{quoted(session_id)}/gaia/{export}", EXPORTS[export])

    @api.get("/nog-te-registreren")
    async def pending(request: Request) -> Response:
        page = await coordinator(request)
        found = await page.data("accreditation", "GET", "/gaia/pending")
        return page.render("gaia/pending.html", sessions=found["sessions"])

    async def associations_page(page: Page, status: int = 200, **extra: Any) -> Response:
        found = await page.data("accreditation", "GET", "/gaia/associations")
        return page.render(
            "gaia/associations.html",
            status=status,
            associations=found["associations"],
            default_days=found["default_deadline_days"],
            form=extra.pop("form", None) or {},
            **extra,
        )

    @api.get("/verenigingen")
    async def associations(request: Request) -> Response:
        page = await coordinator(request)
        return await associations_page(page, message=request.query_params.get("bericht"))

    @api.post("/verenigingen")
    async def set_association(request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        typed = {"name": _text(form, "name")[:2000], "deadline_days": _text(form, "deadline_days")[:20]}
        errors: list[tuple[str, str]] = []
        try:
            days = int(typed["deadline_days"].strip())
        except ValueError:
            errors.append(("deadline_days", page.t("gaia_error_number")))
        if not errors:
            upstream = await page.call(
                "accreditation",
                "PUT",
                "/gaia/associations",
                json_body={"name": typed["name"], "deadline_days": days},
            )
            if upstream.is_success:
                return page.redirect("/verenigingen", bericht="association_saved")
            if upstream.status_code != 422:
                raise PageError(upstream.status_code, problem_text(upstream, page.lang))
            errors.append((_field_of(upstream), problem_text(upstream, page.lang)))
        return await associations_page(page, 422, errors=errors, form=typed)

    @api.post("/verenigingen/verwijderen")
    async def remove_association(request: Request) -> Response:
        page = await coordinator(request)
        association_id = _text(await page.form(), "association_id")[:100]
        if not association_id:
            raise PageError(404, key="gaia_no_association")
        upstream = await page.call("accreditation", "DELETE", f"/gaia/associations/{quoted(association_id)}")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return page.redirect("/verenigingen", bericht="association_removed")

    return api
