"""Instruments over HTTP: list, read a version, copy-and-adapt as the tenant's own, edit an unused version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pymongo.errors import DuplicateKeyError
from spiegel_platform.errors import ApiError

from spiegel_survey.auth import Coordinator, RoundReader
from spiegel_survey.instruments.catalogue import Catalogue, built_in_ids, built_ins, to_document, version_key
from spiegel_survey.instruments.model import INSTRUMENT_ID, Instrument, InstrumentContent, Kind, Localized
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.wiring import Survey

InstrumentIdText = Annotated[str, StringConstraints(pattern=INSTRUMENT_ID)]


class InstrumentSummary(BaseModel):
    id: str
    kind: Kind
    title: Localized
    built_in: bool
    versions: list[int]
    latest_version: int


class InstrumentVersionOut(BaseModel):
    instrument: dict[str, Any] = Field(
        ..., description="The full version: themes, statements, scale, questions."
    )
    used: bool = Field(..., description="Used by a round: this version can no longer change.")


class CopyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"instrument_id": "ifms-demo", "title": {"nl": "IFMS Demo", "en": "IFMS Demo"}}]
        },
    )

    instrument_id: InstrumentIdText = Field(
        ...,
        description="The tenant's instrument: a new one (version 1), or an existing one (next version).",
    )
    title: Localized | None = None
    content: InstrumentContent | None = Field(
        None, description="Adapted content; default: the source's content."
    )


def router(runtime: SurveyRuntime) -> APIRouter:
    api = APIRouter(prefix="/instruments", tags=["instruments"])
    stores = Survey.of(runtime).stores

    def catalogue(principal: Any) -> Catalogue:
        store = stores.tenant(principal.tenant_id)
        return Catalogue(store.instruments, store.instrument_uses)

    @api.get(
        "", response_model=list[InstrumentSummary], summary="The built-in and the tenant's own instruments"
    )
    async def list_instruments(principal: RoundReader) -> list[InstrumentSummary]:
        grouped: dict[str, list[Instrument]] = {}
        for instrument in built_ins().values():
            grouped.setdefault(instrument.id, []).append(instrument)
        found: list[InstrumentSummary] = []
        for versions in grouped.values():
            latest = max(versions, key=lambda i: i.version)
            found.append(
                InstrumentSummary(
                    id=latest.id,
                    kind=latest.kind,
                    title=latest.title,
                    built_in=True,
                    versions=sorted(i.version for i in versions),
                    latest_version=latest.version,
                )
            )
        own: dict[str, list[dict[str, Any]]] = {}
        for doc in await catalogue(principal).instruments.find({}, projection={"content.themes": 0}):
            own.setdefault(doc["instrument_id"], []).append(doc)
        for instrument_id, docs in sorted(own.items()):
            latest_doc = max(docs, key=lambda d: d["version"])
            found.append(
                InstrumentSummary(
                    id=instrument_id,
                    kind=latest_doc["kind"],
                    title=latest_doc["content"]["title"],
                    built_in=False,
                    versions=sorted(d["version"] for d in docs),
                    latest_version=latest_doc["version"],
                )
            )
        return found

    @api.get(
        "/{instrument_id}/versions/{version}",
        response_model=InstrumentVersionOut,
        summary="One version of an instrument, complete",
    )
    async def get_version(instrument_id: str, version: int, principal: RoundReader) -> InstrumentVersionOut:
        cat = catalogue(principal)
        found = await cat.get(instrument_id, version)
        if found is None:
            raise ApiError(404, "instrument_version_not_found", instrument_id=instrument_id, version=version)
        return InstrumentVersionOut(
            instrument=found.model_dump(mode="json"), used=await cat.is_used(instrument_id, version)
        )

    @api.post(
        "/{instrument_id}/versions/{version}/copy",
        status_code=201,
        response_model=InstrumentVersionOut,
        summary="Copy a version as (a new version of) the tenant's own instrument, optionally adapted",
    )
    async def copy_version(
        instrument_id: str, version: int, body: CopyIn, principal: Coordinator
    ) -> InstrumentVersionOut:
        cat = catalogue(principal)
        source = await cat.get(instrument_id, version)
        if source is None:
            raise ApiError(404, "instrument_version_not_found", instrument_id=instrument_id, version=version)
        if body.instrument_id in built_in_ids():
            raise ApiError(409, "instrument_id_built_in", instrument_id=body.instrument_id)
        existing = await cat.instruments.find(
            {"instrument_id": body.instrument_id}, projection={"version": 1, "kind": 1}
        )
        if existing and existing[0]["kind"] != source.kind.value:
            raise ApiError(
                409, "instrument_id_other_kind", instrument_id=body.instrument_id, kind=existing[0]["kind"]
            )
        next_version = max((int(d["version"]) for d in existing), default=0) + 1
        content = (body.content or source).model_dump(
            mode="json", include=set(InstrumentContent.model_fields)
        )
        if body.title is not None:
            content["title"] = body.title.model_dump()
        try:
            copy = Instrument.model_validate(
                {
                    **content,
                    "id": body.instrument_id,
                    "version": next_version,
                    "kind": source.kind,
                    "copied_from_id": source.id,
                    "copied_from_version": source.version,
                }
            )
            await cat.instruments.insert(to_document(copy))
        except DuplicateKeyError:
            raise ApiError(409, "instrument_version_created_meanwhile") from None
        return InstrumentVersionOut(instrument=copy.model_dump(mode="json"), used=False)

    @api.put(
        "/{instrument_id}/versions/{version}",
        response_model=InstrumentVersionOut,
        summary="Change a tenant's instrument version that no round has used yet",
    )
    async def update_version(
        instrument_id: str, version: int, body: InstrumentContent, principal: Coordinator
    ) -> InstrumentVersionOut:
        cat = catalogue(principal)
        if instrument_id in built_in_ids():
            raise ApiError(403, "built_in_unchangeable")
        current = await cat.get(instrument_id, version)
        if current is None:
            raise ApiError(404, "instrument_version_not_found", instrument_id=instrument_id, version=version)
        if await cat.is_used(instrument_id, version):
            raise ApiError(409, "instrument_version_used")
        changed = Instrument.model_validate(
            {
                **body.model_dump(mode="json"),
                "id": instrument_id,
                "version": version,
                "kind": current.kind,
                "copied_from_id": current.copied_from_id,
                "copied_from_version": current.copied_from_version,
            }
        )
        document = to_document(changed)
        await cat.instruments.update(
            version_key(instrument_id, version), {"$set": {"content": document["content"]}}
        )
        return InstrumentVersionOut(instrument=changed.model_dump(mode="json"), used=False)

    return api
