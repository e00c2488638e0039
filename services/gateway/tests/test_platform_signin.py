"""Operators at the platform's own address: OpenID Connect when the gateway's settings name a
provider (against the real local OpenID provider, as test_oidc.py), and "wachtwoord vergeten"."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from gateway_helpers import (
    PASSWORD,
    Browser,
    add_person,
    create_tenant,
    sign_in_at_provider,
    start_gateway,
    start_oidc_provider,
)
from spiegel_dev.processes import free_port, stop

pytestmark = pytest.mark.integration

HTML = {"accept": "text/html"}
SERVICE_URLS = (
    "SURVEY_URL",
    "AGGREGATION_URL",
    "INVITATION_URL",
    "ACCREDITATION_URL",
    "ACTION_PLAN_URL",
    "WEB_URL",
)


@pytest.fixture(scope="module")
async def platform_idp(deployment, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A second gateway replica on the same data, with PLATFORM_OIDC_* set (a secret file)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    suffix = uuid.uuid4().hex[:6]
    secret = uuid.uuid4().hex
    secret_file = tmp_path_factory.mktemp("platform-idp") / "client-secret"
    secret_file.write_text(secret + "\n")
    operator = f"ops-{suffix}@spiegel-test.nl"
    stranger = f"stranger-{suffix}@spiegel-test.nl"
    specialist = f"specialist-{suffix}@spiegel-test.nl"
    provider = start_oidc_provider(
        tmp_path_factory.mktemp("oidc-platform") / "provider.log",
        clients=[
            {
                "client_id": f"spiegel-platform-{suffix}",
                "client_secret": secret,
                "redirect_uris": [f"{base}/auth/oidc/callback"],
            }
        ],
        accounts={
            "olga": {"email": operator, "email_verified": True, "name": "Olga Operator"},
            "otto": {"email": operator, "email_verified": False, "name": "Otto"},
            "sam": {"email": stranger, "email_verified": True, "name": "Sam"},
            "sara": {"email": specialist, "email_verified": True, "name": "Sara"},
        },
    )
    env = deployment.env
    try:
        created = deployment.cli(
            "operator", "create", "--email", operator, "--name", "Olga", "--password-stdin", stdin=PASSWORD
        )
        assert created.returncode == 0, created.stderr
        # The same address as a specialist of a hospital: never an operator for that.
        hospital = await create_tenant(deployment, f"plat-{suffix}")
        await add_person(deployment, hospital["tenant_id"], specialist, "specialist", name="Sara")
        gateway = start_gateway(
            deployment.processes,
            Path(env["SERVICE_TOKEN_SIGNING_KEY_FILE"]),
            int(env["SMTP_PORT"]),
            deployment.prefix,
            {name: env[name] for name in SERVICE_URLS if name in env},
            port,
            KAFKA_TOPIC_PREFIX=env.get("KAFKA_TOPIC_PREFIX", ""),
            PLATFORM_OIDC_ISSUER=provider.issuer,
            PLATFORM_OIDC_CLIENT_ID=provider.client_id,
            PLATFORM_OIDC_CLIENT_SECRET_FILE=str(secret_file),
        )
        yield {"url": gateway.url, "operator": operator, "hospital": hospital, "provider": provider}
    finally:
        stop(provider.process)


async def _sign_in(url: str, account: str, **headers: str) -> tuple[httpx.Response, httpx.AsyncClient]:
    browser = httpx.AsyncClient(base_url=url, headers={"x-forwarded-for": "198.51.100.90"}, timeout=30)
    started = await browser.get("/auth/oidc/login", params={"next": "/ziekenhuizen"})
    assert started.status_code == 302, started.text
    authorize = str(started.headers["location"])
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == [f"{url}/auth/oidc/callback"], "the platform's bare address"
    back = urlsplit(await sign_in_at_provider(authorize, account))
    done = await browser.get(
        f"{back.path}?{back.query}",
        headers={"cookie": f"spiegel_oidc={started.cookies['spiegel_oidc']}", **headers},
    )
    return done, browser


async def test_the_platform_sign_in_page_offers_the_provider_only_when_configured(deployment, platform_idp):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(headers=HTML, timeout=30) as browser:
        page = await browser.get(f"{platform_idp['url']}/inloggen")
        assert page.status_code == 200
        assert "Inloggen met single sign-on" in page.text
        assert 'href="/auth/oidc/login?next=%2Fziekenhuizen"' in page.text
        plain = await browser.get(f"{deployment.url}/inloggen")
        assert plain.status_code == 200 and "/auth/oidc/login" not in plain.text
        assert (await browser.get(f"{deployment.url}/auth/oidc/login")).status_code == 404


async def test_an_operator_signs_in_with_the_platforms_provider(platform_idp):  # type: ignore[no-untyped-def]
    done, browser = await _sign_in(platform_idp["url"], "olga")
    try:
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/ziekenhuizen"
        cookie = {"cookie": f"spiegel_session={done.cookies['spiegel_session']}"}
        me = await browser.get("/auth/session", headers=cookie)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == platform_idp["operator"] and me.json()["roles"] == ["operator"]
        hospitals = await browser.get("/operator/tenants", headers=cookie)
        assert hospitals.status_code == 200
        assert platform_idp["hospital"]["slug"] in hospitals.text
        # The operator's session reaches no hospital: its address refuses the session.
        slug = platform_idp["hospital"]["slug"]
        assert (await browser.get(f"/t/{slug}/auth/session", headers=cookie)).status_code in (401, 403)
    finally:
        await browser.aclose()


@pytest.mark.parametrize(
    "account",
    [
        "sam",  # a verified address without any account
        "sara",  # a hospital's specialist: no hospital role is ever given on the platform's address
        "otto",  # the operator's address, but the provider does not vouch for it
    ],
)
async def test_an_identity_without_an_operator_account_is_refused(platform_idp, account):  # type: ignore[no-untyped-def]
    done, browser = await _sign_in(platform_idp["url"], account, **{"accept-language": "en"})
    try:
        assert done.status_code == 403, done.text
        assert done.json()["code"] == "no_operator_account"
        assert "no Spiegel operator account" in done.json()["message"]
        assert "spiegel_session" not in done.cookies
    finally:
        await browser.aclose()


async def test_a_refusal_is_a_page_in_the_browser(platform_idp):  # type: ignore[no-untyped-def]
    done, browser = await _sign_in(platform_idp["url"], "sam", **HTML)
    try:
        assert done.status_code == 403
        assert done.headers["content-type"].startswith("text/html")
        assert "geen beheerdersaccount (operator)" in done.text
        assert "spiegel_session" not in done.cookies
    finally:
        await browser.aclose()


def _form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def test_an_operator_resets_a_forgotten_password_on_the_platforms_address(deployment, inbox):  # type: ignore[no-untyped-def]
    email = f"ops-reset-{uuid.uuid4().hex[:6]}@spiegel-test.nl"
    created = deployment.cli(
        "operator", "create", "--email", email, "--name", "Op", "--password-stdin", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    client = httpx.AsyncClient(
        base_url=deployment.url, headers={**HTML, "x-forwarded-for": "198.51.100.91"}, timeout=30
    )
    try:
        signin = await client.get("/inloggen")
        assert 'href="/account/wachtwoord-vergeten"' in signin.text
        form = await client.get("/account/wachtwoord-vergeten")
        assert form.status_code == 200, form.text
        token = _form_token(form)
        asked = await client.post("/account/wachtwoord-vergeten", data={"csrf_token": token, "email": email})
        assert asked.status_code == 200 and "onderweg" in asked.text
        mail = inbox.wait_for(email, "wachtwoord")
        text = inbox.text(mail)
        # The link is the platform's own address (no hospital in it).
        assert f"{deployment.url}/account/nieuw-wachtwoord?token=" in text, text
        link = inbox.token_in(mail)
        page = await client.get("/account/nieuw-wachtwoord", params={"token": link})
        assert page.status_code == 200
        new = "vier woorden als wachtwoord"
        done = await client.post(
            "/account/nieuw-wachtwoord",
            data={"csrf_token": token, "token": link, "password": new, "password_again": new},
        )
        assert done.status_code == 303 and "wachtwoord=1" in done.headers["location"]
        operator = Browser(deployment.url)
        try:
            assert (await operator.login(email, PASSWORD)).status_code == 401
            assert (await operator.login(email, new)).status_code == 200
            assert (await operator.get("/operator/tenants")).status_code == 200
        finally:
            await operator.aclose()
    finally:
        await client.aclose()
