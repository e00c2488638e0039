"""Straight from creating a round to its nominations: the pages create rounds in the survey service only,
and the invitation service learns of them from the survey's RoundCreated. A page that comes before that
event waits for it briefly, and otherwise says the round is being prepared and reloads itself (never a
404); once the event has arrived, the same pages work."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta

import httpx
import pytest
from spiegel_web import preparing
from web_browser import run_async
from web_helpers import PASSWORD, WebDeployment, make_hospital

pytestmark = pytest.mark.integration

HTML = {"accept": "text/html"}
PREPARING = "De ronde wordt klaargezet"


def signed_in(web: WebDeployment, slug: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=f"{web.url}/t/{slug}", headers=HTML, timeout=30)
    form = client.get("/inloggen")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = client.post("/inloggen", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert done.status_code == 303, done.text[:300]
    start = client.get("/start")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', start.text).group(1)  # type: ignore[union-attr]
    return client, csrf


def create_group_monitor(client: httpx.Client, csrf: str, members: list[str], name: str) -> str:
    created = client.post(
        "/rondes/nieuw/groepsmonitor",
        data={
            "csrf_token": csrf,
            "title": f"Groepsmonitor {name}",
            "group_name": name,
            "closes_on": (date.today() + timedelta(days=21)).isoformat(),
            "members": members,
        },
    )
    assert created.status_code == 303, created.text[:500]
    found = re.search(r"/rondes/([^/?]+)\?aangemaakt=1$", created.headers["location"])
    assert found, created.headers["location"]
    return found.group(1)


def test_nominations_right_after_creating_a_round(web: WebDeployment) -> None:
    slug = f"pr-{uuid.uuid4().hex[:6]}"
    coordinator = f"coordinator@{slug}.nl"
    members = [f"lid{i}@{slug}.nl" for i in (1, 2)]
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (coordinator, "Coördinator", "coordinator"),
                *[(m, f"Dr. {m[:4]}", "specialist") for m in members],
            ],
        )
    )
    client, csrf = signed_in(web, slug, coordinator)
    member_ids = [ids[m] for m in members]

    # The usual case: the event is on its way while the coordinator goes on; the pages wait for it
    # (on a machine so busy that it takes longer than their wait, they say so: never an error).
    round_id = create_group_monitor(client, csrf, member_ids, "Vakgroep Snel")
    detail = client.get(f"/rondes/{round_id}")
    assert detail.status_code == 200, detail.text[:500]
    if "refresh" not in detail.headers:
        assert "Groepsleden" in detail.text  # the progress table per group, from the invitation service
    nominations = client.get(f"/rondes/{round_id}/nominaties")
    assert nominations.status_code == 200, nominations.text[:500]
    if PREPARING not in nominations.text:
        assert 'name="group"' in nominations.text

    # The event held up (the survey's relay stopped): a page says so and reloads itself, no 404.
    relay = next(p for p in web.started if p.service == "survey" and p.process == "relay")
    relay.stop()
    try:
        held = create_group_monitor(client, csrf, member_ids, "Vakgroep Traag")
        started = time.monotonic()
        early = client.get(f"/rondes/{held}/nominaties")
        assert time.monotonic() - started >= preparing.WAIT_S  # it waited first
        assert early.status_code == 200, early.text[:500]
        assert PREPARING in early.text and early.headers.get("refresh") == "2"
        template = client.get(f"/rondes/{held}/sjabloon.xlsx")
        assert template.status_code == 200 and PREPARING in template.text and template.headers["refresh"]
        detail = client.get(f"/rondes/{held}")
        assert detail.status_code == 200 and "wordt nu klaargezet" in detail.text
        assert detail.headers.get("refresh") == "2"
        assert "sjabloon.xlsx" not in detail.text  # (a download link would save this page as the file)
        upload = client.post(
            f"/rondes/{held}/import",
            data={"csrf_token": csrf},
            files={"file": ("lijst.csv", b"group;name;email\ncolleagues;A B;a@b.nl\n", "text/csv")},
        )
        assert upload.status_code == 200 and PREPARING in upload.text
        assert "refresh" not in upload.headers  # a form post is not repeated by itself
        # A round nobody created is still not found.
        assert client.get(f"/rondes/{uuid.uuid4()}/nominaties").status_code == 404
    finally:
        relay.start(wait=True)

    # The event arrives: the same page now shows the nominations form.
    deadline = time.monotonic() + 60
    while PREPARING in (page := client.get(f"/rondes/{held}/nominaties")).text:
        assert time.monotonic() < deadline, "the round did not reach the invitation service within 60 s"
        time.sleep(0.5)
    assert page.status_code == 200 and 'name="group"' in page.text
    assert (
        client.get(f"/rondes/{held}/sjabloon.xlsx")
        .headers["content-type"]
        .startswith("application/vnd.openxmlformats")
    )
