"""Nominations over HTTP: list, add, withdraw, the spreadsheet template, the two-step import."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool
from spiegel_platform.errors import ApiError
from spiegel_platform.i18n import language_of
from spiegel_platform.storage import claims

from spiegel_invitation.access import Coordinator, Staff, require_round_access
from spiegel_invitation.nominations import spreadsheet
from spiegel_invitation.nominations.service import (
    RoundCache,
    apply_choices,
    context_for,
    counts_per_group,
    preview,
    save_nominations,
    suggestions_of,
    withdraw,
)
from spiegel_invitation.nominations.validation import (
    ERROR,
    RowIn,
    group_warnings,
    validate_rows,
)
from spiegel_invitation.rounds.views import active_entries, round_view
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

MAX_UPLOAD = 10 * 1024 * 1024
IMPORT_TTL = timedelta(days=2)
# A confirmation's claim on its import lapses after this long: a process that crashed halfway
# (nothing could release it) does not keep the import locked until it expires. A confirm of
# 5,000 rows takes about a second.
CONFIRM_LEASE = timedelta(minutes=2)


class NomineeIn(BaseModel):
    group: str = Field(..., min_length=1, max_length=100)
    name: str = Field(..., max_length=200)
    email: str = Field(..., max_length=320)
    language: str = Field("", max_length=20)
    accept_warnings: StrictBool = Field(
        False, description="save despite warnings (suggestions are not applied)"
    )


class Suggestion(BaseModel):
    row: int = Field(..., ge=1)
    column: str = Field(..., pattern=r"^(name|email|group|language)$")


class ConfirmIn(BaseModel):
    include_rows: list[int] | None = Field(
        None, description="rows to save (errors never are); default: every row without any problem"
    )
    apply_suggestions: list[Suggestion] = Field(default_factory=list)


def attachment(filename: str) -> str:
    """A Content-Disposition for any file name (RFC 6266): an ASCII fallback, and the name in UTF-8."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def jsonable(value: Any) -> Any:
    """Dates to ISO text; the rest is JSON already (rows are plain dicts of text)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def router(runtime: InvitationRuntime) -> APIRouter:
    api = APIRouter(prefix="/rounds/{round_id}", tags=["nominations"])
    wiring = Invitation.of(runtime)
    stores, tokens = wiring.stores, wiring.link_tokens

    def store_of(principal: Any) -> Store:
        return stores.tenant(principal.tenant_id)

    async def checked_view(store: Store, principal: Any, round_id: str) -> dict[str, Any]:
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        if view["status"] == "closed":
            raise ApiError(409, "round_closed")
        return view

    @api.get("/nominations")
    async def list_nominations(round_id: str, principal: Staff) -> dict[str, Any]:
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        entries = [
            {"assignment_id": aid, **{k: e.get(k) for k in ("group", "name", "email", "language", "status")}}
            for aid, e in view["entries"].items()
        ]
        return {
            "round_id": round_id,
            "nominations": entries,
            "group_warnings": group_warnings(counts_per_group(view), view["groups"]),
        }

    @api.post("/nominations", status_code=201)
    async def add_nomination(
        round_id: str, body: NomineeIn, principal: Staff, request: Request
    ) -> dict[str, Any]:
        store = store_of(principal)
        view = await checked_view(store, principal, round_id)
        row = RowIn(row=1, group=body.group, name=body.name, email=body.email, language=body.language)
        cache = RoundCache(store)
        results = validate_rows([row], await context_for(store, view, [body.email], cache))
        result = results[0]

        def refuse() -> ApiError:
            english = language_of(request.headers) == "en"
            return ApiError(
                422,
                "nomination_refused",
                extra={"problems": [p.__dict__ for p in result.problems]},
                problems="; ".join(p.message_en if english else p.message for p in result.problems),
            )

        if result.status == ERROR or (result.problems and not body.accept_warnings):
            raise refuse()
        saved, _ = await save_nominations(
            store,
            tokens,
            round_id,
            results,
            actor=principal.subject,
            source="manual",
            groups=view["groups"],
            correlation_id=request.state.correlation_id,
        )
        if not saved:  # nominated by a request at the same time
            raise refuse()
        view = await round_view(store, round_id) or view
        return {
            "assignment_id": saved[0]["id"],
            "warnings": [p.__dict__ for p in result.problems],
            "group_warnings": group_warnings(counts_per_group(view), view["groups"]),
        }

    @api.delete("/nominations/{assignment_id}")
    async def withdraw_nomination(
        round_id: str, assignment_id: str, principal: Staff, request: Request
    ) -> dict[str, Any]:
        store = store_of(principal)
        await checked_view(store, principal, round_id)
        outcome = await withdraw(store, round_id, assignment_id, correlation_id=request.state.correlation_id)
        if outcome == "unknown":
            raise ApiError(404, "nomination_not_found", assignment_id=assignment_id)
        if outcome == "completed":
            raise ApiError(409, "nomination_completed")
        return {"assignment_id": assignment_id, "status": outcome}

    @api.get("/nominations/template.xlsx")
    async def download_template(round_id: str, principal: Staff) -> Response:
        store = store_of(principal)
        view = require_round_access(principal, await round_view(store, round_id), round_id)
        content = spreadsheet.template(view)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": attachment(f"nominaties-{round_id}.xlsx")},
        )

    @api.post("/imports", status_code=201)
    async def upload(round_id: str, principal: Coordinator, file: UploadFile = File(...)) -> JSONResponse:  # noqa: B008
        store = store_of(principal)
        view = await checked_view(store, principal, round_id)
        content = await file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            raise ApiError(413, "file_too_large")
        try:
            parsed = spreadsheet.parse(file.filename or "", content)
        except spreadsheet.SpreadsheetError as error:
            raise ApiError(422, "file_unreadable", extra={"field": "file"}, problem=error.reason) from None
        if parsed.round_id and parsed.round_id != spreadsheet.cell_text(round_id):
            # A template made for another round: every row belongs elsewhere.
            for row in parsed.rows:
                row.round = row.round or parsed.round_id
        cache = RoundCache(store)
        ctx = await context_for(store, view, [r.email for r in parsed.rows], cache)
        results = validate_rows(parsed.rows, ctx)
        import_id = uuid.uuid4().hex
        body = preview(view, results)
        now = datetime.now(UTC)
        # Stored compactly: the rows as read, which were clean, and the fixes offered.
        await store.imports.insert(
            {
                "id": import_id,
                "round_id": round_id,
                "filename": file.filename,
                "created_by": principal.subject,
                "created_at": now,
                "expires_at": now + IMPORT_TTL,
                # (FerretDB v1 stores no nested arrays: rows are small documents.)
                "source_rows": [
                    {"r": r.row, "g": r.group, "n": r.name, "e": r.email, "l": r.language, "o": r.round}
                    for r in parsed.rows
                ],
                "ok_rows": [r.row for r in results if r.status == "ok"],
                "suggestions": suggestions_of(results),
                "summary": body["summary"],
                "group_warnings": body["group_warnings"],
            }
        )
        # A plain JSONResponse: FastAPI's encoder is slow on thousands of rows.
        return JSONResponse(
            status_code=201,
            content=jsonable(
                {"import_id": import_id, "round_id": round_id, "template_round_id": parsed.round_id, **body}
            ),
        )

    @api.get("/imports/{import_id}")
    async def get_import(round_id: str, import_id: str, principal: Coordinator) -> dict[str, Any]:
        doc = await store_of(principal).imports.get(import_id)
        if doc is None or doc.get("round_id") != round_id:  # (a claim has none)
            raise ApiError(404, "import_not_found")
        return {k: doc.get(k) for k in ("id", "round_id", "summary", "group_warnings", "confirmed")}

    @api.post("/imports/{import_id}/confirm")
    async def confirm(
        round_id: str, import_id: str, body: ConfirmIn, principal: Coordinator, request: Request
    ) -> dict[str, Any]:
        store = store_of(principal)
        doc = await store.imports.get(import_id)
        if doc is None or doc.get("round_id") != round_id:  # (a claim has none)
            raise ApiError(404, "import_not_found")
        if doc.get("confirmed"):
            return dict(doc["confirmed"])  # a repeated confirm saves nothing twice
        if doc["expires_at"] < datetime.now(UTC):
            raise ApiError(410, "import_expired")
        view = await checked_view(store, principal, round_id)
        rows = [RowIn(v["r"], v["g"], v["n"], v["e"], v["l"], v["o"]) for v in doc["source_rows"]]
        known_rows = {r.row for r in rows}
        unknown = [s.row for s in body.apply_suggestions if s.row not in known_rows]
        unknown += [r for r in body.include_rows or [] if r not in known_rows]
        if unknown:  # refused before the lock below: a corrected confirm may follow at once
            raise ApiError(422, "import_rows_unknown", rows=str(sorted(set(unknown))))
        # One confirmation per import, even when the button is pressed twice at once.
        lock = f"{import_id}:confirming"
        holder = await claims.claim(store.imports, lock, CONFIRM_LEASE)
        if holder is None:
            raise ApiError(409, "import_being_confirmed")
        try:
            rows = apply_choices(
                rows, doc["suggestions"], [(s.row, s.column) for s in body.apply_suggestions]
            )
            # Check again against the round as it is now (others may have nominated meanwhile).
            cache = RoundCache(store)
            results = validate_rows(rows, await context_for(store, view, [r.email for r in rows], cache))
            chosen = set(doc["ok_rows"]) if body.include_rows is None else set(body.include_rows)
            to_save = [r for r in results if r.row in chosen and r.status != ERROR]
            refused: list[dict[str, Any]] = [
                {"row": r.row, "problems": [p.__dict__ for p in r.problems]}
                for r in results
                if r.row in chosen and r.status == ERROR
            ]
            saved, taken = await save_nominations(
                store,
                tokens,
                round_id,
                to_save,
                actor=principal.subject,
                source=f"import:{import_id}",
                groups=view["groups"],
                correlation_id=request.state.correlation_id,
            )
            if taken:  # nominated meanwhile by a request at the same time
                refused += [{"row": r.row, "problems": [p.__dict__ for p in r.problems]} for r in taken]
                refused.sort(key=lambda r: r["row"])
                to_save = [r for r in to_save if r.row not in {t.row for t in taken}]
            view = await round_view(store, round_id) or view
            outcome = {
                "import_id": import_id,
                "saved": len(saved),
                "saved_rows": [r.row for r in to_save],
                "refused": refused,
                "not_chosen": sorted(known_rows - chosen),
                "nominations": len(active_entries(view)),
                "group_warnings": group_warnings(counts_per_group(view), view["groups"]),
            }
            await store.imports.update(import_id, {"$set": {"confirmed": outcome}})
        except BaseException:
            # Saved nominations stay (each claimed its address once); a new confirm may follow.
            with contextlib.suppress(Exception):  # else the claim lapses (CONFIRM_LEASE)
                await claims.release(store.imports, lock, holder)
            raise
        return outcome

    return api
