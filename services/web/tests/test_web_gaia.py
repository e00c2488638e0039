"""The coordinator's accreditation tab of a discussion session and the "Nog te registreren" list,
in a real browser.

A session that has ended (written with the accreditation service's own store, as the check-in
test does), two participants present with their BIG numbers (one with a leading zero) and one
partly present. The coordinator sets the GAIA activity (a wrong activity number first: refused
at its field, what was typed kept), downloads the spreadsheet (opened with openpyxl: the BIG
number as text with its zero), sees the session in "Nog te registreren", registers everyone and
sees the list empty of it. A facilitator is refused the tab. axe-core on every page, screenshots
in test-artifacts/web-gaia-*.png.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pymongo import AsyncMongoClient
from web_browser import Checked, run_async, sign_in
from web_helpers import WebDeployment, make_hospital
from web_sessions import past_session

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def ended_session(
    web: WebDeployment, tenant: str, people: dict[str, tuple[str, str, str]], facilitator: str
) -> str:
    """An IFMS session that ended an hour ago; people: id -> (name, status, BIG number)."""
    from spiegel_accreditation.storage import Store

    session_id = await past_session(
        web,
        tenant,
        {person_id: name for person_id, (name, _, _) in people.items()},
        facilitator,
        started_ago=timedelta(hours=3),
        location="Zaal GAIA",
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        for person_id, (_, status, big) in people.items():
            await store.attendance.insert(
                {
                    "id": f"{session_id}/{person_id}",
                    "session_id": session_id,
                    "person_id": person_id,
                    "status": status,
                    "minutes": 120 if status == "present" else 60,
                    "source": "facilitator",
                    "reason": "",
                    "checked_in_at": None,
                    "evaluated": False,
                    "version": 1,
                }
            )
            if big:
                await store.big_numbers.insert({"id": person_id, "big_number": big})
        return session_id
    finally:
        await client.close()


def test_the_coordinators_accreditation_tab(web: WebDeployment, browser: Any) -> None:
    slug = f"ga-{uuid.uuid4().hex[:6]}"
    coordinator, facilitator = (f"{who}@{slug}.nl" for who in ("co", "gl"))
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Cora Coördinator", "coordinator"),
                (facilitator, "Greet Gespreksleider", "facilitator"),
            ],
        )
    )
    session_id = run_async(
        ended_session(
            web,
            slug,
            {
                "p-anna": ("Anna Arts", "present", "01234567890"),
                "p-bram": ("=Bram Bakker", "present", "12345678901"),
                "p-cor": ("Cor Chirurg", "partial", "22345678901"),
            },
            ids[facilitator],
        )
    )
    checked = Checked()
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True
    )
    page = context.new_page()
    sign_in(page, web, slug, coordinator)
    page.goto(web.tenant_url(slug, f"/bespreking/{session_id}/accreditatie"))
    assert "Anna Arts" in page.inner_text("main")
    checked.page(page, "gaia-session-empty")

    today = datetime.now(UTC).date()
    page.get_by_label("Activiteitnummer (ID-nummer)").fill("45A789")
    page.get_by_label("Punten").fill("2")
    page.get_by_label("Vereniging", exact=True).fill("NVvH")
    page.get_by_label("Geldig vanaf").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Geldig tot en met").fill((today + timedelta(days=300)).isoformat())
    page.get_by_role("button", name="Accreditatie opslaan").click()
    summary = page.locator(".error-summary").first.inner_text()
    assert "activity_number" in summary and "alleen uit cijfers" in summary, summary
    assert page.get_by_label("Vereniging", exact=True).input_value() == "NVvH"
    assert page.get_by_label("Activiteitnummer (ID-nummer)").input_value() == "45A789"
    checked.page(page, "gaia-session-refused")
    page.get_by_label("Activiteitnummer (ID-nummer)").fill("456789")
    page.get_by_role("button", name="Accreditatie opslaan").click()
    page.get_by_text("De accreditatie is opgeslagen.").wait_for()
    checked.page(page, "gaia-session-saved")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Presentielijst (Excel)").click()
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))["GAIA"]
    cells = {
        sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=1) for r in range(2, sheet.max_row + 1)
    }
    assert cells["Anna Arts"].value == "01234567890" and cells["Anna Arts"].data_type == "s"
    assert "'=Bram Bakker" in cells and "Cor Chirurg" not in cells

    # the list of sessions still to register
    page.goto(web.tenant_url(slug, "/nog-te-registreren"))
    row = page.locator("table.responsive tbody tr").first.inner_text()
    assert "456789" in row and "2 van 2" in row, row
    checked.page(page, "gaia-pending")
    page.locator("table.responsive tbody tr a").first.click()

    # register everyone present at once
    page.get_by_label("Voor iedereen die de hele bespreking aanwezig was").check()
    page.get_by_role("radio", name="geregistreerd").check()
    page.get_by_role("button", name="Status opslaan").click()
    page.get_by_text("De registratiestatus is bijgewerkt.").wait_for()
    rows = page.locator("table.responsive tbody tr").all_inner_texts()
    assert any("Anna Arts" in r and "geregistreerd" in r for r in rows), rows
    assert any("Cor Chirurg" in r and "bewijs van deelname" in r for r in rows), rows
    checked.page(page, "gaia-session-registered")
    page.goto(web.tenant_url(slug, "/nog-te-registreren"))
    assert "Alle presentie is geregistreerd." in page.inner_text("main")

    # the deadline per association: refused at its field with what was typed kept, then set
    page.get_by_role("link", name="Termijnen per vereniging").click()
    assert "Nog geen vereniging ingesteld: voor elke accreditatie geldt 42 dagen." in page.inner_text("main")
    page.get_by_label("Vereniging", exact=True).fill(" nvvh ")
    page.get_by_label("Termijn (dagen na de bespreking, 1 tot 366)").fill("0")
    page.get_by_role("button", name="Termijn opslaan").click()
    summary = page.locator(".error-summary").first.inner_text()
    assert "366" in summary, summary
    assert page.get_by_label("Vereniging", exact=True).input_value() == " nvvh "
    checked.page(page, "gaia-associations-refused")
    page.get_by_label("Termijn (dagen na de bespreking, 1 tot 366)").fill("28")
    page.get_by_role("button", name="Termijn opslaan").click()
    page.get_by_text("De termijn van de vereniging is opgeslagen.").wait_for()
    row = page.locator("table.responsive tbody tr").first.inner_text()
    assert "nvvh" in row and "28 dagen na de bespreking" in row, row
    checked.page(page, "gaia-associations")
    # the session's accreditation names "NVvH": its deadline is now the association's
    page.goto(web.tenant_url(slug, f"/bespreking/{session_id}/accreditatie"))
    heading = page.locator("main p.note").first.inner_text()
    assert "termijn van de vereniging" in heading, heading
    assert page.get_by_label("Eigen termijn voor registratie", exact=False).input_value() == ""
    page.goto(web.tenant_url(slug, "/verenigingen"))
    page.get_by_role("button", name="Termijn van nvvh verwijderen").click()
    page.get_by_text("De termijn van de vereniging is verwijderd").wait_for()
    context.close()

    # a facilitator: refused
    other = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    lead = other.new_page()
    sign_in(lead, web, slug, facilitator)
    refused = lead.goto(web.tenant_url(slug, f"/bespreking/{session_id}/accreditatie"))
    assert refused is not None and refused.status == 403
    other.close()
    assert not checked.violations, checked.violations
