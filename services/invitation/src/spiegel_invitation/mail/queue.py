"""Asking for an e-mail: one queue entry per mail key, inserted at most once.

A mail key names one e-mail for good: `<assignment>:invitation`,
`<assignment>:reminder:<n>`, `<assignment>:manual:<request>`,
`report:<report>:<version>:<person>`. Enqueueing is a unique insert, so a
redelivered event or a repeated request asks for nothing new; the mailer
checks its records before sending, so even a key enqueued again after it was
sent is not sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from spiegel_invitation.storage import Store

FINAL_STATES = ("sent", "failed", "skipped")


def invitation_key(assignment_id: str) -> str:
    return f"{assignment_id}:invitation"


def reminder_key(assignment_id: str, number: int) -> str:
    return f"{assignment_id}:reminder:{number}"


def manual_key(assignment_id: str, request_id: str) -> str:
    return f"{assignment_id}:manual:{request_id}"


def report_key(report_id: str, version: int, person_id: str) -> str:
    return f"report:{report_id}:{version}:{person_id}"


def assignment_mail(
    key: str, template: str, assignment_id: str, round_id: str, **extra: Any
) -> dict[str, Any]:
    return {"id": key, "template": template, "assignment_id": assignment_id, "round_id": round_id, **extra}


async def enqueue(store: Store, mails: Sequence[dict[str, Any]], *, due: datetime | None = None) -> list[str]:
    """Queue mails (dicts with `id` = mail key, `template`, ...); returns the keys newly queued."""
    now = datetime.now(UTC)
    docs = [{"due": due or now, "attempt": 0, "queued_at": now, **mail} for mail in mails]
    return await store.mail_queue.insert_many(docs)
