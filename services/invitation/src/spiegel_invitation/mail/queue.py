"""Asking for an e-mail: one queue entry per mail key, inserted at most once.

A mail key names one e-mail for good: `<assignment>:invitation`,
`<assignment>:reminder:<n>`, `<assignment>:manual:<request>`,
`report:<report>:<version>:<person>`, `notes:<session>:<person>`,
`notes-overdue:<session>:<facilitator>`, `checkin:<session>:<person>`,
`gaia-due:<session>:<deadline>:<coordinator>[:last]`, `plan-check:<check>:<reminder>:<person>`.
Enqueueing is a unique insert, so a
redelivered event or a repeated request asks for nothing new; the mailer
checks its records before sending, so even a key enqueued again after it was
sent is not sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from spiegel_invitation.mail.due import already_final
from spiegel_invitation.storage import Store


def invitation_key(assignment_id: str) -> str:
    return f"{assignment_id}:invitation"


def reminder_key(assignment_id: str, number: int) -> str:
    return f"{assignment_id}:reminder:{number}"


def manual_key(assignment_id: str, request_id: str) -> str:
    return f"{assignment_id}:manual:{request_id}"


def report_key(report_id: str, version: int, person_id: str) -> str:
    return f"report:{report_id}:{version}:{person_id}"


def notes_key(session_id: str, person_id: str) -> str:
    return f"notes:{session_id}:{person_id}"


def checkin_key(session_id: str, person_id: str) -> str:
    """The follow-up after a discussion session with the person's check-in link: once."""
    return f"checkin:{session_id}:{person_id}"


def notes_overdue_key(session_id: str, facilitator_id: str) -> str:
    return f"notes-overdue:{session_id}:{facilitator_id}"


def gaia_due_key(session_id: str, deadline: str, coordinator_id: str, *, last_day: bool = False) -> str:
    return f"gaia-due:{session_id}:{deadline}:{coordinator_id}" + (":last" if last_day else "")


def plan_check_key(check_id: str, reminder: int, person_id: str) -> str:
    return f"plan-check:{check_id}:{reminder}:{person_id}"


def board_overview_key(overview_id: str, person_id: str) -> str:
    return f"board-overview:{overview_id}:{person_id}"


def assignment_mail(
    key: str, template: str, assignment_id: str, round_id: str, **extra: Any
) -> dict[str, Any]:
    return {"id": key, "template": template, "assignment_id": assignment_id, "round_id": round_id, **extra}


async def enqueue(store: Store, mails: Sequence[dict[str, Any]], *, due: datetime | None = None) -> list[str]:
    """Queue mails (dicts with `id` = mail key, `template`, ...); returns the keys newly queued."""
    now = datetime.now(UTC)
    docs = [{"due": due or now, "attempt": 0, "queued_at": now, **mail} for mail in mails]
    return await store.mail_queue.insert_many(docs)


async def enqueue_request(store: Store, mails: Sequence[dict[str, Any]]) -> list[str]:
    """Queue mails a person asked for (a chase); returns the keys that will really be sent.

    A repeated request (same request id) may come after its mails were sent and left
    the queue: the unique insert then succeeds again. The mailer would not send them a
    second time, but the coordinator must not be told they were queued: keys that
    already have a final delivery are taken out again and not counted.
    """
    queued = await enqueue(store, mails)
    done = set()
    for key in queued:
        delivery = await store.deliveries.get(key, projection={"state": 1})
        if already_final(delivery):
            done.add(key)
    if done:
        await store.mail_queue.delete_many_by_id(sorted(done))
    return [key for key in queued if key not in done]
