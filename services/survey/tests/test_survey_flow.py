"""A respondent's way through a questionnaire, against the real API, Kafka and FerretDB."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from spiegel_demo.answers import complete_answers
from spiegel_dev.waiting import eventually

pytestmark = pytest.mark.integration


async def test_ifms_questionnaire_draft_submit_once(client) -> None:  # type: ignore[no-untyped-def]
    round_ = await client.create_round("IFMS", flex_label_nl="Arts-assistenten", flex_label_en="Residents")
    assert round_["status"] == "open"
    assert [g["code"] for g in round_["respondent_groups"]] == ["self", "colleagues", "staff", "flex"]
    assert round_["respondent_groups"][3]["label_nl"] == "Arts-assistenten"
    self_token = (await client.links(round_["id"], "self"))[0]
    colleague = (await client.links(round_["id"], "colleagues", language="en"))[0]

    own = (await client.questionnaire(self_token)).json()
    assert own["perspective"] == "self" and own["language"] == "nl"
    first = own["questionnaire"]["themes"][0]["statements"][0]["text"]
    assert first.startswith("Ik ")
    other = await client.questionnaire(colleague)
    assert other.status_code == 200, other.text
    body = other.json()
    assert body["language"] == "en" and body["perspective"] == "other"
    assert body["questionnaire"]["themes"][0]["statements"][0]["text"].startswith("The specialist")
    dutch = (await client.questionnaire(colleague, lang="nl")).json()
    assert dutch["questionnaire"]["themes"][0]["statements"][0]["text"].startswith("De specialist")
    assert body["progress"] == {"answered": 0, "required": 36}

    answers = complete_answers(body["questionnaire"], comment="Prima")
    partial = {
        "ratings": dict(list(answers["ratings"].items())[:5]),
        "comments": {"goes_well": "Luistert goed"},
    }
    saved = await client.draft(colleague, partial)
    assert saved.status_code == 200, saved.text
    assert saved.json()["progress"] == {"answered": 5, "required": 36}
    again = (await client.questionnaire(colleague)).json()
    assert again["draft"]["ratings"] == partial["ratings"]
    assert again["draft"]["comments"] == {"goes_well": "Luistert goed"}

    incomplete = await client.submit(colleague, partial)
    assert incomplete.status_code == 422
    assert any(e["field"] == "ratings.me6" for e in incomplete.json()["errors"])

    done = await client.submit(colleague, answers)
    assert done.status_code == 200, done.text
    twice = await client.submit(colleague, {**answers, "ratings": {**answers["ratings"], "me1": 1}})
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_submitted"
    assert twice.json()["message_nl"] and twice.json()["message_en"]
    reopened = await client.questionnaire(colleague)
    assert reopened.status_code == 409 and reopened.json()["code"] == "already_submitted"
    late_draft = await client.draft(colleague, partial)
    assert late_draft.status_code == 409


async def test_refusals_name_what_is_wrong(client) -> None:  # type: ignore[no-untyped-def]
    round_ = await client.create_round("IFMS")
    token = (await client.links(round_["id"], "colleagues"))[0]
    questionnaire = (await client.questionnaire(token)).json()["questionnaire"]
    answers = complete_answers(questionnaire)

    unknown = await client.questionnaire("x" * 32)
    assert unknown.status_code == 404 and unknown.json()["code"] == "link_unknown"
    other_token = (await client.links(round_["id"], "staff"))[0]
    stolen = await client.http.get(f"/questionnaires/{token}", headers=client.respondent(other_token))
    assert stolen.status_code == 403 and stolen.json()["code"] == "link_mismatch"
    coordinator = await client.http.get(f"/questionnaires/{token}", headers=client.coordinator)
    assert coordinator.status_code == 403

    cases: list[tuple[dict[str, Any], str]] = [
        ({**answers, "ratings": {**answers["ratings"], "me1": 6}}, "ratings.me1"),
        ({**answers, "ratings": {**answers["ratings"], "me1": 0}}, "ratings.me1"),
        ({**answers, "ratings": {**answers["ratings"], "bogus": 3}}, "ratings.bogus"),
        ({**answers, "ratings": {**answers["ratings"], "overall_grade": 11}}, "ratings.overall_grade"),
        ({**answers, "comments": {"goes_well": "x" * 2001}}, "comments.goes_well"),
        ({**answers, "comments": {"favourite_colour": "blue"}}, "comments.favourite_colour"),
    ]
    for body, field in cases:
        refused = await client.submit(token, body)
        assert refused.status_code == 422, (field, refused.text)
        assert field in refused.json()["message"], refused.text
    typed = await client.submit(token, {**answers, "ratings": {**answers["ratings"], "me2": "4"}})
    assert typed.status_code == 422 and "ratings.me2" in typed.json()["message"]
    nvt = await client.submit(token, {**answers, "ratings": {**answers["ratings"], "me2": "nvt"}})
    assert nvt.status_code == 200, nvt.text


async def test_two_simultaneous_submits_store_one_response(client, db) -> None:  # type: ignore[no-untyped-def]
    round_ = await client.create_round("IFMS")
    token = (await client.links(round_["id"], "staff"))[0]
    answers = complete_answers((await client.questionnaire(token)).json()["questionnaire"])
    headers = client.respondent(token)
    gate = asyncio.Event()

    async def one(score: int) -> int:
        await gate.wait()
        body = {**answers, "ratings": {**answers["ratings"], "me1": score}}
        response = await client.http.post(f"/questionnaires/{token}/submit", json=body, headers=headers)
        return response.status_code

    tasks = [asyncio.create_task(one(1 + i % 5)) for i in range(12)]
    await asyncio.sleep(0.05)  # every request waits at the gate
    gate.set()
    statuses = await asyncio.gather(*tasks)
    assert sorted(statuses) == [200] + [409] * 11, statuses
    stored = await db["responses"].count_documents({"tenant_id": client.tenant, "round_id": round_["id"]})
    assert stored == 1
    submissions = await db["submissions"].count_documents({"tenant_id": client.tenant})
    assert submissions == 1


async def test_an_expired_link_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    round_ = await client.create_round("IFMS")
    expires = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    made = await client.http.post(
        f"/rounds/{round_['id']}/assignments",
        json={"respondent_group": "staff", "expires_at": expires},
        headers=client.coordinator,
    )
    token = made.json()["assignments"][0]["token"]
    assert (await client.questionnaire(token)).status_code == 200

    async def expired() -> bool:
        response = await client.questionnaire(token)
        return bool(response.status_code == 410 and response.json()["code"] == "link_expired")

    assert await eventually(expired, timeout=15)
    body = (await client.submit(token, {"ratings": {}})).json()
    assert body["code"] == "link_expired" and "verlopen" in body["message_nl"]
