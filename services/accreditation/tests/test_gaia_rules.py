"""Accreditation in GAIA: the rules and the exports, without servers."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from spiegel_accreditation.gaia import exports, model
from spiegel_accreditation.gaia.exports import Certificate, Row
from spiegel_accreditation.sessions.model import RuleError

DAY = date(2026, 11, 20)


def _check(**changes: object) -> model.AccreditationRecord:
    fields: dict[str, object] = {
        "activity_number": "123 456",
        "points": 3,
        "association": "NVvH",
        "valid_from": date(2026, 6, 1),
        "valid_until": date(2027, 5, 31),
        "deadline_days": None,
        "session_day": DAY,
    }
    fields.update(changes)
    session_day = fields.pop("session_day")
    return model.check_accreditation(**fields, session_day=session_day)  # type: ignore[arg-type]


def test_an_accreditation_is_kept_with_its_default_deadline() -> None:
    record = _check()
    assert record.activity_number == "123456"
    # No deadline of its own: its association's, else 6 weeks (decided when read).
    assert record.deadline_days is None
    assert model.deadline_days_of(None, None) == (model.DEFAULT_DEADLINE_DAYS, "default")
    assert model.DEFAULT_DEADLINE_DAYS == 42
    assert model.deadline(datetime(2026, 11, 20, 17, tzinfo=UTC), 42) == date(2027, 1, 1)


def test_the_deadline_is_the_accreditations_own_else_its_associations_else_six_weeks() -> None:
    assert model.deadline_days_of(10, 28) == (10, "accreditation")
    assert model.deadline_days_of(None, 28) == (28, "association")
    assert model.deadline_days_of(None, None, 42) == (42, "default")
    assert _check(deadline_days=30).deadline_days == 30


def test_an_association_is_one_however_it_is_typed() -> None:
    nvvh = model.check_association("  Nederlandse  Vereniging voor Heelkunde ", 28)
    assert nvvh == model.Association("Nederlandse Vereniging voor Heelkunde", 28)
    assert nvvh.key == model.association_key("nederlandse vereniging VOOR heelkunde")
    assert nvvh.key != model.association_key("NVvH")
    assert len(nvvh.key) == 24 and nvvh.key.isalnum()


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [
        ("", 42, "name"),
        ("   ", 42, "name"),
        ("x" * 201, 42, "name"),
        ("NVvH\u202e", 42, "name"),
        ("NV\nvH", 42, "name"),
        ("NVvH", 0, "deadline_days"),
        ("NVvH", -3, "deadline_days"),
        ("NVvH", 367, "deadline_days"),
    ],
)
def test_an_association_refused_names_the_field(name: str, days: int, field: str) -> None:
    with pytest.raises(RuleError) as refused:
        model.check_association(name, days)
    assert refused.value.field == field
    assert str(refused.value.reason)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"activity_number": ""}, "activity_number"),
        ({"activity_number": "=1+1"}, "activity_number"),
        ({"activity_number": "1234567890123"}, "activity_number"),
        ({"points": 0}, "points"),
        ({"points": 2.3}, "points"),
        ({"points": 101}, "points"),
        ({"association": " "}, "association"),
        ({"association": "NVvH\u202e"}, "association"),
        ({"valid_until": date(2026, 5, 1)}, "valid_until"),
        ({"valid_until": date(2029, 1, 1)}, "valid_until"),
        ({"session_day": date(2027, 6, 1)}, "valid_from"),
        ({"deadline_days": 0}, "deadline_days"),
        ({"deadline_days": 400}, "deadline_days"),
    ],
)
def test_an_accreditation_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(RuleError) as refused:
        _check(**changes)
    assert refused.value.field == field
    assert refused.value.reason.in_language("en") != refused.value.reason.in_language("nl")


def test_a_series_is_not_checked_against_one_session() -> None:
    assert _check(session_day=None).points == 3


def test_registration_statuses() -> None:
    today = date(2026, 12, 7)
    done = model.check_registration("registered", None, "", session_day=DAY, today=today)
    assert (done.status, done.registered_on) == ("registered", today)
    with pytest.raises(RuleError) as future:
        model.check_registration("registered", date(2027, 1, 1), "", session_day=DAY, today=today)
    assert future.value.field == "registered_on"
    with pytest.raises(RuleError) as early:
        model.check_registration("registered", date(2026, 11, 1), "", session_day=DAY, today=today)
    assert early.value.field == "registered_on"
    with pytest.raises(RuleError) as no_reason:
        model.check_registration("refused", None, "  ", session_day=DAY, today=today)
    assert no_reason.value.field == "reason"
    refused = model.check_registration("refused", None, "BIG-nummer onbekend", session_day=DAY, today=today)
    assert (refused.status, refused.reason) == ("refused", "BIG-nummer onbekend")
    back = model.check_registration("to_register", date(2026, 12, 1), "x", session_day=DAY, today=today)
    assert (back.status, back.registered_on, back.reason) == ("to_register", None, "")


ROWS = [
    Row("01234567890", "Dr. A. de Vries", DAY, 3.0, "123456"),
    Row("00123456789", '=HYPERLINK("http://evil")', DAY, 3.0, "123456"),
    Row("12345678901", "@SUM(A1)", DAY, 3.0, "123456"),
    Row("", "Zonder BIG", DAY, 3.0, "123456"),
]


def test_big_numbers_one_per_line_with_their_zeros() -> None:
    assert exports.big_numbers_text(ROWS) == "01234567890\n00123456789\n12345678901\n"


def test_the_spreadsheet_keeps_the_big_number_as_text_with_its_leading_zero() -> None:
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(ROWS)))
    sheet = book["GAIA"]
    assert [c.value for c in sheet[1]] == ["BIG-nummer", "Naam", "Datum", "Punten", "Activiteitnummer"]
    big = sheet["A2"]
    assert big.value == "01234567890"
    assert big.data_type == "s"
    assert big.number_format == "@"
    assert sheet["E2"].data_type == "s" and sheet["E2"].value == "123456"
    assert sheet["B3"].value == '\'=HYPERLINK("http://evil")'
    assert sheet["B3"].data_type == "s"
    assert sheet["B4"].value == "'@SUM(A1)"
    assert sheet["C2"].value.date() == DAY
    assert sheet["D2"].value == 3
    english = load_workbook(io.BytesIO(exports.xlsx_bytes(ROWS, "en")))["GAIA"]
    assert english["A1"].value == "BIG number"


def test_the_csv_neutralises_formulas_and_keeps_the_zeros() -> None:
    text = exports.csv_bytes(ROWS).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "BIG-nummer"
    assert rows[1] == ["01234567890", "Dr. A. de Vries", "2026-11-20", "3", "123456"]
    assert rows[2][1] == '\'=HYPERLINK("http://evil")'
    assert rows[3][1].startswith("'@")
    for name in ("+31", "-1", "\tx", "\rx"):
        assert exports.neutralised(name) == "'" + name
    assert exports.neutralised("Jansen") == "Jansen"


def test_the_xml_is_parsed_back() -> None:
    tricky = [*ROWS, Row("11111111111", "<b>&", DAY, 3.0, "123456")]
    body = exports.attendance_xml(tricky, provider='Ziekenhuis "A" & <B>', end_date=DAY)
    root = ET.fromstring(body)
    ns = {"g": exports.XML_NAMESPACE}
    assert root.tag == f"{{{exports.XML_NAMESPACE}}}attendanceList"
    assert root.get("provider") == 'Ziekenhuis "A" & <B>'
    items = root.findall("g:attendance", ns)
    assert [i.findtext("g:personId", namespaces=ns) for i in items] == [
        "01234567890",
        "00123456789",
        "12345678901",
        "11111111111",
    ]
    assert items[0].find("g:personId", ns).get("type") == "BIG"  # type: ignore[union-attr]
    assert {i.findtext("g:activityId", namespaces=ns) for i in items} == {"123456"}
    assert {i.findtext("g:endDate", namespaces=ns) for i in items} == {"2026-11-20"}
    assert b"Zonder BIG" not in body  # names are not part of the message


def test_a_partial_attendee_gets_a_certificate_with_the_hours() -> None:
    cert = Certificate(
        name="Dr. <i>B</i> Bakker",
        big_number="01234567890",
        hospital="Ziekenhuis Oost",
        day=DAY,
        hours_present=1.5,
        session_hours=2.5,
        activity_number="123456",
        association="NVvH",
        points=3,
    )
    text = PdfReader(io.BytesIO(exports.certificate_pdf(cert))).pages[0].extract_text()
    assert "Dr. <i>B</i> Bakker" in text
    assert "1.5 van 2.5 uur" in text
    assert "01234567890" in text
    english = PdfReader(io.BytesIO(exports.certificate_pdf(cert, "en"))).pages[0].extract_text()
    assert "Present: 1.5 of 2.5 hours" in english


def test_the_attendance_export_of_1000_participants_under_2_seconds() -> None:
    rows = [Row(f"{i:011d}", f"Dr. Deelnemer {i}", DAY, 3.0, "123456") for i in range(1000)]
    started = time.perf_counter()
    exports.big_numbers_text(rows)
    exports.csv_bytes(rows)
    sheet = exports.xlsx_bytes(rows)
    exports.attendance_xml(rows, provider="Z", end_date=DAY)
    took = time.perf_counter() - started
    assert took < 2.0, took
    assert load_workbook(io.BytesIO(sheet))["GAIA"]["A2"].value == "00000000000"


def test_a_second_reminder_only_on_the_deadline_day_after_an_earlier_first() -> None:
    due = date(2027, 1, 1)
    assert model.remind_on_deadline_day(date(2026, 12, 25), due, today=due)
    assert not model.remind_on_deadline_day(due, due, today=due)  # the first came today: it is the one
    assert not model.remind_on_deadline_day(date(2026, 12, 25), due, today=date(2026, 12, 31))


def test_deadline_is_six_weeks_after_the_end() -> None:
    end = datetime(2026, 12, 31, 23, tzinfo=UTC)
    assert model.deadline(end, 42) == (end + timedelta(weeks=6)).date()
