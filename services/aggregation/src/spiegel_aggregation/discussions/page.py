"""The facilitator's preparation as a page: per person the highlights, per respondent group the contrasts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spiegel_platform.i18n import template_texts

from spiegel_aggregation.reports.page import environment
from spiegel_aggregation.reports.texts import PACKAGE, number, signed, texts


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
            t=texts(lang),
            lang=lang,
            label=label,
            num=lambda v: number(v, lang),
            signed=lambda v: signed(v, lang),
        )
    )
