"""The coordinator's planning of group discussions, in a real browser (issue 19, points 1 and 9).

Eleven specialists whose IFMS rounds have closed (written in the accreditation service's own
store, as the survey's events would have left them, like test_web_checkin.py does). The
coordinator opens "Groepsbesprekingen" from the navigation, chooses the eleven, gets the proposal
6 + 5 on separate dates, moves one person (5 + 6), empties the second group's place and saves:
the first group is saved, the second is refused with the service's reason and keeps what was
typed; with a place it is saved too and both are listed. The invitation mails (the sessions are
days away, within the week) arrive in the mail catcher; a reschedule refused for a date in the
past (the input kept), then done: the updated invitations carry SEQUENCE 2. A cancellation after
its confirmation step. The pages on a 390x844 phone; axe-core on each; screenshots in
test-artifacts/web-plan-*.png. Then over HTTP: who may not (specialist, facilitator, board: 403;
another hospital's coordinator: the session is unknown, 404).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect
from pymongo import AsyncMongoClient
from spiegel_dev.mailcatcher import CaughtMessage
from spiegel_dev.waiting import until
from test_web_groups import is_page, signed_in
from web_browser import Checked, run_async, sign_in
from web_helpers import WebDeployment, make_hospital

pytestmark = [pytest.mark.integration, pytest.mark.browser]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def closed_rounds(web: WebDeployment, tenant: str, people: dict[str, str]) -> dict[str, str]:
    """A closed IFMS round for each of `people` (person id -> name), as the accreditation service
    keeps them from the survey's RoundCreated and RoundClosed; person id -> round id."""
    from spiegel_accreditation.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    rounds = {}
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        for person_id, name in people.items():
            round_id = f"r-{uuid.uuid4().hex[:10]}"
            await store.rounds.insert(
                {
                    "id": round_id,
                    "kind": "IFMS",
                    "subject_id": person_id,
                    "subject_name": name,
                    "title": f"IFMS 2026 – {name}",
                    "member_ids": [],
                    "closed": True,
                    "closed_at": datetime.now(UTC) - timedelta(days=3),
                }
            )
            rounds[person_id] = round_id
    finally:
        await client.close()
    return rounds


async def closed_group_round(web: WebDeployment, tenant: str, name: str, members: list[str]) -> str:
    """A closed Groepsmonitor round of a group (its subject) with its members."""
    from spiegel_accreditation.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        round_id = f"gm-{uuid.uuid4().hex[:10]}"
        await store.rounds.insert(
            {
                "id": round_id,
                "kind": "GROUP_MONITOR",
                "subject_id": f"group-{uuid.uuid4().hex[:8]}",
                "subject_name": name,
                "title": f"Groepsmonitor 2026 – {name}",
                "member_ids": members,
                "closed": True,
                "closed_at": datetime.now(UTC) - timedelta(days=3),
            }
        )
        return round_id
    finally:
        await client.close()


def calendar_of(message: CaughtMessage) -> tuple[str, Any]:
    part = next(p for p in message.message.walk() if p.get_content_type() == "application/ics")
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    return str(calendar["METHOD"]), calendar.walk("VEVENT")[0]


def narrow_enough(page: Any) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390


def test_coordinator_plans_eleven_specialists_moves_one_saves_and_reschedules(
    web: WebDeployment, browser: Any
) -> None:
    slug = f"pl-{uuid.uuid4().hex[:6]}"
    coordinator, facilitator, second_facilitator = (f"{w}@{slug}.nl" for w in ("coord", "gl", "gl2"))
    specialists = [(f"s{n:02d}@{slug}.nl", f"Dr. Spec {n:02d}") for n in range(1, 13)]
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Carla Coördinator", "coordinator"),
                (facilitator, "Greet Gespreksleider", "facilitator"),
                (second_facilitator, "Hans Helper", "facilitator"),
                (f"board@{slug}.nl", "Bram Bestuur", "board"),
                *[(email, name, "specialist") for email, name in specialists],
            ],
        )
    )
    # The 12th specialist's round closes too: the one who joins by a swap later.
    rounds = run_async(closed_rounds(web, slug, {ids[email]: name for email, name in specialists}))
    group_round = run_async(
        closed_group_round(web, slug, "Maatschap Longziekten", [ids[e] for e, _ in specialists[6:9]])
    )
    checked = Checked()
    first_day = (datetime.now(AMSTERDAM) + timedelta(days=2)).date()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = desk.new_page()
    sign_in(page, web, slug, coordinator)
    page.locator("nav.main-nav").get_by_role("link", name="Groepsbesprekingen").click()
    page.wait_for_url(re.compile(r"/groepsbesprekingen$"))
    assert "nog geen groepsbesprekingen gepland" in page.inner_text("main")
    page.get_by_role("link", name="Groepsbesprekingen plannen").click()
    page.wait_for_url(re.compile(r"/groepsbesprekingen/plannen$"))
    checked.page(page, "plan-choose")

    # -- step 1: the eleven, separate dates (the default), the first date, defaults --------------
    refused = page.get_by_role("button", name="Voorstel maken")
    page.get_by_label("Datum (van de eerste bespreking)").fill(first_day.isoformat())
    refused.click()  # nobody chosen: refused, the date kept
    assert "Kies ten minste één specialist" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("Datum (van de eerste bespreking)").input_value() == first_day.isoformat()
    for _, name in specialists[:11]:
        page.get_by_label(re.compile(rf"^{name}")).check()
    assert page.get_by_label("Aparte data (aanbevolen)").is_checked()
    page.get_by_label("Dagen tussen twee besprekingen (bij aparte data)").fill("2")
    page.get_by_label("Plaats (zaal, adres)").fill("Vergaderzaal 2")
    page.get_by_label("Gespreksleider", exact=True).select_option(label="Greet Gespreksleider")
    page.get_by_role("button", name="Voorstel maken").click()

    # -- step 2: the proposal, 6 + 5; one person moved; the second group's place emptied -----------
    page.get_by_role("heading", name="Voorstel: de groepen").wait_for()
    headings = page.locator("section.proposal-group h2").all_inner_texts()
    assert headings == ["Groep 1 (6 deelnemers)", "Groep 2 (5 deelnemers)"], headings
    assert page.locator("#g1_location").input_value() == "Vergaderzaal 2"
    assert page.locator("#g2_date").input_value() == (first_day + timedelta(days=2)).isoformat()
    checked.page(page, "plan-proposal")
    page.get_by_label("Groep van Dr. Spec 06").select_option(label="Groep 2")
    page.get_by_role("button", name="Indeling bijwerken").click()
    expect(page.locator("section.proposal-group h2").first).to_have_text("Groep 1 (5 deelnemers)")
    headings = page.locator("section.proposal-group h2").all_inner_texts()
    assert headings == ["Groep 1 (5 deelnemers)", "Groep 2 (6 deelnemers)"], headings
    assert "Dr. Spec 06" in page.locator("section.proposal-group").nth(1).inner_text()
    page.locator("#g2_location").fill("")
    page.locator("#g2_facilitator1").select_option(label="Hans Helper")
    page.get_by_role("button", name="Opslaan").click()
    summary = page.locator(".error-summary").first.inner_text()
    assert "Opgeslagen: groep 1" in summary and "Niet opgeslagen: groep 2" in summary, summary
    second = page.locator("section.proposal-group").nth(1)
    assert "geef een plaats of een link" in second.locator(".error-summary").inner_text()
    assert "Plaats (zaal, adres)" in second.locator(".error-summary").inner_text()  # the field, named
    assert "Deze groep is opgeslagen" in page.locator("section.proposal-group").first.inner_text()
    assert page.locator("#g2_facilitator1").input_value() == ids[second_facilitator]  # input kept
    assert "Dr. Spec 06" in second.inner_text()
    checked.page(page, "plan-proposal-refused")
    page.locator("#g2_location").fill("Vergaderzaal 3")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/groepsbesprekingen\?bericht=planned$"))
    rows = page.locator("table.responsive tbody tr")
    assert rows.count() == 2, rows.all_inner_texts()
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(2)]
    assert cells[0][1:] == ["IFMS", "5", "Greet Gespreksleider", "Vergaderzaal 2"], cells
    assert cells[1][1:] == ["IFMS", "6", "Greet Gespreksleider, Hans Helper", "Vergaderzaal 3"], cells
    checked.page(page, "plan-list")

    # -- the invitations: within the week, so at once; each with its calendar file -----------------
    for email, _ in specialists[:11]:
        until(lambda email=email: web.catcher.store.to(email), timeout=120, what=f"the invitation to {email}")
    assert not web.catcher.store.to(specialists[11][0])
    method, event = calendar_of(web.catcher.store.to(specialists[0][0])[0])
    assert (method, int(event["SEQUENCE"])) == ("REQUEST", 1)
    assert event["DTSTART"].dt.astimezone(AMSTERDAM).date() == first_day
    until(lambda: len(web.catcher.store.to(facilitator)) == 2, timeout=60, what="the facilitator's two")

    # -- reschedule the first: a date in the past refused (input kept), then done ------------------
    page.locator("table.responsive tbody tr").first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/groepsbesprekingen/[0-9a-f-]{36}$"))
    session_path = page.url.split(f"/t/{slug}", 1)[1]
    assert "Dr. Spec 01" in page.inner_text("main") and "Dr. Spec 06" not in page.inner_text("main")
    checked.page(page, "plan-session")
    yesterday = (datetime.now(AMSTERDAM) - timedelta(days=1)).date().isoformat()
    form = page.locator("form[action$='/verzetten']")
    form.get_by_label("Datum").fill(yesterday)
    form.get_by_role("button", name="Verzetten").click()
    refusal = page.locator("section[aria-labelledby='schedule-title'] .error-summary").inner_text()
    assert "Begin: ligt in het verleden" in refusal, refusal
    assert page.locator("form[action$='/verzetten']").get_by_label("Datum").input_value() == yesterday
    new_day = (first_day + timedelta(days=1)).isoformat()
    form = page.locator("form[action$='/verzetten']")
    form.get_by_label("Datum").fill(new_day)
    form.get_by_label("Begin").fill("15:00")
    form.get_by_label("Einde").fill("17:30")
    form.get_by_role("button", name="Verzetten").click()
    page.get_by_text("De bespreking is verzet").wait_for()
    assert f"{new_day} 15:00 – 17:30" in page.inner_text("main")

    def updated() -> list[Any]:
        found = [calendar_of(m) for m in web.catcher.store.to(specialists[0][0])]
        return [e for m, e in found if m == "REQUEST" and int(e["SEQUENCE"]) == 2]

    event = until(updated, timeout=90, what="the updated invitation")[0]
    assert event["DTSTART"].dt.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M") == f"{new_day} 15:00"
    # the second session's people get no update
    assert len(web.catcher.store.to(specialists[10][0])) == 1

    # -- swap a participant for the 12th specialist, then cancel after the confirmation -----------
    swap = page.locator("form[action$='/vervangen']")
    swap.get_by_label("Niet meer deelnemer").select_option(label="Dr. Spec 02")
    swap.get_by_label("Vervangen door").select_option(value=rounds[ids[specialists[11][0]]])
    swap.get_by_role("button", name="Vervangen").click()
    page.get_by_text("De deelnemer is vervangen").wait_for()
    people = page.locator("section[aria-labelledby='people-title']").inner_text()
    assert "Dr. Spec 12" in people and "Dr. Spec 02" not in people
    page.get_by_role("link", name="Deze bespreking annuleren…").click()
    page.wait_for_url(re.compile(r"/annuleren$"))
    assert "Weet u het zeker?" in page.inner_text("main")
    checked.page(page, "plan-cancel-confirm")
    page.get_by_role("button", name="Ja, annuleren").click()
    page.get_by_text("De bespreking is geannuleerd").wait_for()
    assert page.locator("form[action$='/verzetten']").count() == 0
    page.goto(web.tenant_url(slug, "/groepsbesprekingen"))
    cancelled = page.locator("section[aria-labelledby='cancelled-title']").inner_text()
    assert "Vergaderzaal 2" in cancelled
    until(
        lambda: any(calendar_of(m)[0] == "CANCEL" for m in web.catcher.store.to(specialists[0][0])),
        timeout=90,
        what="the cancellation",
    )

    # -- a Groepsmonitor: the whole group in one session ----------------------------------------------
    page.goto(web.tenant_url(slug, "/groepsbesprekingen/plannen"))
    page.locator(f"#gm-{group_round}").check()
    page.get_by_label("Datum (van de eerste bespreking)").fill((first_day + timedelta(days=3)).isoformat())
    page.get_by_label("Plaats (zaal, adres)").fill("Vergaderzaal 4")
    page.get_by_label("Gespreksleider", exact=True).select_option(label="Hans Helper")
    page.get_by_role("button", name="Voorstel maken").click()
    page.get_by_role("heading", name="Voorstel: de groepen").wait_for()
    headings = page.locator("section.proposal-group h2").all_inner_texts()
    assert headings == ["Groep 1 (3 deelnemers)"], headings
    assert page.get_by_role("button", name="Indeling bijwerken").count() == 0  # nobody to move
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/groepsbesprekingen\?bericht=planned$"))
    planned = page.locator("section[aria-labelledby='planned-title'] tbody tr")
    rows = [planned.nth(i).locator("td").all_inner_texts() for i in range(planned.count())]
    assert ["Groepsmonitor", "3", "Hans Helper", "Vergaderzaal 4"] in [r[1:] for r in rows], rows

    # -- the same pages on a phone ------------------------------------------------------------------
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    phone = phone_context.new_page()
    sign_in(phone, web, slug, coordinator)
    phone.goto(web.tenant_url(slug, "/groepsbesprekingen"))
    narrow_enough(phone)
    checked.page(phone, "plan-list-phone")
    phone.locator("section[aria-labelledby='planned-title'] a").first.tap()  # the planned one
    phone.wait_for_url(re.compile(r"/groepsbesprekingen/[0-9a-f-]{36}$"))
    assert phone.locator("form[action$='/verzetten']").count() == 1
    narrow_enough(phone)
    checked.page(phone, "plan-session-phone")
    # the two who are free again (swapped out; the cancelled session's) make a proposal of one group
    phone.goto(web.tenant_url(slug, "/groepsbesprekingen/plannen"))
    narrow_enough(phone)
    checked.page(phone, "plan-choose-phone")
    for name in ("Dr. Spec 02", "Dr. Spec 12"):
        phone.get_by_label(re.compile(rf"^{name}")).check()
    phone.get_by_label("Datum (van de eerste bespreking)").fill(first_day.isoformat())
    phone.get_by_role("button", name="Voorstel maken").tap()
    phone.get_by_role("heading", name="Voorstel: de groepen").wait_for()
    headings = phone.locator("section.proposal-group h2").all_inner_texts()
    assert headings == ["Groep 1 (2 deelnemers)"], headings
    narrow_enough(phone)
    checked.page(phone, "plan-proposal-phone")
    # in English
    phone.goto(web.tenant_url(slug, "/groepsbesprekingen/plannen?lang=en"))
    assert "Plan group discussions" in phone.inner_text("main")
    assert "Separate dates (recommended)" in phone.inner_text("main")
    phone_context.close()
    desk.close()
    assert not checked.violations, checked.violations

    # -- who may not: 403 for the other roles, another hospital's coordinator does not find it -------
    other = f"pm-{uuid.uuid4().hex[:6]}"
    run_async(make_hospital(web.env, other, [(f"coord@{other}.nl", "Coördinator B", "coordinator")]))
    for email in (specialists[0][0], facilitator, f"board@{slug}.nl"):
        client, _ = signed_in(web, slug, email)
        for path in ("/groepsbesprekingen", "/groepsbesprekingen/plannen", session_path):
            is_page(client.get(path), 403)
    foreign, csrf = signed_in(web, other, f"coord@{other}.nl")
    is_page(foreign.get(session_path), 404, "bestaat niet")
    is_page(foreign.post(f"{session_path}/annuleren", data={"csrf_token": csrf, "confirm": "yes"}), 404)
    is_page(foreign.get("/groepsbesprekingen"), 200, "nog geen groepsbesprekingen gepland")
