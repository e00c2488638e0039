"""A round's lifecycle: draft -> open -> closed. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class RoundStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class LifecycleError(ValueError):
    """A step the round's current state does not allow."""


def check_open(status: RoundStatus, now: datetime, closes_at: datetime) -> None:
    if status is not RoundStatus.DRAFT:
        raise LifecycleError(f"only a draft round can be opened; this round is {status}")
    if closes_at <= now:
        raise LifecycleError("the closing time has passed; choose a later closing time")


def check_close(status: RoundStatus) -> None:
    if status is not RoundStatus.OPEN:
        raise LifecycleError(f"only an open round can be closed; this round is {status}")
