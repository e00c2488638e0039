"""A Groepsmonitor round in a real browser: created for a group, nominations entered one by one by the
coordinator, one respondent answering in English, the report for the coordinator and a member."""

from __future__ import annotations

import random
import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from web_browser import Checked, answer_by_http, fill_all_by_clicking, run_async, sign_in, sign_out
from web_helpers import WebDeployment, make_hospital

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_group_monitor_round_in_the_browser(web: WebDeployment, browser: Any) -> None:
    slug = f"gm-{uuid.uuid4().hex[:6]}"
    coordinator = f"coordinator@{slug}.nl"
    members = [(f"lid{i}@{slug}.nl", f"Dr. Lid {i}", "specialist") for i in (1, 2)]
    run_async(make_hospital(web.env, slug, [(coordinator, "Coen Coördinator", "coordinator"), *members]))
    checked = Checked()
    rng = random.Random(11)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True
    )
    page = context.new_page()

    sign_in(page, web, slug, coordinator)
    page.goto(web.tenant_url(slug, "/rondes/nieuw"))
    form = page.locator("form", has=page.get_by_role("button", name="Groepsmonitor aanmaken"))
    form.get_by_label("Naam van de groep").fill("Vakgroep Longziekten")
    # A problem is explained on the page (no members chosen), nothing is created.
    with page.expect_navigation():
        form.get_by_role("button", name="Groepsmonitor aanmaken").click()
    assert "Kies minstens twee leden" in page.locator(".error-summary").inner_text()
    form = page.locator("form", has=page.get_by_role("button", name="Groepsmonitor aanmaken"))
    form.get_by_label("Naam van de groep").fill("Vakgroep Longziekten")
    for _, name, _ in members:
        form.get_by_label(name).check()
    form.get_by_role("button", name="Groepsmonitor aanmaken").click()
    page.wait_for_url(re.compile(r"/rondes/[^/]+\?aangemaakt=1$"))
    round_url = page.url.split("?")[0]
    page.get_by_role("link", name=re.compile("één voor één")).click()
    for i in range(1, 5):
        page.get_by_label("Respondentgroep").select_option("colleagues")
        page.get_by_label("Naam").fill(f"Collega {i}")
        page.get_by_label("E-mailadres").fill(f"collega{i}@{slug}.nl")
        if i == 4:
            page.get_by_label("Taal van de uitnodiging").select_option("en")
        with page.expect_navigation():
            page.get_by_role("button", name="Toevoegen").click()
        assert f"Collega {i} is toegevoegd" in page.locator("[role=status]").inner_text()
    # Fewer than 6: the warning stays, on the page and while choosing the group.
    assert "Collega-specialisten" in page.locator(".warnings").inner_text()
    assert "4 genomineerden" in page.locator("#group-live").inner_text()
    page.goto(round_url)
    # ... and at the open step, which asks to confirm (walk finding: no warning when opening).
    assert "4 genomineerden" in page.locator(".warnings").inner_text()
    page.get_by_label("Ik open de ronde toch, met deze groepen zoals ze zijn").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Ronde openen").click()
    assert "geopend" in page.locator("[role=status]").inner_text()

    links = {f"collega{i}@{slug}.nl": web.wait_for_link(f"collega{i}@{slug}.nl") for i in range(1, 5)}
    for email, _, _ in members:
        answer_by_http(web, slug, web.wait_for_link(email), rng)
    for i in range(1, 4):
        answer_by_http(web, slug, links[f"collega{i}@{slug}.nl"], rng)

    # The English-speaking colleague: the questionnaire in the language of the invitation.
    respondent = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    english = respondent.new_page()
    english.goto(web.tenant_url(slug, f"/e/{links[f'collega4@{slug}.nl']}"))
    assert english.locator("html").get_attribute("lang") == "en"
    assert "10 to 15 minutes" in english.content()
    english.get_by_role("link", name="Nederlands").click()
    expect(english.locator("html")).to_have_attribute("lang", "nl")  # waits for the new page
    assert "10 tot 15 minuten" in english.content()
    english.get_by_role("link", name="English").click()
    expect(english.locator("html")).to_have_attribute("lang", "en")
    fill_all_by_clicking(english)
    english.get_by_role("button", name="Submit").click()
    english.wait_for_url(re.compile(r"/bedankt"))
    assert "Thank you" in english.locator("h1").inner_text()
    respondent.close()

    page.goto(round_url)
    before = page.locator("dl.facts dd").nth(1).inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Verlengen").click()  # a week after the closing date, by default
    assert "verlengd" in page.locator("[role=status]").inner_text()
    assert page.locator("dl.facts dd").nth(1).inner_text() > before
    page.get_by_label(re.compile("Ik wil deze ronde nu sluiten")).check()
    page.get_by_role("button", name="Ronde sluiten").click()
    deadline = time.monotonic() + 90
    while not page.get_by_role("link", name=re.compile("Versie 1")).count():
        assert time.monotonic() < deadline, "no report version within 90 s"
        time.sleep(1)
        page.reload()
    checked.page(page, "gm-round-closed")
    page.get_by_role("link", name=re.compile("Versie 1")).click()
    assert "Vakgroep Longziekten" in page.locator(".report").inner_text()
    checked.page(page, "gm-report")
    sign_out(page)

    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    checked.page(page, "password-forgotten")
    # A member finds the report under "mijn rapportages".
    sign_in(page, web, slug, members[0][0])
    assert page.get_by_role("link", name=re.compile("Groepsmonitor")).count() >= 1
    checked.page(page, "gm-member-start")
    context.close()
    # The same on a phone: nothing wider than the screen.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="nl-NL")
    small = phone.new_page()
    sign_in(small, web, slug, members[0][0])
    assert small.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(small, "gm-member-start-phone")
    phone.close()
    assert not checked.violations, checked.violations
