"""The operators' console (issue 18, point 1) through the real gateway and web service: signing in on
the platform's address, the hospitals with their counts, a new hospital whose first administrator
activates the account from the real mail, bad input on the form, suspending and reactivating a
hospital (sessions end; sign-in, links and API tokens refused; nothing deleted), and the platform's
status with a dead and a hanging service."""

from __future__ import annotations

import html
import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from gateway_helpers import (
    PASSWORD,
    Browser,
    add_person,
    create_tenant,
    operator_login,
    random_ip,
    start_gateway,
)
from gateway_world import open_round, respondent_link
from spiegel_dev.processes import free_port
from spiegel_dev.waiting import eventually

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a long and new password 42"
HTML = {"accept": "text/html"}


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


class Pages:
    """A browser on the platform's address (cookies kept by the client), reading pages."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url, headers={"x-forwarded-for": random_ip(), **HTML}, timeout=30
        )

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/inloggen")
        assert form.status_code == 200, form.text[:300]
        return await self.client.post(
            "/inloggen", data={"csrf_token": csrf_of(form), "email": email, "password": password}
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post_form(self, path: str, data: dict[str, str], *, csrf_from: str) -> httpx.Response:
        token = csrf_of(await self.client.get(csrf_from))
        return await self.client.post(path, data={"csrf_token": token, **data})

    async def aclose(self) -> None:
        await self.client.aclose()


@pytest.fixture
async def operator(deployment: Any) -> Any:
    email, password = operator_login(deployment)
    pages = Pages(deployment.url)
    signed_in = await pages.sign_in(email, password)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ziekenhuizen", signed_in.text
    yield pages
    await pages.aclose()


def hospital_form(slug: str, admin_email: str, **changes: str) -> dict[str, str]:
    return {
        "name": f"UMC {slug}",
        "slug": slug,
        "min_group_size": "5",
        "default_language": "en",
        "both_languages": "1",
        "admin_name": "Drs. Beheer",
        "admin_email": admin_email,
        **changes,
    }


def row_of(page: httpx.Response, slug: str) -> str:
    found = re.search(rf'<tr data-slug="{re.escape(slug)}">(.*?)</tr>', page.text, re.S)
    assert found, page.text[:2000]
    return found.group(1)


async def test_the_platform_address_is_the_operators_sign_in_and_list(deployment: Any) -> None:
    anonymous = Pages(deployment.url)
    try:
        home = await anonymous.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/inloggen"
        listing = await anonymous.get("/ziekenhuizen")
        assert listing.status_code == 303 and listing.headers["location"].startswith("/inloggen?next=")
        form = await anonymous.get("/inloggen")
        assert form.status_code == 200 and "Inloggen" in form.text
        # The hospital's own pages are no pages of the platform.
        assert (await anonymous.get("/start")).status_code == 404
        wrong = await anonymous.sign_in(operator_login(deployment)[0], "not the password at all")
        assert wrong.status_code == 401 and 'value="' in wrong.text
    finally:
        await anonymous.aclose()


async def test_operator_creates_a_hospital_whose_administrator_activates_from_the_mail(  # type: ignore[no-untyped-def]
    deployment, operator, inbox
) -> None:
    slug = f"op-{uuid.uuid4().hex[:6]}"
    admin_email = f"beheer-{uuid.uuid4().hex[:6]}@{slug}.nl"
    assert (await operator.get("/")).headers["location"] == "/ziekenhuizen"
    new = await operator.get("/ziekenhuizen/nieuw")
    assert new.status_code == 200 and 'name="slug"' in new.text and 'maxlength="200"' in new.text
    created = await operator.post_form(
        "/ziekenhuizen/nieuw", hospital_form(slug, admin_email), csrf_from="/ziekenhuizen/nieuw"
    )
    assert created.status_code == 303, created.text[:1000]
    assert created.headers["location"] == f"/ziekenhuizen?aangemaakt={slug}"
    listing = await operator.get(created.headers["location"])
    assert listing.status_code == 200 and "is aangemaakt" in listing.text
    row = row_of(listing, slug)
    assert f"UMC {slug}" in row and "Actief" in row and ">5<" in row
    assert re.search(r'class="people">1<', row) and re.search(r'class="rounds">0<', row)

    # The activation mail, through the gateway's mailer to the real SMTP server, in the hospital's
    # default language (English), with a link that works.
    mail = inbox.wait_for(admin_email)
    text = inbox.text(mail)
    link = re.search(r"(http://\S+/account/verifieren\?token=[A-Za-z0-9_\-]+)", text)
    assert link, text
    assert f"/t/{slug}/account/verifieren" in link.group(1)
    target = urlsplit(link.group(1))
    admin = httpx.AsyncClient(base_url=deployment.url, headers={"x-forwarded-for": random_ip(), **HTML})
    try:
        form = await admin.get(f"{target.path}?{target.query}")
        assert form.status_code == 200, form.text[:500]
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        assert token
        chosen = await admin.post(
            target.path,
            data={
                "csrf_token": csrf_of(form),
                "token": token.group(1),
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
        )
        assert chosen.status_code == 303, chosen.text[:500]
    finally:
        await admin.aclose()
    browser = Browser(deployment.url, slug=slug)
    try:
        assert (await browser.login(admin_email, NEW_PASSWORD)).status_code == 200
        me = (await browser.get("/auth/session")).json()
        assert me["roles"] == ["tenant_admin"]
        settings = (await browser.get("/tenant")).json()
        assert settings["languages"] == ["en", "nl"] and settings["min_group_size"] == 5
    finally:
        await browser.aclose()
    # The act is audited in the platform's log.
    email, password = operator_login(deployment)
    api = Browser(deployment.url)
    try:
        await api.login(email, password)
        log = (await api.get("/operator/audit", params={"action": "tenant.created"})).json()
        assert any(entry["target"] == f"tenant {slug}" for entry in log)
    finally:
        await api.aclose()


async def test_the_hospital_form_refuses_bad_input_clearly_and_keeps_it(deployment, operator) -> None:  # type: ignore[no-untyped-def]
    taken = await create_tenant(deployment, f"taken-{uuid.uuid4().hex[:6]}")
    email = f"x-{uuid.uuid4().hex[:6]}@example-ziekenhuis.nl"

    async def post(**changes: str) -> httpx.Response:
        return await operator.post_form(
            "/ziekenhuizen/nieuw",
            {**hospital_form(f"ok-{uuid.uuid4().hex[:6]}", email), **changes},
            csrf_from="/ziekenhuizen/nieuw",
        )

    empty = await operator.post_form(
        "/ziekenhuizen/nieuw", {k: "" for k in hospital_form("x", "y")}, csrf_from="/ziekenhuizen/nieuw"
    )
    assert empty.status_code == 422
    for message in ("Vul de naam van het ziekenhuis in", "Vul het adres (slug) in", "Vul het e-mailadres"):
        assert message in html.unescape(empty.text), message
    long_name = "Lang" * 750
    too_long = await post(name=long_name)
    assert too_long.status_code == 422 and "Hoogstens 200 tekens" in too_long.text
    assert f'value="{long_name}"' in too_long.text, "the input is kept"
    low = await post(min_group_size="3")
    assert low.status_code == 422 and "van 4 tot en met 50" in html.unescape(low.text)
    assert 'value="3"' in low.text
    word = await post(min_group_size="vier")
    assert word.status_code == 422
    bad_slug = await post(slug="UMC Noord!")
    assert bad_slug.status_code == 422 and "kleine letters" in bad_slug.text
    reserved = await post(slug="www")
    assert reserved.status_code == 422 and "gereserveerd" in reserved.text
    bad_email = await post(admin_email="beheer@@umc")
    assert bad_email.status_code == 422 and "geen bruikbaar e-mailadres" in bad_email.text
    oidc_half = await post(oidc_issuer="https://login.umc.nl")
    assert oidc_half.status_code == 422 and "client-ID" in oidc_half.text
    duplicate = await post(slug=taken["slug"], name="Het tweede UMC")
    assert duplicate.status_code == 409 and "al in gebruik" in duplicate.text
    assert 'value="Het tweede UMC"' in duplicate.text and f'value="{email}"' in duplicate.text
    # A form that outlived its token: said so in words, the input kept, nothing created.
    stale = await operator.client.post(
        "/ziekenhuizen/nieuw",
        data={"csrf_token": "stale-token", **hospital_form("stale-slug", email, name="Verlopen UMC")},
    )
    assert stale.status_code == 403 and "verlopen" in stale.text and 'value="Verlopen UMC"' in stale.text
    assert 'value="stale-slug"' in stale.text
    for response in (empty, too_long, low, word, bad_slug, reserved, bad_email, oidc_half, duplicate, stale):
        assert "<form" in response.text and "Traceback" not in response.text
    listing = await operator.get("/ziekenhuizen")
    assert 'data-slug="stale-slug"' not in listing.text and 'data-slug="www"' not in listing.text
    # Inviting another administrator of an existing hospital: the same checks, the input kept.
    invite = f"/ziekenhuizen/{taken['tenant_id']}/beheerder"
    assert (await operator.get(invite)).status_code == 200
    bad = await operator.post_form(invite, {"admin_name": "Dr. B", "admin_email": "b@@x"}, csrf_from=invite)
    assert bad.status_code == 422 and "geen bruikbaar e-mailadres" in bad.text and 'value="Dr. B"' in bad.text
    unknown = await operator.post_form(
        "/ziekenhuizen/bestaat-niet/beheerder", {"admin_name": "B", "admin_email": email}, csrf_from=invite
    )
    assert unknown.status_code == 404
    assert (await operator.get("/ziekenhuizen/bestaat-niet")).status_code == 404


async def test_the_list_counts_people_and_rounds_and_nothing_more(deployment, operator) -> None:  # type: ignore[no-untyped-def]
    tenant = await create_tenant(deployment, f"cnt-{uuid.uuid4().hex[:6]}")
    for role in ("tenant_admin", "specialist", "specialist"):
        await add_person(
            deployment, tenant["tenant_id"], f"{uuid.uuid4().hex[:6]}@cnt.nl", role, "SECRET-NAME"
        )
    await open_round(deployment, tenant["tenant_id"], title="SECRET-ROUND")
    await open_round(deployment, tenant["tenant_id"], title="SECRET-ROUND")

    # The counts are a snapshot at most 10 s old (made off the request path).
    async def counted() -> httpx.Response | None:
        listing = await operator.get("/ziekenhuizen")
        row = row_of(listing, tenant["slug"])
        return listing if 'class="people">3<' in row and 'class="rounds">2<' in row else None

    listing = await eventually(counted, 30, "the counts", interval=1.0)
    assert "SECRET" not in listing.text
    email, password = operator_login(deployment)
    api = Browser(deployment.url)
    try:
        await api.login(email, password)
        rows = {r["slug"]: r for r in (await api.get("/operator/overview")).json()}
        assert rows[tenant["slug"]]["people"] == 3 and rows[tenant["slug"]]["rounds"] == 2
        assert rows[tenant["slug"]]["status"] == "active"
        for bad in ("no-such-hospital", "a:b", "x" * 300):
            assert (await api.post(f"/operator/tenants/{bad}/suspend")).status_code == 404, bad
        # The operator's session reaches no service, also not the survey's counts.
        assert (await api.get("/api/survey/platform/round-counts")).status_code == 403
    finally:
        await api.aclose()


async def test_suspending_ends_sessions_and_refuses_everything_until_reactivated(  # type: ignore[no-untyped-def]
    deployment, operator
) -> None:
    tenant = await create_tenant(deployment, f"sus-{uuid.uuid4().hex[:6]}")
    slug, tenant_id = tenant["slug"], tenant["tenant_id"]
    email = f"admin-{uuid.uuid4().hex[:6]}@sus.nl"
    person_id = await add_person(deployment, tenant_id, email, "tenant_admin")
    staff = Browser(deployment.url, slug=slug)
    api_client = Browser(deployment.url, slug=slug)
    respondent = httpx.AsyncClient(
        base_url=deployment.url, headers={"x-forwarded-for": random_ip(), **HTML}, timeout=30
    )
    try:
        assert (await staff.login(email)).status_code == 200
        made = await staff.post("/auth/api-tokens", json={"name": "export"})
        assert made.status_code == 201, made.text
        api_client.bearer = made.json()["token"]
        assert (await api_client.get("/tenant")).status_code == 200
        link, _ = await respondent_link(deployment, tenant_id)
        opened = await respondent.get(f"/t/{slug}/e/{link}")
        assert opened.status_code == 303, opened.text[:300]
        sessions = deployment.db()["sessions"]
        assert await sessions.count_documents({"tenant_id": tenant_id}) >= 2

        detail = await operator.get(f"/ziekenhuizen/{tenant_id}")
        assert detail.status_code == 200 and "opschorten</button>" in detail.text and "Actief" in detail.text
        suspended = await operator.post_form(
            f"/ziekenhuizen/{tenant_id}/opschorten", {}, csrf_from=f"/ziekenhuizen/{tenant_id}"
        )
        assert suspended.status_code == 303, suspended.text[:500]
        listing = await operator.get(suspended.headers["location"])
        assert "Opgeschort" in row_of(listing, slug)
        assert "weer activeren</button>" in (await operator.get(f"/ziekenhuizen/{tenant_id}")).text

        # Every session of the hospital ended (people's and respondents' links); nothing else deleted.
        assert await sessions.count_documents({"tenant_id": tenant_id}) == 0
        assert await deployment.db()["people"].count_documents({"tenant_id": tenant_id}) == 1
        assert await deployment.db()["api_tokens"].count_documents({"tenant_id": tenant_id}) == 1
        refused = await staff.get("/auth/session")
        assert refused.status_code == 403 and refused.json()["code"] == "hospital_suspended"
        assert (await api_client.get("/tenant")).json()["code"] == "hospital_suspended"
        signin = await respondent.get(f"/t/{slug}/inloggen")
        assert signin.status_code == 403 and "buiten gebruik" in signin.text and "<html" in signin.text
        assert (await staff.login(email)).status_code == 403
        again = await respondent.get(f"/t/{slug}/e/{link}")
        assert again.status_code == 403 and "buiten gebruik" in again.text
        page = await respondent.get(f"/t/{slug}/vragenlijst")
        assert page.status_code == 403 and "buiten gebruik" in page.text
        # Twice is once: the same act changes nothing more.
        twice = await operator.post_form(
            f"/ziekenhuizen/{tenant_id}/opschorten", {}, csrf_from="/ziekenhuizen"
        )
        assert twice.status_code == 303

        reactivated = await operator.post_form(
            f"/ziekenhuizen/{tenant_id}/heractiveren", {}, csrf_from="/ziekenhuizen"
        )
        assert reactivated.status_code == 303
        assert "Actief" in row_of(await operator.get("/ziekenhuizen"), slug)
        assert (await staff.get("/auth/session")).status_code == 401, "the ended session stays ended"
        assert (await staff.login(email)).status_code == 200
        assert (await api_client.get("/tenant")).status_code == 200, "the API token works again"
        assert (await respondent.get(f"/t/{slug}/e/{link}")).status_code == 303, "the link works again"
    finally:
        await staff.aclose()
        await api_client.aclose()
        await respondent.aclose()
    log = deployment.db()["audit_log"]
    platform_acts = [
        d["action"] async for d in log.find({"tenant_id": "platform", "target": f"tenant {slug}"})
    ]
    assert platform_acts.count("tenant.suspended") == 1 and platform_acts.count("tenant.reactivated") == 1
    own = [d["action"] async for d in log.find({"tenant_id": tenant_id, "action": {"$regex": "^tenant\\."}})]
    assert sorted(own) == ["tenant.reactivated", "tenant.suspended"]
    assert person_id


@pytest.fixture
def hanging_service() -> Iterator[str]:
    """An address that accepts connections and never answers (a hung process)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def dead_address() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more
    return f"http://127.0.0.1:{port}"


async def test_the_status_page_shows_a_stopped_and_a_hung_service_as_unreachable(  # type: ignore[no-untyped-def]
    deployment, gateway_key, smtp, hanging_service
) -> None:
    # A second gateway (and its web pages) on the same database, whose aggregation is stopped and
    # whose invitation service hangs.
    urls = {
        "SURVEY_URL": deployment.survey.url,
        "AGGREGATION_URL": dead_address(),
        "INVITATION_URL": hanging_service,
    }
    port = free_port()
    web = deployment.processes.start(
        "web",
        "api",
        deployment.prefix,
        SERVICE_TOKEN_JWKS=json.dumps({"keys": [gateway_key[0].public_jwk()]}),
        GATEWAY_URL=f"http://127.0.0.1:{port}",
        **urls,
    )
    gateway = start_gateway(
        deployment.processes,
        gateway_key[1],
        smtp[1],
        deployment.prefix,
        {**urls, "WEB_URL": web.url},
        port,
        KAFKA_TOPIC_PREFIX=deployment.env["KAFKA_TOPIC_PREFIX"],
    )
    email, password = operator_login(deployment)
    pages = Pages(gateway.url)
    try:
        assert (await pages.sign_in(email, password)).status_code == 303
        started = time.monotonic()
        status = await pages.get("/platformstatus")
        took = time.monotonic() - started
        assert status.status_code == 200, status.text[:500]
        assert took < 6, f"one hung service must not hang the page ({took:.1f}s)"
        rows = dict(re.findall(r'<tr data-service="([a-z-]+)">(.*?)</tr>', status.text, re.S))
        # every service of the platform (accreditation too, since it landed), the web pages among them
        assert set(rows) == {"survey", "aggregation", "invitation", "accreditation", "web"}
        assert "niet bereikbaar" in rows["aggregation"] and "niet bereikbaar" in rows["invitation"]
        assert "niet bereikbaar" not in rows["survey"] and "niet gereed" not in rows["survey"]
        assert "gereed" in rows["survey"]
        assert "gereed" in rows["web"]
        api = Browser(gateway.url)
        try:
            await api.login(email, password)
            found = {s["service"]: s for s in (await api.get("/operator/status")).json()}
        finally:
            await api.aclose()
        assert found["survey"]["ready"] is True and found["survey"]["reachable"] is True
        assert found["aggregation"]["reachable"] is False and found["invitation"]["reachable"] is False
    finally:
        await pages.aclose()
        gateway.stop()
        web.stop()
