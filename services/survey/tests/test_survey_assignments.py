"""Assignments announced by the invitation service's events, and instruments a tenant adapts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.invitation.v1 import events_pb2 as invitation_pb2
from spiegel.survey.v1 import events_pb2
from spiegel_demo.answers import complete_answers
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event
from spiegel_platform.links import hash_link_token, new_link_token
from survey_testkit import SurveyClient, publish, read_events

pytestmark = pytest.mark.integration


async def test_links_from_invitation_events(client, survey) -> None:  # type: ignore[no-untyped-def]
    round_ = await client.create_round("IFMS")
    tokens = [new_link_token() for _ in range(3)]
    expiry = Timestamp()
    expiry.FromDatetime((datetime.now(UTC) + timedelta(days=400)).replace(tzinfo=None))
    issued = [
        invitation_pb2.AssignmentIssued(
            assignment_id=f"inv-{i}",
            round_id=round_["id"],
            respondent_group="colleagues",
            token_hash=hash_link_token(token),
            language="en",
            expires_at=expiry,
        )
        for i, token in enumerate(tokens)
    ]
    withdrawn = invitation_pb2.AssignmentWithdrawn(assignment_id="inv-2", round_id=round_["id"])
    events = [new_event(m, tenant_id=client.tenant, producer="invitation") for m in [*issued, withdrawn]]
    # Delivered twice: handling is idempotent.
    await publish(survey.kafka, events + events)

    async def opened() -> bool:
        return bool((await client.questionnaire(tokens[0])).status_code == 200)

    assert await eventually(opened, timeout=40)
    english = (await client.questionnaire(tokens[0])).json()
    assert english["language"] == "en" and english["respondent_group"]["code"] == "colleagues"

    async def withdrawn_known() -> bool:
        response = await client.questionnaire(tokens[2])
        return bool(response.status_code == 410 and response.json()["code"] == "link_withdrawn")

    assert await eventually(withdrawn_known, timeout=20)
    assert (await client.submit(tokens[1], complete_answers(english["questionnaire"]))).status_code == 200

    def done(found: list) -> bool:  # type: ignore[type-arg]
        return any(e.event_type.endswith("AssignmentCompleted") for e in found)

    completed = await read_events(survey.kafka, ["spiegel.survey.assignments.v1"], client.tenant, done)
    payload = next(e.payload for e in completed if e.event_type.endswith("AssignmentCompleted"))
    assert payload.assignment_id == "inv-1" and payload.respondent_group == "colleagues"


async def test_copy_adapt_and_lock_instruments(client, survey) -> None:  # type: ignore[no-untyped-def]
    listed = await client.http.get("/instruments", headers=client.coordinator)
    assert {i["id"] for i in listed.json()} >= {"ifms", "groepsmonitor"}
    source = await client.http.get("/instruments/ifms/versions/1", headers=client.coordinator)
    assert source.json()["used"] is True  # built-ins never change
    content = source.json()["instrument"]
    content["themes"][0]["statements"][0]["other"]["nl"] = "De specialist blijft bij met de vakliteratuur."
    keep = {"title", "intro", "scale", "themes", "global_items", "open_questions"}
    copied = await client.http.post(
        "/instruments/ifms/versions/1/copy",
        headers=client.coordinator,
        json={"instrument_id": "ifms-eigen", "content": {k: v for k, v in content.items() if k in keep}},
    )
    assert copied.status_code == 201, copied.text
    assert copied.json()["instrument"]["copied_from_id"] == "ifms"
    content["themes"][0]["label"]["nl"] = "Vakmanschap"
    edit = {k: v for k, v in content.items() if k in keep}
    changed = await client.http.put(
        "/instruments/ifms-eigen/versions/1", headers=client.coordinator, json=edit
    )
    assert changed.status_code == 200, changed.text
    broken = {**edit, "scale": {**edit["scale"], "max": 7}}
    refused = await client.http.put(
        "/instruments/ifms-eigen/versions/1", headers=client.coordinator, json=broken
    )
    assert refused.status_code == 422

    round_ = await client.create_round("IFMS", instrument_id="ifms-eigen", instrument_version=1)
    assert round_["instrument"] == {"id": "ifms-eigen", "version": 1}
    locked = await client.http.put(
        "/instruments/ifms-eigen/versions/1", headers=client.coordinator, json=edit
    )
    assert locked.status_code == 409
    token = (await client.links(round_["id"], "staff"))[0]
    view = (await client.questionnaire(token)).json()["questionnaire"]
    assert view["themes"][0]["label"] == "Vakmanschap"
    assert view["themes"][0]["statements"][0]["text"] == "De specialist blijft bij met de vakliteratuur."
    next_version = await client.http.post(
        "/instruments/ifms-eigen/versions/1/copy",
        headers=client.coordinator,
        json={"instrument_id": "ifms-eigen"},
    )
    assert next_version.json()["instrument"]["version"] == 2

    def published(found: list) -> bool:  # type: ignore[type-arg]
        return any(e.payload.instrument_id == "ifms-eigen" for e in found)

    events = await read_events(survey.kafka, ["spiegel.survey.instruments.v1"], client.tenant, published)
    mine = [e.payload for e in events if e.payload.instrument_id == "ifms-eigen"]
    assert len(mine) == 1
    instrument: events_pb2.InstrumentPublished = mine[0]
    assert instrument.version == 1 and instrument.kind == events_pb2.ROUND_KIND_IFMS
    assert len(instrument.statements) == 34 and instrument.themes[0].label.nl == "Vakmanschap"
    assert instrument.statements[0].text_other.nl == "De specialist blijft bij met de vakliteratuur."
    assert instrument.statements[0].text_self.nl.startswith("Ik ")
    assert instrument.scale.max == 5 and instrument.scale.not_applicable_label.nl.startswith("Kan ik niet")
    assert [q.item_id for q in instrument.open_questions] == [
        "explanation",
        "goes_well",
        "could_improve",
        "suggestions",
    ]
    assert instrument.global_items[0].max == 10


async def test_a_production_service_makes_no_respondent_links_by_hand(
    processes, token_issuer, unique
) -> None:  # type: ignore[no-untyped-def]
    # Links made by hand could fill a group up to its minimum with made-up answers and reveal the
    # one real respondent's. The gateway never forwards this call; the service refuses it too.
    api = processes.start("survey", "api", f"survey_prod_{unique}", SPIEGEL_ENV="production")
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        coordinator = SurveyClient(http, token_issuer, f"t{unique}")
        round_ = await coordinator.create_round("IFMS")
        refused = await http.post(
            f"/rounds/{round_['id']}/assignments",
            json={"respondent_group": "colleagues", "count": 3},
            headers={**coordinator.coordinator, "accept-language": "en"},
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["message"] == "respondent links are issued by the invitation service only"
        assert refused.json()["code"] == "links_by_invitation_only"
