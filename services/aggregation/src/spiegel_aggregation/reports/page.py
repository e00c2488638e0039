"""The report as an HTML page (Jinja2, autoescaped: a comment is always text, never markup)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from spiegel_platform.i18n import template_texts

from spiegel_aggregation.reports import charts
from spiegel_aggregation.reports.texts import PACKAGE
from spiegel_aggregation.reports.view import ReportView


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("spiegel_aggregation.reports", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # `{{ _("report.<name>") }}` works too; each render passes its language's texts.
        extensions=["jinja2.ext.i18n"],
    )


def _marker(colour: str, marker: str) -> Markup:
    chart = charts.Chart(12, 12, [charts.Shape("marker", 6, 6, 10, 10, colour, marker=marker)])
    return Markup(charts.to_svg(chart))  # noqa: S704 - built from our own shapes, texts escaped


def render_page(
    body: Mapping[str, Any],
    lang: str = "nl",
    norms: Mapping[str, Any] | None = None,
    *,
    fragment: bool = False,
) -> str:
    """The report as a whole page (its own styles, a language switch), or with `fragment` the
    report alone: no page, styles, scripts or language links, for a page of the web service's own
    (which allows no inline style). Both come from the same template, so they never differ."""
    view = ReportView(body, lang, norms)
    statements = [s for t in body["themes"] for s in t["statements"]] + list(body["global_items"])
    return (
        environment()
        .get_template("report_body.html" if fragment else "report.html")
        .render(
            standalone=not fragment,
            **template_texts(view.lang, (PACKAGE,), html=True),
            v=view,
            b=body,
            themes_svg=Markup(view.svg(view.themes_chart())),  # noqa: S704 - escaped inside
            statement_svgs={s["id"]: Markup(view.svg(view.statement_chart(s))) for s in statements},  # noqa: S704
            distribution_svgs={s["id"]: Markup(view.svg(view.distribution_chart(s))) for s in statements},  # noqa: S704
            self_marker=_marker(charts.SELF_COLOUR, "diamond"),
            group_markers={g.code: _marker(g.colour, g.marker) for g in view.legend},
        )
    )
