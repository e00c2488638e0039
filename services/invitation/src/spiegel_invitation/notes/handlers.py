"""The facilitator's notes (the accreditation service's NotesReleased and NotesOverdue) into mails.

- NotesReleased: the participant is told their notes are ready, with a link to read them after
  signing in (`notes:<session>:<person>`). Never the content: the event has none, and the mail
  is made from the person's directory entry and the session id alone.
- NotesOverdue: each facilitator of the session is reminded that notes are due
  (`notes-overdue:<session>:<facilitator>`).
Each mail key is a unique insert into the queue and the mailer sends each key once, so a
redelivered event (or one handled again after a crash) sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent

from spiegel_invitation.mail.due import NOTES_OVERDUE, NOTES_RELEASED
from spiegel_invitation.mail.queue import enqueue, notes_key, notes_overdue_key
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.wiring import Invitation

EVENTS = ("spiegel.accreditation.v1.NotesReleased", "spiegel.accreditation.v1.NotesOverdue")


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    stores = Invitation.of(runtime).stores

    async def released(event: ReceivedEvent) -> None:
        payload: events_pb2.NotesReleased = event.payload
        await enqueue(
            stores.tenant(event.tenant_id),
            [
                {
                    "id": notes_key(payload.session_id, payload.person_id),
                    "template": NOTES_RELEASED,
                    "session_id": payload.session_id,
                    "person_id": payload.person_id,
                }
            ],
        )

    async def overdue(event: ReceivedEvent) -> None:
        payload: events_pb2.NotesOverdue = event.payload
        await enqueue(
            stores.tenant(event.tenant_id),
            [
                {
                    "id": notes_overdue_key(payload.session_id, facilitator),
                    "template": NOTES_OVERDUE,
                    "session_id": payload.session_id,
                    "person_id": facilitator,
                    "waiting": len(payload.person_ids),
                    "due_on": payload.due_on,
                }
                for facilitator in dict.fromkeys(payload.facilitator_ids)
            ],
        )

    return {EVENTS[0]: released, EVENTS[1]: overdue}
