"""The hospital's settings: name, languages and anonymity threshold (tenant admins, the gateway's own
settings), reminder schedule and rater-fatigue limit (coordinators, the invitation service's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_platform.anonymity import MIN_GROUP_SIZE

from spiegel_web.core import COORDINATING, HOSPITAL_FIELDS, MAX_LENGTH, Page, page_of, problem_text, too_long

# The gateway's limit of the least time between two activation mails to one person (a week).
ACTIVATION_INTERVAL_MOST = 7 * 24 * 60


def _int(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def show(page: Page, status: int = 200, **extra: Any) -> Response:
        try:
            reminders = await page.data("invitation", "GET", "/settings")
        except Exception:
            reminders = None
        return page.render(
            "settings.html", status=status, reminders=reminders, min_size=MIN_GROUP_SIZE, **extra
        )

    @api.get("/instellingen")
    async def settings(request: Request) -> Response:
        page = await page_of(request)
        page.require(*COORDINATING)
        return await show(page, saved=request.query_params.get("opgeslagen"))

    @api.post("/instellingen/ziekenhuis")
    async def hospital(request: Request) -> Response:
        page = await page_of(request)
        page.require("tenant_admin")
        form = await page.form()
        errors = []
        threshold = _int(form.get("min_group_size"), MIN_GROUP_SIZE, 50)
        if threshold is None:
            errors.append(page.t("error_threshold", min=MIN_GROUP_SIZE))
        # Absent (a form of before this field): the stored value stays.
        posted_interval = form.get("activation_mail_interval_minutes")
        activation_interval = _int(posted_interval, 0, ACTIVATION_INTERVAL_MOST)
        if posted_interval is not None and activation_interval is None:
            errors.append(page.t("error_activation_interval", most=ACTIVATION_INTERVAL_MOST))
        languages = [lang for lang in ("nl", "en") if form.get(f"lang_{lang}") == "1"]
        if not languages:
            errors.append(page.t("error_languages"))
        errors += too_long(page, form, HOSPITAL_FIELDS)
        name = str(form.get("name") or "").strip()[: MAX_LENGTH["hospital_name"]]
        if not name:
            errors.append(page.t("error_name"))
        if errors:
            return await show(page, 422, hospital_errors=errors, hospital_form=form)
        # The hospital is the gateway's: its API checks, stores and audits the change.
        changed = await page.call(
            "gateway",
            "PATCH",
            "/tenant",
            json_body={
                "name": name,
                "languages": languages,
                "min_group_size": threshold,
                **(
                    {"activation_mail_interval_minutes": activation_interval}
                    if activation_interval is not None
                    else {}
                ),
            },
        )
        if not changed.is_success:
            return await show(
                page, 422, hospital_errors=[problem_text(changed, page.lang)], hospital_form=form
            )
        return page.redirect("/instellingen", opgeslagen="ziekenhuis")

    @api.post("/instellingen/herinneringen")
    async def reminders(request: Request) -> Response:
        page = await page_of(request)
        page.require(*COORDINATING)
        form = await page.form()
        count = _int(form.get("max_reminders"), 0, 10)
        interval = _int(form.get("interval_days"), 1, 60)
        quiet = _int(form.get("quiet_days"), 0, 30)
        fatigue = _int(form.get("fatigue_limit"), 1, 100)
        min_interval = _int(form.get("min_interval_hours"), 0, 720)
        if None in (count, interval, quiet, fatigue, min_interval):
            return await show(
                page, 422, reminder_errors=[page.t("error_reminder_numbers")], reminder_form=form
            )
        await page.data(
            "invitation",
            "PUT",
            "/settings",
            json_body={
                "reminders": {
                    "max_reminders": count,
                    "interval_days": interval,
                    "quiet_days": quiet,
                    "min_interval_hours": min_interval,
                },
                "fatigue_limit": fatigue,
            },
        )
        return page.redirect("/instellingen", opgeslagen="herinneringen")

    return api
