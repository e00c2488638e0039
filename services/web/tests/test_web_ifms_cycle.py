"""The whole IFMS cycle after the reports, in a real browser (issue 19, point 10): from closed rounds
of 11 specialists to a signed, verified RGS declaration.

The coordinator plans the 11 (split into 6 + 5 on separate dates); the invitation mail arrives in
the mail catcher with its calendar file, parsed with `icalendar`; the clock moves on (the session
moved back in the accreditation service's own store: no session is planned in the past); a
participant checks in on a 390x844 phone with a 9-digit BIG number (stored as 11 with its leading
zeros); the coordinator's GAIA spreadsheet, opened with openpyxl, holds that number as text; the
facilitator writes and releases the notes, read by their owner only; the facilitator signs the
declaration with their password (a wrong one refused first); the participant downloads the PDF,
read back with pdftotext, and its address opened without signing in says it is genuine (name, day,
facilitator; nothing of the notes or the BIG number). Helpers of the planning, check-in, notes and
GAIA tests are reused, not copied; screenshots in test-artifacts/web-cycle-*.png, axe-core on each.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pymongo import AsyncMongoClient
from spiegel_dev.waiting import eventually, until
from test_web_planning import AMSTERDAM, calendar_of, closed_rounds, narrow_enough
from web_browser import Checked, run_async, sign_in
from web_helpers import PASSWORD, WebDeployment, make_hospital

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NOTES = "Besproken: samenwerking met de SEH en werkdruk (GEHEIM)"


async def set_profile(
    web: WebDeployment, slug: str, person_id: str, specialism: str, employment: str
) -> None:
    """The specialism and employment the people import would have given (the gateway's store; its
    PersonRegistered carries them to the accreditation service)."""
    from spiegel_gateway.people.store import PeopleStore
    from spiegel_gateway.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        people = PeopleStore(Store.on(client[web.env["MONGODB_DATABASE"]]))
        person = await people.get(slug, person_id)
        assert person is not None
        await people.change(person, {"specialism": specialism, "employment": employment})
    finally:
        await client.close()


async def the_clock_moves_on(web: WebDeployment, slug: str, person_id: str) -> str:
    """The session `person_id` takes part in, moved to have begun 3 hours ago (2 hours long), once
    the accreditation service knows the person's employment; its id."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        db = client[f"{web.prefix}_accreditation"]

        async def known() -> bool:
            found = await db["people"].find_one({"_id": f"{slug}:{person_id}"})
            return bool(found and found.get("employment") == "self_employed")

        await eventually(known, 90, "the participant's employment at the accreditation service")
        session = await db["sessions"].find_one({"tenant_id": slug, "participant_ids": person_id})
        assert session is not None
        start = datetime.now(UTC) - timedelta(hours=3)
        await db["sessions"].update_one(
            {"_id": session["_id"]}, {"$set": {"starts_at": start, "ends_at": start + timedelta(hours=2)}}
        )
        return str(session["id"])
    finally:
        await client.close()


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_the_whole_ifms_cycle_to_a_signed_declaration(web: WebDeployment, browser: Any) -> None:
    slug = f"cy-{uuid.uuid4().hex[:6]}"
    coordinator, facilitator = f"coord@{slug}.nl", f"gl@{slug}.nl"
    specialists = [(f"s{n:02d}@{slug}.nl", f"Dr. Cyclus {n:02d}") for n in range(1, 12)]
    anna, bram = specialists[0][0], specialists[1][0]
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Carla Coördinator", "coordinator"),
                (facilitator, "Greet Gespreksleider", "facilitator"),
                *[(email, name, "specialist") for email, name in specialists],
            ],
        )
    )
    run_async(set_profile(web, slug, ids[anna], "Cardiologie", "self_employed"))
    run_async(closed_rounds(web, slug, {ids[email]: name for email, name in specialists}))
    checked = Checked()
    first_day = (datetime.now(AMSTERDAM) + timedelta(days=2)).date()

    # -- plan the 11: two groups of at most 8 (6 + 5) ---------------------------------------------
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True)
    page = desk.new_page()
    sign_in(page, web, slug, coordinator)
    page.goto(web.tenant_url(slug, "/groepsbesprekingen/plannen"))
    for _, name in specialists:
        page.get_by_label(re.compile(rf"^{name}")).check()
    page.get_by_label("Datum (van de eerste bespreking)").fill(first_day.isoformat())
    page.get_by_label("Plaats (zaal, adres)").fill("Vergaderzaal 2")
    page.get_by_label("Gespreksleider", exact=True).select_option(label="Greet Gespreksleider")
    page.get_by_role("button", name="Voorstel maken").click()
    page.get_by_role("heading", name="Voorstel: de groepen").wait_for()
    headings = page.locator("section.proposal-group h2").all_inner_texts()
    assert headings == ["Groep 1 (6 deelnemers)", "Groep 2 (5 deelnemers)"], headings
    checked.page(page, "cycle-proposal")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/groepsbesprekingen\?bericht=planned$"))
    assert page.locator("table.responsive tbody tr").count() == 2

    # -- the invitation in the mail catcher, its calendar file read by icalendar ------------------
    mail = until(lambda: web.catcher.store.to(anna), timeout=120, what="Anna's invitation")[0]
    method, event = calendar_of(mail)
    assert (method, int(event["SEQUENCE"])) == ("REQUEST", 1)
    assert event["DTSTART"].dt.astimezone(AMSTERDAM).date() == first_day
    assert "Vergaderzaal 2" in str(event["LOCATION"])

    # -- the clock moves on: the session began 3 hours ago ------------------------------------------
    session_id = run_async(the_clock_moves_on(web, slug, ids[anna]))

    # -- check-in on a phone, a 9-digit BIG number kept as 11 digits --------------------------------
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="nl-NL",
        accept_downloads=True,
    )
    phone = phone_context.new_page()
    sign_in(phone, web, slug, anna)
    phone.goto(web.tenant_url(slug, f"/aanmelden/{session_id}"))
    phone.get_by_label("BIG-nummer").fill("123 456 789")
    phone.get_by_role("button", name="Aanmelden").tap()
    phone.get_by_text("U bent aangemeld voor deze groepsbespreking.").wait_for()
    assert phone.locator("strong.big-number").inner_text() == "00123456789"
    narrow_enough(phone)
    checked.page(phone, "cycle-checkin-phone")

    # -- the coordinator's GAIA spreadsheet: the number as text, zeros kept --------------------------
    today = datetime.now(UTC).date()
    page.goto(web.tenant_url(slug, f"/bespreking/{session_id}/accreditatie"))
    page.get_by_label("Activiteitnummer (ID-nummer)").fill("456789")
    page.get_by_label("Punten").fill("2")
    page.get_by_label("Vereniging", exact=True).fill("NVvH")
    page.get_by_label("Geldig vanaf").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Geldig tot en met").fill((today + timedelta(days=300)).isoformat())
    page.get_by_role("button", name="Accreditatie opslaan").click()
    page.get_by_text("De accreditatie is opgeslagen.").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Presentielijst (Excel)").click()
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))["GAIA"]
    cells = {
        sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=1) for r in range(2, sheet.max_row + 1)
    }
    assert cells["Dr. Cyclus 01"].value == "00123456789" and cells["Dr. Cyclus 01"].data_type == "s"
    assert cells["Dr. Cyclus 01"].number_format == "@"
    desk.close()

    # -- the facilitator's notes, released; read by their owner only ---------------------------------
    lead_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    lead = lead_context.new_page()
    sign_in(lead, web, slug, facilitator)
    lead.goto(web.tenant_url(slug, f"/bespreking/{session_id}/verslagen/{ids[anna]}"))
    lead.get_by_label("Besproken onderwerpen").fill(NOTES)
    lead.get_by_role("button", name="Opslaan", exact=True).click()
    lead.get_by_role("button", name="Vrijgeven aan de deelnemer").click()
    lead.get_by_text("Het verslag is vrijgegeven; de deelnemer krijgt bericht.").wait_for()
    phone.goto(web.tenant_url(slug, f"/gespreksverslag/{session_id}"))
    assert NOTES in phone.locator(".notes-text").inner_text()
    for who in (bram, coordinator):
        other_context = browser.new_context(locale="nl-NL")
        other = other_context.new_page()
        sign_in(other, web, slug, who)
        for path in (f"/gespreksverslag/{session_id}", f"/bespreking/{session_id}/verslagen/{ids[anna]}"):
            answer = other.goto(web.tenant_url(slug, path))
            assert answer is not None and answer.status in (403, 404), (who, path, answer.status)
            assert "GEHEIM" not in other.content()
        other_context.close()

    # -- the declaration, signed by the facilitator with their password ------------------------------
    lead.goto(web.tenant_url(slug, f"/bespreking/{session_id}"))
    lead.get_by_role("link", name="Te ondertekenen verklaringen").click()
    lead.wait_for_url(re.compile(r"/verklaringen$"))
    item = lead.locator(f"li#p-{ids[anna]}")
    assert "Verklaring deelname evaluatie individueel functioneren (vrijgevestigd)" in item.inner_text()
    # Bram did not check in and was not marked present: no declaration, and why.
    bram_item = lead.locator(f"li#p-{ids[bram]}")
    assert "Geen verklaring: niet aanwezig geweest" in bram_item.inner_text()
    assert bram_item.locator("input[type=password]").count() == 0
    checked.page(lead, "cycle-declarations")
    item.get_by_label("Uw wachtwoord, om te ondertekenen").fill("niet het wachtwoord")
    item.get_by_role("button", name=re.compile("^Ondertekenen")).click()
    item = lead.locator(f"li#p-{ids[anna]}")
    assert "het wachtwoord klopt niet" in item.locator(".error").inner_text()
    item.get_by_label("Uw wachtwoord, om te ondertekenen").fill(PASSWORD)
    item.get_by_role("button", name=re.compile("^Ondertekenen")).click()
    lead.get_by_text("De verklaring is ondertekend.").wait_for()
    assert "Ondertekend op" in lead.locator(f"li#p-{ids[anna]}").inner_text()
    checked.page(lead, "cycle-declarations-signed")
    lead_context.close()

    # -- the participant downloads it (Dutch), read back as text ----------------------------------------
    phone.goto(web.tenant_url(slug, "/mijn-besprekingen"))
    phone.get_by_role("link", name="Mijn verklaringen").tap()
    phone.wait_for_url(re.compile(r"/mijn-verklaringen$"))
    narrow_enough(phone)
    checked.page(phone, "cycle-my-declarations-phone")
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name=re.compile(r"^Download \(Nederlands\)")).first.tap()
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "Verklaring deelname evaluatie individueel functioneren" in text
    for value in (
        "Dr. Cyclus 01",
        "00123456789",
        "Cardiologie",
        f"Ziekenhuis {slug}",
        "IFMS",
        "Greet Gespreksleider",
    ):
        assert value in text, value
    assert "GEHEIM" not in text and "werkdruk" not in text
    address = re.search(r"(http://\S+/verklaring/[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})", text)
    assert address is not None, text
    assert address.group(1).startswith(web.tenant_url(slug, "/verklaring/"))
    phone_context.close()

    # -- anyone holding it checks it at its address, without signing in ---------------------------------
    visitor_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    visitor = visitor_context.new_page()
    answer = visitor.goto(address.group(1))
    assert answer is not None and answer.status == 200
    main = visitor.inner_text("main")
    assert "Deze verklaring is echt" in main and "Dr. Cyclus 01" in main and "Greet Gespreksleider" in main
    assert "00123456789" not in main and "Cardiologie" not in main and "GEHEIM" not in main
    checked.page(visitor, "cycle-verified")
    unknown = visitor.goto(web.tenant_url(slug, "/verklaring/AAAA-BBBB-CCCC-DDDD"))
    assert unknown is not None and unknown.status == 404
    visitor_context.close()
    assert not checked.violations, checked.violations
