"""Which mails are due and to whom: the rules, apart from sending. Pure: no I/O.

Asking for mail (what goes into the queue):
- `reminder_recipients`: reminder n of a round goes to every active nominee and
  every self-evaluation that is not completed (opt-outs are weighed when it is sent).
- `chase_recipients`: a coordinator's manual reminder, per group or per person; never
  to those completed, withdrawn, opted out, or not issued yet.
- `report_readers`: who is told a report is ready.
- `reminder_refusal`: whether one more reminder, scheduled or by hand, may go to a person:
  never more than the policy's maximum in all, never two within its minimum interval.

After an attempt (`after_attempt`): what is recorded, and when the next attempt is due.

Already done (`already_final`): a mail whose delivery record is final (sent, failed,
skipped) for the attempt in question is never sent again, whoever asks for it.

Sending one queued mail (`letter`): from the queue entry and the documents it names
(assignment, round, progress, person, report), whether it is sent and how:
- not sent, for good (`Skip`): withdrawn, round closed; a reminder also when completed,
  or opted out (the self-evaluation has no opt-out), or held while the hospital was
  suspended (`suspension.model`: reminders are not made up for);
- not sent, failed (`Undeliverable`): no address, an unknown kind of mail;
- not yet (`NotYet`): the assignment, round or report is not written yet;
- otherwise a `Letter`: the template, the recipient (address, name and language from the
  directory when the person is known there, else as nominated), the template's values.

The mailer reads the documents, asks `letter`, and delivers (see `mailer`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from spiegel_platform import mail_limits
from spiegel_platform.anonymity import threshold
from spiegel_platform.i18n import format_moment

from spiegel_invitation.mail.render import format_deadline
from spiegel_invitation.mail.tokens import checkin_path, optout_path, questionnaire_path
from spiegel_invitation.suspension.model import stale_reminder

Document = Mapping[str, Any]
# A machine-readable reason, kept in the mail journal (`last_error`); no person reads it as such.
NO_ADDRESS = "no_address"
DEFAULT_LANGUAGE = "nl"
FINAL_STATES = ("sent", "failed", "skipped")


class Skip(Exception):
    """This mail must not be sent (withdrawn, completed, opted out, round closed)."""


class Undeliverable(Exception):
    """This mail cannot be sent (no address): a permanent failure shown to the coordinator."""


class NotYet(Exception):
    """What the mail needs is not written yet (a concurrent issuing step): try again soon."""


# -- asking for mail ---------------------------------------------------------------------
def reminder_recipients(
    active: Iterable[str], selves: Iterable[str], completed: Mapping[str, Any] | Iterable[str]
) -> list[str]:
    """Assignment ids that get a scheduled reminder: the active nominees, then the
    self-evaluations, in that order, leaving out the completed."""
    done = set(completed)
    return [aid for aid in [*active, *selves] if aid not in done]


def chase_recipients(
    rows: Sequence[Document], *, group: str | None = None, wanted: Iterable[str] = ()
) -> list[Document]:
    """The rows (`rounds.api.assignment_states`) a manual reminder goes to: in `group` when
    given, among `wanted` when any, never completed, withdrawn, opted out or not issued."""
    chosen = set(wanted)
    return [
        row
        for row in rows
        if (group is None or row["group"] == group)
        and (not chosen or row["assignment_id"] in chosen)
        and not (row["completed"] or row["withdrawn"] or row["opted_out"])
        and row["invitation"] != "not_issued"
    ]


def reminder_refusal(
    previous: Sequence[datetime], now: datetime, *, most: int, min_interval: timedelta
) -> str | None:
    """Why a person may not get one more reminder ("max_reached", "too_soon"), or None. `previous`:
    when each reminder already claimed for them was asked for, scheduled or by hand alike, so
    the settings hold whoever asks and however often (the platform's rule, which the gateway's
    activation mails sent again keep too)."""
    return mail_limits.refusal(previous, now, most=most, min_interval=min_interval)


def report_readers(kind: str, subject_id: str, member_ids: Iterable[str]) -> list[str]:
    """The subject of an IFMS report; every member of a Groepsmonitor's group."""
    members = list(member_ids)
    if kind == "GROUP_MONITOR" and members:
        return sorted(set(members))
    return sorted({subject_id, *members} - {""})


def already_final(delivery: Document | None, attempt: int = 0) -> bool:
    """Whether the mail of this delivery record is done with for good: its state is final
    and its attempts reach `attempt` (a record of an earlier attempt does not count)."""
    if not delivery:
        return False
    return delivery.get("state") in FINAL_STATES and int(delivery.get("attempts", 0)) >= attempt


MAX_RETRY_DELAY_S = 86400.0


def after_attempt(
    state: str, attempt: int, retry_in: float | None, *, max_attempts: int, retry_base: float
) -> tuple[str, float | None]:
    """What an attempt's outcome (sent, failed, skipped, retry) leaves: the state to record
    and, for a retry, the seconds until attempt `attempt + 1` is due. A mail that was not
    ready yet (`retry_in` given) is tried again however often; one that failed gives up
    after `max_attempts` (then "failed"), waiting `retry_base` doubling in between, at
    most a day."""
    if state != "retry":
        return state, None
    if retry_in is None and attempt >= max_attempts:
        return "failed", None
    return "retry", min(retry_in or retry_base * 2 ** (attempt - 1), MAX_RETRY_DELAY_S)


# -- sending one mail ----------------------------------------------------------------------
@dataclass(frozen=True)
class Letter:
    """One mail as decided: which template, to whom, with what (links come with `addressed`)."""

    kind: str  # the template: invitation, self_invitation, reminder, report_ready
    to: str
    to_name: str
    language: str
    context: dict[str, Any] = field(default_factory=dict)
    token_sealed: str = ""  # the personal link, sealed (assignment mails only)
    token_hash: str = ""
    unsubscribe: bool = False  # carries the opt-out link as List-Unsubscribe
    # A discussion mail's calendar event (`discussions/calendar.py`): method, uid, sequence, times.
    calendar: dict[str, Any] | None = None


def letter(
    entry: Document,
    *,
    tenant: Document | None = None,
    assignment: Document | None = None,
    round_doc: Document | None = None,
    progress: Document | None = None,
    person: Document | None = None,
    report: Document | None = None,
) -> Letter:
    """The mail a queue entry asks for, or why not (`Skip`, `Undeliverable`, `NotYet`)."""
    template = entry.get("template", "")
    if template in ("invitation", "reminder"):
        return assignment_letter(entry, assignment, round_doc, progress, person, tenant)
    if template == "report_ready":
        return report_letter(entry, report, person)
    if template in NOTES_TEMPLATES:
        return notes_letter(entry, person)
    if template == GAIA_DUE:
        return gaia_due_letter(entry, person)
    if template == CHECKIN_FOLLOWUP:
        return checkin_letter(entry, person)
    if template == PLAN_CHECK:
        return plan_check_letter(entry, person)
    if template == BOARD_OVERVIEW:
        return board_overview_letter(entry, person)
    raise Undeliverable(f"unknown mail template {template!r}")


def invited_assignment(entry: Document) -> dict[str, Any] | None:
    """An invitation queued by the issuer carries its assignment (withdrawing deletes the
    entry), so sending it reads nothing; None: read the assignment."""
    if entry.get("token_sealed"):
        return {"id": entry["assignment_id"], **entry.get("assignment", {})}
    return None


def assignment_letter(
    entry: Document,
    assignment: Document | None,
    round_doc: Document | None,
    progress: Document | None,
    person: Document | None,
    tenant: Document | None = None,
) -> Letter:
    """An invitation or a reminder. The checks run in this order: the first that applies decides."""
    if assignment is None:
        raise NotYet("the assignment is not issued yet")
    if assignment.get("withdrawn_at"):
        raise Skip("withdrawn")
    if round_doc is None:
        raise NotYet("the round is not known yet")
    if round_doc.get("status") == "closed":
        raise Skip("the round is closed")
    is_self = bool(assignment.get("is_self"))
    template = entry.get("template")
    if template == "reminder":
        if assignment["id"] in ((progress or {}).get("completed") or {}):
            raise Skip("completed")
        if assignment.get("opted_out_at") and not is_self:
            raise Skip("opted out of reminders")
        if stale_reminder(entry.get("queued_at"), tenant):
            raise Skip("held while the hospital was suspended")
    to, to_name, language = recipient(assignment, person)
    if not to:
        raise Undeliverable(NO_ADDRESS)
    context = {
        "round_title": round_doc.get("title", ""),
        "subject_name": round_doc.get("subject_name", ""),
        "is_group_monitor": round_doc.get("kind") == "GROUP_MONITOR",
        "is_self": is_self,
        "min_group_size": threshold(round_doc.get("min_group_size")),
        "deadline": format_deadline(deadline(assignment, round_doc), language),
        "reminder_number": entry.get("number", 0),
    }
    return Letter(
        kind="self_invitation" if template == "invitation" and is_self else str(template),
        to=to,
        to_name=to_name,
        language=language,
        context=context,
        token_sealed=entry.get("token_sealed") or assignment["token_sealed"],
        token_hash=entry.get("token_hash") or assignment["token_hash"],
        # The opt-out is for respondents: a self-evaluation offers none.
        unsubscribe=not is_self,
    )


def recipient(assignment: Document, person: Document | None) -> tuple[str, str, str]:
    """(address, name, language): the directory's where the person is known there and
    it has them, else as nominated; Dutch when nobody said."""
    to = assignment.get("email", "")
    to_name = assignment.get("name", "")
    language = assignment.get("language", DEFAULT_LANGUAGE)
    if assignment.get("person_id") and person:
        to = person.get("email") or to
        to_name = person.get("display_name") or to_name
        language = person.get("language") or language
    return to, to_name, language


def deadline(assignment: Document, round_doc: Document) -> datetime:
    """The later of the link's expiry and the round's close (an extension moves both)."""
    closes_at: datetime = assignment.get("expires_at") or round_doc["closes_at"]
    if round_doc.get("closes_at") and round_doc["closes_at"] > closes_at:
        closes_at = round_doc["closes_at"]
    return closes_at


def report_letter(entry: Document, report: Document | None, person: Document | None) -> Letter:
    """A report is ready: to the reader, in the reader's language."""
    if report is None:
        raise NotYet("the report is not recorded yet")
    if not person or not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    context = {
        "report_title": report.get("title") or report.get("round_title") or "",
        "version": int(entry.get("version") or report.get("version") or 1),
        "reason": report.get("reason", ""),
        "report_id": str(entry.get("report_id") or ""),
    }
    return Letter(
        kind="report_ready",
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=person.get("language") or DEFAULT_LANGUAGE,
        context=context,
    )


NOTES_RELEASED = "notes_released"
NOTES_OVERDUE = "notes_overdue"
NOTES_TEMPLATES = (NOTES_RELEASED, NOTES_OVERDUE)


def notes_letter(entry: Document, person: Document | None) -> Letter:
    """A facilitator's notes: ready for the participant, or due for the facilitator. The mail
    names the session by its link only: nothing of the notes is ever in it."""
    if not person or not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    context: dict[str, Any] = {"session_id": str(entry.get("session_id") or "")}
    if entry.get("template") == NOTES_OVERDUE:
        context |= {"waiting": int(entry.get("waiting") or 0), "due_on": str(entry.get("due_on") or "")}
    return Letter(
        kind=str(entry["template"]),
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=person.get("language") or DEFAULT_LANGUAGE,
        context=context,
    )


GAIA_DUE = "gaia_due"


def gaia_due_letter(entry: Document, person: Document | None) -> Letter:
    """A coordinator is reminded that a session's attendance is still to be entered in GAIA: the
    session's day, how many, the deadline. Never a name or a BIG number (the entry has none)."""
    if not person or not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    if person.get("active") is False or "coordinator" not in (person.get("roles") or ["coordinator"]):
        raise Skip("no longer a coordinator")
    return Letter(
        kind=GAIA_DUE,
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=person.get("language") or DEFAULT_LANGUAGE,
        context={
            "to_register": int(entry.get("to_register") or 0),
            "deadline": str(entry.get("deadline") or ""),
            "session_day": str(entry.get("session_day") or ""),
            "last_day": bool(entry.get("last_day")),
        },
    )


PLAN_CHECK = "plan_check"


def plan_check_letter(entry: Document, person: Document | None) -> Letter:
    """A group action plan's check is due (reminder 0) or still open (reminder n): to one
    recipient, in their language, with a link to the check page (after signing in)."""
    if not person or not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    return Letter(
        kind=PLAN_CHECK,
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=person.get("language") or DEFAULT_LANGUAGE,
        context={
            "plan_id": str(entry.get("plan_id") or ""),
            "check_id": str(entry.get("check_id") or ""),
            "reminder_number": int(entry.get("reminder") or 0),
        },
    )


BOARD_OVERVIEW = "board_overview"


def board_overview_letter(entry: Document, person: Document | None) -> Letter:
    """The board's yearly overview of the group action plans: to one board member, in their
    language, with a link to the overview's PDF (after signing in). Not to someone who is no
    longer an active board member by the time it is sent. Only the year: no plan, group or text."""
    if person is not None and (person.get("active") is False or "board" not in (person.get("roles") or [])):
        raise Skip("no longer on the board")
    if not person or not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    return Letter(
        kind=BOARD_OVERVIEW,
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=person.get("language") or DEFAULT_LANGUAGE,
        context={"year": int(entry.get("year") or 0)},
    )


CHECKIN_FOLLOWUP = "checkin_followup"


def aware(moment: datetime) -> datetime:
    """A moment as the database gives it back (naive: UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def checkin_letter(entry: Document, person: Document | None) -> Letter:
    """The follow-up after a discussion session: the person's own check-in link (it checks in
    that person for that session only), and until when it works."""
    if not person or not person.get("email"):
        raise Undeliverable(NO_ADDRESS)
    language = person.get("language") or DEFAULT_LANGUAGE
    closes_at = entry.get("closes_at")
    return Letter(
        kind=CHECKIN_FOLLOWUP,
        to=person["email"],
        to_name=person.get("display_name", ""),
        language=language,
        context={"closes_at": format_deadline(aware(closes_at), language) if closes_at else ""},
        token_sealed=str(entry["token_sealed"]),
        token_hash=str(entry["token_hash"]),
    )


def addressed(mail: Letter, *, base: str, tenant_name: str, token: str | None) -> dict[str, Any]:
    """The template's values with the hospital's name and the links (`token`: the opened
    personal link of an assignment mail)."""
    context = dict(mail.context)
    if token is not None and mail.kind == CHECKIN_FOLLOWUP:
        context["checkin_link"] = base + checkin_path(token)
    elif token is not None:
        context |= {"link": base + questionnaire_path(token), "optout_link": base + optout_path(token)}
    if mail.kind == "report_ready":  # the report itself (after signing in), not the start page
        report_id = str(context.pop("report_id", "") or "")
        context["report_link"] = base + (f"/rapportages/{quote(report_id, safe='')}" if report_id else "/")
    if mail.kind in NOTES_TEMPLATES:  # the page behind sign-in: the participant's or the facilitator's
        session = quote(str(context.pop("session_id", "")), safe="")
        path = (
            f"/gespreksverslag/{session}"
            if mail.kind == NOTES_RELEASED
            else f"/bespreking/{session}/verslagen"
        )
        context["notes_link"] = base + path
        if context.get("due_on"):
            day = datetime.fromisoformat(str(context["due_on"]))
            lang = mail.language if mail.language in ("nl", "en") else DEFAULT_LANGUAGE
            context["due_on"] = format_moment(day, "EEEE d MMMM y", lang)
    if mail.kind == GAIA_DUE:  # "nog te registreren", behind sign-in
        context["pending_link"] = base + "/nog-te-registreren"
        lang = mail.language if mail.language in ("nl", "en") else DEFAULT_LANGUAGE
        for name in ("deadline", "session_day"):
            if context.get(name):
                context[name] = format_moment(
                    datetime.fromisoformat(str(context[name])), "EEEE d MMMM y", lang
                )
    if mail.kind == PLAN_CHECK:  # the check page of the group plan (after signing in)
        plan = quote(str(context.pop("plan_id", "")), safe="")
        check = quote(str(context.pop("check_id", "")), safe="")
        context["check_link"] = base + f"/groepsplannen/{plan}/controles/{check}"
    if mail.kind == BOARD_OVERVIEW:  # the overview's PDF and its page, behind sign-in
        context["pdf_link"] = base + "/bestuur/groepsplannen.pdf"
        context["page_link"] = base + "/bestuur/groepsplannen"
    return context | {"tenant_name": tenant_name, "recipient_name": mail.to_name}


def unsubscribe_url(mail: Letter, *, base: str, token: str | None) -> str | None:
    """The List-Unsubscribe address: the opt-out page, for respondents' assignment mails only."""
    if not mail.unsubscribe or token is None:
        return None
    return base + optout_path(token)
