"""The periodic check of a group's action plan (issue 20, point 5) in the pages (phone-first).

- `GET /groepsplannen/{plan}/controles` (the group's members): the plan's checks, open and
  answered, newest first.
- `GET /groepsplannen/{plan}/controles/{check}` (the group's members; the link in the check's
  mail): per action its progress (done, on track, delayed, stopped) with a remark, whether the
  plan is still on the group's agenda, new actions (an owner among the members, a due date, how
  success is measured, how it is kept alive). An answered check shows its answer.
- `POST` the same address: the answer, once. A refusal (a second answer, the plan closed
  meanwhile, a field the service refuses) shows the form again with everything typed and the
  service's reason.

The action-plan service decides who reads what: anyone but the group's members gets "not found",
as for a check that does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.core import Page, PageError, page_of, problem_text, quoted
from spiegel_web.group_plans import names

PROGRESS = ("done", "on_track", "delayed", "stopped")
NEW_ROWS = 3  # empty rows for new actions (more: answer, then the plan's own page)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def answer_of(form: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The service's answer body from the form: a progress for each action that has one, new
    actions from the rows with a description (the service refuses what is missing, by field)."""
    progress = []
    for action in actions:
        action_id = str(action.get("action_id") or "")
        chosen = _text(form, f"progress-{action_id}")
        if chosen:
            progress.append(
                {"action_id": action_id, "progress": chosen, "remark": _text(form, f"remark-{action_id}")}
            )
    new_actions = []
    for row in range(NEW_ROWS):
        description = _text(form, f"new-{row}-description")
        if not description:
            continue
        new_actions.append(
            {
                "description": description,
                "owner_person_id": _text(form, f"new-{row}-owner"),
                "due": _text(form, f"new-{row}-due"),
                "measure": _text(form, f"new-{row}-measure"),
                "embedding": _text(form, f"new-{row}-embedding"),
            }
        )
    return {
        "progress": progress,
        "still_on_agenda": _text(form, "still_on_agenda") == "yes",
        "new_actions": new_actions,
        "remark": _text(form, "remark"),
    }


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def member(request: Request) -> Page:
        page = await page_of(request)
        page.require()
        return page

    async def check_of(page: Page, plan_id: str, check_id: str) -> dict[str, Any]:
        upstream = await page.call(
            "action-plan", "GET", f"/group-plans/{quoted(plan_id)}/checks/{quoted(check_id)}"
        )
        if upstream.status_code == 404:
            raise PageError(404, key="plan_check_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        found: dict[str, Any] = upstream.json()
        return found

    async def render(page: Page, check: dict[str, Any], status: int = 200, **extra: Any) -> Response:
        actions = {a["action_id"]: a for a in check["plan"]["actions"]}
        # The members' names (as the plan's own page shows them), ids where the service has none.
        people = names(check["plan"], list(check["plan"]["members"]))
        return page.render(
            "plan_checks/check.html",
            status=status,
            check=check,
            plan=check["plan"],
            actions=actions,
            progress_options=PROGRESS,
            new_rows=range(NEW_ROWS),
            people=people,
            **extra,
        )

    @api.get("/groepsplannen/{plan_id}/controles")
    async def overview(plan_id: str, request: Request) -> Response:
        page = await member(request)
        upstream = await page.call("action-plan", "GET", f"/group-plans/{quoted(plan_id)}/checks")
        if upstream.status_code == 404:
            raise PageError(404, key="plan_check_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return page.render("plan_checks/list.html", plan_id=plan_id, checks=upstream.json())

    @api.get("/groepsplannen/{plan_id}/controles/{check_id}")
    async def read(plan_id: str, check_id: str, request: Request) -> Response:
        page = await member(request)
        check = await check_of(page, plan_id, check_id)
        return await render(page, check, message=request.query_params.get("bericht"), typed={})

    @api.post("/groepsplannen/{plan_id}/controles/{check_id}")
    async def answer(plan_id: str, check_id: str, request: Request) -> Response:
        page = await member(request)
        form = await page.form()
        check = await check_of(page, plan_id, check_id)
        body = answer_of(form, check["plan"]["actions"])
        upstream = await page.call(
            "action-plan",
            "POST",
            f"/group-plans/{quoted(plan_id)}/checks/{quoted(check_id)}/answer",
            json_body=body,
        )
        if upstream.is_success:
            return page.redirect(
                f"/groepsplannen/{quoted(plan_id)}/controles/{quoted(check_id)}", bericht="answered"
            )
        if upstream.status_code not in (409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        # Refused: the form again with everything typed, and the reason.
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return await render(
            page, check, upstream.status_code, errors=[problem_text(upstream, page.lang)], typed=typed
        )

    return api
