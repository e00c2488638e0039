"""The POP as an A4 PDF for the owner's own portfolio (reportlab, as the reports).

Every text the owner wrote is escaped before it goes into a Paragraph: reportlab's paragraphs
read a small markup language, so a goal holding `<b>` or `<script>` must arrive as text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from spiegel_action_plan.pops.model import Content, Goal

INK = colors.HexColor("#1e293b")
MUTED = colors.HexColor("#64748b")


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def render(content: Content, *, title: str, state: str, gettext: Callable[..., str]) -> bytes:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=13, textColor=INK
    )
    h1 = ParagraphStyle("h1", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22, spaceAfter=6)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=16, spaceBefore=10, spaceAfter=4
    )
    label = ParagraphStyle("label", parent=body, fontName="Helvetica-Bold", fontSize=9, textColor=MUTED)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=MUTED)
    story = [
        Paragraph(_text(gettext("pop.pdf.title")), h1),
        Paragraph(_text(title), body),
        Paragraph(_text(gettext(f"pop.state.{state}")), small),
        Spacer(1, 4 * mm),
        Paragraph(_text(gettext("pop.keep_and_extend")), h2),
        Paragraph(_text(content.keep_and_extend) or "-", body),
        Paragraph(_text(gettext("pop.goals")), h2),
    ]

    def goal_block(goal: Goal, number: int) -> KeepTogether:
        rows = [
            Paragraph(
                f"{number}. {_text(goal.what)}", ParagraphStyle("g", parent=body, fontName="Helvetica-Bold")
            )
        ]
        whys = "; ".join(f"{gettext(f'pop.why.{w.kind}')}: {w.label}" for w in goal.why)
        for key, value in (
            ("pop.field.why", whys),
            ("pop.field.how", goal.how),
            ("pop.field.by_when", goal.by_when.isoformat() if goal.by_when else ""),
            ("pop.field.support", goal.support),
            ("pop.field.evidence", goal.evidence),
            ("pop.field.status", gettext(f"pop.status.{goal.status}")),
        ):
            if value:
                rows += [Paragraph(_text(gettext(key)), label), Paragraph(_text(value), body)]
        rows.append(Spacer(1, 3 * mm))
        return KeepTogether(rows)

    if not content.goals:
        story.append(Paragraph("-", body))
    story += [goal_block(goal, n) for n, goal in enumerate(content.goals, 1)]
    if content.review:
        story.append(Paragraph(_text(gettext("pop.review")), h2))
        for item in content.review:
            line = gettext(f"pop.outcome.{item.outcome}") + (f": {item.reason}" if item.reason else "")
            story.append(Paragraph(_text(line), body))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=gettext("pop.pdf.title"),
    ).build(story)
    return out.getvalue()
