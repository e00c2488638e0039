"""The facilitator's preparation as a page: per person the highlights, per respondent group the contrasts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from spiegel_platform.i18n import template_texts

from spiegel_aggregation.reports.page import environment
from spiegel_aggregation.reports.texts import PACKAGE, number, signed, texts

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def when(starts_at: str | None, ends_at: str | None) -> str:
    """The session's day and hours in Amsterdam ("14-12-2026 13:00–15:30"), or nothing."""
    if not starts_at:
        return ""
    start = datetime.fromisoformat(starts_at).astimezone(AMSTERDAM)
    text = start.strftime("%d-%m-%Y %H:%M")
    if ends_at:
        text += "–" + datetime.fromisoformat(ends_at).astimezone(AMSTERDAM).strftime("%H:%M")
    return text


def render_preparation(prepared: Mapping[str, Any], lang: str = "nl", *, fragment: bool = False) -> str:
    """The whole page, or with `fragment` the preparation alone (see reports.page.render_page)."""
    lang = lang if lang in ("nl", "en") else "nl"

    def label(value: Mapping[str, str] | None) -> str:
        return (value or {}).get(lang) or (value or {}).get("nl") or ""

    return (
        environment()
        .get_template("preparation_body.html" if fragment else "preparation.html")
        .render(
            **template_texts(lang, (PACKAGE,), html=True),
            p=prepared,
            when=when(prepared["session"].get("starts_at"), prepared["session"].get("ends_at")),
            t=texts(lang),
            lang=lang,
            label=label,
            num=lambda v: number(v, lang),
            signed=lambda v: signed(v, lang),
        )
    )
