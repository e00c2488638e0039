"""The report as a print-ready A4 PDF (reportlab), with the same charts as the page.

Every text from a person (comments, names, titles) is escaped before it goes
into a Paragraph: reportlab's paragraphs read a small markup language, so a
comment containing `<b>` or `<script>` must arrive as text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from spiegel_aggregation.reports import charts
from spiegel_aggregation.reports.view import ReportView

INK = colors.HexColor("#1e293b")
MUTED = colors.HexColor("#64748b")
LINE = colors.HexColor("#e2e8f0")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName="Helvetica", fontSize=9, leading=12, textColor=INK
    )
    return {
        "title": ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=13,
            leading=16,
            spaceBefore=10,
            spaceAfter=6,
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontName="Helvetica-Bold", fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED),
        "comment": ParagraphStyle(
            "comment",
            parent=body,
            backColor=colors.HexColor("#f1f5f9"),
            borderPadding=4,
            spaceBefore=3,
            spaceAfter=5,
            leftIndent=4,
            rightIndent=4,
        ),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def render_pdf(body: Mapping[str, Any], lang: str = "nl", norms: Mapping[str, Any] | None = None) -> bytes:
    view = ReportView(body, lang, norms)
    t = view.t
    s = _styles()
    out = io.BytesIO()
    title = f"{t['report']} – {body['title']}"

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 10 * mm, f"{body['title']} · {t['version']} {body['version']}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{t['page']} {doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Spiegel",
        lang=view.lang,
    )
    width = A4[0] - 36 * mm
    story: list[Any] = [
        _p(body["title"], s["title"]),
        _p(f"{view.kind_label} · {body['subject'].get('name') or body['subject']['id']}", s["body"]),
        _p(f"{t['version']} {body['version']} · {t['published']} {body['published_at'][:10]}", s["small"]),
        Spacer(1, 6),
    ]
    if body.get("reason"):
        story += [_p(t["reason"], s["h3"]), _p(body["reason"], s["body"])]
    if not body["instrument"]["known"]:
        story.append(_p(t["instrument_unknown"], s["small"]))

    # Summary: the themes chart, then highlights.
    story += [_p(t["summary"], s["h2"]), charts.to_drawing(view.themes_chart())]
    cards = []
    for key in ("strengths", "development", "blind_spots", "hidden_strengths"):
        items = body["highlights"][key][:5]
        lines = [_p(t[key], s["h3"])]
        if not items:
            lines.append(_p(t["none"], s["small"]))
        for item in items:
            extra = f" ({view.signed(item['gap'])})" if key in ("blind_spots", "hidden_strengths") else ""
            lines.append(_p(f"• {view.label(item['text'])}  {view.num(item['others'])}{extra}", s["body"]))
        cards.append(lines)
    grid = Table([[cards[0], cards[1]], [cards[2], cards[3]]], colWidths=[width / 2] * 2)
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.5, LINE),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, LINE),
            ]
        )
    )
    story += [grid, Spacer(1, 4), _p(view.rule_text, s["small"])]

    if body.get("group_monitor"):
        gm = body["group_monitor"]
        outside = [g for g in view.legend if g.code != gm["self_group"]]
        rows = [
            [_p(t["theme"], s["small"]), _p(view.self_label, s["small"])]
            + [_p(g.label, s["small"]) for g in outside]
        ]
        for theme in gm["themes"]:
            rows.append(
                [_p(view.label(theme["label"]), s["body"]), view.num(theme["self"])]
                + [view.num(theme["groups"].get(g.code)) for g in outside]
            )
        table = Table(rows, repeatRows=1)
        table.setStyle(
            TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE), ("FONTSIZE", (0, 0), (-1, -1), 8.5)])
        )
        story += [_p(t["gm_title"], s["h2"]), table]

    # Legend once, then a table per theme.
    legend = charts.to_drawing(
        charts.legend_chart(
            [(view.self_label, charts.SELF_COLOUR, "diamond"), (t["others"], charts.OTHERS_COLOUR, "bar")]
            + [(g.label, g.colour, g.marker) for g in view.legend],
            width=width,
        )
    )
    for theme in body["themes"]:
        head = (
            f"{view.label(theme['label'])}   {view.self_label} {view.num(theme['self'])} · "
            f"{t['others']} {view.num((theme['others'] or {}).get('mean'))}"
        )
        rows = [
            [
                _p(t["statement"], s["small"]),
                _p(view.self_label, s["small"]),
                _p(t["others"], s["small"]),
                "",
                _p(t["distribution"], s["small"]),
            ]
        ]
        for statement in theme["statements"]:
            groups = " · ".join(f"{g.label}: {view.cell_text(statement, g.code)}" for g in view.legend)
            others = statement.get("others")
            rows.append(
                [
                    [_p(view.label(statement["text"]), s["body"]), _p(groups, s["small"])]
                    + (
                        [_p("* " + view.carried_note(statement), s["small"])]
                        if view.carried_note(statement)
                        else []
                    ),
                    view.num(statement["self"]),
                    _p(f"{view.num(others['mean'])}\nn={others['n']}" if others else "–", s["body"]),
                    charts.to_drawing(view.statement_chart(statement, width=150)),
                    charts.to_drawing(view.distribution_chart(statement, width=80)),
                ]
            )
        table = Table(rows, colWidths=[width - 326, 40, 44, 156, 86], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                    ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ]
            )
        )
        story += [KeepTogether([_p(head, s["h2"]), legend, table])]
        for statement in theme["statements"]:
            for code, texts in (statement.get("explanations") or {}).items():
                story.append(
                    _p(
                        f"{t['explanations']}: {view.label(statement['text'])} ({view.group_label(code)})",
                        s["h3"],
                    )
                )
                story += [_p(text, s["comment"]) for text in texts]

    if body["global_items"]:
        story.append(_p(t["global_items"], s["h2"]))
        rows = [
            [
                _p(view.label(i["text"]), s["body"]),
                f"{view.self_label} {view.num(i['self'])}",
                f"{t['others']} {view.num((i.get('others') or {}).get('mean'))}",
                charts.to_drawing(view.statement_chart(i, width=150)),
            ]
            for i in body["global_items"]
        ]
        story.append(Table(rows, colWidths=[width * 0.4, 70, 90, 156]))

    story += [_p(t["comments"], s["h2"]), _p(t["comments_note"], s["small"])]
    for section in view.comment_sections():
        story.append(_p(section["question"], s["h3"]))
        if section["self"]:
            story.append(_p(t["own_comment"], s["small"]))
            story += [_p(text, s["comment"]) for text in section["self"]]
        for label, texts in section["groups"]:
            story.append(_p(label, s["small"]))
            story += [_p(text, s["comment"]) for text in texts]

    story.append(_p(t["norms"], s["h2"]))
    norm_rows = view.norm_rows()
    if norm_rows:
        rows = [
            [
                _p(h, s["small"])
                for h in (
                    t["statement"],
                    t["others"],
                    t["norms_tenant"],
                    t["percentile"],
                    t["norms_cross"],
                    t["percentile"],
                )
            ]
        ]
        rows += [
            [_p(r["text"], s["body"]), r["own"], r["tenant"], r["tenant_pct"], r["cross"], r["cross_pct"]]
            for r in norm_rows
        ]
        table = Table(rows, colWidths=[width * 0.4] + [width * 0.12] * 5, repeatRows=1)
        table.setStyle(
            TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE), ("FONTSIZE", (0, 0), (-1, -1), 8.5)])
        )
        story.append(table)
    story.append(_p(view.norm_note(), s["small"]))

    rows = [[_p(t["group"], s["small"]), _p(t["invited"], s["small"]), _p(t["completed"], s["small"])]]
    rows += [
        [_p(r["label"], s["body"]), r["invited"], _p(r["completed"], s["body"])] for r in view.response_rows
    ]
    table = Table(rows, colWidths=[width * 0.5, width * 0.2, width * 0.3])
    table.setStyle(
        TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE), ("FONTSIZE", (0, 0), (-1, -1), 8.5)])
    )
    story += [
        KeepTogether([_p(t["response"], s["h2"]), table]),
        _p(t["anonymity"], s["h3"]),
        _p(view.anonymity_text, s["small"]),
    ]

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
