"""Importing people from a spreadsheet: the template, the upload (every row checked, nothing saved),
the confirmation (the clean rows, the rows with warnings that are ticked, the fixes that are
ticked; all saved or none).

The gateway owns people and checks the file (`/people/imports`); this page shows its answer per
row and column and sends the choices back in one call. A confirmation that is refused (a row
still has an error, an address was taken meanwhile) shows the check again with the reason and
with the ticks as they were.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from spiegel_web.core import COORDINATING, Page, PageError, form_number, page_of, problem_text, quoted
from spiegel_web.imports import MAX_UPLOAD, multipart

COLUMNS = ("name", "email", "role", "specialism", "group", "employment", "big_number")
TEMPLATES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def _list(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def shown_rows(page: Page, result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "shown_problems": [
                {
                    **p,
                    "text": (p.get("message_en") if page.lang == "en" else p.get("message"))
                    or p.get("message", ""),
                }
                for p in row.get("problems") or []
            ],
        }
        for row in result.get("rows", [])
    ]


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def manager(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    def preview(
        page: Page,
        result: dict[str, Any],
        status: int = 200,
        problems: list[str] | None = None,
        **ticked: Any,
    ) -> Response:
        return page.render(
            "people/import_preview.html",
            status=status,
            result=result,
            rows=shown_rows(page, result),
            columns=COLUMNS,
            problems=problems or [],
            ticked_rows=set(ticked.get("rows", ())),
            ticked_fixes=set(ticked.get("fixes", ())),
            apply_all=ticked.get("apply_all", False),
            send_activation=ticked.get("send_activation", True),
        )

    @api.get("/mensen/importeren")
    async def start(request: Request) -> Response:
        page = await manager(request)
        return page.render("people/import.html")

    @api.get("/mensen/sjabloon.{kind}")
    async def template(kind: str, request: Request) -> Response:
        page = await manager(request)
        if kind not in TEMPLATES:
            raise PageError(404)
        language = "en" if request.query_params.get("taal") == "en" else "nl"
        upstream = await page.call(
            "gateway",
            "GET",
            "/people/imports/template",
            query={"language": language, "format": kind},
            headers={"accept": "*/*"},
        )
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        name = "mensen" if language == "nl" else "people"
        return Response(
            upstream.content,
            media_type=TEMPLATES[kind],
            headers={
                "content-disposition": f'attachment; filename="{name}.{kind}"',
                "cache-control": "no-store",
            },
        )

    @api.post("/mensen/importeren")
    async def upload(request: Request) -> Response:
        page = await manager(request)
        form = await page.form()
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return page.render("people/import.html", status=422, problems=[page.t("error_no_file")])
        content = await file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            return page.render("people/import.html", status=413, problems=[page.t("error_file_size")])
        body, content_type = multipart(file.filename, content, "application/octet-stream")
        upstream = await page.call(
            "gateway", "POST", "/people/imports", content=body, headers={"content-type": content_type}
        )
        if upstream.status_code == 422:
            return page.render("people/import.html", status=422, problems=[problem_text(upstream, page.lang)])
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return preview(page, json.loads(upstream.content))

    @api.get("/mensen/importeren/{import_id}")
    async def show(import_id: str, request: Request) -> Response:
        page = await manager(request)
        result = await page.data("gateway", "GET", f"/people/imports/{quoted(import_id)}")
        if result.get("confirmed"):
            return page.render("people/import_done.html", outcome=result["confirmed"])
        return preview(page, result)

    @api.post("/mensen/importeren/{import_id}/bevestigen")
    async def confirm(import_id: str, request: Request) -> Response:
        page = await manager(request)
        form = await page.form()
        result = await page.data("gateway", "GET", f"/people/imports/{quoted(import_id)}")
        if result.get("confirmed"):
            return page.render("people/import_done.html", outcome=result["confirmed"])
        rows = {r["row"]: r for r in result.get("rows", [])}
        ticked_rows = {n for n in map(form_number, _list(form, "include_rows")) if n in rows}
        apply_all = form.get("apply_all") == "1"
        fixes: set[tuple[int, str]] = set()
        if apply_all:
            fixes = {
                (r["row"], p["column"]) for r in rows.values() for p in r["problems"] if p.get("suggestion")
            }
        for value in _list(form, "apply"):
            row, _, column = value.partition(":")
            number = form_number(row)
            if number is not None and number in rows and column in COLUMNS:
                fixes.add((number, column))
        chosen = {n for n, r in rows.items() if r["status"] == "ok"} | ticked_rows | {row for row, _ in fixes}
        send_activation = form.get("send_activation") == "1"
        ticks = {"rows": ticked_rows, "fixes": {f"{r}:{c}" for r, c in fixes}, "apply_all": apply_all}
        if not chosen:
            return preview(
                page,
                result,
                422,
                [page.t("people_import_none_chosen")],
                send_activation=send_activation,
                **ticks,
            )
        upstream = await page.call(
            "gateway",
            "POST",
            f"/people/imports/{quoted(import_id)}/confirm",
            json_body={
                "rows": sorted(chosen),
                "apply": [{"row": r, "column": c} for r, c in sorted(fixes)],
                "send_activation": send_activation,
            },
        )
        if upstream.status_code in (409, 422):
            fresh = await page.data("gateway", "GET", f"/people/imports/{quoted(import_id)}")
            return preview(
                page,
                fresh,
                upstream.status_code,
                [problem_text(upstream, page.lang)],
                send_activation=send_activation,
                **ticks,
            )
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return page.render("people/import_done.html", outcome=json.loads(upstream.content))

    return api
