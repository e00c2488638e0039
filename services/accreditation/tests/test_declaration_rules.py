"""The RGS declarations' rules and PDF, without servers: who gets which form, who gets none, the
verification code, the gateway's confirmation, and the PDF read back as text (pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, date, datetime

import pytest
from spiegel_accreditation.declarations import model
from spiegel_accreditation.declarations.pdf import Declaration, declaration_pdf


def test_the_form_follows_employment_and_unknown_is_refused() -> None:
    assert model.form_for("self_employed") == model.PARTICIPATION
    assert model.form_for("employed") == model.COMBINED
    for unknown in (None, "", "freelance"):
        with pytest.raises(model.Refused) as refused:
            model.form_for(unknown)
        assert (refused.value.field, refused.value.code) == ("employment", "employment_unknown")


@pytest.mark.parametrize("status", ["present", "partial"])
def test_present_or_partly_present_at_an_ifms_discussion_is_eligible(status: str) -> None:
    model.check_eligible("IFMS", status)


@pytest.mark.parametrize("status", ["absent", None, "unknown"])
def test_who_did_not_attend_is_refused_naming_the_person(status: str | None) -> None:
    with pytest.raises(model.Refused) as refused:
        model.check_eligible("IFMS", status)
    assert (refused.value.field, refused.value.code) == ("person_id", "not_attended")


def test_a_group_monitor_discussion_gives_no_declaration() -> None:
    with pytest.raises(model.Refused) as refused:
        model.check_eligible("GROUP_MONITOR", "present")
    assert refused.value.code == "group_monitor"


def test_codes_are_unguessable_grouped_and_read_back_loosely() -> None:
    codes = {model.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = next(iter(codes))
    assert len(code) == 16 and model.normalise_code(code) == code
    shown = model.grouped(code)
    assert shown.count("-") == 3 and len(shown) == 19
    assert model.normalise_code(shown.lower()) == code
    assert model.normalise_code(" ".join(shown.split("-"))) == code
    for bad in ("", "ABC", code + "A", code[:-1] + "1", "<script>", "A" * 64):
        assert model.normalise_code(bad) is None
    assert model.code_key(code) != code and len(model.code_key(code)) == 64


def test_a_confirmation_must_be_present_fresh_and_the_callers_own() -> None:
    now = time.time()
    fresh = {"confirmation": {"id": "c1", "at": now - 5, "sub": "f1"}}
    assert model.check_confirmation(fresh, "f1", now).id == "c1"
    cases = [
        ({}, "confirmation_required"),
        ({"confirmation": "yes"}, "confirmation_required"),
        ({"confirmation": {"id": "c1", "at": now, "sub": "someone-else"}}, "confirmation_required"),
        ({"confirmation": {"id": "", "at": now, "sub": "f1"}}, "confirmation_required"),
        ({"confirmation": {"id": "c1", "at": now - 600, "sub": "f1"}}, "confirmation_stale"),
        ({"confirmation": {"id": "c1", "at": now + 600, "sub": "f1"}}, "confirmation_stale"),
        ({"confirmation": {"refused": "password_wrong"}}, "password_wrong"),
        ({"confirmation": {"refused": "too_many_attempts"}}, "too_many_attempts"),
        ({"confirmation": {"refused": "no_password"}}, "no_password"),
        ({"confirmation": {"refused": "anything"}}, "password_wrong"),
    ]
    for claims, code in cases:
        with pytest.raises(model.Refused) as refused:
            model.check_confirmation(claims, "f1", now)
        assert (refused.value.field, refused.value.code) == ("password", code), claims


def _declaration(form: str) -> Declaration:
    return Declaration(
        form=form,
        name="Dr. A. <b>de Vries</b>",
        big_number="01234567890",
        specialism="Cardiologie",
        hospital="Ziekenhuis Noord",
        day=date(2026, 11, 20),
        system=model.SYSTEM,
        facilitator="F. Leider",
        signed_at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        code="ABCDEFGHIJKLMNOP",
        verify_url="https://noord.spiegel.example/verklaring/ABCD-EFGH-IJKL-MNOP",
    )


def _text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:  # poppler-utils
        pytest.skip("pdftotext not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_the_self_employed_declaration_reads_back_in_dutch_and_english() -> None:
    nl = _text(declaration_pdf(_declaration(model.PARTICIPATION), "nl"))
    assert "Verklaring deelname evaluatie individueel functioneren" in nl
    for value in (
        "Dr. A. <b>de Vries</b>",  # as text, not markup
        "01234567890",  # the leading zero kept
        "Cardiologie",
        "Ziekenhuis Noord",
        "2026-11-20",
        "IFMS",
        "F. Leider",
        "ABCD-EFGH-IJKL-MNOP",
        "https://noord.spiegel.example/verklaring/ABCD-EFGH-IJKL-MNOP",
    ):
        assert value in nl, value
    assert "bestuurder" not in nl  # the facilitator's own declaration: no board line
    en = _text(declaration_pdf(_declaration(model.PARTICIPATION), "en"))
    assert "Declaration of participation in an evaluation of individual functioning" in en
    assert "Facilitator" in en and "BIG number" in en


def test_the_employed_form_has_lines_for_the_specialist_and_the_board() -> None:
    nl = _text(declaration_pdf(_declaration(model.COMBINED), "nl"))
    assert "Verklaring werkzaamheden en deelname individueel functioneren" in nl
    assert "Handtekening medisch specialist" in nl and "Handtekening bestuurder / werkgever" in nl
    assert "Digitaal ondertekend door F. Leider" in nl
    en = _text(declaration_pdf(_declaration(model.COMBINED), "en"))
    assert "Signature of the board / employer" in en
