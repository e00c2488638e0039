"""A whole IFMS round in a real browser: the coordinator's import to the specialist's PDF.

Chromium (Debian's, through Playwright) drives the pages; respondents open the
links read from the real SMTP server. Three respondents use the browser (one
keyboard only, one on a phone), the others the gateway's respondent endpoints.
Groups: colleagues 5 and staff 4 completed (shown), flex 2 (fewer than 4:
must not appear anywhere). A comment with HTML and script is shown as text,
on the page and in the PDF. axe-core runs on every main page; screenshots go
to test-artifacts/.
"""

from __future__ import annotations

import io
import random
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader
from web_browser import XSS, Checked, answer_by_http, fill_all_by_clicking, run_async, sign_in, sign_out
from web_helpers import WebDeployment, make_hospital

pytestmark = [pytest.mark.integration, pytest.mark.browser]

HIDDEN_COMMENT = "Opmerking-uit-de-kleine-groep-Q7"


def nominee_rows(slug: str) -> list[tuple[str, str, str, str]]:
    rows = [("colleagues", f"Collega {i}", f"collega{i}@{slug}.nl", "nl") for i in range(1, 6)]
    rows += [("staff", f"Medewerker {i}", f"medewerker{i}@{slug}.nl", "nl") for i in range(1, 5)]
    rows += [("flex", f"Assistent {i}", f"assistent{i}@{slug}.nl", "nl") for i in range(1, 3)]
    rows += [("colleagues", "Fout Adres", "fout@gmial.com", "nl")]  # a typo: offered a fix, not saved
    return rows


def keyboard_fill(page: Any) -> None:
    """Answer the whole questionnaire with the keyboard only: Tab into each radio group, arrows to choose."""
    page.locator("#main").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type === 'radio'"):
            break
    answered = set()
    for _ in range(200):
        name = page.evaluate("document.activeElement.type === 'radio' ? document.activeElement.name : ''")
        if not name:
            break
        page.keyboard.press("Space")  # the focused (first) choice
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")  # 4 on the 1-5 scale
        answered.add(name)
        page.keyboard.press("Tab")
    assert len(answered) >= 36, answered
    # The focus is now in the first comment box.
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    page.keyboard.type("Goed bereikbaar, ook 's avonds.")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "submit":
            break
    page.keyboard.press("Enter")


def test_ifms_round_in_the_browser(web: WebDeployment, browser: Any) -> None:
    started = time.monotonic()
    slug = f"zh-{uuid.uuid4().hex[:6]}"
    coordinator, specialist = f"coordinator@{slug}.nl", f"specialist@{slug}.nl"
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Carla Coördinator", "tenant_admin,coordinator"),
                (specialist, "Dr. Sanne Specialist", "specialist"),
                (f"tweede@{slug}.nl", "Dr. Tim Tweede", "specialist"),
                (f"facilitator@{slug}.nl", "Fenna Facilitator", "facilitator"),
            ],
        )
    )
    checked = Checked()
    rng = random.Random(7)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="nl-NL")
    page = desk.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # -- sign-in page, a wrong password, the 404 page -------------------------------------------
    page.goto(web.tenant_url(slug, "/inloggen"))
    checked.page(page, "signin")
    page.get_by_label("E-mailadres").fill(coordinator)
    page.get_by_label("Wachtwoord").fill("fout wachtwoord")
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    assert "klopt niet" in page.locator(".error-summary").inner_text()
    response = page.goto(web.tenant_url(slug, "/bestaat-niet"))
    assert response is not None and response.status == 404
    assert "Pagina niet gevonden" in page.locator("h1").inner_text()
    checked.page(page, "error-404")

    # -- the coordinator creates the IFMS rounds, imports the nominations --------------------------
    sign_in(page, web, slug, coordinator)
    checked.page(page, "coordinator-start")
    page.get_by_role("link", name="Rondes", exact=True).first.click()
    page.get_by_role("link", name="Nieuwe ronde").click()
    checked.page(page, "round-new")
    ifms = page.locator("form", has=page.get_by_role("button", name="IFMS-rondes aanmaken"))
    ifms.get_by_label("Naam van de vrije respondentgroep").fill("Arts-assistenten")
    ifms.get_by_label("Dr. Sanne Specialist").check()
    ifms.get_by_label("Dr. Tim Tweede").check()
    with page.expect_navigation():
        ifms.get_by_role("button", name="IFMS-rondes aanmaken").click()
    assert "2 ronde(s) aangemaakt" in page.locator("[role=status]").inner_text()
    checked.page(page, "rounds")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Dr. Sanne Specialist")).click()
    round_id = page.url.rstrip("/").rsplit("/", 1)[1]
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("sjabloon")).click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book["Respondenten"]
    for index, (group, name, email, lang) in enumerate(nominee_rows(slug), start=2):
        for column, value in enumerate(["", group, name, email, lang], start=1):
            sheet.cell(row=index, column=column, value=value)
    filled = io.BytesIO()
    book.save(filled)
    page.get_by_label("Ingevuld sjabloon").set_input_files(
        files=[
            {"name": "nominaties.xlsx", "mimeType": "application/octet-stream", "buffer": filled.getvalue()}
        ]
    )
    page.get_by_role("button", name="Bestand controleren").click()
    assert "Controle van het bestand" in page.locator("h1").inner_text()
    bad_row = page.locator("tr", has_text="fout@gmial.com")
    assert "gmail.com" in bad_row.inner_text()  # the row's problem and the fix offered, before saving
    checked.page(page, "import-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Bevestigen en opslaan").click()
    assert "11 respondent(en) opgeslagen" in page.locator("[role=status]").inner_text()
    checked.page(page, "import-done")
    page.get_by_role("link", name="Terug naar de ronde").click()
    page.get_by_label("Ik open de ronde toch, met deze groepen zoals ze zijn").check()  # the group of 2
    with page.expect_navigation():
        page.get_by_role("button", name="Ronde openen").click()
    assert "geopend" in page.locator("[role=status]").inner_text()
    checked.page(page, "round-detail")

    # -- invitations arrive at the SMTP server ----------------------------------------------------
    links = {email: web.wait_for_link(email) for _, _, email, _ in nominee_rows(slug)[:-1]}
    self_link = web.wait_for_link(specialist)

    # -- respondents in the browser: keyboard only; a phone with the missing-items check -----------
    respondent = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    keyboard = respondent.new_page()
    keyboard.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    keyboard.goto(web.tenant_url(slug, f"/e/{links[f'collega1@{slug}.nl']}"))
    assert "/vragenlijst" in keyboard.url and "/e/" not in keyboard.url
    assert "10 tot 15 minuten" in keyboard.content() and "anoniem" in keyboard.content()
    checked.page(keyboard, "questionnaire")
    keyboard_fill(keyboard)
    keyboard.wait_for_url(re.compile(r"/bedankt"))
    checked.page(keyboard, "thanks")
    respondent.close()

    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="nl-NL",
    )
    phone = phone_context.new_page()
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    phone.goto(web.tenant_url(slug, f"/e/{links[f'collega2@{slug}.nl']}"))
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "questionnaire-phone")
    phone.locator("fieldset.rating").first.locator("label.choice").nth(4).tap()
    phone.get_by_label(re.compile("gaat goed|goes well", re.I)).first.fill(XSS)
    # Autosave (the script) keeps the draft: a reload shows the answer and the comment again.
    phone.get_by_text("Automatisch bewaard").wait_for()  # (wait_for_function would need eval: CSP)
    phone.reload()
    assert phone.locator("fieldset.rating").first.locator("input[value='5']").is_checked()
    assert phone.get_by_label(re.compile("gaat goed|goes well", re.I)).first.input_value() == XSS
    phone.get_by_role("button", name="Versturen").tap()
    summary = phone.locator("#missing-summary")
    assert "Nog niet alles is beantwoord (35)" in summary.inner_text()
    checked.page(phone, "questionnaire-missing")
    summary.get_by_role("link").first.tap()
    assert phone.url.endswith("#item-" + phone.locator("fieldset.missing").first.get_attribute("id")[5:])
    fill_all_by_clicking(phone)
    phone.get_by_role("button", name="Versturen").tap()
    phone.wait_for_url(re.compile(r"/bedankt"))
    # The used link: a friendly page, not JSON.
    used = phone.goto(web.tenant_url(slug, f"/e/{links[f'collega2@{slug}.nl']}"))
    assert used is not None and used.status == 409
    assert "Al ingevuld" in phone.locator("h1").inner_text()
    checked.page(phone, "link-used")
    unknown = phone.goto(web.tenant_url(slug, "/e/" + "x" * 32))
    assert unknown is not None and unknown.status == 404
    assert "werkt niet" in phone.locator("h1").inner_text()
    # The opt-out link of the invitation mail: one button, no sign-in.
    phone.goto(web.tenant_url(slug, f"/e/{links[f'assistent2@{slug}.nl']}/afmelden"))
    checked.page(phone, "optout")
    phone.get_by_role("button", name="Geen herinneringen meer sturen").tap()
    assert "geen herinneringen meer" in phone.locator("[role=status]").inner_text()
    phone_context.close()

    # -- the others through the respondent endpoints (links from the mails) --------------------
    for email in [f"collega{i}@{slug}.nl" for i in (3, 4, 5)] + [
        f"medewerker{i}@{slug}.nl" for i in range(1, 5)
    ]:
        answer_by_http(web, slug, links[email], rng)
    answer_by_http(web, slug, links[f"assistent1@{slug}.nl"], rng, comment=HIDDEN_COMMENT)

    # -- the specialist: dashboard counts while open, nominating with live warnings -------------
    sign_out(page)
    sign_in(page, web, slug, specialist)
    # "Te doen": the self-evaluation opens from the dashboard (the same link as in the mail) ...
    assert (
        page.get_by_role("link", name=re.compile("Zelfevaluatie invullen"))
        .get_attribute("href")
        .endswith(self_link)
    )
    page.get_by_role("link", name=re.compile("Zelfevaluatie invullen")).click()
    assert "zelfevaluatie" in page.locator(".lead").inner_text()
    fill_all_by_clicking(page)
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url(re.compile(r"/bedankt"))
    # ... and the specialist is still signed in afterwards.
    page.goto(web.tenant_url(slug, "/start"))
    assert "Welkom" in page.locator("h1").inner_text()
    mine = page.locator("article.round", has_text="Dr. Sanne Specialist")
    mine.wait_for()
    assert "Collega-specialisten" in mine.inner_text()
    checked.page(page, "specialist-start")
    mine.get_by_role("link", name=re.compile("Respondenten nomineren")).click()
    page.get_by_label("Respondentgroep").select_option("flex")
    assert "2 genomineerden" in page.locator("#group-live").inner_text()
    page.get_by_label("Naam").fill("Assistent Drie")
    page.get_by_label("E-mailadres").fill(f"assistent3@{slug}.nl")
    with page.expect_navigation():
        page.get_by_role("button", name="Toevoegen").click()
    if page.get_by_label(re.compile("Toch toevoegen")).count():
        page.get_by_label(re.compile("Toch toevoegen")).check()
        page.get_by_role("button", name="Toevoegen").click()
    assert "Assistent Drie is toegevoegd" in page.locator("[role=status]").inner_text()
    assert "Arts-assistenten" in page.locator(".warnings").inner_text()  # still fewer than 6
    checked.page(page, "nominations")
    sign_out(page)

    # -- the coordinator reminds, then closes the round ------------------------------------------
    sign_in(page, web, slug, coordinator)
    page.goto(web.tenant_url(slug, f"/rondes/{round_id}"))
    with page.expect_navigation():
        page.get_by_role("button", name="Herinnering sturen").click()
    assert "herinnering(en) klaargezet" in page.locator("[role=status]").inner_text()
    page.get_by_text(re.compile(r"Per persoon \(\d+\)")).click()
    assert "Arts-assistenten" in page.locator("details").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Opnieuw versturen Assistent 2")).click()
    assert "opnieuw verstuurd" in page.locator("[role=status]").inner_text()
    page.get_by_label(re.compile("Ik wil deze ronde nu sluiten")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Ronde sluiten").click()
    assert "gesloten" in page.locator("[role=status]").inner_text()
    closed = page.goto(web.tenant_url(slug, f"/e/{links[f'assistent2@{slug}.nl']}"))
    assert closed is not None and closed.status == 410
    assert "gesloten" in page.locator("h1").inner_text()
    page.goto(web.tenant_url(slug, "/instellingen"))
    checked.page(page, "settings")
    # A discussion session for the facilitator, planned in the accreditation service (the API, as
    # the coordinator; the planning pages have their own test), once it has learnt the round closed.
    csrf = page.request.get(web.tenant_url(slug, "/auth/session")).json()["csrf_token"]
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    deadline = time.monotonic() + 60
    while True:
        made = page.request.post(
            web.tenant_url(slug, "/api/accreditation/sessions"),
            data={
                "kind": "IFMS",
                "participants": [{"person_id": ids[specialist], "round_id": round_id}],
                "facilitator_ids": [ids[f"facilitator@{slug}.nl"]],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "location": "Zaal Intervisie",
            },
            headers={"x-csrf-token": csrf},
        )
        if made.status == 201 or time.monotonic() > deadline:
            break
        time.sleep(1)  # the accreditation service learns the closed round from the survey's event
    assert made.status == 201, made.text()
    sign_out(page)

    # -- the specialist reads the report and downloads the PDF ----------------------------------
    sign_in(page, web, slug, specialist)
    deadline = time.monotonic() + 90
    while not page.get_by_role("link", name=re.compile("Dr. Sanne Specialist")).count():
        assert time.monotonic() < deadline, "no report in 'mijn rapportages' within 90 s"
        time.sleep(1)
        page.reload()
    page.get_by_role("link", name=re.compile("Dr. Sanne Specialist")).first.click()
    report_text = page.locator(".report").inner_text()
    assert XSS in report_text  # shown as text ...
    assert page.locator(".report b", has_text=re.compile("^x$")).count() == 0  # ... never as markup
    assert HIDDEN_COMMENT not in page.content()  # the flex group (2 < 4) stays out
    assert page.locator(".report svg").count() > 0  # the charts
    checked.page(page, "report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download als PDF").click()
    pdf = PdfReader(download.value.path())
    pdf_text = "".join(p.extract_text() or "" for p in pdf.pages)
    flat = re.sub(r"\s+", "", pdf_text)
    assert re.sub(r"\s+", "", XSS) in flat
    assert HIDDEN_COMMENT not in flat
    # English on request.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # waits for the new page
    assert page.get_by_role("link", name="Download as PDF").count() == 1
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    # -- the POP: a goal linked to an item of the own report, picked from the list ----------------
    page.get_by_role("link", name="Mijn ontwikkelplan").first.click()
    page.get_by_role("button", name=re.compile("Beginnen voor")).first.click()
    reason = page.get_by_label("Waarom: uit uw rapportage of gespreksverslag")
    strengths = reason.locator("optgroup", has=page.locator("option")).first
    assert strengths.get_attribute("label") == "Sterk punt"
    first_strength = strengths.locator("option").first
    label, value = first_strength.inner_text(), first_strength.get_attribute("value")
    assert value and value.startswith("strength:") and label
    page.get_by_label("Wat wilt u bereiken?").first.fill("Dit sterke punt vaker inzetten bij overdrachten")
    reason.select_option(value)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw ontwikkelplan is bewaard")).to_be_visible()
    expect(page.get_by_label("Waarom: uit uw rapportage of gespreksverslag").first).to_have_value(value)
    checked.page(page, "pop-with-report-items")
    sign_out(page)

    # -- the facilitator prepares the discussion ----------------------------------------------
    sign_in(page, web, slug, f"facilitator@{slug}.nl")
    page.get_by_role("link", name=re.compile("Zaal Intervisie")).click()
    # The preparation follows the accreditation's session event (through its relay and the
    # aggregation's consumer): a moment after planning.
    deadline = time.monotonic() + 60
    while "Dr. Sanne Specialist" not in (
        page.locator(".report").inner_text() if page.locator(".report").count() else ""
    ):
        assert time.monotonic() < deadline, "no preparation within 60 s"
        time.sleep(1)
        page.reload()
    assert "Dr. Sanne Specialist" in page.locator(".report").inner_text()
    # The themes panel (none chosen yet: the accreditation's data, beside the aggregation's).
    assert "nog geen thema" in page.locator("#themes-title").locator("..").inner_text()
    assert XSS not in page.content()  # (never as markup; the preparation may leave comments out)
    checked.page(page, "facilitator-preparation")
    desk.close()

    assert not dialogs, dialogs  # no script ever ran
    assert not checked.violations, checked.violations
    assert ids and time.monotonic() - started < 300


def test_opt_out_page_needs_the_link(web: WebDeployment) -> None:
    """The opt-out page of a link that does not exist is a friendly page, also without a browser."""
    response = httpx.get(
        web.tenant_url("demo-nergens", "/e/" + "y" * 32 + "/afmelden"), headers={"accept": "text/html"}
    )
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
