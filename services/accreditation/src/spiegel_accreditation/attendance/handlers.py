"""The invitation service's CheckInLinkIssued: which session and participant a personal check-in
link (from the follow-up mail) stands for, kept by the link's hash (`checkin_links/<hash>`).

One `$set` of the link's own document (`apply_idempotent`): a redelivery writes the same values.
The link is opened by `/checkin-links/{token}` (attendance/api.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.invitation.v1 import events_pb2 as invitation
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.wiring import Accreditation

EVENTS = ["spiegel.invitation.v1.CheckInLinkIssued"]


def handlers(runtime: AccreditationRuntime) -> Mapping[str, Handler]:
    stores = Accreditation.of(runtime).stores

    async def issued(event: ReceivedEvent) -> None:
        payload: invitation.CheckInLinkIssued = event.payload
        if not (payload.session_id and payload.person_id and len(payload.token_hash) == 64):
            raise PermanentError("CheckInLinkIssued without session, person or token hash")
        await stores.tenant(event.tenant_id).checkin_links.apply_idempotent(
            payload.token_hash,
            event.event_id,
            {"$set": {"session_id": payload.session_id, "person_id": payload.person_id}},
        )

    return {EVENTS[0]: issued}
