"""Signing with the password again: a fresh, single-use confirmation for a few named requests.

A facilitator signs an RGS declaration by entering their password once more. The gateway owns
credentials, so the password is checked here and goes no further: for a request on one of
`CONFIRMED` (the accreditation service's signing route on /api, and the web page that posts the
same step), the gateway takes the field `password` out of the body (JSON or a form) before the
request goes on, checks it against the signed-in person's argon2 hash, and puts the outcome in
the service token it signs for that one request (never from the token cache):

- checked: claim `confirmation` `{id: <random>, at: <epoch seconds>, sub: <person id>}`. The
  service accepts it for a short while (its own rule) and records the id, so a token is good for
  one signing;
- refused: `confirmation` `{refused: password_wrong | too_many_attempts | no_password}`, and the
  service answers with the reason in the caller's language (one place for every text);
- no password in the request: no claim (the service asks for one).

Wrong passwords are limited per person (`confirm_account`: `RATE_LIMIT_CONFIRM_PER_ACCOUNT` per
15 minutes, in each replica's memory as the sign-in limits); beyond it the password is not even
checked. Every attempt is audited (`signature.confirmed`, `signature.refused`). A person who
signs in with the hospital's identity provider and has no password gets `no_password` here; the
page offers them signing in with the provider again instead (`oidc_signing.py`), which ends in the
same `confirmation` claim.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request

from spiegel_gateway.sessions.auth import client_ip, correlation_of, gateway_of
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.signin.passwords import verify_password

# The requests a password confirmation is taken from (the path as the gateway routes it: /api/...
# or a page's path without the hospital's /t/<slug> prefix).
CONFIRMED = (
    re.compile(r"^/api/accreditation/sessions/[^/]+/declarations/[^/]+/sign$"),
    re.compile(r"^/bespreking/[^/]+/verklaringen/[^/]+/ondertekenen$"),
)
FIELD = "password"
CONFIRMED_ACTION = "signature.confirmed"
REFUSED_ACTION = "signature.refused"


def wants_confirmation(method: str, path: str) -> bool:
    return method == "POST" and any(p.match(path) for p in CONFIRMED)


def take_password(body: bytes, content_type: str) -> tuple[bytes, str | None]:
    """The body without its password field, and the password (None: there was none)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return body, None
        if not isinstance(data, dict) or FIELD not in data:
            return body, None
        password = data.pop(FIELD)
        return json.dumps(data).encode(), password if isinstance(password, str) else ""
    if kind == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        found = [v for k, v in pairs if k == FIELD]
        if not found:
            return body, None
        return urlencode([(k, v) for k, v in pairs if k != FIELD]).encode(), found[0]
    return body, None


async def confirm(request: Request, caller: Session, body: bytes) -> tuple[bytes, dict[str, Any]]:
    """Takes the password out of `body` and checks it; the body to send on and the claims to add."""
    stripped, password = take_password(body, request.headers.get("content-type", ""))
    if password is None or caller.kind not in ("person", "api_token"):
        return stripped, {}
    gateway = gateway_of(request)
    policy = gateway.policies.confirm_account
    key = f"{caller.tenant_id}:{caller.subject}"

    async def audit(action: str, outcome: str) -> None:
        await gateway.audit.record(
            tenant_id=caller.tenant_id,
            action=action,
            actor=caller.subject,
            roles=caller.roles,
            target=f"{request.method} {request.scope['path']}",
            outcome=outcome,
            ip=client_ip(request),
            correlation_id=correlation_of(request),
        )

    refused: str | None = None
    if gateway.limiter.retry_after(policy, key) is not None:
        refused = "too_many_attempts"
    else:
        person = await gateway.people.get(caller.tenant_id, caller.subject)
        stored = person.password_hash if person is not None and person.active else None
        if person is not None and person.active and not stored:
            refused = "no_password"
        elif not await verify_password(stored, password[:256]):
            gateway.limiter.count(policy, key)
            refused = "password_wrong"
    if refused is not None:
        await audit(REFUSED_ACTION, refused)
        return stripped, {"confirmation": {"refused": refused}}
    await audit(CONFIRMED_ACTION, "ok")
    return stripped, {"confirmation": {"id": uuid.uuid4().hex, "at": time.time(), "sub": caller.subject}}
