"""The accreditation service's session events: which rounds a facilitator prepares.

The accreditation service owns the sessions (`spiegel.accreditation.sessions.v1`). Each of
SessionPlanned, SessionChanged and SessionCancelled carries the whole session after the change
with its `version` (1, then one more per change). This service keeps, per session, only what
the preparation view and the report readers need (`model.session_of`), written in ONE
single-document write conditional on the stored version being older: an upsert whose filter is
`{_id, version < new}`. A newer or equal version stored already makes it a duplicate key, so a
redelivered (or late) older event never undoes a newer one, and a redelivered same version
changes nothing. Order does not matter; no `_applied` marker is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent
from spiegel_platform.logging import get_logger

from spiegel_aggregation.discussions.model import CANCELLED, PLANNED, session_of
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.storage import Store
from spiegel_aggregation.wiring import Aggregation

log = get_logger(__name__)

EVENTS = (
    "spiegel.accreditation.v1.SessionPlanned",
    "spiegel.accreditation.v1.SessionChanged",
    "spiegel.accreditation.v1.SessionCancelled",
)


def _moment(payload: Any, name: str) -> datetime | None:
    return getattr(payload, name).ToDatetime(tzinfo=UTC) if payload.HasField(name) else None


def kept(payload: accreditation.Session, state: str) -> dict[str, Any]:
    if not payload.session_id or not payload.version:
        raise PermanentError("a session event without session_id or version")
    return session_of(
        session_id=payload.session_id,
        version=int(payload.version),
        kind=int(payload.kind),
        participants=[(p.person_id, p.round_id) for p in payload.participants],
        facilitator_ids=list(payload.facilitator_ids),
        starts_at=_moment(payload, "starts_at"),
        ends_at=_moment(payload, "ends_at"),
        state=state,
    )


async def follow(store: Store, session: dict[str, Any]) -> bool:
    """Keep the session unless this version or a newer one is kept; True when it was written."""
    written = await store.sessions.keep_newest(session["id"], {k: v for k, v in session.items() if k != "id"})
    log.info(
        "session_followed" if written else "session_version_kept",
        session_id=session["id"],
        version=session["version"],
        state=session["state"],
    )
    return written


def handlers(runtime: AggregationRuntime) -> Mapping[str, Handler]:
    stores = Aggregation.of(runtime).stores

    async def planned_or_changed(event: ReceivedEvent) -> None:
        await follow(stores.tenant(event.tenant_id), kept(event.payload.session, PLANNED))

    async def cancelled(event: ReceivedEvent) -> None:
        await follow(stores.tenant(event.tenant_id), kept(event.payload.session, CANCELLED))

    return {EVENTS[0]: planned_or_changed, EVENTS[1]: planned_or_changed, EVENTS[2]: cancelled}
