"""The pages without a browser: every form needs its CSRF token, bad input gets a page that says what
is wrong (never a 500 or JSON), roles are kept apart, the language switch never leaves the site."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from web_browser import run_async
from web_helpers import PASSWORD, WebDeployment, make_hospital

pytestmark = pytest.mark.integration

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def hospital(web: WebDeployment) -> dict[str, str]:
    slug = f"pg-{uuid.uuid4().hex[:6]}"
    run_async(
        make_hospital(
            web.env,
            slug,
            [
                (f"coordinator@{slug}.nl", "Coördinator", "coordinator"),
                (f"specialist@{slug}.nl", "Dr. S", "specialist"),
            ],
        )
    )
    return {"slug": slug}


def signed_in(web: WebDeployment, slug: str, who: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=30)
    form = client.get("/inloggen")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/inloggen", data={"csrf_token": token, "email": f"{who}@{slug}.nl", "password": PASSWORD}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/start"), done.text[:300]
    start = client.get("/start")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', start.text).group(1)  # type: ignore[union-attr]
    return client, csrf


def is_page(response: httpx.Response, status: int, text: str = "") -> None:
    assert response.status_code == status, (response.status_code, response.text[:400])
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1" in response.text and text in response.text, response.text[:600]


def test_forms_need_their_csrf_token(web: WebDeployment, hospital: dict[str, str]) -> None:
    slug = hospital["slug"]
    anonymous = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=30)
    # The sign-in form: a double-submit token, before any session exists.
    is_page(anonymous.post("/inloggen", data={"email": "x@y.nl", "password": "p"}), 403, "verlopen")
    client, csrf = signed_in(web, slug, "coordinator")
    is_page(client.post("/rondes/nieuw/ifms", data={"title": "X"}), 403, "Het formulier is verlopen")
    is_page(client.post("/rondes/nieuw/ifms", data={"title": "X", "csrf_token": "wrong"}), 403)
    # With the token: a page explaining what is missing (422), nothing created, never a 500.
    problem = client.post(
        "/rondes/nieuw/ifms", data={"csrf_token": csrf, "title": "", "closes_on": "gisteren"}
    )
    is_page(problem, 422, "Vul een titel in.")
    assert "Kies een sluitingsdatum in de toekomst" in problem.text
    signed_out = client.post("/uitloggen", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    assert client.get("/start").status_code == 303  # back to the sign-in form


def test_bad_input_gets_a_page_that_says_what_is_wrong(web: WebDeployment, hospital: dict[str, str]) -> None:
    slug = hospital["slug"]
    client, csrf = signed_in(web, slug, "coordinator")
    is_page(client.get("/rondes/bestaat-niet"), 404)
    is_page(client.get("/rapportages/..%2F..%2Fetc"), 404)
    is_page(client.get("/rapportages/geen-rapport.v1"), 404, "Deze rapportage bestaat niet")
    is_page(client.post("/rondes/bestaat-niet/verlengen", data={"csrf_token": csrf, "closes_on": "x"}), 422)
    is_page(client.post("/rondes/bestaat-niet/sluiten", data={"csrf_token": csrf}), 422, "Vink aan")
    upload = client.post(
        "/rondes/bestaat-niet/import",
        data={"csrf_token": csrf},
        files={"file": ("lijst.pdf", b"%PDF-1.4", "application/pdf")},
    )
    is_page(upload, 422, "Kies een .xlsx- of .csv-bestand")
    too_big = client.post(
        "/rondes/bestaat-niet/import",
        data={"csrf_token": csrf},
        files={"file": ("lijst.xlsx", b"x" * (1_048_576 + 1), "application/octet-stream")},
    )
    is_page(too_big, 413, "Bestand te groot")
    assert "hoogstens 1 MB" in too_big.text and "request body" not in too_big.text
    is_page(client.post("/instellingen/herinneringen", data={"csrf_token": csrf, "max_reminders": "-1"}), 422)
    is_page(client.get("/taal?lang=fr"), 404)
    is_page(httpx.get(f"{web.url}/t/bestaat-niet/start", headers=HTML), 404, "Pagina niet gevonden")
    # API clients keep their JSON.
    api = client.get("/api/survey/rounds/bestaat-niet", headers={"accept": "application/json"})
    assert api.headers["content-type"].startswith("application/json")


def test_roles_are_kept_apart_and_the_language_switch_stays_on_the_site(
    web: WebDeployment, hospital: dict[str, str]
) -> None:
    slug = hospital["slug"]
    specialist, _ = signed_in(web, slug, "specialist")
    is_page(specialist.get("/rondes"), 403, "Geen toegang")
    is_page(specialist.get("/instellingen"), 403)
    switched = specialist.get("/taal", params={"lang": "en", "next": "//evil.example/x"})
    assert switched.status_code == 303 and switched.headers["location"] == f"/t/{slug}/"
    assert "spiegel_lang=en" in switched.headers["set-cookie"]
    english = specialist.get("/start")
    assert '<html lang="en">' in english.text and "To do" in english.text
    anonymous = httpx.get(f"{web.url}/t/{slug}/start", headers=HTML)
    assert anonymous.status_code == 303 and "/inloggen?next=" in anonymous.headers["location"]
    nobody = httpx.get(f"{web.url}/t/{slug}/vragenlijst", headers=HTML)
    is_page(nobody, 401, "persoonlijke link")


def test_a_forgotten_password_is_replaced_through_the_pages(
    web: WebDeployment, hospital: dict[str, str]
) -> None:
    slug = hospital["slug"]
    email = f"specialist@{slug}.nl"
    client = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=30)
    form = client.get("/account/wachtwoord-vergeten")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    asked = client.post("/account/wachtwoord-vergeten", data={"csrf_token": token, "email": email})
    is_page(asked, 200, "een e-mail onderweg")
    unknown = client.post(
        "/account/wachtwoord-vergeten", data={"csrf_token": token, "email": f"nobody@{slug}.nl"}
    )
    is_page(unknown, 200, "een e-mail onderweg")  # the same answer: nobody learns who has an account
    link = None
    for _ in range(100):
        for message in web.catcher.store.to(email):
            found = re.search(r"/account/nieuw-wachtwoord\?token=([A-Za-z0-9_\-]+)", message.part("plain"))
            link = found.group(1) if found else link
        if link:
            break
        time.sleep(0.1)
    assert link, "no reset mail"
    page = client.get("/account/nieuw-wachtwoord", params={"token": link})
    is_page(page, 200, "Nieuw wachtwoord kiezen")
    weak = client.post(
        "/account/nieuw-wachtwoord",
        data={"csrf_token": token, "token": link, "password": "kort", "password_again": "kort"},
    )
    is_page(weak, 422, "Minstens 12 tekens")
    new = "vier woorden als wachtwoord"
    done = client.post(
        "/account/nieuw-wachtwoord",
        data={"csrf_token": token, "token": link, "password": new, "password_again": new},
    )
    assert done.status_code == 303 and "wachtwoord=1" in done.headers["location"]
    again = client.post(
        "/account/nieuw-wachtwoord",
        data={"csrf_token": token, "token": link, "password": new, "password_again": new},
    )
    is_page(again, 410, "al gebruikt of verlopen")
    form = client.get("/inloggen")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    signed = client.post("/inloggen", data={"csrf_token": token, "email": email, "password": new})
    assert signed.status_code == 303 and signed.headers["location"].endswith("/start")


def test_a_hospital_with_an_identity_provider_offers_its_button(web: WebDeployment) -> None:
    slug = f"idp-{uuid.uuid4().hex[:6]}"
    run_async(
        make_hospital(
            web.env,
            slug,
            [],
            identity_provider={"issuer": "https://idp.example", "client_id": "spiegel", "client_secret": "s"},
        )
    )
    form = httpx.get(f"{web.url}/t/{slug}/inloggen", headers=HTML)
    is_page(form, 200, f"Inloggen via Ziekenhuis {slug}")
    assert f'href="/t/{slug}/auth/oidc/login?next=%2Fstart"' in form.text


async def _audit_entries(env: dict[str, str], tenant_id: str) -> list[dict[str, object]]:
    from pymongo import AsyncMongoClient
    from spiegel_gateway.audit.log import COLLECTION
    from spiegel_platform.storage.repository import TenantRepository

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(env["MONGODB_URL"], tz_aware=True)
    try:
        repo = TenantRepository(client[env["MONGODB_DATABASE"]][COLLECTION], tenant_id)
        return await repo.find({}, limit=1000)
    finally:
        await client.close()


def test_report_reads_through_the_pages_are_audited_as_through_the_api(
    web: WebDeployment, hospital: dict[str, str]
) -> None:
    """The web service hands the gateway the calls a page made; the gateway audits them as /api calls
    (a report read, whatever the answer), marked as made by a page."""
    slug = hospital["slug"]
    client, _ = signed_in(web, slug, "coordinator")  # (the specialist's password was reset above)
    report_id = f"audit-{uuid.uuid4().hex[:6]}.v1"
    is_page(client.get(f"/rapportages/{report_id}"), 404)
    target = f"GET /api/aggregation/reports/{report_id}/fragment (page)"
    entries = run_async(_audit_entries(web.env, slug))
    read = [e for e in entries if e.get("target") == target]
    assert read and read[0]["action"] == "report.read" and read[0]["outcome"] == 404, entries[-5:]


def test_the_hospital_settings_page_changes_the_hospital_through_the_gateways_api(web: WebDeployment) -> None:
    """The settings page (web service) changes the hospital, which is the gateway's, with the
    caller's token through PATCH /tenant: the gateway checks, stores and audits it."""
    slug = f"st-{uuid.uuid4().hex[:6]}"
    run_async(make_hospital(web.env, slug, [(f"admin@{slug}.nl", "Beheerder", "tenant_admin")]))
    client, csrf = signed_in(web, slug, "admin")
    client.headers["x-forwarded-for"] = "198.51.100.23"  # the browser's address, as a proxy says
    form = {"csrf_token": csrf, "name": "Nieuwe naam", "lang_nl": "1", "lang_en": "1", "min_group_size": "5"}
    saved = client.post("/instellingen/ziekenhuis", data=form)
    assert saved.status_code == 303 and "opgeslagen=ziekenhuis" in saved.headers["location"], saved.text[:300]
    shown = client.get("/instellingen")
    is_page(shown, 200, "Nieuwe naam")
    assert 'value="5"' in shown.text
    is_page(client.post("/instellingen/ziekenhuis", data={**form, "min_group_size": "3"}), 422)
    # The least time between two activation mails to one person is the hospital's to set.
    timed = client.post("/instellingen/ziekenhuis", data={**form, "activation_mail_interval_minutes": "15"})
    assert timed.status_code == 303, timed.text[:500]
    shown = client.get("/instellingen")
    assert re.search(r'name="activation_mail_interval_minutes"[^>]*value="15"', shown.text), shown.text
    refused = client.post(
        "/instellingen/ziekenhuis", data={**form, "activation_mail_interval_minutes": "een uur"}
    )
    is_page(refused, 422, "activatiemails")
    assert 'value="een uur"' in refused.text
    # And the least time between two reminders to one person (the invitation service's).
    reminders = {
        "csrf_token": csrf,
        "max_reminders": "3",
        "interval_days": "7",
        "quiet_days": "1",
        "fatigue_limit": "8",
        "min_interval_hours": "48",
    }
    assert client.post("/instellingen/herinneringen", data=reminders).status_code == 303
    shown = client.get("/instellingen")
    assert re.search(r'name="min_interval_hours"[^>]*value="48"', shown.text), shown.text[:3000]
    changed = [e for e in run_async(_audit_entries(web.env, slug)) if e.get("action") == "tenant.changed"]
    assert len(changed) == 2 and changed[0]["outcome"] == 200, changed
    assert changed[0]["ip"] == "198.51.100.23"  # the browser's, not the web service's address
    # The specialists' list comes from the gateway's people (GET /people) in the same way.
    assert client.get("/rondes/nieuw").status_code == 200


def test_walk_findings_dutch_pages_speak_dutch_and_forms_keep_their_input(
    web: WebDeployment, hospital: dict[str, str]
) -> None:
    """Issue 18's walk: English service texts on Dutch pages, a discussion group called a report,
    the Groepsmonitor form emptied by a refusal, a 5,000-character title cut short unseen."""
    slug = hospital["slug"]
    client, csrf = signed_in(web, slug, "coordinator")
    for path in (
        "/rondes/does-not-exist",
        "/rondes/does-not-exist/nominaties",
        "/rondes/does-not-exist/sjabloon.xlsx",
    ):
        shown = client.get(path)
        assert shown.status_code in (200, 404), (path, shown.status_code)
        assert "not found" not in shown.text and "does-not-exist not" not in shown.text, (
            path,
            shown.text[:800],
        )
    is_page(client.get("/bespreking/onbekend/voorbereiding"), 404, "Deze groepsbespreking bestaat niet")
    refused = client.post(
        "/rondes/nieuw/groepsmonitor",
        data={
            "csrf_token": csrf,
            "title": "Groepsmonitor Cardiologie",
            "group_name": "Vakgroep Cardiologie",
            "closes_on": "2099-01-01",
            "include_patients": "1",
        },
    )
    is_page(refused, 422)
    assert (
        'value="Groepsmonitor Cardiologie"' in refused.text and 'value="Vakgroep Cardiologie"' in refused.text
    )
    assert 'value="2099-01-01"' in refused.text
    assert re.search(r'id="include_patients"[^>]*checked', refused.text), refused.text
    long_title = "x" * 5000
    too_long = client.post(
        "/rondes/nieuw/ifms", data={"csrf_token": csrf, "title": long_title, "closes_on": "2099-01-01"}
    )
    is_page(too_long, 422, "Titel: te lang, hoogstens 150 tekens (nu 5000).")
    assert f'value="{long_title}"' in too_long.text


def test_the_questionnaire_without_its_link_session_speaks_to_a_respondent(
    web: WebDeployment, hospital: dict[str, str]
) -> None:
    """Walk finding: the questionnaire page used again after submitting (the link session ended)
    said "Log eerst in" to a respondent, who has no account."""
    slug = hospital["slug"]
    browser = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=30)
    for shown in (browser.get("/vragenlijst"), browser.post("/vragenlijst", data={"action": "submit"})):
        assert shown.status_code in (401, 403), (shown.status_code, shown.text[:300])
        assert "<h1" in shown.text and "Log eerst in" not in shown.text and "/inloggen" not in shown.text
        assert "al verzonden" in shown.text and "dank u wel" in shown.text.lower(), shown.text[:1500]
