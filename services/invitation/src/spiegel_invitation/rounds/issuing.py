"""Issuing assignments: a personal link per person asked, announced without identity.

Each assignment document is inserted once, together with its AssignmentIssued
event (the outbox), so issuing and announcing are one atomic write; the insert
is also the claim: a redelivered RoundOpened, or the coordinator adding a
nominee while the round opens, finds the document and announces nothing new.
The steps after it (token-hash index, invitation mail, to-do entry) are
idempotent and are simply done again when a crash interrupted them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.invitation.v1 import events_pb2
from spiegel_platform.events import OutgoingEvent, new_event

from spiegel_invitation.mail.queue import assignment_mail, enqueue, invitation_key
from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.rounds.model import self_assignment_id, self_group, self_people
from spiegel_invitation.storage import Store, email_inbox_id, person_inbox_id

Document = dict[str, Any]
PRODUCER = "invitation"


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


def issued_event(store: Store, doc: Document, correlation_id: str | None) -> OutgoingEvent:
    return new_event(
        events_pb2.AssignmentIssued(
            assignment_id=doc["id"],
            round_id=doc["round_id"],
            respondent_group=doc["group"],
            token_hash=doc["token_hash"],
            language=doc.get("language") or "nl",
            expires_at=stamp(doc["expires_at"]),
        ),
        tenant_id=store.tenant_id,
        producer=PRODUCER,
        correlation_id=correlation_id,
    )


def withdrawn_event(
    store: Store, assignment_id: str, round_id: str, correlation_id: str | None
) -> OutgoingEvent:
    return new_event(
        events_pb2.AssignmentWithdrawn(assignment_id=assignment_id, round_id=round_id),
        tenant_id=store.tenant_id,
        producer=PRODUCER,
        correlation_id=correlation_id,
    )


async def self_entries(store: Store, view: Document) -> list[Document]:
    """The subject's (or every member's) self-evaluation, addressed from the directory."""
    group = self_group(view.get("groups") or [])
    entries = []
    for person_id in self_people(view):
        person = await store.people.get(person_id) or {}
        entries.append(
            {
                "id": self_assignment_id(view["id"], person_id),
                "group": group,
                "is_self": True,
                "person_id": person_id,
                "email": person.get("email", ""),
                "name": person.get("display_name", ""),
                "language": person.get("language") or "nl",
            }
        )
    return entries


async def issue(
    store: Store,
    tokens: LinkTokens,
    view: Document,
    entries: Sequence[Document],
    *,
    correlation_id: str | None = None,
) -> list[str]:
    """Issue (at most once each) and invite; returns the assignment ids newly issued."""
    if not entries:
        return []
    now = datetime.now(UTC)
    docs = []
    for entry in entries:
        token = tokens.issue()
        docs.append(
            {
                "id": entry["id"],
                "round_id": view["id"],
                "group": entry["group"],
                "is_self": bool(entry.get("is_self")),
                "person_id": entry.get("person_id"),
                "email": entry.get("email", ""),
                "name": entry.get("name", ""),
                "language": entry.get("language") or "nl",
                "token_hash": token.token_hash,
                "token_sealed": token.sealed,
                "expires_at": view["closes_at"],
                "issued_at": now,
            }
        )
    events = [[issued_event(store, doc, correlation_id)] for doc in docs]
    inserted = set(await store.assignments.insert_many(docs, events))
    issued = {d["id"]: d for d in docs if d["id"] in inserted}
    for doc in docs:
        if doc["id"] not in issued:  # issued before (a redelivery, or a concurrent issuer)
            existing = await store.assignments.get(doc["id"])
            if existing:
                issued[doc["id"]] = existing
    hashes = {aid: d["token_hash"] for aid, d in issued.items()}
    await store.links.insert_many(
        [{"id": h, "assignment_id": aid, "round_id": view["id"]} for aid, h in hashes.items()]
    )
    # The invitation carries what the mailer needs, so sending reads nothing per mail.
    keep = ("round_id", "group", "is_self", "person_id", "email", "name", "language", "expires_at")
    await enqueue(
        store,
        [
            assignment_mail(
                invitation_key(aid),
                "invitation",
                aid,
                view["id"],
                token_sealed=doc["token_sealed"],
                token_hash=doc["token_hash"],
                assignment={k: doc.get(k) for k in keep},
            )
            for aid, doc in issued.items()
        ],
    )
    selves = [e for e in entries if e.get("is_self") and e["id"] in hashes]
    if selves:
        await add_to_inboxes(store, view["id"], selves, role="self")
    return [d["id"] for d in docs if d["id"] in inserted]


async def add_to_inboxes(store: Store, round_id: str, entries: Sequence[Document], *, role: str) -> None:
    """The to-do list: one item per request, keyed by e-mail address (and person for self)."""
    now = datetime.now(UTC)
    changes: list[tuple[str, dict[str, Any]]] = []
    for entry in entries:
        item = {"round_id": round_id, "role": role, "group": entry["group"], "added_at": now}
        if entry.get("email"):
            changes.append((email_inbox_id(entry["email"]), {"$set": {f"items.{entry['id']}": item}}))
        if entry.get("person_id"):
            changes.append((person_inbox_id(entry["person_id"]), {"$set": {f"items.{entry['id']}": item}}))
    await store.inboxes.update_many_by_id(changes, upsert=True)
