"""The group plans' check mails (the action-plan service's GroupPlanCheckDue), without servers:
to each recipient, in their language, with the link to the check page; a reminder says so."""

from __future__ import annotations

import pytest
from spiegel_invitation.mail import due
from spiegel_invitation.mail.due import Undeliverable
from spiegel_invitation.mail.queue import plan_check_key
from spiegel_invitation.mail.render import MailRenderer

BASE = "https://umc.spiegel.example"
PERSON = {"id": "p1", "email": "jan@umc.example", "display_name": "Dr. J. Jansen", "language": "en"}
ENTRY = {"template": "plan_check", "plan_id": "p/1", "check_id": "c1", "person_id": "p1", "reminder": 0}


def test_one_key_per_check_reminder_and_person() -> None:
    assert plan_check_key("c1", 0, "p1") == "plan-check:c1:0:p1"
    assert plan_check_key("c1", 2, "p1") != plan_check_key("c1", 1, "p1")


@pytest.mark.parametrize(
    ("lang", "reminder", "subject"),
    [
        ("nl", 0, "Controle van het plan van aanpak van uw groep"),
        ("en", 0, "Check of your group's action plan"),
        ("nl", 1, "Herinnering: controle van het plan van aanpak van uw groep"),
        ("en", 2, "Reminder: check of your group's action plan"),
    ],
)
def test_the_mail_links_to_the_check_in_the_readers_language(lang: str, reminder: int, subject: str) -> None:
    letter = due.letter({**ENTRY, "reminder": reminder}, person={**PERSON, "language": lang})
    assert (letter.kind, letter.to, letter.language) == ("plan_check", "jan@umc.example", lang)
    context = due.addressed(letter, base=BASE, tenant_name="UMC", token=None)
    link = f"{BASE}/groepsplannen/p%2F1/controles/c1"
    assert context["check_link"] == link
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert mail.subject == subject
    assert link in mail.text and f'href="{link}"' in mail.html
    assert "Dr. J. Jansen" in mail.text


def test_no_address_is_undeliverable() -> None:
    with pytest.raises(Undeliverable):
        due.letter(ENTRY, person=None)
    with pytest.raises(Undeliverable):
        due.letter(ENTRY, person={**PERSON, "email": ""})


BOARD = {**PERSON, "roles": ["board"], "active": True}
OVERVIEW = {"template": "board_overview", "overview_id": "o1", "year": 2027, "person_id": "p1"}


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("nl", "Jaaroverzicht 2027 van de plannen van aanpak van de groepen"),
        ("en", "Yearly overview 2027 of the groups' action plans"),
    ],
)
def test_the_boards_yearly_overview_links_to_its_pdf(lang: str, subject: str) -> None:
    from spiegel_invitation.mail.queue import board_overview_key

    assert board_overview_key("o1", "p1") == "board-overview:o1:p1"
    letter = due.letter(OVERVIEW, person={**BOARD, "language": lang})
    assert (letter.kind, letter.to, letter.language) == ("board_overview", "jan@umc.example", lang)
    context = due.addressed(letter, base=BASE, tenant_name="UMC", token=None)
    mail = MailRenderer().render(letter.kind, letter.language, context)
    assert mail.subject == subject
    assert f"{BASE}/bestuur/groepsplannen.pdf" in mail.text
    assert f'href="{BASE}/bestuur/groepsplannen.pdf"' in mail.html
    assert "Dr. J. Jansen" in mail.text


def test_the_yearly_overview_goes_to_active_board_members_only() -> None:
    with pytest.raises(due.Skip):
        due.letter(OVERVIEW, person={**BOARD, "roles": ["specialist"]})
    with pytest.raises(due.Skip):
        due.letter(OVERVIEW, person={**BOARD, "active": False})
    with pytest.raises(Undeliverable):
        due.letter(OVERVIEW, person=None)
