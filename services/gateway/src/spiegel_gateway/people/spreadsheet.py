"""The people spreadsheet: a template to download (xlsx or csv, Dutch or English headers) and
reading a filled-in one back, row by row, as the nominations import does (python-calamine).

What a reader of the file cannot see in the values is named too: a formula (its value is what
Excel last computed, which may not be what the person meant), cells merged across rows or
columns (the value sits in one of them only), a hidden sheet (not read). The file itself
refused (not a spreadsheet, too many rows) says so in plain words: no library's class names.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook, SheetVisibleEnum
from spiegel_platform.errors import Text

PACKAGE = "spiegel_gateway"
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
COLUMNS = ("name", "email", "role", "specialism", "group", "employment", "big_number")
REQUIRED = ("name", "email", "role")
HEADERS = {
    "nl": ("Naam", "E-mailadres", "Rol", "Specialisme", "Groep", "Dienstverband", "BIG-nummer"),
    "en": ("Name", "E-mail address", "Role", "Specialism", "Group", "Employment", "BIG number"),
}
SHEET = {"nl": "Mensen", "en": "People"}
# Header spellings read back (lower-case; both languages, and what people type instead).
SPELLINGS: dict[str, set[str]] = {
    "name": {"naam", "name", "volledige naam", "full name"},
    "email": {"e-mailadres", "e-mail", "email", "emailadres", "e-mail address", "email address", "mail"},
    "role": {"rol", "role", "rollen", "roles"},
    "specialism": {"specialisme", "specialism", "specialty", "vakgebied"},
    "group": {"groep", "group", "vakgroep", "maatschap"},
    "employment": {"dienstverband", "employment", "loondienst of vrijgevestigd", "employed or self-employed"},
    "big_number": {"big-nummer", "big nummer", "bignummer", "big number", "big"},
}
EXAMPLES = {
    "nl": (
        "Dr. A. (Anna) de Vries",
        "a.devries@ziekenhuis.nl",
        "specialist",
        "Cardiologie",
        "Maatschap Cardiologie",
        "vrijgevestigd",
        "19012345601",
    ),
    "en": (
        "Dr. A. (Anna) de Vries",
        "a.devries@ziekenhuis.nl",
        "specialist",
        "Cardiology",
        "Cardiology partnership",
        "self-employed",
        "19012345601",
    ),
}
ROLE_CHOICES = {
    "nl": "specialist,coördinator,gespreksleider,beheerder",
    "en": "specialist,coordinator,facilitator,administrator",
}
EMPLOYMENT_CHOICES = {"nl": "loondienst,vrijgevestigd", "en": "employed,self-employed"}


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read as a list of people; `reason` says why (a catalog text)."""

    def __init__(self, key: str, **params: Any) -> None:
        self.reason = Text(f"people_import.{key}", package=PACKAGE, **params)
        super().__init__(str(self.reason))


@dataclass
class RowIn:
    """One row as typed (each column's text), and which of its cells held a formula or were merged."""

    row: int
    values: dict[str, str]
    formulas: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    rows: list[RowIn]
    sheet: str
    hidden_sheets: list[str] = field(default_factory=list)


def template(language: str, kind: str) -> bytes:
    """An empty list with one example row (which the import skips if left in), in `kind` xlsx or csv."""
    headers, example = HEADERS[language], EXAMPLES[language]
    if kind == "csv":
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";")
        writer.writerow(headers)
        writer.writerow(example)
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET[language]
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    for column, title in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font, cell.fill = bold, fill
    for column, value in enumerate(example, start=1):
        sheet.cell(row=2, column=column, value=value)
    for letter, width in zip("ABCDEFG", (32, 34, 18, 22, 28, 16, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    # Choices as an inline list (no hidden sheet: the import names hidden sheets as a problem).
    for letter, choices in (("C", ROLE_CHOICES[language]), ("F", EMPLOYMENT_CHOICES[language])):
        rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=False)
        sheet.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.cell(row=1, column=7).number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def is_example(values: dict[str, str]) -> bool:
    return any(tuple(values.get(c, "") for c in COLUMNS) == tuple(e) for e in EXAMPLES.values())


def _header_map(cells: Sequence[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(cells):
        text = " ".join(str(value or "").strip().lower().split())
        for name, spellings in SPELLINGS.items():
            if text in spellings and name not in found:
                found[name] = index
    return found


def _text(value: Any) -> str:
    """A cell's value as text, as typed (spaces kept: trimming is a fix the person chooses)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _rows(
    table: Sequence[Sequence[Any]],
    formulas: set[tuple[int, int]] | None = None,
    merged: set[tuple[int, int]] | None = None,
) -> list[RowIn]:
    """`formulas`, `merged`: the (row, column) cells (0-based, as in `table`) that are such."""
    header_at, columns = None, {}
    for offset, values in enumerate(table[:20]):
        columns = _header_map(values)
        if all(name in columns for name in REQUIRED):
            header_at = offset
            break
    if header_at is None:
        raise SpreadsheetError("no_header", columns=", ".join(HEADERS["nl"][:3]))
    by_index = {index: name for name, index in columns.items()}
    rows: list[RowIn] = []
    for offset in range(header_at + 1, len(table)):
        cells = table[offset]
        row_values = {name: _text(cells[i]) if i < len(cells) else "" for name, i in columns.items()}
        if not any(v.strip() for v in row_values.values()) or is_example(row_values):
            continue
        if len(rows) >= MAX_ROWS:
            counted = len(rows) + sum(1 for later in table[offset:] if any(_text(v).strip() for v in later))
            raise SpreadsheetError("too_many_rows", most=MAX_ROWS, rows=counted)
        rows.append(
            RowIn(
                row=offset + 1,
                values=row_values,
                formulas=[by_index[c] for (r, c) in sorted(formulas or ()) if r == offset and c in by_index],
                merged=[by_index[c] for (r, c) in sorted(merged or ()) if r == offset and c in by_index],
            )
        )
    return rows


def parse(filename: str, content: bytes) -> Parsed:
    if not content:
        raise SpreadsheetError("empty")
    if len(content) > MAX_BYTES:
        raise SpreadsheetError("too_large", megabytes=MAX_BYTES // (1024 * 1024))
    if content[:2] == b"PK":
        return _parse_xlsx(content)
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": UTF-16, tab-separated
        return _parse_csv(content)
    looks_like = _other_kind(content)
    if looks_like or filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise SpreadsheetError("not_a_spreadsheet", kind=looks_like or "?")
    return _parse_csv(content)


def _other_kind(content: bytes) -> str:
    """What a file that is no xlsx or csv is, as people call it ("" for text)."""
    known = {
        b"%PDF": "PDF",
        b"\xd0\xcf\x11\xe0": "Excel 97-2003 (.xls)",
        b"\x89PNG": "PNG",
        b"\xff\xd8\xff": "JPEG",
    }
    for magic, name in known.items():
        if content.startswith(magic):
            return name
    return "?" if b"\x00" in content[:4096] else ""


CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
REF = re.compile(r'\br="([A-Z]+)(\d+)"')
MERGE = re.compile(r'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def _sheet_cells(content: bytes, sheet_index: int) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The formula cells and merged cells of the n-th sheet (0-based), read from its XML: calamine
    gives values only. Best effort: an unusual package layout gives nothing to name."""
    formulas: set[tuple[int, int]] = set()
    merged: set[tuple[int, int]] = set()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            workbook = package.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            ids = re.findall(r'<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"', workbook)
            targets = dict(re.findall(r'<Relationship\b[^>]*\bId="([^"]+)"[^>]*\bTarget="([^"]+)"', rels))
            targets |= {
                k: v
                for v, k in re.findall(r'<Relationship\b[^>]*\bTarget="([^"]+)"[^>]*\bId="([^"]+)"', rels)
            }
            target = targets[ids[sheet_index]].lstrip("/")
            xml = package.read(target if target.startswith("xl/") else f"xl/{target}").decode(
                "utf-8", "replace"
            )
    except (KeyError, IndexError, zipfile.BadZipFile, OSError):
        return formulas, merged
    if "<f" in xml:
        for attributes, inner in CELL.findall(xml):
            if inner and re.search(r"<(?:\w+:)?f\b", inner):
                ref = REF.search(attributes)
                if ref:
                    formulas.add((int(ref.group(2)) - 1, _column_number(ref.group(1))))
    for first_col, first_row, last_col, last_row in MERGE.findall(xml):
        for r in range(int(first_row) - 1, min(int(last_row), MAX_ROWS * 3)):
            for c in range(_column_number(first_col), _column_number(last_col) + 1):
                merged.add((r, c))
    return formulas, merged


def _parse_xlsx(content: bytes) -> Parsed:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception:  # calamine raises several kinds for a damaged file; none helps the reader
        raise SpreadsheetError("xlsx_unreadable") from None
    hidden = [m.name for m in book.sheets_metadata if m.visible != SheetVisibleEnum.Visible]
    visible = [n for n in book.sheet_names if n not in hidden]
    last: SpreadsheetError | None = None
    for name in visible:
        try:
            table = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:
            last = SpreadsheetError("sheet_unreadable", sheet=name)
            continue
        if not _header_map(table[0] if table else []) and not any(
            all(n in _header_map(values) for n in REQUIRED) for values in table[:20]
        ):
            continue
        formulas, merged = _sheet_cells(content, book.sheet_names.index(name))
        try:
            return Parsed(rows=_rows(table, formulas, merged), sheet=name, hidden_sheets=hidden)
        except SpreadsheetError as error:
            last = error
            if error.reason.key.endswith("too_many_rows"):
                raise
    if last is not None:
        raise last
    if hidden:
        raise SpreadsheetError("only_hidden", sheets=", ".join(hidden))
    raise SpreadsheetError("no_header", columns=", ".join(HEADERS["nl"][:3]))


def _parse_csv(content: bytes) -> Parsed:
    # UTF-16 with its byte-order mark (Excel's "Unicode text"), UTF-8 (with or without one), else
    # Windows' Western European code page (Excel's "CSV" on a Dutch Windows): it decodes nearly
    # anything, so a file in yet another code page shows its odd characters in the check.
    encodings = ("utf-16",) if content[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise SpreadsheetError("unknown_charset")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        table = [tuple(row) for row in reader]
    except csv.Error:
        raise SpreadsheetError("csv_unreadable", line=reader.line_num) from None
    formulas = {
        (r, c)
        for r, cells in enumerate(table)
        for c, value in enumerate(cells)
        if r > 0 and value[:1] in ("=", "+", "@") and len(value) > 1
    }
    return Parsed(rows=_rows(table, formulas), sheet="csv")
