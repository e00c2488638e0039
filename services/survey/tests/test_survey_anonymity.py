"""Identity and answers never appear together: not in any event, not in any API response, not in the
response documents. A scenario with drafts and submissions runs against the real processes; every
event the service published for the tenant and every response the API gave are inspected."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from spiegel.survey.v1 import events_pb2
from spiegel_demo.answers import complete_answers
from spiegel_platform.events.contracts import all_contracts
from spiegel_platform.links import hash_link_token
from survey_testkit import read_events

pytestmark = pytest.mark.integration

IDENTITY_FIELDS = {"assignment_id", "token", "token_hash", "email", "name", "person_id"}
SURVEY_TOPICS = [
    "spiegel.survey.rounds.v1",
    "spiegel.survey.assignments.v1",
    "spiegel.survey.responses.v1",
    "spiegel.survey.instruments.v1",
]


def _fields(descriptor: Any, seen: set[str] | None = None) -> set[str]:
    names: set[str] = set()
    seen = seen if seen is not None else set()
    if descriptor.full_name in seen:
        return names
    seen.add(descriptor.full_name)
    for field in descriptor.fields:
        names.add(field.name)
        if field.message_type is not None:
            names |= _fields(field.message_type, seen)
    return names


def test_no_event_contract_can_carry_identity_and_answers() -> None:
    survey = [c for c in all_contracts() if c.event_type.startswith("spiegel.survey.")]
    assert {c.event_type.rsplit(".", 1)[1] for c in survey} >= {
        "RoundOpened",
        "RoundExtended",
        "RoundClosed",
        "AssignmentCompleted",
        "ResponseRecorded",
        "InstrumentPublished",
    }
    for contract in survey:
        names = _fields(contract.message_class.DESCRIPTOR)
        if names & {"answers"}:
            assert not names & IDENTITY_FIELDS, contract.event_type
            assert contract.anonymous, f"{contract.event_type} carries answers but is not marked anonymous"
        if names & IDENTITY_FIELDS:
            assert "answers" not in names, contract.event_type


async def test_identity_and_answers_never_together(client, survey, db) -> None:  # type: ignore[no-untyped-def]
    round_ = await client.create_round("IFMS")
    created = await client.http.post(
        f"/rounds/{round_['id']}/assignments",
        json={"respondent_group": "colleagues", "count": 4},
        headers=client.coordinator,
    )
    links = created.json()["assignments"]
    identities = {link["token"] for link in links} | {hash_link_token(link["token"]) for link in links}
    identities |= {link["assignment_id"] for link in links}
    markers: set[str] = set()
    correlations: set[str] = set()
    for index, link in enumerate(links):
        token = link["token"]
        view = (await client.questionnaire(token)).json()["questionnaire"]
        marker = f"ANSWER-{uuid.uuid4().hex}"
        markers.add(marker)
        answers = complete_answers(view, score=1 + index, comment=marker)
        draft = {"ratings": dict(list(answers["ratings"].items())[:3]), "comments": {"goes_well": marker}}
        assert (await client.draft(token, draft)).status_code == 200
        assert (await client.questionnaire(token)).status_code == 200  # the draft comes back
        if index < 3:
            correlation = f"req-{uuid.uuid4().hex}"
            correlations.add(correlation)
            done = await client.http.post(
                f"/questionnaires/{token}/submit",
                json=answers,
                headers={**client.respondent(token), "X-Correlation-ID": correlation},
            )
            assert done.status_code == 200
            assert (await client.submit(token, answers)).status_code == 409

    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    extended = await client.http.post(
        f"/rounds/{round_['id']}/extend", json={"closes_at": later}, headers=client.coordinator
    )
    assert extended.status_code == 200
    assert (
        await client.http.post(f"/rounds/{round_['id']}/close", headers=client.coordinator)
    ).status_code == 200

    # Every API response of the scenario.
    assert len(client.seen) >= 20
    for response in client.seen:
        text = response.text
        has_answers = any(m in text for m in markers) or _has_answer_values(response)
        if has_answers:
            leaked = [i for i in identities if i in text]
            assert not leaked, (
                f"{response.request.method} {response.request.url.path} shows answers with identity"
            )

    # Every event the service published for this tenant.
    def complete(found: list) -> bool:  # type: ignore[type-arg]
        types = [e.event_type for e in found]
        return (
            types.count("spiegel.survey.v1.ResponseRecorded") >= 3
            and types.count("spiegel.survey.v1.AssignmentCompleted") >= 3
            and "spiegel.survey.v1.RoundClosed" in types
        )

    events = await read_events(survey.kafka, SURVEY_TOPICS, client.tenant, complete, timeout=40)
    assert complete(events)
    produced = {c.event_type for c in all_contracts() if c.event_type.startswith("spiegel.survey.")}
    assert {e.event_type for e in events} == produced  # every event type the service has was inspected
    for event in events:
        text = (
            json.dumps(MessageToDict(event.payload)) + event.correlation_id + event.causation_id + event.key
        )
        carries_answers = any(m in text for m in markers) or bool(getattr(event.payload, "answers", None))
        if carries_answers:
            assert not [i for i in identities if i in text], event.event_type
            assert event.correlation_id not in correlations and not event.causation_id
            assert event.occurred_at.timestamp() % 86400 == 0, (
                "an answer event with a time finer than the day"
            )
        if event.event_type.endswith("AssignmentCompleted"):
            assert not any(m in text for m in markers)
    recorded = [e.payload for e in events if isinstance(e.payload, events_pb2.ResponseRecorded)]
    assert {len(r.answers) for r in recorded} == {40}
    assert len({r.response_id for r in recorded}) == 3
    assert not {r.response_id for r in recorded} & identities

    # What stays in the database: responses without identity, no answers beside a token hash.
    async for doc in db["responses"].find({"tenant_id": client.tenant}):
        assert not [i for i in identities if i in json.dumps(doc, default=str)]
    for collection in ("submissions", "assignments", "assignment_ids"):
        async for doc in db[collection].find({"tenant_id": client.tenant}):
            text = json.dumps(doc, default=str)
            if doc.get("status") == "open":  # the unsent draft of the fourth respondent
                continue
            assert not any(m in text for m in markers), f"answers left in {collection}"


def _has_answer_values(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    draft = body.get("draft") or {}
    return bool(body.get("ratings") or body.get("comments") or draft.get("ratings") or draft.get("comments"))
