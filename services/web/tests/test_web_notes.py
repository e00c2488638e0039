"""The facilitator's notes per participant, in a real browser.

A session that has started (written in the accreditation service's store, as the check-in test
does). The facilitator goes from the session page to the notes, writes Anna's with HTML in it
(saved as they type: the autosave script), reloads (the draft is there, as text), releases
them; Anna reads them on a 390x844 phone ("Mijn gespreksverslag"), the HTML shown as text; Bram
(a participant of the same session) and a coordinator get "not found"; every read is in the
gateway's audit log. axe-core on every page, screenshots in test-artifacts/web-notes-*.png.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from web_browser import Checked, run_async, sign_in
from web_helpers import WebDeployment, make_hospital
from web_sessions import past_session

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def audited(web: WebDeployment, tenant: str, action: str) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        return await client[f"{web.prefix}_gateway"]["audit_log"].find({"action": action}).to_list()
    finally:
        await client.close()


def test_notes_written_with_autosave_released_and_read_on_a_phone(web: WebDeployment, browser: Any) -> None:
    slug = f"nt-{uuid.uuid4().hex[:6]}"
    facilitator, anna, bram, coordinator = (f"{who}@{slug}.nl" for who in ("gl", "anna", "bram", "coord"))
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (facilitator, "Greet Gespreksleider", "facilitator"),
                (anna, "Anna Arts", "specialist"),
                (bram, "Bram Bakker", "specialist"),
                (coordinator, "Cor Coördinator", "coordinator"),
            ],
        )
    )
    session_id = run_async(
        past_session(web, slug, {ids[anna]: "Anna Arts", ids[bram]: "Bram Bakker"}, ids[facilitator])
    )
    checked = Checked()
    typed = "Besproken: <b>feedback</b> geven\nen <script>alert(1)</script> werkdruk"

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    lead = desk.new_page()
    sign_in(lead, web, slug, facilitator)
    lead.goto(web.tenant_url(slug, f"/bespreking/{session_id}"))
    lead.get_by_role("link", name="Gespreksverslagen per deelnemer").click()
    lead.wait_for_url(re.compile(r"/verslagen$"))
    assert "5 werkdagen na de bespreking" in lead.inner_text("main")
    checked.page(lead, "notes-session")
    lead.get_by_role("link", name="Schrijven – Anna Arts").click()
    lead.get_by_label("Besproken onderwerpen").fill(typed)
    lead.get_by_text("Concept opgeslagen.").wait_for(timeout=15_000)  # the autosave, no button
    checked.page(lead, "notes-write")
    lead.reload()
    assert lead.get_by_label("Besproken onderwerpen").input_value() == typed
    # A save from an older version (another tab) is refused, what was typed kept.
    lead.evaluate("document.querySelector('input[name=version]').value = '0'")
    lead.get_by_label("Besproken onderwerpen").fill(typed + " (tab 2)")
    lead.get_by_role("button", name="Opslaan", exact=True).click()
    assert "intussen elders opgeslagen" in lead.locator(".error-summary").inner_text()
    assert lead.get_by_label("Besproken onderwerpen").input_value() == typed + " (tab 2)"
    lead.goto(web.tenant_url(slug, f"/bespreking/{session_id}/verslagen/{ids[anna]}"))
    lead.get_by_role("button", name="Vrijgeven aan de deelnemer").click()
    lead.get_by_text("Het verslag is vrijgegeven; de deelnemer krijgt bericht.").wait_for()
    assert "Vrijgegeven" in lead.locator("table.responsive tbody tr").first.inner_text()
    desk.close()

    # Anna reads them on her phone; the HTML is text.
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    phone = phone_context.new_page()
    sign_in(phone, web, slug, anna)
    phone.goto(web.tenant_url(slug, "/gespreksverslag"))
    checked.page(phone, "notes-mine-phone")
    phone.get_by_role("link", name=re.compile("Groepsbespreking van")).tap()
    text = phone.locator(".notes-text").inner_text()
    assert "<script>alert(1)</script>" in text and "<b>feedback</b>" in text
    assert phone.locator(".notes-text b").count() == 0
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "notes-read-phone")
    phone_context.close()

    # Bram (same session) and the coordinator: not found, nothing of the text.
    for who, path in (
        (bram, f"/gespreksverslag/{session_id}"),
        (coordinator, f"/bespreking/{session_id}/verslagen"),
    ):
        context = browser.new_context(locale="nl-NL")
        other = context.new_page()
        sign_in(other, web, slug, who)
        answer = other.goto(web.tenant_url(slug, path))
        assert answer is not None and answer.status in (403, 404), (who, answer.status)
        assert "werkdruk" not in other.content()
        context.close()
    reads = run_async(audited(web, slug, "notes.read"))
    actors = {r["actor"] for r in reads if session_id in r["target"]}
    assert {ids[facilitator], ids[anna]} <= actors, reads
    assert not checked.violations, checked.violations
