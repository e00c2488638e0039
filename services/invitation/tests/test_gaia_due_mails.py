"""The GAIA deadline mail to the coordinators (the accreditation service's GaiaRegistrationDue),
without servers: the session's day, how many, the deadline, the link, in the reader's language;
never a name or a BIG number; nobody without an address or no longer a coordinator."""

from __future__ import annotations

from typing import Any

import pytest
from spiegel_invitation.mail import due
from spiegel_invitation.mail.due import Skip, Undeliverable
from spiegel_invitation.mail.queue import gaia_due_key
from spiegel_invitation.mail.render import MailRenderer

BASE = "https://zhn.spiegel.example"
COORDINATOR = {
    "id": "c1",
    "email": "cora@zhn.example",
    "display_name": "Cora Coördinator",
    "language": "nl",
    "roles": ["coordinator"],
    "active": True,
}


def entry(**changes: Any) -> dict[str, Any]:
    return {
        "id": gaia_due_key("s1", "2027-03-08", "c1"),
        "template": "gaia_due",
        "session_id": "s1",
        "person_id": "c1",
        "deadline": "2027-03-08",
        "to_register": 3,
        "session_day": "2027-01-25",
        **changes,
    }


def test_the_key_names_one_mail_per_session_deadline_and_coordinator() -> None:
    assert gaia_due_key("s1", "2027-03-08", "c1") == "gaia-due:s1:2027-03-08:c1"
    assert gaia_due_key("s1", "2027-03-08", "c1", last_day=True) == "gaia-due:s1:2027-03-08:c1:last"


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("nl", "Vandaag de laatste dag: presentie in GAIA registreren (maandag 8 maart 2027)"),
        ("en", "Today is the last day: register attendance in GAIA (Monday 8 March 2027)"),
    ],
)
def test_the_deadline_days_reminder_says_it_is_the_last_day(lang: str, subject: str) -> None:
    letter = due.letter(entry(last_day=True), person={**COORDINATOR, "language": lang})
    context = due.addressed(letter, base=BASE, tenant_name="Z", token=None)
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert mail.subject == subject


@pytest.mark.parametrize(
    ("lang", "subject", "words"),
    [
        (
            "nl",
            "Herinnering: presentie in GAIA registreren vóór maandag 8 maart 2027",
            ("groepsbespreking van maandag 25 januari 2027", "nog 3 deelnemer(s) niet in GAIA"),
        ),
        (
            "en",
            "Reminder: register attendance in GAIA by Monday 8 March 2027",
            ("group discussion of Monday 25 January 2027", "3 participant(s) are not yet registered"),
        ),
    ],
)
def test_the_mail_names_the_day_how_many_and_the_deadline(
    lang: str, subject: str, words: tuple[str, ...]
) -> None:
    letter = due.letter(entry(), person={**COORDINATOR, "language": lang})
    assert (letter.kind, letter.to, letter.language) == ("gaia_due", "cora@zhn.example", lang)
    context = due.addressed(letter, base=BASE, tenant_name="Ziekenhuis Noord", token=None)
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert mail.subject == subject
    for word in words:
        assert word in mail.text and word in mail.html, word
    assert f"{BASE}/nog-te-registreren" in mail.text
    assert f'href="{BASE}/nog-te-registreren"' in mail.html


def test_without_the_sessions_day_the_mail_names_none() -> None:
    letter = due.letter(entry(session_day=""), person=COORDINATOR)
    mail = MailRenderer().render(
        letter.kind, letter.language, due.addressed(letter, base=BASE, tenant_name="Z", token=None)
    )
    assert "Van een groepsbespreking staan nog 3 deelnemer(s)" in mail.text


def test_nobody_without_an_address_or_no_longer_a_coordinator() -> None:
    with pytest.raises(Undeliverable):
        due.letter(entry(), person=None)
    with pytest.raises(Undeliverable):
        due.letter(entry(), person={**COORDINATOR, "email": ""})
    with pytest.raises(Skip):
        due.letter(entry(), person={**COORDINATOR, "active": False})
    with pytest.raises(Skip):
        due.letter(entry(), person={**COORDINATOR, "roles": ["specialist"]})
