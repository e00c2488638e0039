""" "Plan van aanpak": a group's action plan after its Groepsmonitor, through the gateway and the
web pages. Over HTTP: a refused save keeps what was typed (a past date, a second member's save
meanwhile), HTML stays text, someone outside the group and the coordinator never see the actions,
the coordinator sees the status per group. In Chromium on a phone: a member makes the plan and
the group adopts it; the history says who changed what. axe-core on every page, screenshots in
test-artifacts/web-gplan-*.png.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from test_web_groups import is_page, signed_in
from web_browser import Checked, run_async, sign_in
from web_helpers import WebDeployment, make_hospital

pytestmark = pytest.mark.integration
JSON = {"accept": "application/json"}


def make_group(web: WebDeployment, slug: str, coordinator: str, name: str, members: list[str]) -> str:
    client, csrf = signed_in(web, slug, coordinator)
    made = client.post(
        "/groups",
        headers={**JSON, "x-csrf-token": csrf},
        json={"name": name, "member_person_ids": members},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["group_id"])


def wait_for_group_plans(client: httpx.Client, group_id: str) -> None:
    """The action-plan service learns the group from the gateway's event: a moment later at most."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = client.get("/api/action-plan/group-plans/mine", headers=JSON)
        if mine.status_code == 200 and any(g["group_id"] == group_id for g in mine.json()):
            return
        time.sleep(0.5)
    raise AssertionError(f"group {group_id} not known to the action-plan service")


def test_the_group_plan_pages(web: WebDeployment) -> None:
    slug = f"gp-{uuid.uuid4().hex[:6]}"
    coordinator = f"coordinator@{slug}.nl"
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Carla Coördinator", "coordinator"),
                (f"anna@{slug}.nl", "Dr. Anna", "specialist"),
                (f"bert@{slug}.nl", "Dr. Bert", "specialist"),
                (f"olga@{slug}.nl", "Dr. Olga", "specialist"),
            ],
        )
    )
    anna_id, bert_id = ids[f"anna@{slug}.nl"], ids[f"bert@{slug}.nl"]
    group_id = make_group(web, slug, coordinator, "Vakgroep Longziekten", [anna_id, bert_id])
    anna, csrf = signed_in(web, slug, f"anna@{slug}.nl")
    wait_for_group_plans(anna, group_id)
    assert "/groepsplannen" in anna.get("/start").text  # in the navigation
    is_page(anna.get("/groepsplannen"), 200, "Vakgroep Longziekten", "Plan van aanpak beginnen")
    started = anna.post("/groepsplannen", data={"csrf_token": csrf, "group_id": group_id})
    assert started.status_code == 303, started.text[:500]
    path = started.headers["location"].split(f"/t/{slug}", 1)[1]
    html = is_page(anna.get(path), 200, "Nieuwe actie", "Dr. Bert", "Alleen de leden van de groep")
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    typed = {
        "csrf_token": csrf,
        "version": version,
        "action-0-description": "Overdracht <script>alert(1)</script> verbeteren",
        "action-0-item_kind": "development_point",
        "action-0-item_label": "Overdracht in de avond",
        "action-0-owner_person_id": bert_id,
        "action-0-due": (date.today() - timedelta(days=2)).isoformat(),
        "action-0-measure": "Elke maand 10 overdrachten nagelopen",
        "action-0-embedding_kind": "standing_agenda_item",
        "action-0-embedding_text": "Vast punt in het vakgroepoverleg",
        "action-0-status": "open",
    }
    refused = anna.post(path, data=typed)
    html = is_page(refused, 422, "in het verleden", "Overdracht in de avond", "&lt;script&gt;alert(1)")
    assert "<script>alert(1)" not in html
    typed["action-0-due"] = (date.today() + timedelta(days=60)).isoformat()
    saved = anna.post(path, data=typed)
    assert saved.status_code == 303, saved.text[:500]
    is_page(
        anna.get(saved.headers["location"].split(f"/t/{slug}", 1)[1]),
        200,
        "Opgeslagen.",
        "Actie 1",
        "Vast punt",
    )
    # Bert saves meanwhile; Anna's form on the old version is refused with her input kept.
    bert, bert_csrf = signed_in(web, slug, f"bert@{slug}.nl")
    html = bert.get(path).text
    fresh = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    action_id = re.search(r'name="action-0-action_id" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    bert_typed = {**typed, "csrf_token": bert_csrf, "version": fresh, "action-0-action_id": action_id}
    assert bert.post(path, data={**bert_typed, "action-0-status": "on_track"}).status_code == 303
    stale = anna.post(
        path, data={**typed, "action-0-action_id": action_id, "action-0-measure": "Uit Anna's tab"}
    )
    is_page(stale, 409, "intussen", "Uit Anna&#39;s tab")

    # Outside the group: not found, a colleague and the coordinator alike; the coordinator sees the status.
    olga, _ = signed_in(web, slug, f"olga@{slug}.nl")
    coordinating, _ = signed_in(web, slug, coordinator)
    for client in (olga, coordinating):
        for page in (path, f"{path}/geschiedenis"):
            answer = client.get(page)
            assert answer.status_code == 404 and "Overdracht" not in answer.text
    status = is_page(
        coordinating.get("/groepsplannen"), 200, "Status per groep", "Vakgroep Longziekten", "concept"
    )
    assert "Overdracht" not in status
    history = is_page(anna.get(f"{path}/geschiedenis"), 200, "Dr. Bert", "Dr. Anna", "open", "op schema")
    assert history.index("Dr. Bert") < history.index("actie toegevoegd")  # the latest first
    # Improvement cycles and a measure on the action: a run chart drawn on the page.
    cycles_path = f"{path}/acties/{action_id}"
    html = is_page(
        anna.get(cycles_path), 200, "Verbetercycli en metingen", "Nieuwe cyclus", "Nog geen metingen"
    )
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    pdsa = {
        "csrf_token": csrf,
        "version": version,
        "cycle-0-change": "Checklist bij de overdracht",
        "cycle-0-prediction": "Minder gemiste punten",
        "cycle-0-done": "Twee weken",
        "cycle-0-result": "Van 8 naar 3",
        "cycle-0-decision": "adapt",
        "point-0-on": (date.today() - timedelta(days=14)).isoformat(),
        "point-0-value": "8",
        "point-1-on": date.today().isoformat(),
        "point-1-value": "veel",
    }
    refused = anna.post(cycles_path, data=pdsa)
    is_page(refused, 422, "measurements[1].value", "Checklist bij de overdracht", 'value="veel"')
    done = anna.post(cycles_path, data={**pdsa, "point-1-value": "3"})
    assert done.status_code == 303, done.text[:500]
    html = is_page(anna.get(cycles_path), 200, "Cyclus 1", "act: besloten", "Nieuwe cyclus", "mediaan 5.5")
    assert html.count("<circle") == 2 and 'role="img"' in html
    for client in (olga, coordinating):
        assert client.get(cycles_path).status_code == 404
    english = anna.get(f"{path}?lang=en")
    is_page(english, 200, "Action plan", "How is success measured?")


@pytest.mark.browser
def test_a_member_makes_the_plan_and_the_group_adopts_it_on_a_phone(web: WebDeployment, browser: Any) -> None:
    slug = f"gpb-{uuid.uuid4().hex[:6]}"
    coordinator, anna, bert = (f"{who}@{slug}.nl" for who in ("coordinator", "anna", "bert"))
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Carla Coördinator", "coordinator"),
                (anna, "Anna Arts", "specialist"),
                (bert, "Bram Bakker", "specialist"),
            ],
        )
    )
    group_id = make_group(web, slug, coordinator, "Maatschap Chirurgie", [ids[anna], ids[bert]])
    client, _ = signed_in(web, slug, anna)
    wait_for_group_plans(client, group_id)
    checked = Checked()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    phone = context.new_page()
    sign_in(phone, web, slug, anna)
    phone.goto(web.tenant_url(slug, "/groepsplannen"))
    checked.page(phone, "gplan-list")
    phone.get_by_role("button", name="Plan van aanpak beginnen").tap()
    phone.wait_for_url(re.compile(r"/groepsplannen/[0-9a-f-]+$"))
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "gplan-new")
    phone.get_by_label("Wat gaat de groep doen?").fill("Wekelijks de OK-planning samen doorlopen")
    phone.get_by_label("Welk punt uit het rapport (in uw woorden)").fill("Afstemming OK-planning")
    phone.get_by_label("Eigenaar (lid van de groep)").select_option(label="Bram Bakker")
    phone.get_by_label("Klaar op").fill((date.today() + timedelta(days=90)).isoformat())
    phone.get_by_label("Hoe meet u het succes?").fill("Minder dan 2 uitgelopen sessies per maand")
    phone.get_by_label("Borging: hoe blijft het leven?").select_option(label="protocol")
    phone.get_by_label("Borging: toelichting").fill("Opgenomen in het OK-protocol")
    phone.get_by_role("button", name="Opslaan").tap()
    phone.get_by_text("Opgeslagen.").wait_for()
    assert phone.locator("legend", has_text="Actie 1").count() == 1
    checked.page(phone, "gplan-saved")
    phone.get_by_role("button", name="Plan vaststellen").tap()
    phone.get_by_text("Het plan is vastgesteld.").wait_for()
    assert phone.locator("#plan-status").inner_text() == "vastgesteld"
    assert "Controle op de voortgang" in phone.inner_text("main")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "gplan-adopted")
    # An improvement cycle and two measurements on the action: the run chart fits the phone.
    phone.get_by_role("link", name=re.compile("Verbetercycli en metingen")).first.tap()
    phone.wait_for_url(re.compile(r"/acties/[A-Za-z0-9_-]+$"))
    phone.get_by_label("Plan: welke verandering test u?").fill("OK-planning op vrijdag samen doorlopen")
    phone.get_by_label("Plan: wat verwacht u?").fill("Minder uitloop")
    phone.locator("#p0-on").fill((date.today() - timedelta(days=7)).isoformat())
    phone.locator("#p0-value").fill("4")
    phone.get_by_role("button", name="Opslaan").tap()
    phone.get_by_text("Opgeslagen.").wait_for()
    phone.locator("#p1-on").fill(date.today().isoformat())
    phone.locator("#p1-value").fill("2")
    phone.get_by_role("button", name="Opslaan").tap()
    phone.get_by_text("Opgeslagen.").wait_for()
    assert phone.locator("svg.run-chart circle").count() == 2
    box = phone.locator("svg.run-chart").bounding_box()
    assert box is not None and box["width"] <= 390
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(phone, "gplan-cycles")
    phone.get_by_role("link", name=re.compile("Plan van aanpak: Maatschap Chirurgie")).tap()
    phone.get_by_role("link", name="Geschiedenis: wie wijzigde wat").tap()
    history = phone.inner_text("#history")
    assert "plan vastgesteld" in history and "actie toegevoegd" in history and "Anna Arts" in history
    assert "verbetercycli of metingen gewijzigd" in history
    checked.page(phone, "gplan-history")
    context.close()
    assert not checked.violations, checked.violations
