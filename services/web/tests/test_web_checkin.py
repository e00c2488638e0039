"""Check-in with the BIG number by QR code, attendance and themes, in a real browser.

A session that has started (written with the accreditation service's own store, as if the
clock had moved on: the API plans no session in the past). The facilitator opens the session
page and the full-screen QR code; a participant opens the check-in address on a 390x844 phone,
types a 9-digit BIG number and an evaluation, and sees it stored as 11 digits with its leading
zeros; a second visit says "already checked in" with the number prefilled; someone else of the
hospital who opens the same address gets a clear refusal; the facilitator marks a participant
partly present. axe-core on every page, screenshots in test-artifacts/web-checkin-*.png.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from web_browser import Checked, run_async, sign_in
from web_helpers import WebDeployment, make_hospital
from web_sessions import past_session

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_check_in_by_qr_code_on_a_phone(web: WebDeployment, browser: Any) -> None:
    slug = f"ci-{uuid.uuid4().hex[:6]}"
    facilitator, anna, bram, other = (f"{who}@{slug}.nl" for who in ("gl", "anna", "bram", "other"))
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (facilitator, "Greet Gespreksleider", "facilitator"),
                (anna, "Anna Arts", "specialist"),
                (bram, "Bram Bakker", "specialist"),
                (other, "Olga Anders", "specialist"),
            ],
        )
    )
    session_id = run_async(
        past_session(web, slug, {ids[anna]: "Anna Arts", ids[bram]: "Bram Bakker"}, ids[facilitator])
    )
    checked = Checked()

    # -- the facilitator: the session page and the QR code full screen --------------------------------
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    lead = desk.new_page()
    sign_in(lead, web, slug, facilitator)
    lead.goto(web.tenant_url(slug, "/mijn-besprekingen"))
    checked.page(lead, "checkin-mine")
    assert "Vergaderzaal 2" in lead.inner_text("main")
    lead.get_by_role("link", name=re.compile("^Deelnemers, aanwezigheid en evaluatie")).click()
    assert "Anna Arts" in lead.inner_text("main") and "Bram Bakker" in lead.inner_text("main")
    checked.page(lead, "checkin-session")
    lead.get_by_role("link", name="QR-code voor aanmelden tonen").first.click()
    lead.wait_for_url(re.compile(r"/qr$"))
    address = lead.locator("figcaption.address").inner_text()
    assert address == web.tenant_url(slug, f"/aanmelden/{session_id}")
    assert lead.locator("svg.qr-code path").count() == 1
    box = lead.locator("svg.qr-code").bounding_box()
    assert box is not None and box["width"] >= 500  # full screen: most of the 900 px height
    checked.page(lead, "checkin-qr")

    # -- a participant scans it on a phone: signs in, lands on the check-in page ---------------------
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="nl-NL",
    )
    phone = phone_context.new_page()
    phone.goto(address)
    phone.wait_for_url(re.compile(r"/inloggen"))
    phone.get_by_label("E-mailadres").fill(anna)
    phone.get_by_label("Wachtwoord").fill("correct horse battery staple")
    phone.get_by_role("button", name="Inloggen").tap()
    phone.wait_for_url(re.compile(rf"/aanmelden/{session_id}$"))
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "checkin-phone")
    # a BIG number with a letter: refused, naming the field and why, what was typed kept
    phone.get_by_label("BIG-nummer").fill("12345678A")
    phone.locator("fieldset.rating").first.locator("label.choice").nth(3).tap()
    phone.get_by_role("button", name="Aanmelden").tap()
    assert "big_number" in phone.locator(".error-summary").inner_text()
    assert "alleen uit cijfers" in phone.locator(".error-summary").inner_text()
    assert phone.get_by_label("BIG-nummer").input_value() == "12345678A"
    assert phone.locator("fieldset.rating").first.locator("input[value='4']").is_checked()
    checked.page(phone, "checkin-phone-refused")
    # 9 digits: stored as 11, with leading zeros
    phone.get_by_label("BIG-nummer").fill("123 456 789")
    phone.get_by_label("Opmerking (vrijwillig)").fill("Leerzaam <b>gesprek</b>")
    phone.get_by_role("button", name="Aanmelden").tap()
    phone.get_by_text("U bent aangemeld voor deze groepsbespreking.").wait_for()
    assert phone.locator("strong.big-number").inner_text() == "00123456789"
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "checkin-phone-done")
    # again: "already checked in", the number prefilled, no second evaluation asked
    phone.goto(address)
    assert "U bent al aangemeld" in phone.inner_text("main")
    assert phone.get_by_label("BIG-nummer").input_value() == "00123456789"
    assert phone.locator("fieldset.rating").count() == 0
    phone.get_by_role("button", name="Aanmelden").tap()
    phone.get_by_text("U bent al aangemeld voor deze groepsbespreking.").wait_for()
    # themes: no report yet in this test's hospital: the page says so
    phone.goto(web.tenant_url(slug, f"/bespreking/{session_id}/themas"))
    assert "Uw rapportage is er nog niet" in phone.inner_text("main")
    checked.page(phone, "checkin-themes-phone")
    phone_context.close()

    # -- someone of the hospital who is not a participant: a clear page, no check-in -----------------
    stranger_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    stranger = stranger_context.new_page()
    sign_in(stranger, web, slug, other)
    refused = stranger.goto(address)
    assert refused is not None and refused.status == 403
    assert "Aanmelden kan hier niet" in stranger.inner_text("main")
    assert "alleen de eigen deelnemers" in stranger.inner_text("main")
    checked.page(stranger, "checkin-not-yours")
    stranger_context.close()

    # -- the facilitator marks Bram partly present; Anna shows as checked in --------------------------
    lead.goto(web.tenant_url(slug, f"/bespreking/{session_id}"))
    lead.get_by_label("Deelnemer", exact=True).select_option(label="Bram Bakker")
    lead.get_by_role("radio", name="gedeeltelijk aanwezig").check()
    lead.get_by_label("Uren aanwezig (bij gedeeltelijk aanwezig)").fill("1,5")
    lead.get_by_role("button", name="Vastleggen").click()
    assert "geef een reden" in lead.locator(".error-summary").inner_text()
    assert lead.get_by_label("Uren aanwezig (bij gedeeltelijk aanwezig)").input_value() == "1,5"
    lead.get_by_label("Reden (verplicht bij gedeeltelijk aanwezig en afwezig)").fill("Later gekomen")
    lead.get_by_role("button", name="Vastleggen").click()
    lead.get_by_text("De aanwezigheid is vastgelegd.").wait_for()
    rows = lead.locator("table.responsive tbody tr")
    text = rows.all_inner_texts()
    assert any(
        "Bram Bakker" in r and "gedeeltelijk aanwezig (1.5 uur)" in r and "Later gekomen" in r for r in text
    ), text
    assert any("Anna Arts" in r and "aanwezig" in r and "ja" in r for r in text), text
    # the check-in window is still open: the evaluation is not shown, not even the remark; the
    # page says from when it can be read (and that it takes at least 4 answers)
    evaluation = lead.locator("section[aria-labelledby=evaluation-title]").inner_text()
    assert "te lezen vanaf" in evaluation and "als de aanmeldtermijn is gesloten" in evaluation, evaluation
    assert "ten minste 4 deelnemers" in evaluation, evaluation
    assert "Leerzaam" not in lead.content()
    checked.page(lead, "checkin-session-marked")
    desk.close()
    assert not checked.violations, checked.violations


async def _checkin_link(web: WebDeployment, tenant: str, session_id: str, person_id: str) -> str:
    """A follow-up mail's personal link for one participant: its hash written as the accreditation
    service's consumer writes it from CheckInLinkIssued (the mail itself: the invitation tests)."""
    from pymongo import AsyncMongoClient
    from spiegel_accreditation.storage import Store
    from spiegel_platform.links import hash_link_token, new_link_token

    token = new_link_token()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        await store.checkin_links.update(
            hash_link_token(token), {"$set": {"session_id": session_id, "person_id": person_id}}, upsert=True
        )
    finally:
        await client.close()
    return token


def test_check_in_from_the_follow_up_link_on_a_phone(web: WebDeployment, browser: Any) -> None:
    """Someone who missed the moment: the link from the follow-up mail opens the same phone page
    without signing in, checks in that person, and the address bar keeps no token."""
    slug = f"cl-{uuid.uuid4().hex[:6]}"
    facilitator, bram = f"gl@{slug}.nl", f"bram@{slug}.nl"
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [(facilitator, "Greet Gespreksleider", "facilitator"), (bram, "Bram Bakker", "specialist")],
        )
    )
    session_id = run_async(past_session(web, slug, {ids[bram]: "Bram Bakker"}, ids[facilitator]))
    token = run_async(_checkin_link(web, slug, session_id, ids[bram]))
    checked = Checked()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    phone = context.new_page()
    phone.goto(web.tenant_url(slug, f"/a/{token}"))
    phone.wait_for_url(re.compile(r"/aanmelden-met-link$"))
    assert token not in phone.url
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "checkin-link-phone")
    phone.get_by_label("BIG-nummer").fill("=12345")
    phone.get_by_role("button", name="Aanmelden").tap()
    assert "big_number" in phone.locator(".error-summary").inner_text()
    assert phone.get_by_label("BIG-nummer").input_value() == "=12345"
    phone.get_by_label("BIG-nummer").fill("1234567890")
    phone.get_by_role("button", name="Aanmelden").tap()
    phone.get_by_text("U bent aangemeld voor deze groepsbespreking.").wait_for()
    assert phone.locator("strong.big-number").inner_text() == "01234567890"
    checked.page(phone, "checkin-link-done")
    # A made-up link: a clear page, not the sign-in form.
    phone.goto(web.tenant_url(slug, f"/a/{token[:-4]}abcd"))
    assert "/inloggen" not in phone.url and phone.locator("h1").count() == 1
    context.close()
    assert not checked.violations, checked.violations
