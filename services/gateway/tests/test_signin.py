"""Local accounts against the real gateway: verification and reset e-mails from a real SMTP server,
sessions, CSRF, logout everywhere, API tokens, sign-in rate limits."""

from __future__ import annotations

import uuid

import pytest
from gateway_helpers import PASSWORD, Browser, add_person, create_tenant

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a much better passphrase 42"


@pytest.fixture(scope="module")
async def hospital(deployment):  # type: ignore[no-untyped-def]
    slug = f"signin-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    admin = f"admin-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, tenant["tenant_id"], admin, "tenant_admin")
    return {"slug": slug, "tenant_id": tenant["tenant_id"], "admin": admin}


async def test_new_person_verifies_e_mail_and_chooses_a_password(deployment, hospital, inbox):  # type: ignore[no-untyped-def]
    admin = Browser(deployment.url, slug=hospital["slug"])
    newcomer = Browser(deployment.url, slug=hospital["slug"])
    email = f"new-{uuid.uuid4().hex[:6]}@umc-test.nl"
    try:
        assert (await admin.login(hospital["admin"])).status_code == 200
        created = await admin.post(
            "/people",
            json={"display_name": "Dr. Nieuw", "email": email, "roles": ["specialist"], "language": "nl"},
        )
        assert created.status_code == 201, created.text
        mail = inbox.wait_for(email, "Bevestig")
        text = inbox.text(mail)
        assert f"/t/{hospital['slug']}/account/verifieren?token=" in text
        assert "Beste Dr. Nieuw" in text
        token = inbox.token_in(mail)
        # Not verified yet: no sign-in (and no password either).
        assert (await newcomer.login(email)).status_code == 401
        weak = await newcomer.post("/auth/email-verification", json={"token": token, "password": "short"})
        assert weak.status_code == 422 and "password" in weak.text
        verified = await newcomer.post(
            "/auth/email-verification", json={"token": token, "password": NEW_PASSWORD}
        )
        assert verified.status_code == 200, verified.text
        assert verified.json()["email_verified"] is True
        again = await newcomer.post(
            "/auth/email-verification", json={"token": token, "password": NEW_PASSWORD}
        )
        assert again.status_code == 400, "a verification token works once"
        assert (await newcomer.login(email, NEW_PASSWORD)).status_code == 200
        me = await newcomer.get("/auth/session")
        assert me.json()["roles"] == ["specialist"] and me.json()["kind"] == "person"
    finally:
        await admin.aclose()
        await newcomer.aclose()


async def test_password_reset_by_e_mail_ends_old_sessions(deployment, hospital, inbox):  # type: ignore[no-untyped-def]
    email = f"reset-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, hospital["tenant_id"], email, "coordinator")
    laptop = Browser(deployment.url, slug=hospital["slug"])
    stranger = Browser(deployment.url, slug=hospital["slug"])
    try:
        assert (await laptop.login(email)).status_code == 200
        asked = await stranger.post("/auth/password-reset", json={"email": email})
        unknown = await stranger.post("/auth/password-reset", json={"email": "nobody@umc-test.nl"})
        assert asked.status_code == unknown.status_code == 202
        assert asked.json() == unknown.json(), "no difference for an address without account"
        mail = inbox.wait_for(email, "wachtwoord")
        assert "/account/nieuw-wachtwoord?token=" in inbox.text(mail)
        token = inbox.token_in(mail)
        done = await stranger.post(
            "/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
        )
        assert done.status_code == 200, done.text
        reuse = await stranger.post(
            "/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
        )
        assert reuse.status_code == 400, "a reset token works once"
        assert (await laptop.get("/auth/session")).status_code == 401, "the reset ended the old session"
        assert (await laptop.login(email, PASSWORD)).status_code == 401
        assert (await laptop.login(email, NEW_PASSWORD)).status_code == 200
    finally:
        await laptop.aclose()
        await stranger.aclose()


async def test_cookie_sessions_need_csrf_and_logout_everywhere_revokes_all(deployment, hospital):  # type: ignore[no-untyped-def]
    email = f"coord-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, hospital["tenant_id"], email, "coordinator")
    phone, laptop = (
        Browser(deployment.url, slug=hospital["slug"]),
        Browser(deployment.url, slug=hospital["slug"]),
    )
    try:
        login = await phone.login(email)
        assert login.status_code == 200
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Path=/t/{hospital['slug']}/" in cookie
        await laptop.login(email)
        echo = {"json": {"x": 1}}
        no_csrf = await phone.request("POST", "/api/survey/test-echo", csrf=False, **echo)
        assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
        wrong = await phone.request(
            "POST", "/api/survey/test-echo", csrf=False, headers={"x-csrf-token": "x"}, **echo
        )
        assert wrong.status_code == 403
        foreign = await phone.request(
            "POST", "/api/survey/test-echo", headers={"origin": "https://evil.example"}, **echo
        )
        assert foreign.status_code == 403 and "Origin" in foreign.text
        assert (await phone.post("/api/survey/test-echo", **echo)).status_code == 200
        # Logging out everywhere (from the phone) ends the laptop's session too.
        assert (await phone.post("/auth/logout-everywhere", json={})).status_code == 204
        assert (await laptop.get("/api/survey/test-echo")).status_code == 401
        assert (await phone.get("/auth/session")).status_code == 401
    finally:
        await phone.aclose()
        await laptop.aclose()


async def test_api_tokens_for_api_clients(deployment, hospital):  # type: ignore[no-untyped-def]
    email = f"api-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, hospital["tenant_id"], email, "coordinator")
    browser, client = (
        Browser(deployment.url, slug=hospital["slug"]),
        Browser(deployment.url, slug=hospital["slug"]),
    )
    try:
        await browser.login(email)
        created = await browser.post("/auth/api-tokens", json={"name": "export script", "days": 30})
        assert created.status_code == 201, created.text
        client.bearer = created.json()["token"]
        assert client.bearer.startswith(f"spg_{hospital['tenant_id']}.")
        # A bearer token needs no CSRF token: no ambient authority.
        echo = await client.post("/api/survey/test-echo", json={"a": 1})
        assert echo.status_code == 200, echo.text
        assert echo.json()["roles"] == ["coordinator"]
        listed = await browser.get("/auth/api-tokens")
        assert [t["name"] for t in listed.json()] == ["export script"]
        assert "token" not in listed.json()[0]
        revoked = await browser.request("DELETE", f"/auth/api-tokens/{created.json()['token_id']}")
        assert revoked.status_code == 204
        assert (await client.get("/api/survey/test-echo")).status_code == 401
        client.bearer = "not-a-spiegel-token"
        assert (await client.get("/api/survey/test-echo")).status_code == 401
        # A token or cookie naming a hospital that does not exist is made up: not valid (401),
        # not "another hospital's" (403, which says such a hospital exists).
        client.bearer = "spg_nosuch-hospital.x"
        made_up = await client.get("/api/survey/test-echo", headers={"accept-language": "en"})
        assert made_up.status_code == 401 and made_up.json()["message"] == "invalid or expired API token"
        assert made_up.json()["code"] == "api_token_invalid"
        client.bearer = None
        client.cookie = "nosuch-hospital.x"
        assert (await client.get("/api/survey/test-echo")).status_code == 401
        # A hospital part that could not be an id is made up too (it was a 500: found in review).
        for forged in ("a:b.x", "A B.x", "..x"):
            client.bearer, client.cookie = f"spg_{forged}", None
            assert (await client.get("/api/survey/test-echo")).status_code == 401, forged
            client.bearer, client.cookie = None, forged
            assert (await client.get("/api/survey/test-echo")).status_code == 401, forged
    finally:
        await browser.aclose()
        await client.aclose()


async def test_sign_in_is_rate_limited_per_ip_and_per_account(deployment, hospital):  # type: ignore[no-untyped-def]
    email = f"victim-{uuid.uuid4().hex[:6]}@umc-test.nl"
    await add_person(deployment, hospital["tenant_id"], email, "specialist")
    attacker = Browser(deployment.url, slug=hospital["slug"])
    try:
        statuses = [(await attacker.login(email, f"guess-{i}")).status_code for i in range(12)]
        assert statuses[:10] == [401] * 10
        assert statuses[10:] == [429, 429], statuses  # the account: 10 failures per 15 minutes
        # From other addresses too: the account stays locked for password guessing...
        other = Browser(deployment.url, slug=hospital["slug"])
        assert (await other.login(email, "yet another guess")).status_code == 429
        await other.aclose()
        # ...and one address cannot spray many accounts.
        spray = Browser(deployment.url, slug=hospital["slug"])
        codes = [(await spray.login(f"x{i}@umc-test.nl", "guess")).status_code for i in range(22)]
        assert codes.count(429) >= 2 and codes[:20] == [401] * 20
        limited = await spray.login("x@umc-test.nl", "guess")
        assert limited.headers["retry-after"].isdigit()
        await spray.aclose()
    finally:
        await attacker.aclose()


async def test_wrong_password_and_unknown_address_look_the_same(deployment, hospital):  # type: ignore[no-untyped-def]
    browser = Browser(deployment.url, slug=hospital["slug"])
    try:
        wrong = await browser.login(hospital["admin"], "wrong password here")
        unknown = await browser.login("nobody-here@umc-test.nl", "wrong password here")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
    finally:
        await browser.aclose()
