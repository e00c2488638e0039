"""Signing an RGS declaration by signing in again with the hospital's identity provider (issue 19,
point 7), against the real OpenID provider of test_oidc.py, the real gateway, web and accreditation
services: the page offers "Ondertekenen via <provider>" instead of a password; the provider is asked
for prompt=login and max_age=0; a fresh re-authentication signs once (a replayed callback signs
nothing); a provider that ignores max_age (an old auth_time) is refused; the flow of another session
or a sign-in as someone else at the provider is refused; every outcome is audited."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from gateway_helpers import (
    Browser,
    Deployment,
    add_person,
    create_tenant,
    sign_in_at_provider,
    start_oidc_provider,
)
from spiegel_dev.processes import stop
from test_declaration_signing import _ended_session

pytestmark = pytest.mark.integration
USED = ("signin_already_used", "signin_expired_or_used")


@pytest.fixture(scope="module")
async def hospital(deployment, tmp_path_factory):  # type: ignore[no-untyped-def]
    slug = f"oidcsign-{uuid.uuid4().hex[:6]}"
    redirect = f"{deployment.url}/t/{slug}/auth/oidc/callback"
    provider = start_oidc_provider(
        tmp_path_factory.mktemp("oidcsign") / "provider.log",
        clients=[
            {"client_id": f"spiegel-{slug}", "client_secret": uuid.uuid4().hex, "redirect_uris": [redirect]}
        ],
        accounts={
            "anna": {"email": f"anna@{slug}.nl", "email_verified": True, "name": "Dr. Anna"},
            # A provider that ignores max_age: this account's logins are reported 10 minutes old.
            "olga": {"email": f"olga@{slug}.nl", "email_verified": True, "name": "Olga", "login_age": 600},
            "eve": {"email": f"eve@{slug}.nl", "email_verified": True, "name": "Eve"},
        },
    )
    try:
        tenant = await create_tenant(
            deployment,
            slug,
            identity_provider={
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
                "scopes": ["openid", "email", "profile"],
            },
        )
        tenant_id = tenant["tenant_id"]
        ids = {
            name: await add_person(deployment, tenant_id, f"{name}@{slug}.nl", role, name=name.title())
            for name, role in (
                ("anna", "facilitator"),
                ("olga", "facilitator"),
                ("eve", "facilitator"),
                ("spec", "specialist"),
                ("admin", "tenant_admin"),
            )
        }
        yield {"slug": slug, "tenant_id": tenant_id, "provider": provider, "ids": ids}
    finally:
        stop(provider.process)


class Facilitator:
    """A browser signed in with the hospital's identity provider (cookies handled by hand, as the
    flow cookie's path and the session cookie are the gateway's)."""

    def __init__(self, deployment: Deployment, slug: str) -> None:
        self.slug = slug
        self.client = httpx.AsyncClient(
            base_url=deployment.url, headers={"x-forwarded-for": f"198.51.100.{uuid.uuid4().int % 200}"}
        )
        self.session = ""

    async def sign_in(self, account: str) -> None:
        started = await self.client.get(f"/t/{self.slug}/auth/oidc/login", params={"next": "/start"})
        assert started.status_code == 302, started.text
        back = urlsplit(await sign_in_at_provider(str(started.headers["location"]), account))
        done = await self.client.get(
            f"{back.path}?{back.query}", headers={"cookie": f"spiegel_oidc={started.cookies['spiegel_oidc']}"}
        )
        assert done.status_code == 303, done.text
        self.session = done.cookies["spiegel_session"]

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.get(
            f"/t/{self.slug}{path}", headers={"cookie": f"spiegel_session={self.session}", **headers}
        )

    async def page(self, session_id: str) -> httpx.Response:
        return await self.get(f"/bespreking/{session_id}/verklaringen", accept="text/html")

    async def start_signing(self, session_id: str, person_id: str) -> tuple[str, str]:
        """The page's "Ondertekenen via ..." form posted: (the provider's address, the flow cookie)."""
        shown = await self.page(session_id)
        assert shown.status_code == 200, shown.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', shown.text)
        assert csrf is not None
        started = await self.client.post(
            f"/t/{self.slug}/auth/oidc/sign",
            data={"csrf_token": csrf.group(1), "session": session_id, "person": person_id},
            headers={"cookie": f"spiegel_session={self.session}", "accept": "text/html"},
        )
        assert started.status_code == 302, started.text
        return str(started.headers["location"]), started.cookies["spiegel_oidc"]

    async def come_back(self, location: str, binding: str, **headers: str) -> httpx.Response:
        back = urlsplit(location)
        return await self.client.get(
            f"{back.path}?{back.query}",
            headers={"cookie": f"spiegel_oidc={binding}; spiegel_session={self.session}", **headers},
        )

    async def signed(self, session_id: str, person_id: str) -> bool:
        found = await self.get(f"/api/accreditation/sessions/{session_id}/declarations")
        assert found.status_code == 200, found.text
        return any(p["person_id"] == person_id and p.get("signed") for p in found.json()["participants"])

    async def aclose(self) -> None:
        await self.client.aclose()


async def _audit(deployment: Deployment, slug: str) -> str:
    admin = Browser(deployment.url, slug=slug)
    try:
        assert (await admin.login(f"admin@{slug}.nl")).status_code == 200
        return (await admin.get("/audit", params={"limit": 500})).text
    finally:
        await admin.aclose()


async def test_fresh_reauthentication_signs_once(deployment: Deployment, hospital: dict[str, Any]) -> None:
    slug, ids = hospital["slug"], hospital["ids"]
    session_id = await _ended_session(deployment, hospital["tenant_id"], ids["anna"], ids["spec"])
    anna = Facilitator(deployment, slug)
    try:
        await anna.sign_in("anna")
        shown = await anna.page(session_id)
        host = urlsplit(hospital["provider"].issuer).netloc
        assert f"Ondertekenen via {host}" in shown.text and 'type="password"' not in shown.text
        authorize, binding = await anna.start_signing(session_id, ids["spec"])
        query = parse_qs(urlsplit(authorize).query)
        assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
        assert query["nonce"][0] and query["state"][0] and query["code_challenge_method"] == ["S256"]
        back = await sign_in_at_provider(authorize, "anna")
        done = await anna.come_back(back, binding, accept="text/html")
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/t/{slug}/bespreking/{session_id}/verklaringen?bericht=signed"
        assert await anna.signed(session_id, ids["spec"])
        after = await anna.get(f"/bespreking/{session_id}/verklaringen?bericht=signed", accept="text/html")
        assert "De verklaring is ondertekend" in after.text
        # The same answer from the provider again (a replay): its flow is used up; nothing signed.
        replay = await anna.come_back(back, binding, **{"accept-language": "en"})
        assert replay.status_code == 400 and replay.json()["code"] in USED
        # The PDF exists: the signing went all the way.
        pdf = await anna.get(f"/bespreking/{session_id}/verklaringen/{ids['spec']}.pdf?taal=nl")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    finally:
        await anna.aclose()
    log = await _audit(deployment, slug)
    target = f"{session_id}/declarations/{ids['spec']}/sign (identity provider)"
    assert log.count(target) == 1 and "signature.confirmed" in log


async def test_a_provider_that_ignores_max_age_is_refused(
    deployment: Deployment, hospital: dict[str, Any]
) -> None:
    slug, ids = hospital["slug"], hospital["ids"]
    session_id = await _ended_session(deployment, hospital["tenant_id"], ids["olga"], ids["spec"])
    olga = Facilitator(deployment, slug)
    try:
        await olga.sign_in("olga")
        authorize, binding = await olga.start_signing(session_id, ids["spec"])
        back = await sign_in_at_provider(authorize, "olga")
        stale = await olga.come_back(back, binding, **{"accept-language": "en"})
        assert stale.status_code == 403, stale.text
        assert stale.json()["code"] == "signing_not_reauthenticated"
        assert "did not make you sign in again" in stale.json()["message"]
        assert "at most 120" in stale.json()["message"]
        assert not await olga.signed(session_id, ids["spec"])
        # In a browser: a page in Dutch saying so.
        authorize, binding = await olga.start_signing(session_id, ids["spec"])
        back = await sign_in_at_provider(authorize, "olga")
        page = await olga.come_back(back, binding, accept="text/html")
        assert page.status_code == 403 and "niet opnieuw laten aanmelden" in page.text
        assert not await olga.signed(session_id, ids["spec"])
    finally:
        await olga.aclose()
    log = await _audit(deployment, slug)
    assert log.count(f"{session_id}/declarations/{ids['spec']}/sign (identity provider)") == 2
    assert "not_reauthenticated" in log


async def test_the_state_of_another_signing_or_person_is_refused(
    deployment: Deployment, hospital: dict[str, Any]
) -> None:
    slug, ids = hospital["slug"], hospital["ids"]
    session_id = await _ended_session(deployment, hospital["tenant_id"], ids["eve"], ids["spec"])
    first, second = Facilitator(deployment, slug), Facilitator(deployment, slug)
    try:
        await first.sign_in("eve")
        await second.sign_in("eve")
        # The first session's signing, brought back in another session (the flow cookie copied).
        authorize, binding = await first.start_signing(session_id, ids["spec"])
        back = await sign_in_at_provider(authorize, "eve")
        other = await second.come_back(back, binding, **{"accept-language": "en"})
        assert other.status_code == 403 and other.json()["code"] == "signing_other_session"
        # Used up by that attempt: not even the right session can use it afterwards.
        late = await first.come_back(back, binding)
        assert late.status_code == 400 and late.json()["code"] in USED
        # Signed in again at the provider as someone else (anna, a facilitator too): refused.
        authorize, binding = await first.start_signing(session_id, ids["spec"])
        back = await sign_in_at_provider(authorize, "anna")
        someone = await first.come_back(back, binding, **{"accept-language": "en"})
        assert someone.status_code == 403 and someone.json()["code"] == "signing_other_person"
        assert not await first.signed(session_id, ids["spec"])
        # Two signings under way in one session: the answer for the first, with the second's flow
        # cookie, is refused; each answer signs its own declaration only.
        later = await _ended_session(deployment, hospital["tenant_id"], ids["eve"], ids["spec"])
        first_authorize, _first_binding = await first.start_signing(session_id, ids["spec"])
        later_authorize, later_binding = await first.start_signing(later, ids["spec"])
        first_back = await sign_in_at_provider(first_authorize, "eve")
        crossed = await first.come_back(first_back, later_binding, **{"accept-language": "en"})
        assert crossed.status_code == 403 and crossed.json()["code"] == "signin_other_browser"
        later_back = await sign_in_at_provider(later_authorize, "eve")
        done = await first.come_back(later_back, later_binding)
        assert done.status_code == 303, done.text
        assert done.headers["location"].endswith(f"/bespreking/{later}/verklaringen?bericht=signed")
        assert await first.signed(later, ids["spec"]) and not await first.signed(session_id, ids["spec"])
        # A flow started by nobody (a forged state) signs nothing.
        forged = await first.come_back(f"/t/{slug}/auth/oidc/callback?code=x&state=forged", binding)
        assert forged.status_code == 400
        # Without the session's CSRF token, nothing starts.
        no_csrf = await first.client.post(
            f"/t/{slug}/auth/oidc/sign",
            data={"session": session_id, "person": ids["spec"]},
            headers={"cookie": f"spiegel_session={first.session}", "accept-language": "en"},
        )
        assert no_csrf.status_code == 403 and no_csrf.json()["code"] == "csrf_token_wrong"
    finally:
        await first.aclose()
        await second.aclose()
    log = await _audit(deployment, slug)
    assert "other_session" in log and "other_person" in log


async def test_only_a_facilitator_signed_in_by_the_provider_starts_one(
    deployment: Deployment, hospital: dict[str, Any]
) -> None:
    slug, ids = hospital["slug"], hospital["ids"]
    session_id = await _ended_session(deployment, hospital["tenant_id"], ids["anna"], ids["spec"])
    # Anna with her password (she has one too): the page asks for it; the provider's route refuses.
    browser = Browser(deployment.url, slug=slug)
    specialist = Browser(deployment.url, slug=slug)
    try:
        assert (await browser.login(f"anna@{slug}.nl")).status_code == 200
        shown = await browser.get(f"/bespreking/{session_id}/verklaringen", headers={"accept": "text/html"})
        assert 'type="password"' in shown.text and "Ondertekenen via" not in shown.text
        refused = await browser.post(
            "/auth/oidc/sign",
            data={"csrf_token": browser.csrf, "session": session_id, "person": ids["spec"]},
            headers={"accept-language": "en"},
        )
        assert refused.status_code == 403 and refused.json()["code"] == "signing_not_here"
        assert (await specialist.login(f"spec@{slug}.nl")).status_code == 200
        not_facilitator = await specialist.post(
            "/auth/oidc/sign",
            data={"csrf_token": specialist.csrf, "session": session_id, "person": ids["spec"]},
        )
        assert not_facilitator.status_code == 403
        # A facilitator of another hospital, with their session there: refused here.
        other = await create_tenant(deployment, f"oidcsign-other-{uuid.uuid4().hex[:6]}")
        other_email = f"fac-{uuid.uuid4().hex[:6]}@other.nl"
        await add_person(deployment, other["tenant_id"], other_email, "facilitator")
        foreign = Browser(deployment.url, slug=other["slug"])
        try:
            assert (await foreign.login(other_email)).status_code == 200
            elsewhere = await foreign.client.post(
                f"/t/{slug}/auth/oidc/sign",
                data={"csrf_token": foreign.csrf or "", "session": session_id, "person": ids["spec"]},
                headers={"cookie": f"spiegel_session={foreign.cookie}"},
            )
            assert elsewhere.status_code == 403, elsewhere.text
            assert elsewhere.json()["code"] == "session_other_hospital"
        finally:
            await foreign.aclose()
        async with httpx.AsyncClient(base_url=deployment.url) as nobody:
            anonymous = await nobody.post(
                f"/t/{slug}/auth/oidc/sign", data={"session": session_id, "person": ids["spec"]}
            )
        assert anonymous.status_code == 401
    finally:
        await browser.aclose()
        await specialist.aclose()
