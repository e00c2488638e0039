"""A group action plan's check (the action-plan service's GroupPlanCheckDue) into mails.

Each recipient of the event gets one mail per check and reminder number
(`plan-check:<check>:<reminder>:<person>`): the check is due, or (reminder n) still open, with
a link to the check page behind sign-in, in the person's language. The event carries ids only,
and so does the mail's queue entry. Each key is a unique insert into the queue and the mailer
sends each key once, so a redelivered event (or one handled again after a crash) sends nothing
twice.

Also the board's yearly overview (BoardProgressOverviewDue, once per hospital and year): each
active board member in this service's directory (role `board`) gets one mail
(`board-overview:<overview>:<person>`) with a link to the overview's PDF behind sign-in. The mailer
attaches no files (a `Letter` carries at most a calendar event), and the overview is the
action-plan service's to render for the signed-in board member, so the mail links to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.action_plan.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent

from spiegel_invitation.mail.due import BOARD_OVERVIEW, PLAN_CHECK
from spiegel_invitation.mail.queue import board_overview_key, enqueue, plan_check_key
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.wiring import Invitation

EVENTS = ("spiegel.action_plan.v1.GroupPlanCheckDue", "spiegel.action_plan.v1.BoardProgressOverviewDue")
BOARD_ROLE = "board"


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    stores = Invitation.of(runtime).stores

    async def due(event: ReceivedEvent) -> None:
        payload: events_pb2.GroupPlanCheckDue = event.payload
        reminder = int(payload.reminder)
        await enqueue(
            stores.tenant(event.tenant_id),
            [
                {
                    "id": plan_check_key(payload.check_id, reminder, person),
                    "template": PLAN_CHECK,
                    "plan_id": payload.plan_id,
                    "check_id": payload.check_id,
                    "person_id": person,
                    "reminder": reminder,
                }
                for person in dict.fromkeys(payload.recipient_person_ids)
                if person
            ],
        )

    async def board_overview(event: ReceivedEvent) -> None:
        payload: events_pb2.BoardProgressOverviewDue = event.payload
        store = stores.tenant(event.tenant_id)
        board = await store.people.find({"roles": BOARD_ROLE}, projection={"id": 1, "active": 1})
        await enqueue(
            store,
            [
                {
                    "id": board_overview_key(payload.overview_id, person["id"]),
                    "template": BOARD_OVERVIEW,
                    "overview_id": payload.overview_id,
                    "year": int(payload.year),
                    "person_id": person["id"],
                }
                for person in board
                if person.get("active", True) is not False
            ],
        )

    return {EVENTS[0]: due, EVENTS[1]: board_overview}
