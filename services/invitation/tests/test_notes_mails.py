"""The notes mails (the accreditation service's NotesReleased and NotesOverdue), without servers:
who gets which, in their language, with a link and never any content."""

from __future__ import annotations

import pytest
from spiegel_invitation.mail import due
from spiegel_invitation.mail.due import Undeliverable
from spiegel_invitation.mail.queue import notes_key, notes_overdue_key
from spiegel_invitation.mail.render import MailRenderer

BASE = "https://umc.spiegel.example"
PERSON = {"id": "p1", "email": "jan@umc.example", "display_name": "Dr. J. Jansen", "language": "en"}


def test_keys_name_one_mail_for_good() -> None:
    assert notes_key("s1", "p1") == "notes:s1:p1"
    assert notes_overdue_key("s1", "f1") == "notes-overdue:s1:f1"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_released_mail_links_to_the_notes_in_the_reader_s_language(lang: str) -> None:
    entry = {"id": "notes:s/1:p1", "template": "notes_released", "session_id": "s/1", "person_id": "p1"}
    letter = due.letter(entry, person={**PERSON, "language": lang})
    assert (letter.kind, letter.to, letter.language) == ("notes_released", "jan@umc.example", lang)
    context = due.addressed(letter, base=BASE, tenant_name="UMC", token=None)
    assert context["notes_link"] == f"{BASE}/gespreksverslag/s%2F1"
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert f"{BASE}/gespreksverslag/s%2F1" in mail.text
    assert f'href="{BASE}/gespreksverslag/s%2F1"' in mail.html
    assert (
        mail.subject
        == {"nl": "Uw gespreksverslag staat klaar", "en": "Your discussion notes are ready"}[lang]
    )


def test_overdue_mail_to_the_facilitator_names_the_date_and_how_many() -> None:
    entry = {
        "id": "notes-overdue:s1:f1",
        "template": "notes_overdue",
        "session_id": "s1",
        "person_id": "f1",
        "waiting": 3,
        "due_on": "2027-03-08",
    }
    letter = due.letter(entry, person={**PERSON, "language": "nl"})
    context = due.addressed(letter, base=BASE, tenant_name="UMC", token=None)
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert "maandag 8 maart 2027" in mail.text
    assert "3 deelnemer(s)" in mail.text
    assert f"{BASE}/bespreking/s1/verslagen" in mail.text


def test_no_address_no_mail() -> None:
    entry = {"id": "notes:s1:p1", "template": "notes_released", "session_id": "s1", "person_id": "p1"}
    with pytest.raises(Undeliverable):
        due.letter(entry, person=None)
    with pytest.raises(Undeliverable):
        due.letter(entry, person={"id": "p1", "email": ""})


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_checkin_follow_up_carries_the_personal_link_and_until_when(lang: str) -> None:
    from datetime import datetime

    from spiegel_invitation.mail.queue import checkin_key

    assert checkin_key("s1", "p1") == "checkin:s1:p1"
    entry = {
        "id": "checkin:s1:p1",
        "template": "checkin_followup",
        "session_id": "s1",
        "person_id": "p1",
        "token_sealed": "sealed",
        "token_hash": "hash",
        "closes_at": datetime(2027, 3, 15, 16, 0),  # naive from the database: UTC
    }
    letter = due.letter(entry, person={**PERSON, "language": lang})
    assert (letter.kind, letter.token_sealed, letter.token_hash) == ("checkin_followup", "sealed", "hash")
    assert not letter.unsubscribe
    context = due.addressed(letter, base=BASE, tenant_name="UMC", token="T0KEN-abcdefghijklmnop")
    assert context["checkin_link"] == f"{BASE}/a/T0KEN-abcdefghijklmnop"
    assert "link" not in context and "optout_link" not in context  # never the questionnaire's
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert f"{BASE}/a/T0KEN-abcdefghijklmnop" in mail.text
    assert f'href="{BASE}/a/T0KEN-abcdefghijklmnop"' in mail.html
    assert {"nl": "maandag 15 maart 2027 om 17:00", "en": "Monday 15 March 2027 at 17:00"}[lang] in mail.text
    with pytest.raises(Undeliverable):
        due.letter(entry, person=None)
