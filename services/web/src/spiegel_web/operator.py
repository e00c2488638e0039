"""The operators' console on the platform's own address: the hospitals, a new hospital with its
first administrator, suspending and reactivating a hospital, and the platform's status.

The gateway forwards these pages (and only these) on the platform's address, for a signed-in
operator with a caller's token whose only audience is the gateway: the pages read and change
hospitals through the gateway's operator API (`/operator/...`), which checks, stores and audits
every change, and they reach no service and no hospital's data (the list's people and rounds are
counts the gateway gathers).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from markupsafe import Markup
from spiegel_pages.texts import text
from spiegel_platform.anonymity import MIN_GROUP_SIZE
from spiegel_platform.auth import roles
from spiegel_platform.hospitals import RESERVED_SLUGS, SLUG_MAX_LENGTH, is_slug
from spiegel_platform.mail_addresses import deliverable_address
from spiegel_platform.names import is_hidden_control

from spiegel_web.core import Page, PageError, env, page_of, problem_text, quoted

MAX_THRESHOLD = 50
NAME_MAX = 200
EMAIL_MAX = 254
URL_MAX = 500
CLIENT_ID_MAX = 200
SECRET_MAX = 500
# The form's fields, each kept as typed when the form is refused (never the client secret).
FIELDS = (
    "name",
    "slug",
    "min_group_size",
    "default_language",
    "both_languages",
    "admin_name",
    "admin_email",
    "oidc_issuer",
    "oidc_client_id",
)


_BLANK = {k: "" for k in (*FIELDS, "oidc_client_secret")}


async def operator_page(request: Request) -> Page:
    """The page context of an operator on the platform's address (elsewhere: no such page)."""
    page = await page_of(request)
    if page.tenant.tenant_id != roles.PLATFORM_SCOPE:
        raise PageError(404)
    page.require(roles.OPERATOR)
    return page


def _slug_or_empty(value: str) -> str:
    return value if len(value) <= SLUG_MAX_LENGTH and is_slug(value) else ""


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def check_hospital_form(page: Page, form: dict[str, str]) -> dict[str, str]:
    """Pure apart from the texts: field -> what is wrong with it, in the reader's language."""
    errors: dict[str, str] = {}

    def too_long(field: str, limit: int) -> bool:
        if len(form[field]) > limit:
            errors[field] = page.t("op_error_too_long", max=limit)
            return True
        return False

    name = form["name"]
    if not name:
        errors["name"] = page.t("op_error_name")
    elif not too_long("name", NAME_MAX) and any(is_hidden_control(c) for c in name):
        errors["name"] = page.t("op_error_control")
    slug = form["slug"]
    if not slug:
        errors["slug"] = page.t("op_error_slug_empty")
    elif not too_long("slug", SLUG_MAX_LENGTH):
        if not is_slug(slug):
            errors["slug"] = page.t("op_error_slug")
        elif slug in RESERVED_SLUGS:
            errors["slug"] = page.t("op_error_slug_reserved", slug=slug)
    threshold = form["min_group_size"]
    number = int(threshold) if threshold.isascii() and threshold.isdigit() and len(threshold) <= 3 else None
    if number is None or not MIN_GROUP_SIZE <= number <= MAX_THRESHOLD:
        errors["min_group_size"] = page.t("op_error_threshold", min=MIN_GROUP_SIZE, max=MAX_THRESHOLD)
    if form["default_language"] not in ("nl", "en"):
        errors["default_language"] = page.t("op_error_language")
    admin = form["admin_name"]
    if not admin:
        errors["admin_name"] = page.t("op_error_admin_name")
    elif not too_long("admin_name", NAME_MAX) and any(is_hidden_control(c) for c in admin):
        errors["admin_name"] = page.t("op_error_control")
    email = form["admin_email"]
    if not email:
        errors["admin_email"] = page.t("op_error_email_empty")
    elif not too_long("admin_email", EMAIL_MAX):
        try:
            deliverable_address(email)
        except ValueError:
            errors["admin_email"] = page.t("op_error_email")
    issuer, client_id, secret = form["oidc_issuer"], form["oidc_client_id"], form["oidc_client_secret"]
    if issuer or client_id or secret:
        if not issuer:
            errors["oidc_issuer"] = page.t("op_error_issuer_empty")
        elif not too_long("oidc_issuer", URL_MAX) and not issuer.startswith(("https://", "http://")):
            errors["oidc_issuer"] = page.t("op_error_issuer")
        if not client_id:
            errors["oidc_client_id"] = page.t("op_error_client_id")
        else:
            too_long("oidc_client_id", CLIENT_ID_MAX)
        if len(secret) > SECRET_MAX:
            errors["oidc_client_secret"] = page.t("op_error_too_long", max=SECRET_MAX)
    return errors


def tenant_body(form: dict[str, str]) -> dict[str, Any]:
    default = form["default_language"]
    other = "en" if default == "nl" else "nl"
    body: dict[str, Any] = {
        "slug": form["slug"],
        "name": form["name"],
        "languages": [default, other] if form["both_languages"] else [default],
        "min_group_size": int(form["min_group_size"]),
    }
    if form["oidc_issuer"]:
        idp: dict[str, Any] = {"issuer": form["oidc_issuer"], "client_id": form["oidc_client_id"]}
        if form["oidc_client_secret"]:
            idp["client_secret"] = form["oidc_client_secret"]
        body["identity_provider"] = idp
    return body


@lru_cache(maxsize=16)
def hospital_rows(lang: str, prefix: str, listed: str) -> Markup:
    """The rows of the hospitals' list (`listed`: the operator API's list as JSON), rendered once
    per list, language and address prefix: rendering 200 rows took about 8.6 ms of the web
    service's CPU, most of the page's cost, and the list changes at most every few seconds
    (the gateway keeps it 5 s, its counts up to 10 s)."""
    rendered = env.get_template("operator/_hospital_rows.html").render(
        t=lambda key, **values: text(key, lang, **values), prefix=prefix, hospitals=json.loads(listed)
    )
    return Markup(rendered)  # noqa: S704 (rendered by Jinja2 with autoescape: the values are escaped)


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/ziekenhuizen")
    async def hospitals(request: Request) -> Response:
        page = await operator_page(request)
        rows = await page.data("gateway", "GET", "/operator/overview")
        return page.render(
            "operator/hospitals.html",
            hospitals=rows,
            rows=hospital_rows(page.lang, page.prefix, json.dumps(rows, sort_keys=True)),
            # Only an address is ever said back (a crafted link cannot put words on this page).
            created=_slug_or_empty(request.query_params.get("aangemaakt", "")),
            changed=_slug_or_empty(request.query_params.get("gewijzigd", "")),
            resent=_slug_or_empty(request.query_params.get("opnieuw", "")),
        )

    def show_form(
        page: Page, status: int = 200, *, values: dict[str, str] | None = None, **extra: Any
    ) -> Response:
        shown = values or {"default_language": "nl", "both_languages": "1", "min_group_size": "4"}
        return page.render(
            "operator/new.html",
            status=status,
            values={k: shown.get(k, "") for k in FIELDS},
            min_size=MIN_GROUP_SIZE,
            max_size=MAX_THRESHOLD,
            limits={
                "name": NAME_MAX,
                "slug": SLUG_MAX_LENGTH,
                "email": EMAIL_MAX,
                "url": URL_MAX,
                "client_id": CLIENT_ID_MAX,
                "secret": SECRET_MAX,
            },
            errors=extra.pop("errors", {}),
            **extra,
        )

    @api.get("/ziekenhuizen/nieuw")
    async def new_hospital(request: Request) -> Response:
        page = await operator_page(request)
        return show_form(page)

    @api.post("/ziekenhuizen/nieuw")
    async def create_hospital(request: Request) -> Response:
        page = await operator_page(request)
        try:
            posted = await request.form()
        except Exception:
            raise PageError(400, key="bad_form") from None
        form = {k: _text(posted, k) for k in (*FIELDS, "oidc_client_secret")}
        form["slug"] = form["slug"].lower()
        form["both_languages"] = "1" if form["both_languages"] else ""
        assert page.caller is not None
        token = posted.get("csrf_token")
        if not page.check_csrf(page.caller, token if isinstance(token, str) else ""):
            # A form that outlived its session's token: said so, with everything typed kept.
            return show_form(page, 403, values=form, problem=page.t("op_error_csrf"))
        errors = check_hospital_form(page, form)
        if errors:
            return show_form(page, 422, values=form, errors=errors)
        created = await page.call("gateway", "POST", "/operator/tenants", json_body=tenant_body(form))
        if created.status_code == 409:
            errors = {"slug": page.t("op_error_slug_taken", slug=form["slug"])}
            return show_form(page, 409, values=form, errors=errors)
        if not created.is_success:
            return show_form(page, 422, values=form, problem=problem_text(created, page.lang))
        tenant_id = str(created.json()["tenant_id"])
        return await invite(page, tenant_id, form)

    async def invite(page: Page, tenant_id: str, form: dict[str, str]) -> Response:
        """Register the hospital's first administrator: the gateway sends the activation mail."""
        invited = await page.call(
            "gateway",
            "POST",
            f"/operator/tenants/{quoted(tenant_id)}/people",
            json_body={
                "display_name": form["admin_name"],
                "email": form["admin_email"],
                "roles": [roles.TENANT_ADMIN],
                "language": form["default_language"] or "nl",
            },
        )
        if invited.status_code == 404:
            raise PageError(404)
        if not invited.is_success:
            # The hospital exists: the page asks for the administrator again, input kept.
            return page.render(
                "operator/invite.html",
                status=invited.status_code if invited.status_code < 500 else 502,
                tenant_id=tenant_id,
                values=form,
                problem=problem_text(invited, page.lang),
                limits={"name": NAME_MAX, "email": EMAIL_MAX},
            )
        if invited.status_code == 200:  # not activated yet: the activation mail went again
            return page.redirect("/ziekenhuizen", opnieuw=tenant_id)
        return page.redirect("/ziekenhuizen", aangemaakt=tenant_id)

    @api.post("/ziekenhuizen/{tenant_id}/beheerder")
    async def invite_admin(tenant_id: str, request: Request) -> Response:
        page = await operator_page(request)
        posted = await page.form()
        if not is_slug(tenant_id):
            raise PageError(404)
        form = {k: _text(posted, k) for k in ("admin_name", "admin_email", "default_language")}
        if form["default_language"] not in ("nl", "en"):
            form["default_language"] = "nl"
        errors = {
            k: v
            for k, v in check_hospital_form(page, {**_BLANK, **form}).items()
            if k in ("admin_name", "admin_email")
        }
        if errors:
            return page.render(
                "operator/invite.html",
                status=422,
                tenant_id=tenant_id,
                values=form,
                errors=errors,
                limits={"name": NAME_MAX, "email": EMAIL_MAX},
            )
        return await invite(page, tenant_id, form)

    @api.get("/ziekenhuizen/{tenant_id}")
    async def hospital(tenant_id: str, request: Request) -> Response:
        """One hospital: its settings, suspending or reactivating it, inviting an administrator."""
        page = await operator_page(request)
        if not is_slug(tenant_id):
            raise PageError(404)
        found = await page.call("gateway", "GET", f"/operator/tenants/{quoted(tenant_id)}")
        if found.status_code == 404:
            raise PageError(404)
        if not found.is_success:
            raise PageError(found.status_code, problem_text(found, page.lang))
        return page.render("operator/hospital.html", hospital=found.json())

    @api.get("/ziekenhuizen/{tenant_id}/beheerder")
    async def invite_form(tenant_id: str, request: Request) -> Response:
        page = await operator_page(request)
        if not is_slug(tenant_id):
            raise PageError(404)
        return page.render(
            "operator/invite.html",
            tenant_id=tenant_id,
            values={"admin_name": "", "admin_email": "", "default_language": ""},
            limits={"name": NAME_MAX, "email": EMAIL_MAX},
        )

    async def change_status(request: Request, tenant_id: str, action: str) -> Response:
        page = await operator_page(request)
        await page.form()  # the CSRF check
        if not is_slug(tenant_id):
            raise PageError(404)
        changed = await page.call("gateway", "POST", f"/operator/tenants/{quoted(tenant_id)}/{action}")
        if changed.status_code == 404:
            raise PageError(404)
        if not changed.is_success:
            raise PageError(changed.status_code, problem_text(changed, page.lang))
        return page.redirect("/ziekenhuizen", gewijzigd=str(changed.json()["slug"]))

    @api.post("/ziekenhuizen/{tenant_id}/opschorten")
    async def suspend(tenant_id: str, request: Request) -> Response:
        return await change_status(request, tenant_id, "suspend")

    @api.post("/ziekenhuizen/{tenant_id}/heractiveren")
    async def reactivate(tenant_id: str, request: Request) -> Response:
        return await change_status(request, tenant_id, "reactivate")

    @api.get("/platformstatus")
    async def status(request: Request) -> Response:
        page = await operator_page(request)
        services = await page.data("gateway", "GET", "/operator/status")
        return page.render("operator/status.html", services=services)

    return api
