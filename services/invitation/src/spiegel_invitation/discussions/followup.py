"""A participant's personal check-in link for a discussion session, and the follow-up after the
session: the link mailed once to each participant who did not check in (the accreditation
service's CheckInFollowUpDue).

The link is one per session and person, issued once (`link_for`): with the first invitation of
the session that is queued for the participant (`with_checkin_links`, called wherever invitations
are queued: the session events' handler and the discussion scheduler), or else by the follow-up.
Updated invitations and the follow-up carry the same link. Facilitators get none.

Per person, two steps, each idempotent:
1. the link: `checkin_links/<session>/<person>` is a unique insert of the token's hash and sealed
   copy (`LINK_TOKEN_KEYS`, as the respondents' links: the raw token is only ever in the mail)
   with CheckInLinkIssued (the hash, no token) in the same document's outbox; the accreditation
   service checks the person in by that hash. A redelivered event finds the document and uses
   the same token: the link already mailed keeps working, and the hash is announced once.
2. the mail `checkin:<session>:<person>` (template `checkin_followup`), queued by a unique insert
   with the sealed token; the mailer sends each key once.
A crash between the steps is repaired by the redelivery (the consumer commits after handling).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel.invitation.v1 import events_pb2
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent, new_event

from spiegel_invitation.discussions.model import INVITATION, PARTICIPANT
from spiegel_invitation.mail.due import CHECKIN_FOLLOWUP
from spiegel_invitation.mail.queue import checkin_key, enqueue
from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.rounds.issuing import PRODUCER
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Document, Store
from spiegel_invitation.wiring import Invitation

EVENTS = ("spiegel.accreditation.v1.CheckInFollowUpDue",)


async def link_for(
    store: Store, tokens: LinkTokens, tenant_id: str, session_id: str, person_id: str, correlation_id: str
) -> Document:
    """The person's check-in link for the session: issued once (a unique insert with its event)."""
    key = f"{session_id}/{person_id}"
    found = await store.checkin_links.get(key)
    if found is not None:
        return found
    issued = tokens.issue()
    doc: Document = {
        "id": key,
        "session_id": session_id,
        "person_id": person_id,
        "token_hash": issued.token_hash,
        "token_sealed": issued.sealed,
    }
    event = new_event(
        events_pb2.CheckInLinkIssued(
            session_id=session_id, person_id=person_id, token_hash=issued.token_hash
        ),
        tenant_id=tenant_id,
        producer=PRODUCER,
        correlation_id=correlation_id or None,
    )
    try:
        return await store.checkin_links.insert(doc, [event])
    except DuplicateKeyError:  # a second consumer at the same moment: its token wins
        again = await store.checkin_links.get(key)
        assert again is not None
        return again


async def with_checkin_links(
    store: Store, tokens: LinkTokens, mails: Sequence[dict[str, Any]], correlation_id: str = ""
) -> list[dict[str, Any]]:
    """Discussion mails about to be queued, each participant's invitation with their check-in link
    (`token_hash`, `token_sealed`; issued now if it was not yet). Facilitators' invitations and
    cancellations are left as they are."""
    found: list[dict[str, Any]] = []
    for mail in mails:
        if mail.get("template") == INVITATION and mail.get("role") == PARTICIPANT:
            link = await link_for(
                store, tokens, store.tenant_id, mail["session_id"], mail["person_id"], correlation_id
            )
            mail = {**mail, "token_hash": link["token_hash"], "token_sealed": link["token_sealed"]}
        found.append(mail)
    return found


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    wiring = Invitation.of(runtime)

    async def due(event: ReceivedEvent) -> None:
        payload: accreditation.CheckInFollowUpDue = event.payload
        if not payload.session_id:
            raise PermanentError("CheckInFollowUpDue without session_id")
        store = wiring.stores.tenant(event.tenant_id)
        closes_at = payload.closes_at.ToDatetime(tzinfo=UTC)
        mails = []
        for person_id in dict.fromkeys(payload.person_ids):
            link = await link_for(
                store,
                wiring.link_tokens,
                event.tenant_id,
                payload.session_id,
                person_id,
                event.correlation_id,
            )
            mails.append(
                {
                    "id": checkin_key(payload.session_id, person_id),
                    "template": CHECKIN_FOLLOWUP,
                    "session_id": payload.session_id,
                    "person_id": person_id,
                    "token_hash": link["token_hash"],
                    "token_sealed": link["token_sealed"],
                    "closes_at": closes_at,
                }
            )
        await enqueue(store, mails)

    return {EVENTS[0]: due}
