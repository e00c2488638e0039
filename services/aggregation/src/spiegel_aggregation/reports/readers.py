"""Our own ReportPublished, consumed: each reader's "mijn rapportages" and the norm contributions.

Both are idempotent `$set`s keyed by round and version; a crash between
publishing a version and these writes only delays them (the event is
delivered again).

Events come a run at a time (when 500 rounds close together, 500 reports are
published together):
- each reader's document is written once per event, the events of one person
  one after the other (two updates of one document never race), different
  people at the same time;
- the norm contributions of the run are written to each instrument's norm
  document in one write (`Norms.contribute_many`), not one rewrite of that
  growing document per report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from spiegel.aggregation.v1 import events_pb2
from spiegel_platform.events import BatchHandler, ReceivedEvent, settle

from spiegel_aggregation.norms.model import contribution_of
from spiegel_aggregation.norms.store import Contribution
from spiegel_aggregation.responses.model import escape_key
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.storage import unpack_json
from spiegel_aggregation.wiring import Aggregation

EVENT_TYPE = "spiegel.aggregation.v1.ReportPublished"
CONCURRENCY = 8


def batch_handlers(runtime: AggregationRuntime) -> Mapping[str, BatchHandler]:
    wiring = Aggregation.of(runtime)
    reports, norms, stores = wiring.reports, wiring.norms, wiring.stores

    async def add_to_reader(tenant_id: str, person: str, events: list[ReceivedEvent]) -> None:
        readers = stores.tenant(tenant_id).readers
        for event in events:  # one person's document: one write after the other
            published: events_pb2.ReportPublished = event.payload
            round_key = escape_key(published.round_id)
            role = "subject" if person == published.subject_id else "member"
            await readers.apply_idempotent(
                person,
                event.event_id,
                {
                    "$set": {
                        f"reports.{round_key}.round_id": published.round_id,
                        f"reports.{round_key}.title": published.title,
                        f"reports.{round_key}.kind": published.kind,
                        f"reports.{round_key}.versions.v{published.version}": {
                            "report_id": published.report_id,
                            "published_at": published.published_at.ToDatetime().isoformat() + "Z",
                            "reason": published.reason,
                        },
                        f"reports.{round_key}.role": role,
                    },
                    "$max": {f"reports.{round_key}.latest": int(published.version)},
                },
            )

    async def contribution(event: ReceivedEvent) -> tuple[str, Contribution] | None:
        published: events_pb2.ReportPublished = event.payload
        doc = await reports.load(event.tenant_id, published.round_id, int(published.version))
        if doc is None or not doc.get("instrument_known", True):
            return None
        means = contribution_of(unpack_json(doc["body"]))
        if not means:
            return None
        return doc["instrument"], Contribution(
            published.round_id, int(published.version), means, event.event_id
        )

    async def reports_published(events: Sequence[ReceivedEvent]) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def limited(work):  # type: ignore[no-untyped-def]
            async with gate:
                return await work

        per_reader: dict[tuple[str, str], list[ReceivedEvent]] = {}
        for event in events:
            published: events_pb2.ReportPublished = event.payload
            for person in sorted({published.subject_id, *published.member_ids} - {""}):
                per_reader.setdefault((event.tenant_id, person), []).append(event)
        await settle(*(limited(add_to_reader(t, p, evs)) for (t, p), evs in per_reader.items()))

        found = await settle(*(limited(contribution(e)) for e in events))
        per_instrument: dict[tuple[str, str], list[Contribution]] = {}
        for event, item in zip(events, found, strict=True):
            if item is not None:
                per_instrument.setdefault((event.tenant_id, item[0]), []).append(item[1])
        for (tenant_id, instrument), contributions in per_instrument.items():
            await norms.contribute_many(tenant_id, instrument, contributions)

    return {EVENT_TYPE: reports_published}
