"""Checking a people spreadsheet row by row, before anything is saved. Pure: no I/O.

Every problem names its row and column and says what is wrong in Dutch and English. Where the
fix is clear (spaces around a value, an address in capitals, a role spelled differently, a BIG
number without its leading zeros) it is offered as a suggestion, applied only when the person
ticks it: what is saved is what the file says, or what the person chose. Errors keep a row out;
a warning lets the person decide (the row is saved only when ticked).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from spiegel_platform.auth import roles
from spiegel_platform.big_numbers import BigNumberError, big_number
from spiegel_platform.i18n import texts
from spiegel_platform.mail_addresses import deliverable_address
from spiegel_platform.names import is_hidden_control, one_line

from spiegel_gateway.groups.model import MAX_NAME as MAX_GROUP_NAME
from spiegel_gateway.groups.model import name_key
from spiegel_gateway.people.spreadsheet import PACKAGE, RowIn

ERROR = "error"
WARNING = "warning"
MAX_NAME = 200
MAX_TEXT = 100
# How a role may be written (lower-case) -> its code; the first spelling is the one suggested.
ROLE_SPELLINGS: dict[str, tuple[str, ...]] = {
    roles.SPECIALIST: ("specialist", "medisch specialist", "medical specialist"),
    roles.COORDINATOR: ("coördinator", "coordinator"),
    roles.FACILITATOR: ("gespreksleider", "facilitator"),
    roles.TENANT_ADMIN: ("beheerder", "administrator", "admin", "tenant_admin"),
    roles.BOARD: ("bestuur", "board", "msb", "bestuurslid", "board member"),
}
EMPLOYMENT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "employed": ("loondienst", "in loondienst", "employed", "salaried"),
    "self_employed": ("vrijgevestigd", "self-employed", "self employed", "self_employed", "zelfstandig"),
}


@dataclass
class Problem:
    column: str
    kind: str
    severity: str
    message: str
    message_en: str
    suggestion: str | None = None


@dataclass
class RowResult:
    row: int
    values: dict[str, str]  # as typed (with the ticked suggestions applied)
    problems: list[Problem] = field(default_factory=list)
    person: dict[str, Any] | None = None  # what would be saved, when the row has no error
    group: str | None = None  # the group the row names, when that column has no error

    @property
    def status(self) -> str:
        if any(p.severity == ERROR for p in self.problems):
            return ERROR
        return WARNING if self.problems else "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "values": self.values,
            "status": self.status,
            "problems": [asdict(p) for p in self.problems],
            "person": self.person,
        }

    def add(
        self, column: str, kind: str, severity: str, suggestion: str | None = None, **params: Any
    ) -> None:
        both = texts(f"people_import.{kind}", (PACKAGE,), **params)
        self.problems.append(Problem(column, kind, severity, both["nl"], both["en"], suggestion))


@dataclass
class Context:
    grantable: set[str]  # the roles the importing person may hand out
    existing: dict[str, str] = field(default_factory=dict)  # stored address -> name, in this hospital
    names: set[str] = field(default_factory=set)  # the names of the hospital's people (lower-case)
    groups: dict[str, str] = field(default_factory=dict)  # name_key -> the group's name, in this hospital
    language: str = "nl"  # of the people imported (their mails)


def _resolve(value: str, spellings: dict[str, tuple[str, ...]]) -> tuple[str | None, str | None]:
    """(code, None) for a known spelling; (None, suggested spelling) for a near one; (None, None)."""
    wanted = " ".join(value.strip().lower().split())
    for code, known in spellings.items():
        if wanted in known:
            return code, None
    every = {s: code for code, known in spellings.items() for s in known}
    close = difflib.get_close_matches(wanted, list(every), n=1, cutoff=0.7)
    if not close:  # "specialisten", "coordinatoren": a plural, or a longer word around a known one
        close = [s for s in every if len(s) >= 5 and (wanted.startswith(s) or s in wanted)][:1]
    return None, (spellings[every[close[0]]][0] if close else None)


def _plain_text(result: RowResult, column: str, value: str, longest: int) -> str | None:
    """A name-like text: refused with hidden characters (the cleaned text offered), angle
    brackets or too long; spaces around it offered to be trimmed. None when it is refused."""
    if any(is_hidden_control(c) for c in value):
        cleaned = one_line(value)
        result.add(column, "hidden_characters", ERROR, cleaned or None)
        return None
    if "<" in value or ">" in value:
        result.add(column, "angle_brackets", ERROR)
        return None
    if len(value.strip()) > longest:
        result.add(column, "too_long", ERROR, most=longest, length=len(value.strip()))
        return None
    tidy = " ".join(value.split())
    if tidy != value:
        result.add(column, "spaces", ERROR, tidy)
        return None
    return value


def _roles(result: RowResult, value: str, ctx: Context) -> list[str] | None:
    if not value.strip():
        result.add("role", "missing_role", ERROR)
        return None
    codes: list[str] = []
    parts = [p for p in value.replace(";", ",").replace("/", ",").replace("+", ",").split(",") if p.strip()]
    suggestions: list[str] = []
    unknown: list[str] = []
    for part in parts:
        code, near = _resolve(part, ROLE_SPELLINGS)
        if code:
            codes.append(code)
            suggestions.append(part.strip())
        else:
            unknown.append(part.strip())
            suggestions.append(near or "")
    if unknown:
        fixed = ", ".join(suggestions) if all(suggestions) else None
        result.add(
            "role",
            "unknown_role",
            ERROR,
            fixed,
            role=", ".join(unknown),
            known=", ".join(s[0] for s in ROLE_SPELLINGS.values()),
        )
        return None
    codes = list(dict.fromkeys(codes))
    if not set(codes) <= ctx.grantable:
        result.add("role", "role_not_grantable", ERROR, role=value.strip())
        return None
    return codes


def check_rows(rows: Sequence[RowIn], ctx: Context) -> list[RowResult]:
    results: list[RowResult] = []
    seen: dict[str, int] = {}  # stored address -> first row
    for raw in rows:
        values = {k: raw.values.get(k, "") for k in raw.values}
        result = RowResult(row=raw.row, values=values)
        results.append(result)
        for column in raw.formulas:
            result.add(column, "formula", ERROR)
        for column in raw.merged:
            result.add(column, "merged", ERROR)
        name = values.get("name", "")
        if not name.strip():
            result.add("name", "missing_name", ERROR)
            clean_name = None
        else:
            clean_name = _plain_text(result, "name", name, MAX_NAME)
            if clean_name and clean_name.lower() in ctx.names:
                result.add("name", "same_name", WARNING, name=clean_name)

        address = None
        email = values.get("email", "")
        if not email.strip():
            result.add("email", "missing_email", ERROR)
        else:
            try:
                stored = deliverable_address(email.strip()).lower()
            except ValueError:
                result.add("email", "invalid_email", ERROR, email=email.strip())
            else:
                if stored != email:
                    kind = "email_ascii_domain" if not email.strip().isascii() else "email_form"
                    result.add("email", kind, ERROR, stored, email=stored)
                else:
                    address = stored
                key = stored
                if key in ctx.existing:
                    result.add("email", "email_registered", ERROR, email=key, name=ctx.existing[key])
                    address = None
                elif key in seen:
                    # The first row with the address stands; each later one is refused, naming it.
                    result.add("email", "email_twice", ERROR, email=key, row=seen[key])
                    address = None
                else:
                    seen[key] = raw.row

        wanted_roles = _roles(result, values.get("role", ""), ctx)

        specialism = values.get("specialism", "")
        if specialism:
            specialism = _plain_text(result, "specialism", specialism, MAX_TEXT) or ""
        group = values.get("group", "")
        if group:
            group = _plain_text(result, "group", group, MAX_GROUP_NAME) or ""
        if group and wanted_roles is not None and roles.SPECIALIST not in wanted_roles:
            result.add("group", "group_needs_specialist", ERROR, group=group)
        elif group:
            group = ctx.groups.get(name_key(group), group)  # an existing group's name as it is spelled
            result.group = group

        employment: str | None = None
        if values.get("employment", "").strip():
            employment, near = _resolve(values["employment"], EMPLOYMENT_SPELLINGS)
            if employment is None:
                result.add(
                    "employment", "unknown_employment", ERROR, near, employment=values["employment"].strip()
                )

        big: str | None = None
        typed_big = values.get("big_number", "")
        if typed_big.strip():
            try:
                big = big_number(typed_big)
            except BigNumberError as error:
                both = {lang: error.reason.in_language(lang) for lang in ("nl", "en")}
                result.add("big_number", "big_number", ERROR, reason=both["nl"])
                result.problems[-1].message_en = texts(
                    "people_import.big_number", (PACKAGE,), reason=both["en"]
                )["en"]
            else:
                if big != typed_big:
                    result.add("big_number", "big_number_padded", ERROR, big, big_number=big)

        if result.status != ERROR and address and clean_name and wanted_roles:
            result.person = {
                "display_name": clean_name,
                "email": address,
                "roles": wanted_roles,
                "language": ctx.language,
                "specialism": specialism or None,
                "group": group or None,
                "employment": employment,
                "big_number": big,
            }
    for result in results:
        if result.status == ERROR:
            result.person = None
    return results


def apply_suggestions(
    rows: Sequence[RowIn], chosen: set[tuple[int, str]], suggested: dict[tuple[int, str], str]
) -> list[RowIn]:
    """The rows with the chosen suggestions put in place of what was typed (nothing else)."""
    changed = []
    for raw in rows:
        values = dict(raw.values)
        for column in list(values):
            if (raw.row, column) in chosen and (raw.row, column) in suggested:
                values[column] = suggested[(raw.row, column)]
        changed.append(RowIn(raw.row, values, list(raw.formulas), list(raw.merged)))
    return changed


def new_groups(results: Sequence[RowResult], ctx: Context) -> list[str]:
    """The groups the rows name that the hospital does not have yet (made on confirmation of a
    row that names one)."""
    found: dict[str, str] = {}
    for result in results:
        group = result.group
        if group and name_key(group) not in ctx.groups:
            found.setdefault(name_key(group), group)
    return sorted(found.values(), key=str.casefold)


def new_group_details(name: str, specialisms: Sequence[str | None]) -> tuple[str, str]:
    """(kind, specialism) of a group the import makes: a maatschap when its name says so (the
    template's example is "Maatschap Cardiologie"), else a vakgroep; the specialism its rows share,
    when every row that names the group gives the same one (else none: the group's page sets it)."""
    kind = "maatschap" if name.strip().lower().startswith("maatschap") else "vakgroep"
    given = [" ".join(s.split()) for s in specialisms if s and s.strip()]
    shared = {s.casefold() for s in given}
    specialism = given[0] if len(shared) == 1 and len(given) == len(specialisms) else ""
    return kind, specialism


def summary(results: Sequence[RowResult]) -> dict[str, int]:
    counts = {"rows": len(results), "ok": 0, "warnings": 0, "errors": 0}
    for r in results:
        counts[{"ok": "ok", WARNING: "warnings", ERROR: "errors"}[r.status]] += 1
    return counts
