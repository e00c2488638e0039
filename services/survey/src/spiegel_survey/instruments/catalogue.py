"""Where instruments come from: the built-in ones shipped as data files, and tenants' own copies.

Built-in instruments ("ifms", "groepsmonitor") are YAML files in `data/`,
validated when first loaded (a broken file fails the service at start, never a
respondent). A tenant's instruments are documents in `instruments`, one per
version ("<instrument id>@<version>"). A version is locked (immutable) once a
round uses it: the first use inserts `instrument_uses/<id>@<version>`, a unique
insert that also carries the InstrumentPublished event (one write).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pymongo.errors import DuplicateKeyError
from spiegel.survey.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.storage.repository import TenantRepository

from spiegel_survey.instruments.model import Instrument, Kind

BUILT_IN_FILES = ("ifms-1.yaml", "groepsmonitor-1.yaml")
DEFAULT_FOR_KIND = {Kind.IFMS: "ifms", Kind.GROUP_MONITOR: "groepsmonitor"}


@cache
def built_ins() -> dict[tuple[str, int], Instrument]:
    found: dict[tuple[str, int], Instrument] = {}
    folder = resources.files("spiegel_survey.instruments") / "data"
    for name in BUILT_IN_FILES:
        raw = yaml.safe_load(folder.joinpath(name).read_text(encoding="utf-8"))
        instrument = Instrument.model_validate({**raw, "built_in": True})
        found[(instrument.id, instrument.version)] = instrument
    return found


def built_in_ids() -> set[str]:
    return {key[0] for key in built_ins()}


def latest_built_in(instrument_id: str) -> Instrument | None:
    versions = [i for (iid, _), i in built_ins().items() if iid == instrument_id]
    return max(versions, key=lambda i: i.version) if versions else None


def version_key(instrument_id: str, version: int) -> str:
    return f"{instrument_id}@{version}"


def to_document(instrument: Instrument) -> dict[str, Any]:
    return {
        "id": version_key(instrument.id, instrument.version),
        "instrument_id": instrument.id,
        "version": instrument.version,
        "kind": instrument.kind.value,
        "content": instrument.model_dump(mode="json"),
        "created_at": datetime.now(UTC),
    }


def from_document(doc: dict[str, Any]) -> Instrument:
    return Instrument.model_validate(doc["content"])


# Versions referenced by a round are immutable, so they can be cached for good.
_locked_cache: dict[tuple[str, str, int], Instrument] = {}


class Catalogue:
    """The instruments one tenant can use."""

    def __init__(self, instruments: TenantRepository, uses: TenantRepository) -> None:
        self.instruments = instruments
        self.uses = uses

    async def get(self, instrument_id: str, version: int) -> Instrument | None:
        built_in = built_ins().get((instrument_id, version))
        if built_in is not None:
            return built_in
        doc = await self.instruments.get(version_key(instrument_id, version))
        return from_document(doc) if doc else None

    async def get_used(self, instrument_id: str, version: int) -> Instrument | None:
        """A version a round refers to (immutable): cached in the process."""
        key = (self.instruments.tenant_id, instrument_id, version)
        found = _locked_cache.get(key)
        if found is None:
            found = await self.get(instrument_id, version)
            if found is not None:
                _locked_cache[key] = found
        return found

    async def latest(self, instrument_id: str) -> Instrument | None:
        built_in = latest_built_in(instrument_id)
        if built_in is not None:
            return built_in
        docs = await self.instruments.find({"instrument_id": instrument_id}, projection={"version": 1})
        if not docs:
            return None
        return await self.get(instrument_id, max(int(d["version"]) for d in docs))

    async def tenant_versions(self) -> list[dict[str, Any]]:
        return await self.instruments.find({}, projection={"content": 0}, sort=[("id", 1)])

    async def is_used(self, instrument_id: str, version: int) -> bool:
        if (instrument_id, version) in built_ins():
            return True
        return await self.uses.get(version_key(instrument_id, version), projection={"_id": 1}) is not None

    async def mark_used(
        self, instrument: Instrument, *, round_id: str, correlation_id: str | None = None
    ) -> bool:
        """Lock the version and publish its content, once per tenant. True when this call did it."""
        event = new_event(
            published_event(instrument),
            tenant_id=self.uses.tenant_id,
            producer="survey",
            correlation_id=correlation_id,
        )
        try:
            await self.uses.insert(
                {
                    "id": version_key(instrument.id, instrument.version),
                    "instrument_id": instrument.id,
                    "version": instrument.version,
                    "first_round_id": round_id,
                    "at": datetime.now(UTC),
                },
                events=[event],
            )
        except DuplicateKeyError:
            return False
        return True


def _text(localized: Any) -> events_pb2.LocalizedText:
    return events_pb2.LocalizedText(nl=localized.nl, en=localized.en)


def published_event(instrument: Instrument) -> events_pb2.InstrumentPublished:
    kind = events_pb2.ROUND_KIND_IFMS if instrument.kind is Kind.IFMS else events_pb2.ROUND_KIND_GROUP_MONITOR
    scale = instrument.scale
    statements: list[events_pb2.Statement] = []
    themes: list[events_pb2.Theme] = []
    for theme in instrument.themes:
        themes.append(
            events_pb2.Theme(
                theme_id=theme.id, label=_text(theme.label), item_ids=[s.id for s in theme.statements]
            )
        )
        statements.extend(
            events_pb2.Statement(
                item_id=s.id, theme_id=theme.id, text_self=_text(s.self), text_other=_text(s.other)
            )
            for s in theme.statements
        )
    return events_pb2.InstrumentPublished(
        instrument_id=instrument.id,
        version=instrument.version,
        kind=kind,
        title=_text(instrument.title),
        scale=events_pb2.RatingScale(
            min=scale.min,
            max=scale.max,
            anchors=[
                events_pb2.ScaleAnchor(value=v, label=_text(t)) for v, t in sorted(scale.anchors.items())
            ],
            not_applicable_label=_text(scale.not_applicable),
        ),
        themes=themes,
        statements=statements,
        global_items=[
            events_pb2.GlobalItem(
                item_id=g.id,
                text_self=_text(g.self),
                text_other=_text(g.other),
                min=g.min,
                max=g.max,
                allows_not_applicable=g.not_applicable,
            )
            for g in instrument.global_items
        ],
        open_questions=[
            events_pb2.OpenQuestion(
                item_id=q.id,
                text_self=_text(q.self),
                text_other=_text(q.other),
                max_length=q.max_length,
                purpose=q.purpose,
            )
            for q in instrument.open_questions
        ],
        built_in=instrument.built_in,
        copied_from_id=instrument.copied_from_id,
        copied_from_version=instrument.copied_from_version,
    )


def summaries(instruments: Iterable[Instrument]) -> list[dict[str, Any]]:
    return [
        {
            "id": i.id,
            "version": i.version,
            "kind": i.kind.value,
            "title": i.title.model_dump(),
            "built_in": True,
        }
        for i in instruments
    ]
