""" "Plan van aanpak" during the Groepsmonitor discussion: the session's facilitator reaches the
group's plan from the session page (`/bespreking/{id}`), starts it, saves an action and adopts it,
through the gateway and the web pages; the plan's page offers them neither closing nor the
improvement cycles; another facilitator gets the 404 page. The session (in the accreditation's
store, and its SessionPlanned on Kafka for the action-plan service) began an hour ago: no sleeping.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from spiegel.accreditation.v1 import events_pb2 as accreditation
from test_web_discussions import announce, stamp
from test_web_group_plans import make_group
from test_web_groups import is_page, signed_in
from web_browser import run_async
from web_helpers import WebDeployment, make_hospital

pytestmark = pytest.mark.integration
JSON = {"accept": "application/json"}


async def group_session(
    web: WebDeployment,
    tenant: str,
    group_id: str,
    members: list[str],
    facilitator: str,
    began: timedelta = timedelta(hours=1),
) -> str:
    """A Groepsmonitor session of the group that began `began` ago (an hour), two hours long: in
    the accreditation's store (its pages) and announced on Kafka (the action-plan service)."""
    from spiegel_accreditation.storage import Store

    session_id = str(uuid.uuid4())
    round_id = f"gm-{uuid.uuid4().hex[:10]}"
    start = (datetime.now(UTC) - began).replace(microsecond=0)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        await store.sessions.insert(
            {
                "id": session_id,
                "kind": "GROUP_MONITOR",
                "participants": [{"person_id": m, "round_id": round_id} for m in members],
                "participant_ids": members,
                "facilitator_ids": [facilitator],
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "location": "Vergaderzaal Groep",
                "online_url": "",
                "group_id": group_id,
                "series_id": "",
                "state": "planned",
                "version": 1,
            }
        )
    finally:
        await client.close()
    session = accreditation.Session(
        session_id=session_id,
        kind=accreditation.SESSION_KIND_GROUP_MONITOR,
        participants=[accreditation.Participant(person_id=m, round_id=round_id) for m in members],
        facilitator_ids=[facilitator],
        starts_at=stamp(start),
        ends_at=stamp(start + timedelta(hours=2)),
        group_id=group_id,
        version=1,
    )
    await announce(web, tenant, accreditation.SessionPlanned(session_id=session_id, session=session))
    return session_id


def wait_until_facilitating(client: httpx.Client, session_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = client.get("/api/action-plan/group-plans/mine", headers=JSON)
        if mine.status_code == 200 and any(session_id in g["facilitating"] for g in mine.json()):
            return
        time.sleep(0.5)
    raise AssertionError(f"session {session_id} not known to the action-plan service")


def visible(html: str) -> str:
    """The page's text as read (no tags, so no form values)."""
    return re.sub(r"<[^>]+>", " ", html)


def shown_with_names(client: httpx.Client, path: str, *names: str) -> str:
    """The page once the action-plan service knows the people's names (the gateway's
    PersonRegistered reaches it on Kafka a moment after the person was made)."""
    deadline = time.monotonic() + 60
    while True:
        page = client.get(path)
        if (page.status_code == 200 and all(n in page.text for n in names)) or time.monotonic() > deadline:
            return is_page(page, 200, *names)
        time.sleep(0.5)


def group_in_discussion(
    web: WebDeployment, prefix: str, second: str, names: tuple[str, str, str, str, str], group: str
) -> tuple[str, tuple[str, ...], dict[str, str], str, list[str], str]:
    """A new hospital (a coordinator, the facilitator `gl`, a second facilitator `second`, two
    specialists `anna` and `bert`), the group of the two and a Groepsmonitor session of it led by
    `gl`, under way now: (slug, the five addresses, ids by address, group id, members, session id)."""
    slug = f"{prefix}-{uuid.uuid4().hex[:6]}"
    addresses = tuple(f"{who}@{slug}.nl" for who in ("coordinator", "gl", second, "anna", "bert"))
    roles = ("coordinator", "facilitator", "facilitator", "specialist", "specialist")
    ids = run_async(make_hospital(web.env, slug, list(zip(addresses, names, roles, strict=True))))
    members = [ids[addresses[3]], ids[addresses[4]]]
    group_id = make_group(web, slug, addresses[0], group, members)
    session_id = run_async(group_session(web, slug, group_id, members, ids[addresses[1]]))
    return slug, addresses, ids, group_id, members, session_id


def test_the_facilitator_sees_the_members_by_name_during_the_discussion_only(web: WebDeployment) -> None:
    slug, (_, gl, late, anna, bert), ids, group_id, members, session_id = group_in_discussion(
        web,
        "gpn",
        "late",
        ("Carla Coördinator", "Greet Gespreksleider", "Lars Laat", "Dr. Anna Aalders", "Dr. Bert Bakker"),
        "Vakgroep Longziekten",
    )
    # Another facilitator's session of the same group ended 3 hours ago: past the 2 hours' margin.
    run_async(group_session(web, slug, group_id, members, ids[late], began=timedelta(hours=5)))
    lead, csrf = signed_in(web, slug, gl)
    wait_until_facilitating(lead, session_id)
    # The session page names the participants too (the accreditation's copy of the same names).
    text = visible(shown_with_names(lead, f"/bespreking/{session_id}", "Dr. Anna Aalders", "Dr. Bert Bakker"))
    assert ids[anna] not in text and ids[bert] not in text
    started = lead.post("/groepsplannen", data={"csrf_token": csrf, "group_id": group_id, "round_id": ""})
    assert started.status_code == 303, started.text[:500]
    path = started.headers["location"].split(f"/t/{slug}", 1)[1]
    html = shown_with_names(lead, path, "als gespreksleider", "Dr. Anna Aalders", "Dr. Bert Bakker")
    text = visible(html)
    assert ids[anna] not in text and ids[bert] not in text  # names, never an id to read
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    saved = lead.post(
        path,
        data={
            "csrf_token": csrf,
            "version": version,
            "action-0-description": "Overdracht aan de SEH elke week bespreken",
            "action-0-owner_person_id": ids[bert],
            "action-0-due": (date.today() + timedelta(days=60)).isoformat(),
            "action-0-measure": "Vier besprekingen per maand",
            "action-0-embedding_kind": "standing_agenda_item",
            "action-0-embedding_text": "Vast punt in het vakgroepoverleg",
            "action-0-status": "open",
        },
    )
    assert saved.status_code == 303, saved.text[:2000]
    text = visible(is_page(lead.get(path), 200, "Overdracht aan de SEH elke week bespreken"))
    assert "Dr. Bert Bakker" in text and ids[bert] not in text  # the action's owner by name
    # The history: the facilitator who created the plan and added the action, by name.
    history = visible(is_page(lead.get(f"{path}/geschiedenis"), 200, "Greet Gespreksleider"))
    assert ids[gl] not in history and ids[bert] not in history
    # The member's own page reads the same names.
    member, _ = signed_in(web, slug, anna)
    text = visible(is_page(member.get(path), 200, "Dr. Anna Aalders", "Dr. Bert Bakker"))
    assert ids[anna] not in text and ids[bert] not in text

    # The facilitator whose session ended 3 hours ago: 404, no name, through the pages and the API.
    outsider, _ = signed_in(web, slug, late)
    for answer in (
        outsider.get(path),
        outsider.get(f"{path}/geschiedenis"),
        outsider.get(f"/api/action-plan/group-plans/{path.rsplit('/', 1)[1]}", headers=JSON),
    ):
        assert answer.status_code == 404, answer.text[:500]
        assert not any(n in answer.text for n in ("Dr. Anna Aalders", "Dr. Bert Bakker", "Greet"))


def test_the_facilitator_edits_the_group_plan_during_the_discussion(web: WebDeployment) -> None:
    slug, (_, gl, other, anna, _), ids, group_id, _, session_id = group_in_discussion(
        web,
        "gpf",
        "other",
        ("Carla Coördinator", "Greet Gespreksleider", "Otto Anders", "Dr. Anna", "Dr. Bert"),
        "Vakgroep Cardiologie",
    )
    lead, csrf = signed_in(web, slug, gl)
    wait_until_facilitating(lead, session_id)

    # The session page: no plan yet, so a button to start it.
    is_page(lead.get(f"/bespreking/{session_id}"), 200, "Plan van aanpak van de groep beginnen", "2 uur")
    started = lead.post("/groepsplannen", data={"csrf_token": csrf, "group_id": group_id, "round_id": ""})
    assert started.status_code == 303, started.text[:500]
    path = started.headers["location"].split(f"/t/{slug}", 1)[1]
    plan_id = path.rsplit("/", 1)[1]
    html = is_page(lead.get(path), 200, "als gespreksleider", "Nieuwe actie")
    assert "/afsluiten" not in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    saved = lead.post(
        path,
        data={
            "csrf_token": csrf,
            "version": version,
            "action-0-description": "Elke maand een casus nabespreken",
            "action-0-owner_person_id": ids[anna],
            "action-0-due": (date.today() + timedelta(days=90)).isoformat(),
            "action-0-measure": "Tien nabesprekingen per jaar",
            "action-0-embedding_kind": "protocol",
            "action-0-embedding_text": "In het vakgroepprotocol",
            "action-0-status": "open",
        },
    )
    assert saved.status_code == 303, saved.text[:2000]
    html = is_page(lead.get(path), 200, "Elke maand een casus nabespreken")
    assert "/acties/" not in html  # the improvement cycles are the members'
    adopted = lead.post(f"{path}/vaststellen", data={"csrf_token": csrf})
    assert adopted.status_code == 303, adopted.text[:2000]

    # Now the session page links to the plan; the members see the facilitator's changes.
    page = is_page(lead.get(f"/bespreking/{session_id}"), 200, "Plan van aanpak van de groep bewerken")
    assert f"/groepsplannen/{plan_id}" in page
    member, _ = signed_in(web, slug, anna)
    history = member.get(f"/api/action-plan/group-plans/{plan_id}/history", headers=JSON).json()
    assert [(h["what"], h["by"]) for h in history] == [
        ("created", ids[gl]),
        ("action_added", ids[gl]),
        ("adopted", ids[gl]),
    ]

    # Another facilitator: the 404 page, the plan nowhere.
    outsider, _ = signed_in(web, slug, other)
    is_page(outsider.get(path), 404)
    assert outsider.get(f"/api/action-plan/group-plans/{plan_id}", headers=JSON).status_code == 404
