""" "Mijn ontwikkelplan" over HTTP through the gateway (no browser): the specialist starts their POP
for their own IFMS round, a refused save keeps what was typed, HTML stays text, the gentle prompts
show, completing says only that it is complete (the coordinator's yes/no), the PDF downloads;
a colleague and the coordinator never see it."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from test_web_groups import is_page, signed_in
from web_browser import run_async
from web_helpers import WebDeployment, make_hospital

pytestmark = pytest.mark.integration
JSON = {"accept": "application/json"}


def test_my_development_plan_pages(web: WebDeployment) -> None:
    slug = f"pop-{uuid.uuid4().hex[:6]}"
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (f"coordinator@{slug}.nl", "Carla Coördinator", "coordinator"),
                (f"anna@{slug}.nl", "Dr. Anna", "specialist"),
                (f"bert@{slug}.nl", "Dr. Bert", "specialist"),
            ],
        )
    )
    anna_id = ids[f"anna@{slug}.nl"]
    coordinator, coordinator_csrf = signed_in(web, slug, f"coordinator@{slug}.nl")
    made = coordinator.post(
        "/api/survey/rounds",
        headers={**JSON, "x-csrf-token": coordinator_csrf},
        json={
            "kind": "IFMS",
            "title": "IFMS Anna 2027",
            "open": True,
            "subject": {"subject_id": anna_id, "display_name": "Dr. Anna"},
            "closes_at": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    round_id = made.json()["id"]

    anna, csrf = signed_in(web, slug, f"anna@{slug}.nl")
    assert "/mijn-ontwikkelplan" in anna.get("/start").text  # in the navigation
    is_page(anna.get("/mijn-ontwikkelplan"), 200, "Mijn ontwikkelplan", "Beginnen voor IFMS Anna 2027")
    # The action-plan service learns of the round from the survey's event: a moment later at most.
    deadline = time.monotonic() + 60
    while True:
        started = anna.post("/mijn-ontwikkelplan", data={"csrf_token": csrf, "round_id": round_id})
        if started.status_code == 303 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert started.status_code == 303, started.text[:500]
    path = started.headers["location"].split(f"/t/{slug}", 1)[1]
    plan_id = path.rsplit("/", 1)[1]
    html = is_page(anna.get(path), 200, "Behouden en uitbreiden", "Nieuw doel", "Alleen u ziet dit plan")
    version = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]

    typed = {
        "csrf_token": csrf,
        "version": version,
        "keep_and_extend": "Rust in de overdracht <b>vet</b>",
        "goal-0-what": "Beter luisteren <script>alert(1)</script>",
        "goal-0-why_kind": "blind_spot",
        "goal-0-why_label": "Laat anderen uitpraten",
        "goal-0-by_when": (date.today() - timedelta(days=3)).isoformat(),
        "goal-0-status": "not_started",
    }
    # A date in the past: the form again, with what was typed and the reason.
    refused = anna.post(path, data=typed)
    html = is_page(
        refused, 422, "in het verleden", "Laat anderen uitpraten", "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert "<script>alert(1)" not in html
    typed["goal-0-by_when"] = (date.today() + timedelta(days=90)).isoformat()
    saved = anna.post(path, data=typed)
    assert saved.status_code == 303, saved.text[:500]
    html = is_page(
        anna.get(saved.headers["location"].split(f"/t/{slug}", 1)[1]),
        200,
        "Uw ontwikkelplan is bewaard",
        "meetbaar",
        "Rust in de overdracht &lt;b&gt;vet&lt;/b&gt;",
    )
    # A second tab still on the first version: told, with its input kept.
    stale = anna.post(path, data={**typed, "keep_and_extend": "Uit het tweede tabblad"})
    is_page(stale, 409, "intussen", "Uit het tweede tabblad")

    # Anyone else: not found, a colleague and the coordinator alike (as on the API: whether a POP
    # exists is its owner's to know); the overview is a specialist's only.
    bert, _ = signed_in(web, slug, f"bert@{slug}.nl")
    for page in (path, f"{path}/pdf"):
        assert bert.get(page).status_code == 404
        assert coordinator.get(page).status_code == 404
    assert coordinator.get("/mijn-ontwikkelplan").status_code == 404
    assert "Beter luisteren" not in bert.get(path).text
    assert "Beter luisteren" not in coordinator.get(path).text

    # The coordinator's overview: the name, the round, "no" (a draft is not complete), no content.
    listed = is_page(
        coordinator.get("/ontwikkelplannen"), 200, "Ontwikkelplannen", "Dr. Anna", "IFMS Anna 2027"
    )
    assert "0 van de 1 afgerond" in listed and "Beter luisteren" not in listed and "Rust in" not in listed
    assert "/ontwikkelplannen" in coordinator.get("/start").text  # in the navigation
    assert bert.get("/ontwikkelplannen").status_code == 403

    pdf = anna.get(f"{path}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    done = anna.post(f"{path}/afronden", data={"csrf_token": csrf})
    assert done.status_code == 303, done.text[:500]
    is_page(
        anna.get(done.headers["location"].split(f"/t/{slug}", 1)[1]),
        200,
        "Uw IFMS is daarmee klaar",
        "Afgerond",
    )
    overview: list[dict[str, Any]] = coordinator.get(
        "/api/action-plan/completion", params={"round_id": round_id}, headers=JSON
    ).json()
    assert overview == [{"round_id": round_id, "person_id": anna_id, "pop_complete": True}]
    assert plan_id not in str(overview)
    listed = is_page(coordinator.get("/ontwikkelplannen"), 200, "1 van de 1 afgerond", "Dr. Anna")
    assert plan_id not in listed and "Beter luisteren" not in listed
    english = anna.get(f"{path}?lang=en")
    is_page(english, 200, "My development plan", "Keep and extend")
