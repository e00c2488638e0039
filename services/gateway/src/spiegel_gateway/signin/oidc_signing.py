"""Signing with the hospital's identity provider again: the OIDC path of `confirmation.py`.

A facilitator who signed in with the hospital's OpenID Connect provider has no password to
confirm. The declarations page (web) then posts to `POST /auth/oidc/sign` (fields `session`,
`person`, `csrf_token`) instead:

- start: only a person with the facilitator role whose session was opened by the identity
  provider (`Session.method == "oidc"`), with the session's CSRF token. A flow as for signing in
  (state, nonce, PKCE, browser binding; `oidc.OidcClient.start`), but short-lived (5 minutes)
  and bound to this one signing: the flow record holds `purpose: sign`, the session id, the
  person and the declaration (session, participant). The provider is asked for `prompt=login`
  and `max_age=0` (OpenID Connect Core 3.1.2.1: authenticate again, report `auth_time`).
- return (`GET /auth/oidc/callback`, the same redirect URI the hospital registered): the flow is
  used up once and the ID token verified as for signing in (signature, issuer, audience, expiry,
  nonce); then for a signing flow:
  1. the browser's session must be the one that started it, still valid (`signing_other_session`);
  2. the ID token's subject must be the identity linked to that person (`signing_other_person`);
  3. `auth_time` must be present and at most `MAX_AUTH_AGE_S` old (`signing_not_reauthenticated`:
     a provider that ignores max_age is refused, never trusted);
  then the gateway calls the accreditation service's sign route for the caller with the same
  fresh single-use `confirmation` claim as the password path (`{id, at, sub}`), and sends the
  browser back to the declarations page (`?bericht=signed`), or shows the service's refusal.

Every outcome is audited as the password path's (`signature.confirmed`, `signature.refused` with
the reason). A replayed callback finds its flow used (`signin_already_used`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from spiegel_pages.look import PageError
from spiegel_platform.auth import roles
from spiegel_platform.errors import ApiError

from spiegel_gateway.sessions.auth import (
    check_csrf,
    client_ip,
    cookie_path,
    correlation_of,
    gateway_of,
    optional_caller,
)
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.signin.confirmation import CONFIRMED_ACTION, REFUSED_ACTION
from spiegel_gateway.tenants.store import Tenant

PURPOSE = "sign"
FLOW_LIFETIME = timedelta(minutes=5)
# The re-authentication must be this recent when the browser comes back (the provider's clock may
# run a little ahead: LEEWAY_S).
MAX_AUTH_AGE_S = 120
LEEWAY_S = 30
# What the provider is asked for: a fresh authentication, reported with its time.
REAUTHENTICATE = {"prompt": "login", "max_age": "0"}
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
SERVICE = "accreditation"


def sign_path(session_id: str, person_id: str) -> str:
    """The accreditation service's sign route (as the gateway routes /api/accreditation/...)."""
    return f"sessions/{session_id}/declarations/{person_id}/sign"


def page_path(session_id: str) -> str:
    return f"/bespreking/{session_id}/verklaringen"


async def start(request: Request, tenant: Tenant, *, redirect_uri: str) -> tuple[str, str]:
    """Checks the caller and the form, starts the flow; (the provider's address, the browser
    binding for the flow cookie)."""
    gateway = gateway_of(request)
    if not tenant.identity_provider or tenant.is_platform:
        raise ApiError(404, "password_signin_only")
    caller = await optional_caller(request, tenant)
    if caller is None:
        raise ApiError(401, "sign_in_first")
    if caller.kind != "person" or caller.method != "oidc" or roles.FACILITATOR not in caller.roles:
        raise ApiError(403, "signing_not_here")
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    check_csrf(request, caller, form.get("csrf_token"))
    for field in ("session", "person"):
        if not _ID.match(form.get(field, "")):
            raise ApiError(422, "signing_field_missing", extra={"field": field}, field=field)
    gateway.limiter.hit(gateway.policies.signin_ip, client_ip(request))
    session_id, person_id = form["session"], form["person"]
    started = await gateway.oidc.start(
        tenant.tenant_id,
        tenant.identity_provider,
        redirect_uri=redirect_uri,
        next_path=page_path(session_id),
        parameters=REAUTHENTICATE,
        record={
            "purpose": PURPOSE,
            "session": caller.id,
            "subject": caller.subject,
            "sign": {"session_id": session_id, "person_id": person_id},
        },
        lifetime=FLOW_LIFETIME,
    )
    return started.authorization_url, started.browser_binding


def auth_age(claims: dict[str, Any], now: float) -> float | None:
    """How long ago the provider authenticated the person (None: it did not say)."""
    at = claims.get("auth_time")
    if isinstance(at, bool) or not isinstance(at, int | float):
        return None
    return now - float(at)


async def finish(
    request: Request, tenant: Tenant, claims: dict[str, Any], flow: dict[str, Any], flow_cookie: str
) -> Response:
    """The provider's verified answer to a signing flow: the checks, then the signing."""
    gateway = gateway_of(request)
    assert tenant.identity_provider is not None
    wanted = flow.get("sign") or {}
    session_id, person_id = str(wanted.get("session_id", "")), str(wanted.get("person_id", ""))
    subject = str(flow.get("subject", ""))
    caller = await optional_caller(request, tenant)

    async def audit(action: str, outcome: str, who: Session | None) -> None:
        await gateway.audit.record(
            tenant_id=tenant.tenant_id,
            action=action,
            actor=subject,
            roles=who.roles if who is not None else (),
            target=f"POST /api/{SERVICE}/{sign_path(session_id, person_id)} (identity provider)",
            outcome=outcome,
            ip=client_ip(request),
            correlation_id=correlation_of(request),
        )

    if caller is None or caller.id != flow.get("session") or caller.subject != subject:
        await audit(REFUSED_ACTION, "other_session", caller)
        raise ApiError(403, "signing_other_session")
    person = await gateway.people.by_identity(
        tenant.tenant_id, tenant.identity_provider["issuer"], str(claims.get("sub", ""))
    )
    if person is None or person.person_id != caller.subject or not person.active:
        await audit(REFUSED_ACTION, "other_person", caller)
        raise ApiError(403, "signing_other_person")
    now = time.time()
    age = auth_age(claims, now)
    if age is None or age > MAX_AUTH_AGE_S or age < -LEEWAY_S:
        await audit(REFUSED_ACTION, "not_reauthenticated", caller)
        raise ApiError(
            403,
            "signing_not_reauthenticated",
            age="?" if age is None else str(int(age)),
            limit=str(MAX_AUTH_AGE_S),
        )
    await audit(CONFIRMED_ACTION, "ok", caller)
    upstream = await gateway.services.call(
        SERVICE,
        "POST",
        sign_path(session_id, person_id),
        caller=caller,
        correlation_id=correlation_of(request),
        content=b"{}",
        headers={
            "content-type": "application/json",
            "accept": "application/json",
            "accept-language": request.headers.get("accept-language", "") or caller.language,
        },
        claims={"confirmation": {"id": uuid.uuid4().hex, "at": now, "sub": caller.subject}},
    )
    if not upstream.is_success:
        # The service's refusal (not this facilitator's session, did not attend, ...), in the
        # caller's language: a page for the browser, the service's JSON otherwise.
        if "text/html" in request.headers.get("accept", ""):
            try:
                message = str(json.loads(upstream.content).get("message", "")) or upstream.text[:300]
            except (ValueError, AttributeError):
                message = upstream.text[:300]
            raise PageError(upstream.status_code if upstream.status_code < 500 else 502, message)
        return upstream.as_response()
    prefix = getattr(request.state, "tenant_prefix", "")
    response = RedirectResponse(f"{prefix}{flow['next']}?bericht=signed", status_code=303)
    response.delete_cookie(flow_cookie, path=cookie_path(request) + "auth/oidc")
    return response
