"""The medical staff board's page (issue 20, point 6): the groups' action plans' progress.

`GET /bestuur/groepsplannen` (role board), and `.pdf` (the yearly overview to download): per group
its plan's actions with their status, the plan's status and the last check (when, still on the
agenda, how many actions done, on track, delayed, stopped), as the action-plan service answers it
(`/board/group-plans`). Where the hospital has not made the group plans part of its quality policy
(its setting, off by default), the page says so. Never reports, scores, comments or POPs: the
service's answer holds none.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from spiegel_platform.auth import roles

from spiegel_web.core import PageError, page_of, problem_text


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/bestuur/groepsplannen")
    async def progress(request: Request) -> Response:
        page = await page_of(request)
        page.require(roles.BOARD)
        upstream = await page.call("action-plan", "GET", "/board/group-plans")
        if upstream.status_code == 404:
            return page.render("board_progress.html", plans=None)
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        found = upstream.json()
        return page.render("board_progress.html", plans=found["plans"], year=found["year"])

    @api.get("/bestuur/groepsplannen.pdf")
    async def progress_pdf(request: Request) -> Response:
        page = await page_of(request)
        page.require(roles.BOARD)
        upstream = await page.call("action-plan", "GET", "/board/group-plans.pdf")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return Response(
            upstream.content,
            media_type="application/pdf",
            headers={
                "content-disposition": upstream.headers.get("content-disposition", "attachment"),
                "cache-control": "no-store",
            },
        )

    return api
