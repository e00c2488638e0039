"""Importing people from a spreadsheet, in two steps: check (nothing saved), then confirm (one call).

- `GET /people/imports/template?language=nl|en&format=xlsx|csv`: the template.
- `POST /people/imports` (the file, multipart): every row checked; the file's rows are kept as the
  import (for its confirmation, by its maker only) and the check is answered: per row its problems
  per column in Dutch and English, and the suggested fixes. No person is saved.
- `POST /people/imports/{id}/confirm`: the rows chosen, the suggestions ticked. Checked again
  (the hospital may have changed meanwhile); a chosen row that still has an error refuses the
  whole confirmation (422, naming the rows). Then all the rows' people are saved or none
  (`PeopleStore.create_many`); repeating a confirmation that was interrupted finishes it, and
  repeating one that finished answers the same.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Request, Response, UploadFile
from pydantic import BaseModel, Field
from spiegel_platform.errors import ApiError
from spiegel_platform.i18n import language_of
from spiegel_platform.logging import get_logger
from spiegel_platform.storage import claims

from spiegel_gateway.audit.log import PEOPLE_IMPORTED
from spiegel_gateway.groups.model import name_key
from spiegel_gateway.groups.store import GroupConflict, GroupStore
from spiegel_gateway.people import import_checks, spreadsheet
from spiegel_gateway.people.api import Managers
from spiegel_gateway.people.model import GRANTABLE_BY, normalise_email
from spiegel_gateway.people.store import PeopleStore, Person, PersonConflict
from spiegel_gateway.sessions.auth import client_ip, correlation_of, gateway_of
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.signin.local import send_verification
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant

log = get_logger(__name__)
IMPORT_LIFETIME = timedelta(days=2)
CONFIRM_LEASE = timedelta(minutes=2)
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class Fix(BaseModel):
    row: int
    column: str = Field(..., max_length=20)


class ConfirmIn(BaseModel):
    rows: list[int] = Field(..., max_length=spreadsheet.MAX_ROWS, description="the rows to save")
    apply: list[Fix] = Field(default_factory=list, max_length=spreadsheet.MAX_ROWS * 7)
    send_activation: bool = Field(True, description="mail each new person their activation link")


def _rows_in(doc: dict[str, Any]) -> list[spreadsheet.RowIn]:
    return [
        spreadsheet.RowIn(r["row"], r["values"], r.get("formulas", []), r.get("merged", []))
        for r in doc["rows"]
    ]


def grantable(caller: Session) -> set[str]:
    allowed: set[str] = set()
    for role in caller.roles:
        allowed |= GRANTABLE_BY.get(role, set())
    return allowed


async def check(
    request: Request,
    tenant: Tenant,
    caller: Session,
    rows: list[spreadsheet.RowIn],
    own_ids: frozenset[str] = frozenset(),
) -> tuple[list[import_checks.RowResult], import_checks.Context]:
    """The rows checked against the hospital as it is now (`own_ids`: people this import saved
    already, in a confirmation repeated)."""
    gateway = gateway_of(request)
    addresses = [normalise_email(r.values["email"]) for r in rows if r.values.get("email", "").strip()]
    in_use = await gateway.people.emails_in_use(tenant.tenant_id, sorted(set(addresses)))
    existing = {a: name for a, (pid, name) in in_use.items() if pid not in own_ids}
    names = await gateway.people.names(tenant.tenant_id) if not own_ids else set()
    groups = {name_key(g.name): g.name for g in await gateway.groups.briefly(tenant.tenant_id)}
    ctx = import_checks.Context(
        grantable=grantable(caller),
        existing=existing,
        names=names,
        groups=groups,
        language=tenant.default_language,
    )
    return import_checks.check_rows(rows, ctx), ctx


def answer(
    doc: dict[str, Any], results: list[import_checks.RowResult], ctx: import_checks.Context
) -> dict[str, Any]:
    return {
        "new_groups": import_checks.new_groups(results, ctx),
        "import_id": doc["id"],
        "filename": doc.get("filename", ""),
        "sheet": doc.get("sheet", ""),
        "hidden_sheets": doc.get("hidden_sheets", []),
        "summary": import_checks.summary(results),
        "rows": [r.as_dict() for r in results],
        "confirmed": doc.get("confirmed"),
    }


def _wanted_groups(people: list[dict[str, Any]]) -> dict[str, tuple[str, list[str], list[str | None]]]:
    """name_key -> (the group's name, the ids of the people whose rows name it, their rows'
    specialisms: a group the import makes takes the one they share)."""
    wanted: dict[str, tuple[str, list[str], list[str | None]]] = {}
    for person in people:
        if person.get("group"):
            found = wanted.setdefault(name_key(person["group"]), (person["group"], [], []))
            found[1].append(person["id"])
            found[2].append(person.get("specialism"))
    return wanted


async def save(
    people_store: PeopleStore,
    groups: GroupStore,
    tenant_id: str,
    people: list[dict[str, Any]],
    *,
    by: str,
    correlation_id: str | None = None,
) -> tuple[list[Person], list[str]]:
    """The confirmation's writes, all or none: the people (`PeopleStore.create_many`), then each
    into the group their row names (a group the hospital does not have yet is made: it was
    shown in the check). Returns the people saved and the names of the groups made.

    A step that fails (an exception, PersonConflict included) takes back what this call wrote
    (`withdraw_many`, `withdraw_members`) before the error goes on: no import is left half
    saved. A group it made stays, empty (its name is the hospital's now; the next import or
    the repeat uses it). A crash in between is finished by repeating the confirmation (the
    person ids were chosen at the check): found by name, members once, people skipped."""
    entries = [{k: v for k, v in p.items() if k != "group"} for p in people]
    wanted = _wanted_groups(people)
    linked: list[str] = []
    try:
        saved = await people_store.create_many(tenant_id, entries, correlation_id=correlation_id)
        made = await _link_groups(groups, tenant_id, wanted, linked, by=by, correlation_id=correlation_id)
    except BaseException:
        try:
            for group_id in linked:
                await groups.withdraw_members(
                    tenant_id, group_id, [p["id"] for p in people], correlation_id=correlation_id
                )
            await people_store.withdraw_many(tenant_id, entries)
        except Exception as undo_failed:  # the database gone too: repeating the confirmation finishes it
            log.error("people_import_undo_failed", error=repr(undo_failed))
        raise
    return saved, made


async def _link_groups(
    groups: GroupStore,
    tenant_id: str,
    wanted: dict[str, tuple[str, list[str], list[str | None]]],
    linked: list[str],
    *,
    by: str,
    correlation_id: str | None,
) -> list[str]:
    """Each imported person into the group their row names (`linked`: the ids of the groups
    members were added to, as it goes). Returns the names of the groups made. Repeating it
    (a confirmation interrupted) changes nothing more: found by name, members once."""
    made: list[str] = []
    for name, members, specialisms in wanted.values():
        group = await groups.find_by_name(tenant_id, name)
        if group is None:
            kind, specialism = import_checks.new_group_details(name, specialisms)
            try:
                group = await groups.create(
                    tenant_id,
                    name=name,
                    kind=kind,
                    specialism=specialism,
                    by=by,
                    correlation_id=correlation_id,
                )
                made.append(group.name)
            except GroupConflict:  # made meanwhile (a confirmation repeated at the same time)
                group = await groups.find_by_name(tenant_id, name)
        if group is not None:
            linked.append(group.group_id)
            await groups.add_members(tenant_id, group.group_id, members, by=by, correlation_id=correlation_id)
    return made


def router() -> APIRouter:
    api = APIRouter(prefix="/people/imports", tags=["people"])

    async def _import_or_404(
        request: Request, tenant: Tenant, caller: Session, import_id: str
    ) -> dict[str, Any]:
        doc = await gateway_of(request).stores.tenant(tenant.tenant_id).people_imports.get(import_id)
        # Another's import (or another hospital's: this hospital's store has none) is unknown.
        if doc is None or doc.get("created_by") != caller.subject or ":" in import_id:
            raise ApiError(404, "import_not_found")
        if (
            doc.get("confirmed") is None
            and doc["created_at"].replace(tzinfo=UTC) < datetime.now(UTC) - IMPORT_LIFETIME
        ):
            raise ApiError(410, "import_expired")
        return doc

    @api.get("/template")
    async def template(
        request: Request,
        tenant: CurrentTenant,
        language: str = "nl",
        format: str = "xlsx",
        caller: Session = Managers,
    ) -> Response:
        """The spreadsheet to fill in: Dutch or English headers, xlsx or csv (both are read back)."""
        if language not in spreadsheet.HEADERS:
            raise ApiError(422, "template_choice", field="language", allowed="nl, en")
        if format not in MEDIA:
            raise ApiError(422, "template_choice", field="format", allowed="xlsx, csv")
        name = "mensen" if language == "nl" else "people"
        return Response(
            spreadsheet.template(language, format),
            media_type=MEDIA[format],
            headers={"content-disposition": f'attachment; filename="{name}.{format}"'},
        )

    @api.post("", status_code=201)
    async def upload(
        request: Request,
        tenant: CurrentTenant,
        file: Annotated[UploadFile, File()],
        caller: Session = Managers,
    ) -> dict[str, Any]:
        """Check a filled-in spreadsheet (xlsx or csv); nothing is saved but the file's rows."""
        content = await file.read(spreadsheet.MAX_BYTES + 1)
        try:
            parsed = spreadsheet.parse(file.filename or "", content)
        except spreadsheet.SpreadsheetError as error:
            raise ApiError(422, "people_file_refused", reason=error.reason, extra={"field": "file"}) from None
        if not parsed.rows:
            raise ApiError(422, "people_file_empty", extra={"field": "file"})
        results, ctx = await check(request, tenant, caller, parsed.rows)
        doc = {
            "id": uuid.uuid4().hex,
            "created_by": caller.subject,
            "created_at": datetime.now(UTC),
            "filename": (file.filename or "")[:200],
            "sheet": parsed.sheet,
            "hidden_sheets": parsed.hidden_sheets,
            "rows": [
                {"row": r.row, "values": r.values, "formulas": r.formulas, "merged": r.merged}
                for r in parsed.rows
            ],
            # Each row's person id, chosen now: a confirmation repeated saves the same people.
            "person_ids": {str(r.row): uuid.uuid4().hex for r in parsed.rows},
            "confirmed": None,
        }
        await gateway_of(request).stores.tenant(tenant.tenant_id).people_imports.insert(doc)
        return answer(doc, results, ctx)

    @api.get("/{import_id}")
    async def get_import(
        request: Request, import_id: str, tenant: CurrentTenant, caller: Session = Managers
    ) -> dict[str, Any]:
        doc = await _import_or_404(request, tenant, caller, import_id)
        return answer(doc, *await check(request, tenant, caller, _rows_in(doc)))

    @api.post("/{import_id}/confirm")
    async def confirm(
        request: Request,
        import_id: str,
        body: ConfirmIn,
        tenant: CurrentTenant,
        tasks: BackgroundTasks,
        caller: Session = Managers,
    ) -> dict[str, Any]:
        """Save the chosen rows' people, all or none."""
        gateway = gateway_of(request)
        imports = gateway.stores.tenant(tenant.tenant_id).people_imports
        doc = await _import_or_404(request, tenant, caller, import_id)
        if doc.get("confirmed") is not None:
            return dict(doc["confirmed"])
        rows = _rows_in(doc)
        known = {r.row for r in rows}
        unknown = sorted(set(body.rows) - known)
        if unknown or not body.rows:
            raise ApiError(422, "import_rows_unknown", rows=", ".join(map(str, unknown)) or "-")
        holder = await claims.claim(imports, f"{import_id}:confirming", CONFIRM_LEASE)
        if holder is None:
            raise ApiError(409, "import_being_confirmed")
        try:
            person_ids: dict[str, str] = doc["person_ids"]
            own = frozenset(person_ids.values())
            first, _ = await check(request, tenant, caller, rows, own_ids=own)
            suggested = {(r.row, p.column): p.suggestion for r in first for p in r.problems if p.suggestion}
            chosen = {(f.row, f.column) for f in body.apply}
            fixed = import_checks.apply_suggestions(rows, chosen, suggested)  # type: ignore[arg-type]
            results, _ = await check(request, tenant, caller, fixed, own_ids=own)
            wanted = set(body.rows)
            not_ready = [r for r in results if r.row in wanted and r.person is None]
            if not_ready:
                english = language_of(request.headers) == "en"
                listed = "; ".join(
                    f"{r.row}: "
                    + next(
                        (p.message_en if english else p.message for p in r.problems if p.severity == "error"),
                        "",
                    )
                    for r in not_ready[:10]
                )
                raise ApiError(422, "import_rows_not_ready", rows=listed, count=len(not_ready))
            people = [
                {**r.person, "id": person_ids[str(r.row)]}  # type: ignore[dict-item]
                for r in results
                if r.row in wanted
            ]
            try:
                saved, grouped = await save(
                    gateway.people,
                    gateway.groups,
                    tenant.tenant_id,
                    people,
                    by=caller.subject,
                    correlation_id=correlation_of(request),
                )
            except PersonConflict as error:
                raise ApiError(409, error.code, **error.params) from None
            except Exception:
                log.exception("people_import_not_saved", import_id=import_id)
                raise ApiError(503, "import_not_saved") from None
            outcome = {
                "import_id": import_id,
                "created": len(saved),
                "people": [p.person_id for p in saved],
                "groups_created": grouped,
            }
            await imports.update(import_id, {"$set": {"confirmed": outcome}})
        finally:
            await claims.release(imports, f"{import_id}:confirming", holder)
        await gateway.audit.record(
            tenant_id=tenant.tenant_id,
            action=PEOPLE_IMPORTED,
            actor=caller.subject,
            roles=caller.roles,
            target=f"import {import_id}",
            outcome=200,
            ip=client_ip(request),
            correlation_id=correlation_of(request),
            detail={"people": len(saved)},
        )
        if body.send_activation:
            for person in saved:
                tasks.add_task(send_verification, request, tenant, person)
        return outcome

    return api
