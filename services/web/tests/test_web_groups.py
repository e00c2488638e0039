"""The group pages and the Groepsmonitor round made from a group, over HTTP through the gateway (no
browser): bad input gets a page naming the problem with the input kept, members only of this
hospital, the history with its dates, another hospital's group unknown, the round remembers its
group; the board sees its own start page and nothing else."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from web_browser import Checked, run_async, sign_in
from web_helpers import PASSWORD, WebDeployment, make_hospital

pytestmark = pytest.mark.integration

HTML = {"accept": "text/html"}


def signed_in(web: WebDeployment, slug: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=30)
    form = client.get("/inloggen")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = client.post("/inloggen", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert done.status_code == 303, done.text[:300]
    start = client.get("/start")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', start.text).group(1)  # type: ignore[union-attr]
    return client, csrf


def is_page(response: httpx.Response, status: int, *texts: str) -> str:
    assert response.status_code == status, (response.status_code, response.text[:600])
    assert response.headers["content-type"].startswith("text/html")
    summary = re.findall(r'<div class="error-summary".*?</div>', response.text, re.S)
    for text in texts:
        assert text in response.text, (text, summary or response.text[:3000])
    return response.text


def checked(html: str, name: str, value: str) -> bool:
    """Whether the form's checkbox `name` with `value` is ticked."""
    return bool(re.search(rf'name="{name}" value="{re.escape(value)}" checked', html))


@pytest.fixture(scope="module")
def hospitals(web: WebDeployment) -> dict[str, Any]:
    a, b = f"gp-{uuid.uuid4().hex[:6]}", f"gq-{uuid.uuid4().hex[:6]}"
    people_a = [
        (f"coordinator@{a}.nl", "Carla Coördinator", "coordinator"),
        (f"facilitator@{a}.nl", "Frits Facilitator", "facilitator"),
        (f"board@{a}.nl", "Bram Bestuur", "board"),
        *[(f"s{n}@{a}.nl", f"Dr. Long {n}", "specialist") for n in range(1, 5)],
    ]
    ids_a = run_async(make_hospital(web.env, a, people_a))
    ids_b = run_async(
        make_hospital(
            web.env,
            b,
            [(f"coordinator@{b}.nl", "Coördinator B", "coordinator"), (f"s1@{b}.nl", "Dr. B", "specialist")],
        )
    )
    return {"a": a, "b": b, "ids_a": ids_a, "ids_b": ids_b}


def test_group_pages_refuse_bad_input_keep_it_and_keep_the_history(
    web: WebDeployment, hospitals: dict[str, Any]
) -> None:
    a, b, ids, ids_b = hospitals["a"], hospitals["b"], hospitals["ids_a"], hospitals["ids_b"]
    s = {n: ids[f"s{n}@{a}.nl"] for n in range(1, 5)}
    client, csrf = signed_in(web, a, f"coordinator@{a}.nl")
    is_page(client.get("/groepen"), 200, "Er zijn nog geen groepen", 'href="/t/' + a + '/groepen"')

    def create(**fields: Any) -> httpx.Response:
        return client.post("/groepen", data={"csrf_token": csrf, "kind": "vakgroep", **fields})

    # Empty, too long, hidden characters: said plainly, what was typed still there.
    html = is_page(
        create(name="  ", specialism="Longziekten", members=[s[1]]), 422, "Vul de naam van de groep in."
    )
    assert 'value="Longziekten"' in html and checked(html, "members", s[1])
    is_page(create(name="x" * 3000), 422, "hoogstens 120 tekens")
    html = is_page(create(name="Vakgroep\u202eLong", specialism="Long"), 422, "stuurtekens")
    assert 'value="Long"' in html
    is_page(create(name="Vakgroep Long", kind="afdeling"), 422, "Kies vakgroep of maatschap.")
    # Another hospital's person as a member: the gateway's reason, no 500.
    html = is_page(create(name="Vakgroep Long", members=[s[1], ids_b[f"s1@{b}.nl"]]), 422, "geen persoon")
    assert checked(html, "members", s[1])

    made = create(
        name="Vakgroep Longziekten",
        specialism="Longziekten",
        members=[s[1], s[2], s[3]],
        contact_person_id=ids[f"coordinator@{a}.nl"],
    )
    assert made.status_code == 303, made.text[:500]
    group_path = made.headers["location"].removeprefix(f"/t/{a}").split("?", 1)[0]
    group_id = group_path.rsplit("/", 1)[1]
    html = is_page(
        client.get(made.headers["location"].removeprefix(f"/t/{a}")), 200, "De groep is toegevoegd."
    )
    assert "Dr. Long 1" in html and "Leden nu (3)" in html
    assert html.count("lid geworden") == 3 and date.today().strftime("%d-%m-%Y") in html

    # The same name in other capitals: refused, the members ticked kept.
    html = is_page(create(name="vakgroep LONGZIEKTEN", members=[s[4]]), 422, "al een groep met de naam")
    assert checked(html, "members", s[4])

    # Members: another hospital's person refused; one added, one removed, both in the history.
    foreign = client.post(f"{group_path}/leden", data={"csrf_token": csrf, "person_id": ids_b[f"s1@{b}.nl"]})
    is_page(foreign, 422, "geen persoon")
    is_page(client.post(f"{group_path}/leden", data={"csrf_token": csrf}), 422, "Kies de specialist")
    added = client.post(f"{group_path}/leden", data={"csrf_token": csrf, "person_id": s[4]})
    assert added.status_code == 303
    removed = client.post(f"{group_path}/leden/{s[1]}/verwijderen", data={"csrf_token": csrf})
    assert removed.status_code == 303
    html = is_page(client.get(group_path), 200, "Leden nu (3)", "vertrokken", "Carla Coördinator")
    assert html.index("vertrokken") < html.index("lid geworden")  # the latest change first
    # A change without the form's token is refused.
    assert client.post(f"{group_path}/leden", data={"person_id": s[1]}).status_code == 403

    # Edit: a bad name keeps the input; a good one is saved.
    html = is_page(
        client.post(group_path, data={"csrf_token": csrf, "name": "", "specialism": "Long en TBC"}), 422
    )
    assert 'value="Long en TBC"' in html
    saved = client.post(
        group_path,
        data={"csrf_token": csrf, "name": "Longziekten", "kind": "maatschap", "specialism": "Long"},
    )
    assert saved.status_code == 303
    is_page(client.get("/groepen"), 200, "Longziekten", "Maatschap")

    # Another hospital's group is unknown here, to read and to change.
    other_client, other_csrf = signed_in(web, b, f"coordinator@{b}.nl")
    theirs = other_client.post(
        "/groepen", data={"csrf_token": other_csrf, "name": "Groep B", "kind": "vakgroep"}
    )
    assert theirs.status_code == 303
    their_path = theirs.headers["location"].removeprefix(f"/t/{b}").split("?", 1)[0]
    is_page(client.get(their_path), 404, "Deze groep bestaat niet")
    is_page(client.post(f"{their_path}/leden", data={"csrf_token": csrf, "person_id": s[1]}), 404)
    is_page(client.get("/groepen/..%2F..%2Fpeople"), 404)
    assert "Groep B" not in client.get("/groepen").text

    # Who else may not: a specialist, a facilitator, the board.
    for who in (f"s2@{a}.nl", f"facilitator@{a}.nl", f"board@{a}.nl"):
        other, _ = signed_in(web, a, who)
        is_page(other.get("/groepen"), 403)
        is_page(other.get(group_path), 403)
        start = other.get("/start").text
        assert "/groepen" not in start
        # A specialist sees the groups they are in on their start page; nobody else's.
        assert ("Mijn groepen" in start and "Longziekten" in start) == (who == f"s2@{a}.nl")
    hospitals["group_id"] = group_id


def test_a_groepsmonitor_round_is_made_from_a_group_and_remembers_it(
    web: WebDeployment, hospitals: dict[str, Any]
) -> None:
    a, ids = hospitals["a"], hospitals["ids_a"]
    s = {n: ids[f"s{n}@{a}.nl"] for n in range(1, 5)}
    client, csrf = signed_in(web, a, f"coordinator@{a}.nl")
    made = client.post(
        "/groepen",
        data={
            "csrf_token": csrf,
            "name": "Maatschap Cardiologie",
            "kind": "maatschap",
            "members": [s[1], s[2], s[3]],
        },
    )
    assert made.status_code == 303
    group_id = made.headers["location"].split("?", 1)[0].rsplit("/", 1)[1]

    # From the group's page: the form with the group chosen and its members ticked.
    html = is_page(client.get(f"/rondes/nieuw?groep={group_id}"), 200, "Maatschap Cardiologie (3 leden)")
    assert f'value="{group_id}" selected' in html
    assert all(checked(html, "members", s[n]) for n in (1, 2, 3)) and not checked(html, "members", s[4])
    # Taking over a group's members keeps the rest of what was typed.
    closes = (date.today() + timedelta(days=20)).isoformat()
    typed = {"csrf_token": csrf, "title": "GM Cardio voorjaar", "closes_on": closes, "include_patients": "1"}
    html = is_page(
        client.post("/rondes/nieuw/groepsmonitor", data={**typed, "group_id": group_id, "action": "load"}),
        200,
    )
    assert 'value="GM Cardio voorjaar"' in html and f'value="{closes}"' in html
    assert 'name="include_patients" value="1" checked' in html and checked(html, "members", s[2])

    # A refusal keeps everything: title, group, date, the members as adjusted, the patients tick.
    adjusted = {**typed, "group_id": group_id, "members": [s[2], s[3], s[4]], "action": "create"}
    html = is_page(
        client.post("/rondes/nieuw/groepsmonitor", data={**adjusted, "closes_on": "gisteren"}),
        422,
        "Kies een sluitingsdatum in de toekomst",
    )
    assert 'value="GM Cardio voorjaar"' in html and f'value="{group_id}" selected' in html
    assert 'value="gisteren"' in html and 'name="include_patients" value="1" checked' in html
    assert [checked(html, "members", s[n]) for n in (1, 2, 3, 4)] == [False, True, True, True]
    # Another hospital's group id in the form: unknown here, said plainly, input kept.
    html = is_page(
        client.post("/rondes/nieuw/groepsmonitor", data={**adjusted, "group_id": "0" * 32}),
        422,
        "Deze groep bestaat niet (meer) in dit ziekenhuis",
    )
    assert 'value="GM Cardio voorjaar"' in html

    created = client.post("/rondes/nieuw/groepsmonitor", data=adjusted)
    assert created.status_code == 303, created.text[:500]
    round_id = created.headers["location"].split("/rondes/", 1)[1].split("?", 1)[0]
    found = client.get(f"/api/survey/rounds/{round_id}", headers={"accept": "application/json"})
    assert found.status_code == 200, found.text
    round_ = found.json()
    assert round_["group_id"] == group_id and round_["kind"] == "GROUP_MONITOR"
    assert round_["subject"]["display_name"] == "Maatschap Cardiologie"
    assert round_["subject"]["member_ids"] == [s[2], s[3], s[4]]  # as adjusted for this round
    assert [g["code"] for g in round_["respondent_groups"]][-1] == "patients"
    # Followed from one round to the next: the survey lists the group's rounds.
    listed = client.get(f"/api/survey/rounds?group_id={group_id}", headers={"accept": "application/json"})
    assert [r["id"] for r in listed.json()["items"]] == [round_id]

    # A group chosen and no member ticked: the group's current members.
    plain = {k: v for k, v in adjusted.items() if k != "members"}
    again = client.post("/rondes/nieuw/groepsmonitor", data={**plain, "title": "GM Cardio najaar"})
    assert again.status_code == 303
    second = again.headers["location"].split("/rondes/", 1)[1].split("?", 1)[0]
    members = client.get(f"/api/survey/rounds/{second}", headers={"accept": "application/json"}).json()
    assert members["subject"]["member_ids"] == [s[1], s[2], s[3]] and members["group_id"] == group_id


def test_the_board_sees_its_own_start_page_and_nothing_else(
    web: WebDeployment, hospitals: dict[str, Any]
) -> None:
    a = hospitals["a"]
    board, _ = signed_in(web, a, f"board@{a}.nl")
    is_page(board.get("/start"), 200, "voortgang van de actieplannen", "Rapportages, beoordelaars")
    assert "/rondes" not in board.get("/start").text
    for path in (
        "/rondes",
        "/rondes/nieuw",
        "/instellingen",
        "/groepen",
        "/rapportages/r-1.v1",
        "/bespreking/s-1/voorbereiding",
    ):
        is_page(board.get(path), 403)
    for path in (
        "/api/survey/rounds",
        "/api/aggregation/reports",
        "/api/invitation/me/todo",
        "/groups",
        "/people",
    ):
        assert board.get(path, headers={"accept": "application/json"}).status_code == 403, path
    english = board.get("/start?lang=en")
    is_page(english, 200, "yearly progress of the action plans")


@pytest.mark.browser
def test_a_group_and_its_groepsmonitor_in_the_browser(web: WebDeployment, browser: Any) -> None:
    """Chromium: a coordinator adds a group on its page, starts a Groepsmonitor from the group's
    page with the members ticked; axe-core finds nothing serious; nothing wider than a phone."""
    slug = f"gb-{uuid.uuid4().hex[:6]}"
    coordinator = f"coordinator@{slug}.nl"
    members = [(f"lid{i}@{slug}.nl", f"Dr. Hart {i}", "specialist") for i in (1, 2, 3)]
    run_async(make_hospital(web.env, slug, [(coordinator, "Coen Coördinator", "coordinator"), *members]))
    checked = Checked()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    sign_in(page, web, slug, coordinator)
    page.get_by_role("link", name="Groepen").click()
    checked.page(page, "groups-empty")
    page.get_by_label("Naam", exact=True).fill("Maatschap Cardiologie")
    page.get_by_label("Soort").select_option("maatschap")
    page.get_by_label("Specialisme").fill("Cardiologie")
    for _, name, _ in members[:2]:
        page.get_by_label(name).check()
    page.get_by_role("button", name="Groep toevoegen").click()
    page.wait_for_url(re.compile(r"/groepen/[0-9a-f]+\?bericht=created$"))
    assert "De groep is toegevoegd" in page.locator("[role=status]").inner_text()
    page.get_by_label("Specialist toevoegen").select_option(label="Dr. Hart 3")
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    assert "Leden nu (3)" in page.locator("h2").all_inner_texts()
    checked.page(page, "group-detail")
    page.get_by_role("link", name="Groepsmonitor voor deze groep starten").click()
    form = page.locator("form", has=page.get_by_role("button", name="Groepsmonitor aanmaken"))
    for _, name, _ in members:
        assert form.get_by_label(name).is_checked()
    form.get_by_label("Dr. Hart 3").uncheck()  # adjusted for this round
    checked.page(page, "rounds-new-from-group")
    form.get_by_role("button", name="Groepsmonitor aanmaken").click()
    page.wait_for_url(re.compile(r"/rondes/[^/]+\?aangemaakt=1$"))
    assert "Maatschap Cardiologie" in page.locator("main").inner_text()
    context.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="nl-NL")
    small = phone.new_page()
    sign_in(small, web, slug, coordinator)
    small.goto(web.tenant_url(slug, "/groepen"))
    assert small.evaluate("document.scrollingElement.scrollWidth") <= 390
    checked.page(small, "groups-phone")
    phone.close()
    assert not checked.violations, checked.violations
