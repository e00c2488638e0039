"""The declaration as a PDF (reportlab, as the GAIA certificates and the reports). Pure: a
`Declaration` in, bytes out; the texts are the service's catalog (`declaration.*`, Dutch and
English).

Two forms (declarations/model.py): the facilitator's "Verklaring deelname evaluatie individueel
functioneren" (self-employed), and the participation part of the combined form "verklaring
werkzaamheden en deelname individueel functioneren" (employed) with empty signature lines for the
specialist and the board. Both carry the verification code and the address where anyone holding it
sees that the declaration is genuine. Nothing of the discussion is on it: the fields below are all
it can show.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from spiegel_platform.i18n import translator

from spiegel_accreditation.declarations.model import COMBINED, grouped
from spiegel_accreditation.sessions.model import PACKAGE


@dataclass(frozen=True)
class Declaration:
    form: str
    name: str
    big_number: str
    specialism: str
    hospital: str
    day: date
    system: str
    facilitator: str
    signed_at: datetime
    code: str
    verify_url: str


def declaration_pdf(declaration: Declaration, language: str = "nl") -> bytes:
    """An A4 page; every value is escaped before it goes into a Paragraph (reportlab's paragraphs
    read a small markup)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    t = translator(language, (PACKAGE,)).gettext
    d = declaration
    title = t("declaration.title_combined" if d.form == COMBINED else "declaration.title_participation")
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title=title)

    def para(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    rows = [
        (t("declaration.name"), d.name or "-"),
        (t("declaration.big_number"), d.big_number or "-"),
        (t("declaration.specialism"), d.specialism or "-"),
        (t("declaration.hospital"), d.hospital or "-"),
        (t("declaration.day"), d.day.isoformat()),
        (t("declaration.system"), d.system),
        (t("declaration.facilitator"), d.facilitator or "-"),
    ]
    story = [para(title, "Title"), Spacer(1, 4 * mm)]
    if d.form == COMBINED:
        story += [para(t("declaration.part_combined"), "Heading3"), Spacer(1, 2 * mm)]
    story += [
        Table([[para(k), para(v)] for k, v in rows], colWidths=[55 * mm, 110 * mm]),
        Spacer(1, 6 * mm),
        para(t("declaration.statement", name=d.name or "-", day=d.day.isoformat())),
        Spacer(1, 3 * mm),
        para(t("declaration.confidential")),
        Spacer(1, 6 * mm),
        para(
            t(
                "declaration.signed",
                facilitator=d.facilitator or "-",
                moment=d.signed_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        ),
    ]
    if d.form == COMBINED:
        story += [
            Spacer(1, 8 * mm),
            para(t("declaration.sign_specialist")),
            Spacer(1, 10 * mm),
            para("______________________________   " + t("declaration.date_line")),
            Spacer(1, 6 * mm),
            para(t("declaration.sign_board")),
            Spacer(1, 10 * mm),
            para("______________________________   " + t("declaration.date_line")),
        ]
    story += [
        Spacer(1, 10 * mm),
        para(t("declaration.verify", code=grouped(d.code), url=d.verify_url)),
    ]
    doc.build(story)
    return out.getvalue()
