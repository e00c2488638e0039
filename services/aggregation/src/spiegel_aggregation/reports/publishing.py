"""Making and publishing report versions (I/O around the pure builder).

- First version: when the round has closed and every group has delivered the
  responses the survey counted at closing (RoundClosed.completed_per_group),
  at once; otherwise when those arrive, or after `report_wait_seconds`
  (pending_reports + a background loop) with what has arrived.
- Later versions: on a coordinator's request with a reason, only when they
  would show something new (rule A5 decides what may change).
- A version is one insert of "<round>.v<n>" with its ReportPublished event in
  the same document (the outbox): a second attempt (a redelivered RoundClosed,
  two coordinators at once) hits the duplicate id and changes nothing, so a
  published version never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError
from spiegel.aggregation.v1 import events_pb2
from spiegel_platform.errors import Text
from spiegel_platform.events import new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.stores import Stores

from spiegel_aggregation.instruments.model import InstrumentModel
from spiegel_aggregation.instruments.store import load_instrument
from spiegel_aggregation.reports.anonymity import effective_threshold
from spiegel_aggregation.reports.builder import BuiltReport, PreviousVersion, build_report
from spiegel_aggregation.responses.model import Response, completed_per_group, iter_scored, responses_of
from spiegel_aggregation.rounds.model import CLOSED, expected_per_group, facts_of, invited_per_group
from spiegel_aggregation.settings import AggregationSettings
from spiegel_aggregation.storage import Document, Store, pack_json, report_id, unpack_json
from spiegel_aggregation.tenants.store import tenant_threshold

log = get_logger(__name__)


PACKAGE = "spiegel_aggregation"  # whose catalog holds the texts


class ReportConflict(Exception):
    """A version cannot be made now; `reason` says why (a catalog text; `str()` is the Dutch one)."""

    def __init__(self, reason: Text) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass
class Candidate:
    round: Document
    built: BuiltReport
    version: int
    instrument: InstrumentModel


class Reports:
    def __init__(self, stores: Stores[Store], settings: AggregationSettings) -> None:
        self.stores = stores
        self.settings = settings
        # Instrument versions never change once published: kept per (tenant, id, version).
        self._instruments: dict[tuple[str, str, int], InstrumentModel] = {}

    # -- reading ------------------------------------------------------------------------
    async def latest_version(self, tenant_id: str, round_doc: Document) -> int:
        """The highest published version (the round's hint, then probing by id: a crash between
        publishing and the hint only delays the hint)."""
        version = int(round_doc.get("latest_version", 0))
        reports = self.stores.tenant(tenant_id).reports
        while await reports.get(report_id(round_doc["id"], version + 1), projection={"version": 1}):
            version += 1
        return version

    async def load(self, tenant_id: str, round_id: str, version: int) -> Document | None:
        return await self.stores.tenant(tenant_id).reports.get(report_id(round_id, version))

    async def previous_versions(self, tenant_id: str, round_id: str, latest: int) -> list[PreviousVersion]:
        found = []
        for version in range(1, latest + 1):
            doc = await self.load(tenant_id, round_id, version)
            if doc is not None:
                found.append(PreviousVersion.from_documents(version, unpack_json(doc["cells"])))
        return found

    # -- building -----------------------------------------------------------------------
    async def candidate(
        self, tenant_id: str, round_doc: Document, reason: str = "", responses: list[Response] | None = None
    ) -> Candidate:
        round_id = round_doc["id"]
        if responses is None:
            responses = responses_of(await self.stores.tenant(tenant_id).responses.get(round_id))
        instrument = await self._instrument(tenant_id, round_doc, responses)
        latest = await self.latest_version(tenant_id, round_doc)
        previous = await self.previous_versions(tenant_id, round_id, latest)
        threshold = effective_threshold(
            round_doc.get("min_group_size"), await tenant_threshold(self.stores.tenant(tenant_id))
        )
        version = latest + 1
        built = build_report(
            facts_of(round_doc),
            instrument,
            responses,
            threshold=threshold,
            report_id=report_id(round_id, version),
            version=version,
            published_at=datetime.now(UTC).isoformat(timespec="seconds"),
            reason=reason,
            invited=invited_per_group(round_doc),
            previous=previous,
        )
        built.body["previous_version_shows_same"] = bool(previous) and _same(built, previous[-1])
        return Candidate(round_doc, built, version, instrument)

    async def _instrument(
        self, tenant_id: str, round_doc: Document, responses: list[Response]
    ) -> InstrumentModel:
        key = (tenant_id, round_doc.get("instrument_id", ""), int(round_doc.get("instrument_version", 0)))
        found = self._instruments.get(key)
        if found is None:
            found = await load_instrument(self.stores.tenant(tenant_id), key[1], key[2])
            if found is not None and found.known:
                if len(self._instruments) > 1000:
                    self._instruments.clear()
                self._instruments[key] = found
        if found is not None:
            return found
        log.warning("instrument_unknown", round_id=round_doc["id"], instrument=round_doc.get("instrument_id"))
        texts = [q for r in responses for q in r.texts if q not in r.scores]
        return InstrumentModel.derived(
            round_doc.get("instrument_id", ""),
            int(round_doc.get("instrument_version", 0)),
            iter_scored(responses),
            texts,
        )

    async def publish(self, tenant_id: str, candidate: Candidate, correlation_id: str | None = None) -> bool:
        """Insert the version with its ReportPublished event; False when it already exists."""
        body = candidate.built.body
        round_doc = candidate.round
        stamp = Timestamp()
        stamp.FromDatetime(datetime.fromisoformat(body["published_at"]).astimezone(UTC).replace(tzinfo=None))
        event = new_event(
            events_pb2.ReportPublished(
                report_id=body["report_id"],
                round_id=round_doc["id"],
                subject_id=round_doc.get("subject_id", ""),
                member_ids=list(round_doc.get("member_ids", ())),
                version=candidate.version,
                published_at=stamp,
                kind=body["kind"],
                title=body["title"],
                reason=body["reason"],
            ),
            tenant_id=tenant_id,
            producer="aggregation",
            correlation_id=correlation_id,
        )
        doc = {
            "id": body["report_id"],
            "round_id": round_doc["id"],
            "version": candidate.version,
            "kind": body["kind"],
            "title": body["title"],
            "subject_id": round_doc.get("subject_id", ""),
            "member_ids": list(round_doc.get("member_ids", ())),
            "published_at": body["published_at"],
            "reason": body["reason"],
            "instrument": candidate.instrument.key,
            "instrument_known": candidate.instrument.known,
            "body": pack_json(body),
            "cells": pack_json([c.to_document() for c in candidate.built.cells]),
            "diagnostics": candidate.built.diagnostics,
        }
        try:
            await self.stores.tenant(tenant_id).reports.insert(doc, events=[event])
        except DuplicateKeyError:
            return False
        await self.stores.tenant(tenant_id).rounds.update(
            round_doc["id"], {"$max": {"latest_version": candidate.version}}
        )
        log.info("report_published", round_id=round_doc["id"], version=candidate.version)
        return True

    # -- the first version ------------------------------------------------------------------
    async def first_version_if_ready(self, tenant_id: str, round_id: str, *, waited: bool = False) -> bool:
        rounds = self.stores.tenant(tenant_id).rounds
        round_doc = await rounds.get(round_id)
        if not round_doc or not round_doc.get("opened") or int(round_doc.get("status_rank", 0)) < CLOSED:
            return False
        if int(round_doc.get("latest_version", 0)) >= 1:
            await self._done_waiting(tenant_id, round_id)
            return False
        responses: list[Response] | None = None
        if not waited:
            expected = expected_per_group(round_doc)
            responses = responses_of(await self.stores.tenant(tenant_id).responses.get(round_id))
            received = completed_per_group(responses)
            missing = {g: n - received.get(g, 0) for g, n in expected.items() if received.get(g, 0) < n}
            if missing:
                due = round_doc.get("close_seen_at") or datetime.now(UTC)
                if due.tzinfo is None:
                    due = due.replace(tzinfo=UTC)
                await self.stores.tenant(tenant_id).pending.update(
                    round_id,
                    {"$min": {"due_at": due + timedelta(seconds=self.settings.report_wait_seconds)}},
                    upsert=True,
                )
                log.info("report_waits_for_responses", round_id=round_id, missing=missing)
                return False
        candidate = await self.candidate(tenant_id, round_doc, responses=responses)
        if candidate.version != 1:
            await self._done_waiting(tenant_id, round_id)
            return False
        published = await self.publish(tenant_id, candidate)
        await self._done_waiting(tenant_id, round_id)
        return published

    async def _done_waiting(self, tenant_id: str, round_id: str) -> None:
        pending = self.stores.tenant(tenant_id).pending
        if await pending.get(round_id, projection={"id": 1}):
            await pending.delete(round_id)

    async def publish_overdue(self) -> int:
        """Publish first versions whose wait for responses in flight is over.

        The pending collection holds only rounds waiting right now (a handful), so this one
        scan across tenants is cheap; every read and write after it is tenant-scoped.
        """
        now = datetime.now(UTC)
        done = 0
        async for doc in self.stores.across_tenants(Store.pending).find(
            {"due_at": {"$lte": now}}, {"tenant_id": 1, "id": 1}
        ):
            if await self.first_version_if_ready(doc["tenant_id"], doc["id"], waited=True):
                done += 1
        return done

    # -- later versions -------------------------------------------------------------------------
    async def new_version(
        self, tenant_id: str, round_id: str, reason: str, correlation_id: str | None
    ) -> Document:
        round_doc = await self.stores.tenant(tenant_id).rounds.get(round_id)
        if round_doc is None:
            raise LookupError(round_id)
        if int(round_doc.get("status_rank", 0)) < CLOSED or int(round_doc.get("latest_version", 0)) < 1:
            raise ReportConflict(Text("report.conflict.first_version_at_close", package=PACKAGE))
        candidate = await self.candidate(tenant_id, round_doc, reason)
        if candidate.built.body["previous_version_shows_same"]:
            raise ReportConflict(Text("report.conflict.nothing_new", package=PACKAGE))
        if not await self.publish(tenant_id, candidate, correlation_id):
            raise ReportConflict(Text("report.conflict.made_meanwhile", package=PACKAGE))
        return candidate.built.body


def _same(built: BuiltReport, previous: PreviousVersion) -> bool:
    shown = {c.key: c for c in built.cells}
    return shown.keys() == previous.cells.keys() and all(
        shown[k].members == previous.cells[k].members for k in shown
    )
