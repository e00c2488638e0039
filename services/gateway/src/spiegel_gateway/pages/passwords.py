"""The pages behind the e-mail links (spiegel_gateway.links): confirm the address and choose a
password, choose a new password after a reset; and the request for a reset ("wachtwoord vergeten").

The same rules as the API (signin/local.py): single-use tokens, the rate limits,
a reset ends every session of the person, a reset request never tells whether
an address has an account. No session exists yet: the forms use the sign-in
form's double-submit token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask

from spiegel_gateway.links import RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE
from spiegel_gateway.pages.account import check_form_token, form_token
from spiegel_gateway.pages.core import Page, PageError, page_of
from spiegel_gateway.people.model import MIN_PASSWORD_LENGTH, check_password, normalise_email
from spiegel_gateway.sessions.auth import client_ip, gateway_of
from spiegel_gateway.signin.local import send_reset
from spiegel_gateway.signin.passwords import hash_password_async

FORMS = {VERIFY_EMAIL_PAGE: "verify_email", RESET_PASSWORD_PAGE: "reset_password"}


def _render(page: Page, template: str, status: int = 200, **values: object) -> Response:
    placeholder = Response()
    token = form_token(page.request, placeholder)
    reply = page.render(template, status=status, form_token=token, min_length=MIN_PASSWORD_LENGTH, **values)
    for header in placeholder.headers.getlist("set-cookie"):
        reply.headers.append("set-cookie", header)
    return reply


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    for path, purpose in FORMS.items():

        async def show(request: Request, purpose: str = purpose, path: str = path) -> Response:
            page = await page_of(request, platform=True)
            token = request.query_params.get("token", "")[:200]
            if not token:
                raise PageError(400, key="link_incomplete")
            return _render(page, "account/password.html", purpose=purpose, action=path, token=token)

        async def choose(request: Request, purpose: str = purpose, path: str = path) -> Response:
            page = await page_of(request, platform=True)
            form = await request.form()
            check_form_token(request, form.get("csrf_token"))
            gateway = gateway_of(request)
            gateway.limiter.hit(gateway.policies.reset_ip, client_ip(request))
            token = str(form.get("token") or "")[:200]
            password = str(form.get("password") or "")
            errors = []
            try:
                check_password(password)
            except ValueError:
                errors.append(page.t("password_rules", min=MIN_PASSWORD_LENGTH))
            if password != str(form.get("password_again") or ""):
                errors.append(page.t("password_mismatch"))
            if errors:
                return _render(
                    page,
                    "account/password.html",
                    422,
                    purpose=purpose,
                    action=path,
                    token=token,
                    errors=errors,
                )
            person_id = await gateway.one_time.use(page.tenant.tenant_id, token, purpose)  # type: ignore[arg-type]
            person = await gateway.people.get(page.tenant.tenant_id, person_id) if person_id else None
            if person is None:
                raise PageError(410, key="link_used_or_expired")
            await gateway.people.set_password(person, await hash_password_async(password), verified=True)
            if purpose == "reset_password":
                for revoked in await gateway.sessions.close_all_of(
                    page.tenant.tenant_id, person.person_id, api_tokens=False
                ):
                    gateway.tokens.forget(revoked)
            return page.redirect("/inloggen", wachtwoord="1")

        api.add_api_route(path, show, methods=["GET"])
        api.add_api_route(path, choose, methods=["POST"])

    @api.get("/account/wachtwoord-vergeten")
    async def forgotten(request: Request) -> Response:
        return _render(await page_of(request, platform=True), "account/forgotten.html")

    @api.post("/account/wachtwoord-vergeten")
    async def ask_reset(request: Request) -> Response:
        page = await page_of(request, platform=True)
        form = await request.form()
        check_form_token(request, form.get("csrf_token"))
        gateway = gateway_of(request)
        gateway.limiter.hit(gateway.policies.reset_ip, client_ip(request))
        email = str(form.get("email") or "").strip()[:320]
        task = None
        if "@" in email:
            account = f"{page.tenant.tenant_id}:{normalise_email(email)}"
            if gateway.limiter.retry_after(gateway.policies.reset_account, account) is None:
                gateway.limiter.count(gateway.policies.reset_account, account)
                task = BackgroundTask(send_reset, request, page.tenant, email)
        reply = _render(page, "account/forgotten.html", sent=True)
        reply.background = task
        return reply

    return api
