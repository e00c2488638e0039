"""Which mails are due and to whom (`mail.due`): the rules alone, no servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from spiegel_invitation.mail import due
from spiegel_invitation.mail.due import NotYet, Skip, Undeliverable

CLOSES = datetime(2027, 3, 5, 16, 0, tzinfo=UTC)
ROUND = {
    "id": "r1",
    "title": "IFMS 2027",
    "subject_name": "Dr. A. de Vries",
    "kind": "IFMS",
    "status": "open",
    "closes_at": CLOSES,
    "min_group_size": 4,
}


def assignment(**extra: Any) -> dict[str, Any]:
    return {
        "id": "a1",
        "round_id": "r1",
        "group": "staff",
        "email": "piet@umc.example",
        "name": "Piet Jansen",
        "language": "nl",
        "token_sealed": "sealed-a1",
        "token_hash": "hash-a1",
        "expires_at": CLOSES,
        **extra,
    }


def reminder(**extra: Any) -> dict[str, Any]:
    return {"id": "a1:reminder:1", "template": "reminder", "assignment_id": "a1", "number": 1, **extra}


def invitation(**extra: Any) -> dict[str, Any]:
    return {"id": "a1:invitation", "template": "invitation", "assignment_id": "a1", **extra}


def letter(entry: dict[str, Any], **documents: Any) -> due.Letter:
    documents.setdefault("assignment", assignment())
    documents.setdefault("round_doc", ROUND)
    return due.letter(entry, **documents)


# -- asking for mail ---------------------------------------------------------------------
def test_a_scheduled_reminder_goes_to_everyone_not_completed_nominees_first() -> None:
    assert due.reminder_recipients(["n1", "n2", "n3"], ["self"], {"n2": True}) == ["n1", "n3", "self"]


def test_a_completed_self_evaluation_gets_no_reminder() -> None:
    assert due.reminder_recipients(["n1"], ["self"], {"self": True}) == ["n1"]
    assert due.reminder_recipients([], [], {}) == []


def row(aid: str, group: str = "staff", **state: Any) -> dict[str, Any]:
    return {
        "assignment_id": aid,
        "group": group,
        "completed": False,
        "withdrawn": False,
        "opted_out": False,
        "invitation": "sent",
        **state,
    }


def test_a_chase_skips_the_completed_withdrawn_opted_out_and_not_issued() -> None:
    rows = [
        row("ok"),
        row("done", completed=True),
        row("gone", withdrawn=True),
        row("out", opted_out=True),
        row("new", invitation="not_issued"),
        row("failed", invitation="failed"),
    ]
    assert [r["assignment_id"] for r in due.chase_recipients(rows)] == ["ok", "failed"]


def test_a_chase_by_group_or_by_person() -> None:
    rows = [row("s1"), row("c1", "colleagues"), row("c2", "colleagues")]
    assert [r["assignment_id"] for r in due.chase_recipients(rows, group="colleagues")] == ["c1", "c2"]
    assert [r["assignment_id"] for r in due.chase_recipients(rows, wanted={"c2", "s1"})] == ["s1", "c2"]
    assert due.chase_recipients(rows, group="staff", wanted={"c1"}) == []


def test_report_readers() -> None:
    assert due.report_readers("IFMS", "spec", []) == ["spec"]
    assert due.report_readers("GROUP_MONITOR", "grp", ["m2", "m1", "m2"]) == ["m1", "m2"]
    # A Groepsmonitor without members falls back to its subject; an empty id is nobody.
    assert due.report_readers("GROUP_MONITOR", "grp", []) == ["grp"]
    assert due.report_readers("IFMS", "", []) == []


# -- sending one mail: whether ---------------------------------------------------------------
def test_an_invitation_to_a_nominee() -> None:
    mail = letter(invitation())
    assert (mail.kind, mail.to, mail.to_name, mail.language) == (
        "invitation",
        "piet@umc.example",
        "Piet Jansen",
        "nl",
    )
    assert mail.unsubscribe and (mail.token_sealed, mail.token_hash) == ("sealed-a1", "hash-a1")
    assert mail.context["round_title"] == "IFMS 2027" and mail.context["is_self"] is False


def test_the_self_evaluation_has_its_own_invitation_and_no_opt_out() -> None:
    mail = letter(invitation(), assignment=assignment(is_self=True))
    assert mail.kind == "self_invitation" and not mail.unsubscribe and mail.context["is_self"] is True
    assert letter(reminder(), assignment=assignment(is_self=True)).kind == "reminder"


def test_withdrawn_is_skipped_before_anything_else_is_looked_at() -> None:
    with pytest.raises(Skip, match="withdrawn"):
        letter(invitation(), assignment=assignment(withdrawn_at=CLOSES), round_doc=None)


def test_a_closed_round_sends_nothing() -> None:
    with pytest.raises(Skip, match="closed"):
        letter(invitation(), round_doc={**ROUND, "status": "closed"})


def test_not_yet_written_is_tried_again() -> None:
    with pytest.raises(NotYet, match="assignment"):
        letter(invitation(), assignment=None)
    with pytest.raises(NotYet, match="round"):
        letter(invitation(), round_doc=None)
    with pytest.raises(NotYet, match="report"):
        due.letter({"template": "report_ready", "version": 1}, report=None, person={"email": "x@y.example"})


def test_a_reminder_is_not_sent_after_completion() -> None:
    with pytest.raises(Skip, match="completed"):
        letter(reminder(), progress={"completed": {"a1": True}})
    assert letter(reminder(), progress={"completed": {"a2": True}}).kind == "reminder"
    assert letter(reminder(), progress=None).kind == "reminder"


def test_a_completed_assignment_still_gets_an_invitation_asked_for() -> None:
    # Completion stops reminders; an invitation (or a resend) is not weighed against it.
    assert letter(invitation(), progress={"completed": {"a1": True}}).kind == "invitation"


def test_opted_out_respondents_get_no_reminder_but_the_self_evaluation_has_no_opt_out() -> None:
    with pytest.raises(Skip, match="opted out"):
        letter(reminder(), assignment=assignment(opted_out_at=CLOSES))
    assert letter(reminder(), assignment=assignment(opted_out_at=CLOSES, is_self=True)).kind == "reminder"
    assert letter(invitation(), assignment=assignment(opted_out_at=CLOSES)).kind == "invitation"


def test_completed_is_decided_before_opted_out() -> None:
    with pytest.raises(Skip, match="completed"):
        letter(reminder(), assignment=assignment(opted_out_at=CLOSES), progress={"completed": {"a1": 1}})


def test_no_address_is_a_failure_for_the_coordinator() -> None:
    with pytest.raises(Undeliverable, match=r"^no_address$"):
        letter(invitation(), assignment=assignment(email=""))
    with pytest.raises(Undeliverable, match=r"^no_address$"):
        due.letter({"template": "report_ready"}, report={"title": "R"}, person={"display_name": "X"})
    with pytest.raises(Undeliverable, match=r"^no_address$"):
        due.letter({"template": "report_ready"}, report={"title": "R"}, person=None)


def test_an_unknown_kind_of_mail_is_undeliverable() -> None:
    with pytest.raises(Undeliverable, match="unknown mail template 'discussion'"):
        due.letter({"template": "discussion"})


# -- sending one mail: to whom, in which language -------------------------------------------
def test_the_directory_wins_over_the_nomination_where_it_knows_more() -> None:
    person = {"email": "p.jansen@umc.example", "display_name": "P. Jansen", "language": "en"}
    mail = letter(invitation(), assignment=assignment(person_id="p1"), person=person)
    assert (mail.to, mail.to_name, mail.language) == ("p.jansen@umc.example", "P. Jansen", "en")


def test_the_nomination_fills_in_what_the_directory_lacks() -> None:
    mail = letter(invitation(), assignment=assignment(person_id="p1", language="en"), person={"email": ""})
    assert (mail.to, mail.to_name, mail.language) == ("piet@umc.example", "Piet Jansen", "en")
    # A directory entry for someone the nomination does not name is not used.
    mail = letter(invitation(), person={"email": "other@umc.example", "language": "en"})
    assert (mail.to, mail.language) == ("piet@umc.example", "nl")


def test_a_nomination_without_a_language_is_dutch() -> None:
    bare = {k: v for k, v in assignment().items() if k != "language"}
    assert letter(invitation(), assignment=bare).language == "nl"


def test_the_deadline_is_in_the_recipients_language_and_the_later_of_expiry_and_close() -> None:
    later = CLOSES + timedelta(days=7)
    assert due.deadline(assignment(), {**ROUND, "closes_at": later}) == later
    assert due.deadline(assignment(expires_at=later), ROUND) == later
    assert due.deadline(assignment(expires_at=None), ROUND) == CLOSES
    nl = letter(invitation()).context["deadline"]
    en = letter(invitation(), assignment=assignment(language="en")).context["deadline"]
    assert nl != en and "2027" in nl and "2027" in en


def test_the_anonymity_floor_is_stated_never_below_four() -> None:
    assert letter(invitation(), round_doc={**ROUND, "min_group_size": 2}).context["min_group_size"] == 4
    assert letter(invitation(), round_doc={**ROUND, "min_group_size": None}).context["min_group_size"] == 4
    assert letter(invitation(), round_doc={**ROUND, "min_group_size": 6}).context["min_group_size"] == 6


def test_a_queued_invitation_carries_its_assignment_a_resend_does_not() -> None:
    carried = invitation(
        token_sealed="s", token_hash="h", assignment={"round_id": "r1", "email": "x@y.example"}
    )
    assert due.invited_assignment(carried) == {"id": "a1", "round_id": "r1", "email": "x@y.example"}
    assert due.invited_assignment(invitation(manual=True)) is None


def test_the_entry_s_token_comes_before_the_assignment_s() -> None:
    mail = letter(invitation(token_sealed="entry-sealed", token_hash="entry-hash"))
    assert (mail.token_sealed, mail.token_hash) == ("entry-sealed", "entry-hash")


def test_report_ready_in_the_reader_s_language() -> None:
    report = {"title": "", "round_title": "IFMS 2027", "version": 2, "reason": "correctie"}
    mail = due.letter(
        {"template": "report_ready", "version": 3},
        report=report,
        person={"email": "spec@umc.example", "display_name": "Dr. S", "language": "en"},
    )
    assert (mail.kind, mail.to, mail.to_name, mail.language) == (
        "report_ready",
        "spec@umc.example",
        "Dr. S",
        "en",
    )
    assert mail.context == {"report_title": "IFMS 2027", "version": 3, "reason": "correctie", "report_id": ""}
    assert not mail.unsubscribe and not mail.token_sealed
    dutch = due.letter({"template": "report_ready"}, report=report, person={"email": "spec@umc.example"})
    assert dutch.language == "nl" and dutch.context["version"] == 2


# -- the links -----------------------------------------------------------------------------
def test_links_and_unsubscribe() -> None:
    base = "https://umc.spiegel.example"
    mail = letter(invitation())
    context = due.addressed(mail, base=base, tenant_name="UMC", token="tok")
    assert context["link"] == f"{base}/e/tok" and context["optout_link"] == f"{base}/e/tok/afmelden"
    assert context["tenant_name"] == "UMC" and context["recipient_name"] == "Piet Jansen"
    assert due.unsubscribe_url(mail, base=base, token="tok") == f"{base}/e/tok/afmelden"
    own = letter(invitation(), assignment=assignment(is_self=True))
    assert due.unsubscribe_url(own, base=base, token="tok") is None
    report = due.letter(
        {"template": "report_ready", "report_id": "r1:spec 1.v2"},
        report={"title": "R"},
        person={"email": "s@umc.example"},
    )
    # Walk finding: the mail linked to the start page; it links to the report itself.
    link = due.addressed(report, base=base, tenant_name="UMC", token=None)["report_link"]
    assert link == f"{base}/rapportages/r1%3Aspec%201.v2", link
    assert due.unsubscribe_url(report, base=base, token=None) is None


# -- already done ------------------------------------------------------------------------------
def test_a_final_delivery_is_never_sent_again() -> None:
    for state in ("sent", "failed", "skipped"):
        assert due.already_final({"state": state, "attempts": 1}, 1)
    assert not due.already_final({"state": "retrying", "attempts": 3}, 1)
    assert not due.already_final(None) and not due.already_final({})


def test_a_final_record_of_an_earlier_attempt_does_not_decide_a_later_one() -> None:
    assert not due.already_final({"state": "failed", "attempts": 1}, 2)
    assert due.already_final({"state": "sent", "attempts": 2}, 2)
    # Asked without an attempt (a repeated request): any final record counts.
    assert due.already_final({"state": "sent"})


# -- after an attempt ------------------------------------------------------------------------
def after(state: str, attempt: int, retry_in: float | None = None) -> tuple[str, float | None]:
    return due.after_attempt(state, attempt, retry_in, max_attempts=3, retry_base=60.0)


def test_sent_failed_and_skipped_are_final() -> None:
    assert [after(s, 1) for s in ("sent", "failed", "skipped")] == [
        ("sent", None),
        ("failed", None),
        ("skipped", None),
    ]


def test_a_temporary_failure_is_retried_later_each_time_then_given_up() -> None:
    assert [after("retry", n) for n in (1, 2)] == [("retry", 60.0), ("retry", 120.0)]
    assert after("retry", 3) == ("failed", None)
    assert due.after_attempt("retry", 20, None, max_attempts=30, retry_base=60.0) == ("retry", 86400.0)


def test_a_mail_not_ready_yet_is_tried_again_soon_however_often() -> None:
    assert after("retry", 1, retry_in=2.0) == ("retry", 2.0)
    assert after("retry", 9, retry_in=2.0) == ("retry", 2.0)


def test_a_person_gets_no_more_reminders_than_the_maximum_and_none_too_soon() -> None:
    # Walk finding: "Herinnering sturen" pressed twice sent ten reminders within seconds.
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    gap = timedelta(hours=24)
    assert due.reminder_refusal([], now, most=3, min_interval=gap) is None
    assert due.reminder_refusal([now - timedelta(hours=25)], now, most=3, min_interval=gap) is None
    assert due.reminder_refusal([now - timedelta(seconds=5)], now, most=3, min_interval=gap) == "too_soon"
    long_ago = [now - timedelta(days=d) for d in (9, 6, 3)]
    assert due.reminder_refusal(long_ago, now, most=3, min_interval=gap) == "max_reached"
    assert due.reminder_refusal(long_ago[:2], now, most=3, min_interval=gap) is None
    assert due.reminder_refusal([], now, most=0, min_interval=gap) == "max_reached"
