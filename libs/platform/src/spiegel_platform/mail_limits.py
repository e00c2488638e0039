"""How often one person may be mailed the same thing by hand: the rule of reminders (invitation:
scheduled or by hand) and of activation mails sent again (gateway), so a button pressed ten
times sends one mail. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

TOO_SOON = "too_soon"
MAX_REACHED = "max_reached"


def refusal(previous: Sequence[datetime], now: datetime, *, most: int, min_interval: timedelta) -> str | None:
    """Why a person may not get one more such mail (`MAX_REACHED`, `TOO_SOON`), or None.
    `previous`: when each one already claimed for them was asked for, whoever asked (a moment
    without a zone, as a database gives it back, is UTC)."""
    if len(previous) >= most:
        return MAX_REACHED
    latest = max((p if p.tzinfo else p.replace(tzinfo=UTC) for p in previous), default=None)
    if latest is not None and now - latest < min_interval:
        return TOO_SOON
    return None
