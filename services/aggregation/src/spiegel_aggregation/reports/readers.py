"""Our own ReportPublished, consumed: each reader's "mijn rapportages" and the norm contributions.

Both are idempotent `$set`s keyed by round and version; a crash between
publishing a version and these writes only delays them (the event is
delivered again).
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.aggregation.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent
from spiegel_platform.service import Runtime

from spiegel_aggregation.norms.model import contribution_of
from spiegel_aggregation.norms.store import Norms
from spiegel_aggregation.reports.publishing import Reports
from spiegel_aggregation.responses.model import escape_key
from spiegel_aggregation.settings import AggregationSettings
from spiegel_aggregation.storage import READERS, repo, unpack_json

EVENT_TYPE = "spiegel.aggregation.v1.ReportPublished"


def handlers(runtime: Runtime) -> Mapping[str, Handler]:
    reports = Reports.of(runtime)
    settings = runtime.settings
    assert isinstance(settings, AggregationSettings)
    norms = Norms(runtime.db, settings)

    async def report_published(event: ReceivedEvent) -> None:
        published: events_pb2.ReportPublished = event.payload
        round_key = escape_key(published.round_id)
        entry = {
            f"reports.{round_key}.round_id": published.round_id,
            f"reports.{round_key}.title": published.title,
            f"reports.{round_key}.kind": published.kind,
            f"reports.{round_key}.versions.v{published.version}": {
                "report_id": published.report_id,
                "published_at": published.published_at.ToDatetime().isoformat() + "Z",
                "reason": published.reason,
            },
        }
        readers = repo(runtime.db, READERS, event.tenant_id)
        for person in sorted({published.subject_id, *published.member_ids} - {""}):
            role = "subject" if person == published.subject_id else "member"
            await readers.apply_idempotent(
                person,
                event.event_id,
                {
                    "$set": {**entry, f"reports.{round_key}.role": role},
                    "$max": {f"reports.{round_key}.latest": int(published.version)},
                },
            )
        doc = await reports.load(event.tenant_id, published.round_id, int(published.version))
        if doc is not None:
            means = contribution_of(unpack_json(doc["body"]))
            if means and doc.get("instrument_known", True):
                await norms.contribute(
                    event.tenant_id,
                    doc["instrument"],
                    published.round_id,
                    int(published.version),
                    means,
                    event.event_id,
                )

    return {EVENT_TYPE: report_published}
