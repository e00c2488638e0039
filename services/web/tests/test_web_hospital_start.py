"""A hospital's whole start in a real browser, without a single API call from the test (issue 18,
point 7): an operator signs in on the platform's address and creates a hospital with its first
administrator; the administrator activates the account from the real mail in the mail catcher,
imports 30 people and two groups from an xlsx spreadsheet with errors (the check names each by row
and column, one suggested fix is ticked, the other rows are left out), and makes one of them a
coordinator; the coordinator activates the account from their mail and creates a Groepsmonitor
round for one group (its members ticked in advance) and IFMS rounds for the group's members.

The test talks to nothing but Chromium and the mail catcher's store. Screenshots of the main steps
(at 1280 px and on a 390x844 phone) are in test-artifacts/web-start-*.png."""

from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from spiegel_dev.browser import artifacts_dir
from test_web_operator import NEW_PASSWORD, activation_link, make_operator
from web_browser import Checked, run_async
from web_helpers import PASSWORD, WebDeployment

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CARDIOLOGY = "Vakgroep Cardiologie"
PULMONOLOGY = "Maatschap Longziekten"
# 30 people: six cardiologists and six pulmonologists in a group each, eighteen other specialists.
FIRST = (
    "Anna Bakker", "Bram de Boer", "Carla Visser", "Daan Smit", "Eva Meijer", "Frank de Graaf",
    "Gerda Mulder", "Hans de Vries", "Ilse van Dijk", "Jeroen Bos", "Karin Vos", "Lars Peters",
    "Marieke Hendriks", "Niels van Leeuwen", "Olga Dekker", "Pieter Brouwer", "Quirine de Wit",
    "Ruud Dijkstra", "Sanne Smits", "Thijs de Jong", "Ursula Kok", "Victor van der Linden",
    "Wendy Janssen", "Xander Vermeulen", "Yvonne van den Berg", "Zeger Kuipers", "Anouk Verhoeven",
    "Bas Willems", "Charlotte Jacobs", "Dirk van Wijk",
)  # fmt: skip


def _address(name: str, slug: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{slug}.nl"


def people_spreadsheet(slug: str) -> tuple[bytes, dict[str, Any]]:
    """The administrator's spreadsheet: 30 good rows (one of them with an address in capitals,
    offered as a fix) and four rows with errors that are left out. Returns the file and what the
    test expects of it (row numbers as the check page shows them: the header is row 1)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Mensen"
    sheet.append(["Naam", "E-mailadres", "Rol", "Specialisme", "Groep", "Dienstverband", "BIG-nummer"])
    rows: list[list[str]] = []
    for i, name in enumerate(FIRST):
        group, specialism = "", "Interne geneeskunde"
        if i < 6:
            group, specialism = CARDIOLOGY, "Cardiologie"
        elif i < 12:
            group, specialism = PULMONOLOGY, "Longziekten"
        employment = "vrijgevestigd" if i % 2 else "loondienst"
        rows.append([f"Dr. {name}", _address(name, slug), "specialist", specialism, group, employment, ""])
    capitals_row = 2 + 14  # Olga Dekker's address typed in capitals: the suggested fix, ticked
    rows[14][1] = rows[14][1].upper()
    rows += [
        ["Dr. Erik Twee", _address("Anna Bakker", slug), "specialist", "", "", "", ""],  # address twice
        ["", f"zonder.naam@{slug}.nl", "specialist", "", "", "", ""],  # no name
        ["Dr. Fleur Fout", f"fleur.fout@{slug}.nl", "specialisten", "", "", "", ""],  # a role misspelled
        ["Dr. Gijs Getal", f"gijs.getal@{slug}.nl", "specialist", "", "", "", "12345"],  # no BIG number
    ]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    first_bad = 2 + len(FIRST)
    return buffer.getvalue(), {
        "capitals_row": capitals_row,
        "capitals_address": _address("Olga Dekker", slug),
        "errors": dict(enumerate(("e-mailadres", "naam", "rol", "BIG-nummer"), start=first_bad)),
        "rows": len(rows),
    }


def shot(checked: Checked, page: Any, name: str) -> None:
    """A screenshot (and axe-core) at 1280 px and on a phone, and no page wider than its window."""
    checked.page(page, f"start-{name}")
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    checked.page(page, f"start-{name}-phone", axe=False)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size(size)
    assert overflow <= 0, f"{name} on a phone is {overflow} px wider than the window"


def set_password(page: Any, link: str, email: str) -> None:
    page.goto(link)
    page.get_by_label("Nieuw wachtwoord", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    page.wait_for_url(re.compile(r"/inloggen"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/start$"))


def test_a_hospital_starts_from_the_browser(web: WebDeployment, browser: Any, tmp_path: Path) -> None:
    try:
        walk(web, browser, tmp_path)
    except BaseException:
        # Where it stopped: the pages still open, for the person reading the failure.
        for n, open_page in enumerate(p for c in browser.contexts for p in c.pages):
            open_page.screenshot(path=str(artifacts_dir() / f"web-start-failed-{n}.png"), full_page=True)
        raise


def walk(web: WebDeployment, browser: Any, tmp_path: Path) -> None:
    started = time.monotonic()
    laps: list[str] = []

    def lap(step: str) -> None:
        laps.append(f"{step} {time.monotonic() - started:.1f}")

    # The platform's operator account is made like `make run` makes it (there is no page for it).
    operator = f"operator-{uuid.uuid4().hex[:6]}@spiegel-test.nl"
    run_async(make_operator(web.env, operator))
    slug = f"zh-{uuid.uuid4().hex[:6]}"
    admin = f"beheer@{slug}.nl"
    checked = Checked()

    # 1. The operator creates the hospital and invites its administrator.
    context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{web.url}/")
    page.wait_for_url(re.compile(r"/inloggen$"))
    page.get_by_label("E-mailadres").fill(operator)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/ziekenhuizen$"))
    page.get_by_role("link", name="Nieuw ziekenhuis").first.click()
    page.get_by_label("Naam", exact=True).fill("Ziekenhuis Rivierenland")
    page.get_by_label("Adres (slug)").fill(slug)
    page.get_by_label("Anonimiteitsdrempel").fill("5")
    page.get_by_label("Nederlands").check()
    page.get_by_label("Ook de andere taal aanbieden").check()
    page.get_by_label("Naam van de beheerder").fill("Bea Beheer")
    page.get_by_label("E-mailadres van de beheerder").fill(admin)
    shot(checked, page, "operator-new")
    page.get_by_role("button", name="Ziekenhuis aanmaken en beheerder uitnodigen").click()
    page.wait_for_url(re.compile(rf"/ziekenhuizen\?aangemaakt={slug}$"))
    row = page.locator(f'tr[data-slug="{slug}"]')
    expect(row).to_contain_text("Ziekenhuis Rivierenland")
    expect(row).to_contain_text("Actief")
    expect(row).to_contain_text("5")
    shot(checked, page, "operator-hospitals")
    context.close()

    lap("operator")
    # 2. The administrator: the account activated from the real mail.
    context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    set_password(page, activation_link(web, admin), admin)
    expect(page.locator("header")).to_contain_text("Ziekenhuis Rivierenland")

    lap("activated")
    # 3. The import: the check names every problem by row and column, nothing is saved yet.
    content, expect_of = people_spreadsheet(slug)
    upload = tmp_path / "mensen.xlsx"
    upload.write_bytes(content)
    page.get_by_role("link", name="Mensen").first.click()
    page.wait_for_url(re.compile(r"/mensen$"))
    page.get_by_role("link", name="Mensen importeren").click()
    page.get_by_label("Bestand (xlsx of csv)").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="Bestand controleren").click()
    summary = page.locator("main").inner_text()
    counted = f"{expect_of['rows']} rijen; 29 in orde, 0 met een waarschuwing, 5 met een fout"
    assert counted in summary, summary
    assert CARDIOLOGY in page.locator(".warnings").inner_text()
    assert PULMONOLOGY in page.locator(".warnings").inner_text()
    for number, column in expect_of["errors"].items():
        cell = page.locator(f"#row-{number}")
        expect(cell).to_contain_text("fout")
        expect(cell.locator(".problems")).to_contain_text(f"{column}:")
    capitals = page.locator(f"#row-{expect_of['capitals_row']}")
    expect(capitals.locator(".problems")).to_contain_text("e-mailadres:")
    shot(checked, page, "import-check")
    # One suggested fix ticked (the address in small letters); the misspelled role's is not: that
    # row, like the other three with errors, stays out. Everyone gets an activation mail.
    capitals.get_by_label(f"Gebruik '{expect_of['capitals_address']}'").check()
    page.get_by_label("Iedereen die wordt toegevoegd direct een activatiemail sturen").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("[role=status]")).to_contain_text("30 personen zijn toegevoegd")
    expect(page.locator("main")).to_contain_text(CARDIOLOGY)
    shot(checked, page, "import-done")

    lap("imported")
    # The people pages: 30 and the administrator, two pages of 25; the fixed address as ticked.
    page.get_by_role("link", name="Naar de lijst met mensen").click()
    page.wait_for_url(re.compile(r"/mensen$"))
    expect(page.get_by_role("status").first).to_contain_text("31 personen gevonden")
    shot(checked, page, "people")
    page.get_by_label("Zoeken op naam of e-mailadres").fill("Olga")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("tbody")).to_contain_text(expect_of["capitals_address"])
    for left_out in ("Erik Twee", "Fleur Fout", "Gijs Getal"):
        page.get_by_label("Zoeken op naam of e-mailadres").fill(left_out)
        page.get_by_role("button", name="Zoeken").click()
        expect(page.get_by_role("status").first).to_contain_text("0 personen gevonden")

    # The groups, with their members.
    page.get_by_role("link", name="Groepen").first.click()
    expect(page.locator("main")).to_contain_text(CARDIOLOGY)
    expect(page.locator("main")).to_contain_text(PULMONOLOGY)
    page.get_by_role("link", name=PULMONOLOGY).click()
    expect(page.locator("main .note").first).to_have_text("Maatschap · Longziekten")
    page.get_by_role("link", name="Terug naar de groepen").click()
    page.get_by_role("link", name=CARDIOLOGY).click()
    # Made by the import as what the rows say: a vakgroep of cardiologists (the specialism the rows share).
    expect(page.locator("main .note").first).to_have_text("Vakgroep · Cardiologie")
    members = page.locator("#members-title")
    expect(members).to_contain_text("(6)")
    for name in FIRST[:6]:
        expect(page.locator("main ul.list")).to_contain_text(f"Dr. {name}")
    shot(checked, page, "group")

    lap("groups")
    # 4. One of the specialists without a group becomes a coordinator (a specialist still).
    coordinator_name = f"Dr. {FIRST[20]}"
    coordinator = _address(FIRST[20], slug)
    page.goto(web.tenant_url(slug, "/mensen"))
    page.get_by_label("Zoeken op naam of e-mailadres").fill(FIRST[20])
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name=coordinator_name).click()
    page.get_by_label("Coördinator").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("[role=status]")).to_contain_text("De wijzigingen zijn opgeslagen")
    expect(page.get_by_label("Coördinator")).to_be_checked()
    expect(page.get_by_label("Specialist")).to_be_checked()
    shot(checked, page, "person")
    context.close()

    lap("coordinator made")
    # 5. The coordinator: activated from the import's mail, a Groepsmonitor for the cardiologists.
    context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    set_password(page, activation_link(web, coordinator), coordinator)
    page.get_by_role("link", name="Groepen").first.click()
    page.get_by_role("link", name=CARDIOLOGY).click()
    page.get_by_role("link", name="Groepsmonitor voor deze groep starten").click()
    form = page.locator("form", has=page.get_by_role("button", name="Groepsmonitor aanmaken").last)
    expect(form.get_by_label("Groep", exact=True)).to_have_value(re.compile(".+"))
    for i, name in enumerate(FIRST):
        box = form.get_by_label(f"Dr. {name}", exact=True)
        if i < 6:
            expect(box).to_be_checked()
        else:
            expect(box).not_to_be_checked()
    form.get_by_label("Titel").fill("Groepsmonitor Cardiologie 2027")
    shot(checked, page, "new-group-monitor")
    form.get_by_role("button", name="Groepsmonitor aanmaken").last.click()
    page.wait_for_url(re.compile(r"/rondes/[^/]+\?aangemaakt=1$"))
    expect(page.locator("main")).to_contain_text("Groepsmonitor Cardiologie 2027")

    lap("group monitor")
    # IFMS rounds for the group's six members.
    page.goto(web.tenant_url(slug, "/rondes/nieuw"))
    ifms = page.locator("form", has=page.get_by_role("button", name="IFMS-rondes aanmaken"))
    ifms.get_by_label("Titel").fill("IFMS Cardiologie 2027")
    for name in FIRST[:6]:
        ifms.get_by_label(re.compile(f"^Dr. {name}")).check()
    ifms.get_by_role("button", name="IFMS-rondes aanmaken").click()
    page.wait_for_url(re.compile(r"/rondes\?aangemaakt=6$"))
    expect(page.locator("[role=status]")).to_contain_text("6 ronde(s) aangemaakt")
    table = page.locator("main table")
    expect(table).to_contain_text("Groepsmonitor Cardiologie 2027")
    expect(table.locator("tbody tr")).to_have_count(7)
    for name in FIRST[:6]:
        expect(table).to_contain_text(f"Dr. {name}")
    shot(checked, page, "rounds")
    context.close()

    elapsed = time.monotonic() - started
    print(
        f"hospital start-up in the browser: {elapsed:.1f} s ({', '.join(laps)}), pages: {len(checked.pages)}"
    )
    assert not checked.violations, checked.violations
