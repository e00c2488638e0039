"""Group discussion invitations: who gets which mail and when, and the calendar file. No servers."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from spiegel_invitation.discussions import mails
from spiegel_invitation.discussions.model import (
    CANCELLATION,
    CANCELLED,
    CHANGED,
    INVITATION,
    PLANNED,
    Decision,
    days_ahead_of,
    decide,
    discussion_letter,
    invite_at,
    next_wake,
    now_due,
    still_waiting,
)
from spiegel_invitation.mail.due import NotYet, Skip, Undeliverable
from spiegel_invitation.mail.message import build_message
from spiegel_invitation.mail.render import MailRenderer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = {
    "p1": {"display_name": "Dr. A. de Vries", "email": "a@umc.example", "language": "nl"},
    "p2": {"display_name": "Dr. B. Jansen", "email": "b@umc.example", "language": "en"},
    "p3": {"display_name": "Dr. C. Bakker", "email": "c@umc.example", "language": "nl"},
    "f1": {"display_name": "Drs. F. Leider", "email": "f@umc.example", "language": "nl"},
}


def session(
    version: int = 1, *, starts: datetime | None = None, people: tuple[str, ...] = ("p1", "p2"), **extra: Any
) -> dict[str, Any]:
    start = starts or NOW + timedelta(days=20)
    return {
        "session_id": "s1",
        "kind": "IFMS",
        "participants": [{"person_id": p, "round_id": f"r-{p}"} for p in people],
        "facilitator_ids": ["f1"],
        "starts_at": start,
        "ends_at": start + timedelta(hours=2, minutes=30),
        "location": "Vergaderzaal 3",
        "online_url": "",
        "version": version,
        **extra,
    }


def stored(decision: Decision, after: dict[str, Any]) -> dict[str, Any]:
    return {**after, "state": decision.state, "people": decision.people}


def by_person(decision: Decision) -> dict[str, dict[str, Any]]:
    return {m["person_id"]: m for m in decision.mails}


def test_invitations_are_due_the_configured_days_ahead_or_at_once() -> None:
    assert invite_at(NOW + timedelta(days=20), 7, NOW) == NOW + timedelta(days=13)
    assert invite_at(NOW + timedelta(days=3), 7, NOW) == NOW
    assert days_ahead_of(None) == 7
    assert days_ahead_of({"discussion_invitation_days_ahead": 10}) == 10
    assert days_ahead_of({"discussion_invitation_days_ahead": "10"}) == 7
    assert days_ahead_of({"discussion_invitation_days_ahead": 500}) == 60


def test_planning_invites_participants_and_facilitators_a_week_ahead() -> None:
    decision = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    mails_ = by_person(decision)
    assert set(mails_) == {"p1", "p2", "f1"}
    assert {m["template"] for m in decision.mails} == {INVITATION}
    assert {m["due"] for m in decision.mails} == {NOW + timedelta(days=13)}
    assert mails_["f1"]["role"] == "facilitator" and mails_["p1"]["role"] == "participant"
    assert mails_["p1"]["id"] == "discussion:s1:1:p1"


def test_a_change_before_the_invitations_went_out_sends_one_invitation_with_the_latest_state() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    moved = session(2, starts=NOW + timedelta(days=30))
    second = decide(stored(first, session()), moved, CHANGED, changes=["schedule"], days_ahead=7, now=NOW)
    # Nobody was told yet: no cancellation, no "changed" mail; a new invitation at the new moment.
    assert {m["template"] for m in second.mails} == {INVITATION}
    assert {m["due"] for m in second.mails} == {NOW + timedelta(days=23)}
    assert not any(m["update"] for m in second.mails)
    later = NOW + timedelta(days=13)  # the first invitations' moment: they are passed over
    with pytest.raises(Skip, match="superseded"):
        letter(first.mails[0], stored(second, moved), now=later)
    assert (
        letter(second.mails[0], stored(second, moved), now=NOW + timedelta(days=23)).calendar["sequence"] == 2
    )


def test_a_change_after_the_invitations_went_out_updates_everyone_at_once() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    later = NOW + timedelta(days=14)
    moved = session(2, location="Zaal 5")
    second = decide(stored(first, session()), moved, CHANGED, changes=["place"], days_ahead=7, now=later)
    assert {m["person_id"] for m in second.mails} == {"p1", "p2", "f1"}
    assert all(m["update"] and m["due"] == later for m in second.mails)
    mail = letter(by_person(second)["p1"], stored(second, moved), now=later)
    assert mail.calendar["method"] == "REQUEST" and mail.calendar["sequence"] == 2
    assert mail.context["location"] == "Zaal 5" and mail.context["is_update"]


def test_a_swap_concerns_only_the_two_people_swapped() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    later = NOW + timedelta(days=14)
    swapped = session(2, people=("p1", "p3"))
    second = decide(
        stored(first, session()), swapped, CHANGED, changes=["participants"], days_ahead=7, now=later
    )
    mails_ = by_person(second)
    assert set(mails_) == {"p2", "p3"}
    assert mails_["p2"]["template"] == CANCELLATION and mails_["p3"]["template"] == INVITATION
    assert not mails_["p3"]["update"]
    doc = stored(second, swapped)
    cancel = letter(mails_["p2"], doc, now=later)
    assert cancel.calendar["method"] == "CANCEL" and cancel.calendar["sequence"] == 2
    joined = letter(mails_["p3"], doc, now=later)
    assert joined.calendar["method"] == "REQUEST"
    # The one leaving and the one staying keep their own calendar event (their own UID).
    assert (
        cancel.calendar["uid"] == letter(first.mails[1], stored(first, session()), now=later).calendar["uid"]
    )
    assert cancel.calendar["uid"] != joined.calendar["uid"]
    # p1's pending first invitation (if it were still queued) is not superseded by a swap.
    assert letter(by_person(first)["p1"], doc, now=later).calendar["sequence"] == 2


def test_a_swapped_out_person_never_invited_gets_no_cancellation() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    swapped = session(2, people=("p1", "p3"))
    second = decide(
        stored(first, session()), swapped, CHANGED, changes=["participants"], days_ahead=7, now=NOW
    )
    assert set(by_person(second)) == {"p3"}
    with pytest.raises(Skip, match="no longer"):
        letter(by_person(first)["p2"], stored(second, swapped), now=NOW + timedelta(days=13))


def test_cancelling_cancels_for_those_who_were_told_and_stops_pending_invitations() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    early = decide(stored(first, session()), session(2), CANCELLED, days_ahead=7, now=NOW)
    assert early.mails == [] and early.state == CANCELLED
    with pytest.raises(Skip, match="cancelled"):
        letter(first.mails[0], stored(early, session(2)), now=NOW + timedelta(days=13))
    later = NOW + timedelta(days=14)
    late = decide(stored(first, session()), session(2), CANCELLED, days_ahead=7, now=later)
    assert {m["person_id"] for m in late.mails} == {"p1", "p2", "f1"}
    assert {m["template"] for m in late.mails} == {CANCELLATION}
    assert letter(late.mails[0], stored(late, session(2)), now=later).calendar["method"] == "CANCEL"


def test_a_session_that_started_or_is_unknown_or_a_person_without_address() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    with pytest.raises(Skip, match="started"):
        letter(first.mails[0], stored(first, session()), now=NOW + timedelta(days=21))
    with pytest.raises(NotYet):
        discussion_letter(first.mails[0], discussion=None, person=PEOPLE["p1"], now=NOW)
    with pytest.raises(NotYet, match="directory"):
        discussion_letter(first.mails[0], discussion=stored(first, session()), person=None, now=NOW)
    with pytest.raises(Undeliverable):  # not there after many tries: recorded as failed (no address)
        discussion_letter(
            {**first.mails[0], "attempt": 15}, discussion=stored(first, session()), person=None, now=NOW
        )
    with pytest.raises(Undeliverable):
        discussion_letter(first.mails[0], discussion=stored(first, session()), person={"email": ""}, now=NOW)


def letter(entry: dict[str, Any], doc: dict[str, Any], *, now: datetime) -> Any:
    return discussion_letter(
        {**entry, "tenant_id": "umc"},
        discussion=doc,
        person=PEOPLE[entry["person_id"]],
        facilitators=[PEOPLE["f1"]],
        report_id="rep-" + entry["person_id"],
        now=now,
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_message_carries_the_practical_information_and_a_calendar_file(language: str) -> None:
    first = decide(
        None, session(starts=datetime(2026, 6, 15, 12, 0, tzinfo=UTC)), PLANNED, days_ahead=7, now=NOW
    )
    entry = by_person(first)["p1"]
    doc = stored(first, session(starts=datetime(2026, 6, 15, 12, 0, tzinfo=UTC)))
    mail = discussion_letter(
        {**entry, "tenant_id": "umc"},
        discussion=doc,
        person={**PEOPLE["p1"], "language": language},
        facilitators=[PEOPLE["f1"]],
        report_id="rep-1",
        now=NOW,
    )
    context = mails.addressed(mail, base="https://umc.spiegel.example", tenant_name="UMC", time_zone=None)
    rendered = MailRenderer().render(mail.kind, mail.language, context)
    assert "14:00" in rendered.text and "16:30" in rendered.text  # summer time in Amsterdam
    assert "Vergaderzaal 3" in rendered.text and "Drs. F. Leider" in rendered.text
    assert "https://umc.spiegel.example/rapportages/rep-1" in rendered.text
    assert ("thema" if language == "nl" else "themes") in rendered.text
    assert ("juni" if language == "nl" else "June") in rendered.subject
    attached = mails.attachment(mail, rendered, organizer="Spiegel <noreply@umc.example>", time_zone=None)
    assert attached is not None
    message = build_message(
        mail_from="Spiegel <noreply@umc.example>",
        to_name="Dr. A. de Vries",
        to_address="a@umc.example",
        mail=rendered,
        message_id="<x@umc.example>",
        language=language,
        calendar=attached,
    )
    parsed = email.message_from_bytes(message.as_bytes())
    types = [part.get_content_type() for part in parsed.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    ics = next(p for p in parsed.walk() if p.get_content_type() == "application/ics").get_payload(decode=True)
    calendar = icalendar.Calendar.from_ical(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event.get("DTSTART").dt == datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert str(event.get("DTSTART").dt.tzinfo) == "Europe/Amsterdam"
    assert int(event.get("SEQUENCE")) == 1 and str(event.get("STATUS")) == "CONFIRMED"
    assert str(event.get("ATTENDEE")) == "mailto:a@umc.example"
    assert calendar.walk("VTIMEZONE"), "the time zone travels with the file"


def test_mails_not_due_yet_wait_for_the_scheduler_and_are_queued_once_due() -> None:
    first = decide(None, session(), PLANNED, days_ahead=7, now=NOW)
    due = NOW + timedelta(days=13)
    assert next_wake(None, first.mails, NOW) == due
    assert next_wake(NOW + timedelta(days=2), first.mails, NOW) == NOW + timedelta(days=2)
    by_version = {"1": first.mails}
    assert now_due(by_version, None, NOW) == []
    assert len(now_due(by_version, None, due)) == 3
    assert now_due(by_version, due, due + timedelta(minutes=1)) == []  # queued by the last tick
    assert still_waiting(by_version, NOW) == due
    assert still_waiting(by_version, due) is None


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_participants_invitation_carries_the_check_in_link_a_facilitators_none(language: str) -> None:
    from cryptography.fernet import Fernet
    from spiegel_invitation.mail.tokens import LinkTokens

    tokens = LinkTokens(Fernet.generate_key().decode())
    issued = tokens.issue()
    start = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    closes = start + timedelta(days=14, hours=2, minutes=30)
    after = session(starts=start, checkin_closes_at=closes)
    first = decide(None, after, PLANNED, days_ahead=7, now=NOW)
    doc = stored(first, after)
    linked = {**by_person(first)["p1"], "token_hash": issued.token_hash, "token_sealed": issued.sealed}
    mail = discussion_letter(
        {**linked, "tenant_id": "umc"},
        discussion=doc,
        person={**PEOPLE["p1"], "language": language},
        now=NOW,
    )
    assert mail.token_sealed == issued.sealed
    token = tokens.open(mail.token_sealed, mail.token_hash)
    context = mails.addressed(
        mail, base="https://umc.spiegel.example", tenant_name="UMC", time_zone=None, token=token
    )
    rendered = MailRenderer().render(mail.kind, mail.language, context)
    link = f"https://umc.spiegel.example/a/{issued.token}"
    assert link in rendered.text and link in rendered.html
    assert "14:00" in rendered.text  # opens at the start, in Amsterdam time
    assert ("29 juni 2026, 16:30" if language == "nl" else "29 June 2026, 16:30") in rendered.text
    assert ("alleen voor u" if language == "nl" else "for you alone") in rendered.text
    unlinked = mails.without_checkin_link(context)
    assert unlinked is not None
    assert issued.token not in MailRenderer().render(mail.kind, mail.language, unlinked).text
    # The facilitator's invitation has no link, even if an entry carried one.
    facilitator = {**by_person(first)["f1"], "token_hash": issued.token_hash, "token_sealed": issued.sealed}
    theirs = discussion_letter(
        {**facilitator, "tenant_id": "umc"}, discussion=doc, person=PEOPLE["f1"], now=NOW
    )
    assert theirs.token_sealed == ""
    context = mails.addressed(theirs, base="https://umc.spiegel.example", tenant_name="UMC", time_zone=None)
    assert "/a/" not in MailRenderer().render(theirs.kind, theirs.language, context).text
    assert mails.without_checkin_link(context) is None
