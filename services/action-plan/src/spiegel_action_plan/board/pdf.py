"""The board's yearly overview of the group plans as an A4 PDF (reportlab, as the POP and the
reports). Every text a group wrote is escaped: reportlab's paragraphs read a small markup."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

INK = colors.HexColor("#1e293b")
MUTED = colors.HexColor("#64748b")


def _text(value: Any) -> str:
    return escape(str(value or "")).replace("\n", "<br/>")


def render(overview: dict[str, Any], *, gettext: Callable[..., str]) -> bytes:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=13, textColor=INK
    )
    h1 = ParagraphStyle("h1", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22, spaceAfter=6)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=16, spaceBefore=10, spaceAfter=4
    )
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=MUTED)
    story = [
        Paragraph(_text(gettext("board.pdf.title", year=overview["year"])), h1),
        Paragraph(_text(gettext("board.pdf.scope")), small),
        Spacer(1, 4 * mm),
    ]
    if not overview["plans"]:
        story.append(Paragraph(_text(gettext("board.pdf.none")), body))
    for plan in overview["plans"]:
        rows = [
            Paragraph(_text(plan["group_name"] or plan["group_id"]), h2),
            Paragraph(_text(gettext(f"board.plan_status.{plan['status']}")), small),
        ]
        for action in plan["actions"]:
            status = gettext(f"board.action_status.{action['status']}")
            rows.append(Paragraph(_text(f"{action['description']} ({action['due']}): {status}"), body))
        last = plan["last_check"]
        if last:
            counts = last["progress"]
            rows.append(
                Paragraph(
                    _text(
                        gettext(
                            "board.pdf.last_check",
                            when=(last["completed_at"] or "")[:10],
                            done=counts["done"],
                            on_track=counts["on_track"],
                            delayed=counts["delayed"],
                            stopped=counts["stopped"],
                        )
                    ),
                    body,
                )
            )
        else:
            rows.append(Paragraph(_text(gettext("board.pdf.no_check")), body))
        rows.append(Spacer(1, 3 * mm))
        story.append(KeepTogether(rows))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=gettext("board.pdf.title", year=overview["year"]),
    ).build(story)
    return out.getvalue()
