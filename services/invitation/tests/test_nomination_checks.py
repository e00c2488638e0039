"""The row-by-row checks of nominations (pure)."""

from __future__ import annotations

from spiegel_invitation.nominations.domains import suggest_domain
from spiegel_invitation.nominations.names import capitalised, is_all_lowercase
from spiegel_invitation.nominations.validation import (
    Context,
    RowIn,
    check_email,
    group_warnings,
    validate_rows,
)
from spiegel_invitation.rounds.model import DEFAULT_IFMS_GROUPS

GROUPS = [g.model_dump() for g in DEFAULT_IFMS_GROUPS]


def ctx(**extra) -> Context:  # type: ignore[no-untyped-def]
    values = {
        "round_id": "r1",
        "round_title": "IFMS 2026",
        "groups": GROUPS,
        "subject_emails": {"a.devries@umc.example"},
        "subject_names": {"a de vries"},
        "known_domains": ["umc.example"],
    }
    values.update(extra)
    return Context(**values)


def kinds(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.kind for p in result.problems}


def test_every_problem_kind_is_reported_by_row_and_column() -> None:
    rows = [
        RowIn(2, "Collega medisch specialisten", "Dr. B. Bakker", "b.bakker@umc.example", "nl"),
        RowIn(3, "colleagues", "C. Claes", "c.claes@@umc.example"),
        RowIn(4, "staff", "D. Dekker", "d.dekker@gmial.com"),
        RowIn(5, "colleagues", "Dr. B. Bakker", "B.Bakker@umc.example"),
        RowIn(6, "staff", "", "e.eerens@umc.example"),
        RowIn(7, "staff", "jan van der berg", "j.vdberg@umc.example"),
        RowIn(8, "colleagues", "Dr. A. de Vries", "a.devries@umc.example"),
        RowIn(9, "Chirurgen", "F. Fransen", "f.fransen@umc.example"),
        RowIn(10, "staff", "G. Gerrits", "g.gerrits@umc.example", round="IFMS 2025"),
        RowIn(11, "flex", "H. Hendriks", "h.hendriks@umcg.nll"),
        RowIn(12, "flex", "K. Kok", "d.dekker@gmial.com"),
        RowIn(13, "", "L. Lam", ""),
        RowIn(14, "self", "M. Mol", "m.mol@umc.example", "fr"),
    ]
    results = {r.row: r for r in validate_rows(rows, ctx())}
    assert results[2].status == "ok" and results[2].group == "colleagues"
    assert kinds(results[3]) == {"invalid_email"}
    typo = results[4].problems[0]
    assert (typo.kind, typo.column, typo.suggestion) == ("domain_typo", "email", "d.dekker@gmail.com")
    assert results[4].email == "d.dekker@gmial.com"  # never changed unasked
    assert kinds(results[5]) == {"duplicate_in_group"} and "rij 2" in results[5].problems[0].message
    assert kinds(results[6]) == {"missing_name"}
    lower = results[7].problems[0]
    assert (lower.kind, lower.severity, lower.suggestion) == ("lowercase_name", "warning", "Jan van der Berg")
    assert results[7].name == "jan van der berg"
    assert "self_nomination" in kinds(results[8])
    assert kinds(results[9]) == {"unknown_group"} and "Medewerkers (staff)" in results[9].problems[0].message
    assert kinds(results[10]) == {"wrong_round"}
    assert results[11].problems[0].suggestion == "h.hendriks@umcg.nl"
    assert "duplicate_across_groups" in kinds(results[12])
    assert "duplicate_across_groups" in kinds(results[4])  # both rows, the coordinator picks one
    assert {"missing_group", "missing_email"} <= kinds(results[13])
    assert {"unknown_group", "unknown_language"} <= kinds(results[14])
    for result in results.values():
        for problem in result.problems:
            assert problem.message and problem.message_en and problem.column


def test_already_nominated_and_rater_fatigue() -> None:
    context = ctx(
        existing={"p.pan@umc.example": ("staff", "P. Pan")}, open_requests={"q.quint@umc.example": 8}
    )
    results = validate_rows(
        [
            RowIn(2, "staff", "P. Pan", "p.pan@umc.example"),
            RowIn(3, "staff", "Q. Quint", "q.quint@umc.example"),
        ],
        context,
    )
    assert kinds(results[0]) == {"already_nominated"}
    fatigue = results[1].problems[0]
    assert fatigue.kind == "rater_fatigue" and fatigue.severity == "warning" and "9" in fatigue.message


def test_groups_below_six_nominees_are_warned_with_the_reason() -> None:
    warnings = group_warnings({"colleagues": 6, "staff": 3}, GROUPS)
    assert [w["group"] for w in warnings] == ["staff", "flex"]
    assert "minder dan 4 ingevulde evaluaties" in warnings[0]["message"]
    assert "fewer than 4 completed" in warnings[0]["message_en"]


def test_domain_suggestions() -> None:
    assert suggest_domain("gmial.com") == "gmail.com"
    assert suggest_domain("hotmial.com") == "hotmail.com"
    assert suggest_domain("umcg.nll") == "umcg.nl"
    assert suggest_domain("gmail.com") is None
    assert suggest_domain("ziekenhuis-zeeland.nl") is None
    assert suggest_domain("rijnstatee.nl") == "rijnstate.nl"
    assert suggest_domain("zkh-noord.nl", ["zkh-noord.nl"]) is None
    assert suggest_domain("zkh-nord.nl", ["zkh-noord.nl"]) == "zkh-noord.nl"
    assert suggest_domain("example.con") == "example.com"


def test_capitals_are_offered_in_the_dutch_way() -> None:
    assert (
        is_all_lowercase("jan jansen") and not is_all_lowercase("Jan jansen") and not is_all_lowercase("123")
    )
    assert capitalised("jan van der berg") == "Jan van der Berg"
    assert capitalised("van der berg") == "Van der Berg"
    assert capitalised("anne-marie jansen-de vries") == "Anne-Marie Jansen-de Vries"
    assert capitalised("dr. o'brien") == "Dr. O'Brien"


def test_addresses_are_stored_as_the_mail_relay_takes_them() -> None:
    # Plain ASCII: an internationalised domain in its xn-- form (mailing the Unicode form
    # crashed the sender); a non-ASCII local part is refused at input, saying why.
    assert check_email("idn@exämple.org") == ("idn@xn--exmple-cua.org", None)
    address, reason = check_email("jörg@example.org")
    assert address is None and reason is not None and "before the @-sign" in reason["en"]
    assert "vóór de @" in reason["nl"] and "ö" in reason["nl"]


def test_an_invalid_address_is_explained_in_the_readers_language() -> None:
    # Walk finding: "The part after the @-sign contains invalid characters" on a Dutch page.
    rows = [
        RowIn(2, "staff", "A. Aap", "a@b@umc.example"),
        RowIn(3, "staff", "B. Beer", "b.beer@umc example.nl"),
        RowIn(4, "staff", "C. Claes", "c.claes"),
        RowIn(5, "staff", "D. Dekker", "d..dekker@umc.example"),
        RowIn(6, "staff", "E. Eerens", "e@localhost"),
    ]
    for result in validate_rows(rows, ctx()):
        problem = result.problems[0]
        assert problem.kind == "invalid_email", problem
        for english in ("The part", "must", "invalid characters", "SPACE", "period"):
            assert english not in problem.message, problem.message
        assert "@" in problem.message_en
    messages = [r.problems[0].message for r in validate_rows(rows, ctx())]
    assert "na de @" in messages[0] and "'@'" in messages[0], messages[0]
    assert "spatie" in messages[1] and "geen @" in messages[2] and "twee punten" in messages[3], messages
    assert "punt" in messages[4], messages[4]


def test_a_name_is_kept_on_one_line_without_control_characters() -> None:
    """A name goes into mail headers, the progress list and the report: what a spreadsheet cell
    may hide (Excel's line break, a NUL, a bell; found by fuzzing), a line separator or a
    direction mark (a name that reads as another) becomes a space."""
    rows = [
        RowIn(2, "staff", "B.\r\nBakker", "b.bakker@umc.example"),
        RowIn(3, "staff", "C.\x00Claes\x07", "c.claes@umc.example"),
        RowIn(4, "staff", "\x0b\x1f", "d.dekker@umc.example"),
        RowIn(5, "staff", "E.\u2028Eerens\u202e", "e.eerens@umc.example"),
    ]
    first, second, blank, marked = validate_rows(rows, ctx())
    assert (first.name, second.name, marked.name) == ("B. Bakker", "C. Claes", "E. Eerens")
    assert kinds(first) == kinds(second) == kinds(marked) == set()
    assert blank.name == "" and "missing_name" in kinds(blank)


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_plain_words() -> None:
    # Walk finding: a PDF renamed to .xlsx was refused with "(CalamineError)".
    import pytest
    from spiegel_invitation.nominations.spreadsheet import SpreadsheetError, parse

    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
    damaged_zip = b"PK\x03\x04" + b"\x00" * 60
    for content in (pdf, damaged_zip):
        with pytest.raises(SpreadsheetError) as refused:
            parse("lijst.xlsx", content)
        for language, plain in (("nl", "geen Excel-bestand"), ("en", "not an Excel file")):
            message = refused.value.reason.in_language(language)
            assert plain in message, message
            assert "Error" not in message and "Calamine" not in message, message


def test_a_group_of_one_nominee_is_warned_in_the_singular() -> None:
    # Walk finding: "heeft 1 genomineerden".
    one, two = group_warnings({"colleagues": 1, "staff": 2, "flex": 6}, GROUPS)
    assert "heeft 1 genomineerde;" in one["message"] and "has 1 nominee;" in one["message_en"], one
    assert "heeft 2 genomineerden;" in two["message"] and "has 2 nominees;" in two["message_en"], two


def test_problems_name_a_group_by_its_label_not_its_code() -> None:
    # Walk finding: "(groep colleagues)" on a Dutch page.
    context = ctx(existing={"p.pan@umc.example": ("colleagues", "P. Pan")})
    results = validate_rows(
        [
            RowIn(2, "staff", "P. Pan", "p.pan@umc.example"),
            RowIn(3, "staff", "Q. Quint", "q.quint@umc.example"),
            RowIn(4, "colleagues", "Q. Quint", "q.quint@umc.example"),
        ],
        context,
    )
    taken = results[0].problems[0]
    assert "(groep Collega medisch specialisten)" in taken.message, taken.message
    assert "colleagues" not in taken.message and "colleagues" not in taken.message_en
    twice = results[2].problems[0]
    assert "groep Medewerkers" in twice.message and "staff" not in twice.message, twice.message
    assert "staff" not in twice.message_en and "colleagues" not in results[1].problems[0].message_en
