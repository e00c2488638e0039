"""Local accounts: sign-in with e-mail and password, e-mail verification, password reset.

Responses never reveal whether an address has an account: a wrong address
and a wrong password get the same answer after the same work (argon2 against
a dummy hash), and a reset request is always accepted (202) and handled after
the response. Sign-in is limited per IP and per account, reset requests per
IP and per account. A reset ends every session of the person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Request, Response
from pydantic import BaseModel, Field, field_validator
from spiegel_platform.errors import ApiError
from spiegel_platform.i18n import language_of, translator
from spiegel_platform.logging import get_logger

from spiegel_gateway.links import RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE, page_url
from spiegel_gateway.mail.addresses import MailAddress
from spiegel_gateway.mail.sender import Mail, Mailer, render
from spiegel_gateway.people.model import PersonOut, check_password, normalise_email
from spiegel_gateway.people.store import Person
from spiegel_gateway.sessions.auth import client_ip, gateway_of, set_session_cookie
from spiegel_gateway.signin.one_time import LIFETIME
from spiegel_gateway.signin.passwords import hash_password_async, verify_password
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant

log = get_logger(__name__)


class LoginIn(BaseModel):
    email: MailAddress
    password: str = Field(..., min_length=1, max_length=256)


class SessionOut(BaseModel):
    person: PersonOut
    csrf_token: str = Field(..., description="send as X-CSRF-Token with every state change")
    expires_at: datetime


class VerifyIn(BaseModel):
    token: str = Field(..., min_length=10, max_length=200)
    password: str | None = Field(None, description="required when the account has no password yet")

    _password = field_validator("password")(classmethod(lambda cls, v: v if v is None else check_password(v)))


class ResetRequestIn(BaseModel):
    email: MailAddress


class ResetConfirmIn(BaseModel):
    token: str = Field(..., min_length=10, max_length=200)
    password: str

    _password = field_validator("password")(classmethod(lambda cls, v: check_password(v)))


async def send_verification(request: Request, tenant: Tenant, person: Person) -> None:
    gateway = gateway_of(request)
    token = await gateway.one_time.issue(tenant.tenant_id, person.person_id, "verify_email")
    mail = render(
        "verify_email",
        person.language,
        to_address=person.email,
        to_name=person.display_name,
        hospital=tenant.name,
        link=page_url(gateway.settings, tenant, VERIFY_EMAIL_PAGE, token=token),
        valid_days=LIFETIME["verify_email"].days,
    )
    await _send(gateway.mailer, mail)


async def _send(mailer: Mailer, mail: Mail) -> None:
    try:
        await mailer.send(mail)
    except Exception as error:  # the person can ask again; never a 500 for a mail server hiccup
        log.error("mail_failed", error=repr(error))


async def send_reset(request: Request, tenant: Tenant, email: str) -> None:
    """Mail a reset link when the address has an active account (silently nothing otherwise; the
    API and the "wachtwoord vergeten" page both use it)."""
    gateway = gateway_of(request)
    person = await gateway.people.by_email(tenant.tenant_id, email)
    if person is None or not person.active:
        return
    token = await gateway.one_time.issue(tenant.tenant_id, person.person_id, "reset_password")
    mail = render(
        "reset_password",
        person.language,
        to_address=person.email,
        to_name=person.display_name,
        hospital=tenant.name,
        link=page_url(gateway.settings, tenant, RESET_PASSWORD_PAGE, token=token),
        valid_minutes=int(LIFETIME["reset_password"].total_seconds() // 60),
    )
    await _send(gateway.mailer, mail)


async def password_sign_in(request: Request, tenant: Tenant, email: str, password: str) -> Person:
    """Check the rate limits and the password; the person, or an HTTPException. (Pages reuse this.)"""
    gateway = gateway_of(request)
    limiter, policies = gateway.limiter, gateway.policies
    account = f"{tenant.tenant_id}:{normalise_email(email)}"
    limiter.hit(policies.signin_ip, client_ip(request))
    limiter.check(policies.signin_account, account)
    person = await gateway.people.by_email(tenant.tenant_id, email)
    ok = await verify_password(person.password_hash if person else None, password)
    if person is None or not ok:
        limiter.count(policies.signin_account, account)
        raise ApiError(401, "wrong_credentials")
    if not person.active:
        raise ApiError(403, "account_switched_off")
    if not person.email_verified:
        raise ApiError(403, "confirm_email_first")
    limiter.reset(policies.signin_account, account)
    return person


def router() -> APIRouter:
    api = APIRouter(prefix="/auth", tags=["sign-in"])

    @api.post("/login", response_model=SessionOut)
    async def login(body: LoginIn, request: Request, response: Response, tenant: CurrentTenant) -> SessionOut:
        """Sign in with e-mail address and password; sets the session cookie."""
        person = await password_sign_in(request, tenant, body.email, body.password)
        gateway = gateway_of(request)
        cookie, session = await gateway.sessions.open(
            person, lifetime=gateway.session_lifetime, method="password"
        )
        set_session_cookie(response, request, cookie, session.expires_at)
        return SessionOut(person=person.out(), csrf_token=session.csrf, expires_at=session.expires_at)

    @api.post("/email-verification", response_model=PersonOut)
    async def verify_email(body: VerifyIn, request: Request, tenant: CurrentTenant) -> PersonOut:
        """Confirm the e-mail address with the token from the e-mail (and set a first password)."""
        gateway = gateway_of(request)
        gateway.limiter.hit(gateway.policies.reset_ip, client_ip(request))
        person_id = await gateway.one_time.use(tenant.tenant_id, body.token, "verify_email")
        person = await gateway.people.get(tenant.tenant_id, person_id) if person_id else None
        if person is None:
            raise ApiError(400, "link_unknown_used_or_expired")
        if body.password:
            await gateway.people.set_password(person, await hash_password_async(body.password), verified=True)
        elif person.password_hash is None:
            raise ApiError(422, "password_required")
        else:
            await gateway.people.mark_verified(person)
        updated = await gateway.people.get(tenant.tenant_id, person.person_id)
        return updated.out()  # type: ignore[union-attr]

    @api.post("/password-reset", status_code=202)
    async def request_reset(
        body: ResetRequestIn, request: Request, tenant: CurrentTenant, tasks: BackgroundTasks
    ) -> dict[str, str]:
        """Ask for a password reset e-mail. Always 202: nobody learns whether an address has an account."""
        gateway = gateway_of(request)
        gateway.limiter.hit(gateway.policies.reset_ip, client_ip(request))
        account = f"{tenant.tenant_id}:{normalise_email(body.email)}"
        if gateway.limiter.retry_after(gateway.policies.reset_account, account) is None:
            gateway.limiter.count(gateway.policies.reset_account, account)
            tasks.add_task(send_reset, request, tenant, body.email)
        texts = translator(language_of(request.headers), ("spiegel_gateway",))
        return {"code": "reset_mail_sent", "message": texts.gettext("message.reset_mail_sent")}

    @api.post("/password-reset/confirm", response_model=PersonOut)
    async def confirm_reset(
        body: Annotated[ResetConfirmIn, Body()], request: Request, tenant: CurrentTenant
    ) -> PersonOut:
        """Set a new password with the token from the e-mail; ends every session of the person."""
        gateway = gateway_of(request)
        gateway.limiter.hit(gateway.policies.reset_ip, client_ip(request))
        person_id = await gateway.one_time.use(tenant.tenant_id, body.token, "reset_password")
        person = await gateway.people.get(tenant.tenant_id, person_id) if person_id else None
        if person is None:
            raise ApiError(400, "link_unknown_used_or_expired")
        await gateway.people.set_password(person, await hash_password_async(body.password), verified=True)
        for revoked in await gateway.sessions.close_all_of(
            tenant.tenant_id, person.person_id, api_tokens=False
        ):
            gateway.tokens.forget(revoked)
        updated = await gateway.people.get(tenant.tenant_id, person.person_id)
        return updated.out()  # type: ignore[union-attr]

    return api
