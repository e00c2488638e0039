"""The people spreadsheet under bad input, without servers (issue 18, "Bad input"): files that are
no spreadsheet or are empty, csv files in other encodings and separators, formulas, merged cells,
hidden sheets, more rows than the limit, duplicate addresses, Unicode domains, hidden characters
in names, an address another hospital has. Each is refused or flagged by row in Dutch and English."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from spiegel_gateway.people import import_checks, spreadsheet
from spiegel_gateway.people.spreadsheet import SpreadsheetError

HEADERS = ["Naam", "E-mailadres", "Rol"]


def _xlsx(rows: list[list[str]], *, hidden: bool = False, merge: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    if hidden:
        old = book.create_sheet("Oud")
        old.append(HEADERS)
        old.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _refusal(filename: str, content: bytes) -> tuple[str, str]:
    with pytest.raises(SpreadsheetError) as refused:
        spreadsheet.parse(filename, content)
    return refused.value.reason.in_language("nl"), refused.value.reason.in_language("en")


def _check(rows: list[spreadsheet.RowIn], **ctx: object) -> dict[int, dict[str, import_checks.Problem]]:
    """Per row, per column: its first problem (`_kinds` gives them all)."""
    context = import_checks.Context(grantable={"specialist", "coordinator", "facilitator"}, **ctx)  # type: ignore[arg-type]
    found: dict[int, dict[str, import_checks.Problem]] = {}
    for result in import_checks.check_rows(rows, context):
        found[result.row] = {}
        for problem in result.problems:
            found[result.row].setdefault(problem.column, problem)
    return found


def _kinds(rows: list[spreadsheet.RowIn]) -> set[tuple[int, str, str]]:
    context = import_checks.Context(grantable={"specialist"})
    return {(r.row, p.column, p.kind) for r in import_checks.check_rows(rows, context) for p in r.problems}


def test_files_that_are_no_list_of_people_are_refused_in_plain_words() -> None:
    nl, en = _refusal("mensen.xlsx", b"")
    assert "leeg" in nl and "empty" in en
    nl, en = _refusal("mensen.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert "PDF" in nl and "PDF" in en and "Error" not in nl + en
    nl, _ = _refusal("mensen.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "Excel 97-2003" in nl
    nl, en = _refusal("mensen.xlsx", b"PK\x03\x04 this zip is cut short")
    assert "Error" not in nl + en and "xlsx" in nl
    nl, _ = _refusal("mensen.csv", b"Voornaam;Achternaam\nAnna;de Vries\n")
    assert "Naam" in nl  # the columns it looks for


def test_csv_files_in_other_encodings_and_separators_are_read() -> None:
    rows = [["Dr. Zoë Çelik", "zoe@umc.nl", "specialist"], ["Dr. Anaïs Ünal", "anais@umc.nl", "specialist"]]
    text = "\n".join("\t".join(r) for r in [HEADERS, *rows]) + "\n"
    utf16 = spreadsheet.parse("mensen.txt", text.encode("utf-16"))  # Excel's "Unicode text"
    assert [r.values["name"] for r in utf16.rows] == ["Dr. Zoë Çelik", "Dr. Anaïs Ünal"]
    windows = "\r\n".join(",".join(r) for r in [HEADERS, *rows]).encode("cp1252")
    parsed = spreadsheet.parse("mensen.csv", windows)
    assert [r.values["email"] for r in parsed.rows] == ["zoe@umc.nl", "anais@umc.nl"]
    assert parsed.rows[0].values["name"] == "Dr. Zoë Çelik"
    bom = ("\ufeff" + "\n".join(";".join(r) for r in [HEADERS, *rows])).encode()
    assert [r.row for r in spreadsheet.parse("mensen.csv", bom).rows] == [2, 3]


def test_formulas_merged_cells_and_hidden_sheets_are_named() -> None:
    content = _xlsx(
        [
            ["Dr. Formule", '=LOWER("F@UMC.NL")', "specialist"],
            ["Dr. Samen", "samen@umc.nl", "specialist"],
            ["", "onder@umc.nl", "specialist"],
        ],
        hidden=True,
        merge="A3:A4",
    )
    parsed = spreadsheet.parse("mensen.xlsx", content)
    assert parsed.hidden_sheets == ["Oud"]
    problems = _check(parsed.rows)
    assert (2, "email", "formula") in _kinds(parsed.rows)
    assert "formule" in problems[2]["email"].message
    assert problems[3]["name"].kind == "merged" and problems[4]["name"].kind == "merged"
    assert "merged" in problems[3]["name"].message_en
    only_hidden = Workbook()
    visible = only_hidden.active
    assert visible is not None
    visible.append(["iets anders"])
    secret = only_hidden.create_sheet("Mensen")
    secret.append(HEADERS)
    secret.append(["Dr. Verborgen", "v@umc.nl", "specialist"])
    secret.sheet_state = "hidden"
    out = io.BytesIO()
    only_hidden.save(out)
    nl, en = _refusal("mensen.xlsx", out.getvalue())
    assert "Mensen" in nl and "Mensen" in en


def test_at_most_the_limit_of_rows_and_more_is_refused_naming_both_numbers() -> None:
    header = ";".join(HEADERS)
    full = "\n".join([header, *(f"P {i};p{i}@umc.nl;specialist" for i in range(spreadsheet.MAX_ROWS))])
    assert len(spreadsheet.parse("mensen.csv", full.encode()).rows) == spreadsheet.MAX_ROWS
    many = "\n".join([header, *(f"P {i};p{i}@umc.nl;specialist" for i in range(10_000))])
    nl, en = _refusal("mensen.csv", many.encode())
    assert "10000" in nl and str(spreadsheet.MAX_ROWS) in nl and "10000" in en


def test_rows_are_flagged_by_column_with_the_reason() -> None:
    rows = [
        spreadsheet.RowIn(2, {"name": "Dr. Een", "email": "een@umc.nl", "role": "specialist"}),
        spreadsheet.RowIn(3, {"name": "Dr. Twee", "email": "EEN@umc.nl", "role": "specialist"}),
        spreadsheet.RowIn(4, {"name": "Dr. Bestaat", "email": "bestaat@umc.nl", "role": "specialist"}),
        spreadsheet.RowIn(5, {"name": "Eve\u202eliS", "email": "eve@bücher.de", "role": "specialist"}),
        spreadsheet.RowIn(6, {"name": "Dr.\u0007 Bel", "email": "bel@umc.nl", "role": "specialist"}),
        spreadsheet.RowIn(7, {"name": "Dr. Elders", "email": "elders@umc.nl", "role": "specialist"}),
        spreadsheet.RowIn(8, {"name": "Dr. Fout", "email": "fout@@umc", "role": "specialist"}),
    ]
    # `existing` holds this hospital's addresses only: another hospital's person (elders@) is
    # not in it, so that row is simply a new person here and nothing says otherwise.
    problems = _check(rows, existing={"bestaat@umc.nl": "Dr. Bestaat Al"})
    assert problems[2] == {}
    assert problems[3]["email"].kind == "email_form" and problems[3]["email"].suggestion == "een@umc.nl"
    # The same address twice in the file (whatever its case): the first row stands.
    assert (3, "email", "email_twice") in _kinds(rows)
    assert (
        problems[4]["email"].kind == "email_registered" and "Dr. Bestaat Al" in problems[4]["email"].message
    )
    # A Unicode domain: refused as typed, the form mail servers read offered as the fix.
    assert problems[5]["email"].kind == "email_ascii_domain"
    assert problems[5]["email"].suggestion == "eve@xn--bcher-kva.de"
    assert problems[5]["name"].kind == "hidden_characters" and problems[5]["name"].suggestion == "Eve liS"
    assert problems[6]["name"].kind == "hidden_characters"
    assert problems[7] == {}
    assert problems[8]["email"].kind == "invalid_email" and "fout@@umc" in problems[8]["email"].message_en


def test_the_same_address_twice_names_the_first_row() -> None:
    rows = [
        spreadsheet.RowIn(2, {"name": "Dr. Een", "email": "een@umc.nl", "role": "specialist"}),
        spreadsheet.RowIn(9, {"name": "Dr. Twee", "email": "een@umc.nl", "role": "specialist"}),
    ]
    problems = _check(rows)
    assert problems[9]["email"].kind == "email_twice"
    assert "rij 2" in problems[9]["email"].message and "row 2" in problems[9]["email"].message_en
