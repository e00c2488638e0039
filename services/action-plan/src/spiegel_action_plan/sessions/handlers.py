"""The accreditation service's session events: which facilitator may edit which group's plan, when.

The accreditation service owns the sessions (`spiegel.accreditation.sessions.v1`). Each of
SessionPlanned, SessionChanged and SessionCancelled carries the whole session after the change
with its `version` (1, then one more per change). Only Groepsmonitor sessions are kept here
(`sessions`: group, facilitators, start, end, state; `model.session_of`), written in ONE
single-document write conditional on the stored version being older: an upsert whose filter is
`{_id, version < new}`. A newer or equal version stored already makes it a duplicate key, so a
redelivered (or late) older event never undoes a newer one (as the aggregation's
`aggregation.sessions`). A cancelled session is kept as cancelled: it gives no access.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent
from spiegel_platform.logging import get_logger

from spiegel_action_plan.sessions.model import CANCELLED, GROUP_MONITOR, PLANNED, session_of
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Store
from spiegel_action_plan.wiring import ActionPlan

log = get_logger(__name__)

EVENTS = (
    "spiegel.accreditation.v1.SessionPlanned",
    "spiegel.accreditation.v1.SessionChanged",
    "spiegel.accreditation.v1.SessionCancelled",
)


def _moment(payload: Any, name: str) -> datetime | None:
    return getattr(payload, name).ToDatetime(tzinfo=UTC) if payload.HasField(name) else None


def kept(payload: accreditation.Session, state: str) -> dict[str, Any] | None:
    """The session as kept here, or None for a session that is not a Groepsmonitor's."""
    if not payload.session_id or not payload.version:
        raise PermanentError("a session event without session_id or version")
    if int(payload.kind) != GROUP_MONITOR or not payload.group_id:
        return None
    return session_of(
        session_id=payload.session_id,
        version=int(payload.version),
        group_id=payload.group_id,
        facilitator_ids=list(payload.facilitator_ids),
        starts_at=_moment(payload, "starts_at"),
        ends_at=_moment(payload, "ends_at"),
        state=state,
    )


async def follow(store: Store, session: dict[str, Any] | None) -> bool:
    """Keep the session unless this version or a newer one is kept; True when it was written."""
    if session is None:
        return False
    written = await store.sessions.keep_newest(session["id"], {k: v for k, v in session.items() if k != "id"})
    log.info(
        "session_followed" if written else "session_version_kept",
        session_id=session["id"],
        version=session["version"],
        state=session["state"],
    )
    return written


def handlers(runtime: ActionPlanRuntime) -> Mapping[str, Handler]:
    stores = ActionPlan.of(runtime).stores

    async def planned_or_changed(event: ReceivedEvent) -> None:
        await follow(stores.tenant(event.tenant_id), kept(event.payload.session, PLANNED))

    async def cancelled(event: ReceivedEvent) -> None:
        await follow(stores.tenant(event.tenant_id), kept(event.payload.session, CANCELLED))

    return {EVENTS[0]: planned_or_changed, EVENTS[1]: planned_or_changed, EVENTS[2]: cancelled}
