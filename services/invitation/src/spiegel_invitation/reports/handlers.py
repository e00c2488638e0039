"""ReportPublished: the report joins its readers' dashboards, and they get an e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from spiegel.aggregation.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent

from spiegel_invitation.mail.due import report_readers
from spiegel_invitation.mail.queue import enqueue, report_key
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import person_inbox_id
from spiegel_invitation.wiring import Invitation


def readers(published: events_pb2.ReportPublished) -> list[str]:
    """The subject of an IFMS report; every member of a Groepsmonitor's group (`due.report_readers`)."""
    return report_readers(published.kind, published.subject_id, published.member_ids)


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    stores = Invitation.of(runtime).stores

    async def report_published(event: ReceivedEvent) -> None:
        published: events_pb2.ReportPublished = event.payload
        store = stores.tenant(event.tenant_id)
        version = max(1, published.version)
        at = (
            published.published_at.ToDatetime(tzinfo=UTC)
            if published.published_at.seconds
            else event.occurred_at
        )
        round_doc = await store.rounds.get(published.round_id) or {}
        people = readers(published)
        await store.reports.apply_idempotent(
            published.report_id,
            event.event_id,
            {
                "$set": {
                    "round_id": published.round_id,
                    "round_title": round_doc.get("title", ""),
                    "subject_id": published.subject_id,
                    "readers": people,
                    "kind": published.kind,
                    "title": published.title,
                    "reason": published.reason,
                },
                "$max": {"version": version, "published_at": at},
            },
        )
        item = {
            "report_id": published.report_id,
            "round_id": published.round_id,
            "title": published.title,
            "version": version,
            "published_at": at,
        }
        field = "reports." + published.report_id.replace(".", "_").replace("$", "_")
        await store.inboxes.update_many_by_id(
            [(person_inbox_id(p), {"$set": {field: item}}) for p in people], upsert=True
        )
        await enqueue(
            store,
            [
                {
                    "id": report_key(published.report_id, version, p),
                    "template": "report_ready",
                    "report_id": published.report_id,
                    "round_id": published.round_id,
                    "person_id": p,
                    "version": version,
                    "queued_for": datetime.now(UTC),
                }
                for p in people
            ],
        )

    return {"spiegel.aggregation.v1.ReportPublished": report_published}
