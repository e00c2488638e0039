"""Activation mails sent again by hand keep the reminders' rule (`spiegel_platform.mail_limits`):
at most `MOST_PER_ADDRESS` to one person's address, and at least the hospital's
`activation_mail_interval_minutes` between two, whoever presses the button and however often.

The ledger is one document per person in `people_claims` (`activation:<person id>`: the address
and when each was asked for), claimed by one conditional write on its count, so of two presses
at the same moment one wins. A new address starts a new ledger (the mail goes somewhere else).
The mail sent when a person is registered is not in it: a resend is possible at once after that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel_platform import mail_limits
from spiegel_platform.storage.repository import TenantRepository

from spiegel_gateway.people.store import Person

MOST_PER_ADDRESS = 5


def ledger_id(person_id: str) -> str:
    return f"activation:{person_id}"


async def claim(
    repo: TenantRepository, person: Person, interval: timedelta, now: datetime | None = None
) -> str | None:
    """Claim one more activation mail for `person`: None when it may go, else why not
    (`mail_limits.TOO_SOON`, `mail_limits.MAX_REACHED`)."""
    now = now or datetime.now(UTC)
    key = ledger_id(person.person_id)
    doc = await repo.get(key)
    same_address = doc is not None and doc.get("to") == person.email
    previous: list[datetime] = list(doc.get("sent", [])) if doc is not None and same_address else []
    reason = mail_limits.refusal(previous, now, most=MOST_PER_ADDRESS, min_interval=interval)
    if reason is not None:
        return reason
    count = int((doc or {}).get("count", 0))
    entry: dict[str, Any] = {"to": person.email, "sent": [*previous, now], "count": count + 1}
    if doc is None:
        try:
            await repo.insert({"id": key, **entry})
        except DuplicateKeyError:
            return mail_limits.TOO_SOON  # another press a moment ago
        return None
    if await repo.update(key, {"$set": entry}, expect={"count": count}) is None:
        return mail_limits.TOO_SOON  # another press a moment ago
    return None
