"""Rounds over HTTP: create (one, or many IFMS rounds at once), list, read, open, extend, close, progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator
from spiegel_platform.errors import ApiError, Text

from spiegel_survey import times
from spiegel_survey.auth import Coordinator, RoundReader, check_round_reader, is_coordinating
from spiegel_survey.instruments.catalogue import DEFAULT_FOR_KIND
from spiegel_survey.instruments.model import INSTRUMENT_ID, Instrument, Kind
from spiegel_survey.rounds import service
from spiegel_survey.rounds.model import LifecycleError, RoundStatus, respondent_groups
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.storage import Store
from spiegel_survey.times import LocalTime
from spiegel_survey.wiring import Survey

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PersonId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubjectIn(Model):
    subject_id: PersonId = Field(
        ..., description="IFMS: the gateway person id of the specialist; Groepsmonitor: the group's id."
    )
    display_name: Name
    member_ids: list[PersonId] = Field(
        default_factory=list, max_length=200, description="Groepsmonitor: the member specialists' person ids."
    )


class RoundSettings(Model):
    instrument_id: Annotated[str, StringConstraints(pattern=INSTRUMENT_ID)] | None = Field(
        None, description="Default: the built-in instrument of the kind ('ifms' / 'groepsmonitor')."
    )
    instrument_version: int | None = Field(None, ge=1, description="Default: the latest version.")
    opens_at: LocalTime | None = Field(None, description="Planned opening (Europe/Amsterdam when no offset).")
    closes_at: LocalTime = Field(..., description="Closing time (Europe/Amsterdam when no offset).")
    open: StrictBool = Field(False, description="Open the round right away.")

    @model_validator(mode="after")
    def _period(self) -> RoundSettings:
        if self.opens_at is not None and self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be later than opens_at")
        if self.closes_at <= times.now():
            raise ValueError("closes_at must be in the future")
        return self


class RoundIn(RoundSettings):
    kind: Kind
    title: Name
    subject: SubjectIn
    flex_label_nl: Label | None = Field(None, description="IFMS: name of the flexible respondent group.")
    flex_label_en: Label | None = None
    include_patients: StrictBool = Field(
        False, description="Groepsmonitor: add the respondent group 'patients'."
    )
    group_id: PersonId | None = Field(
        None,
        description="Groepsmonitor: the gateway's group (vakgroep, maatschap) the members were taken "
        "from, so the group can be followed from one round to the next.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "IFMS",
                    "title": "IFMS 2026 – Dr. A. de Vries",
                    "subject": {"subject_id": "person-123", "display_name": "Dr. A. de Vries"},
                    "closes_at": "2026-03-31T17:00:00",
                    "flex_label_nl": "Arts-assistenten",
                    "flex_label_en": "Residents",
                    "open": True,
                },
                {
                    "kind": "GROUP_MONITOR",
                    "title": "Groepsmonitor Cardiologie 2026",
                    "subject": {
                        "subject_id": "group-cardio",
                        "display_name": "Vakgroep Cardiologie",
                        "member_ids": ["person-1", "person-2", "person-3"],
                    },
                    "closes_at": "2026-04-15T17:00:00+02:00",
                },
            ]
        },
    )

    @model_validator(mode="after")
    def _subject(self) -> RoundIn:
        if self.kind is Kind.GROUP_MONITOR and not self.subject.member_ids:
            raise ValueError("subject.member_ids: a Groepsmonitor round needs the group's members")
        if self.kind is Kind.IFMS and self.subject.member_ids:
            raise ValueError("subject.member_ids: an IFMS round is about one specialist, not a group")
        if self.kind is Kind.IFMS and self.group_id:
            raise ValueError("group_id: an IFMS round is about one specialist, not a group")
        return self


class SpecialistIn(Model):
    subject_id: PersonId
    display_name: Name
    flex_label_nl: Label | None = None
    flex_label_en: Label | None = None


class IfmsBatchIn(RoundSettings):
    title: Name = Field(..., description="Each round's title is '<title> – <display name>'.")
    specialists: list[SpecialistIn] = Field(..., min_length=1, max_length=300)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "IFMS 2026",
                    "closes_at": "2026-03-31T17:00:00",
                    "open": True,
                    "specialists": [
                        {"subject_id": "person-1", "display_name": "Dr. A. de Vries"},
                        {
                            "subject_id": "person-2",
                            "display_name": "Dr. B. Jansen",
                            "flex_label_nl": "OK-team",
                        },
                    ],
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _unique(self) -> IfmsBatchIn:
        ids = [s.subject_id for s in self.specialists]
        if len(set(ids)) != len(ids):
            raise ValueError("specialists: each specialist may appear once")
        return self


class ExtendIn(Model):
    closes_at: LocalTime

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"closes_at": "2026-04-07T17:00:00"}]}
    )


class GroupOut(BaseModel):
    code: str
    label_nl: str
    label_en: str
    is_self: bool


class SubjectOut(BaseModel):
    subject_id: str
    display_name: str
    member_ids: list[str] = []


class InstrumentRef(BaseModel):
    id: str
    version: int


class RoundOut(BaseModel):
    id: str
    kind: Kind
    title: str
    subject: SubjectOut
    instrument: InstrumentRef
    respondent_groups: list[GroupOut]
    status: RoundStatus
    opens_at: LocalTime | None
    closes_at: LocalTime
    closed_at: LocalTime | None = None
    min_group_size: int | None = None
    group_id: str | None = None


class RoundPage(BaseModel):
    items: list[RoundOut]
    total: int
    limit: int
    offset: int


class GroupProgress(BaseModel):
    code: str
    label_nl: str
    label_en: str
    completed: int


class ProgressOut(BaseModel):
    round_id: str
    status: RoundStatus
    completed: int
    groups: list[GroupProgress]


def _out(doc: dict[str, Any]) -> RoundOut:
    return RoundOut.model_validate({k: doc.get(k) for k in RoundOut.model_fields if k in doc})


def _problem(field: str, reason: Text) -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        extra={"errors": [{"field": field, "message": reason, "type": "value_error"}]},
        summary=Text("error.field_problem", field=field, problem=reason),
    )


def router(runtime: SurveyRuntime) -> APIRouter:
    api = APIRouter(prefix="/rounds", tags=["rounds"])
    stores = Survey.of(runtime).stores

    def store(principal: Any) -> Store:
        return stores.tenant(principal.tenant_id)

    async def instrument_for(
        db: Store, kind: Kind, instrument_id: str | None, version: int | None, field: str = "body"
    ) -> Instrument:
        catalogue = service.catalogue(db)
        chosen_id = instrument_id or DEFAULT_FOR_KIND[kind]
        found = await (catalogue.get(chosen_id, version) if version else catalogue.latest(chosen_id))
        if found is None:
            missing = "round.instrument_missing" if version else "round.instrument_missing_latest"
            raise _problem(f"{field}.instrument_id", Text(missing, instrument_id=chosen_id, version=version))
        if found.kind is not kind:
            reason = Text(
                "round.instrument_other_kind", instrument_id=chosen_id, found=str(found.kind), kind=str(kind)
            )
            raise _problem(f"{field}.instrument_id", reason)
        return found

    async def create_one(
        db: Store,
        request: Request,
        principal: Any,
        *,
        kind: Kind,
        title: str,
        subject: dict[str, Any],
        settings: RoundSettings,
        instrument: Instrument,
        flex_nl: str | None = None,
        flex_en: str | None = None,
        include_patients: bool = False,
        group_id: str | None = None,
    ) -> dict[str, Any]:
        doc = service.new_round_document(
            kind=kind,
            title=title,
            subject=subject,
            instrument=instrument,
            groups=respondent_groups(
                kind, flex_label_nl=flex_nl, flex_label_en=flex_en, include_patients=include_patients
            ),
            opens_at=settings.opens_at,
            closes_at=settings.closes_at,
            created_by=principal.subject,
            group_id=group_id,
        )
        correlation = request.state.correlation_id
        stored = await service.create(db, doc, instrument, correlation)
        if settings.open:
            stored = await service.open_round(db, stored["id"], correlation)
        return stored

    @api.post(
        "", status_code=201, response_model=RoundOut, summary="Create a round (draft, or open right away)"
    )
    async def create_round(body: RoundIn, principal: Coordinator, request: Request) -> RoundOut:
        db = store(principal)
        instrument = await instrument_for(db, body.kind, body.instrument_id, body.instrument_version)
        doc = await create_one(
            db,
            request,
            principal,
            kind=body.kind,
            title=body.title,
            subject=body.subject.model_dump(),
            settings=body,
            instrument=instrument,
            flex_nl=body.flex_label_nl,
            flex_en=body.flex_label_en,
            include_patients=body.include_patients,
            group_id=body.group_id,
        )
        return _out(doc)

    @api.post(
        "/ifms-batch",
        status_code=201,
        response_model=list[RoundOut],
        summary="Create IFMS rounds for many specialists at once (e.g. a whole department)",
    )
    async def create_ifms_batch(
        body: IfmsBatchIn, principal: Coordinator, request: Request
    ) -> list[RoundOut]:
        db = store(principal)
        instrument = await instrument_for(db, Kind.IFMS, body.instrument_id, body.instrument_version)
        created = []
        for specialist in body.specialists:
            doc = await create_one(
                db,
                request,
                principal,
                kind=Kind.IFMS,
                title=f"{body.title} – {specialist.display_name}",
                subject={
                    "subject_id": specialist.subject_id,
                    "display_name": specialist.display_name,
                    "member_ids": [],
                },
                settings=body,
                instrument=instrument,
                flex_nl=specialist.flex_label_nl,
                flex_en=specialist.flex_label_en,
            )
            created.append(_out(doc))
        return created

    @api.get("", response_model=RoundPage, summary="List rounds with filters and paging")
    async def list_rounds(
        principal: RoundReader,
        kind: Kind | None = None,
        status: RoundStatus | None = None,
        subject_id: Annotated[str | None, Query(max_length=100)] = None,
        group_id: Annotated[
            str | None, Query(max_length=100, description="Groepsmonitor rounds of one group (gateway)")
        ] = None,
        period_from: Annotated[
            times.Moment | None, Query(description="Rounds still open on or after this moment")
        ] = None,
        period_to: Annotated[
            times.Moment | None, Query(description="Rounds opened on or before this moment")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100000)] = 0,
    ) -> RoundPage:
        if not is_coordinating(principal):
            if subject_id and subject_id != principal.subject:
                return RoundPage(items=[], total=0, limit=limit, offset=offset)
            subject_id = principal.subject
        filter = service.list_filter(
            kind=kind,
            status=status,
            subject_id=subject_id,
            period_from=period_from,
            period_to=period_to,
            group_id=group_id,
        )
        db = store(principal)
        total = await db.rounds.count(filter)
        docs = await db.rounds.find(filter, sort=[("created_at", -1), ("id", 1)], limit=limit, skip=offset)
        return RoundPage(items=[_out(d) for d in docs], total=total, limit=limit, offset=offset)

    async def readable(principal: Any, round_id: str) -> dict[str, Any]:
        try:
            doc = await service.get(store(principal), round_id)
        except service.NotFound:
            raise ApiError(404, "round_not_found", round_id=round_id) from None
        check_round_reader(principal, doc)
        return doc

    @api.get("/{round_id}", response_model=RoundOut, summary="Read a round")
    async def get_round(round_id: str, principal: RoundReader) -> RoundOut:
        return _out(await readable(principal, round_id))

    @api.get(
        "/{round_id}/progress",
        response_model=ProgressOut,
        summary="Completed evaluations per respondent group (invited counts: invitation service)",
    )
    async def progress(round_id: str, principal: RoundReader) -> ProgressOut:
        doc = await readable(principal, round_id)
        counts = await service.completed_per_group(store(principal), doc)
        groups = [
            GroupProgress(
                code=g["code"], label_nl=g["label_nl"], label_en=g["label_en"], completed=counts[g["code"]]
            )
            for g in doc["respondent_groups"]
        ]
        return ProgressOut(
            round_id=round_id, status=doc["status"], completed=sum(counts.values()), groups=groups
        )

    async def step(principal: Any, round_id: str, action: Any) -> RoundOut:
        try:
            return _out(await action(store(principal)))
        except service.NotFound:
            raise ApiError(404, "round_not_found", round_id=round_id) from None
        except LifecycleError as error:
            raise ApiError(409, "round_lifecycle", problem=error.reason) from None
        except service.Conflict:
            raise ApiError(409, "round_changed_meanwhile") from None

    @api.post("/{round_id}/open", response_model=RoundOut, summary="Open a draft round now")
    async def open_round(round_id: str, principal: Coordinator, request: Request) -> RoundOut:
        return await step(
            principal, round_id, lambda db: service.open_round(db, round_id, request.state.correlation_id)
        )

    @api.post(
        "/{round_id}/extend", response_model=RoundOut, summary="Move the closing time of an open round later"
    )
    async def extend_round(
        round_id: str, body: ExtendIn, principal: Coordinator, request: Request
    ) -> RoundOut:
        return await step(
            principal,
            round_id,
            lambda db: service.extend(db, round_id, body.closes_at, request.state.correlation_id),
        )

    @api.post("/{round_id}/close", response_model=RoundOut, summary="Close an open round early")
    async def close_round(round_id: str, principal: Coordinator, request: Request) -> RoundOut:
        async def action(db: Store) -> dict[str, Any]:
            closed = await service.close(
                db, round_id, early=True, correlation_id=request.state.correlation_id
            )
            assert closed is not None
            return closed

        return await step(principal, round_id, action)

    return api
