"""The follow-up after a session: those who did not check in get a personal check-in link by
mail. A background job of the consumer process.

Each tick reads the planned sessions that ended between the window's length and
`CHECKIN_FOLLOWUP_AFTER_MINUTES` ago (an index-free range on a small collection, as the notes'
due date does), and for each one not decided yet (`checkin_followups/<session>`, read by id: the
cheap check first) reads its participants' attendance by id. The decision is one unique insert:
with a CheckInFollowUpDue (the participants not checked in) in its outbox, or without an event
when everybody checked in. So a second pass, a second consumer process or a restart adds none,
and a crash after the insert loses nothing (the relay publishes the event). The invitation
service issues each person's link, announces its hash (CheckInLinkIssued, consumed by
attendance/handlers.py) and mails it once per session and person.

Why the accreditation service decides and the invitation service issues the link: only this
service knows who checked in; only the invitation service mails and keeps link tokens (sealed,
as for respondents' links), and no event may carry a token. The link is then checked here by its
hash, as the survey checks a respondent's (attendance/api.py, `/checkin-links/{token}`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError, PyMongoError
from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_accreditation.attendance import model
from spiegel_accreditation.attendance.service import aware
from spiegel_accreditation.sessions.model import PLANNED
from spiegel_accreditation.sessions.service import PRODUCER, participants_of
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Document, Store, participant_key
from spiegel_accreditation.wiring import Accreditation

log = get_logger(__name__)


async def tick(runtime: AccreditationRuntime, now: datetime | None = None) -> int:
    """One pass; returns how many sessions got a CheckInFollowUpDue."""
    wiring = Accreditation.of(runtime)
    settings = runtime.settings
    now = now or datetime.now(UTC)
    after = timedelta(minutes=settings.checkin_followup_after_minutes)
    window = timedelta(days=settings.checkin_window_days)
    ended = await (
        wiring.stores.across_tenants(Store.sessions)
        .find(
            {"state": PLANNED, "ends_at": {"$lte": now - after, "$gt": now - window}},
            projection={"_outbox": 0},
        )
        .to_list()
    )
    announced = 0
    for doc in ended:
        session = {**doc, "id": doc.get("id") or str(doc["_id"]).split(":", 1)[1]}
        if not model.followup_due(aware(session["ends_at"]), now=now, after=after, window=window):
            continue
        if await follow_up(
            wiring.stores.tenant(str(doc["tenant_id"])), str(doc["tenant_id"]), session, window, now
        ):
            announced += 1
    return announced


async def follow_up(
    store: Store, tenant_id: str, session: Document, window: timedelta, now: datetime
) -> bool:
    """Decide one session's follow-up once; True when it announced one now."""
    if await store.checkin_followups.get(session["id"]) is not None:
        return False
    people = [p.person_id for p in participants_of(session)]
    checked_in = set()
    for person_id in people:
        record = await store.attendance.get(participant_key(session["id"], person_id))
        if record and record.get("checked_in_at"):
            checked_in.add(person_id)
    recipients = model.followup_recipients(people, checked_in)
    closes = model.closes_at(aware(session["ends_at"]), window)
    events = []
    if recipients:
        stamp = Timestamp()
        stamp.FromDatetime(closes)
        events.append(
            new_event(
                events_pb2.CheckInFollowUpDue(
                    session_id=session["id"], person_ids=recipients, closes_at=stamp
                ),
                tenant_id=tenant_id,
                producer=PRODUCER,
            )
        )
    try:
        await store.checkin_followups.insert(
            {
                "id": session["id"],
                "session_id": session["id"],
                "person_ids": recipients,
                "closes_at": closes,
                "created_at": now,
            },
            events,
        )
    except DuplicateKeyError:
        return False
    if recipients:
        log.info(
            "checkin_followup_due", session_id=session["id"], tenant_id=tenant_id, people=len(recipients)
        )
    return bool(recipients)


async def run(runtime: AccreditationRuntime, stop: asyncio.Event) -> None:
    await every(
        runtime.settings.checkin_followup_interval_s,
        lambda: tick(runtime),
        stop,
        name="checkin_followups",
        failures=PyMongoError,
        log=log,
    )
