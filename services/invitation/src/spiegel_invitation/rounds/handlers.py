"""The survey service's round and assignment events, applied to this service's own records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from spiegel.survey.v1 import events_pb2
from spiegel_platform import anonymity
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.rounds.issuing import issue, issued_event, self_entries
from spiegel_invitation.rounds.model import GROUP_MONITOR, IFMS, default_groups
from spiegel_invitation.rounds.views import active_entries, reminder_policy, round_view
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

Document = dict[str, Any]


def _time(stamp: Any) -> datetime | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


async def issue_open_round(
    store: Store, tokens: LinkTokens, round_id: str, correlation_id: str | None
) -> int:
    """Issue every active nomination and self-evaluation of an open round not issued yet."""
    issued = 0
    seen: set[str] = set()
    for _ in range(2):  # a nominee added while the round opened is caught by the second look
        view = await round_view(store, round_id)
        if view is None or view["status"] != "open":
            return issued
        entries = [{"id": aid, **e} for aid, e in active_entries(view).items()]
        entries += await self_entries(store, view)
        entries = [e for e in entries if e["id"] not in seen]
        seen |= {e["id"] for e in entries}
        issued += len(await issue(store, tokens, view, entries, correlation_id=correlation_id))
    return issued


async def queue_round(store: Store, round_id: str, correlation_id: str | None) -> None:
    """Hand an opened round to the issuer job (idempotent: one entry per round)."""
    await store.issue_queue.insert_many(
        [{"id": round_id, "at": datetime.now(UTC), "correlation_id": correlation_id or ""}]
    )


async def schedule_reminders(store: Store, round_id: str) -> None:
    """Keep the small index of rounds with a reminder still to come."""
    view = await round_view(store, round_id)
    if view is None or view["status"] != "open" or not view.get("opens_at"):
        await store.reminder_due.delete(round_id)
        return
    state = await store.reminder_due.get(round_id) or {}
    done = int(state.get("done", 0))
    policy = await reminder_policy(store, view)
    upcoming = policy.next_after(view["opens_at"], view["closes_at"], done)
    if upcoming is None:
        await store.reminder_due.delete(round_id)
        return
    number, due = upcoming
    await store.reminder_due.update(
        round_id, {"$set": {"done": done, "next_number": number, "next_at": due}}, upsert=True
    )


def round_facts(announced: events_pb2.RoundCreated | events_pb2.RoundOpened) -> Document:
    """What the survey says about a round, in this service's words (the rest of the view: rosters)."""
    kind = GROUP_MONITOR if announced.kind == events_pb2.ROUND_KIND_GROUP_MONITOR else IFMS
    groups = [
        {"code": g.code, "label_nl": g.label_nl, "label_en": g.label_en, "is_self": g.is_self}
        for g in announced.respondent_groups
    ] or [g.model_dump() for g in default_groups(kind)]
    return {
        "title": announced.title,
        "kind": kind,
        "subject_id": announced.subject.subject_id,
        "subject_name": announced.subject.display_name,
        "member_ids": list(announced.subject.member_ids),
        "groups": groups,
        "closes_at": _time(announced.closes_at),
        "instrument_id": announced.instrument_id,
    }


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    stores = Invitation.of(runtime).stores

    def store_of(event: ReceivedEvent) -> Store:
        return stores.tenant(event.tenant_id)

    async def round_created(event: ReceivedEvent) -> None:
        """A new round (a draft): recorded once, so nominations can be checked before it opens.

        An insert with the round's id: a redelivery, or an announcement that comes after the
        round's RoundOpened was applied, is a duplicate and changes nothing (RoundOpened's
        facts are the later ones)."""
        created: events_pb2.RoundCreated = event.payload
        if not created.round_id:
            raise PermanentError("RoundCreated without round_id")
        facts = round_facts(created)
        facts["opens_at"] = _time(created.opens_at)  # the planned opening, if any
        await store_of(event).rounds.insert_many([{"id": created.round_id, **facts, "status": "draft"}])

    async def round_opened(event: ReceivedEvent) -> None:
        opened: events_pb2.RoundOpened = event.payload
        store = store_of(event)
        facts = round_facts(opened)
        facts["opens_at"] = _time(opened.opens_at) or event.occurred_at
        facts["min_group_size"] = anonymity.threshold(opened.min_group_size)
        current = await store.rounds.get(opened.round_id)
        if current is not None and current.get("closes_at") and facts["closes_at"]:
            # An extension seen before a redelivered "opened" keeps the later closing time.
            facts["closes_at"] = max(facts["closes_at"], current["closes_at"])
        change: dict[str, Any] = {"$set": facts}
        if current is None or current.get("status") != "closed":
            change["$set"]["status"] = "open"
        await store.rounds.apply_idempotent(opened.round_id, event.event_id, change)
        # Issued by the issuer job (many rounds side by side); queued in the same handler run,
        # so a crash before this line redelivers the event and queues it then.
        await queue_round(store, opened.round_id, event.correlation_id)

    async def round_extended(event: ReceivedEvent) -> None:
        extended: events_pb2.RoundExtended = event.payload
        store = store_of(event)
        closes_at = _time(extended.closes_at)
        current = await store.rounds.get(extended.round_id)
        if closes_at is None or current is None:
            return
        if current.get("closes_at") and current["closes_at"] >= closes_at:
            closes_at = current["closes_at"]
        await store.rounds.apply_idempotent(
            extended.round_id, event.event_id, {"$set": {"closes_at": closes_at}}
        )
        # Re-announce each link with its new expiry (consumers upsert by assignment id).
        view = await round_view(store, extended.round_id)
        if view is None:
            return
        ids = list(view["entries"]) + [e["id"] for e in await self_entries(store, view)]
        for assignment_id in ids:
            doc = await store.assignments.get(assignment_id)
            if doc is None or doc.get("withdrawn_at") or doc.get("expires_at") == closes_at:
                continue
            doc["expires_at"] = closes_at
            await store.assignments.update(
                assignment_id,
                {"$set": {"expires_at": closes_at}},
                [issued_event(store, doc, event.correlation_id)],
            )
        await schedule_reminders(store, extended.round_id)

    async def round_closed(event: ReceivedEvent) -> None:
        closed: events_pb2.RoundClosed = event.payload
        store = store_of(event)
        await store.rounds.apply_idempotent(
            closed.round_id,
            event.event_id,
            {"$set": {"status": "closed", "closed_at": _time(closed.closed_at) or event.occurred_at}},
        )
        await store.reminder_due.delete(closed.round_id)

    async def assignment_completed(event: ReceivedEvent) -> None:
        completed: events_pb2.AssignmentCompleted = event.payload
        store = store_of(event)
        await store.progress.apply_idempotent(
            completed.round_id,
            event.event_id,
            {
                "$set": {
                    f"completed.{completed.assignment_id}": {
                        "group": completed.respondent_group,
                        "at": event.occurred_at,
                    }
                }
            },
        )

    return {
        "spiegel.survey.v1.RoundCreated": round_created,
        "spiegel.survey.v1.RoundOpened": round_opened,
        "spiegel.survey.v1.RoundExtended": round_extended,
        "spiegel.survey.v1.RoundClosed": round_closed,
        "spiegel.survey.v1.AssignmentCompleted": assignment_completed,
    }
