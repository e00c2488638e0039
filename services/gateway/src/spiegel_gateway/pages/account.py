"""Signing in and out, the language switch, the start page.

The sign-in form has no session yet, so its CSRF token is a double-submit
cookie (`spiegel_form`, HttpOnly, SameSite=Strict) that the posted field must
match; every later form carries the session's token.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from spiegel_gateway.i18n import LANG_COOKIE
from spiegel_gateway.pages.core import Page, PageError, local_path, page_of, remember_language
from spiegel_gateway.sessions.auth import clear_session_cookie, cookie_path, gateway_of, set_session_cookie
from spiegel_gateway.signin.local import password_sign_in

FORM_COOKIE = "spiegel_form"


def form_token(request: Request, response: Response) -> str:
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    response.set_cookie(
        FORM_COOKIE, token, max_age=3600, path=cookie_path(request), httponly=True, samesite="strict"
    )
    return token


def check_form_token(request: Request, given: object) -> None:
    expected = request.cookies.get(FORM_COOKIE) or ""
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise PageError(403, key="csrf_signin")


# Where a signed-in person starts: a hospital's start page, or the operators' list of hospitals.
def start_of(page: Page) -> str:
    return OPERATOR_START if page.tenant.is_platform else "/start"


OPERATOR_START = "/ziekenhuizen"


def render_signin(page: Page, *, status: int = 200, error: str = "", email: str = "") -> Response:
    placeholder = Response()
    token = form_token(page.request, placeholder)
    reply = page.render(
        "account/signin.html",
        status=status,
        error=error,
        email=email,
        form_token=token,
        next=local_path(page.request.query_params.get("next"), start_of(page)),
        oidc=bool(page.tenant.identity_provider),
    )
    for header in placeholder.headers.getlist("set-cookie"):
        reply.headers.append("set-cookie", header)
    return reply


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/")
    async def home(request: Request) -> Response:
        page = await page_of(request, platform=True)
        if page.caller is None or page.caller.kind != "person":
            return page.redirect("/inloggen")
        return page.redirect(start_of(page))

    @api.get("/inloggen")
    async def signin_form(request: Request) -> Response:
        page = await page_of(request, platform=True)
        if page.caller is not None and page.caller.kind == "person":
            return page.redirect(local_path(request.query_params.get("next"), start_of(page)))
        return render_signin(page)

    @api.post("/inloggen")
    async def signin(request: Request) -> Response:
        page = await page_of(request, platform=True)
        try:
            form = await request.form()
        except Exception:
            raise PageError(400, key="bad_form") from None
        check_form_token(request, form.get("csrf_token"))
        email = str(form.get("email") or "").strip()[:320]
        password = str(form.get("password") or "")[:256]
        if not email or not password:
            return render_signin(page, status=422, error=page.t("signin_missing"), email=email)
        try:
            person = await password_sign_in(request, page.tenant, email, password)
        except HTTPException as error:
            key = {401: "signin_wrong", 429: "signin_throttled"}.get(error.status_code, "")
            message = page.t(key) if key else page.t("signin_refused", reason=str(error.detail))
            if error.status_code == 403 and "confirm" in str(error.detail):
                message = page.t("signin_unverified")
            elif error.status_code == 403:
                message = page.t("signin_switched_off")
            return render_signin(page, status=error.status_code, error=message, email=email)
        gateway = gateway_of(request)
        cookie, session = await gateway.sessions.open(
            person, lifetime=gateway.session_lifetime, method="password"
        )
        reply = page.redirect(local_path(str(form.get("next") or ""), start_of(page)))
        set_session_cookie(reply, request, cookie, session.expires_at)
        reply.delete_cookie(FORM_COOKIE, path=cookie_path(request))
        return reply

    @api.post("/uitloggen")
    async def signout(request: Request) -> Response:
        page = await page_of(request, platform=True)
        gateway = gateway_of(request)
        if page.caller is not None and page.caller.kind == "person":
            await page.form()  # the CSRF check
            await gateway.sessions.close(page.tenant.tenant_id, page.caller.id)
            gateway.tokens.forget(page.caller.id)
        reply = page.redirect("/inloggen", uitgelogd="1")
        clear_session_cookie(reply, request)
        return reply

    @api.get("/taal")
    async def language(request: Request) -> Response:
        """The language switch: a cookie (no state of the account changes, so a plain link)."""
        page = await page_of(request, platform=True)
        chosen = request.query_params.get("lang", "")
        if chosen not in page.tenant.languages:
            raise PageError(404, key="no_language")
        target = local_path(request.query_params.get("next"), "/")
        reply = RedirectResponse(page.prefix + target, status_code=303)
        remember_language(reply, chosen)
        if target.startswith("/vragenlijst"):
            reply.set_cookie("spiegel_resp_lang", chosen, samesite="lax", httponly=True, max_age=8 * 3600)
        _ = LANG_COOKIE
        return reply

    return api
