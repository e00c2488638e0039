"""Submitting a questionnaire: exactly once, and the answers leave without identity.

1. The submission document (id: the token hash) is INSERTED with the
   AssignmentCompleted event and the pending response. Its unique id makes this
   insert the single atomic step that decides: of two simultaneous submits, one
   insert succeeds and the other gets a duplicate-key error (409). An insert is
   atomic on FerretDB too, unlike a conditional update there.
2. The response document (a random id, unrelated to the assignment) is
   inserted with the ResponseRecorded event: answers, respondent group,
   instrument and day; no assignment, token, or time finer than the day.
3. The pending copy is removed from the submission and the draft from the
   assignment, so nothing in the database links the token hash to answers.
A crash after step 1 leaves the pending response in the submission; the
repair job (consumer process, at start and every few minutes) finishes it.
Inserting the response is idempotent (its id is fixed in step 1).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.survey.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_survey import times
from spiegel_survey.assignments.model import AssignmentStatus
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.storage import Store
from spiegel_survey.wiring import Survey

log = get_logger(__name__)


class AlreadySubmitted(RuntimeError):
    pass


def response_document(
    *, assignment: dict[str, Any], round_doc: dict[str, Any], answers: dict[str, Any], language: str
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "round_id": round_doc["id"],
        "respondent_group": assignment["respondent_group"],
        "instrument": dict(round_doc["instrument"]),
        "recorded_on": times.day_of(times.now()),
        "language": language,
        "ratings": answers["ratings"],
        "comments": answers["comments"],
    }


def recorded_event(response: dict[str, Any]) -> events_pb2.ResponseRecorded:
    answers = [
        events_pb2.Answer(item_id=item_id, not_applicable=True)
        if value == "nvt"
        else events_pb2.Answer(item_id=item_id, score=int(value))
        for item_id, value in response["ratings"].items()
    ]
    answers += [events_pb2.Answer(item_id=q, text=text) for q, text in response["comments"].items()]
    return events_pb2.ResponseRecorded(
        response_id=response["id"],
        round_id=response["round_id"],
        respondent_group=response["respondent_group"],
        instrument_id=response["instrument"]["id"],
        instrument_version=response["instrument"]["version"],
        recorded_on=response["recorded_on"],
        answers=answers,
        language=response["language"],
    )


async def submit(
    store: Store, *, assignment: dict[str, Any], response: dict[str, Any], correlation_id: str
) -> None:
    completed = new_event(
        events_pb2.AssignmentCompleted(
            assignment_id=assignment["assignment_id"],
            round_id=assignment["round_id"],
            respondent_group=assignment["respondent_group"],
        ),
        tenant_id=store.tenant_id,
        producer="survey",
        correlation_id=correlation_id,
    )
    try:
        await store.submissions.insert(
            {
                "id": assignment["id"],
                "assignment_id": assignment["assignment_id"],
                "round_id": assignment["round_id"],
                "respondent_group": assignment["respondent_group"],
                "submitted_on": response["recorded_on"],
                "pending_response": response,
            },
            events=[completed],
        )
    except DuplicateKeyError:
        raise AlreadySubmitted(assignment["id"]) from None
    await finish(store, assignment["id"], response, had_draft="draft" in assignment)


async def finish(store: Store, token_hash: str, response: dict[str, Any], *, had_draft: bool = True) -> None:
    """Steps 2 and 3; safe to repeat."""
    event = new_event(recorded_event(response), tenant_id=store.tenant_id, producer="survey")
    try:
        await store.responses.insert(response, events=[event])
    except DuplicateKeyError:
        pass  # recorded by an earlier attempt
    await store.submissions.update(token_hash, {"$unset": {"pending_response": ""}})
    if had_draft:
        # Without a draft the assignment needs no write: the submission document says it is done.
        await store.assignments.update(
            token_hash, {"$set": {"status": AssignmentStatus.SUBMITTED.value}, "$unset": {"draft": ""}}
        )


async def finish_interrupted(runtime: SurveyRuntime) -> int:
    """Finish submissions a crash interrupted after step 1 (a rare scan, like the relay's sweep)."""
    stores = Survey.of(runtime).stores
    finished = 0
    cursor = stores.across_tenants(Store.submissions).find(
        {"pending_response": {"$exists": True}}, projection={"_outbox": 0, "_applied": 0}
    )
    async for doc in cursor:
        store = stores.tenant(doc["tenant_id"])
        await finish(store, doc["id"], doc["pending_response"])
        finished += 1
    if finished:
        log.info("interrupted_submissions_finished", count=finished)
    return finished


async def repair_job(runtime: SurveyRuntime, stop: asyncio.Event) -> None:
    await every(
        runtime.settings.submission_repair_interval_s,
        lambda: finish_interrupted(runtime),
        stop,
        name="submission_repair",
        log=log,
    )
