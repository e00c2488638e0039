"""Importing nominations from the spreadsheet: upload, see every row's problems, then confirm.

Step 1 sends the file to the invitation service, which checks every row and
saves nothing; the page lists the rows with their problems (and suggested fixes)
per column. Step 2 confirms: the clean rows, plus the rows with only warnings
the coordinator ticks, applying only the suggestions ticked.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from spiegel_web.core import (
    COORDINATING,
    Page,
    PageError,
    form_number,
    page_of,
    problem_text,
    quoted,
)
from spiegel_web.preparing import RoundPreparing, from_invitation, preparing_page

MAX_UPLOAD = 10 * 1024 * 1024
ALLOWED = (".xlsx", ".csv")


def multipart(filename: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "spiegel-" + secrets.token_hex(16)
    safe_name = "".join(c for c in filename if c.isalnum() or c in "._- ")[:100] or "upload"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def problems_of(page: Page, row: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "column": p.get("column"),
            "severity": p.get("severity"),
            "text": (p.get("message_en") if page.lang == "en" else p.get("message")) or p.get("message", ""),
            "suggestion": p.get("suggestion"),
        }
        for p in row.get("problems") or []
    ]


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def coordinator(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    @api.post("/rondes/{round_id}/import")
    async def upload(round_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            raise PageError(422, page.t("error_no_file"))
        if not file.filename.lower().endswith(ALLOWED):
            raise PageError(422, page.t("error_file_type"))
        content = await file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            raise PageError(413, page.t("error_file_size"))
        body, content_type = multipart(
            file.filename, content, file.content_type or "application/octet-stream"
        )

        async def check_file() -> Any:
            return await page.call(
                "invitation",
                "POST",
                f"/rounds/{quoted(round_id)}/imports",
                content=body,
                headers={"content-type": content_type},
            )

        upstream = await check_file()
        if upstream.status_code == 404:
            try:
                await from_invitation(page, round_id)  # a round just created: waited for briefly
            except RoundPreparing:
                return preparing_page(page, round_id)
            upstream = await check_file()
        if not upstream.is_success:
            raise PageError(
                upstream.status_code, problem_text(upstream, page.lang) or page.t("error_file_read")
            )
        result = json.loads(upstream.content)
        try:
            view = await page.data("invitation", "GET", f"/rounds/{quoted(round_id)}")
            groups = {g["code"]: page.label(g) for g in view.get("groups") or []}
        except PageError:
            groups = {}
        rows = [{**row, "shown_problems": problems_of(page, row)} for row in result.get("rows", [])]
        return page.render(
            "rounds/import_preview.html",
            round_id=round_id,
            result=result,
            rows=rows,
            warnings=[
                (w.get("message_en") if page.lang == "en" else w.get("message")) or ""
                for w in result.get("group_warnings", [])
            ],
            filename=file.filename,
            groups=groups,
        )

    @api.post("/rondes/{round_id}/import/{import_id}/bevestigen")
    async def confirm(round_id: str, import_id: str, request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        ok_rows = [n for n in map(form_number, _list(form, "ok_rows")) if n is not None]
        extra_rows = [n for n in map(form_number, _list(form, "include_rows")) if n is not None]
        suggestions = []
        for value in _list(form, "apply"):
            row, _, column = value.partition(":")
            number = form_number(row)
            if number is not None and column in ("name", "email", "group", "language"):
                suggestions.append({"row": number, "column": column})
        body: dict[str, Any] = {"apply_suggestions": suggestions}
        if extra_rows or suggestions:
            body["include_rows"] = sorted(set(ok_rows + extra_rows + [s["row"] for s in suggestions]))
        outcome = await page.data(
            "invitation",
            "POST",
            f"/rounds/{quoted(round_id)}/imports/{quoted(import_id)}/confirm",
            json_body=body,
        )
        return page.render(
            "rounds/import_done.html",
            round_id=round_id,
            outcome=outcome,
            refused=[{"row": r["row"], "problems": problems_of(page, r)} for r in outcome.get("refused", [])],
            warnings=[
                (w.get("message_en") if page.lang == "en" else w.get("message")) or ""
                for w in outcome.get("group_warnings", [])
            ],
        )

    return api


def _list(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]
