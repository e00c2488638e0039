"""Rounds over the real API and Kafka: lifecycle with its events, closing on time, filters, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from spiegel.gateway.v1 import events_pb2 as gateway_pb2
from spiegel.survey.v1 import events_pb2
from spiegel_demo.answers import complete_answers
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event
from survey_testkit import publish, read_events

pytestmark = pytest.mark.integration

ROUNDS_TOPIC = "spiegel.survey.rounds.v1"


async def test_lifecycle_events_and_closing_on_time(client, survey) -> None:  # type: ignore[no-untyped-def]
    # The gateway says this hospital shows groups of at least 6.
    configured = gateway_pb2.TenantConfigured(tenant_id=client.tenant, slug="t", min_group_size=6, revision=3)
    await publish(survey.kafka, [new_event(configured, tenant_id=client.tenant, producer="gateway")])

    async def threshold_known() -> bool:
        draft = await client.create_round("IFMS", open=False)
        opened = await client.http.post(f"/rounds/{draft['id']}/open", headers=client.coordinator)
        return bool(opened.json()["min_group_size"] == 6)

    assert await eventually(threshold_known, timeout=30, interval=0.5)

    draft = await client.create_round(
        "GROUP_MONITOR",
        open=False,
        include_patients=True,
        opens_at="2026-01-05T09:00:00",
        group_id="gateway-group-cardio",
    )
    assert draft["status"] == "draft" and draft["group_id"] == "gateway-group-cardio"
    codes = [g["code"] for g in draft["respondent_groups"]]
    assert codes == ["members", "colleagues", "staff", "managers", "referrers", "partners", "patients"]
    assert draft["opens_at"].endswith("+01:00")  # Amsterdam winter time
    token = (await client.links(draft["id"], "members"))[0]
    not_yet = await client.questionnaire(token)
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "round_not_open"

    opened = await client.http.post(f"/rounds/{draft['id']}/open", headers=client.coordinator)
    assert opened.status_code == 200, opened.text
    view = (await client.questionnaire(token)).json()
    assert view["perspective"] == "self" and view["respondent_group"]["is_self"]
    assert view["questionnaire"]["themes"][0]["statements"][0]["text"].startswith("Wij ")
    assert (await client.submit(token, complete_answers(view["questionnaire"]))).status_code == 200
    again = await client.http.post(f"/rounds/{draft['id']}/open", headers=client.coordinator)
    assert again.status_code == 409

    new_close = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    extended = await client.http.post(
        f"/rounds/{draft['id']}/extend", json={"closes_at": new_close}, headers=client.coordinator
    )
    assert extended.status_code == 200, extended.text
    earlier = await client.http.post(
        f"/rounds/{draft['id']}/extend",
        json={"closes_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        headers=client.coordinator,
    )
    assert earlier.status_code == 409 and "closes_at" in earlier.json()["message"]

    async def counted() -> bool:
        progress = await client.http.get(f"/rounds/{draft['id']}/progress", headers=client.coordinator)
        return bool(progress.json()["completed"] == 1)

    assert await eventually(counted, timeout=30)
    unused = (await client.links(draft["id"], "staff"))[0]
    closed = await client.http.post(f"/rounds/{draft['id']}/close", headers=client.coordinator)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    refused = await client.submit(unused, complete_answers(view["questionnaire"]))
    assert refused.status_code == 410 and refused.json()["code"] == "round_closed"
    assert (
        await client.http.post(
            f"/rounds/{draft['id']}/assignments",
            headers=client.coordinator,
            json={"respondent_group": "staff"},
        )
    ).status_code == 409

    # A round whose closing time passes closes by itself.
    soon = await client.create_round("IFMS", closes_at=(datetime.now(UTC) + timedelta(seconds=4)).isoformat())
    link = (await client.links(soon["id"], "colleagues"))[0]
    view = (await client.questionnaire(link)).json()
    assert (await client.submit(link, complete_answers(view["questionnaire"]))).status_code == 200
    waiting = (await client.links(soon["id"], "staff"))[0]

    async def closed_by_itself() -> bool:
        current = await client.http.get(f"/rounds/{soon['id']}", headers=client.coordinator)
        return bool(current.json()["status"] == "closed")

    assert await eventually(closed_by_itself, timeout=40)
    gone = await client.questionnaire(waiting)
    assert gone.status_code == 410 and gone.json()["code"] == "round_closed"

    def complete(found: list) -> bool:  # type: ignore[type-arg]
        return sum(e.event_type.endswith("RoundClosed") for e in found) >= 2

    events = await read_events(survey.kafka, [ROUNDS_TOPIC], client.tenant, complete)
    by_type: dict[str, list] = {}  # type: ignore[type-arg]
    for event in events:
        by_type.setdefault(event.event_type.rsplit(".", 1)[1], []).append(event)
    group_opened = next(e.payload for e in by_type["RoundOpened"] if e.payload.round_id == draft["id"])
    assert group_opened.kind == events_pb2.ROUND_KIND_GROUP_MONITOR
    assert list(group_opened.subject.member_ids) == ["spec-1", "spec-2", "spec-3", "spec-4"]
    assert group_opened.subject.display_name == "Vakgroep Cardiologie"
    assert group_opened.instrument_id == "groepsmonitor" and group_opened.instrument_version == 1
    assert group_opened.min_group_size == 6
    assert (
        group_opened.opens_at.seconds > 0 and group_opened.closes_at.seconds > group_opened.opens_at.seconds
    )
    labels = {g.code: (g.label_nl, g.label_en, g.is_self) for g in group_opened.respondent_groups}
    assert labels["members"] == ("Groepsleden (zelfbeeld)", "Group members (self-view)", True)
    assert labels["patients"][0] == "Patiënten"
    assert group_opened.title
    extension = by_type["RoundExtended"][0].payload
    assert extension.closes_at.seconds > extension.previous_closes_at.seconds
    closings = {e.payload.round_id: e.payload for e in by_type["RoundClosed"]}
    assert closings[draft["id"]].reason == events_pb2.RoundClosed.REASON_CLOSED_EARLY
    assert dict(closings[draft["id"]].completed_per_group)["members"] == 1

    # Created as a draft: announced at once with the facts the invitation service prepares it from.
    group_created = next(e.payload for e in by_type["RoundCreated"] if e.payload.round_id == draft["id"])
    assert group_created.kind == events_pb2.ROUND_KIND_GROUP_MONITOR
    assert group_created.subject == group_opened.subject
    assert list(group_created.respondent_groups) == list(group_opened.respondent_groups)
    assert group_created.title == group_opened.title and group_created.closes_at == group_opened.closes_at
    assert group_created.instrument_id == "groepsmonitor" and group_created.instrument_version == 1
    assert group_created.group_id == "gateway-group-cardio"  # the gateway's group, followed round to round
    planned = group_created.opens_at.ToDatetime(tzinfo=UTC)
    assert planned == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # the planned opening, not when it opened
    # One key per round: its events arrive in the order they happened, created before opened.
    in_order = [e.event_type.rsplit(".", 1)[1] for e in events if e.payload.round_id == draft["id"]]
    assert in_order[:2] == ["RoundCreated", "RoundOpened"], in_order
    created_open = [e.event_type.rsplit(".", 1)[1] for e in events if e.payload.round_id == soon["id"]]
    assert created_open[:2] == ["RoundCreated", "RoundOpened"], created_open
    soon_created = next(e.payload for e in by_type["RoundCreated"] if e.payload.round_id == soon["id"])
    assert not soon_created.HasField("opens_at")  # no planned opening: none is announced
    assert closings[soon["id"]].reason == events_pb2.RoundClosed.REASON_PERIOD_ENDED
    assert dict(closings[soon["id"]].completed_per_group) == {
        "self": 0,
        "colleagues": 1,
        "staff": 0,
        "flex": 0,
    }


async def test_list_filters_paging_and_specialist_access(client) -> None:  # type: ignore[no-untyped-def]
    batch = await client.http.post(
        "/rounds/ifms-batch",
        headers=client.coordinator,
        json={
            "title": "IFMS 2026",
            "closes_at": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
            "open": True,
            "specialists": [
                {"subject_id": f"spec-{i}", "display_name": f"Dr. {i}", "flex_label_nl": "OK-team"}
                for i in range(1, 6)
            ],
        },
    )
    assert batch.status_code == 201, batch.text
    assert [r["title"] for r in batch.json()][:2] == ["IFMS 2026 – Dr. 1", "IFMS 2026 – Dr. 2"]
    followed = await client.create_round("GROUP_MONITOR", open=False, group_id="gateway-group-7")

    async def page(**params: str) -> dict:  # type: ignore[type-arg]
        response = await client.http.get("/rounds", params=params, headers=client.coordinator)
        assert response.status_code == 200, response.text
        return dict(response.json())

    assert (await page())["total"] == 6
    assert (await page(kind="IFMS"))["total"] == 5
    assert (await page(status="draft"))["total"] == 1
    assert [r["id"] for r in (await page(group_id="gateway-group-7"))["items"]] == [followed["id"]]
    assert (await page(group_id="gateway-group-8"))["total"] == 0
    assert all(r["group_id"] is None for r in batch.json())
    assert (await page(subject_id="spec-2"))["total"] == 2  # own IFMS round and the group they belong to
    first, second = await page(limit="4"), await page(limit="4", offset="4")
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}
    future = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    assert (await page(period_from=future))["total"] == 0

    specialist = client.headers(["specialist"], subject="spec-3")
    mine = await client.http.get("/rounds", headers=specialist)
    assert {r["subject"]["subject_id"] for r in mine.json()["items"]} == {"spec-3", "group-1"}
    someone_else = batch.json()[0]["id"]
    assert (await client.http.get(f"/rounds/{someone_else}", headers=specialist)).status_code == 404
    own = batch.json()[2]["id"]
    assert (await client.http.get(f"/rounds/{own}", headers=specialist)).status_code == 200
    assert (await client.http.post(f"/rounds/{own}/close", headers=specialist)).status_code == 403

    bad = await client.http.post(
        "/rounds",
        headers=client.coordinator,
        json={
            "kind": "IFMS",
            "title": "x",
            "subject": {"subject_id": "s", "display_name": "S"},
            "closes_at": "2020-01-01T00:00:00",
        },
    )
    assert bad.status_code == 422 and "closes_at" in bad.json()["message"]
    ifms_of_a_group = await client.http.post(
        "/rounds",
        headers=client.coordinator,
        json={
            "kind": "IFMS",
            "title": "x",
            "subject": {"subject_id": "s", "display_name": "S"},
            "closes_at": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
            "group_id": "gateway-group-7",
        },
    )
    assert ifms_of_a_group.status_code == 422 and "group_id" in ifms_of_a_group.json()["message"]
    wrong_instrument = await client.http.post(
        "/rounds",
        headers=client.coordinator,
        json={
            "kind": "IFMS",
            "title": "x",
            "subject": {"subject_id": "s", "display_name": "S"},
            "closes_at": future,
            "instrument_id": "groepsmonitor",
        },
    )
    assert wrong_instrument.status_code == 422 and "instrument_id" in wrong_instrument.json()["message"]
