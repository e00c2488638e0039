"""The respondent's personal link through the real gateway and survey service: a session for one
questionnaire that ends on submit or when the round closes; guessing links is throttled."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest
from gateway_helpers import Browser, create_tenant
from gateway_world import close_round, respondent_link
from spiegel_demo.answers import complete_answers
from spiegel_platform.links import hash_link_token, new_link_token

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def hospital(deployment):  # type: ignore[no-untyped-def]
    slug = f"resp-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    return {"slug": slug, "tenant_id": tenant["tenant_id"]}


async def _assignment(deployment, tenant_id: str) -> str:  # type: ignore[no-untyped-def]
    """A colleague's link in an open round of the real survey service."""
    token, round_id = await respondent_link(deployment, tenant_id, title="IFMS Dr. A")
    _rounds[token] = round_id
    return token


_rounds: dict[str, str] = {}


async def _close(deployment, tenant_id: str, token: str) -> None:  # type: ignore[no-untyped-def]
    await close_round(deployment, tenant_id, _rounds[token])


async def test_link_opens_a_session_for_that_questionnaire_only(deployment, hospital):  # type: ignore[no-untyped-def]
    token = await _assignment(deployment, hospital["tenant_id"])
    respondent = Browser(deployment.url, slug=hospital["slug"])
    try:
        # The invitation's language (Dutch here) unless the respondent chooses another.
        opened = await respondent.get(f"/e/{token}", headers={"accept-language": "en-GB,en;q=0.9"})
        assert opened.status_code == 200, opened.text
        assert opened.json()["round"]["title"] == "IFMS Dr. A" and opened.json()["language"] == "nl"
        opened = await respondent.get(f"/e/{token}?lang=en")
        assert opened.status_code == 200 and opened.json()["language"] == "en"
        assert (await respondent.get("/respondent/questionnaire")).json()["language"] == "en"
        assert respondent.cookie and opened.headers["cache-control"] == "no-store"
        me = (await respondent.get("/auth/session")).json()
        assert me["kind"] == "respondent" and me["roles"] == ["respondent"]
        assert me["subject"] == f"link:{hash_link_token(token)}"
        # Later calls carry no token in the URL.
        questionnaire = (await respondent.get("/respondent/questionnaire")).json()["questionnaire"]
        body = complete_answers(questionnaire, score=4, comment="prima samenwerking")
        first = next(iter(body["ratings"]))
        draft = {"ratings": {first: 3}, "comments": {}}
        no_csrf = await respondent.request("PUT", "/respondent/draft", json=draft, csrf=False)
        assert no_csrf.status_code == 403
        saved = await respondent.request("PUT", "/respondent/draft", json=draft)
        assert saved.status_code == 200, saved.text
        assert (await respondent.get("/respondent/questionnaire")).json()["draft"]["ratings"] == {first: 3}
        # The link session reaches nothing else: no /api, no people, no other link's questionnaire.
        assert (await respondent.get("/api/survey/rounds")).status_code == 403
        assert (await respondent.get("/people")).status_code == 403
        other = await _assignment(deployment, hospital["tenant_id"])
        assert (await respondent.get(f"/api/survey/questionnaires/{other}")).status_code == 403
        # Submitting ends the session.
        submitted = await respondent.post("/respondent/submit", json=body)
        assert submitted.status_code == 200, submitted.text
        assert respondent.cookie is None
        assert (await respondent.get("/respondent/questionnaire")).status_code == 401
        used = await respondent.get(f"/e/{token}")
        assert used.status_code == 409 and "al ingevuld" in used.json()["message_nl"]
        assert respondent.cookie is None  # a used link opens no session
    finally:
        await respondent.aclose()


async def test_session_ends_when_the_round_closes(deployment, hospital):  # type: ignore[no-untyped-def]
    token = await _assignment(deployment, hospital["tenant_id"])
    respondent = Browser(deployment.url, slug=hospital["slug"])
    try:
        assert (await respondent.get(f"/e/{token}")).status_code == 200
        session_cookie = respondent.cookie
        await _close(deployment, hospital["tenant_id"], token)
        assert (await respondent.get("/respondent/questionnaire")).status_code == 410
        respondent.cookie = session_cookie  # even a kept cookie is dead now
        assert (await respondent.get("/respondent/questionnaire")).status_code == 401
    finally:
        await respondent.aclose()


async def test_a_link_of_one_hospital_opens_nothing_at_another(deployment, hospital):  # type: ignore[no-untyped-def]
    token = await _assignment(deployment, hospital["tenant_id"])
    other_slug = f"resp-other-{uuid.uuid4().hex[:4]}"
    await create_tenant(deployment, other_slug)
    elsewhere = Browser(deployment.url, slug=other_slug)
    try:
        assert (await elsewhere.get(f"/e/{token}")).status_code == 404
        assert elsewhere.cookie is None
    finally:
        await elsewhere.aclose()


async def test_guessing_link_tokens_is_throttled(deployment, hospital):  # type: ignore[no-untyped-def]
    """2,000 concurrent guesses from one address: at most RATE_LIMIT_LINK_FAILURES_PER_IP (20) are answered.

    (The limiter itself is shown with 10,000 guesses in test_units; `make bench` runs 10,000
    through the real gateway: this machine's two shared cores make that too slow for a test.)"""
    ip = "203.0.113.77"
    real = await _assignment(deployment, hospital["tenant_id"])
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(
        base_url=deployment.url, headers={"x-forwarded-for": ip}, limits=limits
    ) as client:
        statuses: list[int] = []

        async def guess(n: int) -> None:
            for _ in range(n):
                response = await client.get(f"/t/{hospital['slug']}/e/{new_link_token()}")
                statuses.append(response.status_code)

        await asyncio.gather(*(guess(100) for _ in range(20)))
        assert len(statuses) == 2_000
        assert statuses.count(404) <= 20, f"{statuses.count(404)} guesses were answered"
        assert statuses.count(429) >= 1_980
        assert set(statuses) <= {404, 429}
        # The throttled address cannot open even a real link now; another address can.
        assert (await client.get(f"/t/{hospital['slug']}/e/{real}")).status_code == 429
    other = Browser(deployment.url, slug=hospital["slug"])
    try:
        assert (await other.get(f"/e/{real}")).status_code == 200
    finally:
        await other.aclose()


async def test_one_link_is_limited_per_minute(deployment, hospital):  # type: ignore[no-untyped-def]
    token = await _assignment(deployment, hospital["tenant_id"])
    codes = []
    for i in range(32):
        browser = Browser(deployment.url, slug=hospital["slug"], ip=f"198.18.0.{i + 1}")
        codes.append((await browser.get(f"/e/{token}")).status_code)
        await browser.aclose()
    assert codes[:30] == [200] * 30 and codes[30:] == [429, 429]


async def test_the_questionnaire_page_says_saved_only_when_the_survey_kept_the_answers(deployment, hospital):  # type: ignore[no-untyped-def]
    # A NUL in a comment (pasted text) made the survey refuse the whole draft while the page said
    # "Je antwoorden zijn bewaard": the rating was lost too. The page now drops the NUL, and says
    # "bewaard" only after the survey answered that it kept them.
    token = await _assignment(deployment, hospital["tenant_id"])
    html = {"accept": "text/html"}
    base = f"{deployment.url}/t/{hospital['slug']}"
    async with httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=30) as page:
        opened = await page.get(f"/e/{token}", headers=html)
        assert opened.status_code == 200 and "/vragenlijst" in str(opened.url), opened.text[:300]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', opened.text).group(1)  # type: ignore[union-attr]
        item = re.search(r'name="r_([^"]+)" value="4"', opened.text).group(1)  # type: ignore[union-attr]
        comment = re.search(r'name="c_([^"]+)"', opened.text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": csrf, f"r_{item}": "4", f"c_{comment}": "goed\x00 overleg", "action": "save"}
        saved = await page.post("/vragenlijst", data=form, headers=html)
        assert saved.status_code == 200 and "opgeslagen=1" in str(saved.url)
        assert "Uw antwoorden zijn bewaard." in saved.text
        draft = (await page.get("/respondent/questionnaire")).json()["draft"]
        assert draft["ratings"] == {item: 4} and draft["comments"] == {comment: "goed overleg"}
        # A superscript digit is no score: left out, never a server error.
        odd = await page.post("/vragenlijst", data={**form, f"r_{item}": "²"}, headers=html)
        assert odd.status_code == 200
