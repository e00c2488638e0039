"""A session's attendance for GAIA, in the forms a coordinator uses. Pure: rows in, bytes out.

- `big_numbers_text`: one BIG number a line, to paste into GAIA's bulk entry.
- `csv_bytes` and `xlsx_bytes`: BIG number (as TEXT, leading zeros kept), name, date, points,
  activity number. Any cell that a spreadsheet would read as a formula (starting with =, +, -,
  @, a tab or a carriage return) gets a leading apostrophe, so a name typed as `=HYPERLINK(...)`
  stays text (OWASP's CSV injection advice).
- `attendance_xml`: the attendance for GAIA's provider webservice (PE-online style): per
  attendance the BIG number as the person id, the activity number and the end date. Built with
  xml.etree (escaping by the library). The shape follows GAIA's public description, not a
  tested contract (see the service's README).
- `certificate_pdf`: a partial attendee's certificate with their hours present (reportlab).

Only participants who attended the whole session are in the GAIA exports (GAIA takes only the
full hours of an activity); partial attendees get the certificate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree as ET

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TYPE_STRING

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XML_NAMESPACE = "urn:spiegel:gaia:attendance:1"
HEADERS = {
    "nl": ("BIG-nummer", "Naam", "Datum", "Punten", "Activiteitnummer"),
    "en": ("BIG number", "Name", "Date", "Points", "Activity number"),
}


@dataclass(frozen=True)
class Row:
    big_number: str  # 11 digits as text; "" when the participant gave none (marked by the facilitator)
    name: str
    day: date
    points: float
    activity_number: str


def neutralised(value: str) -> str:
    """A cell's text that no spreadsheet reads as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _points(points: float) -> str:
    return f"{points:g}"


def _cells(row: Row) -> list[str]:
    return [
        neutralised(row.big_number),
        neutralised(row.name),
        row.day.isoformat(),
        _points(row.points),
        neutralised(row.activity_number),
    ]


def big_numbers_text(rows: Iterable[Row]) -> str:
    """One BIG number a line (those known), for GAIA's bulk entry."""
    return "".join(f"{r.big_number}\n" for r in rows if r.big_number)


def csv_bytes(rows: Sequence[Row], language: str = "nl") -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the accents), `;` as Dutch Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADERS.get(language, HEADERS["nl"]))
    writer.writerows(_cells(r) for r in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Sequence[Row], language: str = "nl") -> bytes:
    """openpyxl's write-only mode (streams the rows: a thousand in a fraction of a second)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("GAIA")
    for letter, width in zip("ABCDE", (14, 36, 12, 8, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(list(HEADERS.get(language, HEADERS["nl"])))

    def text(value: str) -> WriteOnlyCell:
        # A text cell: never a number (leading zeros), never a formula.
        cell = WriteOnlyCell(sheet, value=neutralised(value))
        cell.data_type = TYPE_STRING
        cell.number_format = "@"
        return cell

    for r in rows:
        day = WriteOnlyCell(sheet, value=r.day)
        day.number_format = "yyyy-mm-dd"
        sheet.append([text(r.big_number), text(r.name), day, r.points, text(r.activity_number)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def attendance_xml(rows: Iterable[Row], *, provider: str, end_date: date) -> bytes:
    """The attendance message: `<attendanceList>` with one `<attendance>` per participant
    (person id = BIG number, the activity number, the end date)."""
    ET.register_namespace("", XML_NAMESPACE)
    root = ET.Element(f"{{{XML_NAMESPACE}}}attendanceList", {"provider": provider})
    for r in rows:
        if not r.big_number:
            continue
        item = ET.SubElement(root, f"{{{XML_NAMESPACE}}}attendance")
        ET.SubElement(item, f"{{{XML_NAMESPACE}}}personId", {"type": "BIG"}).text = r.big_number
        ET.SubElement(item, f"{{{XML_NAMESPACE}}}activityId").text = r.activity_number
        ET.SubElement(item, f"{{{XML_NAMESPACE}}}endDate").text = end_date.isoformat()
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class Certificate:
    name: str
    big_number: str
    hospital: str
    day: date
    hours_present: float
    session_hours: float
    activity_number: str
    association: str
    points: float


CERTIFICATE_TEXTS = {
    "nl": {
        "title": "Bewijs van deelname (gedeeltelijk)",
        "intro": "Hierbij wordt verklaard dat %(name)s deelnam aan een groepsbespreking (evaluatie "
        "individueel functioneren) op %(day)s in %(hospital)s.",
        "hours": "Aanwezig: %(present)s van %(total)s uur.",
        "big": "BIG-nummer: %(big)s",
        "activity": "GAIA-activiteit %(activity)s (%(association)s), "
        "%(points)s punten bij volledige deelname.",
        "note": "GAIA registreert alleen volledige deelname; met dit bewijs kunt u de uren zelf opvoeren.",
    },
    "en": {
        "title": "Certificate of attendance (partial)",
        "intro": "This certifies that %(name)s took part in a group discussion (evaluation of individual "
        "performance) on %(day)s at %(hospital)s.",
        "hours": "Present: %(present)s of %(total)s hours.",
        "big": "BIG number: %(big)s",
        "activity": "GAIA activity %(activity)s (%(association)s), %(points)s points for full attendance.",
        "note": "GAIA registers full attendance only; "
        "with this certificate you can enter the hours yourself.",
    },
}


def certificate_pdf(cert: Certificate, language: str = "nl") -> bytes:
    """An A4 page; every text is escaped before it goes into a Paragraph (reportlab's paragraphs
    read a small markup)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    texts = CERTIFICATE_TEXTS.get(language, CERTIFICATE_TEXTS["nl"])
    values = {
        "name": cert.name or "-",
        "day": cert.day.isoformat(),
        "hospital": cert.hospital or "-",
        "present": f"{cert.hours_present:g}",
        "total": f"{cert.session_hours:g}",
        "big": cert.big_number or "-",
        "activity": cert.activity_number,
        "association": cert.association,
        "points": f"{cert.points:g}",
    }
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title=texts["title"])
    story = [Paragraph(escape(texts["title"]), styles["Title"]), Spacer(1, 8 * mm)]
    for key in ("intro", "hours", "big", "activity", "note"):
        story.append(Paragraph(escape(texts[key] % values), styles["BodyText"]))
        story.append(Spacer(1, 3 * mm))
    doc.build(story)
    return out.getvalue()
