"""The nomination spreadsheet: a template to download (xlsx), and reading xlsx or csv back.

The template has an instructions sheet (which also names the round it was made
for, so a file imported into another round is caught), a data sheet with
Dutch headers and dropdowns for the respondent group and the language, and a
hidden sheet with the lists the dropdowns use.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook
from spiegel_platform.anonymity import MIN_GROUP_SIZE
from spiegel_platform.errors import Text

from spiegel_invitation.nominations.validation import PACKAGE, RowIn

DATA_SHEET = "Respondenten"
INFO_SHEET = "Instructies"
LISTS_SHEET = "Lijsten"
HEADERS = ["Ronde", "Respondentgroep", "Naam", "E-mailadres", "Taal"]
ROUND_ID_CELL = "B3"
TEMPLATE_ROWS = 500
MAX_ROWS = 20000

# Header spellings accepted on import (Dutch first, English too), lower-cased.
COLUMNS = {
    "round": {"ronde", "round", "ronde-id", "round id"},
    "group": {"respondentgroep", "groep", "group", "respondent group"},
    "name": {"naam", "name", "volledige naam", "full name"},
    "email": {"e-mailadres", "e-mail", "email", "emailadres", "e-mail address", "email address", "mail"},
    "language": {"taal", "language", "lang"},
}
REQUIRED = ("group", "name", "email")
LABELS = {
    "round": "Ronde",
    "group": "Respondentgroep",
    "name": "Naam",
    "email": "E-mailadres",
    "language": "Taal",
}
# What the csv module's errors mean for the one who made the file.
CSV_PROBLEMS = {
    "field larger than field limit": Text(
        "spreadsheet.csv_field_too_long", package=PACKAGE, limit=csv.field_size_limit()
    ),
    "new-line character seen in unquoted field": Text("spreadsheet.csv_line_break", package=PACKAGE),
}


class SpreadsheetError(ValueError):
    """The file cannot be read as a nomination list (not the rows: the file itself); `reason`
    says why (a catalog text; `str()` is the Dutch one)."""

    def __init__(self, reason: Text) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass
class Parsed:
    rows: list[RowIn] = field(default_factory=list)
    round_id: str | None = None  # the round the template was made for, when it says so
    sheet: str = ""


def cell_text(value: Any) -> str:
    """Text as a cell may hold it: XML 1.0 has no C0 control characters (besides tab and line breaks)."""
    return ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", str(value or ""))


def template(view: dict[str, Any]) -> bytes:
    groups = [g for g in view.get("groups") or [] if not g.get("is_self")]
    book = Workbook()
    info = book.active
    assert info is not None
    info.title = INFO_SHEET
    bold = Font(bold=True)
    info["A1"] = "Respondenten nomineren voor een evaluatieronde (Spiegel)"
    info["A1"].font = Font(bold=True, size=14)
    info["A3"], info[ROUND_ID_CELL] = "Ronde-id", cell_text(view["id"])
    info["A4"], info["B4"] = "Ronde", cell_text(view.get("title"))
    info["A5"], info["B5"] = "Geëvalueerde", cell_text(view.get("subject_name"))
    for cell in ("A3", "A4", "A5"):
        info[cell].font = bold
    lines = [
        "",
        "Zo vult u het in:",
        f"1. Vul op het tabblad '{DATA_SHEET}' per respondent één rij in: respondentgroep, naam, "
        "e-mailadres en taal (nl of en).",
        "2. Kies de respondentgroep uit de keuzelijst. Nomineer 6 tot 10 personen per groep; meer mag.",
        f"3. Een groep met minder dan {MIN_GROUP_SIZE} ingevulde evaluaties komt niet in de rapportage: "
        "te weinig voor een "
        "betrouwbaar en anoniem resultaat.",
        "4. Iedereen staat maar één keer in de lijst (één groep per persoon). De specialist zelf "
        "nomineert u niet: die krijgt de zelfevaluatie.",
        "5. Schrijf namen zoals ze moeten worden aangesproken (met hoofdletters). Wij passen niets aan "
        "zonder dat u het kiest.",
        "6. De kolom 'Ronde' mag leeg blijven; staat er iets, dan moet het deze ronde zijn.",
        "7. Bij het importeren ziet u eerst per rij wat er niet klopt; pas na uw bevestiging wordt iets "
        "opgeslagen.",
        "",
        "Respondentgroepen in deze ronde:",
    ]
    lines += [cell_text(f"- {g.get('label_nl') or g['code']} ({g['code']})") for g in groups]
    for offset, line in enumerate(lines, start=7):
        info.cell(row=offset, column=1, value=line)
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 60

    data = book.create_sheet(DATA_SHEET)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for column, title in enumerate(HEADERS, start=1):
        cell = data.cell(row=1, column=column, value=title)
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="left")
    for letter, width in zip("ABCDE", (14, 32, 32, 36, 8), strict=True):
        data.column_dimensions[letter].width = width
    data.freeze_panes = "A2"

    lists = book.create_sheet(LISTS_SHEET)
    for index, group in enumerate(groups, start=1):
        lists.cell(row=index, column=1, value=cell_text(group.get("label_nl") or group["code"]))
    lists.cell(row=1, column=2, value="nl")
    lists.cell(row=2, column=2, value="en")
    lists.cell(row=1, column=3, value=cell_text(view["id"]))
    lists.sheet_state = "hidden"

    last = TEMPLATE_ROWS + 1
    group_rule = DataValidation(
        type="list",
        formula1=f"={LISTS_SHEET}!$A$1:$A${max(1, len(groups))}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Onbekende groep",
        error="Kies een respondentgroep uit de lijst.",
        promptTitle="Respondentgroep",
        prompt="Kies de groep van deze respondent.",
        showInputMessage=True,
    )
    language_rule = DataValidation(
        type="list", formula1=f"={LISTS_SHEET}!$B$1:$B$2", allow_blank=True, showErrorMessage=True
    )
    round_rule = DataValidation(type="list", formula1=f"={LISTS_SHEET}!$C$1:$C$1", allow_blank=True)
    data.add_data_validation(group_rule)
    data.add_data_validation(language_rule)
    data.add_data_validation(round_rule)
    group_rule.add(f"B2:B{last}")
    language_rule.add(f"E2:E{last}")
    round_rule.add(f"A2:A{last}")
    book.active = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header_map(cells: Sequence[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(cells):
        text = str(value or "").strip().lower()
        for name, spellings in COLUMNS.items():
            if text in spellings and name not in found:
                found[name] = index
    return found


def _cell(values: Sequence[Any], index: int | None) -> str:
    if index is None or index >= len(values) or values[index] is None:
        return ""
    value = values[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()  # calamine gives "" for an empty cell


def _rows(table: Sequence[Sequence[Any]], first_row: int = 1) -> list[RowIn]:
    header_at = None
    columns: dict[str, int] = {}
    for offset, values in enumerate(table[:20]):
        columns = _header_map(values)
        if all(name in columns for name in REQUIRED):
            header_at = offset
            break
    if header_at is None:
        wanted = ", ".join(LABELS[n] for n in REQUIRED)
        raise SpreadsheetError(Text("spreadsheet.no_header", package=PACKAGE, columns=wanted))
    rows = []
    for offset, values in enumerate(table[header_at + 1 :], start=header_at + 1):
        row = RowIn(
            row=first_row + offset,
            group=_cell(values, columns.get("group")),
            name=_cell(values, columns.get("name")),
            email=_cell(values, columns.get("email")),
            language=_cell(values, columns.get("language")),
            round=_cell(values, columns.get("round")),
        )
        if not any((row.group, row.name, row.email, row.language, row.round)):
            continue
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise SpreadsheetError(Text("spreadsheet.too_many_rows", package=PACKAGE, most=MAX_ROWS))
    return rows


def parse(filename: str, content: bytes) -> Parsed:
    if not content:
        raise SpreadsheetError(Text("spreadsheet.empty", package=PACKAGE))
    if content[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _parse_xlsx(content)
    return _parse_csv(content)


def _parse_xlsx(content: bytes) -> Parsed:
    # Reading with calamine (Rust; what pandas uses): an order of magnitude faster than
    # openpyxl's reader, which matters for a 5,000-row list. The template is made with openpyxl.
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception:  # calamine raises several kinds for a damaged file
        # Say what is wrong in plain words: the reader's class name means nothing to a person.
        raise SpreadsheetError(Text("spreadsheet.xlsx_unreadable", package=PACKAGE)) from None
    round_id = None
    if INFO_SHEET in book.sheet_names:
        info = book.get_sheet_by_name(INFO_SHEET).to_python(skip_empty_area=False, nrows=3)
        if len(info) >= 3 and len(info[2]) >= 2 and str(info[2][0]).strip().lower() == "ronde-id":
            round_id = str(info[2][1]).strip() or None
    names = [DATA_SHEET] if DATA_SHEET in book.sheet_names else []
    names += [n for n in book.sheet_names if n not in (DATA_SHEET, INFO_SHEET, LISTS_SHEET)]
    last_error: SpreadsheetError | None = None
    for name in names:
        try:
            table = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:
            last_error = SpreadsheetError(Text("spreadsheet.sheet_unreadable", package=PACKAGE, sheet=name))
            continue
        try:
            return Parsed(rows=_rows(table), round_id=round_id, sheet=name)
        except SpreadsheetError as error:
            last_error = error
    raise last_error or SpreadsheetError(Text("spreadsheet.no_sheet", package=PACKAGE))


def _parse_csv(content: bytes) -> Parsed:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise SpreadsheetError(Text("spreadsheet.unknown_charset", package=PACKAGE))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        table = [tuple(row) for row in reader]
    except csv.Error as error:
        said = str(error)
        problem: Text | str = next((t for known, t in CSV_PROBLEMS.items() if said.startswith(known)), said)
        reason = Text("spreadsheet.csv_unreadable", package=PACKAGE, line=reader.line_num, problem=problem)
        raise SpreadsheetError(reason) from None
    return Parsed(rows=_rows(table), round_id=None, sheet="csv")
