"""Rendering and building e-mails (pure): two languages, two parts, headers that cannot be smuggled into."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from spiegel_invitation.mail.message import build_message, header_text
from spiegel_invitation.mail.render import MailRenderer, format_deadline
from spiegel_invitation.rounds.model import ReminderPolicy

CONTEXT = {
    "tenant_name": "UMC Test",
    "recipient_name": "Jan",
    "round_title": "IFMS",
    "subject_name": "Dr. X",
    "deadline": "vrijdag",
    "link": "https://umc.spiegel.example/e/tok",
    "optout_link": "https://umc.spiegel.example/e/tok/afmelden",
    "is_group_monitor": False,
    "is_self": False,
    "min_group_size": 4,
    "version": 1,
    "reason": "",
    "report_title": "Rapport",
    "report_link": "https://umc.spiegel.example/rapportages/r1.v1",
}


@pytest.mark.parametrize("kind", ["invitation", "self_invitation", "reminder", "report_ready"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_mail_has_both_languages_and_parts(kind: str, lang: str) -> None:
    mail = MailRenderer().render(kind, lang, CONTEXT)
    assert mail.subject and mail.text.strip() and "<html" in mail.html
    assert ("Beste" in mail.text) == (lang == "nl")
    assert ("Dear" in mail.text) == (lang == "en")


def test_html_escapes_what_people_typed() -> None:
    mail = MailRenderer().render("invitation", "nl", {**CONTEXT, "recipient_name": "<script>x</script>"})
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<script>x</script>" in mail.text  # plain text is not HTML


def test_deadline_in_amsterdam_time_both_languages() -> None:
    winter = datetime(2026, 1, 9, 16, 0, tzinfo=UTC)
    summer = datetime(2026, 6, 12, 15, 0, tzinfo=UTC)
    assert format_deadline(winter, "nl") == "vrijdag 9 januari 2026 om 17:00 uur"
    assert format_deadline(summer, "nl") == "vrijdag 12 juni 2026 om 17:00 uur"
    assert format_deadline(summer, "en") == "Friday 12 June 2026 at 17:00 (Amsterdam time)"


@pytest.mark.parametrize(
    "hostile",
    [
        "Evil\r\nBcc: victim@evil.example",
        "Evil\nX-Injected: yes",
        "Evil\rX-Injected: yes",
        "Evil\u2028X-Injected: yes",
        "Evil\x85X-Injected: yes",
        "Evil\x00X-Injected: yes",
        "Evil\r\n\r\n<b>body</b>",
    ],
)
def test_header_text_keeps_one_line(hostile: str) -> None:
    cleaned = header_text(hostile)
    assert "\r" not in cleaned and "\n" not in cleaned and "\x00" not in cleaned and "\u2028" not in cleaned
    mail = MailRenderer().render("invitation", "nl", {**CONTEXT, "subject_name": hostile})
    message = build_message(
        mail_from="Spiegel <noreply@umc.example>",
        to_name=hostile,
        to_address="jan@umc.example",
        mail=mail,
        message_id="<x@umc.example>",
        language="nl",
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["X-Injected"] is None and parsed["Bcc"] is None
    assert parsed["To"].addresses[0].addr_spec == "jan@umc.example" and len(parsed["To"].addresses) == 1


def test_reminder_schedule_at_most_three_seven_days_apart_none_in_the_last_day() -> None:
    opens = datetime(2026, 3, 2, 8, tzinfo=UTC)
    policy_ = ReminderPolicy()
    assert policy_.due_times(opens, datetime(2026, 4, 30, tzinfo=UTC)) == [
        datetime(2026, 3, 9, 8, tzinfo=UTC),
        datetime(2026, 3, 16, 8, tzinfo=UTC),
        datetime(2026, 3, 23, 8, tzinfo=UTC),
    ]
    # Closing on 16 March 20:00: the reminder of 16 March 08:00 falls in the last day.
    assert policy_.due_times(opens, datetime(2026, 3, 16, 20, tzinfo=UTC)) == [
        datetime(2026, 3, 9, 8, tzinfo=UTC)
    ]
    assert policy_.next_after(opens, datetime(2026, 4, 30, tzinfo=UTC), 3) is None
    assert ReminderPolicy(max_reminders=0).due_times(opens, datetime(2026, 4, 30, tzinfo=UTC)) == []


def test_encoded_words_cannot_smuggle_a_line_break() -> None:
    hostile = "=?utf-8?q?Evil=0D=0ABcc=3A_victim=40evil.example?="
    mail = MailRenderer().render("invitation", "nl", {**CONTEXT, "subject_name": hostile})
    message = build_message(
        mail_from="Spiegel <noreply@umc.example>",
        to_name=hostile,
        to_address="jan@umc.example",
        mail=mail,
        message_id="<x@umc.example>",
        language="nl",
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert "victim" not in str(parsed["To"].addresses[0].addr_spec)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_ready_mail_links_to_the_report_itself(lang: str) -> None:
    mail = MailRenderer().render("report_ready", lang, CONTEXT)
    assert "https://umc.spiegel.example/rapportages/r1.v1" in mail.text
    assert 'href="https://umc.spiegel.example/rapportages/r1.v1"' in mail.html
