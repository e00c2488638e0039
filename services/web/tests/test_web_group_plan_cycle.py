"""A Groepsmonitor group from its discussion to its plan to its 6-month check, in Chromium.

The group's discussion is planned (in the accreditation service's store, its SessionPlanned on the
deployment's Kafka): its members are invited and see it on "Mijn groepsbesprekingen". After it,
a member makes the group's plan on a phone and a second member adopts it. Six months later (the
scheduler's pass called with its clock set to the plan's check moment: no sleeping) the check is
made; the real relay, Kafka and the invitation service mail it, and its link is in the mail
catcher. A member opens that link on a 390x844 phone, answers the check (the new action's owner
list shows the members' names), and the plan's page shows the result. The board sees the plan only
once the hospital's setting is on (off: the page says so, the PDF is a 404 page; the plan's own page
is a 404 page to the board either way). axe-core on every page, screenshots in
test-artifacts/web-gcycle-*.png.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_dev.waiting import until
from test_web_discussions import announce, stamp
from test_web_group_plans import make_group, wait_for_group_plans
from test_web_groups import signed_in
from web_browser import Checked, run_async, sign_in
from web_helpers import WebDeployment, make_hospital
from web_sessions import store_session

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CHECK_LINK = re.compile(r"https?://\S+/groepsplannen/[0-9a-f-]+/controles/[0-9a-f-]+")


async def _check_six_months_on(web: WebDeployment, slug: str, plan_id: str) -> datetime:
    """The scheduler's pass, its clock at the plan's check moment (as the consumer would run it then)."""
    from spiegel_action_plan.checks.service import Checks
    from spiegel_action_plan.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        stores = Store.on(client[f"{web.prefix}_action_plan"])
        plan = await stores.tenant(slug).group_plans.get(plan_id)
        assert plan is not None and plan["status"] == "adopted"
        due: datetime = plan["next_check_at"]
        assert due - plan["adopted_at"] > timedelta(days=180)
        checks = Checks(stores)
        assert await checks.run_until_done(due - timedelta(minutes=1)) == 0
        assert await checks.run_until_done(due) >= 1
        return due
    finally:
        await client.close()


def test_a_group_from_its_discussion_to_its_plan_to_its_check(web: WebDeployment, browser: Any) -> None:
    slug = f"gcy-{uuid.uuid4().hex[:6]}"
    coordinator, anna, bert, bram = (f"{who}@{slug}.nl" for who in ("coordinator", "anna", "bert", "bram"))
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Carla Coördinator", "coordinator"),
                (anna, "Anna Arts", "specialist"),
                (bert, "Bert Bakker", "specialist"),
                (bram, "Bram Bestuur", "board"),
            ],
        )
    )
    group_id = make_group(web, slug, coordinator, "Vakgroep Neurologie", [ids[anna], ids[bert]])

    # The discussion: announced, the members invited, on their page.
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
    session = accreditation.Session(
        session_id=f"{slug}-gm",
        kind=accreditation.SESSION_KIND_GROUP_MONITOR,
        participants=[accreditation.Participant(person_id=ids[who], round_id="gm-1") for who in (anna, bert)],
        starts_at=stamp(start),
        ends_at=stamp(start + timedelta(hours=2)),
        location="Vergaderzaal Neurologie",
        group_id=group_id,
        version=1,
    )
    run_async(store_session(web, slug, session))
    run_async(
        announce(web, slug, accreditation.SessionPlanned(session_id=session.session_id, session=session))
    )
    until(lambda: web.catcher.store.to(anna), timeout=60, what="the discussion's invitation")

    client, _ = signed_in(web, slug, anna)
    wait_for_group_plans(client, group_id)
    checked = Checked()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    phone = context.new_page()
    sign_in(phone, web, slug, anna)
    phone.goto(web.tenant_url(slug, "/mijn-besprekingen"))
    phone.get_by_text("Vergaderzaal Neurologie").wait_for()
    checked.page(phone, "gcycle-discussion")

    # The plan: Anna makes it on her phone, Bert adopts it.
    phone.goto(web.tenant_url(slug, "/groepsplannen"))
    phone.get_by_role("button", name="Plan van aanpak beginnen").tap()
    phone.wait_for_url(re.compile(r"/groepsplannen/[0-9a-f-]+$"))
    plan_url = phone.url
    plan_id = plan_url.rsplit("/", 1)[1]
    phone.get_by_label("Wat gaat de groep doen?").fill("Elke maand een casus uit de bespreking nabespreken")
    phone.get_by_label("Welk punt uit het rapport (in uw woorden)").fill("Meer onderlinge feedback")
    phone.get_by_label("Eigenaar (lid van de groep)").select_option(label="Bert Bakker")
    phone.get_by_label("Klaar op").fill((date.today() + timedelta(days=120)).isoformat())
    phone.get_by_label("Hoe meet u het succes?").fill("Tien nabesprekingen per jaar")
    phone.get_by_label("Borging: hoe blijft het leven?").select_option(label="protocol")
    phone.get_by_label("Borging: toelichting").fill("In het vakgroepprotocol")
    phone.get_by_role("button", name="Opslaan").tap()
    phone.get_by_text("Opgeslagen.").wait_for()
    checked.page(phone, "gcycle-plan")
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
    sign_in(desk, web, slug, bert)
    desk.goto(plan_url)
    desk.get_by_role("button", name="Plan vaststellen").click()
    desk.get_by_text("Het plan is vastgesteld.").wait_for()
    assert desk.locator("#plan-status").inner_text() == "vastgesteld"

    # Six months on: the check made by the scheduler's pass, mailed through the real relay and Kafka.
    run_async(_check_six_months_on(web, slug, plan_id))

    def check_link() -> str | None:
        for address in (anna, bert):
            for message in web.catcher.store.to(address):
                found = CHECK_LINK.search(message.part("plain"))
                if found and plan_id in found.group(0):
                    return found.group(0)
        return None

    link = until(check_link, timeout=60, what="the check's mail with its link")
    assert f"/t/{slug}/groepsplannen/{plan_id}/controles/" in link

    # Anna answers it on her phone through the mail's link.
    phone.goto(link)
    phone.get_by_role("heading", name=re.compile("Controle van het plan van aanpak")).wait_for()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    owners = phone.locator("#new-0-owner option").all_inner_texts()
    assert sorted(owners) == ["Bert Bakker", "Uzelf"]  # names, not ids
    checked.page(phone, "gcycle-check")
    phone.get_by_label("Op schema").first.check()
    phone.get_by_label("Toelichting").first.fill("Drie nabesprekingen gehouden")
    phone.locator("input[name=still_on_agenda][value=yes]").check()
    phone.get_by_role("button", name="Controle opslaan").tap()
    phone.get_by_text("de controle is opgeslagen").wait_for()
    assert "Drie nabesprekingen gehouden" in phone.inner_text("main")
    checked.page(phone, "gcycle-answered")
    # The plan's page: the action's status is the check's result; the check is answered.
    phone.goto(plan_url)
    assert phone.locator("#a0-status").input_value() == "on_track"
    phone.get_by_role("link", name="Controles van het groepsplan").tap()
    phone.get_by_text("Ingevuld op").wait_for()
    checked.page(phone, "gcycle-checks")

    # The board: the hospital's setting off (default), nothing; on, the plan's progress.
    board = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
    sign_in(board, web, slug, bram)
    board.goto(web.tenant_url(slug, "/bestuur/groepsplannen"))
    board.get_by_text("niet onderdeel gemaakt van het kwaliteitsbeleid").wait_for()
    assert "Vakgroep Neurologie" not in board.inner_text("main")
    assert board.goto(web.tenant_url(slug, "/bestuur/groepsplannen.pdf")).status == 404  # type: ignore[union-attr]
    assert board.goto(plan_url).status == 404  # type: ignore[union-attr]
    manager, csrf = signed_in(web, slug, coordinator)
    on = manager.put(
        "/api/action-plan/group-plan-settings",
        headers={"accept": "application/json", "x-csrf-token": csrf},
        json={"board_progress": True},
    )
    assert on.status_code == 200 and on.json()["board_progress"] is True, on.text
    board.goto(web.tenant_url(slug, "/bestuur/groepsplannen"))
    main = board.inner_text("main")
    assert "Vakgroep Neurologie" in main and "Elke maand een casus" in main
    assert "Drie nabesprekingen gehouden" not in main  # never a check's remark
    checked.page(board, "gcycle-board")
    assert board.goto(plan_url).status == 404  # type: ignore[union-attr]
    context.close()
    assert not checked.violations, checked.violations
